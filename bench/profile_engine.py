#!/usr/bin/env python3
"""Where ml-seclint's time goes: cProfile over ml_seclint.engine.lint.lint_source on corpus files.

    python bench/profile_engine.py                 # 300 files spread over bench/corpus/
    python bench/profile_engine.py --files 0       # every file
    python bench/profile_engine.py --top 40        # also print the 40 costliest functions

Run bench/run.py once first (it builds the corpus). The files are read and decoded before
profiling; each is then linted exactly as the CLI does (settings of the corpus, check_syntax=True,
then noqa). Prints how many files the trigger prefilter skips (over the whole corpus and the
sample) and splits the profiled time two ways:
  - by stage (cumulative time of the engine's entry points; they nest, so they do not add up);
  - by owner (self time of every function, grouped by the module that defines it; adds up).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (stage, file suffix, function name): cumulative time of these functions
STAGES = (
    ("prefilter (trigger words)", "ml_seclint/engine/lint.py", "active_rules"),
    ("guard: ast.parse and nesting", "ml_seclint/engine/guard.py", "vet"),
    ("cheap stage: walk and compare", "ml_seclint/engine/prescreen.py", "screen"),
    ("parse (libcst)", "libcst/_parser/entrypoints.py", "parse_module"),
    ("scope/context set-up", "ml_seclint/engine/context.py", "__init__"),
    ("traversal (walk, incl. rules)", "ml_seclint/engine/traverse.py", "walk"),
    ("  resolution: call_view", "ml_seclint/analysis/resolve.py", "call_view"),
    ("  resolution: qualnames", "ml_seclint/analysis/resolve.py", "qualnames"),
    ("  resolution: literal", "ml_seclint/analysis/resolve.py", "literal"),
    ("positions (_locate)", "ml_seclint/engine/lint.py", "_locate"),
    ("noqa", "ml_seclint/engine/suppress.py", "apply_noqa"),
)

OWNERS = (
    # first match wins
    ("libcst native parser", lambda f, n: f == "~" and "parse" in n),
    ("libcst parser (python side)", lambda f, n: "libcst/_parser" in f),
    ("libcst positions/codegen", lambda f, n: "libcst/metadata" in f or "codegen" in n
     or "_codegen" in n),
    ("libcst nodes (validation, visit machinery)", lambda f, n: "libcst/" in f),
    ("ml-seclint walker", lambda f, n: "ml_seclint/engine/traverse.py" in f),
    ("ml-seclint cheap stage (walk of the ast)", lambda f, n: "ml_seclint/engine/prescreen.py" in f),
    ("ml-seclint analysis (resolution, scopes)", lambda f, n: "ml_seclint/analysis" in f),
    ("ml-seclint rules", lambda f, n: "ml_seclint/rules" in f),
    ("ml-seclint engine/context/prefilter", lambda f, n: "ml_seclint/" in f),
    ("ast.parse (C)", lambda f, n: f.endswith("/ast.py") or n in ("<built-in method builtins.compile>",)),
    ("other", lambda f, n: True),
)


class stage_timers:
    """Wall-clock timers wrapped around the engine's stages for one unprofiled run (the profiler
    inflates Python-heavy stages much more than the native parser)."""

    def __init__(self) -> None:
        import libcst
        from ml_seclint.engine import guard
        from ml_seclint.engine import lint as engine

        self.targets = [
            ("prefilter", engine, "active_rules"),
            ("guard: ast.parse and nesting", guard, "vet"),
            ("cheap stage: walk and compare", engine, "screen"),
            ("parse (libcst)", libcst, "parse_module"),
            ("traversal (walk, incl. rules)", engine, "walk"),
            ("positions (_locate)", engine, "_locate"),
        ]
        self.totals = {label: [0.0, 0] for label, _, _ in self.targets}
        self.saved: list = []

    def __enter__(self):
        for label, owner, attr in self.targets:
            original = getattr(owner, attr, None)
            if original is None:
                continue
            self.saved.append((owner, attr, original))
            total = self.totals[label]

            def timed(*args, _original=original, _total=total, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    _total[0] += time.perf_counter() - start
                    _total[1] += 1

            setattr(owner, attr, timed)
        return self

    def __exit__(self, *exc) -> None:
        for owner, attr, original in self.saved:
            setattr(owner, attr, original)

    def report(self):
        return [(label, secs, calls) for label, (secs, calls) in self.totals.items()]


def sample(files: list[Path], n: int) -> list[Path]:
    if n <= 0 or n >= len(files):
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(HERE / "corpus"))
    parser.add_argument("--files", type=int, default=300, help="files to profile, 0 = all")
    parser.add_argument("--top", type=int, default=0, help="also print the N costliest functions")
    args = parser.parse_args(argv)

    from ml_seclint.engine import deepstack
    from ml_seclint.engine.config import find_settings
    from ml_seclint.engine.lint import active_rules, lint_source
    from ml_seclint.inputs.sources import read_text
    from ml_seclint.engine.suppress import apply_noqa

    corpus = Path(args.corpus)
    files = sorted(p for p in corpus.rglob("*.py"))
    if not files:
        print(f"no .py files under {corpus}; run bench/run.py first", file=sys.stderr)
        return 2
    settings = find_settings(str(corpus))
    rules = settings.rules_for()

    texts = {}
    for path in files:
        text, _ = read_text(str(path))
        if text is not None:
            texts[path] = text
    skipped_all = sum(1 for t in texts.values() if not active_rules(t, rules))
    lines_all = sum(t.count("\n") + 1 for t in texts.values())
    chosen = [p for p in sample(files, args.files) if p in texts]
    skipped = [p for p in chosen if not active_rules(texts[p], rules)]
    lines = sum(texts[p].count("\n") + 1 for p in chosen)
    print(f"corpus: {len(texts)} files, {lines_all:,} lines; prefilter skips {skipped_all} files "
          f"({100 * skipped_all / len(texts):.0f}%), "
          f"{sum(texts[p].count(chr(10)) + 1 for p in texts if not active_rules(texts[p], rules)):,} "
          f"lines")
    print(f"sample: {len(chosen)} files, {lines:,} lines; prefilter skips {len(skipped)}")

    triggered: dict[str, int] = {}
    for path in chosen:
        for rule in active_rules(texts[path], rules):
            triggered[rule.code] = triggered.get(rule.code, 0) + 1
    print("files whose text wakes each rule (sample): "
          + ", ".join(f"{c} {n}" for c, n in sorted(triggered.items())))

    def work() -> int:
        findings = 0
        for path in chosen:
            result = lint_source(texts[path], str(path), settings, check_syntax=True)
            kept, _ = apply_noqa(result.findings, texts[path])
            findings += len(kept)
        return findings

    def profiled() -> int:
        profiler.enable()
        try:
            return work()
        finally:
            profiler.disable()

    # the engine runs each file on its deep-stack thread; run the whole loop there, so that the
    # profiler (which sees one thread) and the timers see the engine's work
    timers = stage_timers()
    start = time.perf_counter()
    with timers:
        deepstack.call(work)
    plain = time.perf_counter() - start
    profiler = cProfile.Profile()
    findings = deepstack.call(profiled)
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())  # self times add up to the profiled total
    print(f"unprofiled: {plain:.2f} s ({lines / plain:,.0f} lines/s, one process); "
          f"profiled total {total:.2f} s; {findings} findings")

    print("\nby stage, unprofiled (wall clock around each engine stage):")
    for label, secs, calls in timers.report():
        print(f"  {label:<42} {secs:7.2f} s  {100 * secs / plain:5.1f}%  ({calls} calls)")

    print("\nby stage, profiled (cumulative, nested stages overlap):")
    for label, suffix, name in STAGES:
        cum = sum(v[3] for (f, _, n), v in stats.stats.items()
                  if n == name and f.replace(os.sep, "/").endswith(suffix))
        calls = sum(v[1] for (f, _, n), v in stats.stats.items()
                    if n == name and f.replace(os.sep, "/").endswith(suffix))
        print(f"  {label:<42} {cum:7.2f} s  {100 * cum / total:5.1f}%  ({calls} calls)")

    owners: dict[str, float] = {}
    for (f, _, n), v in stats.stats.items():
        f = f.replace(os.sep, "/")
        owner = next(label for label, test in OWNERS if test(f, n))
        owners[owner] = owners.get(owner, 0.0) + v[2]
    print("\nby owner (self time, adds up to the total):")
    for owner, secs in sorted(owners.items(), key=lambda kv: -kv[1]):
        print(f"  {owner:<42} {secs:7.2f} s  {100 * secs / total:5.1f}%")

    if args.top:
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
