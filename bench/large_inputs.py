"""Time and peak memory of the engine on large files, to show that both grow linearly.

Each measurement runs in a fresh process (peak RSS from os.wait4, the engine's CPU time from inside),
on generated files of doubling size with a finding at the end, so that positions are computed over
the whole file:

- `code`: ordinary code (functions, classes, calls, comments, strings), repeated;
- `short-lines`: one-token statements (`x0 = 1`), libcst's worst case per byte;
- `long-line`: a single line holding a list of numbers.

    python bench/large_inputs.py                 # 128 KB to 1 MB
    python bench/large_inputs.py --max 4000000   # up to 4 MB (minutes, gigabytes)

The table goes to stdout; bench/README.md ("Large inputs") has the numbers of one run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BLOCK = '''
class Trainer{n}(BaseTrainer):
    """Trains a model; the docstring is part of ordinary code too."""

    def __init__(self, model, optimizer, lr: float = 3e-4, steps=1_000) -> None:
        self.model, self.optimizer = model, optimizer
        self.lr = lr  # learning rate
        self.history = {{"loss": [], "step": 0}}

    def step(self, batch):
        loss = self.model(**batch).loss
        loss.backward()
        if self.history["step"] % 100 == 0:
            print(f"step {{self.history['step']}}: {{loss.item():.4f}}")
        self.history["loss"].append(float(loss))
        return [x * 2 for x in range(10) if x % 3]

'''

CHILD = r'''
import os, sys, time
sys.path.insert(0, sys.argv[1])
kind, size = sys.argv[2], int(sys.argv[3])
from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source
BLOCK = sys.stdin.read()
head = "import torch\n"
if kind == "code":
    parts, n, total = [head], 0, len(head)
    while total < size:
        block = BLOCK.format(n=n); parts.append(block); total += len(block); n += 1
    text = "".join(parts)
elif kind == "short-lines":
    text = head + "".join(f"x{i % 10} = 1\n" for i in range(size // 7))
else:
    text = head + "x = [" + ", ".join("1" for _ in range(size // 3)) + "]\n"
text += "torch.load(p)\n"
settings = Settings(extra={"max-file-size": 1 << 40})
start = time.process_time()  # CPU time: steadier than wall time on a shared machine
result = lint_source(text, "big.py", settings, check_syntax=True) if size else None
print(f"{time.process_time() - start:.3f} {len(text)} {len(result.findings) if result else 0}")
'''


def measure(kind: str, size: int) -> tuple[float, int, float]:
    """(engine seconds, bytes, peak RSS MB) of one size, in a fresh process."""
    process = subprocess.Popen([sys.executable, "-c", CHILD, str(REPO), kind, str(size)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(BLOCK)
    process.stdin.close()
    out = process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)  # the rusage of exactly this process
    process.returncode = 0
    seconds, length, _ = out.split()
    return float(seconds), int(length), usage.ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min", type=int, default=128_000, help="smallest size, bytes")
    parser.add_argument("--max", type=int, default=1_024_000, help="largest size, bytes")
    args = parser.parse_args(argv)
    base = measure("code", 0)[2]
    print(f"Python {sys.version.split()[0]}; interpreter with the engine loaded: {base:.0f} MB\n")
    print("| input | bytes | engine CPU s | s per MB | peak RSS MB | RSS above the interpreter, MB per MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in ("code", "short-lines", "long-line"):
        size = args.min
        while size <= args.max:
            seconds, length, rss = measure(kind, size)
            mb = length / 1e6
            print(f"| {kind} | {length:,} | {seconds:.2f} | {seconds / mb:.1f} | {rss:.0f} | "
                  f"{(rss - base) / mb:.0f} |", flush=True)
            size *= 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
