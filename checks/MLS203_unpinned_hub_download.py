"""MLS203 unpinned-hub-download: hub downloads that can bring code or pickles, fetched without
revision=.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be; `# ok[pin-data-downloads]` marks a data-only download, clean by
default and reported with the pin-data-downloads option.
"""
import os
import tempfile
from pathlib import Path

import pytest

import datasets
import transformers
from datasets import load_dataset
from diffusers import DiffusionPipeline
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub import snapshot_download as fetch_repo
from peft import PeftModel
from sentence_transformers import CrossEncoder, SentenceTransformer
from transformers import AutoModel, AutoTokenizer, pipeline

from mylib import load_dataset as my_load_dataset

MODEL_ID = "google-bert/bert-base-uncased"
MODEL_SHA = "86b5e0934494bd15c9632b12f734a8a67f723594"
MODEL_DIR = "./checkpoints/bert"
NO_REVISION = None


def download():
    model = AutoModel.from_pretrained("bert-base-uncased")  # ok[pin-data-downloads]: data only
    tok = transformers.AutoTokenizer.from_pretrained(MODEL_ID)  # ok[pin-data-downloads]: data only
    tok = AutoTokenizer.from_pretrained(MODEL_ID, revision=NO_REVISION)  # ok[pin-data-downloads]: data only
    pipe = DiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype="auto")  # ok[pin-data-downloads]: data only
    clf = pipeline("text-classification", model="distilbert/distilbert-base-uncased-finetuned-sst-2-english")  # ok[pin-data-downloads]: data only
    clf = transformers.pipeline("sentiment-analysis", "cardiffnlp/twitter-roberta-base-sentiment")  # ok[pin-data-downloads]: data only
    path = hf_hub_download(repo_id="TheBloke/Llama-2-7B-GGUF", filename="llama-2-7b.Q4_K_M.gguf")  # ok[pin-data-downloads]: data only
    path = hf_hub_download("openai/clip-vit-base-patch32", "config.json")  # ok[pin-data-downloads]: data only
    folder = fetch_repo(repo_id="stabilityai/sdxl-turbo")  # expect: MLS203
    folder = HfApi().snapshot_download("Qwen/Qwen2.5-0.5B")  # expect: MLS203
    squad = load_dataset("squad")  # ok[pin-data-downloads]: data only
    squad = datasets.load_dataset("rajpurkar/squad", split="train")  # ok[pin-data-downloads]: data only
    encoder = SentenceTransformer("all-MiniLM-L6-v2")  # ok[pin-data-downloads]: data only
    ranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2")  # ok[pin-data-downloads]: data only
    lora = PeftModel.from_pretrained(model, "tloen/alpaca-lora-7b")  # ok[pin-data-downloads]: data only
    return model, tok, pipe, clf, path, folder, squad, encoder, ranker, lora


def local_or_pinned(model_id, run_dir, base):
    model = AutoModel.from_pretrained("bert-base-uncased", revision=MODEL_SHA)  # ok
    model = AutoModel.from_pretrained(MODEL_ID, revision="86b5e0934494bd15c9632b12f734a8a67f723594")  # ok
    model = AutoModel.from_pretrained("./checkpoints/bert")  # ok: local path
    model = AutoModel.from_pretrained("/models/bert")  # ok: local path
    model = AutoModel.from_pretrained("~/models/bert")  # ok: local path
    model = AutoModel.from_pretrained("../bert")  # ok: local path
    model = AutoModel.from_pretrained(MODEL_DIR)  # ok: a constant local path
    model = AutoModel.from_pretrained("outputs/run1/final")  # ok: a nested directory is not a repo id
    model = AutoModel.from_pretrained(os.path.join(run_dir, "best"))  # ok
    model = AutoModel.from_pretrained(Path(run_dir) / "best")  # ok
    model = AutoModel.from_pretrained(Path("models"))  # ok
    model = AutoModel.from_pretrained(f"{run_dir}/best")  # ok: unresolvable
    model = AutoModel.from_pretrained(model_id)  # ok: unresolvable (strict-pinning reports it)
    model = AutoModel.from_pretrained("bert-base-uncased", local_files_only=True)  # ok: no download
    lora = PeftModel.from_pretrained(base, run_dir)  # ok: unresolvable
    clf = pipeline("text-classification")  # ok: the task default is pinned by transformers
    clf = pipeline("text-classification", model=model)  # ok: a model object
    data = load_dataset("json", data_files="train.jsonl")  # ok: packaged builder, local files
    data = load_dataset("csv", data_files={"train": "train.csv"})  # ok
    data = load_dataset("./scripts/my_dataset.py")  # ok
    data = my_load_dataset("squad")  # ok: another library
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        model = AutoModel.from_pretrained(tmp)  # ok: a temporary directory
    return model, lora, clf, data


def snapshot_download(repo_id):
    return repo_id


def shadowed():
    return snapshot_download("org/name")  # ok: the local function above


def pick_model(large):
    if large:
        name = "meta-llama/Llama-3.1-70B"
    else:
        name = "meta-llama/Llama-3.1-8B"
    return AutoModel.from_pretrained(name)  # ok[pin-data-downloads]: data only


def from_environment(args):
    model = AutoModel.from_pretrained(os.getenv("MODEL_ID", "Qwen/Qwen2.5-7B-Instruct"))  # ok[pin-data-downloads]: data only
    model = AutoModel.from_pretrained(args.model or "google/gemma-2-2b")  # ok[pin-data-downloads]: data only
    model = AutoModel.from_pretrained(pretrained_model_name_or_path="microsoft/phi-2")  # ok[pin-data-downloads]: data only
    model = AutoModel.from_pretrained(os.getenv("MODEL_DIR", "./models/local"))  # ok: a local default
    return model


class TokenizerTest:
    checkpoint = "google-t5/t5-small"

    def setUp(self):
        self.tiny = "hf-internal-testing/tiny-random-bert"
        self.local = "./fixtures/tiny"

    def test_loads(self):
        tok = AutoTokenizer.from_pretrained(self.checkpoint)  # ok[pin-data-downloads]: data only
        tok = AutoTokenizer.from_pretrained(self.tiny)  # ok[pin-data-downloads]: data only
        tok = AutoTokenizer.from_pretrained(self.local)  # ok: a local fixture
        return tok


@pytest.mark.parametrize("model_id", ["openai-community/gpt2", "distilbert/distilgpt2"])
def test_generation(model_id):
    return AutoModel.from_pretrained(model_id)  # ok[pin-data-downloads]: data only


@pytest.mark.parametrize("model_id", ["openai-community/gpt2", "./local-model"])
def test_mixed(model_id):
    return AutoModel.from_pretrained(model_id)  # ok: not every value is a hub id


class SnapshotTest:
    base = "mistralai/Mistral-7B-v0.1"

    def setUp(self):
        self.weights = "openai-community/gpt2"

    def test_snapshots(self, tmp_path):
        folder = fetch_repo(self.base)  # expect: MLS203
        path = hf_hub_download(self.weights, "pytorch_model.bin")  # expect: MLS203
        code = hf_hub_download("org/custom-model", filename="modeling_custom.py")  # expect: MLS203
        cfg = hf_hub_download(self.weights, "config.json")  # ok[pin-data-downloads]: data only
        safe = fetch_repo(self.base, allow_patterns=["*.json", "*.safetensors"])  # ok[pin-data-downloads]: data only
        return folder, path, code, cfg, safe


@pytest.mark.parametrize("repo", ["Qwen/Qwen2.5-0.5B", "google/gemma-2-2b"])
def test_snapshot_each(repo):
    return fetch_repo(repo_id=repo)  # expect: MLS203
