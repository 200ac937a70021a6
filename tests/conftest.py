import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _module_result_cache(tmp_path_factory):
    """The same for a module's own fixtures (a CLI run over checks/ shared by its tests): they are
    set up before the per-test cache below, and would otherwise write .ml_seclint_cache into the
    repository and read it back in the next run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML_SECLINT_CACHE_DIR", str(tmp_path_factory.mktemp("module-cache")))
        patch.delenv("ML_SECLINT_NO_CACHE", raising=False)
        yield


@pytest.fixture(autouse=True)
def _result_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty result cache: the CLI runs with the cache on (its default),
    and no test reads what another wrote or leaves .ml_seclint_cache in the repository."""
    monkeypatch.setenv("ML_SECLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("ML_SECLINT_NO_CACHE", raising=False)
