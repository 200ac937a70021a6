"""Packaging and adoption: the rule pages ship inside the wheel (so `explain` works from a
--target or zip install), `ml-seclint init`, and the configuration's JSON schema."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import jsonschema
import pytest

from ml_seclint.engine.config import settings_from_table
from ml_seclint.engine.config_schema import render as render_schema

from helpers import REPO, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCHEMA_FILE = REPO / "ml_seclint" / "ml-seclint.schema.json"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of the project's files (the checkout stays untouched)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "ml_seclint", source / "ml_seclint", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "docs" / "rules", source / "docs" / "rules")
    out = tmp_path_factory.mktemp("wheel")
    # what `pip wheel --no-build-isolation` does, without pip's own start-up
    proc = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                           "build_meta.build_wheel(sys.argv[1])", str(out)],
                          cwd=source, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("ml_seclint-*.whl")
    return path


def test_wheel_ships_the_rule_pages_schema_and_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    pages = sorted((REPO / "docs" / "rules").glob("MLS*.md"))
    assert {f"ml_seclint/rule_docs/{p.name}" for p in pages} <= names
    assert "ml_seclint/ml-seclint.schema.json" in names
    assert any(n.endswith((".dist-info/LICENSE", "licenses/LICENSE")) for n in names)
    metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(metadata_name).decode()
    assert "Project-URL: NCSC/CISA Guidelines, https://www.ncsc.gov.uk/" in metadata
    assert "Provides-Extra: server" in metadata


def test_explain_from_a_target_install_and_a_zip(wheel, tmp_path):
    target = tmp_path / "target"
    zipfile.ZipFile(wheel).extractall(target)  # what `pip install --target` does with a pure wheel
    page = (REPO / "docs" / "rules" / "MLS102.md").read_text(encoding="utf-8")
    site = sysconfig.get_paths()["purelib"]  # libcst & co.; -S: no .pth files, so no editable finder
    # an unpacked install, then the package imported from a zip (the wheel itself), in one process
    script = """
import sys
site, locations = sys.argv[1], sys.argv[2:]
sys.path.append(site)
for location in locations:
    for name in [n for n in sys.modules if n.startswith("ml_seclint")]:
        del sys.modules[name]
    sys.path.insert(0, location)
    import ml_seclint
    assert ml_seclint.__file__.startswith(location), ml_seclint.__file__
    from ml_seclint.frontends.cli import main
    assert main(["explain", "MLS102"]) == 0
    sys.path.remove(location)
"""
    proc = subprocess.run([sys.executable, "-S", "-c", script, site, str(target), str(wheel)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == page * 2


def test_schema_is_current_and_validates_configurations():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), \
        "regenerate: python -m ml_seclint.engine.config_schema > ml_seclint/ml-seclint.schema.json"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n[tool.ml-seclint]", 1)[1].split("```", 1)[0]
    table = tomllib.loads("[tool.ml-seclint]" + example)["tool"]["ml-seclint"]
    assert list(validator.iter_errors(table)) == []
    for bad in ({"select": ["MLS9"]}, {"selct": ["MLS1"]}, {"min-sha-length": "40"},
                {"per-file-ignores": {"tests/*": ["E501"]}}, {"torch-min-version": "latest"}):
        assert list(validator.iter_errors(bad)), bad


def test_init_creates_extends_and_never_clobbers(tmp_path):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    proc = run_cli("init", cwd=tmp_path)
    assert proc.returncode == 0 and "created pyproject.toml" in proc.stderr
    table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["ml-seclint"]
    assert table == {"select": ["MLS"]}
    settings_from_table(table, "pyproject.toml")  # valid for the linter
    # the commented keys, uncommented, are valid too
    text = (tmp_path / "pyproject.toml").read_text()
    uncommented = "\n".join(line[2:] if line.startswith("# ") and (" = " in line or line.startswith("# ["))
                            else line for line in text.splitlines())
    full = tomllib.loads(uncommented)["tool"]["ml-seclint"]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(full)) == []
    assert "trusted-remote-code" in full and "docs-url" in full
    # an existing pyproject.toml is extended, its bytes kept
    existing = b'[project]\r\nname = "demo"\r\nversion = "1"'  # CRLF, no final newline
    (tmp_path / "pyproject.toml").write_bytes(existing)
    assert run_cli("init", cwd=tmp_path).returncode == 0
    data = (tmp_path / "pyproject.toml").read_bytes()
    assert data.startswith(existing + b"\r\n\r\n[tool.ml-seclint]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # the file's own line endings
    parsed = tomllib.loads(data.decode())
    assert parsed["project"]["name"] == "demo" and parsed["tool"]["ml-seclint"] == {"select": ["MLS"]}
    # ... and never twice, never over a broken file
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 2 and "already has a [tool.ml-seclint] table; nothing changed" in again.stderr
    assert (tmp_path / "pyproject.toml").read_bytes() == data
    (tmp_path / "broken.toml").write_text("[project\n")
    broken = run_cli("init", "--pyproject", "broken.toml", cwd=tmp_path)
    assert broken.returncode == 2 and "invalid TOML" in broken.stderr
    assert (tmp_path / "broken.toml").read_text() == "[project\n"
