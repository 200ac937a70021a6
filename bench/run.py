#!/usr/bin/env python3
"""ml-seclint benchmark: ml-seclint (first and cached run), flake8 (with and without the plugin)
and bandit on three trees of real ML code.

    python bench/run.py              # build the corpora if needed, run every tool once per tree
    python bench/run.py --repeat 3   # best of 3 wall times per tool

Standard library only; the tools are the ones installed next to the running Python (run it with
the interpreter of the virtualenv that has ml-seclint, flake8 and bandit). The corpora (pinned
wheels from PyPI, only their .py files) are unpacked into bench/corpus/ and reused by later runs;
the downloaded wheels are kept in bench/.cache/wheels/, the tools' raw outputs in
bench/.cache/out/ and ml-seclint's result cache in bench/.cache/mls-cache/. Results go to
bench/results.json and into bench/README.md between the `<!-- results -->` markers. See
bench/README.md for the method.
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

# Pinned wheels of real ML code (the .py files of a wheel are the package source).
PACKAGES: tuple[tuple[str, str], ...] = (
    ("transformers", "4.26.1"),
    ("datasets", "3.1.0"),
    ("accelerate", "1.1.1"),
    ("peft", "0.13.2"),
)
#: the three trees of one session: the PyPI corpus above, a diffusers-like tree (a current
#: diffusers: large pipeline files, `from_pretrained` everywhere) and a fairseq-like one (many small
#: research modules)
TREES: dict[str, tuple[tuple[str, str], ...]] = {
    "pypi": PACKAGES,
    "diffusers": (("diffusers", "0.42.1"),),
    "fairseq": (("fairseq", "0.12.2"),),
}
#: fairseq publishes only an sdist whose build needs torch, and binary wheels up to CPython 3.8;
#: the 3.8 wheel's .py files are the same source
PIP_ARGS: dict[str, tuple[str, ...]] = {
    "fairseq": ("--python-version", "3.8", "--platform", "manylinux1_x86_64"),
}
#: the targets of issue 13, per tree where they differ
TARGETS = {"ml-seclint/bandit": {"diffusers": 0.35, "*": 0.25}, "ml-seclint-j1/bandit": {"*": 0.6},
           "flake8+MLS/flake8": {"*": 1.25}, "cached/first": {"*": 0.1}, "memory": {"*": 1.5}}
COMPLETE = ".bench-complete"
STATS = re.compile(r"ml-seclint stats: (?P<files>\d+) files: (?P<text>\d+) stopped by the text prefilter, "
                   r"(?P<names>\d+) by the cheap ast stage, (?P<libcst>\d+) parsed by libcst, "
                   r"(?P<cache>\d+) read from the cache")

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
                            "--only-binary=:all:", *PIP_ARGS.get(name, ()), "--dest", str(wheels),
                            f"{name}=={version}"], check=True)
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


def measure(cmd: Sequence[str], stdout: Path, cwd: Path, interval: float = 0.2,
            env: Optional[dict] = None) -> Measurement:
    """Run `cmd` once; wall clock, rusage of exactly this run (os.wait4) and sampled tree RSS."""
    with open(stdout, "wb") as out, open(stdout.with_suffix(".stderr"), "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, cwd=cwd,
                                env={**os.environ, **(env or {})})
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
    counted = {"findings": summary["findings"], "files_reported": summary["files_checked"],
               "by_code": summary.get("by_code", {})}
    match = STATS.search(out.with_suffix(".stderr").read_text(errors="replace"))
    if match:  # ML_SECLINT_STATS: where each file stopped
        counted["stages"] = {k: int(v) for k, v in match.groupdict().items()}
    return counted


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
    cache: str = ""  # ml-seclint's result cache: "cold" (emptied first), "warm" or "" (--no-cache)


def _mls(*extra: str) -> Callable[[list[str], Path], list[str]]:
    return lambda c, o: [_tool("ml-seclint"), "check", *c, "--format", "json", *extra]


def tools() -> list[Tool]:
    py = sys.executable
    cpus = os.cpu_count()
    return [
        Tool("ml-seclint", "ml-seclint check --format json (default --jobs, empty cache)", _mls(),
             _count_mls_json, f"{cpus} (--jobs default: CPU count)", cache="cold"),
        Tool("ml-seclint-cached", "the same again: second run, unchanged tree", _mls(),
             _count_mls_json, f"{cpus} (--jobs default)", cache="warm"),
        Tool("ml-seclint-j1", "ml-seclint check --format json --jobs 1 --no-cache",
             _mls("--jobs", "1", "--no-cache"), _count_mls_json, "1"),
        Tool("bandit", "bandit -r -q -f json",
             lambda c, o: [_tool("bandit"), "-r", "-q", "-f", "json", "-o", str(o), *c],
             _count_bandit, "1 (bandit has no parallel mode)", output_file=True),
        Tool("flake8-mls", "flake8 --isolated --select=MLS",
             lambda c, o: [_tool("flake8"), "--isolated", "--select=MLS", *c],
             _count_flake8, f"{cpus} (flake8 --jobs auto)"),
        Tool("flake8-with-plugin", f"flake8 --isolated --select={FLAKE8_DEFAULT_SELECT},MLS",
             lambda c, o: [_tool("flake8"), "--isolated", f"--select={FLAKE8_DEFAULT_SELECT},MLS", *c],
             _count_flake8, f"{cpus} (flake8 --jobs auto)"),
        Tool("flake8-without-plugin",
             f"flake8 --isolated --select={FLAKE8_DEFAULT_SELECT} (ml-seclint plugin not loaded)",
             lambda c, o: [py, "-c", FLAKE8_WITHOUT_PLUGIN, "--isolated",
                           f"--select={FLAKE8_DEFAULT_SELECT}", *c],
             _count_flake8, f"{cpus} (flake8 --jobs auto)"),
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

def run_benchmark(trees: dict[str, Sequence[Path]], repeat: int, skip: Sequence[str] = (),
                  log: Callable[[str], None] = print) -> dict:
    out_dir = CACHE_DIR / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    selected = [t for t in tools() if t.key not in skip]
    stats = {name: corpus_stats(dirs) for name, dirs in trees.items()}
    runs: dict[tuple[str, str], list[Measurement]] = {(n, t.key): [] for n in trees for t in selected}
    loads: list[float] = []
    for name in trees:
        log(f"{name}: {stats[name]['files']} files, {stats[name]['lines']} lines")
    log(f"{repeat} round(s) of {len(selected)} tools on {len(trees)} tree(s)")
    for round_no in range(repeat):
        for name, dirs in trees.items():
            corpus_args = [os.path.relpath(d, HERE) for d in dirs]  # every tool runs from bench/
            cache_dir = CACHE_DIR / "mls-cache" / name
            for tool in selected:  # interleaved, so a burst of background load hits no tool alone
                out = out_dir / f"{name}-{tool.key}.out"
                if tool.cache == "cold":
                    shutil.rmtree(cache_dir, ignore_errors=True)
                load = _loadavg()
                if load is not None:
                    loads.append(load)
                env = {"ML_SECLINT_CACHE_DIR": str(cache_dir), "ML_SECLINT_STATS": "1"}
                m = measure(tool.cmd(corpus_args, out), out, HERE, env=env)
                runs[(name, tool.key)].append(m)
                log(f"  [{round_no + 1}/{repeat}] {name:<10} {tool.key:<22} {m.wall:7.1f} s wall  "
                    f"{m.cpu:7.1f} s cpu  {m.max_rss_mb:5.0f} MB  exit {m.exit_code}  (load before: "
                    f"{load if load is not None else '?'})")
    results: dict[str, dict] = {}
    for name, dirs in trees.items():
        tool_rows: dict[str, dict] = {}
        for tool in selected:
            measured = runs[(name, tool.key)]
            best = min(measured, key=lambda m: m.wall)
            counted = tool.count(out_dir / f"{name}-{tool.key}.out")
            tool_rows[tool.key] = {
                "label": tool.label,
                "processes": tool.processes,
                "wall_s": round(best.wall, 2),
                "wall_all_s": [round(m.wall, 2) for m in measured],
                "cpu_s": round(best.cpu, 2),
                "cpu_all_s": [round(m.cpu, 2) for m in measured],
                "files_per_s": round(stats[name]["files"] / best.wall, 1),
                "lines_per_s": round(stats[name]["lines"] / best.wall),
                "max_rss_mb": round(best.max_rss_mb, 1),
                "tree_rss_mb": round(best.tree_rss_mb, 1),
                "exit_code": best.exit_code,
                **counted,
            }
            reported = counted.get("files_reported")
            if reported is not None and reported != stats[name]["files"]:
                log(f"warning: {name}/{tool.key} reports {reported} files, the corpus has "
                    f"{stats[name]['files']}")
        results[name] = {"corpus": {"packages": [d.name for d in dirs], **stats[name]},
                         "tools": tool_rows, "ratios": ratios(tool_rows, name)}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "repeat": repeat,
        "machine": machine_info(),
        "load_average_1min": {"min": min(loads, default=None), "max": max(loads, default=None)},
        "versions": tool_versions(),
        "trees": results,
    }


def _ratio(results: dict, a: str, b: str, what: str = "wall_s") -> Optional[float]:
    if a in results and b in results and results[b][what]:
        return round(results[a][what] / results[b][what], 2)
    return None


RATIOS = (
    # key, numerator, denominator, the measure the target is about, description
    ("ml-seclint/bandit", "ml-seclint", "bandit", "wall",
     "ml-seclint (default --jobs) vs bandit (one process)"),
    ("ml-seclint-j1/bandit", "ml-seclint-j1", "bandit", "cpu",
     "ml-seclint --jobs 1 vs bandit: one process each"),
    ("flake8+MLS/flake8", "flake8-with-plugin", "flake8-without-plugin", "wall",
     "flake8 with ml-seclint installed vs without (both E,F,W,C90)"),
    ("cached/first", "ml-seclint-cached", "ml-seclint", "wall",
     "ml-seclint second run (cache) vs first run"),
    ("memory", "ml-seclint", "bandit", "memory",
     "peak RSS of ml-seclint's largest process vs bandit's"),
)


def target(key: str, tree: str) -> Optional[float]:
    by_tree = TARGETS.get(key, {})
    return by_tree.get(tree, by_tree.get("*"))


def ratios(results: dict, tree: str = "*") -> dict:
    out = {}
    for key, a, b, measure_name, description in RATIOS:
        out[key] = {"wall": _ratio(results, a, b), "cpu": _ratio(results, a, b, "cpu_s"),
                    "memory": _ratio(results, a, b, "max_rss_mb"), "target": target(key, tree),
                    "measure": measure_name, "description": description}
    return out


# -- reporting ---------------------------------------------------------------------------------

def _fmt(value, spec: str = "", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def _stages(row: dict) -> str:
    stages = row.get("stages")
    if not stages:
        return "-"
    if stages["cache"]:
        return f"{stages['cache']:,} from cache"
    after_text = stages["files"] - stages["text"]
    return f"{stages['files']:,} > {after_text:,} > {stages['libcst']:,}"


def render_table(data: dict) -> str:
    """The Markdown block that goes between the README markers."""
    machine = data["machine"]
    load = data.get("load_average_1min") or {}
    lines = [
        f"Run of {data['date']}, best of {data['repeat']} run(s) per tool. Machine: {machine['cpus']} CPUs "
        f"({machine.get('cpu_model') or 'unknown model'}), {_fmt(machine.get('memory_gib'))} GiB, Python "
        f"{machine['python']}; 1-minute load average before the runs: {_fmt(load.get('min'), '.1f')}–"
        f"{_fmt(load.get('max'), '.1f')}. Files (stages): all files > after the text prefilter > "
        f"parsed by libcst (after the cheap ast stage).",
    ]
    for name, tree in data["trees"].items():
        corpus = tree["corpus"]
        lines += [
            "",
            f"**{name}**: {', '.join(corpus['packages'])}: {corpus['files']:,} files, "
            f"{corpus['lines']:,} lines.",
            "",
            "| tool | processes | wall s | CPU s | files/s | lines/s | peak RSS MB (largest process / tree) "
            "| files (stages) | findings |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in tree["tools"].values():
            lines.append(
                f"| `{row['label']}` | {row['processes']} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | "
                f"{row['files_per_s']:,.0f} | {row['lines_per_s']:,.0f} | "
                f"{row['max_rss_mb']:.0f} / {row['tree_rss_mb']:.0f} | {_stages(row)} | "
                f"{row['findings']:,} |")
        lines += ["", "| ratio | wall | CPU | peak RSS | target |", "| --- | ---: | ---: | ---: | --- |"]
        for ratio in tree["ratios"].values():
            goal, measured = ratio["target"], ratio.get(ratio["measure"])
            verdict = "-"
            if goal is not None and measured is not None:
                met = "(met)" if measured <= goal else "(**not met**)"
                verdict = f"{ratio['measure']} <= {goal} {met}"
            lines.append(f"| {ratio['description']} | {_fmt(ratio['wall'], '.2f')} | "
                         f"{_fmt(ratio['cpu'], '.2f')} | {_fmt(ratio['memory'], '.2f')} | {verdict} |")
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
    parser.add_argument("--trees", default=",".join(TREES),
                        help=f"comma-separated trees to run (default: all: {', '.join(TREES)})")
    parser.add_argument("--packages", help="comma-separated name==version list: one tree of these "
                                           "packages instead of the default trees")
    parser.add_argument("--skip", default="", help="comma-separated tool keys not to run: "
                                                   + ", ".join(t.key for t in tools()))
    parser.add_argument("--no-write", action="store_true",
                        help="print the table only; leave README.md and results.json alone")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.packages:
        packages = tuple(tuple(p.strip().split("==", 1)) for p in args.packages.split(","))
        if any(len(p) != 2 for p in packages):
            parser.error("--packages takes name==version items")
        chosen = {"custom": packages}
    else:
        names = [n.strip() for n in args.trees.split(",") if n.strip()]
        unknown_trees = set(names) - set(TREES)
        if unknown_trees:
            parser.error(f"unknown tree(s): {', '.join(sorted(unknown_trees))}")
        chosen = {n: TREES[n] for n in names}
    skip = [s.strip() for s in args.skip.split(",") if s.strip()]
    unknown = set(skip) - {t.key for t in tools()}
    if unknown:
        parser.error(f"unknown tool(s) in --skip: {', '.join(sorted(unknown))}")

    trees = {name: build_corpus(packages) for name, packages in chosen.items()}  # type: ignore[arg-type]
    data = run_benchmark(trees, args.repeat, skip)
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
