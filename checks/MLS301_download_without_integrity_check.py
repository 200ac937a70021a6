"""MLS301 download-without-integrity-check: weights and datasets fetched with no hash check.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import os
import urllib.request
from urllib.request import urlretrieve as fetch

import gdown
import tensorflow as tf
import torch
import wget
from keras.utils import get_file
from torch.hub import download_url_to_file, load_state_dict_from_url
from torch.utils import model_zoo
from torchvision.datasets.utils import download_and_extract_archive, download_url

from mylib import download as my_download

WEIGHTS = "https://example.org/resnet50-0676ba61.pth"
SHA256 = "0676ba61b0a5e0e5e9c2d8d2a2b3c9f6e0f6a3e1d9a1e8b3c7d0f2a4b6c8d0e1"
MD5 = "c8fa29ea5b2ecb0f2b5e5e0e2c5c0d21"


def fetch_everything(url, root, digest):
    urllib.request.urlretrieve(WEIGHTS, "resnet50.pth")  # expect: MLS301
    fetch(url, "data.tar.gz")  # expect: MLS301
    wget.download(url, out="model.bin")  # expect: MLS301
    gdown.download(url, "weights.pt", quiet=False)  # expect: MLS301
    gdown.cached_download(url, "weights.pt")  # expect: MLS301
    torch.hub.download_url_to_file(WEIGHTS, "resnet50.pth")  # expect: MLS301
    download_url_to_file(url, "resnet50.pth", None)  # expect: MLS301
    state = load_state_dict_from_url(WEIGHTS)  # expect: MLS301
    state = torch.hub.load_state_dict_from_url(WEIGHTS, check_hash=False)  # expect: MLS301
    state = model_zoo.load_url(WEIGHTS, map_location="cpu")  # expect: MLS301
    path = get_file("mnist.npz", origin=url)  # expect: MLS301
    path = tf.keras.utils.get_file("flowers", url, untar=True)  # expect: MLS301
    download_url(url, root)  # expect: MLS301
    download_and_extract_archive(url, root, filename="cifar.tar.gz")  # expect: MLS301
    return state, path


def fetch_checked(url, root, digest, **kwargs):
    torch.hub.download_url_to_file(WEIGHTS, "resnet50.pth", hash_prefix="0676ba61")  # ok
    download_url_to_file(url, "resnet50.pth", "0676ba61")  # ok
    state = load_state_dict_from_url(WEIGHTS, check_hash=True)  # ok
    state = torch.hub.load_state_dict_from_url(WEIGHTS, progress=True, check_hash=digest)  # ok: unresolvable
    path = get_file("mnist.npz", origin=url, file_hash=SHA256)  # ok
    path = tf.keras.utils.get_file("flowers", url, md5_hash=MD5)  # ok
    download_url(url, root, md5=MD5)  # ok
    download_url(url, root, "file.zip", MD5)  # ok
    download_and_extract_archive(url, root, md5=digest)  # ok: unresolvable, not guessed
    download_url(url, root, **kwargs)  # ok: unresolvable **kwargs
    gdown.cached_download(url, "weights.pt", hash="sha256:" + SHA256)  # ok
    my_download(url, "weights.pt")  # ok: another library
    return state, path


def fetch_recipe_data(url, root):
    from torchaudio.datasets.utils import download_url as audio_download

    audio_download(url, root, "voxpopuli.tsv.gz")  # expect: MLS301
    audio_download(url, root, "voxpopuli.tsv.gz", SHA256)  # ok
    audio_download(url, root, hash_value=SHA256, hash_type="sha256")  # ok


def stream_weights(url, target):
    import requests

    response = requests.get(url, stream=True, timeout=60)  # expect: MLS301
    with open(target, "wb") as f:
        for chunk in response.iter_content(chunk_size=1 << 20):
            f.write(chunk)


def stream_and_verify(url, target, expected_sha256):
    import hashlib

    import requests

    digest = hashlib.sha256()
    with requests.get(url, stream=True, timeout=60) as response, open(target, "wb") as f:  # ok: hashed
        for chunk in response.iter_content(chunk_size=1 << 20):
            digest.update(chunk)
            f.write(chunk)
    if digest.hexdigest() != expected_sha256:
        raise ValueError("checksum mismatch")


def stream_to_memory(url):
    import requests

    return requests.get(url, stream=True).json()  # ok: not saved to a file


def single_file_checkpoint(local_path):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_single_file(  # expect: MLS301
        "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/blob/main/v1-5-pruned.safetensors")
    pipe = StableDiffusionPipeline.from_single_file(local_path)  # ok: a local file
    return pipe


def fetch_and_verify(url, target, expected):
    import hashlib

    urllib.request.urlretrieve(url, target)  # ok: this function checks the digest below
    with open(target, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != expected:
            raise ValueError(f"{target}: checksum mismatch")


def _md5check(path, expected):
    import hashlib

    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest() == expected


def fetch_with_retries(url, target, md5sum):
    import requests

    while not (os.path.exists(target) and _md5check(target, md5sum)):
        with requests.get(url, stream=True) as response, open(target, "wb") as f:  # ok: checked by _md5check
            for chunk in response.iter_content(1 << 16):
                f.write(chunk)


def _file_md5(path):
    import hashlib

    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def _assert_md5(path, md5):
    if md5 and _file_md5(path) != md5:
        raise ValueError(f"{path}: md5 mismatch")


def fetch_raw(url, path):
    import requests

    response = requests.get(url, stream=True)  # ok: its only caller, fetch_resource, checks the md5
    with open(path, "wb") as f:
        for chunk in response.iter_content(1 << 16):
            f.write(chunk)


def fetch_resource(url, path, md5):
    fetch_raw(url, path)
    _assert_md5(path, md5)


class DatasetLoader:
    def download(self, url, path):
        urllib.request.urlretrieve(url, path)  # ok: the one caller, prepare(), runs verify() after it

    def verify(self, path, expected):
        if _file_md5(path) != expected:
            raise ValueError("checksum mismatch")

    def prepare(self, url, path, expected):
        self.download(url, path)
        self.verify(path, expected)


def fetch_unchecked_too(url, path):
    urllib.request.urlretrieve(url, path)  # expect: MLS301


def fetch_model(url, md5):
    fetch_unchecked_too(url, "model.bin")
    _assert_md5("model.bin", md5)


def fetch_model_unchecked(url):
    fetch_unchecked_too(url, "other.bin")  # one caller checks no digest: still reported


def _cached_download(url, path):
    urllib.request.urlretrieve(url, path)  # expect: MLS301


def load_cached(url, path, md5):
    if os.path.exists(path) and _file_md5(path) != md5:
        os.remove(path)  # the cached copy is checked, the new download is not
    if not os.path.exists(path):
        _cached_download(url, path)
    return path


def download_google_drive(url, path):
    import requests

    with requests.Session() as session:
        with session.get(url, stream=True) as response:  # ok: only the confirmation cookie is read
            for key, value in response.cookies.items():
                if key.startswith("download_warning"):
                    url = url + "&confirm=" + value
        with session.get(url, stream=True) as response:  # expect: MLS301
            with open(path, "wb") as f:
                for chunk in response.iter_content(1 << 16):
                    f.write(chunk)


def urlopen_to_file(url, filename):
    with urllib.request.urlopen(urllib.request.Request(url)) as response:  # expect: MLS301
        with open(filename, "wb") as fh:
            while chunk := response.read(1 << 15):
                fh.write(chunk)


def urlopen_checked(url, filename, expected_sha256):
    import hashlib

    with urllib.request.urlopen(url) as source, open(filename, "wb") as output:  # ok: checked below
        output.write(source.read())
    with open(filename, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != expected_sha256:
            raise RuntimeError("checksum mismatch")


def urlopen_json(url):
    import json

    with urllib.request.urlopen(url) as response:  # ok: nothing is written to a file
        return json.load(response)


def fetch_branding(logo_url, static_dir):
    """A fixed image file for the UI (a favicon, a splash screen) is not a model or dataset."""
    import shutil

    import requests

    r = requests.get(logo_url, stream=True)  # ok: saved as a fixed image file name
    with open(f"{static_dir}/favicon.png", "wb") as f:
        shutil.copyfileobj(r.raw, f)


def fetch_training_images(urls, image_dir):
    import shutil

    import requests

    for i, url in enumerate(urls):
        r = requests.get(url, stream=True)  # expect: MLS301 (numbered images: a dataset)
        with open(f"{image_dir}/{i}.jpg", "wb") as f:
            shutil.copyfileobj(r.raw, f)
