"""The regular expressions ml-seclint runs over whole files, on adversarial input: time and scaling.

Every prefilter (the rules' trigger words and patterns, the MLS401/MLS402 file tests), every
provider key format, the suppression comments, notebook magic lines and the literal and value
tests run here on strings built to make a backtracking regex slow (long runs of a key prefix, of a
credential word, of spaces after `token:`, ...). Each case runs on SIZE bytes and on a quarter of
that: linear code takes about 4 times as long on the larger input, quadratic code 16 times.

    python bench/patterns.py              # 1 MB inputs: CPU seconds per case and the scaling ratio
    python bench/patterns.py --size 4000000

tests/test_patterns.py runs the first inputs of each case, smaller, and asserts the ratio (not the
time); with ML_SECLINT_LONG_TESTS=1 it runs every input at this script's size.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml_seclint.analysis.literals import lenient_text  # noqa: E402
from ml_seclint.engine.finding import Finding  # noqa: E402
from ml_seclint.engine.lint import active_rules  # noqa: E402
from ml_seclint.engine.registry import RULES  # noqa: E402
from ml_seclint.engine.suppress import apply_suppressions  # noqa: E402
from ml_seclint.inputs import notebooks  # noqa: E402
from ml_seclint.rules import secrets  # noqa: E402
from ml_seclint.secrets_table import (FORMATS, KEYWORDS, credential_name, find_keys,  # noqa: E402
                                      looks_secret, may_hold_credential, may_hold_key, scrub)

SIZE = 1_000_000
_RULES = list(RULES.values())


def _fill(unit: str, size: int) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size]


def _key_runs(size: int) -> list[str]:
    """Runs of every key format's literal parts, glued so they stay one token (issue 9's first)."""
    runs = ["sk-proj-" + _fill("A", size), _fill("sk-proj-", size), _fill("sk-proj-T3BlbkFJ", size)]
    for fmt in FORMATS:
        literal = "".join(s for s in fmt.sample if isinstance(s, str))
        runs += [_fill(literal, size), _fill(literal + "A1b2", size), "x" + _fill(literal, size - 1)]
    runs += [_fill(k, size) for k in KEYWORDS]
    return runs


def _credential_runs(size: int) -> list[str]:
    return [
        "# token:" + " " * size,
        "# " + _fill("key", size),
        _fill("api_key-", size),
        _fill("token=", size),
        "api_key: " + _fill("a ", size) + "=",
        _fill("KEY=ABC-", size),
        _fill("Auth(,", size),
        _fill("login(", size),
        "password" + _fill("\t", size) + "x",
        _fill('"x-api-key"]', size),
    ]


def _comment_runs(size: int) -> list[str]:
    return [
        "x = 1  # noqa:" + _fill("A1,", size) + "\n",
        "x = 1  # noqa:" + " " * size + "\n",
        "x = 1  " + _fill("# ml-seclint: ignore[", size) + "\n",
        "x = 1  # ml-seclint: ignore[" + _fill("MLS1,", size) + "\n",
        _fill("# flake8: noqa\n", size),
    ]


def _notebook_runs(size: int) -> list[str]:
    return [
        "%env HF_TOKEN" + " " * size,
        "!export " + _fill("A=", size),
        _fill("a, ", size) + "= !ls",
        "x" + _fill("?", size),
        _fill("!pip install x \\\n", size),
        _fill("'''", size),
    ]


def _strings(size: int) -> list[str]:
    return [_fill("\\N{", size), _fill("\\x4", size), "sk-proj-" + _fill("\\u12", size)]


def _values(size: int) -> list[str]:
    return [_fill("A_", size), _fill("a.", size), _fill("ab/", size), "Bearer" + " " * size,
            _fill("aaaaab", size), _fill("Ab1-", size)]


def _suppress(text: str) -> object:
    finding = Finding("MLS102", "m", 1, 0, 1, 1, "high", "high")
    return apply_suppressions([finding], text)


def _literal(text: str) -> object:
    import libcst as cst

    return lenient_text(cst.SimpleString('"' + text.replace('"', "") + '"'))


CASES: dict[str, tuple[Callable[[str], object], Callable[[int], list[str]]]] = {
    "prefilter (every rule's triggers)": (lambda t: active_rules(t, _RULES),
                                          lambda n: _key_runs(n) + _credential_runs(n)),
    "MLS401 file test": (may_hold_key, _key_runs),
    "MLS402 file test": (may_hold_credential, _credential_runs),
    "provider key formats (find_keys)": (find_keys, _key_runs),
    "redaction (scrub)": (scrub, _key_runs),
    "suppression comments": (_suppress, _comment_runs),
    "notebook magics and texts": (lambda t: notebooks.to_python(t), _notebook_runs),
    "notebook environment lines": (lambda t: secrets._env_assignments(t), _notebook_runs),
    "Python-invalid string literals": (_literal, _strings),
    "credential values": (looks_secret, _values),
    "credential names": (lambda t: credential_name(t[:100_000]), _values),
}


def timed(function: Callable[[str], object], text: str, repeat: int = 2) -> float:
    """The best CPU time of this process for `function(text)`: other processes on a busy machine
    do not count (wall time there is mostly scheduling)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        function(text)
        best = min(best, time.process_time() - start)
    return best


def measure(size: int, repeat: int = 2, first: int = 0) -> list[tuple[str, int, float, float]]:
    """(case, input index, seconds at `size`, seconds at size/4) for every input of every case
    (its `first` inputs only, when given)."""
    rows = []
    for name, (function, make) in CASES.items():
        small, large = make(size // 4), make(size)
        for index, (a, b) in list(enumerate(zip(small, large)))[:first or None]:
            rows.append((name, index, timed(function, b, repeat), timed(function, a, repeat)))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=SIZE, help="bytes per adversarial input")
    args = parser.parse_args(argv)
    worst: dict[str, tuple[float, float]] = {}
    for name, _, large, small in measure(args.size):
        ratio = large / max(small, 1e-4)
        if large > worst.get(name, (0.0, 0.0))[0]:
            worst[name] = (large, ratio)
    print(f"| case | inputs | slowest at {args.size:,} bytes | its time ratio to a quarter of the size |")
    print("| --- | ---: | ---: | ---: |")
    for name, (large, ratio) in worst.items():
        count = len(CASES[name][1](16))
        print(f"| {name} | {count} | {large * 1000:.1f} ms | {ratio:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
