"""MLS202 torch-hub-remote-code: torch.hub imports a GitHub repository's hubconf.py.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import torch
import torch.hub as th
from torch import hub
from torch.hub import load as hub_load

from mylib import hub as my_hub

REPO = "pytorch/vision:v0.10.0"
LOCAL = "local"


def fetch(source, repo_dir):
    model = torch.hub.load("pytorch/vision:v0.10.0", "resnet18", pretrained=True)  # expect: MLS202
    model = torch.hub.load(REPO, "resnet50", trust_repo=True)  # expect: MLS202
    model = hub.load("facebookresearch/dinov2", "dinov2_vits14")  # expect: MLS202
    model = th.load("ultralytics/yolov5", "yolov5s", source="github")  # expect: MLS202
    model = hub_load("snakers4/silero-vad", model="silero_vad", trust_repo="check")  # expect: MLS202
    entries = torch.hub.list("pytorch/vision")  # expect: MLS202
    doc = torch.hub.help("pytorch/vision", "resnet18")  # expect: MLS202
    return model, entries, doc


def fetch_locally(source, repo_dir):
    model = torch.hub.load(repo_dir, "resnet18", source="local")  # ok: a directory on disk
    model = torch.hub.load("./third_party/vision", "resnet18", source=LOCAL)  # ok
    model = torch.hub.load(repo_dir, "resnet18", source=source)  # ok: unresolvable, not guessed
    state = torch.hub.load_state_dict_from_url  # ok: not called here
    model = my_hub.load("pytorch/vision", "resnet18")  # ok: another library's hub
    model = torch.load("resnet18.pt", weights_only=True)  # ok: not torch.hub
    cache = torch.hub.get_dir()  # ok
    return model, state, cache
