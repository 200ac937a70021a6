"""`ml-seclint check|rules|explain`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional, Sequence

from ml_seclint import __version__
from ml_seclint.engine.code_context import CONTEXTS
from ml_seclint.engine.finding import SEVERITIES

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a one-line message, like argparse
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"ml-seclint: error: {message}\n")


def _codes(value: str) -> list[str]:
    from ml_seclint.engine.config import code_prefix_problem

    codes = [c.strip() for c in value.split(",") if c.strip()]
    for code in codes:
        problem = code_prefix_problem(code)
        if problem:
            raise argparse.ArgumentTypeError(problem)
    return codes


def _patterns(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


#: --output-format values: Ruff's two text styles, `text` (full on a terminal, else concise),
#: and the machine formats of ml_seclint.output.formats()
TEXT_STYLES = ("concise", "full", "text")
CONFIDENCES = ("low", "medium", "high")


def _contexts(value: str) -> list[str]:
    from ml_seclint.engine.config import ConfigError, check_contexts

    names = [c.strip() for c in value.split(",") if c.strip()]
    try:
        return check_contexts(names, "--context")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from ml_seclint.output import formats

    parser = _Parser(prog="ml-seclint", description="Security linter for machine-learning code.")
    parser.add_argument("--version", action="version", version=f"ml-seclint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    check.add_argument("--select", type=_codes, metavar="CODES",
                       help="comma-separated code prefixes to enable (replaces the configured select)")
    check.add_argument("--ignore", type=_codes, metavar="CODES",
                       help="comma-separated code prefixes to disable (replaces the configured ignore)")
    output_formats = [*TEXT_STYLES, *sorted(set(formats()) - {"text"})]
    check.add_argument("--output-format", "--format", dest="format", choices=output_formats, default="text",
                       metavar="FORMAT",
                       help="concise (one line per finding), full (with the source line, the guideline "
                            "section and the fix), text (default: full on a terminal, concise otherwise), "
                            "json, sarif, github, rdjson")
    check.add_argument("--statistics", action="store_true",
                       help="count the findings per code instead of listing them (text or json)")
    check.add_argument("--quiet", "-q", action="store_true", help="print the findings only, no summary")
    check.add_argument("--severity", choices=SEVERITIES, default="low", metavar="SEVERITY",
                       help="show only findings of this severity or above: low (default), medium, high, "
                            "critical; hidden findings do not count for the exit status")
    check.add_argument("--confidence", choices=CONFIDENCES, default="low", metavar="CONFIDENCE",
                       help="show only findings of rules with this confidence or above: low (default), "
                            "medium, high")
    check.add_argument("--exclude", type=_patterns, metavar="PATTERNS",
                       help="comma-separated glob patterns not to check (replaces the configured exclude)")
    check.add_argument("--extend-exclude", type=_patterns, metavar="PATTERNS",
                       help="comma-separated glob patterns not to check, added to the configured exclude")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="with PATH '-': the name of the code read from standard input (for "
                            "configuration, per-file ignores and the output)")
    check.add_argument("--sarif-category", metavar="CATEGORY",
                       help="SARIF automationDetails.id category (GitHub code scanning's `category`)")
    check.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="worker processes (default: CPU count)")
    check.add_argument("--config", metavar="PYPROJECT",
                       help="use this pyproject.toml instead of the nearest one")
    check.add_argument("--disable-noqa", action="store_true", help="report findings silenced by # noqa")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--fail-on", choices=SEVERITIES, default="low", metavar="SEVERITY",
                       help="lowest severity that makes the exit status 1: "
                            "low (default), medium, high, critical")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--baseline", metavar="FILE",
                       help="report only findings not accepted in this baseline")
    check.add_argument("--write-baseline", metavar="FILE",
                       help="accept the current findings: write them to FILE as a baseline")
    check.add_argument("--since", metavar="REV",
                       help="check only files changed since the git revision REV and report only "
                            "findings on added or modified lines")
    check.add_argument("--show-suppressed", action="store_true",
                       help="also list the findings that comments or the baseline suppressed, and why")
    check.add_argument("--fix", action="store_true",
                       help="apply the safe fixes in place and report what remains")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, also apply the unsafe fixes (they may change behaviour)")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff instead of writing them (implies --fix)")
    check.add_argument("--context", type=_contexts, metavar="CONTEXTS",
                       help="comma-separated code contexts to report (default: all but vendored): "
                            + ", ".join(CONTEXTS))
    check.add_argument("--no-notebooks", action="store_true",
                       help="do not check Jupyter notebooks (.ipynb) found in directories")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the result cache (also ML_SECLINT_NO_CACHE=1)")
    check.add_argument("--cache-dir", metavar="DIR",
                       help="result cache directory (default: cache-dir in [tool.ml-seclint], "
                            "ML_SECLINT_CACHE_DIR, else .ml_seclint_cache in the project root)")

    rules = sub.add_parser("rules", help="list the rules with their guideline sections")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE")

    report = sub.add_parser("report", help="a guideline report of a run (or of a JSON results file), "
                                           "as Markdown or a self-contained HTML page")
    report.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    report.add_argument("--input", "-i", metavar="RESULTS",
                        help="report on this `check --format json` output instead of running a check")
    report.add_argument("--format", choices=("markdown", "html"),
                        help="markdown (default) or html (the default for an --output ending in .html)")
    report.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    report.add_argument("--select", type=_codes, metavar="CODES", help="as for check")
    report.add_argument("--ignore", type=_codes, metavar="CODES", help="as for check")
    report.add_argument("--config", metavar="PYPROJECT", help="as for check")
    report.add_argument("--exclude", type=_patterns, metavar="PATTERNS", help="as for check")
    report.add_argument("--extend-exclude", type=_patterns, metavar="PATTERNS", help="as for check")
    report.add_argument("--no-notebooks", action="store_true", help="as for check")
    report.add_argument("--context", type=_contexts, metavar="CONTEXTS", help="as for check")
    report.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="as for check")

    init = sub.add_parser("init", help="add a commented [tool.ml-seclint] table to pyproject.toml "
                                       "(created when missing, never overwritten)")
    init.add_argument("--pyproject", default="pyproject.toml", metavar="PATH",
                      help="the file to write (default: pyproject.toml)")

    sub.add_parser("server", help="run the language server (LSP over stdio) for editors; "
                                  "needs the [server] extra (pygls)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "server":
            return cmd_server()
        if args.command == "report":
            return cmd_report(args)
        if args.command == "init":
            return cmd_init(args)
        parser.print_help()
        return EXIT_ERROR
    except UsageError as exc:
        print(f"ml-seclint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `ml-seclint check | head`
        return EXIT_CLEAN


# -- check ---------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from ml_seclint.engine.config import ConfigError
    from ml_seclint.frontends.cache import ENV_OFF as ENV_NO_CACHE, Cache
    from ml_seclint.frontends.runner import Progress, run, stage_counts

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    paths = args.paths or ["."]
    stdin = "-" in paths
    for path in paths:
        if path != "-" and not os.path.lexists(path):
            raise UsageError(f"path '{path}' does not exist")
    if stdin and len(paths) > 1:
        raise UsageError("'-' (standard input) cannot be combined with other paths")
    if args.stdin_filename and not stdin:
        raise UsageError("--stdin-filename needs the path '-'")
    if args.since and args.write_baseline:
        raise UsageError("--write-baseline records every finding; it cannot be combined with --since")
    fixing = bool(getattr(args, "fix", False) or getattr(args, "diff", False))
    if fixing and args.since:
        raise UsageError("--fix and --diff fix whole files; they cannot be combined with --since")
    if fixing and stdin:
        raise UsageError("--fix and --diff rewrite files; they cannot be used on standard input")
    if args.statistics and args.format not in (*TEXT_STYLES, "json"):
        raise UsageError("--statistics prints text or json, not " + args.format)
    baseline = _load_baseline(args.baseline) if args.baseline else None
    changed = _changed_lines(args.since) if args.since else None
    try:
        tasks = stdin_tasks(args) if stdin else collect_tasks(paths, args)
    except ConfigError as exc:
        raise UsageError(f"configuration: {exc}") from None
    if changed is not None:
        tasks = [t for t in tasks if _real(t.path) in changed and changed[_real(t.path)] != set()]
    edits = args.format in ("sarif", "rdjson")  # text edits of the fixes, computed in the workers
    cache = None if fixing or edits or args.no_cache or os.environ.get(ENV_NO_CACHE, "") not in ("", "0") \
        else Cache(args.cache_dir)
    for task in tasks:
        task.fix, task.unsafe_fixes, task.diff, task.edits = fixing, args.unsafe_fixes, args.diff, edits
        task.cache = cache
    progress = Progress()
    stream = _streaming(args, fixing, changed)
    results = run(tasks, args.jobs, progress, on_result=stream(progress) if stream else None)
    progress.finish()
    if os.environ.get("ML_SECLINT_STATS"):
        print(stage_counts(results), file=sys.stderr)
    if args.diff:
        return _print_diff(results, args)
    findings = [f for r in results for f in r.findings]
    suppressed = [f for r in results for f in r.suppressed]
    if changed is not None:
        from ml_seclint.frontends.gitdiff import on_changed_line

        findings, suppressed = ([f for f in group if on_changed_line(f, changed[_real(f.path)])]
                                for group in (findings, suppressed))
    findings, accepted, baseline_path = _apply_baseline(
        args, baseline, findings, [t.path for t in tasks] if changed is None else [])
    shown = [f for f in findings if _displayed(f, args)]
    settings = tasks[0].settings if tasks else None
    report = build_report(args, results, shown, suppressed + accepted, baseline_path, settings)
    report.hidden = len(findings) - len(shown)
    if stream:  # the findings are out already
        from ml_seclint.output.text import render_summary

        _write(render_summary(report, _text_options(args)), None)
    else:
        _write(render_report(report, args), args.output)
    failing = SEVERITIES[SEVERITIES.index(args.fail_on):]
    fails = any(f.severity in failing or f.severity not in SEVERITIES for f in shown)
    return EXIT_FINDINGS if fails and not args.exit_zero else EXIT_CLEAN


def _streaming(args: argparse.Namespace, fixing: bool, changed: Optional[dict]):
    """On a terminal, the text formats print each file's findings as soon as the file is done (in
    the same order as at the end); pipes, files, the machine formats and runs whose findings are
    filtered afterwards (baseline, --since) get the whole report at once. Returns a factory of the
    per-result printer, or None."""
    if args.format not in TEXT_STYLES or args.output or fixing or changed is not None or args.baseline \
            or args.write_baseline or args.statistics or not sys.stdout.isatty():
        return None
    from ml_seclint.output.source import SourceFiles
    from ml_seclint.output.text import render_findings

    options, files = _text_options(args), SourceFiles(os.getcwd())

    def printer(progress):
        def show(result) -> None:
            shown = [f for f in result.findings if _displayed(f, args)]
            if shown:
                progress.clear()
                sys.stdout.write(render_findings(shown, options, files, result.suppressed))
                sys.stdout.flush()
        return show
    return printer


def _displayed(finding, args: argparse.Namespace) -> bool:
    """--severity / --confidence; MLS000 (a file not checked) is always shown."""
    from ml_seclint.engine.finding import NOT_CHECKED

    if finding.code == NOT_CHECKED:
        return True
    severity = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else len(SEVERITIES)
    confidence = CONFIDENCES.index(finding.confidence) if finding.confidence in CONFIDENCES else 0
    return severity >= SEVERITIES.index(args.severity) and confidence >= CONFIDENCES.index(args.confidence)


def build_report(args: argparse.Namespace, results: list, findings: list, suppressed: list,
                 baseline_path: Optional[str], settings):
    from ml_seclint.output.report import Report

    extra = settings.extra if settings is not None else {}
    sources = {r.path: r.source for r in results if getattr(r, "source", None) is not None}
    return Report(findings, len(results), suppressed, root=os.getcwd(),
                  show_suppressed=args.show_suppressed, baseline=baseline_path,
                  fixed=[f for r in results for f in r.fixed], sources=sources,
                  sarif_category=getattr(args, "sarif_category", None) or extra.get("sarif-category"),
                  docs_url=extra.get("docs-url"))


def render_report(report, args: argparse.Namespace) -> str:
    from ml_seclint.output import formats

    if args.statistics:
        from ml_seclint.output.statistics import render_json, render_text, statistics

        rows = statistics(report.findings)
        return render_json(rows) if args.format == "json" else render_text(rows)
    if args.format not in TEXT_STYLES:
        return formats()[args.format](report)
    from ml_seclint.output.text import render

    return render(report, _text_options(args))


def _text_options(args: argparse.Namespace):
    from ml_seclint.output.style import use_colour
    from ml_seclint.output.text import TextOptions

    terminal = args.output is None and sys.stdout.isatty()
    style = args.format if args.format != "text" else ("full" if terminal else "concise")
    colour = args.output is None and use_colour(sys.stdout)
    return TextOptions(style=style, colour=colour, quiet=args.quiet)


def _print_diff(results: list, args: argparse.Namespace) -> int:
    """`check --diff`: the diff on stdout (or --output), a summary on stderr. The exit status is 1
    when there is something to fix or a finding at --fail-on severity remains."""
    from ml_seclint.output.report import fix_summary

    _write("".join(result.diff for result in results), args.output)
    findings = [f for r in results for f in r.findings]
    fixed = [f for r in results for f in r.fixed]
    files = sum(1 for r in results if r.diff)
    print(f"Would fix {len(fixed)} finding(s) in {files} file(s); {len(findings)} finding(s) would "
          f"remain.", file=sys.stderr)
    for line in fix_summary(findings, marked=False):
        print(line, file=sys.stderr)
    failing = SEVERITIES[SEVERITIES.index(args.fail_on):]
    fails = fixed or any(f.severity in failing or f.severity not in SEVERITIES for f in findings)
    return EXIT_FINDINGS if fails and not args.exit_zero else EXIT_CLEAN


def _real(path: str) -> str:
    return os.path.realpath(path)


def _load_baseline(path: str):
    from ml_seclint.frontends.baseline import Baseline, BaselineError

    try:
        return Baseline.load(path)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def _changed_lines(revision: str) -> dict:
    from ml_seclint.frontends.gitdiff import GitError, changed_lines

    if revision.startswith("-"):
        raise UsageError(f"--since: '{revision}' is not a git revision")
    try:
        changed = changed_lines(revision)
    except GitError as exc:
        raise UsageError(f"--since {revision}: {exc}") from None
    return {_real(path): lines for path, lines in changed.items()}


def _apply_baseline(args: argparse.Namespace, baseline, findings: list,
                    checked: list[str]) -> tuple[list, list, Optional[str]]:
    """(new findings, findings the baseline accepts, the baseline's path). --write-baseline
    accepts everything found now, so the run then reports only what can never be baselined."""
    from ml_seclint.frontends.baseline import Baseline
    from ml_seclint.output.source import SourceFiles

    if baseline is None and not args.write_baseline:
        return findings, [], None
    files = SourceFiles(os.getcwd())
    if args.write_baseline:
        baseline = Baseline.build(args.write_baseline, findings, files)
        try:
            baseline.write()
        except OSError as exc:
            raise UsageError(f"cannot write baseline {args.write_baseline}: {exc.strerror or exc}") from None
        print(f"ml-seclint: wrote {sum(baseline.counts.values())} finding(s) to {args.write_baseline}",
              file=sys.stderr)
    new, accepted = baseline.split(findings, files, checked)
    if baseline.unmatched and not args.write_baseline:
        print(f"ml-seclint: {baseline.unmatched} finding(s) in {baseline.path} no longer occur; "
              f"--write-baseline {baseline.path} drops them", file=sys.stderr)
    return new, accepted, baseline.path


def _write(text: str, output: Optional[str]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def stdin_tasks(args: argparse.Namespace) -> list:
    """`check -`: one task whose text is standard input, named --stdin-filename (settings,
    per-file ignores and the output use that name; a name ending in .ipynb is a notebook)."""
    from ml_seclint.engine.config import find_settings, load_settings
    from ml_seclint.frontends.runner import Task

    name = args.stdin_filename or "-"
    directory = os.path.dirname(os.path.abspath(name)) if args.stdin_filename else os.getcwd()
    settings = _with_flags(load_settings(args.config) if args.config else find_settings(directory), args)
    text = sys.stdin.read()
    return [Task(_display(name) if args.stdin_filename else name, settings, args.disable_noqa, source=text)]


def collect_tasks(paths: Sequence[str], args: argparse.Namespace) -> list:
    from ml_seclint.engine.config import find_settings, load_settings
    from ml_seclint.frontends.runner import Task
    from ml_seclint.inputs.sources import walk

    fixed = load_settings(args.config) if args.config else None
    cache: dict[str, object] = {}

    def settings_for(directory: str):
        directory = os.path.abspath(directory)
        if directory not in cache:
            settings = fixed or find_settings(directory)
            cache[directory] = _with_flags(settings, args)
        return cache[directory]

    tasks: list[Task] = []
    seen: set[str] = set()
    # --fix writes through a symlink only to a file under a checked directory (or the directory
    # of a file named on the command line)
    roots = tuple(sorted({os.path.realpath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
                          for p in paths}))
    for path in paths:
        if os.path.isdir(path):
            files = list(walk(path, settings_for))
        else:
            files = [path]  # named explicitly: checked whatever its extension or exclude
        for file in files:
            key = os.path.abspath(file)
            if key not in seen:
                seen.add(key)
                tasks.append(Task(_display(file), settings_for(os.path.dirname(key)), args.disable_noqa,
                                  roots=roots))
    return tasks


def _display(path: str) -> str:
    path = os.path.normpath(path)
    return path[2:] if path.startswith("./") else path


def _with_flags(settings, args: argparse.Namespace):
    import dataclasses

    changes = {}
    if args.select is not None:
        changes["select"] = tuple(args.select)
    if args.ignore is not None:
        changes["ignore"] = tuple(args.ignore)
    if getattr(args, "context", None):
        changes["extra"] = {**changes.get("extra", settings.extra), "context": tuple(args.context)}
    if getattr(args, "no_notebooks", False):
        changes["extra"] = {**changes.get("extra", settings.extra), "notebooks": False}
    if getattr(args, "exclude", None) is not None:
        changes["exclude"] = tuple(args.exclude)
    if getattr(args, "extend_exclude", None):
        changes["exclude"] = (*changes.get("exclude", settings.exclude), *args.extend_exclude)
    return dataclasses.replace(settings, **changes) if changes else settings


def cmd_report(args: argparse.Namespace) -> int:
    from ml_seclint.output import guideline_html, guideline_report

    if args.input:
        findings, files_checked, version = _results_file(args.input)
        docs_url = None
    else:
        findings, files_checked, docs_url = _run_for_report(args)
        version = __version__
    model = guideline_report.build(findings, files_checked, version, docs_url)
    html = args.format == "html" or (args.format is None and (args.output or "").endswith((".html", ".htm")))
    _write(guideline_html.render(model) if html else guideline_report.markdown(model), args.output)
    return EXIT_CLEAN


def _results_file(path: str) -> tuple[list, Optional[int], str]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    keys = ("path", "line", "code", "severity", "message")
    if not isinstance(findings, list) or not all(isinstance(f, dict) and all(k in f for k in keys)
                                                 for f in findings):
        raise UsageError(f"{path} is not the output of `ml-seclint check --format json`")
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    return findings, summary.get("files_checked"), str(data.get("version", "?"))


def _run_for_report(args: argparse.Namespace) -> tuple[list, int, Optional[str]]:
    from ml_seclint.engine.config import ConfigError
    from ml_seclint.frontends.runner import Progress, run
    from ml_seclint.output.report import finding_dict

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    paths = args.paths or ["."]
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"path '{path}' does not exist")
    args.disable_noqa = False
    try:
        tasks = collect_tasks(paths, args)
    except ConfigError as exc:
        raise UsageError(f"configuration: {exc}") from None
    progress = Progress()
    results = run(tasks, args.jobs, progress)
    progress.finish()
    docs_url = tasks[0].settings.extra.get("docs-url") if tasks else None
    return [finding_dict(f) for r in results for f in r.findings], len(results), docs_url


def cmd_init(args: argparse.Namespace) -> int:
    from ml_seclint.frontends.init import InitError, init

    try:
        done = init(args.pyproject)
    except InitError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.pyproject}: {exc.strerror or exc}") from None
    print(f"ml-seclint: {done}", file=sys.stderr)
    return EXIT_CLEAN


def cmd_server() -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        raise UsageError("`ml-seclint server` needs pygls: pip install 'ml-seclint[server]'") from None
    from ml_seclint.frontends.server import serve

    serve()
    return EXIT_CLEAN


# -- rules / explain -----------------------------------------------------------------------

def cmd_rules(args: argparse.Namespace) -> int:
    from ml_seclint.guidelines import SECTIONS
    from ml_seclint.engine.registry import RULES

    if args.format == "json":
        print(json.dumps([rule.metadata() for rule in RULES.values()], indent=2))
        return EXIT_CLEAN
    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return EXIT_CLEAN
    rows = [("CODE", "NAME", "SEVERITY", "FIX", "GUIDELINE", "CWE")]
    for rule in RULES.values():
        section = SECTIONS[rule.guideline]
        rows.append((rule.code, rule.name, rule.severity, rule.fix_safety or "-",
                     f"{section.id} {section.title}", ",".join(f"CWE-{c}" for c in rule.cwe)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return EXIT_CLEAN


def rules_markdown() -> str:
    """The rule table of the README (kept in sync by a test)."""
    from ml_seclint.guidelines import SECTIONS
    from ml_seclint.engine.registry import RULES

    lines = ["| Code | Name | Severity | Guideline section | CWE | Fix |", "|---|---|---|---|---|---|"]
    for rule in RULES.values():
        section = SECTIONS[rule.guideline]
        cwe = ", ".join(f"CWE-{c}" for c in rule.cwe)
        lines.append(f"| [{rule.code}](docs/rules/{rule.code}.md) | {rule.name} | {rule.severity} | "
                     f"{section.id} {section.title} | {cwe} | {rule.fix_safety or '-'} |")
    return "\n".join(lines) + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    from ml_seclint.engine.registry import RULES, rule_doc

    code = args.code.upper()
    rule = RULES.get(code) or next((r for r in RULES.values() if r.name == args.code), None)
    if rule is None:
        raise UsageError(f"unknown rule '{args.code}'; `ml-seclint rules` lists them")
    doc = rule_doc(rule.code)
    if doc is None:
        meta = rule.metadata()
        doc = (f"# {rule.code} {rule.name}\n\n{rule.summary}\n\nGuideline: {meta['guideline']['id']} "
               f"{meta['guideline']['title']}\nCWE: {', '.join(meta['cwe'])}\n")
    sys.stdout.write(doc if doc.endswith("\n") else doc + "\n")
    return EXIT_CLEAN
