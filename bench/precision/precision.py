#!/usr/bin/env python3
"""Precision of ml-seclint on real ML packages, against findings judged by reading the code.

    python bench/precision/precision.py                    # download (once), check, compare
    python bench/precision/precision.py --package timm     # one package (repeatable)
    python bench/precision/precision.py --write            # also update bench/PRECISION.md
    python bench/precision/precision.py --unjudged-csv F   # write unjudged findings as CSV rows

Standard library only. Run it with the interpreter of an environment where ml-seclint is
installed (it runs `python -m ml_seclint check`). Pinned source archives (sdists: they ship the
tests, examples and scripts where much of the noise lives) are downloaded from PyPI into
bench/precision/.cache/archives/, checked against the sha256 pinned below, and unpacked (only .py,
.ipynb, pyproject.toml, setup.cfg and requirements files) into
bench/precision/.cache/src/NAME-VERSION/. Once the cache is filled the script works offline.
Every finding is normalised to (package, version, path relative to the package root, line, code)
and looked up in verdicts.csv, whose rows say whether a human reading the code judged the finding
true, false or debatable, and why. See bench/PRECISION.md.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".cache"
ARCHIVES_DIR = CACHE_DIR / "archives"
SRC_DIR = CACHE_DIR / "src"
VERDICTS_CSV = HERE / "verdicts.csv"
PRECISION_MD = HERE.parent / "PRECISION.md"

START_MARKER = "<!-- precision -->"
END_MARKER = "<!-- /precision -->"

PYPI_JSON = "https://pypi.org/pypi/{name}/{version}/json"
PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"

COLUMNS = ("package", "version", "path", "line", "code", "verdict", "reason")
VERDICTS = ("true", "false", "debatable")
CONTEXTS = ("library", "test", "example", "script", "docs", "vendored")
UNPACKED = ".precision-complete"  # marker: the package directory is completely unpacked
KEEP_SUFFIXES = (".py", ".ipynb")
KEEP_NAMES = ("pyproject.toml", "setup.cfg")  # dependency floors (torch>=2.6) change what rules report
#: requirements files too: setup.py projects declare their dependency floors there
KEEP_REQUIREMENTS = re.compile(r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    filename: str  # the sdist (or, where the sdist lacks the code, a wheel) on PyPI
    sha256: str

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


# Pinned archives; sha256 from PyPI's JSON API (`digests.sha256` of the file).
PACKAGES: tuple[Package, ...] = (
    Package("sentence-transformers", "6.3.0", "sentence_transformers-6.3.0.tar.gz",
            "a19acbf76a958817136ee4e89f90b483255d77f3dc9a7309814f7600592c450e"),
    Package("timm", "1.0.31", "timm-1.0.31.tar.gz",
            "baa0b333339c46d3d6d4965d99b69f5053afed71210e8f433d7ea5ee6a18f0ec"),
    Package("open_clip_torch", "3.3.0", "open_clip_torch-3.3.0.tar.gz",
            "904b1a9f909df8281bb3de60ab95491cd2994a509177ea4f9d6292a84fe24d6d"),
    Package("keras", "3.15.1", "keras-3.15.1.tar.gz",
            "92ae7c1dd7f61041953dc2d42253181ee099086f0b58ae36fcf98147a6f08a29"),
    Package("langchain-community", "0.4.2", "langchain_community-0.4.2.tar.gz",
            "a99308160d53d7e9b5965ee665e5173709914338210089fd5788ad724432c21e"),
    Package("llama-index-core", "0.14.25", "llama_index_core-0.14.25.tar.gz",
            "4ebfdc5317f0382501fa80262d7a7382715f80741cf41a7b11a52d4335e6f696"),
    Package("litellm", "1.110.2", "litellm-1.110.2.tar.gz",
            "a483c8d3078c1bd27a9fe9c831ac2ce09d41b728a7ea6e9a3ce48db276edeef5"),
    Package("mlflow", "3.18.0", "mlflow-3.18.0.tar.gz",
            "04e912d5b154b417c5930ba47ef3dc2f74738fb3ba93e3d70499955ec8884540"),
    Package("gradio", "6.31.0", "gradio-6.31.0.tar.gz",
            "40cf094fe8ea1b8ada0fc4c10b685c4c5f09c4061d34c073be25bab342e14e22"),
    Package("bentoml", "1.4.40", "bentoml-1.4.40.tar.gz",
            "e46c06da1577b669d178541873b5938ac772e3882339b942e138a0c8fb245abc"),
    Package("ultralytics", "8.4.190", "ultralytics-8.4.190.tar.gz",
            "c7a0ebb21d10f1de98682b6a4dc22bc0d1d0634b9398c086bd03b1e5bf40cbc3"),
    Package("vllm", "0.34.0", "vllm-0.34.0.tar.gz",
            "fcad848b246a9d8652b47e6425af92334dc02492f9802720f54e27b823cf0113"),
    # added by the second precision study (precision2)
    Package("colossalai", "0.5.0", "colossalai-0.5.0.tar.gz",
            "883913dfd1165937f444f2673752475efdc63506c4bc3d00af33c7c8fac6d39d"),
    Package("deepspeed", "0.19.8", "deepspeed-0.19.8.tar.gz",
            "9e491abd0827ea5c389dd702e15e11e13d83d904bac4a20d6c2a4cb37207a9af"),
    Package("flair", "0.15.1", "flair-0.15.1.tar.gz",
            "780b4eeffba044c4a181f1810872fc01201c2eaed8d2ef4bcb126a6464e91933"),
    Package("lightning", "2.6.6", "lightning-2.6.6.tar.gz",
            "1c6329e241f8a85f29fedead89c1ee138b36caa08de60c260c6a7eaee81c8295"),
    Package("litgpt", "0.5.13", "litgpt-0.5.13.tar.gz",
            "77be78814d0334e8e32ee6dac417e9718ebad45529458995ca255af24cf15cf3"),
    Package("llamafactory", "0.9.5", "llamafactory-0.9.5.tar.gz",
            "1702c0bfb864e80577a59521d2edcacd2aab05ec6aee06188fcba335a589681f"),
    Package("llmcompressor", "0.14.0.1", "llmcompressor-0.14.0.1.tar.gz",
            "073d24101072675c701a646d3aa6daa02d99d501e1a851b975cfd06319eae8b1"),
    Package("mmengine", "0.10.7", "mmengine-0.10.7.tar.gz",
            "d20ffcc31127567e53dceff132612a87f0081de06cbb7ab2bdb7439125a69225"),
    Package("ms-swift", "4.6.0", "ms_swift-4.6.0.tar.gz",
            "8483da407748abc01e106b54c25d6453eb2ef4a6e136dab001b9a522c9c80d71"),
    Package("nemo_toolkit", "3.0.0", "nemo_toolkit-3.0.0.tar.gz",
            "d4cf6d3fc3c3bf28b29efbdeb3d2a32ea2564a642269effd56d9b7a6fe087d91"),
    Package("optimum", "2.3.0", "optimum-2.3.0.tar.gz",
            "aa96ad535a5cec68d12c6372574125452284632fe13699633a61e8bbfb09c4df"),
    Package("paddlenlp", "2.8.1", "paddlenlp-2.8.1.tar.gz",
            "dda5f07255c6e6658e5adabcfc8fcf4730e2770dab166a6516173689fccc686d"),
    Package("speechbrain", "1.1.2", "speechbrain-1.1.2.tar.gz",
            "a49328b61f6e6caa0e01ab4e32bc15b564114953e30718b1379d2e1d764e426a"),
    Package("verl", "0.9.1", "verl-0.9.1.tar.gz",
            "3e03d8816b2546b2c5580705671b8d0bb3f79b8364e7b5c56dbfc1245536ba22"),
    Package("xtuner", "0.2.0", "xtuner-0.2.0.tar.gz",
            "bcb5e28116e7ac9474bcd71ba8e1c9cc95256ee8a2f6831818985c0d20b68440"),
    # added by the third precision study (study3): packages nobody had tuned the rules against
    Package("smolagents", "1.26.0", "smolagents-1.26.0.tar.gz",
            "4ec92313265f9cfbcabfc88e192b4bc4505f8475dc5f33dc872062fc567037bd"),
    Package("FlagEmbedding", "1.4.2", "flagembedding-1.4.2.tar.gz",
            "c9dfd0faac52ae7f87a7ac47bd58fdacdd0ce3ef48a097b8255ddc86df88bb1b"),
    Package("stanza", "1.15.0", "stanza-1.15.0.tar.gz",
            "69f18af136ac5f88611f930af8dc37e89ae9e073e23860b3604bad9a941b44b2"),
    Package("pyannote.audio", "4.0.7", "pyannote_audio-4.0.7.tar.gz",
            "3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229"),
    Package("dspy", "3.4.1", "dspy-3.4.1.tar.gz",
            "6803449c11818efd10537da22e509a87af1bd30796053d1a6c82421f2afaa461"),
    Package("whisperx", "3.8.6", "whisperx-3.8.6.tar.gz",
            "d647aecaa6c2f413bb924d722d925878ef300c99093ca49cd6cb7840bdbffe0e"),
    Package("pytorch-metric-learning", "2.9.0", "pytorch-metric-learning-2.9.0.tar.gz",
            "27a626caf5e2876a0fd666605a78cb67ef7597e25d7a68c18053dd503830701f"),
    Package("fairchem-core", "2.24.0", "fairchem_core-2.24.0.tar.gz",
            "7a43615eb2596975bb74f5e4d9ecb0cf5bdc4f0e49de241172ea812a84c54703"),
    Package("autogluon.multimodal", "1.6.3", "autogluon_multimodal-1.6.3.tar.gz",
            "a64ed687d71b80a8d3a7714a6d7827f4916a23a9eab22b8e6fcda29de37239cc"),
    Package("crewai", "1.15.30", "crewai-1.15.30.tar.gz",
            "17de4b7cc3f2c207033e9f82be4f7d749e540b0e415a3885a8d97bb43a90a318"),
    Package("funasr", "1.4.16", "funasr-1.4.16.tar.gz",
            "1e2f8e3887fbc4b164cce40f73bf1324907da6ab59d1e8bf2add827f534c69e7"),
    Package("coqui-tts", "0.28.0", "coqui_tts-0.28.0.tar.gz",
            "0d19e499cafd49a3af94af222e6937c12d64f2a27ecb81fd77df4ba3581c090c"),
    Package("llm-foundry", "0.22.0", "llm_foundry-0.22.0.tar.gz",
            "0b3cda380d7c2c7dba7d77338e033b6be033dc90b8552dab402917320e1591b2"),
    Package("open-webui", "0.12.4", "open_webui-0.12.4.tar.gz",
            "04bff683181768a4c0ab32cd7b4f208f512622fe0066b4e5df22a05a96ac4628"),
    Package("ludwig", "0.17.10", "ludwig-0.17.10.tar.gz",
            "1c827c25b6da6987538b90d010523482dd09d1fc22fce7a96ab3d75e3574bf5c"),
    Package("evalscope", "1.14.1", "evalscope-1.14.1.tar.gz",
            "843cf1e29bad09d4fa751c6b9001c69ddf90c7dc55cd9a4d86dc738db127583b"),
    Package("mosaicml", "0.32.1", "mosaicml-0.32.1.tar.gz",
            "417c8aa574e22d39368a434eec0800268b275cb1cc2c8af8bc187475da4953d3"),
    Package("autogen-agentchat", "0.7.5", "autogen_agentchat-0.7.5.tar.gz",
            "8d9c718db52ef24a518806b3a0ef848f0e4c1902877675dc0abed73a8e6e7755"),
    Package("nnunetv2", "2.8.1", "nnunetv2-2.8.1.tar.gz",
            "63646638f1bbbaaa9f2a7f92dda44b992581435e45556529f0d8190f6c80dfcc"),
    Package("torchgeo", "0.10.1", "torchgeo-0.10.1.tar.gz",
            "9dfb36737e1ddb4156cd51244bf4247c4a2bafd0d177e7b6d59288ca8ae848b7"),
    Package("deepchem", "2.8.0", "deepchem-2.8.0.tar.gz",
            "ba3f0cf3b589a33dd70757b1045600f52bb539bcd2b6fed9058cb76c7e9d4538"),
    Package("pykeen", "1.11.1", "pykeen-1.11.1.tar.gz",
            "702cb807c354a0d2fce0f0593db46e1fe15fba2a37e92bbb18cd1b9d0a85fe13"),
    Package("kornia", "0.9.0", "kornia-0.9.0.tar.gz",
            "65e82219b10e73289fb8cb3c739879d917e6908c0a977b1d65f388cba1741f71"),
    Package("sahi", "0.12.8", "sahi-0.12.8.tar.gz",
            "f2074b3b3aa0f655dbdd69fbb1f1a0b985220f5fb3d920a4206eba160d37028a"),
    Package("gluonts", "0.17.0", "gluonts-0.17.0.tar.gz",
            "f815d4a069be974a2a62c0eb7409a0b6c5c58fd960b562ba2a530fc2d5763c7e"),
    Package("lerobot", "0.6.1", "lerobot-0.6.1.tar.gz",
            "2111d67d72d9f6c2379e3b8d3ea41b58855066314d88f9c0893579b7707f04b5"),
    Package("chronos-forecasting", "2.3.2", "chronos_forecasting-2.3.2.tar.gz",
            "910b0891310b74598a937bb9fe8447ea16393bcc2e1ad8d328c1f8099f909201"),
    Package("outlines", "1.3.3", "outlines-1.3.3.tar.gz",
            "5dcd1b9d261ced1337042d6b1fd2bb4e706a09a0121957bcd9eb331d1ea6940c"),
    Package("fschat", "0.2.36", "fschat-0.2.36.tar.gz",
            "ac724458bb105cb5b3b9ec852150345dfa7f61fd7c275d6635d66fa1ed904d90"),
    Package("mmdet", "3.3.0", "mmdet-3.3.0.tar.gz",
            "fe8cc2685d60a2a4f2530a4e92aa6269fe45af93265303a31bf4ea463eb3164f"),
    Package("llama-stack", "0.7.3", "llama_stack-0.7.3.tar.gz",
            "5b1f04ec6758c88ab308cee1683bf6e2429aefc151cabd94fb05cc3a1d6ced63"),
    Package("asteroid", "0.7.0", "asteroid-0.7.0.tar.gz",
            "0326f28c5342495cb08ba0520efd0e21e39435dfd78854837fdd5a6c9c9ca410"),
    Package("guidance", "0.3.1", "guidance-0.3.1.tar.gz",
            "60fe7e308596aecb7676d9165a14630992ee3eeb48f0dd086ce2ea9d40e01ca8"),
    Package("tsai", "1.0.1", "tsai-1.0.1.tar.gz",
            "7ef31c7de6bf5ff551a5e3f0fbae8ee92a2cc550b1381e82485be7cd724bc012"),
    Package("nanotron", "0.4", "nanotron-0.4.tar.gz",
            "7ea378eb1b6b16c93a3021fcfd71dd73bd14d826126eae215e2b02e05cd6a120"),
    Package("salesforce-lavis", "1.0.2", "salesforce-lavis-1.0.2.tar.gz",
            "778f6be1717a6e60ca7787f164bd04f8f361694baf04154805e9ac9c27a08a37"),
    Package("espnet", "202611", "espnet-202611.tar.gz",
            "eb5816c4d2e4a18eaa2afacc2f8cf74f93e5534dec0fdcee0b2c89b6f7ddd1fd"),
)


# -- corpus ------------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_json(url: str) -> Optional[dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def archive_url(package: Package) -> str:
    """The download URL of the pinned file, from PyPI's JSON API (the release endpoint, or the
    project endpoint's `releases` where a mirror does not serve the release endpoint)."""
    for url in (PYPI_JSON.format(name=package.name, version=package.version),
                PYPI_PROJECT_JSON.format(name=package.name)):
        data = _fetch_json(url)
        if not data:
            continue
        files = list(data.get("urls", [])) + list(data.get("releases", {}).get(package.version, []))
        for entry in files:
            if entry.get("filename") == package.filename:
                return urllib.parse.urljoin(url, entry["url"])
    raise RuntimeError(f"{package.filename}: not found in PyPI's JSON API")


def download(package: Package) -> Path:
    """The verified archive in the cache, downloaded if it is not there yet."""
    target = ARCHIVES_DIR / package.filename
    if target.is_file() and sha256_of(target) == package.sha256:
        return target
    ARCHIVES_DIR.mkdir(parents=True, exist_ok=True)
    url = archive_url(package)
    print(f"downloading {url}", file=sys.stderr)
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=300) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    actual = sha256_of(partial)
    if actual != package.sha256:
        partial.unlink()
        raise RuntimeError(f"{package.filename}: sha256 {actual} != pinned {package.sha256}")
    partial.replace(target)
    return target


def _keep(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    return name.endswith(KEEP_SUFFIXES) or name in KEEP_NAMES or bool(KEEP_REQUIREMENTS.search(relpath))


def _marker(package: Package) -> str:
    """The completion marker's text: the archive and what was kept (a changed keep list unpacks
    again)."""
    return f"{package.filename} keep={','.join(KEEP_SUFFIXES + KEEP_NAMES)},requirements\n"


def _strip_top(name: str) -> Optional[str]:
    """Archive member name without the sdist's top directory (`pkg-1.0/`); None if unsafe."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if len(parts) < 2 or ".." in parts:
        return None
    return "/".join(parts[1:])


def unpack(package: Package, archive: Path) -> Path:
    """Unpack the kept files of `archive` into SRC_DIR/NAME-VERSION (reused when complete)."""
    root = SRC_DIR / package.key
    marker = root / UNPACKED
    if marker.is_file() and marker.read_text() == _marker(package):
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                # a wheel has no top directory: keep its names as they are
                rel = info.filename if archive.name.endswith(".whl") else _strip_top(info.filename)
                if rel and not info.is_dir() and _keep(rel) and ".." not in rel.split("/"):
                    _write(root / rel, zf.read(info))
    else:
        with tarfile.open(archive) as tf:
            for member in tf:
                rel = _strip_top(member.name)
                if rel and member.isfile() and _keep(rel):
                    handle = tf.extractfile(member)
                    if handle is not None:
                        _write(root / rel, handle.read())
    marker.write_text(_marker(package))
    return root


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def isolate_corpus() -> None:
    """An empty [tool.ml-seclint] table above the packages, so that the configuration search stops
    there instead of reaching this repository (each package's own pyproject.toml still supplies
    its dependency floors, as it would for its developers)."""
    SRC_DIR.mkdir(parents=True, exist_ok=True)
    stub = SRC_DIR / "pyproject.toml"
    if not stub.is_file():
        stub.write_text("# precision corpus: default ml-seclint settings\n[tool.ml-seclint]\n")


# -- findings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    path: str
    line: int
    code: str
    message: str = field(default="", compare=False)
    severity: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.package, self.version, self.path, self.line, self.code)


@dataclass(frozen=True)
class Verdict:
    package: str
    version: str
    path: str
    line: int
    code: str
    verdict: str
    reason: str

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.package, self.version, self.path, self.line, self.code)


def run_ml_seclint(root: Path, jobs: int = 2) -> dict:
    """`ml-seclint check --format json --exit-zero` on one package tree, as parsed JSON."""
    command = [sys.executable, "-m", "ml_seclint", "check", "--format", "json", "--exit-zero",
               "--jobs", str(jobs), "."]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ml-seclint failed on {root} ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def normalise(package: str, version: str, report: dict, root: Optional[Path] = None) -> list[Finding]:
    """The findings of one JSON report as (package, version, path, line, code); paths relative to
    the package root with `/` separators; a notebook finding's path ends in `:cell N`."""
    findings = []
    for item in report.get("findings", []):
        path = item["path"].replace("\\", "/")
        if root is not None and os.path.isabs(path):
            path = os.path.relpath(path, root).replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        if item.get("cell") is not None:
            path = f"{path}:cell {item['cell']}"
        findings.append(Finding(package, version, path, int(item["line"]), item["code"],
                                item.get("message", ""), item.get("severity", "")))
    findings.sort(key=lambda f: (f.package, f.path, f.line, f.code))
    return findings


def check_package(package: Package, jobs: int = 2) -> list[Finding]:
    root = unpack(package, download(package))
    return normalise(package.name, package.version, run_ml_seclint(root, jobs), root)


# -- verdicts ----------------------------------------------------------------------------------

def read_verdicts(path: Path) -> list[Verdict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: columns must be {','.join(COLUMNS)}, not {reader.fieldnames}")
        rows = []
        for number, row in enumerate(reader, start=2):
            if row["verdict"] not in VERDICTS:
                raise ValueError(f"{path}:{number}: verdict {row['verdict']!r} is not one of {VERDICTS}")
            if not row["reason"].strip():
                raise ValueError(f"{path}:{number}: a verdict needs a reason")
            rows.append(Verdict(row["package"], row["version"], row["path"], int(row["line"]),
                                row["code"], row["verdict"], row["reason"].strip()))
    return rows


def write_verdicts(path: Path, rows: Iterable[Verdict]) -> None:
    rows = sorted(rows, key=lambda v: (v.package, v.path, v.line, v.code))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for v in rows:
            writer.writerow((v.package, v.version, v.path, v.line, v.code, v.verdict, v.reason))


def context_of(path: str, reason: str = "") -> str:
    """Where a finding is: the context a verdict's reason starts with (`test: ...`), else a guess
    from the path."""
    head = reason.split(":", 1)[0].strip().lower() if ":" in reason else ""
    if head in CONTEXTS:
        return head
    parts = path.split(":cell ", 1)[0].lower().split("/")
    name = parts[-1]
    dirs = set(parts[:-1])
    if dirs & {"vendor", "_vendor", "vendored", "third_party", "thirdparty", "_vendored"}:
        return "vendored"
    if (dirs & {"tests", "test", "testing", "unittests", "_test_utils"} or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py"):
        return "test"
    if dirs & {"examples", "example", "cookbook", "recipes", "tutorials", "notebooks"}:
        return "example"
    if dirs & {"docs", "doc"}:
        return "docs"
    if dirs & {"scripts", "tools", "benchmarks", "bin", ".buildkite", ".github"}:
        return "script"
    return "library"


@dataclass
class Comparison:
    judged: list[tuple[Finding, Verdict]]
    unjudged: list[Finding]
    stale: list[Verdict]


def compare(findings: Sequence[Finding], verdicts: Sequence[Verdict],
            packages: Optional[Iterable[str]] = None) -> Comparison:
    """Match findings and verdict rows on (package, version, path, line, code). Two findings with
    the same key take one row each, in order; a finding without a row is unjudged, a row without
    a finding (of a package that was checked) is stale."""
    checked = set(packages) if packages is not None else {f.package for f in findings}
    rows: dict[tuple, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if v.package in checked:
            rows[v.key].append(v)
    judged, unjudged = [], []
    for f in findings:
        candidates = rows.get(f.key)
        if candidates:
            judged.append((f, candidates.pop(0)))
        else:
            unjudged.append(f)
    stale = sorted((v for left in rows.values() for v in left),
                   key=lambda v: (v.package, v.path, v.line, v.code))
    return Comparison(judged, unjudged, stale)


@dataclass
class Tally:
    true: int = 0
    false: int = 0
    debatable: int = 0
    unjudged: int = 0

    def add(self, verdict: Optional[str]) -> None:
        if verdict is None:
            self.unjudged += 1
        else:
            setattr(self, verdict, getattr(self, verdict) + 1)

    @property
    def judged(self) -> int:
        return self.true + self.false + self.debatable

    @property
    def strict(self) -> Optional[float]:
        return self.true / self.judged if self.judged else None

    @property
    def lenient(self) -> Optional[float]:
        return (self.true + self.debatable) / self.judged if self.judged else None


def tallies(comparison: Comparison, by: str = "code") -> dict[str, Tally]:
    """Tallies keyed by `code`, `package`, `context`, `severity` or `code/context`; `total` holds
    the sum. By severity, `high and above` is what a CI gate with `--fail-on high` acts on."""
    result: dict[str, Tally] = defaultdict(Tally)

    def keys(f: Finding, reason: str) -> list[str]:
        if by == "code":
            return [f.code]
        if by == "package":
            return [f"{f.package} {f.version}"]
        if by == "context":
            return [context_of(f.path, reason)]
        if by == "severity":
            return [f.severity, "high and above"] if f.severity in ("high", "critical") else [f.severity]
        return [f"{f.code}/{context_of(f.path, reason)}"]

    for f, v in comparison.judged:
        for k in keys(f, v.reason):
            result[k].add(v.verdict)
        result["total"].add(v.verdict)
    for f in comparison.unjudged:
        for k in keys(f, ""):
            result[k].add(None)
        result["total"].add(None)
    return dict(result)


# -- report ------------------------------------------------------------------------------------

def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


_SEVERITY_ORDER = {"critical": 0, "high": 1, "high and above": 2, "medium": 3, "low": 4}


def _sorted_keys(table: dict[str, Tally]) -> list[str]:
    keys = sorted((k for k in table if k != "total"), key=lambda k: (_SEVERITY_ORDER.get(k, 9), k))
    return keys + (["total"] if "total" in table else [])


def precision_table(table: dict[str, Tally], label: str = "rule") -> str:
    lines = [f"| {label} | findings | true | false | debatable | unjudged | strict precision | "
             "lenient precision |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in _sorted_keys(table):
        t = table[key]
        name = f"**{key}**" if key == "total" else key
        lines.append(f"| {name} | {t.judged + t.unjudged} | {t.true} | {t.false} | {t.debatable} | "
                     f"{t.unjudged} | {_pct(t.strict)} | {_pct(t.lenient)} |")
    return "\n".join(lines)


def rule_by_package_table(findings: Sequence[Finding]) -> str:
    codes = sorted({f.code for f in findings})
    counts = Counter((f"{f.package} {f.version}", f.code) for f in findings)
    packages = sorted({f"{f.package} {f.version}" for f in findings})
    lines = ["| package | " + " | ".join(codes) + " | total |",
             "| --- | " + " | ".join("---:" for _ in codes) + " | ---: |"]
    for p in packages:
        row = [counts[(p, c)] for c in codes]
        lines.append(f"| {p} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    totals = [sum(counts[(p, c)] for p in packages) for c in codes]
    lines.append("| **total** | " + " | ".join(str(n) for n in totals) + f" | {sum(totals)} |")
    return "\n".join(lines)


def context_share_table(comparison: Comparison) -> str:
    """Per rule, how many findings are in each context (from the verdict's reason, else the path)."""
    counts: Counter = Counter()
    for f, v in comparison.judged:
        counts[(f.code, context_of(f.path, v.reason))] += 1
    for f in comparison.unjudged:
        counts[(f.code, context_of(f.path))] += 1
    codes = sorted({code for code, _ in counts})
    lines = ["| rule | " + " | ".join(CONTEXTS) + " | total |",
             "| --- | " + " | ".join("---:" for _ in CONTEXTS) + " | ---: |"]
    for code in codes + ["total"]:
        row = [sum(n for (c, ctx), n in counts.items() if ctx == context and code in (c, "total"))
               for context in CONTEXTS]
        total = sum(row)
        cells = [f"{n} ({100 * n / total:.0f}%)" if n else "0" for n in row]
        name = "**total**" if code == "total" else code
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {total} |")
    return "\n".join(lines)


def corpus_table(stats: dict[str, dict]) -> str:
    lines = ["| package | version | archive | .py files | findings | MLS000 |",
             "| --- | --- | --- | ---: | ---: | ---: |"]
    for key in sorted(stats):
        s = stats[key]
        lines.append(f"| {s['name']} | {s['version']} | `{s['filename']}` | {s['files']:,} | "
                     f"{s['findings']} | {s.get('unchecked', 0)} |")
    total = {k: sum(s.get(k, 0) for s in stats.values()) for k in ("files", "findings", "unchecked")}
    lines.append(f"| **total** | | | {total['files']:,} | {total['findings']} | {total['unchecked']} |")
    return "\n".join(lines)


def short_message(message: str) -> str:
    """The message without its trailing guideline/CWE bracket."""
    return message.split(" [AI guideline", 1)[0].strip()


def _finding_line(f: Finding) -> str:
    return f"{f.package} {f.version} {f.path}:{f.line} {f.code} {short_message(f.message)}".rstrip()


def unchecked_summary(unchecked: Sequence[Finding]) -> list[str]:
    """MLS000 findings (files a rule could not check) grouped by package and reason."""
    counts = Counter((f"{f.package} {f.version}", short_message(f.message)[:120]) for f in unchecked)
    return [f"  {n} x {package}: {reason}" for (package, reason), n in sorted(counts.items())]


def render_text(comparison: Comparison, findings: Sequence[Finding]) -> str:
    out = ["Findings per rule and package:", rule_by_package_table(findings), "",
           "Precision per rule (strict = true/judged, lenient = (true+debatable)/judged):",
           precision_table(tallies(comparison, "code")), "",
           "Precision per context:", precision_table(tallies(comparison, "context"), "context"), "",
           "Precision per severity:", precision_table(tallies(comparison, "severity"), "severity"), ""]
    out.append(f"Findings with no verdict yet: {len(comparison.unjudged)}")
    out.extend("  " + _finding_line(f) for f in comparison.unjudged)
    out.append(f"Verdicts that match no finding (removed by a rule change?): {len(comparison.stale)}")
    out.extend(f"  {v.package} {v.version} {v.path}:{v.line} {v.code} [{v.verdict}] {v.reason}"
               for v in comparison.stale)
    removed_true = sum(v.verdict == "true" for v in comparison.stale)
    if removed_true:
        out.append(f"  of which {removed_true} judged true: recall lost")
    return "\n".join(out)


def render_markdown(comparison: Comparison, findings: Sequence[Finding], stats: dict[str, dict],
                    version: str, unchecked: Sequence[Finding] = ()) -> str:
    parts = [
        f"Produced by `python bench/precision/precision.py --write` with {version}.", "",
        "### Corpus", "", corpus_table(stats), "",
        "### Findings per rule and package", "", rule_by_package_table(findings), "",
        "### Precision per rule", "",
        "Strict precision = true / judged; lenient = (true + debatable) / judged.", "",
        precision_table(tallies(comparison, "code")), "",
        "### Precision per package", "", precision_table(tallies(comparison, "package"), "package"), "",
        "### Precision per context", "", precision_table(tallies(comparison, "context"), "context"), "",
        "### Precision per severity", "",
        "What a CI gate on a severity sees (`--fail-on high`, `--severity high`).", "",
        precision_table(tallies(comparison, "severity"), "severity"), "",
        "### Where the findings are (context per rule)", "", context_share_table(comparison), "",
        f"Findings with no verdict: {len(comparison.unjudged)}. "
        f"Verdicts that match no finding: {len(comparison.stale)}"
        f" ({sum(v.verdict == 'true' for v in comparison.stale)} of them true).",
    ]
    if unchecked:
        parts += ["", f"Files where a rule failed (`MLS000`, not counted above): {len(unchecked)}.", "",
                  "```", *(line.strip() for line in unchecked_summary(unchecked)), "```"]
    return "\n".join(parts)


def replace_between_markers(text: str, block: str) -> str:
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"markers {START_MARKER} ... {END_MARKER} not found")
    return text[:start + len(START_MARKER)] + "\n" + block.strip() + "\n" + text[end:]


def ml_seclint_version() -> str:
    proc = subprocess.run([sys.executable, "-m", "ml_seclint", "--version"], capture_output=True,
                          text=True)
    return (proc.stdout or proc.stderr).strip() or "ml-seclint (version unknown)"


def count_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.suffix in KEEP_SUFFIXES and p.is_file())


def write_unjudged_csv(path: Path, unjudged: Sequence[Finding]) -> None:
    """Unjudged findings as verdict rows to fill in, with the message and the source line."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS + ("message", "source"))
        for f in unjudged:
            writer.writerow((f.package, f.version, f.path, f.line, f.code, "", "",
                             short_message(f.message), _source_line(f)))


def _source_line(f: Finding) -> str:
    path = SRC_DIR / f"{f.package}-{f.version}" / f.path.split(":cell ", 1)[0]
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return lines[f.line - 1].strip() if ":cell " not in f.path else ""
    except (OSError, IndexError):
        return ""


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", action="append", default=[], metavar="NAME",
                        help="check only this package (repeatable)")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS_CSV, help="verdicts CSV")
    parser.add_argument("--jobs", type=int, default=2, help="ml-seclint --jobs (default 2)")
    parser.add_argument("--write", action="store_true",
                        help=f"write the tables into {PRECISION_MD.name} between the markers")
    parser.add_argument("--unjudged-csv", type=Path, metavar="FILE",
                        help="write the unjudged findings as CSV rows to fill in")
    parser.add_argument("--findings-json", type=Path, metavar="FILE",
                        help="write every normalised finding as JSON")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a finding has no verdict or a verdict matches no finding")
    args = parser.parse_args(argv)

    known = {p.name: p for p in PACKAGES}
    unknown = [n for n in args.package if n not in known]
    if unknown:
        parser.error(f"unknown package(s): {', '.join(unknown)}; known: {', '.join(known)}")
    if args.write and args.package:
        parser.error("--write needs the whole corpus (no --package)")
    selected = [known[n] for n in args.package] if args.package else list(PACKAGES)

    isolate_corpus()
    findings: list[Finding] = []
    stats: dict[str, dict] = {}
    for package in selected:
        print(f"checking {package.key}", file=sys.stderr)
        found = check_package(package, args.jobs)
        findings.extend(found)
        stats[package.key] = {"name": package.name, "version": package.version,
                              "filename": package.filename,
                              "files": count_files(SRC_DIR / package.key),
                              "findings": sum(f.code != "MLS000" for f in found),
                              "unchecked": sum(f.code == "MLS000" for f in found)}
    cannot = [f for f in findings if f.code == "MLS000"]
    findings = [f for f in findings if f.code != "MLS000"]
    comparison = compare(findings, read_verdicts(args.verdicts), [p.name for p in selected])
    print(render_text(comparison, findings))
    if cannot:
        print(f"Files a rule could not check (MLS000, not counted above): {len(cannot)}")
        print("\n".join(unchecked_summary(cannot)))
    if args.unjudged_csv:
        write_unjudged_csv(args.unjudged_csv, comparison.unjudged)
    if args.findings_json:
        args.findings_json.write_text(json.dumps(
            [dict(zip(("package", "version", "path", "line", "code"), f.key), message=f.message,
                  severity=f.severity)
             for f in findings], indent=1))
    if args.write:
        block = render_markdown(comparison, findings, stats, ml_seclint_version(), cannot)
        PRECISION_MD.write_text(replace_between_markers(PRECISION_MD.read_text(), block))
        print(f"wrote {PRECISION_MD}", file=sys.stderr)
    if args.check and (comparison.unjudged or comparison.stale):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
