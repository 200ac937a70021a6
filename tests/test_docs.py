"""Docs, checks/ and rule metadata agree."""
from __future__ import annotations

import inspect
import re

import pytest

from ml_seclint.engine.code_context import describe
from ml_seclint.guidelines import SECTIONS
from ml_seclint.engine.registry import RULES

from helpers import REPO

DOCS = REPO / "docs" / "rules"
SECTIONS_REQUIRED = ["## What it does", "## Why is this dangerous in ML code", "## Example",
                     "## Use instead", "## Fix", "## Options", "## Suppression", "## Known limitations"]


def table(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|$", line)
        if match and match.group(1) not in ("", "---"):
            rows[match.group(1)] = match.group(2)
    return rows


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_page_matches_metadata(code):
    rule = RULES[code]
    page = DOCS / f"{code}.md"
    assert page.is_file(), f"missing {page}"
    text = page.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# {code} · {rule.name}"
    rows = table(text)
    assert rows["Severity"].split()[0] == rule.severity
    assert rows["Confidence"] == rule.confidence
    assert rows["Guideline"] == f"{rule.guideline} {SECTIONS[rule.guideline].title}"
    assert rows.get("Secondary guidelines", "") == ", ".join(rule.secondary_guidelines)
    assert rows["CWE"] == ", ".join(f"CWE-{c}" for c in rule.cwe)
    assert rows["OWASP"] == ", ".join(rule.owasp)
    assert rows["ATLAS"] == ", ".join(rule.atlas)
    assert rows["Fix"].split(":")[0] == (rule.fix_safety or "none")
    vendored = "vendored code is not checked unless selected"
    assert rows["Context"] == f"{describe(rule.context_severity)}; {vendored}"
    options = ", ".join(f"`{o.name}`" for o in rule.options) or "none"
    assert rows["Options"] == options
    module = "ml_seclint/" + inspect.getsourcefile(rule).split("/ml_seclint/", 1)[1]
    assert rows["Source"] == f"`{module}` `{rule.__name__}`"
    stem = check_stem(rule)
    listed = [item.strip().strip("`") for item in rows["Tests"].split(",")]
    assert listed[0] == f"checks/{stem}.py" and (REPO / listed[0]).is_file()
    fixed = REPO / "checks" / f"{stem}.fixed.py"
    assert (f"checks/{stem}.fixed.py" in listed) == fixed.is_file()
    for heading in SECTIONS_REQUIRED:
        assert heading in text, f"{page.name} lacks '{heading}'"
    for opt in rule.options:
        assert f"`{opt.name}`" in text.split("## Options", 1)[1]


def check_stem(rule) -> str:
    return f"{rule.code}_{rule.name.replace('-', '_')}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_class_name_kebab_name_and_check_file_agree(code):
    """One name per rule: the class `TorchLoadUnsafe`, the name "torch-load-unsafe", the check file
    `checks/MLS102_torch_load_unsafe.py`."""
    rule = RULES[code]
    assert rule.name == re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", rule.__name__).lower()
    assert sorted(p.name for p in (REPO / "checks").glob(f"{code}_*.py")
                  if not p.name.endswith(".fixed.py")) == [f"{check_stem(rule)}.py"]


def test_no_page_without_a_rule():
    for page in DOCS.glob("MLS*.md"):
        assert page.stem in RULES, f"{page.name} documents no registered rule"


def test_guideline_ids_exist():
    for rule in RULES.values():
        assert rule.guideline in SECTIONS
        assert all(s in SECTIONS for s in rule.secondary_guidelines)
        assert all(re.fullmatch(r"(ML\d\d:2023|LLM\d\d:2025)", o) for o in rule.owasp)
        assert all(re.fullmatch(r"AML\.T\d{4}(\.\d{3})?", a) for a in rule.atlas)


def test_codes_are_flake8_valid_and_unique():
    names = set()
    for code, rule in RULES.items():
        assert re.fullmatch(r"MLS\d{3}", code) and code != "MLS000"  # MLS000: file not checked
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.name not in names
        names.add(rule.name)


def test_readme_rule_table_is_current():
    from ml_seclint.frontends.cli import rules_markdown

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules -->\n", 1)[1].split("<!-- /rules -->", 1)[0]
    assert table == rules_markdown(), "regenerate with: ml-seclint rules --format markdown"


def test_guideline_catalogue_is_documented():
    text = (REPO / "docs" / "guidelines.md").read_text(encoding="utf-8")
    for section in SECTIONS.values():
        assert f"| {section.id} | {section.area} | {section.title} |" in text
