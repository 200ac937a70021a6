"""Every regular expression run over file text is linear in it (issue 9): the prefilters, the
provider key formats, suppression comments, notebook magics, literal and value tests, on inputs
built to make backtracking slow (bench/patterns.py, which times them on 1 MB). Not a wall-time
assertion: the CPU time of this process (other load does not count) on an input 4 times larger
must stay well under the 16 times a quadratic pattern takes (the inputs of the issue report took
12 s to over a minute at 50-250 KB)."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

PATTERNS_PY = Path(__file__).resolve().parent.parent / "bench" / "patterns.py"
LONG = bool(os.environ.get("ML_SECLINT_LONG_TESTS"))


@pytest.fixture(scope="module")
def patterns():
    spec = importlib.util.spec_from_file_location("bench_patterns", PATTERNS_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_patterns"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_patterns", None)


def _superlinear(timed, function, small_text, large_text, repeat):
    small, large = timed(function, small_text, repeat), timed(function, large_text, repeat)
    # linear: about 4 times; quadratic: 16. Under 10 ms the ratio is mostly noise.
    return large > 8 * max(small, 0.01), small, large


def test_patterns_scale_linearly(patterns):
    size, first = (patterns.SIZE, None) if LONG else (256_000, 4)
    slow = []
    for name, (function, make) in patterns.CASES.items():
        pairs = list(zip(make(size // 4), make(size)))[:first]
        for index, (small_text, large_text) in enumerate(pairs):
            if _superlinear(patterns.timed, function, small_text, large_text, 1)[0]:
                again, small, large = _superlinear(patterns.timed, function, small_text, large_text, 3)
                if again:  # measured twice, so a busy moment does not fail the test
                    slow.append(f"{name} [input {index}]: {small * 1000:.1f} ms -> {large * 1000:.1f} ms")
    assert not slow, "superlinear on adversarial input:\n" + "\n".join(slow)
