"""Build hook: the rule pages (docs/rules/*.md, the one copy that is edited) are shipped inside the
package as ml_seclint/rule_docs/, so `ml-seclint explain` and SARIF help work in every install
kind (wheel, --user, --target, zipapp) through importlib.resources. Everything else is in
pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPy(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "ml_seclint" / "rule_docs"
        target.mkdir(parents=True, exist_ok=True)
        for page in sorted((ROOT / "docs" / "rules").glob("*.md")):
            shutil.copyfile(page, target / page.name)


setup(cmdclass={"build_py": BuildPy})
