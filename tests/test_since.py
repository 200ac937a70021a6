"""`--since REV` on temporary git repositories: only changed files are checked and only findings on
added or modified lines are reported."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ml_seclint.frontends.gitdiff import parse_diff

from helpers import env, run_cli

OLD = '''import torch


def load(path):
    state = torch.load(path)
    return state
'''


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "test@example.com")
    git(tmp_path, "config", "user.name", "Test")
    git(tmp_path, "config", "commit.gpgsign", "false")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(OLD, encoding="utf-8")
    (tmp_path / "pkg" / "untouched.py").write_text("import torch\nx = torch.load(p)\n", encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "old code")
    return tmp_path


def since(repo: Path, *args: str, cwd: Path | None = None) -> tuple[int, list, str]:
    proc = run_cli("check", "--format", "json", *args, cwd=cwd or repo)
    assert proc.returncode in (0, 1, 2), proc.stderr
    if proc.returncode == 2:
        return 2, [], proc.stderr
    data = json.loads(proc.stdout)
    return proc.returncode, [(f["path"], f["line"], f["code"]) for f in data["findings"]], \
        data["summary"]["files_checked"]


def test_only_the_finding_on_the_changed_line_is_reported(repo):
    text = OLD.replace("    return state\n",
                       "    extra = torch.load(path + '.ema')\n    return state, extra\n")
    text = text.replace("def load(path):", "def load(path):  # renamed nothing, just a comment")
    (repo / "pkg" / "model.py").write_text(text, encoding="utf-8")
    assert since(repo)[1] == [("pkg/model.py", 5, "MLS102"), ("pkg/model.py", 6, "MLS102"),
                              ("pkg/untouched.py", 2, "MLS102")]
    code, found, checked = since(repo, "--since", "HEAD")
    assert (code, found, checked) == (1, [("pkg/model.py", 6, "MLS102")], 1)
    # committed changes count too: the diff is against the revision, not the index
    git(repo, "commit", "-qam", "ema")
    assert since(repo, "--since", "HEAD~1")[1] == [("pkg/model.py", 6, "MLS102")]
    assert since(repo, "--since", "HEAD~1...HEAD")[1] == [("pkg/model.py", 6, "MLS102")]
    assert since(repo, "--since", "HEAD")[:2] == (0, [])


def test_an_argument_added_inside_an_old_call_counts(repo):
    (repo / "pkg" / "model.py").write_text(OLD.replace(
        "    state = torch.load(path)\n",
        "    state = torch.load(\n        path,\n        weights_only=True,\n    )\n"), encoding="utf-8")
    git(repo, "commit", "-qam", "safe")
    (repo / "pkg" / "model.py").write_text(OLD.replace(
        "    state = torch.load(path)\n",
        "    state = torch.load(\n        path,\n        weights_only=False,\n    )\n"), encoding="utf-8")
    assert since(repo, "--since", "HEAD")[1] == [("pkg/model.py", 5, "MLS102")]


def test_untracked_files_are_new_and_paths_work_from_a_subdirectory(repo):
    (repo / "pkg" / "fresh.py").write_text("import torch\ny = torch.load(q)\n", encoding="utf-8")
    assert since(repo, "--since", "HEAD")[1] == [("pkg/fresh.py", 2, "MLS102")]
    assert since(repo, ".", "--since", "HEAD", cwd=repo / "pkg")[1] == [("fresh.py", 2, "MLS102")]


def test_renamed_files_only_count_edited_lines(repo):
    git(repo, "mv", "pkg/untouched.py", "pkg/moved.py")
    assert since(repo, "--since", "HEAD")[:2] == (0, [])


def test_bad_revisions_and_non_repositories_are_usage_errors(repo, tmp_path_factory):
    code, _, err = since(repo, "--since", "no-such-branch")
    assert code == 2
    assert err == "ml-seclint: error: --since no-such-branch: unknown revision 'no-such-branch'\n"
    assert since(repo, "--since", "--output=x")[0] == 2
    outside = tmp_path_factory.mktemp("plain")
    code, _, err = since(outside, "--since", "HEAD")
    assert code == 2 and "--since HEAD:" in err and "Traceback" not in err
    code, _, err = since(repo, "--since", "HEAD", "--write-baseline", "b.json")
    assert code == 2 and "cannot be combined" in err


def test_parse_diff_handles_hunks_quoted_names_and_deletions():
    diff = (
        'diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +2,3 @@\n+a\n+b\n+c\n'
        '@@ -10 +12 @@\n-old\n+new\n@@ -20,2 +23,0 @@\n-gone\n-gone\n'
        'diff --git "a/sp ace/\\303\\251.py" "b/sp ace/\\303\\251.py"\n--- "a/sp ace/\\303\\251.py"\n'
        '+++ "b/sp ace/\\303\\251.py"\n@@ -1 +1 @@\n-x\n+y\n'
        'diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n'
        '@@ -0,0 +1,2 @@\n+1\n+2\n')
    assert parse_diff(diff) == {"x.py": {2, 3, 4, 12}, "sp ace/\u00e9.py": {1}, "new.py": {1, 2}}
