"""MLS4xx: secrets in code (provider keys by shape, credentials by code context).

Messages only ever carry `secrets_table.redact(value)`; a crash inside these rules is re-raised
without its arguments, so not even an MLS000 message can carry a value.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Optional, Union

import libcst as cst

from ml_seclint.analysis.literals import concatenations, string_parts, string_value
from ml_seclint.analysis.resolve import MISSING, UNKNOWN, constant
from ml_seclint.analysis.scopes import Scope
from ml_seclint.fix.fixes import UNSAFE, Fix
from ml_seclint.engine.finding import Finding
from ml_seclint.engine.rule import Rule
from ml_seclint.secrets_table import (CREDENTIAL_TEXT, KEYWORDS, KEY_TEXT, KeyMatch, SDK_CREDENTIAL_PARAMS,
                                      credential_name, env_name, find_keys, has_keyword, iter_lines,
                                      looks_secret, redact, strip_auth_scheme)

ENVIRON = frozenset({"os.environ"})
# notebook magic and shell lines: `%env NAME=value`, `export NAME=value`, `NAME=value cmd`
_ENV_MAGIC = re.compile(r"^\s*%(?:env|set_env)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)"  # linear
                        r"(?P<value>\S+)")
_SHELL_ENV = re.compile(r"(?:^|[\s;!])(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\S+)")
ENV_SETTERS = frozenset({"os.environ.setdefault", "os.putenv"})
ENV_UPDATE = frozenset({"os.environ.update"})
_ESCAPE = re.compile(r"\\(?:[nrtvfab0\\'\"]|x[0-9a-fA-F]{2})")

StringNode = Union[cst.SimpleString, cst.ConcatenatedString]


class SecretRule(Rule):
    guideline = "2.2"
    secondary_guidelines = ("3.1",)
    cwe = (798, 540)
    owasp = ("LLM02:2025",)
    atlas = ("AML.T0055", "AML.T0012")
    fix_safety = "unsafe"

    def fail(self, exc: Exception) -> None:
        # the exception's message could quote a secret
        super().fail(RuntimeError(f"{type(exc).__name__} while checking a value (details withheld: "
                                  f"they could contain a secret)"))


def env_fix(env: str, what: str) -> Callable[[cst.CSTNode], Fix]:
    def make(node: cst.CSTNode) -> Fix:
        return Fix(title=f"read the {what} from os.environ[\"{env}\"] instead of hardcoding it",
                   safety=UNSAFE, replacements={node: cst.parse_expression(f'os.environ["{env}"]')},
                   imports=(("os",),))
    return make


def key_message(keys: list[KeyMatch], where: str, advice: Optional[str] = None) -> str:
    first = keys[0].format
    more = f" (and {len(keys) - 1} more key(s))" if len(keys) > 1 else ""
    advice = advice or (f"read it from the environment (os.environ[\"{first.env}\"]) or a secret "
                        f"manager")
    return (f"{first.provider} {first.kind} {redact(keys[0].value)} hardcoded in {where}{more}; "
            f"revoke it and {advice}")


def credential_message(value: str, label: str, env: Optional[str]) -> str:
    shown = redact(strip_auth_scheme(value.strip()))
    if env is None:  # already an environment variable: the value belongs outside the code
        return (f"hardcoded credential {shown} {label}; set the variable outside the code (the "
                f"shell, a git-ignored .env file or a secret manager)")
    return (f"hardcoded credential {shown} {label}; read it from the environment "
            f"(os.environ[\"{env}\"]) or a secret manager")


def string_leaves(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The SimpleString / FormattedString parts of a (possibly nested) implicit concatenation."""
    return string_parts(node)  # type: ignore[arg-type]


def _text(value: Union[str, bytes]) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class HardcodedProviderKey(SecretRule):
    code = "MLS401"
    context_severity: dict = {}  # a live provider key is as bad in a test as anywhere
    summary = "an API key in a known provider format (OpenAI, Anthropic, Hugging Face, ...) is hardcoded"
    message = "a provider API key is hardcoded; revoke it and read it from the environment"
    severity = "high"
    confidence = "high"
    # a keyword, then the keyword's own patterns over the file (secrets_table.may_hold_key)
    triggers = tuple((keyword, KEY_TEXT) for keyword in KEYWORDS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._handled: set[int] = set()  # string parts already checked as a whole concatenation
        self._no_fix: set[int] = set()  # strings where os.environ[...] would be wrong

    # -- where a whole-literal fix would be wrong ---------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:  # docstrings and bare strings
        self._no_fix.update(id(n) for n in string_leaves(node.value))
        self._no_fix.add(id(node.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Subscript) and self.ctx.qualnames(target.target.value) & ENVIRON:
                self._no_fix.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if node.args and self.ctx.call(node).names & (ENV_SETTERS | ENV_UPDATE):
            for arg in node.args:
                self._no_fix.add(id(arg.value))
                if isinstance(arg.value, cst.Dict):
                    self._no_fix.update(id(e.value) for e in arg.value.elements)

    def visit_MatchValue(self, node: cst.MatchValue) -> None:
        self._no_fix.add(id(node.value))

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._no_fix.add(id(node.annotation))

    # -- strings, f-strings, comments ---------------------------------------------------
    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._handled:
            return
        leaves = string_leaves(node)
        if not all(isinstance(leaf, cst.SimpleString) for leaf in leaves):
            return  # f-string parts are checked one by one
        if not has_keyword("".join(leaf.raw_value for leaf in leaves)):  # type: ignore[attr-defined]
            self._mark(node)
            return
        value = string_value(node, lenient=True)
        if value is None:
            return
        self._mark(node)
        self._check_literal(node, value)

    def _mark(self, node: cst.CSTNode) -> None:
        nested = concatenations(node) if isinstance(node, cst.ConcatenatedString) else []
        self._handled.update(id(n) for n in (node, *nested, *string_leaves(node)))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self._handled or not has_keyword(node.value):
            return
        value = string_value(node, lenient=True)
        if value is not None:
            self._check_literal(node, value)

    def _check_literal(self, node: StringNode, value: Union[str, bytes]) -> None:
        keys = find_keys(_text(value))
        if not keys:
            return
        where = "a bytes literal" if isinstance(value, bytes) else "a string literal"
        fix = None
        if isinstance(value, str) and len(keys) == 1 and keys[0].value == value.strip() \
                and id(node) not in self._no_fix:
            fix = env_fix(keys[0].format.env, f"{keys[0].format.provider} key")(node)
        self.report(node, key_message(keys, where), fix=fix)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        if has_keyword(node.value):
            keys = find_keys(_ESCAPE.sub("  ", node.value))
            if keys:
                self.report(node, key_message(keys, "an f-string"))

    def visit_TemplatedStringText(self, node: Any) -> None:
        if has_keyword(node.value):
            keys = find_keys(_ESCAPE.sub("  ", node.value))
            if keys:
                self.report(node, key_message(keys, "a t-string"))

    def visit_Comment(self, node: cst.Comment) -> None:
        if has_keyword(node.value):
            keys = find_keys(node.value)
            if keys:
                self.report(node, key_message(keys, "a comment"))

    # -- notebook text: magic and shell lines, markdown, stored outputs ------------------
    @classmethod
    def text_findings(cls, text: Any, path: str) -> list[Finding]:
        if not has_keyword(text.text):
            return []
        keys = find_keys(text.text)
        if keys and text.line == 0:  # a stored output: one finding at the cell
            first_line = text.text.count("\n", 0, keys[0].start) + 1
            message = key_message(keys, f"{text.where} (line {first_line})",
                                  "clear the notebook's outputs before sharing it")
            return [cls.text_finding(message, path, text.cell, 1, 0, max(text.anchor, 1))]
        findings = []
        for key in keys:
            line = text.text.count("\n", 0, key.start)
            column = key.start - (text.text.rfind("\n", 0, key.start) + 1)
            advice = (f"let the command read ${key.format.env} from the environment" if text.shell
                      else "remove it from the notebook")
            findings.append(cls.text_finding(key_message([key], text.where, advice), path, text.cell,
                                             text.line + line, column, column + len(key.value)))
        return findings


# -- MLS402 ------------------------------------------------------------------------------------

class _Candidate:
    __slots__ = ("node", "value", "label", "env", "fixable")

    def __init__(self, node: StringNode, value: str, label: str, env: Optional[str], fixable: bool) -> None:
        self.node, self.value, self.label, self.env, self.fixable = node, value, label, env, fixable


class HardcodedCredential(SecretRule):
    code = "MLS402"
    summary = ("a random-looking literal is bound to a credential (api_key=, password, token, "
               "os.environ[...KEY])")
    message = "a credential is hardcoded; read it from the environment or a secret manager"
    severity = "medium"
    confidence = "medium"
    # a cheap word, then a credential name bound to a literal (secrets_table.may_hold_credential)
    yields_to = ("MLS401",)  # one secret, one finding: MLS401 names the provider
    triggers = tuple((word, CREDENTIAL_TEXT) for word in (
        "key", "Key", "KEY", "token", "Token", "TOKEN", "secret", "Secret", "SECRET", "pass", "Pass",
        "PASS", "pwd", "Pwd", "PWD", "credential", "Credential", "CREDENTIAL", "uthorization",
        "UTHORIZATION", "earer", "EARER", "_pat", "_Pat", "_PAT", "login(", "Client(", "ClientV2(",
        "Github(", "Auth("))

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._candidates: dict[int, _Candidate] = {}
        self._env_dicts: set[int] = set()  # dicts given to os.environ.update(...)

    # -- bindings -----------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
                and len(target.elements) == len(value.elements):
            for t, v in zip(target.elements, value.elements):
                if not isinstance(t, cst.StarredElement) and not isinstance(v, cst.StarredElement):
                    self._bind(t.value, v.value)
            return
        if isinstance(target, cst.Name):
            if credential_name(target.value) and not self._in_enum():
                self._candidate(value, f"assigned to {target.value}", env_name(target.value),
                                name=target.value)
        elif isinstance(target, cst.Attribute):
            attr = target.attr.value
            if credential_name(attr):
                owner = self.ctx.qualnames(target.value)
                self._candidate(value, f"assigned to {_dotted(target) or attr}",
                                env_name(attr, min(owner) if owner else None))
        elif isinstance(target, cst.Subscript):
            key = _subscript_key(target, self.ctx)
            if key is None:
                return
            if self.ctx.qualnames(target.value) & ENVIRON:
                if credential_name(key, environment=True):
                    self._candidate(value, f'assigned to os.environ["{key}"]', None)
            elif credential_name(key):
                self._candidate(value, f'stored under the key "{key}"', env_name(key))

    def _in_enum(self) -> bool:
        """A member of an Enum class: its value is a label (`creds = "m2m-client-credentials"`)."""
        scope = self.ctx.scope
        if scope.kind != "class":
            return False
        for base in scope.node.bases:
            names = self.ctx.qualnames(base.value) | {_dotted(base.value) or ""}
            if any(name.endswith(("Enum", "Flag")) for name in names):
                return True
        return False

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None and credential_name(node.name.value):
            self._candidate(node.default, f"as the default of parameter {node.name.value}",
                            env_name(node.name.value))

    def visit_Dict(self, node: cst.Dict) -> None:
        environment = id(node) in self._env_dicts
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = self.ctx.literal(element.key)
                if not isinstance(key, str) or not credential_name(key, environment=environment):
                    continue
                if environment:
                    self._candidate(element.value, f'set as the environment variable "{key}"', None)
                else:
                    self._candidate(element.value, f'stored under the key "{key}"', env_name(key))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if not isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                continue
            for name_side, value_side in ((left, target.comparator), (target.comparator, left)):
                name = _last_name(name_side)
                if name and credential_name(name):
                    self._candidate(value_side, f"compared with {name}", env_name(name))
            left = target.comparator

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        names = view.names
        if names & ENV_SETTERS and not view.through_partial:
            key = view.value("key", 0)
            if isinstance(key, str) and credential_name(key, environment=True):
                expr, scope = view.arg("value", 1)
                if expr is not MISSING and expr is not UNKNOWN:
                    self._candidate(expr, f'set as the environment variable "{key}"', None, scope)
        for qualname in sorted(names):
            for keyword, position in SDK_CREDENTIAL_PARAMS.get(qualname, ()):
                expr, scope = view.arg(keyword, position)
                if expr is not MISSING and expr is not UNKNOWN:
                    self._candidate(expr, f"passed to {qualname}({keyword}=)",
                                    env_name(keyword, qualname), scope, relaxed=True)
        if names & ENV_UPDATE:  # os.environ.update({...}) / os.environ.update(NAME=...)
            for arg in node.args:
                if arg.keyword is None and isinstance(arg.value, cst.Dict):
                    self._env_dicts.add(id(arg.value))
                elif arg.keyword is not None and credential_name(arg.keyword.value, environment=True):
                    self._candidate(arg.value, f'set as the environment variable "{arg.keyword.value}"', None)
            return
        sdk = min(names) if names else None
        for arg in node.args:
            if arg.keyword is not None and credential_name(arg.keyword.value):
                self._candidate(arg.value, f"passed as {arg.keyword.value}=",
                                env_name(arg.keyword.value, sdk))

    # -- candidates, reported when the module is done ------------------------------------
    def _candidate(self, expr: cst.BaseExpression, label: str, env: Optional[str],
                   scope: Optional[Scope] = None, *, relaxed: bool = False,
                   name: Optional[str] = None) -> None:
        through = expr.value if isinstance(expr, cst.Name) else None
        expr, _ = constant(expr, scope or self.ctx.scope)
        if through is not None:
            label = f"{label} (through {through})"
        if not isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)) or id(expr) in self._candidates:
            return
        value = string_value(expr)
        if value is None:  # an f-string part, or a literal Python rejects: not a constant
            return
        text = _text(value)
        if not looks_secret(text, relaxed=relaxed) or (name is not None and _same_name(text, name)):
            return  # `ClientSecretCredential = "ClientSecretCredential"`: an enum of names
        fixable = (env is not None and isinstance(expr, cst.SimpleString) and isinstance(value, str)
                   and strip_auth_scheme(text.strip()) == text)
        self._candidates[id(expr)] = _Candidate(expr, text, label, env, fixable)

    def leave_Module(self, original_node: cst.Module) -> None:
        for candidate in self._candidates.values():  # each literal once, with its first label
            node = candidate.node
            message = credential_message(candidate.value, candidate.label, candidate.env)
            fix = env_fix(candidate.env, "credential")(node) if candidate.fixable and candidate.env else None
            self.report(node, message, fix=fix)

    # -- notebook text: `%env NAME=value` / `export NAME=value` on magic and shell lines ---
    @classmethod
    def text_findings(cls, text: Any, path: str) -> list[Finding]:
        if not text.shell:
            return []
        findings = []
        for number, _, line in iter_lines(text.text):
            for name, value, column in _env_assignments(line):
                if credential_name(name, environment=True) and looks_secret(value):
                    message = credential_message(value, f'set as the environment variable "{name}"', None)
                    findings.append(cls.text_finding(message, path, text.cell, text.line + number - 1,
                                                     column, column + len(value)))
        return findings


def _env_assignments(line: str) -> list[tuple[str, str, int]]:
    match = _ENV_MAGIC.match(line)
    found = [match] if match else list(_SHELL_ENV.finditer(line))
    out = []
    for m in found:
        value, column = m.group("value"), m.start("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value, column = value[1:-1], column + 1
        out.append((m.group("name"), value, column))
    return out


def _same_name(value: str, name: str) -> bool:
    def squash(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())
    return squash(value) == squash(name)


def _dotted(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def _last_name(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _subscript_key(target: cst.Subscript, ctx: Any) -> Optional[str]:
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return None
    key = ctx.literal(target.slice[0].slice.value)
    return key if isinstance(key, str) else None


def secret_values(findings: Iterable[Finding]) -> list[str]:
    """The string values the MLS4xx findings among `findings` flagged (each part of an implicit
    concatenation), read from their libcst nodes; findings without a node give none."""
    values: list[str] = []
    for finding in findings:
        if not finding.code.startswith("MLS4"):
            continue
        pending = [finding.node]
        while pending:  # a key split over implicitly concatenated parts: every part
            node = pending.pop()
            if isinstance(node, cst.ConcatenatedString):
                pending += [node.left, node.right]
            elif isinstance(node, cst.SimpleString) and len(node.raw_value) >= 8:
                values.append(node.raw_value)
    return values
