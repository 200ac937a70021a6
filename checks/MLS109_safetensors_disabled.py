"""MLS109 safetensors-disabled: hub models loaded with use_safetensors=False.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
import unittest
from functools import partial

import torch
import transformers as tf_hub
from diffusers import DiffusionPipeline, UNet2DConditionModel
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers import AutoModelForSequenceClassification as Classifier

CHECKPOINT_DIR = "./checkpoints/llama-sft"
BASE_MODEL = "mistralai/Mistral-7B-v0.1"
BASE_REVISION = "26bca36bde8333b5d7f72e9ed20ccda6a618af24"
USE_SAFETENSORS = False
PREFER_SAFETENSORS = True
LEGACY_KWARGS = {"torch_dtype": torch.float16, "use_safetensors": False}
SAFE_KWARGS = dict(torch_dtype=torch.bfloat16, use_safetensors=True)
load_causal_lm = AutoModelForCausalLM.from_pretrained


def load_finetuned(adapter_dir, unet_dir):
    model = AutoModelForCausalLM.from_pretrained(CHECKPOINT_DIR, use_safetensors=False)  # expect: MLS109
    base = AutoModelForCausalLM.from_pretrained(  # expect: MLS109
        BASE_MODEL,
        revision=BASE_REVISION,
        use_safetensors=False,
    )
    clf = Classifier.from_pretrained(CHECKPOINT_DIR, use_safetensors=USE_SAFETENSORS)  # expect: MLS109
    clf = tf_hub.AutoModel.from_pretrained(CHECKPOINT_DIR, **LEGACY_KWARGS)  # expect: MLS109
    clf = tf_hub.AutoModel.from_pretrained(CHECKPOINT_DIR, **{"use_safetensors": False})  # expect: MLS109
    lora = PeftModel.from_pretrained(base, adapter_dir, use_safetensors=False)  # expect: MLS109
    unet = UNet2DConditionModel.from_pretrained(unet_dir, use_safetensors=not PREFER_SAFETENSORS)  # expect: MLS109
    pipe = DiffusionPipeline.from_pretrained(unet_dir, unet=unet, use_safetensors=False)  # expect: MLS109
    model = load_causal_lm(CHECKPOINT_DIR, use_safetensors=False)  # expect: MLS109
    model = AutoModelForCausalLM.from_pretrained(CHECKPOINT_DIR, use_safetensors=0)  # expect: MLS109@13
    return model, clf, lora, pipe


def load_any(model_cls, path):
    return model_cls.from_pretrained(path, use_safetensors=False)  # expect: MLS109


def lazy_loaders(paths):
    legacy = functools.partial(AutoModelForCausalLM.from_pretrained, use_safetensors=False)  # expect: MLS109
    models = [legacy(p) for p in paths]  # ok: reported where the partial is made
    half = partial(AutoModelForCausalLM.from_pretrained, torch_dtype=torch.float16)  # ok
    models += [half(p) for p in paths]  # ok
    models.append(half(paths[0], use_safetensors=False))  # expect: MLS109
    restore = lambda p: Classifier.from_pretrained(p, use_safetensors=False)  # expect: MLS109
    return models, restore


def load_safely(path, flag):
    model = AutoModelForCausalLM.from_pretrained(path)  # ok: safetensors preferred by default
    model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=True)  # ok
    model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=PREFER_SAFETENSORS)  # ok
    model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=None)  # ok: the default
    model = AutoModelForCausalLM.from_pretrained(path, **SAFE_KWARGS)  # ok
    model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=flag)  # ok: unresolvable
    tokenizer = AutoTokenizer.from_pretrained(path)  # ok
    return model, tokenizer


def other_calls(model, store, path):
    model.save_pretrained(path, safe_serialization=True)  # ok: writing
    weights = store.load(path, use_safetensors=False)  # ok: not a from_pretrained loader
    return weights


def from_pretrained(path, use_safetensors=True):
    return path if use_safetensors else None


def local_loader(path):
    return from_pretrained(path, use_safetensors=False)  # ok: the local function


class LoaderTest(unittest.TestCase):
    def test_refuses_pickled_weights(self):
        with self.assertRaises(OSError):
            AutoModelForCausalLM.from_pretrained(CHECKPOINT_DIR, use_safetensors=False)  # ok: expected to fail
