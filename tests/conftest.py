import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _result_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty result cache: the CLI runs with the cache on (its default),
    and no test reads what another wrote or leaves .ml_seclint_cache in the repository."""
    monkeypatch.setenv("ML_SECLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("ML_SECLINT_NO_CACHE", raising=False)
