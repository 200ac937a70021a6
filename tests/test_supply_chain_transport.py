"""MLS2xx/MLS3xx beyond the checks/ files: options (engine, `[tool.ml-seclint]` through the CLI and
flake8), derived options, fixes, and the shared helpers they rest on."""
from __future__ import annotations

import json
import textwrap

import libcst as cst
import pytest

from ml_seclint.analysis import hub
from ml_seclint.engine.config import ConfigError, Settings, find_settings, settings_from_table
from ml_seclint.engine.lint import lint_source
from ml_seclint.rules.transport import plain_http_host

from helpers import cli_json, flake8_pairs, run_cli, run_flake8

SHA = "86b5e0934494bd15c9632b12f734a8a67f723594"


def lint(source: str, settings: Settings | None = None, select: str = "MLS") -> list[tuple[int, str]]:
    settings = settings or Settings()
    settings.select = (select,)
    result = lint_source(textwrap.dedent(source), "example.py", settings)
    return sorted((f.line, f.code) for f in result.findings)


def findings(source: str, settings: Settings | None = None):
    return lint_source(textwrap.dedent(source), "example.py", settings or Settings()).findings


# -- options through the engine ------------------------------------------------------------

TRUSTED = f"""\
from transformers import AutoModel
a = AutoModel.from_pretrained("microsoft/phi-2", trust_remote_code=True, revision="{SHA}")
b = AutoModel.from_pretrained("microsoft/phi-2", trust_remote_code=True)
c = AutoModel.from_pretrained("nomic-ai/nomic-embed", trust_remote_code=True, revision="{SHA}")
d = AutoModel.from_pretrained("Microsoft/Phi-3", trust_remote_code=True, revision="{SHA[:7]}")
"""


def test_trusted_remote_code_clears_only_pinned_allowed_repos():
    assert lint(TRUSTED, select="MLS201") == [(2, "MLS201"), (3, "MLS201"), (4, "MLS201"), (5, "MLS201")]
    settings = Settings(options={"trusted-remote-code": ["microsoft/*"]})
    assert lint(TRUSTED, settings, "MLS201") == [(3, "MLS201"), (4, "MLS201"), (5, "MLS201")]
    unpinned = [f for f in findings(TRUSTED, settings) if f.line == 3 and f.code == "MLS201"][0]
    assert "trusted-remote-code" in unpinned.message and "not pinned" in unpinned.message
    settings = Settings(options={"trusted-remote-code": ["microsoft/*"], "min-sha-length": 7})
    assert lint(TRUSTED, settings, "MLS201") == [(3, "MLS201"), (4, "MLS201")]


def test_min_sha_length_accepts_abbreviated_commits():
    source = f"""\
    from transformers import AutoModel
    a = AutoModel.from_pretrained("org/m", revision="86b5e09")
    b = AutoModel.from_pretrained("org/m", revision="86b5e0")
    c = AutoModel.from_pretrained("org/m", revision="{SHA}")
    """
    assert lint(source, select="MLS204") == [(2, "MLS204"), (3, "MLS204")]
    assert lint(source, Settings(options={"min-sha-length": 7}), "MLS204") == [(3, "MLS204")]
    # out-of-range values are clamped to 7..40
    assert lint(source, Settings(options={"min-sha-length": 1}), "MLS204") == [(3, "MLS204")]


STRICT = """\
import os
from pathlib import Path
from transformers import AutoModel

def load(model_id, run_dir, cfg):
    a = AutoModel.from_pretrained(model_id)
    b = AutoModel.from_pretrained(cfg.model_name)
    c = AutoModel.from_pretrained(os.path.join(run_dir, "best"))
    d = AutoModel.from_pretrained(Path(run_dir) / "best")
    e = AutoModel.from_pretrained(model_id, local_files_only=True)
    f = AutoModel.from_pretrained(model_id, revision=cfg.revision)
    return a, b, c, d, e, f
"""


def test_strict_pinning_reports_unresolvable_ids_but_not_local_paths():
    assert lint(STRICT, select="MLS203") == []
    settings = Settings(options={"strict-pinning": True})
    assert lint(STRICT, settings, "MLS203") == [(6, "MLS203"), (7, "MLS203")]


TAR = """\
import shutil
import tarfile
with tarfile.open("data.tar.gz") as tar:
    tar.extractall("out")
    tar.extractall("out", filter="fully_trusted")
shutil.unpack_archive("data.tar.gz", "out")
"""


def test_python_min_version_makes_the_default_filter_safe():
    assert lint(TAR, select="MLS304") == [(4, "MLS304"), (5, "MLS304"), (6, "MLS304")]
    settings = Settings(options={"python-min-version": "3.14"})
    assert lint(TAR, settings, "MLS304") == [(5, "MLS304")]
    derived = Settings(project={"requires-python": ">=3.14"})
    assert lint(TAR, derived, "MLS304") == [(5, "MLS304")]
    older = Settings(project={"requires-python": ">=3.9,<4"})
    assert lint(TAR, older, "MLS304") == [(4, "MLS304"), (5, "MLS304"), (6, "MLS304")]
    # an explicit option wins over the project's requires-python
    explicit = Settings(project={"requires-python": ">=3.14"}, options={"python-min-version": "3.12"})
    assert lint(TAR, explicit, "MLS304") == [(4, "MLS304"), (5, "MLS304"), (6, "MLS304")]


def test_option_values_are_validated():
    with pytest.raises(ConfigError, match="python-min-version"):
        settings_from_table({"python-min-version": "latest"}, "pyproject.toml")
    with pytest.raises(ConfigError, match="min-sha-length"):
        settings_from_table({"min-sha-length": "7"}, "pyproject.toml")
    with pytest.raises(ConfigError, match="trusted-remote-code"):
        settings_from_table({"trusted-remote-code": "org/*"}, "pyproject.toml")
    with pytest.raises(ConfigError, match="strict-pinning"):
        settings_from_table({"strict-pinning": "yes"}, "pyproject.toml")


# -- options from [tool.ml-seclint] through the CLI and flake8 ------------------------------

PROJECT_SOURCE = f"""\
import tarfile
from transformers import AutoModel


def load(model_id):
    a = AutoModel.from_pretrained(model_id)
    b = AutoModel.from_pretrained("org/model", revision="{SHA[:10]}")
    c = AutoModel.from_pretrained("org/model", trust_remote_code=True, revision="{SHA}")
    with tarfile.open("data.tar") as tar:
        tar.extractall("out")
    return a, b, c
"""
PYPROJECT = """\
[project]
name = "demo"
requires-python = ">=3.14"

[tool.ml-seclint]
strict-pinning = true
min-sha-length = 10
trusted-remote-code = ["org/*"]
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()  # the settings search stops at the repository root
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(PROJECT_SOURCE)
    return tmp_path


def test_options_from_pyproject_in_the_engine(project):
    settings = find_settings(str(project / "pkg"))
    assert lint(PROJECT_SOURCE, settings) == [(6, "MLS203")]
    assert lint(PROJECT_SOURCE) == [(7, "MLS204"), (8, "MLS201"), (10, "MLS304")]


def test_options_from_pyproject_in_the_cli(project):
    proc = run_cli("check", "--format", "json", "pkg", cwd=project)
    assert proc.returncode == 1, proc.stderr
    found = {(f["line"], f["code"]) for f in json.loads(proc.stdout)["findings"]}
    assert found == {(6, "MLS203")}


def test_options_from_pyproject_in_flake8(project):
    proc = run_flake8("--isolated", "--select", "MLS", "pkg/model.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert flake8_pairs(proc.stdout) == {"pkg/model.py": {(6, "MLS203")}}


def test_cli_without_options(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "model.py").write_text(PROJECT_SOURCE)
    proc = run_cli("check", "--format", "json", "model.py", cwd=tmp_path)
    found = {(f["line"], f["code"]) for f in json.loads(proc.stdout)["findings"]}
    assert found == {(7, "MLS204"), (8, "MLS201"), (10, "MLS304")}


# -- fixes ---------------------------------------------------------------------------------

def _apply(source: str, code: str) -> str:
    """Run one rule and apply every fix it attached (what --fix --unsafe-fixes will do)."""
    from ml_seclint.engine.context import FileContext, ScopeEnter, ScopeLeave
    from ml_seclint.engine.registry import RULES
    from ml_seclint.engine.rows import RowDispatcher

    module = cst.parse_module(source)
    ctx = FileContext(module, "example.py", Settings())
    rule = RULES[code](ctx)
    cst.visit_batched(module, [ScopeEnter(ctx), RowDispatcher(ctx, [rule]), rule, ScopeLeave(ctx)])
    assert rule.failed is None
    for _, _, _, _, fix in ctx.reports:
        assert fix is not None and fix.safety == "unsafe"
        for old, new in fix.replacements.items():
            module = module.deep_replace(old, new)
    return module.code


@pytest.mark.parametrize("before, after", [
    ('requests.get(url, verify=False)\n', 'requests.get(url)\n'),
    ('requests.get(url, verify=False, timeout=3)\n', 'requests.get(url, timeout=3)\n'),
    ('requests.get(\n    url,\n    verify=False,\n)\n', 'requests.get(\n    url,\n)\n'),
    ('httpx.Client(verify=False)\n', 'httpx.Client()\n'),
])
def test_mls302_fix_removes_verify_false(before, after):
    prefix = "import httpx\nimport requests\n"
    assert _apply(prefix + before, "MLS302") == prefix + after


@pytest.mark.parametrize("before, after", [
    ('requests.get("http://example.org/a.bin")\n', 'requests.get("https://example.org/a.bin")\n'),
    ("requests.get(f'http://example.org/{name}')\n", "requests.get(f'https://example.org/{name}')\n"),
    ('requests.get(r"HTTP://example.org/a")\n', 'requests.get(r"https://example.org/a")\n'),
])
def test_mls303_fix_switches_to_https(before, after):
    prefix = "import requests\n"
    assert _apply(prefix + before, "MLS303") == prefix + after


def test_mls303_no_fix_for_constants():
    source = 'import requests\nURL = "http://example.org/a"\nrequests.get(URL)\n'
    result = lint_source(source, "example.py", Settings(select=("MLS303",)))
    assert [f.code for f in result.findings] == ["MLS303"] and result.findings[0].fix is None


@pytest.mark.parametrize("before, after", [
    ('    tar.extractall("out")\n', '    tar.extractall("out", filter="data")\n'),
    ('    tar.extract(member)\n', '    tar.extract(member, filter="data")\n'),
    ('    tar.extractall()\n', '    tar.extractall(filter="data")\n'),
    ('    tar.extractall(\n        "out",\n    )\n',
     '    tar.extractall(\n        "out",\n        filter="data",\n    )\n'),
    ('    tar.extractall(\n        "out",\n        members=m,\n    )\n',
     '    tar.extractall(\n        "out",\n        members=m,\n        filter="data",\n    )\n'),
])
def test_mls304_fix_adds_the_data_filter(before, after):
    prefix = "import tarfile\nwith tarfile.open(p) as tar:\n"
    assert _apply(prefix + before, "MLS304") == prefix + after


def test_mls304_fix_replaces_a_written_none_filter_only():
    prefix = "import tarfile\nNO_FILTER = None\nwith tarfile.open(p) as tar:\n"
    assert _apply(prefix + '    tar.extractall("o", filter=None)\n', "MLS304") \
        == prefix + '    tar.extractall("o", filter="data")\n'
    for call in ('    tar.extractall("o", filter=NO_FILTER)\n', '    tar.extractall("o", **options)\n',
                 '    tar.extractall("o", filter="fully_trusted")\n'):
        result = lint_source(prefix + call, "example.py", Settings(select=("MLS304",)))
        assert [f.fix for f in result.findings] == ([None] if "options" not in call else [])


def test_rules_with_fixes_declare_them():
    from ml_seclint.engine.registry import RULES

    assert {code for code in ("MLS201", "MLS202", "MLS203", "MLS204", "MLS301", "MLS302", "MLS303", "MLS304")
            if RULES[code].fix_safety} == {"MLS302", "MLS303", "MLS304"}


# -- helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hub_id", [
    ("gpt2", True), ("google-bert/bert-base-uncased", True), ("Qwen/Qwen2.5-7B", True),
    ("./model", False), ("/models/x", False), ("~/x", False), ("../x", False), ("C:\\models\\x", False),
    ("outputs/run1/final", False), ("model.safetensors", False), ("org/a--b", False), ("", False),
    ("text classification", False), ("https://huggingface.co/org/x", False),
])
def test_hub_ids(text, hub_id):
    assert hub.is_hub_id(text) is hub_id


def test_commit_sha():
    assert hub.is_commit_sha(SHA) and hub.is_commit_sha(SHA.upper())
    assert not hub.is_commit_sha(SHA[:7]) and hub.is_commit_sha(SHA[:7], 7)
    assert not hub.is_commit_sha("main", 7) and not hub.is_commit_sha(None)
    assert not hub.is_commit_sha(SHA + "0")


@pytest.mark.parametrize("text, complete, host", [
    ("http://example.org/x", True, "example.org"), ("http://example.org", True, "example.org"),
    ("http://example.org", False, None), ("http://", False, None), ("https://example.org", True, None),
    ("http://user:pw@host.org:80/", True, "host.org"), ("http://[::1]:8000/v1", True, "[::1]"),
    ("HTTP://Example.ORG/", True, "example.org"),
])
def test_plain_http_host(text, complete, host):
    assert plain_http_host(text, complete) == host


def test_unrelated_code_is_quiet():
    source = """\
    import zipfile
    from mylib import Session, pipeline

    class Archive:
        def extractall(self, path):
            return path

    def run(tar, url, session):
        Archive().extractall("out")
        tar.extractall("out")
        zipfile.ZipFile("a.zip").extractall("out")
        s = Session()
        s.verify = False
        session.get(url, verify=False)
        pipeline("text-classification", model="org/model")
        print("http://example.org/data.csv")
        return {"trust_remote_code": True}
    """
    assert lint(source) == []


def test_odd_input_does_not_crash():
    source = """\
    import tarfile, requests, os
    from transformers import AutoModel
    AutoModel.from_pretrained()
    AutoModel.from_pretrained(*args, **kwargs)
    AutoModel.from_pretrained(None)
    AutoModel.from_pretrained(b"bytes")
    (lambda: requests.get)()(verify=False)
    os.environ[0] = ""
    os.environ["CURL_CA_BUNDLE", 1] = ""
    tarfile.open(p).extractall(*a, **k)
    requests.get(f"http://{host}")
    """
    assert [f.code for f in findings(source)] == []


def test_code_word_trigger_skips_prose_lines():
    from ml_seclint.engine.triggers import CodeWord

    word = CodeWord("from_pretrained")
    assert word.search("# see from_pretrained\n") is None
    assert word.search('    >>> AutoModel.from_pretrained("x")\n    ... from_pretrained\n') is None
    assert word.search('raise ValueError("call `AutoModel.from_pretrained`")\n') is None
    assert word.search('x = 1\nmodel = AutoModel.from_pretrained("x")  # `y`\n') == 24
    assert word.search("fp = AutoModel.from_pretrained") is not None
    assert CodeWord("http://") == CodeWord("http://") and len({CodeWord("a"), CodeWord("a")}) == 1


OWN_REPOS = """from huggingface_hub import snapshot_download
from transformers import AutoModel

snapshot_download("acme-ml/frontend-assets")
snapshot_download("acme-ml-project/ci-fixtures", revision="main")
AutoModel.from_pretrained("acme-ml/kernels", trust_remote_code=True)
snapshot_download("other-org/weights")
AutoModel.from_pretrained("other-org/model", trust_remote_code=True)
AutoModel.from_pretrained("./checkpoints/custom", trust_remote_code=True)
"""


def test_repositories_the_project_owns_are_its_own_code(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "acme_ml"\n')
    (tmp_path / "m.py").write_text(OWN_REPOS)
    found = {(f["line"], f["code"]) for f in cli_json("m.py", cwd=tmp_path)["findings"]}
    # own org, own org + "-project", local directory: clean; the other org's unpinned download is
    # MLS203, and its remote code one finding, MLS201 (MLS203 yields on the same call)
    assert found == {(7, "MLS203"), (8, "MLS201")}


def test_pinning_rules_leave_examples_alone_unless_asked(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "demo.py").write_text(
        "from huggingface_hub import snapshot_download\nsnapshot_download('openai-community/gpt2')\n")
    assert cli_json(".", cwd=tmp_path)["findings"] == []
    data = cli_json("--context", "example", ".", cwd=tmp_path)
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [("MLS203", "low")]


def test_data_downloads_are_reported_with_pin_data_downloads():
    """checks/MLS203: the `# ok[pin-data-downloads]` lines are data-only downloads, clean by
    default and reported once the option is on (hub ids resolved the same way)."""
    from helpers import CHECKS, expected

    path = CHECKS / "MLS203_unpinned_hub_download.py"
    text = path.read_text(encoding="utf-8")
    data_lines = {number for number, line in enumerate(text.splitlines(), 1)
                  if "  # ok[pin-data-downloads]" in line}
    assert len(data_lines) >= 20
    settings = Settings(options={"pin-data-downloads": True})
    found = {(f.line, f.code) for f in lint_source(text, str(path), settings).findings}
    assert found == expected(path) | {(line, "MLS203") for line in data_lines}


def test_trust_remote_code_where_it_cannot_matter(tmp_path):
    body = ("import datasets\nfrom transformers import AutoModel\n"
            "def main(args):\n"
            "    AutoModel.from_pretrained(args.model, trust_remote_code=True)\n"
            "    AutoModel.from_pretrained('org/custom', trust_remote_code=True)\n"
            "    datasets.load_dataset('org/data', trust_remote_code=True)\n")
    for rel in ("scripts/run.py", "pkg/loader.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["datasets>=4.0"]\n')
    found = sorted((f["path"], f["line"]) for f in cli_json(".", cwd=tmp_path)["findings"])
    # the user's own model in a script: their choice; datasets 4 runs no loading scripts
    assert found == [("pkg/loader.py", 4), ("pkg/loader.py", 5), ("scripts/run.py", 5)]


def test_sample_images_over_http_in_examples_are_not_downloads_of_note(tmp_path):
    body = ("import requests\nfrom PIL import Image\n"
            "img = Image.open(requests.get('http://images.cocodataset.org/val2017/000000039769.jpg', "
            "stream=True).raw)\n"
            "weights = requests.get('http://example.org/models/resnet50.pth')\n")
    for rel in ("examples/vision.py", "pkg/vision.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    findings = cli_json(".", cwd=tmp_path)["findings"]
    found = sorted((f["path"], f["line"]) for f in findings if f["code"] == "MLS303")
    assert found == [("examples/vision.py", 4), ("pkg/vision.py", 3), ("pkg/vision.py", 4)]


def test_pyyaml_floor_makes_full_loader_and_no_loader_safe(tmp_path):
    (tmp_path / "m.py").write_text("import yaml\nyaml.full_load(s)\nyaml.load(s)\n"
                                   "yaml.load(s, Loader=yaml.FullLoader)\nyaml.unsafe_load(s)\n")
    assert [f["line"] for f in cli_json("m.py", cwd=tmp_path)["findings"]] == [2, 3, 4, 5]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["PyYAML>=6.0"]\n')
    assert [f["line"] for f in cli_json("m.py", cwd=tmp_path)["findings"]] == [5]
