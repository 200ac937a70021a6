"""`ml-seclint report`: the guideline report as Markdown and as HTML, from a run or from a JSON
results file; the HTML page is loaded in a real headless Chromium and its DOM checked."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from ml_seclint.guidelines import SECTIONS

from helpers import run_cli

SOURCE = ("import torch, yaml, requests\n"
          "a = torch.load(p)\n"
          "b = torch.load(p, weights_only=False)\n"
          "c = yaml.load(text)\n"
          "d = requests.get(url, verify=False)\n")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "src" / "broken.py").write_text("import torch\ntorch.load(p\n", encoding="utf-8")
    return tmp_path


def test_markdown_report_by_guideline_section(project):
    proc = run_cli("report", cwd=project)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("# ml-seclint guideline report\n\n"
                           "2 file(s) checked, 4 finding(s) (1 critical, 3 high)")
    assert "**1 file(s) could not be checked** (MLS000):" in text and "src/broken.py: file could not" in text
    steps = re.findall(r"^\d\. \*\*(\w+)\*\*: (\d+) x \[(MLS\d+)\]", text, re.M)
    assert steps == [("critical", "2", "MLS102"), ("high", "1", "MLS107"), ("high", "1", "MLS302")]
    assert "`ml-seclint check --fix` fixes them" in text  # MLS107 has a safe fix
    # every section is in the coverage table; those without rules say so
    for section in SECTIONS.values():
        assert f"({'#section-' + section.id.replace('.', '-')}) {section.title} |" in text
    assert ("| [1.3](#section-1-3) Design your system for security as well as functionality and "
            "performance | Secure design | 3 | 1 critical, 2 high |") in text
    assert "| [3.1](#section-3-1) Secure your infrastructure | Secure deployment | 1 | 1 high |" in text
    assert "Not checked: a documented threat model and risk assessment cannot be seen in code." in text
    assert "Files with most findings: `src/train.py` (3)." in text
    # the standards with their titles; links to the rules inside the page
    assert "CWE-502 Deserialization of Untrusted Data; OWASP ML06:2023 ML Supply Chain Attacks" in text
    assert '<a id="MLS102"></a>' in text and "[MLS102](#MLS102)" in text


def test_report_counts_code_contexts(project):
    (project / "examples").mkdir()
    (project / "examples" / "demo.py").write_text(SOURCE, encoding="utf-8")
    text = run_cli("report", cwd=project).stdout
    assert "By code context: 4 example, 4 library." in text  # the most first, then by name
    assert "By code context" not in run_cli("report", "src", cwd=project).stdout


def test_report_from_a_results_file_equals_a_run(project):
    results = run_cli("check", "--format", "json", cwd=project)
    (project / "results.json").write_text(results.stdout, encoding="utf-8")
    from_file = run_cli("report", "--input", "results.json", cwd=project).stdout
    assert from_file == run_cli("report", cwd=project).stdout
    (project / "bad.json").write_text('{"findings": [{"path": "x"}]}', encoding="utf-8")
    proc = run_cli("report", "--input", "bad.json", cwd=project)
    assert proc.returncode == 2 and "not the output of `ml-seclint check --format json`" in proc.stderr


def test_docs_url_links_rules_to_the_hosted_pages(project):
    (project / "pyproject.toml").write_text('[tool.ml-seclint]\ndocs-url = "https://sec.example.org/ml"\n')
    text = run_cli("report", cwd=project).stdout
    assert "[MLS102](https://sec.example.org/ml/MLS102.md)" in text


class _Structure(HTMLParser):
    """Every element closed in order (void elements aside): the page is well formed."""
    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def test_html_report_in_a_headless_browser(project, tmp_path_factory):
    proc = run_cli("report", "--output", "report.html", cwd=project)
    assert proc.returncode == 0 and proc.stdout == ""
    page = (project / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and " src=" not in page and "<link" not in page  # self-contained
    parser = _Structure()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium binary (.ci/run installs Debian's chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", (project / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # what the browser built: one coverage row per section, the cards, the first steps, anchors
    rows = re.findall(r'<tr data-section="([\d.]+)">', html)
    assert rows == list(SECTIONS)
    assert re.search(r'<div class="card" id="findings-total"><b>4</b>findings</div>', html)
    assert len(re.findall(r"<li>", html.split('id="first-steps"')[1].split("</ol>")[0])) == 3
    assert 'id="section-1-3"' in html and '<tr id="MLS102">' in html
    assert html.count('<span class="sev critical">critical</span>') >= 2
    json.dumps(html)  # (a str: the DOM dump decoded)
