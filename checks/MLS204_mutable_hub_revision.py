"""MLS204 mutable-hub-revision: revision= is a branch, tag or pull request, not a commit SHA.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
from functools import partial

from datasets import load_dataset
from huggingface_hub import hf_hub_download, snapshot_download
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer, pipeline

REVISION = "main"
PINNED = "86b5e0934494bd15c9632b12f734a8a67f723594"
HUB_KWARGS = {"revision": "v2.0"}


def download(model_id, revision):
    model = AutoModel.from_pretrained("bert-base-uncased", revision="main")  # expect: MLS204
    tok = AutoTokenizer.from_pretrained("bert-base-uncased", revision=REVISION)  # expect: MLS204
    model = AutoModel.from_pretrained("org/model", revision="v1.0")  # expect: MLS204
    model = AutoModel.from_pretrained("org/model", revision="refs/pr/12")  # expect: MLS204
    model = AutoModel.from_pretrained("org/model", revision="86b5e09")  # expect: MLS204
    model = AutoModel.from_pretrained("org/model", **HUB_KWARGS)  # expect: MLS204
    model = AutoModel.from_pretrained(model_id, revision="main")  # expect: MLS204
    path = hf_hub_download("org/model", "config.json", revision="main")  # expect: MLS204
    folder = snapshot_download(repo_id="org/model", revision="release")  # expect: MLS204
    data = load_dataset("org/data", revision="1.0.0")  # expect: MLS204
    enc = SentenceTransformer("org/encoder", revision="main")  # expect: MLS204
    clf = pipeline("text-classification", model="org/classifier", revision="main")  # expect: MLS204
    loader = partial(AutoModel.from_pretrained, "org/model", revision="main")  # expect: MLS204
    model = loader()  # ok: reported once, where the partial is made
    model = loader(revision="v2")  # expect: MLS204
    return model, tok, path, folder, data, enc, clf


def pinned(model_id, revision):
    model = AutoModel.from_pretrained("bert-base-uncased", revision=PINNED)  # ok
    model = AutoModel.from_pretrained("org/model", revision="86B5E0934494BD15C9632B12F734A8A67F723594")  # ok
    model = AutoModel.from_pretrained(model_id, revision=revision)  # ok: unresolvable, not guessed
    model = AutoModel.from_pretrained("./local/model", revision="main")  # ok: a local path ignores it
    model = AutoModel.from_pretrained("org/model", revision="main", local_files_only=True)  # ok
    data = load_dataset("json", data_files="a.json", revision="main")  # ok: packaged builder
    return model, data
