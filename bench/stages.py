#!/usr/bin/env python3
"""The cheap stage on a real corpus: how many files each stage keeps, and proof that it loses no
finding.

    python bench/stages.py DIR [DIR ...]          # every .py and .ipynb file under the DIRs
    python bench/stages.py --json out.json DIR    # also write the numbers

Runs the engine in this process on every file twice, with the cheap `ast` stage
(engine/prescreen.py) and without it, and compares the findings (code, line, column, message,
severity): any difference is printed and the exit status is 1. Also prints how many files stopped
at each stage and the CPU seconds of each way (`time.process_time`, one process).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from ml_seclint.engine.config import find_settings
from ml_seclint.engine.lint import STAGES, lint_source
from ml_seclint.inputs.sources import read_text


def corpus_files(dirs: Sequence[str]) -> list[str]:
    files = []
    for top in dirs:
        for root, subdirs, names in os.walk(top):
            subdirs.sort()
            files.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".py"))
    return files


def _key(finding) -> tuple:
    return (finding.line, finding.column, finding.code, finding.message, finding.severity)


def compare(files: Sequence[str]) -> dict:
    stages = {"not selected": 0, **{stage: 0 for stage in STAGES}}  # not selected: e.g. vendored
    cpu = {"with": 0.0, "without": 0.0}
    differences = []
    findings = 0
    settings_cache: dict = {}
    for path in files:
        text, _ = read_text(path)
        if text is None:
            continue
        directory = os.path.dirname(os.path.abspath(path))
        if directory not in settings_cache:
            settings_cache[directory] = find_settings(directory)
        settings = settings_cache[directory]
        start = time.process_time()
        screened = lint_source(text, path, settings, check_syntax=True)
        middle = time.process_time()
        full = lint_source(text, path, settings, check_syntax=True, prescreen=False)
        cpu["with"] += middle - start
        cpu["without"] += time.process_time() - middle
        stages[screened.stage or "not selected"] += 1
        findings += len(full.findings)
        a, b = sorted(map(_key, screened.findings)), sorted(map(_key, full.findings))
        if a != b:
            differences.append({"path": path, "with": a, "without": b})
    return {"files": len(files), "stages": stages, "findings": findings,
            "cpu_s": {k: round(v, 2) for k, v in cpu.items()}, "differences": differences}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--json", help="write the numbers to this file")
    args = parser.parse_args(argv)
    data = compare(corpus_files(args.dirs))
    stages = data["stages"]
    print(f"{data['files']} files: {stages['text']} stopped by the text prefilter, {stages['names']} by the "
          f"cheap ast stage, {stages['libcst']} parsed by libcst, {stages['not selected']} in contexts not "
          f"selected; {data['findings']} findings")
    print(f"CPU s with the cheap stage {data['cpu_s']['with']}, without {data['cpu_s']['without']}")
    for diff in data["differences"]:
        print(f"DIFFERENT: {diff['path']}\n  with:    {diff['with']}\n  without: {diff['without']}")
    print("findings identical" if not data["differences"] else f"{len(data['differences'])} file(s) differ")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    return 1 if data["differences"] else 0


if __name__ == "__main__":
    sys.exit(main())
