"""MLS303 plaintext-http-download: models, data and API calls fetched over plain http://.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import urllib.request
from functools import partial

import httpx
import pandas as pd
import requests
import torch
from openai import OpenAI

BASE = "http://models.example.org"
WEIGHTS_URL = "http://models.example.org/resnet50-0676ba61.pth"
LOCAL_SERVER = "http://localhost:8000/v1"
DOCS = "http://example.org/docs"


def fetch(name, host, port):
    r = requests.get("https://models.example.org/vocab.txt")  # expect: MLS303
    r = requests.get(WEIGHTS_URL, timeout=30)  # expect: MLS303
    r = requests.get(f"{BASE}/{name}.bin")  # expect: MLS303
    r = requests.get(f"https://data.example.org/{name}.csv")  # expect: MLS303
    r = requests.post(BASE + "/predict", json={})  # expect: MLS303
    r = httpx.get("https://data.example.org/train.jsonl")  # expect: MLS303
    page = urllib.request.urlopen("https://example.org/labels.txt")  # expect: MLS303
    state = torch.hub.load_state_dict_from_url(WEIGHTS_URL, check_hash=True)  # expect: MLS303
    frame = pd.read_csv("https://example.org/iris.csv")  # expect: MLS303
    client = OpenAI(base_url="https://gpu-box.internal:8000/v1", api_key="EMPTY")  # expect: MLS303
    session = requests.Session()
    r = session.get("https://models.example.org/config.json")  # expect: MLS303
    fetch = partial(requests.get, "https://models.example.org/labels.json")  # expect: MLS303
    r = fetch(timeout=10)  # ok: reported once, where the partial is made
    return r, page, state, frame, client


def fetch_safely(name, host, port, url):
    r = requests.get("https://models.example.org/vocab.txt")  # ok
    r = requests.get("http://localhost:8080/health")  # ok: loopback
    r = requests.get("http://127.0.0.1:5000/predict")  # ok: loopback
    r = requests.get("http://[::1]:5000/predict")  # ok: loopback
    r = requests.get(f"{LOCAL_SERVER}/models")  # ok: loopback
    r = requests.get("http://169.254.169.254/latest/meta-data/iam/info", timeout=2)  # ok: link-local metadata
    token = requests.put("http://[fd00:ec2::254]/latest/api/token")  # ok: AWS metadata, IPv6
    zone = requests.get("http://metadata.google.internal/computeMetadata/v1/instance/zone",  # ok: GCP
                        headers={"Metadata-Flavor": "Google"})
    r = requests.get(f"http://{host}:{port}/v1/models")  # ok: the host is not known
    r = requests.get(url)  # ok: unresolvable
    client = OpenAI(base_url="http://localhost:11434/v1", api_key="ollama")  # ok: a local model server
    frame = pd.read_csv("data/iris.csv")  # ok
    link = DOCS  # ok: a URL that is not fetched here
    print("see http://example.org/docs")  # ok: not a fetch
    return r, client, frame, link
