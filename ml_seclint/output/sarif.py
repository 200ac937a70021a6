"""SARIF 2.1.0 as GitHub code scanning accepts it (docs/ci.md shows the upload).

Every registered rule is in `tool.driver.rules` (plus MLS000), with its doc page and the titles of
its guideline section, CWE, OWASP and ATLAS ids as `help`, tags (`security`,
`external/cwe/cwe-N`, `guideline/<section>`), `precision` and `security-severity` (a string);
`helpUri` only when the `docs-url` setting says where the team hosts the pages. Results carry paths
relative to the scan root, 1-based regions whose `endColumn` is the column after the last
character, in Unicode code points (`columnKind`), the `primaryLocationLineHash` that
github/codeql-action's upload step would compute, and `fixes` (text replacements, safe or unsafe)
when the finding has one. Notebook findings point at the line of the .ipynb file that holds their
cell's source line (the cell is also in the message and in `properties.cell`); when that line
cannot be found the region is line 1 with the cell position in its `properties`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Optional
from urllib.parse import quote

from ml_seclint.output.report import Report
from ml_seclint.output.source import SourceFiles
from ml_seclint.engine.finding import NOT_CHECKED, SECURITY_SEVERITY, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"low": "note", "medium": "warning", "high": "error", "critical": "error"}
PRECISION = {"low": "low", "medium": "medium", "high": "high"}
ROOT_ID = "%SRCROOT%"


def help_uri(code: str, docs_url: Optional[str]) -> Optional[str]:
    from ml_seclint.output.report import rule_url

    return rule_url(code, docs_url)


# -- GitHub's line fingerprint -------------------------------------------------------------
# A port of `hash` in github/codeql-action src/fingerprints.ts: a rolling hash (base 37, mod 2**64)
# over the next 100 characters from the start of each line, skipping spaces and tabs, with
# \r\n, \r and \n read as \n; identical hashes are numbered `hash:1`, `hash:2`, ... JavaScript
# strings are UTF-16, so the characters are UTF-16 code units.
_BLOCK = 100
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(37, _BLOCK, 1 << 64)
_EOF = 65535


def line_hashes(text: str, upto: Optional[int] = None) -> list[str]:
    """`primaryLocationLineHash` of every line of `text` (index 0 is line 1), or of the first
    `upto` lines (a line's hash needs the 100 characters after its start, not the rest)."""
    data = text.encode("utf-16-le", "surrogatepass")
    units = [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]
    window = [0] * _BLOCK
    starts = [-1] * _BLOCK  # line number starting at each window slot, or -1
    hashes: list[str] = []
    counts: dict[str, int] = {}
    value = index = line = 0
    line_start, prev_cr = True, False

    def output() -> None:
        key = format(value, "x")
        counts[key] = counts.get(key, 0) + 1
        hashes.append(f"{key}:{counts[key]}")
        starts[index] = -1

    def update(unit: int) -> None:
        nonlocal value, index
        begin, window[index] = window[index], unit
        value = (37 * value + unit - _FIRST_MOD * begin) & _MASK
        index = (index + 1) % _BLOCK

    for unit in (*units, _EOF):
        if unit in (0x20, 0x09) or (prev_cr and unit == 0x0A):
            prev_cr = False
            continue
        prev_cr = unit == 0x0D
        if prev_cr:
            unit = 0x0A
        if starts[index] != -1:
            output()
            if upto is not None and len(hashes) >= upto:
                return hashes
        if line_start:
            line_start = False
            line += 1
            starts[index] = line
        if unit == 0x0A:
            line_start = True
        update(unit)
    for _ in range(_BLOCK):
        if starts[index] != -1:
            output()
        update(0)
    return hashes[:upto]


# -- rules ---------------------------------------------------------------------------------

def _section(markdown: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    if not match:
        return ""
    paragraph = match.group(1).strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def standards_markdown(rule) -> str:
    """The rule's guideline sections, CWE, OWASP and ATLAS ids with their titles."""
    from ml_seclint.guidelines import ATLAS_TITLES, CWE_TITLES, DOCUMENT, OWASP_TITLES, SECTIONS

    lines = ["## Standards", ""]
    for sid in (rule.guideline, *rule.secondary_guidelines):
        section = SECTIONS[sid]
        lines.append(f"- {DOCUMENT}, {section.id} ({section.area}): {section.title}")
    lines += [f"- CWE-{n}: {CWE_TITLES.get(n, '')}".rstrip(": ") for n in rule.cwe]
    lines += [f"- OWASP {o}: {OWASP_TITLES.get(o, '')}".rstrip(": ") for o in rule.owasp]
    lines += [f"- MITRE ATLAS {a}: {ATLAS_TITLES.get(a, '')}".rstrip(": ") for a in rule.atlas]
    return "\n".join(lines) + "\n"


def rule_descriptor(rule, docs_url: Optional[str] = None) -> dict:
    from ml_seclint.engine.registry import rule_doc

    doc = rule_doc(rule.code)
    guidelines = [rule.guideline, *rule.secondary_guidelines]
    tags = ["security", "ml", *(f"external/cwe/cwe-{n}" for n in rule.cwe),
            *(f"guideline/{g}" for g in guidelines)]
    meta = rule.metadata()
    page = doc or f"# {rule.code} {rule.name}\n\n{rule.summary}.\n\n`ml-seclint explain {rule.code}`\n"
    page = page.rstrip("\n") + "\n\n" + standards_markdown(rule)
    descriptor = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _clip(rule.summary)},
        "fullDescription": {"text": _clip((doc and _section(doc, "What it does")) or rule.summary)},
        "help": {"text": page, "markdown": page},
    }
    uri = help_uri(rule.code, docs_url)
    if uri:
        descriptor["helpUri"] = uri
    descriptor.update({
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": tags,
            "precision": PRECISION.get(rule.confidence, "medium"),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "guideline": meta["guideline"],
            "secondary_guidelines": meta["secondary_guidelines"],
            "cwe": meta["cwe"],
            "owasp": meta["owasp"],
            "atlas": meta["atlas"],
        },
    })
    return descriptor


def _not_checked_descriptor() -> dict:
    text = ("ml-seclint could not check this file, or one rule failed on it (syntax error, bad "
            "encoding, unreadable file, internal error); the message says why. Nothing is skipped "
            "silently: fix the cause or exclude the file.")
    return {
        "id": NOT_CHECKED,
        "name": "file-not-checked",
        "shortDescription": {"text": "ml-seclint could not check this file"},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["ml-seclint"], "precision": "very-high", "problem.severity": "warning"},
    }


# -- results -------------------------------------------------------------------------------

def _region(finding: Finding, files: SourceFiles) -> dict:
    line, column, end_line, end_column, exact = files.located(finding)
    if not exact:  # a notebook whose cell source could not be found in its JSON
        return {"startLine": 1, "properties": {"cell": finding.cell, "cellLine": finding.line,
                                               "cellColumn": finding.column + 1}}
    region = {"startLine": line, "startColumn": column + 1}
    if (end_line, end_column) > (line, column):
        region.update(endLine=end_line, endColumn=end_column + 1)
    return region


def _flow(finding: Finding, primary: dict, files: SourceFiles) -> dict:
    """A flow's other places (its source first) as `relatedLocations`, and the whole path from the
    source to the reported sink as one `codeFlow`, so a reviewer sees where the data came from."""
    artifact = primary["physicalLocation"]["artifactLocation"]
    related = []
    for number, place in enumerate(finding.related, 1):
        # a place in a notebook cell moves to the .ipynb lines like the finding itself
        where = SimpleNamespace(path=finding.path, cell=place.cell, line=place.line, column=place.column,
                                end_line=place.end_line, end_column=place.end_column)
        text = place.message if place.cell is None else f"cell {place.cell}: {place.message}"
        location = {"artifactLocation": dict(artifact), "region": _region(where, files)}
        related.append({"id": number, "physicalLocation": location, "message": {"text": text}})
    steps = [{"location": {"physicalLocation": r["physicalLocation"], "message": r["message"]}}
             for r in related]
    sink = finding.message.split(" [AI guideline", 1)[0]
    steps.append({"location": {**primary, "message": {"text": sink}}})
    return {"relatedLocations": related, "codeFlows": [{"threadFlows": [{"locations": steps}]}]}


def _fixes(finding: Finding, artifact: dict) -> list:
    """SARIF `fixes` from the text edits the worker computed (none for notebooks: an edit of a
    cell is not an edit of the .ipynb text)."""
    fix = finding.fix
    edits = getattr(fix, "edits", None)
    if not edits or finding.cell is not None or fix.safety not in ("safe", "unsafe"):
        return []
    label = "Safe fix" if fix.safety == "safe" else "Unsafe fix (may change behaviour; review it)"
    replacements = [{
        "deletedRegion": {"startLine": e.line, "startColumn": e.column + 1,
                          "endLine": e.end_line, "endColumn": e.end_column + 1},
        "insertedContent": {"text": e.text},
    } for e in edits]
    return [{"description": {"text": f"{label}: {fix.title}"},
             "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}],
             "properties": {"safety": fix.safety}}]


class _Fingerprints:
    def __init__(self, files: SourceFiles, findings: list[Finding]) -> None:
        self.files = files
        self._cache: dict[str, Optional[list[str]]] = {}
        self._last: dict[str, int] = {}  # the last line each file needs a hash for
        for finding in findings:
            key = files.absolute(finding.path)
            self._last[key] = max(self._last.get(key, 0), files.located(finding)[0])

    def get(self, path: str, line: int) -> Optional[str]:
        key = self.files.absolute(path)
        if key not in self._cache:
            raw = self.files.raw(key)
            # the upload action reads the file as UTF-8 whatever its coding cookie says
            self._cache[key] = line_hashes(raw.decode("utf-8", "replace"), self._last.get(key)) \
                if raw is not None else None
        hashes = self._cache[key]
        return hashes[line - 1] if hashes and 1 <= line <= len(hashes) else None


def _result(finding: Finding, index: dict[str, int], files: SourceFiles, prints: _Fingerprints,
            baseline_state: Optional[str]) -> dict:
    message = finding.message if finding.cell is None else f"cell {finding.cell}: {finding.message}"
    result: dict = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    artifact = {"uri": quote(files.relative(finding.path), safe="/"), "uriBaseId": ROOT_ID}
    region = _region(finding, files)
    result.update({
        "level": LEVEL.get(finding.severity, "warning"),
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
    })
    if finding.related:
        result.update(_flow(finding, result["locations"][0], files))
    fixes = _fixes(finding, artifact)
    if fixes:
        result["fixes"] = fixes
    fingerprint = prints.get(finding.path, region["startLine"])
    if fingerprint:
        result["partialFingerprints"] = {"primaryLocationLineHash": fingerprint}
    properties: dict = {"severity": finding.severity, "confidence": finding.confidence,
                        "context": finding.context, "tags": [f"context:{finding.context}"]}
    if finding.severity in SECURITY_SEVERITY and finding.code != NOT_CHECKED:
        properties["security-severity"] = SECURITY_SEVERITY[finding.severity]
    if finding.cell is not None:
        properties["cell"] = finding.cell
    result["properties"] = properties
    why = finding.suppression
    if why is not None:
        result["suppressions"] = [{
            "kind": "external" if why.kind == "baseline" else "inSource",
            "status": "accepted",
            "justification": why.reason or f"{why.directive} (no reason given)",
        }]
    if baseline_state:
        result["baselineState"] = baseline_state
    return result


def render(report: Report) -> str:
    from ml_seclint.engine.registry import RULES

    descriptors = [_not_checked_descriptor(),
                   *(rule_descriptor(rule, report.docs_url) for rule in RULES.values())]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    files = SourceFiles(report.root)
    shown = [*report.findings, *(report.suppressed if report.show_suppressed else ())]
    prints = _Fingerprints(files, shown)

    def state(finding: Finding) -> Optional[str]:
        if not report.baseline:
            return None
        return "unchanged" if finding.suppression and finding.suppression.kind == "baseline" else "new"

    results = [_result(f, index, files, prints, state(f)) for f in shown]
    run = {
        "tool": {"driver": {
            "name": "ml-seclint",
            "semanticVersion": report.version,
            "rules": descriptors,
        }},
        "automationDetails": {"id": f"{(report.sarif_category or 'ml-seclint').strip('/')}/"},
        "originalUriBaseIds": {ROOT_ID: {"uri": Path(files.root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
