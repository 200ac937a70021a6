"""Rule base class and rule metadata."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional

import libcst as cst

from ml_seclint.engine.code_context import OFF
from ml_seclint.engine.finding import Finding
from ml_seclint.engine.rows import Row
from ml_seclint.guidelines import SECTIONS
from ml_seclint.secrets_table import scrub

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.context import FileContext


@dataclass(frozen=True)
class Option:
    """A rule option read from ``[tool.ml-seclint]`` (flat keys, kebab-case)."""

    name: str
    type: type  # bool, int, str or list (of str)
    default: Any
    help: str
    # computes the value from the project when the option is not set (e.g. the torch floor
    # from the project's own dependency specifiers)
    derive: Optional[Callable[[Any], Any]] = None


class Rule(cst.BatchableCSTVisitor):
    """One check. Subclasses set the metadata, declare `rows` (engine/rows.py) for the calls
    they are about, and implement plain ``visit_X`` methods only for what a row cannot say.

    Matcher decorators do not work in a batched traversal, so rules use ``m.matches`` or
    plain attribute checks. A rule never resolves positions: ``report`` stores the node and the
    engine resolves positions only when the file has findings. A rule's kebab-case `name` is
    its class name (`TorchLoadUnsafe` -> "torch-load-unsafe"), and its check file is
    `checks/<code>_<name with underscores>.py`.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # derived from the class name
    summary: ClassVar[str]  # one sentence, used in `rules`, SARIF shortDescription
    message: ClassVar[str]  # default finding message
    severity: ClassVar[str] = "high"
    confidence: ClassVar[str] = "high"
    guideline: ClassVar[str]
    secondary_guidelines: ClassVar[tuple[str, ...]] = ()
    cwe: ClassVar[tuple[int, ...]] = ()
    owasp: ClassVar[tuple[str, ...]] = ()
    atlas: ClassVar[tuple[str, ...]] = ()
    #: declared checks of calls, dispatched by the engine (engine/rows.py)
    rows: ClassVar[tuple[Row, ...]] = ()
    # Prefilter: the rule can only match a file whose text contains one of these entries; an
    # entry is a substring or an object with `.search(text)` (a compiled regex, a CodeWord), and a
    # tuple entry needs all of its parts. Set by hand only for what hand-written visitors need:
    # the triggers of the rows are added to it when the class is created.
    triggers: ClassVar[tuple[Any, ...]] = ()
    _hand_triggers: ClassVar[tuple[Any, ...]] = ()
    # The cheap stage (engine/prescreen.py) sends a file to libcst for this rule only when Python's
    # own tree of it has one of `identifiers` (as a name, attribute, imported name, keyword or
    # identifier-like string) or a name or attribute chain that may resolve to one of `qualified`.
    # Both are derived: the rows' qualified callees; their method names and keywords; plus, for
    # hand-written visitors, what the rule declares they look at: `cheap_callees` (qualified names)
    # and `cheap_names` (names on any receiver). A rule with hand-written visitors that declares
    # neither gets `identifiers = None` and always passes (the secrets rules read every string).
    cheap_names: ClassVar[Optional[frozenset[str]]] = None
    cheap_callees: ClassVar[Optional[frozenset[str]]] = None
    identifiers: ClassVar[Optional[frozenset[str]]] = None
    qualified: ClassVar[frozenset[str]] = frozenset()
    #: severity steps by code context (engine/code_context.py): {"example": -1} is one level lower
    #: in examples; OFF (the default for tests, where loads read fixtures and downloads fetch test
    #: repositories) checks that context only when it is selected explicitly
    context_severity: ClassVar[dict[str, Optional[int]]] = {"test": OFF}
    #: code behind an explicit opt-in (`if not allow_dangerous_deserialization: raise`) is clean
    #: (analysis/guards.py)
    honours_opt_in: ClassVar[bool] = False
    #: codes of rules that take precedence: a node one of them reported is not reported by this
    #: rule ("one secret, one finding"; MLS402 yields to MLS401)
    yields_to: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[Option, ...]] = ()
    fix_safety: ClassVar[Optional[str]] = None  # "safe", "unsafe" or None (no fix offered)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = kebab(cls.__name__)
        hand = cls.__dict__.get("triggers", cls._hand_triggers)  # inherited when not set here
        cls._hand_triggers = hand
        derived = tuple(entry for row in cls.rows for entry in row.triggers())
        cls.triggers = tuple(dict.fromkeys((*hand, *derived)))
        cls.identifiers, cls.qualified = _cheap_declaration(cls)

    @classmethod
    def triggers_for(cls, settings: Any) -> tuple[Any, ...]:
        """The prefilter entries for a project: `triggers`, plus what the rule's options add (the
        words of a configured source callable)."""
        return cls.triggers

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx
        self.failed: Optional[BaseException] = None

    def report(self, node: cst.CSTNode, message: Optional[str] = None, *,
               severity: Optional[str] = None, fix: Any = None, related: tuple = ()) -> None:
        self.ctx.add(self, node, message or self.message, severity or self.severity, fix, related)

    def option(self, name: str) -> Any:
        return self.ctx.settings.option(name)

    # Each visitor method is guarded: a crashing rule is switched off for this file and the
    # engine reports MLS000, while the other rules keep running.
    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return {name: self._guard(getattr(self, name)) for name in visitor_names(type(self))}

    def _guard(self, method: Callable[[cst.CSTNode], None]) -> Callable[[cst.CSTNode], None]:
        @functools.wraps(method)
        def guarded(node: cst.CSTNode) -> None:
            if self.failed is not None:
                return
            try:
                method(node)
            except Exception as exc:  # noqa: BLE001 - isolate rule bugs from the run
                self.fail(exc)
        return guarded

    def fail(self, exc: Exception) -> None:
        """Switch the rule off for this file; the engine reports MLS000 with `failed`."""
        self.failed = exc

    @classmethod
    def text_findings(cls, text: Any, path: str) -> list[Finding]:
        """Findings in text the engine never parses (a notebook's magic and shell lines, markdown
        and stored outputs: inputs.notebooks.Text). Most rules have none."""
        return []

    @classmethod
    def text_finding(cls, message: str, path: str, cell: Optional[int], line: int, column: int,
                     end_column: int) -> Finding:
        """A finding of this rule at a place given by hand (no libcst node)."""
        line = max(line, 1)  # the message may quote the text: never a secret in full
        return Finding(cls.code, f"{scrub(message)} {cls.suffix()}", line, column, line, end_column,
                       cls.severity, cls.confidence, path=path, cell=cell)

    @classmethod
    def suffix(cls) -> str:
        section = SECTIONS[cls.guideline]
        cwe = ", ".join(f"CWE-{n}" for n in cls.cwe)
        return f"[AI guideline {section.label()}; {cwe}]" if cwe else f"[AI guideline {section.label()}]"

    @classmethod
    def metadata(cls) -> dict:
        return {
            "code": cls.code,
            "name": cls.name,
            "summary": cls.summary,
            "severity": cls.severity,
            "confidence": cls.confidence,
            "guideline": SECTIONS[cls.guideline].as_dict(),
            "secondary_guidelines": [SECTIONS[s].as_dict() for s in cls.secondary_guidelines],
            "cwe": [f"CWE-{n}" for n in cls.cwe],
            "owasp": list(cls.owasp),
            "atlas": list(cls.atlas),
            "fix": cls.fix_safety,
            "options": [o.name for o in cls.options],
        }


@functools.lru_cache(maxsize=None)
def visitor_names(cls: type) -> tuple[str, ...]:
    """The visit_/leave_ methods a visitor class defines itself. libcst's own get_visitors runs
    inspect.getmembers over ~800 stubs per instance, a measurable cost per file."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("libcst"):
            break
        names.update(n for n in vars(klass) if n.startswith(("visit_", "leave_")))
    return tuple(sorted(names))


def _cheap_declaration(cls: type[Rule]) -> tuple[Optional[frozenset[str]], frozenset[str]]:
    """(identifiers, qualified) of the cheap stage (see `Rule.identifiers`); identifiers is None
    when the rule cannot be pre-checked."""
    names: set[str] = set(cls.cheap_names or ())
    qualified: set[str] = set(cls.cheap_callees or ())
    for row in cls.rows:
        qualified |= row.callees
        if row.method is not None:
            names.add(row.method)
        if row.keyword_only:
            names.update(arg.keyword for arg in row.args)
    if visitor_names(cls) and cls.cheap_names is None and cls.cheap_callees is None:
        return None, frozenset(qualified)  # hand-written visitors that declared nothing: always passes
    return frozenset(names), frozenset(qualified)


def kebab(class_name: str) -> str:
    """`TlsVerificationDisabled` -> "tls-verification-disabled"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", class_name).lower()
