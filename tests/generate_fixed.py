"""Write checks/<name>.fixed.py, the expected result of `--fix --unsafe-fixes` on checks/<name>.py.

    python tests/generate_fixed.py                 # every check file whose rule has a fix
    python tests/generate_fixed.py checks/MLS107_yaml_unsafe_load.py

It runs the real CLI on a copy of each file (in a directory without a pyproject.toml, like the
tests do), then writes the result next to the original. Review the generated files with
`git diff checks/` before committing them: tests/test_fix_checks.py compares them byte for byte.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def fixed_path(check: Path) -> Path:
    return check.with_name(check.name[:-len(".py")] + ".fixed.py")


def fix_copies(checks: list[Path], directory: Path, *extra: str) -> subprocess.CompletedProcess:
    """Copy `checks` into `directory` and run `ml-seclint check --fix --unsafe-fixes` there."""
    for check in checks:
        shutil.copyfile(check, directory / check.name)
    return subprocess.run([sys.executable, "-m", "ml_seclint", "check", "--fix", "--unsafe-fixes",
                           "--exit-zero", *extra, "."], cwd=directory, capture_output=True, text=True,
                          timeout=600)


def main(argv: list[str]) -> int:
    from ml_seclint.engine.registry import RULES

    sys.path.insert(0, str(REPO / "tests"))
    from helpers import check_files

    if argv:
        checks = [Path(a).resolve() for a in argv]
    else:
        checks = [p for p in check_files()
                  if (RULES.get(p.name[:6]) is not None and RULES[p.name[:6]].fix_safety)
                  or fixed_path(p).exists()]
    with tempfile.TemporaryDirectory() as tmp:
        proc = fix_copies(checks, Path(tmp))
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            return 1
        for check in checks:
            target = fixed_path(check)
            target.write_bytes((Path(tmp) / check.name).read_bytes())
            print(f"wrote {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
