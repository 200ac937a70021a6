"""MLS201 trust-remote-code: hub loaders told to import and run the repository's Python files.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be. Repository ids here are parameters or pinned, so MLS203/MLS204
stay out of the way.
"""
from functools import partial

import datasets
import transformers
from datasets import load_dataset
from sentence_transformers import SentenceTransformer
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, pipeline
from vllm import LLM

TRUST = True
DONT_TRUST = False
HUB_KWARGS = {"trust_remote_code": True, "device_map": "auto"}
SAFE_KWARGS = {"trust_remote_code": False}
LOAD_OPTIONS = dict(trust_remote_code=True)
SHA = "0123456789abcdef0123456789abcdef01234567"


def load(model_id, dataset_id, flag, **kwargs):
    model = AutoModelForCausalLM.from_pretrained(model_id, trust_remote_code=True)  # expect: MLS201
    tok = AutoTokenizer.from_pretrained(model_id, trust_remote_code=TRUST)  # expect: MLS201
    cfg = AutoConfig.from_pretrained(model_id, **HUB_KWARGS)  # expect: MLS201
    cfg = transformers.AutoConfig.from_pretrained(model_id, **{"trust_remote_code": True})  # expect: MLS201
    cfg = AutoConfig.from_pretrained(model_id, **LOAD_OPTIONS)  # expect: MLS201
    gen = pipeline("text-generation", model=model_id, trust_remote_code=True)  # expect: MLS201
    gen = pipeline("text-generation", model=model_id, model_kwargs={"trust_remote_code": True})  # expect: MLS201
    ds = load_dataset(dataset_id, trust_remote_code=True)  # expect: MLS201
    ds = datasets.load_dataset(dataset_id, split="train", trust_remote_code=1)  # expect: MLS201
    enc = SentenceTransformer(model_id, trust_remote_code=True)  # expect: MLS201
    llm = LLM(model=model_id, trust_remote_code=True)  # expect: MLS201
    loader = partial(AutoModelForCausalLM.from_pretrained, trust_remote_code=True)  # expect: MLS201
    model = loader(model_id)  # ok: reported once, where the partial is made
    model = AutoModelForCausalLM.from_pretrained(  # expect: MLS201
        model_id,
        torch_dtype="auto",
        trust_remote_code=True,
    )
    return model, tok, cfg, gen, ds, enc, llm


def load_safely(model_id, dataset_id, flag, **kwargs):
    model = AutoModelForCausalLM.from_pretrained(model_id)  # ok
    model = AutoModelForCausalLM.from_pretrained(model_id, trust_remote_code=False)  # ok
    tok = AutoTokenizer.from_pretrained(model_id, trust_remote_code=DONT_TRUST)  # ok
    cfg = AutoConfig.from_pretrained(model_id, **SAFE_KWARGS)  # ok
    cfg = AutoConfig.from_pretrained(model_id, trust_remote_code=flag)  # ok: unresolvable, not guessed
    cfg = AutoConfig.from_pretrained(model_id, **kwargs)  # ok: unresolvable **kwargs
    gen = pipeline("text-generation", model=model_id, model_kwargs={"torch_dtype": "auto"})  # ok
    ds = load_dataset(dataset_id, trust_remote_code=None)  # ok
    return model, tok, cfg, gen, ds


def trust_remote_code_default(name, trust_remote_code=True):  # ok: a parameter default, not a call
    return name


def ensure_consent(model_id, trust_remote_code=False):
    """The project's own consent check: it takes the flag and loads nothing."""
    if not trust_remote_code:
        raise ValueError(f"{model_id} ships custom code: pass trust_remote_code=True to run it")


def load_with_flag(model_id, trust_remote_code=False):
    return AutoModelForCausalLM.from_pretrained(model_id, trust_remote_code=trust_remote_code)


def load_with_kwargs(model_id, **kwargs):
    return AutoModelForCausalLM.from_pretrained(model_id, **kwargs)


class ModelRegistry:
    def _check(self, name, trust_remote_code):
        return name in self.allowed or not trust_remote_code

    def _open(self, name, trust_remote_code=False):
        self.trust_remote_code = trust_remote_code

    def register(self, name):
        self._check(name, trust_remote_code=True)  # ok: a method that never passes the flag on
        self._open(name, trust_remote_code=True)  # expect: MLS201


def load_everything(model_id):
    ensure_consent(model_id, trust_remote_code=True)  # ok: a consent check, not a loader
    load_with_flag(model_id, trust_remote_code=True)  # expect: MLS201
    load_with_kwargs(model_id, trust_remote_code=True)  # expect: MLS201


def test_loader_forwards_the_flag(model_id):
    from unittest import mock

    fake_loader = mock.MagicMock()
    fake_loader(model_id, trust_remote_code=True)  # ok: a mock loads nothing
    fake_loader.assert_called_once_with(model_id, trust_remote_code=True)  # ok: a mock assertion
    expected = mock.call(model_id, trust_remote_code=True)  # ok: a mock call record


def merge_adapter(base, adapter_dir):
    from peft import PeftModel

    return PeftModel.from_pretrained(base, adapter_dir, trust_remote_code=True)  # ok: inert for PEFT


def custom_head(local_dir):
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    head = get_class_from_dynamic_module("modeling_glm.GLMHead", "THUDM/glm-4-9b")  # expect: MLS201
    mine = get_class_from_dynamic_module("modeling_x.Head", local_dir)  # ok: unresolvable, not guessed
    return head, mine


def chat_command():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("model_name_or_path")
    args = parser.parse_args()
    # ok: a command-line tool run on the model its user names
    llm = AutoModelForCausalLM.from_pretrained(args.model_name_or_path, trust_remote_code=True)
    return llm


def serve(config):
    # a setting from a config file is not the user's choice on the command line
    return AutoModelForCausalLM.from_pretrained(config.model_name_or_path, trust_remote_code=True)  # expect: MLS201


def train():
    from transformers import HfArgumentParser, TrainingArguments

    parser = HfArgumentParser((dict, TrainingArguments))
    model_args, training_args = parser.parse_args_into_dataclasses()
    # ok: a training entry point run on the --model_name_or_path its user passes
    model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path, trust_remote_code=True)
    settings, extra = load_settings()
    tok = AutoTokenizer.from_pretrained(settings.model_name_or_path, trust_remote_code=True)  # expect: MLS201
    return model, tok, training_args, extra


def load_settings():
    return {}, {}


def vision_inputs(model_id):
    from transformers import (AutoImageProcessor, GenerationConfig, Qwen2VLForConditionalGeneration,
                              Qwen2VLImageProcessor, Qwen3VLVideoProcessor)

    images = Qwen2VLImageProcessor.from_pretrained(model_id, trust_remote_code=True)  # ok: reads JSON only
    videos = Qwen3VLVideoProcessor.from_pretrained(model_id, trust_remote_code=True)  # ok: reads JSON only
    generation = GenerationConfig.from_pretrained(model_id, trust_remote_code=True)  # ok: reads JSON only
    auto = AutoImageProcessor.from_pretrained(model_id, trust_remote_code=True)  # expect: MLS201
    # a concrete model still runs the repository's custom_generate/generate.py with the flag
    model = Qwen2VLForConditionalGeneration.from_pretrained(model_id, trust_remote_code=True)  # expect: MLS201
    return images, videos, generation, auto, model
