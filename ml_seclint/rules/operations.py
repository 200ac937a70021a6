"""MLS6xx: operating AI systems (logs are assets)."""
from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ml_seclint.analysis.resolve import ENVIRONMENT_WRITES, environment_writes, literal, qualnames
from ml_seclint.engine.rows import TRUE, Arg, Hit, Row
from ml_seclint.engine.rule import Rule
from ml_seclint.fix.fixes import UNSAFE, Fix
from ml_seclint.rules.llm_apps import compact

ENVIRON = frozenset({"os.environ"})
#: environment variables that switch an LLM client to logging requests, responses and headers
DEBUG_VARIABLES = {"LITELLM_LOG": ("DEBUG",), "OPENAI_LOG": ("debug",)}
#: module attributes whose assignment turns on debug logging: qualified name -> the values that do
DEBUG_ATTRIBUTES = {"litellm.set_verbose": (True,), "langchain.debug": (True,), "langchain.verbose": (True,),
                    "openai.log": ("debug",)}
_GLOBALS = ("langchain.globals", "langchain_core.globals")


def _env_debug(hit: Hit) -> Optional[str]:
    """`os.environ.update(LITELLM_LOG="DEBUG")`, `os.environ.setdefault("LITELLM_LOG", "DEBUG")`."""
    pairs = environment_writes(hit.view, hit.name)
    return next((_env_message(k) for k, v in pairs if _debug_value(k, v)), None)


def _debug_value(key: Any, value: Any) -> bool:
    wanted = DEBUG_VARIABLES.get(key) if isinstance(key, str) else None
    return bool(wanted) and isinstance(value, str) and value.lower() in {w.lower() for w in wanted}


def _env_message(key: str) -> str:
    return (f"{key}=debug makes the LLM client log every request and response, prompts and headers (the API "
            f"key) included; set it only in a local debugging session")


def _remove_statement(hit: Hit) -> Optional[Fix]:
    return hit.rule.removal(hit.node)  # type: ignore[attr-defined]


class LlmDebugLogging(Rule):
    code = "MLS601"
    summary = "An LLM stack's debug switch logs prompts, responses and API keys"
    message = "{name}() turns on debug logging of prompts, responses and API keys"
    severity = "medium"
    guideline = "2.2"
    secondary_guidelines = ("4.2",)
    cwe = (532,)
    owasp = ("LLM02:2025",)
    atlas = ("AML.T0055",)
    fix_safety = "unsafe"
    context_severity = {"test": -1}  # tests are where debugging belongs: checked, reported low
    litellm_message = ("litellm._turn_on_debug() logs every request and response, prompts and API keys "
                       "included (litellm#7603); keep it out of served code")
    langchain_message = ("{name}(True) prints every prompt, response and intermediate step of every chain to "
                         "the logs; keep it out of served code")
    rows = (
        Row({"litellm._turn_on_debug"}, message=litellm_message, fix=_remove_statement),
        Row({f"{m}.{f}" for m in _GLOBALS for f in ("set_debug", "set_verbose")}, Arg("value", 0), TRUE,
            message=langchain_message, fix=_remove_statement),
        Row(ENVIRONMENT_WRITES, message=_env_debug,
            fix=_remove_statement, requires=tuple(DEBUG_VARIABLES)),
    )
    # visit_Assign: `litellm.set_verbose = True`, `os.environ["LITELLM_LOG"] = "DEBUG"`
    cheap_names = frozenset({*(n.rsplit(".", 1)[-1] for n in DEBUG_ATTRIBUTES), *DEBUG_VARIABLES, "environ"})
    cheap_callees = frozenset(DEBUG_ATTRIBUTES) | ENVIRON
    # with the rows' words (litellm, langchain, LITELLM_LOG, OPENAI_LOG: `compact`), which also
    # cover `litellm.set_verbose`, `langchain.debug` and `os.environ["LITELLM_LOG"]`
    triggers = ("openai.log",)

    @classmethod
    def triggers_for(cls, settings: Any) -> tuple:
        return _COMPACT

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.main_guards = 0  # depth of `if __name__ == "__main__":` blocks around the current node
        self.line: Optional[cst.SimpleStatementLine] = None  # the statement line being visited
        self.blocks: list[Any] = []  # the statement lists around it (module, indented blocks)

    def visit_If(self, node: cst.If) -> None:
        if _is_main_guard(node.test):
            self.main_guards += 1

    def leave_If(self, node: cst.If) -> None:
        if _is_main_guard(node.test):
            self.main_guards -= 1

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.line = node

    def visit_Module(self, node: cst.Module) -> None:
        self.blocks.append(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(node.body)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def report(self, node: cst.CSTNode, message: Optional[str] = None, *, severity: Optional[str] = None,
               fix: Any = None, related: tuple = ()) -> None:
        """`__main__` blocks are where debugging belongs: reported low (tests: context_severity)."""
        if self.main_guards:
            severity = "low"
        super().report(node, message, severity=severity, fix=fix, related=related)

    def visit_Assign(self, node: cst.Assign) -> None:
        scope = self.ctx.scope
        for target in node.targets:
            expr = target.target
            if isinstance(expr, cst.Attribute):
                for name in sorted(qualnames(expr, scope)):
                    wanted = DEBUG_ATTRIBUTES.get(name)
                    value = literal(node.value, scope)
                    if wanted and any(value == w and type(value) is type(w) for w in wanted):
                        what = "litellm prints every request and response, API keys included (litellm#7603)" \
                            if name.startswith("litellm") else \
                            "every prompt and response is written to the logs"
                        self.report(node, f"{name} = {value!r}: {what}; keep it out of served code",
                                    fix=self.removal(node))
                        return
            elif isinstance(expr, cst.Subscript) and qualnames(expr.value, scope) & ENVIRON \
                    and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
                key = literal(expr.slice[0].slice.value, scope)
                if _debug_value(key, literal(node.value, scope)):
                    self.report(node, _env_message(key), fix=self.removal(node))

    def removal(self, node: cst.CSTNode) -> Optional[Fix]:
        """Remove the statement `node` (a call or an assignment) when it is a whole statement."""
        line = self.line
        if line is None:
            return None
        for small in line.body:
            if small is node or (isinstance(small, cst.Expr) and small.value is node):
                if len(line.body) > 1:
                    return Fix("remove the debug switch", UNSAFE, {small: cst.RemovalSentinel.REMOVE})
                edits: dict = {line: cst.RemovalSentinel.REMOVE}
                following = self._next_statement(line)
                if line.leading_lines:
                    if following is None:
                        return None  # its comments and blank lines would go with it
                    # the blank lines and comments above the switch stay where they were
                    edits[following] = following.with_changes(
                        leading_lines=[*line.leading_lines, *following.leading_lines])
                return Fix("remove the debug switch", UNSAFE, edits)
        return None

    def _next_statement(self, line: cst.SimpleStatementLine) -> Optional[cst.CSTNode]:
        body = self.blocks[-1] if self.blocks else ()
        for number, stmt in enumerate(body):
            if stmt is line:
                following = body[number + 1] if number + 1 < len(body) else None
                return following if hasattr(following, "leading_lines") else None
        return None


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return isinstance(test.comparisons[0].operator, cst.Equal) \
        and any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides) \
        and any(isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides)


_COMPACT = compact(LlmDebugLogging)
