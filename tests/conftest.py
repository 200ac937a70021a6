import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

# pytest-xdist (`--dist loadscope --no-loadscope-reorder` in pyproject.toml) runs each module on
# one worker (its module-scoped fixtures run once), the modules in the order of the collected
# tests. The costliest go first, so that the last ones to start are short and both workers finish
# together; the others keep their order. (Grouping modules with `xdist_group` does not work with
# pytest 9: pytest-xdist 3.8 cannot rename its items.)
COSTLIEST_FIRST = ("test_fix_checks.py", "test_checks.py", "test_prescreen.py", "test_self_lint.py",
                   "test_deep.py", "test_flake8.py", "test_fix.py", "test_cli.py", "test_secrets.py",
                   "test_suppressions.py", "test_sarif.py", "test_precommit.py", "test_isolation.py")


def pytest_collection_modifyitems(items):
    rank = {name: n for n, name in enumerate(COSTLIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def check_lint():
    """`check_lint(path, prescreen=True)`: the engine's result for a checks/ file (default settings,
    syntax checked as the CLI does), linted once per test process. Only for tests that read the
    findings and leave them as they are."""
    from ml_seclint.engine.config import Settings  # here: xdist's controller loads this file too
    from ml_seclint.engine.lint import lint_source

    results: dict = {}

    def lint(path: Path, prescreen: bool = True):
        key = (path, prescreen)
        if key not in results:
            results[key] = lint_source(path.read_text(encoding="utf-8"), str(path), Settings(),
                                       check_syntax=True, prescreen=prescreen)
        return results[key]

    return lint


@pytest.fixture(autouse=True)
def _result_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty result cache: the CLI runs with the cache on (its default),
    and no test reads what another wrote or leaves .ml_seclint_cache in the repository."""
    monkeypatch.setenv("ML_SECLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("ML_SECLINT_NO_CACHE", raising=False)


@pytest.fixture(scope="module", autouse=True)
def _module_result_cache(tmp_path_factory):
    """The same for a module's own fixtures (a CLI run over checks/ shared by its tests): they are
    set up before the per-test cache above, and would otherwise write .ml_seclint_cache into the
    repository and read it back in the next run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML_SECLINT_CACHE_DIR", str(tmp_path_factory.mktemp("module-cache")))
        patch.delenv("ML_SECLINT_NO_CACHE", raising=False)
        yield
