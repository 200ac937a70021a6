#!/usr/bin/env python3
"""ml-seclint benchmark: ml-seclint, flake8 (with and without the plugin) and bandit on one corpus.

    python bench/run.py              # build the corpus if needed, run every tool once
    python bench/run.py --repeat 3   # best of 3 wall times per tool

Standard library only; the tools are the ones installed next to the running Python (run it with
the interpreter of the virtualenv that has ml-seclint, flake8 and bandit). The corpus (pinned
wheels from PyPI, only their .py files) is unpacked into bench/corpus/ and reused by later runs;
the downloaded wheels are kept in bench/.cache/wheels/ and the tools' raw outputs in
bench/.cache/out/. Results go to bench/results.json and into bench/README.md between the
`<!-- results -->` markers. See bench/README.md for the method.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
CACHE_DIR = HERE / ".cache"
README = HERE / "README.md"
RESULTS_JSON = HERE / "results.json"

START_MARKER = "<!-- results -->"
END_MARKER = "<!-- /results -->"

# Pinned wheels of real ML code (pure-Python wheels: the .py files are the package source).
PACKAGES: tuple[tuple[str, str], ...] = (
    ("transformers", "4.26.1"),
    ("datasets", "3.1.0"),
    ("accelerate", "1.1.1"),
    ("peft", "0.13.2"),
)
COMPLETE = ".bench-complete"

# flake8 runs every installed plugin whatever --select says (selection only filters the
# reported codes), so "flake8 without ml-seclint" has to hide the plugin from flake8's plugin
# discovery. This wrapper drops the ml-seclint distribution from flake8's own plugin finder and
# then runs flake8's normal entry point; workers are forked (Linux), so they inherit it.
FLAKE8_WITHOUT_PLUGIN = """\
import sys
import flake8.plugins.finder as finder
_find_plugins = finder.find_plugins
def find_plugins(cfg, opts):
    return [p for p in _find_plugins(cfg, opts) if p.package != "ml-seclint"]
finder.find_plugins = find_plugins
from flake8.main.cli import main
sys.argv[0] = "flake8"
raise SystemExit(main())
"""

FLAKE8_DEFAULT_SELECT = "E,F,W,C90"  # flake8's own default select (pycodestyle, pyflakes, mccabe)


# -- corpus ------------------------------------------------------------------------------------

def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_wheel(wheels: Path, name: str, version: str) -> Optional[Path]:
    prefix = f"{_normalise(name)}-{version}-"
    for wheel in sorted(wheels.glob("*.whl")):
        if wheel.name.lower().startswith(prefix):
            return wheel
    return None


def _unpack_py(wheel: Path, target: Path) -> int:
    """Extract only the .py members of a wheel; returns how many."""
    count = 0
    root = target.resolve()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.endswith(".py"):
                continue
            dest = (target / member.filename).resolve()
            if root not in dest.parents:  # no path traversal out of the corpus
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(archive.read(member))
            count += 1
    return count


def build_corpus(packages: Sequence[tuple[str, str]], corpus: Path = CORPUS_DIR,
                 cache: Path = CACHE_DIR, log: Callable[[str], None] = print) -> list[Path]:
    """bench/corpus/<name>-<version>/ for each package; downloads only what is missing."""
    wheels = cache / "wheels"
    corpus.mkdir(parents=True, exist_ok=True)
    dirs = []
    for name, version in packages:
        target = corpus / f"{name}-{version}"
        dirs.append(target)
        if (target / COMPLETE).is_file():
            continue
        wheel = _find_wheel(wheels, name, version)
        if wheel is None:
            log(f"downloading {name}=={version} ...")
            wheels.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--only-binary=:all:", "--dest", str(wheels), f"{name}=={version}"],
                           check=True)
            wheel = _find_wheel(wheels, name, version)
            if wheel is None:
                raise SystemExit(f"bench: pip downloaded no wheel for {name}=={version}")
        if target.exists():
            shutil.rmtree(target)
        count = _unpack_py(wheel, target)
        (target / COMPLETE).write_text(f"{wheel.name}\n{count} files\n")
        log(f"unpacked {count} .py files of {wheel.name}")
    # The corpus is its own project: no tool looks for configuration above it (ml-seclint would
    # otherwise pick up this repository's pyproject.toml).
    (corpus / "pyproject.toml").write_text(
        '# written by bench/run.py: keeps ml-seclint from reading the pyproject.toml above\n'
        '[project]\nname = "ml-seclint-bench-corpus"\nversion = "0"\n\n[tool.ml-seclint]\n')
    return dirs


def python_files(dirs: Sequence[Path]) -> list[Path]:
    files = []
    for top in dirs:
        for root, subdirs, names in os.walk(top):
            subdirs.sort()
            files.extend(Path(root) / n for n in sorted(names) if n.endswith(".py"))
    return files


def corpus_stats(dirs: Sequence[Path]) -> dict:
    files = python_files(dirs)
    lines = 0
    size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data)
        lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return {"files": len(files), "lines": lines, "bytes": size}


# -- measuring ---------------------------------------------------------------------------------

def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS of `root` and all its descendants (Linux /proc; 0 elsewhere)."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces and parentheses
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(parents.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


@dataclass
class Measurement:
    wall: float
    cpu: float  # user + system seconds of the process and all its waited-for children
    max_rss_mb: float  # ru_maxrss: the largest single process of the run
    tree_rss_mb: float  # sampled peak of the summed RSS of the whole process tree
    exit_code: int


def measure(cmd: Sequence[str], stdout: Path, cwd: Path, interval: float = 0.2) -> Measurement:
    """Run `cmd` once; wall clock, rusage of exactly this run (os.wait4) and sampled tree RSS."""
    with open(stdout, "wb") as out, open(stdout.with_suffix(".stderr"), "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, cwd=cwd)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(interval):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    max_rss = usage.ru_maxrss / 1024
    # a sample below the exact largest process only means the sampler missed the peak
    return Measurement(wall, usage.ru_utime + usage.ru_stime, max_rss, max(peak[0] / 1024, max_rss),
                       proc.returncode)


# -- the tools ---------------------------------------------------------------------------------

def _tool(name: str) -> str:
    """The console script installed next to this interpreter, else the one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _count_mls_json(out: Path) -> dict:
    data = json.loads(out.read_text())
    summary = data["summary"]
    return {"findings": summary["findings"], "files_reported": summary["files_checked"],
            "by_code": summary.get("by_code", {})}


def _count_flake8(out: Path) -> dict:
    codes: dict[str, int] = {}
    total = 0
    for line in out.read_text(errors="replace").splitlines():
        # path:line:col: CODE message
        match = re.match(r".*?:\d+:\d+: ([A-Z]+[0-9]+) ", line)
        if match:
            total += 1
            family = "MLS" if match.group(1).startswith("MLS") else match.group(1)[0]
            codes[family] = codes.get(family, 0) + 1
    return {"findings": total, "by_code": dict(sorted(codes.items()))}


def _count_bandit(out: Path) -> dict:
    data = json.loads(out.read_text())
    scanned = [k for k in data.get("metrics", {}) if k != "_totals"]
    return {"findings": len(data["results"]), "files_reported": len(scanned),
            "errors": len(data.get("errors", [])),
            "by_code": {k: v for k, v in data["metrics"]["_totals"].items()
                        if k.startswith("SEVERITY.") and v}}


@dataclass
class Tool:
    key: str
    label: str
    cmd: Callable[[list[str], Path], list[str]]  # (corpus directories, output file) -> argv
    count: Callable[[Path], dict]
    processes: str
    output_file: bool = False  # the tool writes `out` itself (bandit -o)


def tools() -> list[Tool]:
    py = sys.executable
    return [
        Tool("ml-seclint", "ml-seclint check --format json (default --jobs)",
             lambda c, o: [_tool("ml-seclint"), "check", *c, "--format", "json"],
             _count_mls_json, f"{os.cpu_count()} (--jobs default: CPU count)"),
        Tool("ml-seclint-j1", "ml-seclint check --format json --jobs 1",
             lambda c, o: [_tool("ml-seclint"), "check", *c, "--format", "json", "--jobs", "1"],
             _count_mls_json, "1"),
        Tool("bandit", "bandit -r -q -f json",
             lambda c, o: [_tool("bandit"), "-r", "-q", "-f", "json", "-o", str(o), *c],
             _count_bandit, "1 (bandit has no parallel mode)", output_file=True),
        Tool("flake8-mls", "flake8 --isolated --select=MLS",
             lambda c, o: [_tool("flake8"), "--isolated", "--select=MLS", *c],
             _count_flake8, f"{os.cpu_count()} (flake8 --jobs auto)"),
        Tool("flake8-with-plugin", f"flake8 --isolated --select={FLAKE8_DEFAULT_SELECT},MLS",
             lambda c, o: [_tool("flake8"), "--isolated", f"--select={FLAKE8_DEFAULT_SELECT},MLS", *c],
             _count_flake8, f"{os.cpu_count()} (flake8 --jobs auto)"),
        Tool("flake8-without-plugin",
             f"flake8 --isolated --select={FLAKE8_DEFAULT_SELECT} (ml-seclint plugin not loaded)",
             lambda c, o: [py, "-c", FLAKE8_WITHOUT_PLUGIN, "--isolated",
                           f"--select={FLAKE8_DEFAULT_SELECT}", *c],
             _count_flake8, f"{os.cpu_count()} (flake8 --jobs auto)"),
    ]


def tool_versions() -> dict:
    def run(cmd: list[str]) -> str:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unavailable ({exc})"
        return " ".join((proc.stdout or proc.stderr).split()) or "?"

    return {
        "ml-seclint": run([_tool("ml-seclint"), "--version"]),
        "flake8": run([_tool("flake8"), "--version"]),
        "flake8 without ml-seclint": run([sys.executable, "-c", FLAKE8_WITHOUT_PLUGIN, "--version"]),
        "bandit": run([_tool("bandit"), "--version"]),
    }


def machine_info() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": None,
        "memory_gib": None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def _loadavg() -> Optional[float]:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# -- the benchmark -----------------------------------------------------------------------------

def run_benchmark(corpus_dirs: Sequence[Path], repeat: int, skip: Sequence[str] = (),
                  log: Callable[[str], None] = print) -> dict:
    stats = corpus_stats(corpus_dirs)
    out_dir = CACHE_DIR / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    selected = [t for t in tools() if t.key not in skip]
    corpus_args = [os.path.relpath(d, HERE) for d in corpus_dirs]  # every tool runs from bench/
    runs: dict[str, list[Measurement]] = {t.key: [] for t in selected}
    loads: list[float] = []
    log(f"corpus: {stats['files']} files, {stats['lines']} lines; {repeat} round(s) of "
        f"{len(selected)} tools")
    for round_no in range(repeat):
        for tool in selected:  # interleaved, so a burst of background load hits no tool alone
            out = out_dir / f"{tool.key}.out"
            load = _loadavg()
            if load is not None:
                loads.append(load)
            m = measure(tool.cmd(corpus_args, out), out, HERE)
            runs[tool.key].append(m)
            log(f"  [{round_no + 1}/{repeat}] {tool.key:<22} {m.wall:7.1f} s wall  {m.cpu:7.1f} s cpu  "
                f"exit {m.exit_code}  (load before: {load if load is not None else '?'})")
    results: dict[str, dict] = {}
    for tool in selected:
        best = min(runs[tool.key], key=lambda m: m.wall)
        out = out_dir / f"{tool.key}.out"
        counted = tool.count(out)
        results[tool.key] = {
            "label": tool.label,
            "processes": tool.processes,
            "wall_s": round(best.wall, 2),
            "wall_all_s": [round(m.wall, 2) for m in runs[tool.key]],
            "cpu_s": round(best.cpu, 2),
            "files_per_s": round(stats["files"] / best.wall, 1),
            "lines_per_s": round(stats["lines"] / best.wall),
            "max_rss_mb": round(best.max_rss_mb, 1),
            "tree_rss_mb": round(best.tree_rss_mb, 1),
            "exit_code": best.exit_code,
            **counted,
        }
        reported = counted.get("files_reported")
        if reported is not None and reported != stats["files"]:
            log(f"warning: {tool.key} reports {reported} files, the corpus has {stats['files']}")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "repeat": repeat,
        "corpus": {"packages": [f"{d.name}" for d in corpus_dirs], **stats},
        "machine": machine_info(),
        "load_average_1min": {"min": min(loads, default=None), "max": max(loads, default=None)},
        "versions": tool_versions(),
        "tools": results,
        "ratios": ratios(results),
    }


def _ratio(results: dict, a: str, b: str, what: str = "wall_s") -> Optional[float]:
    if a in results and b in results and results[b][what]:
        return round(results[a][what] / results[b][what], 2)
    return None


RATIOS = (
    # key, numerator, denominator, target, description
    ("ml-seclint/bandit", "ml-seclint", "bandit", 1.0,
     "ml-seclint (default --jobs) vs bandit (one process)"),
    ("ml-seclint-j1/bandit", "ml-seclint-j1", "bandit", None,
     "ml-seclint --jobs 1 vs bandit: one process each"),
    ("flake8+MLS/flake8", "flake8-with-plugin", "flake8-without-plugin", 1.5,
     "flake8 with ml-seclint installed vs without (both E,F,W,C90)"),
)


def ratios(results: dict) -> dict:
    out = {}
    for key, a, b, target, description in RATIOS:
        out[key] = {"wall": _ratio(results, a, b), "cpu": _ratio(results, a, b, "cpu_s"),
                    "target": target, "description": description}
    return out


# -- reporting ---------------------------------------------------------------------------------

def _fmt(value, spec: str = "", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def render_table(data: dict) -> str:
    """The Markdown block that goes between the README markers."""
    corpus = data["corpus"]
    machine = data["machine"]
    load = data.get("load_average_1min") or {}
    lines = [
        f"Run of {data['date']}, best of {data['repeat']} run(s) per tool. Corpus: "
        f"{', '.join(corpus['packages'])}: {corpus['files']:,} files, {corpus['lines']:,} lines. "
        f"Machine: {machine['cpus']} CPUs ({machine.get('cpu_model') or 'unknown model'}), "
        f"{_fmt(machine.get('memory_gib'))} GiB, Python {machine['python']}; 1-minute load "
        f"average before the runs: {_fmt(load.get('min'), '.1f')}–{_fmt(load.get('max'), '.1f')}.",
        "",
        "| tool | processes | wall s | CPU s | files/s | lines/s | peak RSS MB (largest process / tree) "
        "| findings |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, row in data["tools"].items():
        lines.append(
            f"| `{row['label']}` | {row['processes']} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | "
            f"{row['files_per_s']:,.0f} | {row['lines_per_s']:,.0f} | "
            f"{row['max_rss_mb']:.0f} / {row['tree_rss_mb']:.0f} | {row['findings']:,} |")
    lines += ["", "| ratio | wall | CPU | target |", "| --- | ---: | ---: | --- |"]
    for key, ratio in data["ratios"].items():
        target = ratio["target"]
        verdict = ""
        if target is not None and ratio["wall"] is not None:
            verdict = f"<= {target} " + ("(met)" if ratio["wall"] <= target else "(**not met**)")
        lines.append(f"| {ratio['description']} | {_fmt(ratio['wall'], '.2f')} | "
                     f"{_fmt(ratio['cpu'], '.2f')} | {verdict or '-'} |")
    lines += ["", "Versions: " + "; ".join(f"{k}: `{v}`" for k, v in data["versions"].items())]
    return "\n".join(lines) + "\n"


def replace_between_markers(text: str, block: str, start: str = START_MARKER,
                            end: str = END_MARKER) -> str:
    """`text` with everything between the markers replaced by `block` (markers kept)."""
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if i < 0 or j < 0:
        raise ValueError(f"markers {start!r} ... {end!r} not found")
    return text[:i + len(start)] + "\n" + block.rstrip("\n") + "\n" + text[j:]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", "-n", type=int, default=1,
                        help="runs per tool; the best wall time counts (default: 1)")
    default_corpus = ",".join(f"{n}=={v}" for n, v in PACKAGES)
    parser.add_argument("--packages", help="comma-separated name==version list replacing the "
                                           f"default corpus ({default_corpus})")
    parser.add_argument("--skip", default="", help="comma-separated tool keys not to run: "
                                                   + ", ".join(t.key for t in tools()))
    parser.add_argument("--no-write", action="store_true",
                        help="print the table only; leave README.md and results.json alone")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    packages = PACKAGES
    if args.packages:
        packages = tuple(tuple(p.strip().split("==", 1)) for p in args.packages.split(","))  # type: ignore
        if any(len(p) != 2 for p in packages):
            parser.error("--packages takes name==version items")
    skip = [s.strip() for s in args.skip.split(",") if s.strip()]
    unknown = set(skip) - {t.key for t in tools()}
    if unknown:
        parser.error(f"unknown tool(s) in --skip: {', '.join(sorted(unknown))}")

    dirs = build_corpus(packages)
    data = run_benchmark(dirs, args.repeat, skip)
    table = render_table(data)
    print()
    print(table)
    if not args.no_write:
        RESULTS_JSON.write_text(json.dumps(data, indent=2) + "\n")
        README.write_text(replace_between_markers(README.read_text(), table))
        print(f"wrote {RESULTS_JSON.relative_to(HERE.parent)} and {README.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
