"""MLS5xx: LLM applications and agents (model output and tool parameters are untrusted)."""
from __future__ import annotations

import re
from typing import Any, Optional

import libcst as cst

from ml_seclint.analysis import dataflow
from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.objects import created_by
from ml_seclint.analysis.resolve import MISSING, UNKNOWN, constant, dict_items, literal, qualnames
from ml_seclint.analysis.resolve import call_view as resolve_call
from ml_seclint.analysis.scopes import ASSIGN, PARAM, Scope
from ml_seclint.engine.rows import DEFAULT, TRUE, Arg, Hit, Row, given, matches
from ml_seclint.engine.rule import Option, Rule
from ml_seclint.engine.triggers import AnyWord, CodeWord
from ml_seclint.fix.fixes import UNSAFE, Fix
from ml_seclint.rules.transport import imported_libraries

LLM_SOURCES = Option(
    "llm-sources", list, [],
    "Qualified names of your own callables whose return value is model output (a wrapper around "
    "your LLM client, e.g. \"mycompany.llm.ask\"; a method as \"pkg.mod.Class.method\", for its calls "
    "through self in that class and its subclasses): their results are followed like the built-in sources.")
SANITISERS = Option(
    "sanitisers", list, [],
    "Qualified names of your own functions whose return value is safe for every sink (a validator "
    "that returns only allow-listed values, e.g. \"myapp.security.checked_sql\").")
TOOL_DECORATORS = Option(
    "tool-decorators", list, [],
    "Qualified names of your own decorators that register agent tools (e.g. \"myagents.register_tool\"): "
    "the parameters of the functions they decorate are model-chosen, like those of @tool.")

#: a source library imported: without one, no call of the file can be a known source (qualified
#: names resolve only through imports)
SOURCE_IMPORT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(?:openai|anthropic|litellm|ollama|langchain\w*|langgraph|llama_index|vllm|"
    r"transformers|google\.genai|google\.generativeai|vertexai|mistralai|cohere|groq|together|llama_cpp|"
    r"huggingface_hub|smolagents|crewai\w*|autogen\w*|agents|dspy|instructor|pydantic_ai)\b", re.M)


class Uses:
    """A prefilter test: one of `plain` occurs, or one of `builtins` is called as a function (not as
    a method: `eval(` but not `model.eval(`). Plain substring tests: a regex over every file costs
    more than the rest of the prefilter."""

    __slots__ = ("plain", "builtins", "gate")

    def __init__(self, plain: tuple = (), builtins: tuple = (), gate: tuple = ()) -> None:
        self.plain = plain
        self.builtins = tuple(f"{name}(" for name in builtins)
        self.gate = gate  # substrings one of which every match contains: tested first

    def __repr__(self) -> str:
        return f"Uses({self.plain!r}, {self.builtins!r})"

    def __hash__(self) -> int:
        return hash((Uses, self.plain, self.builtins))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Uses) and (other.plain, other.builtins) == (self.plain, self.builtins)

    def search(self, text: str) -> Optional[int]:
        if self.gate and not any(word in text for word in self.gate):
            return None
        for word in self.plain:
            index = text.find(word)
            if index >= 0:
                return index
        for call in self.builtins:
            index = text.find(call)
            while index >= 0:
                before = text[index - 1] if index else " "
                if not (before.isalnum() or before in "._"):
                    return index
                index = text.find(call, index + 1)
        return None


#: a tool decorator or tool base class in use
TOOL_USE = Uses(("@tool", ".tool(", ".tool\n", ".tool\r", ".resource(", "BaseTool", "(Tool)",
                 "kernel_function", "function_tool", "call_tool", "tool_plain"),
                gate=("tool", "Tool", "resource", "kernel_function"))
_CODE_PLAIN = ("subprocess", "system(", "popen(", "getoutput", "os.exec", "os.spawn", "numexpr", "sympy",
               "pandas", "PythonREPL", "import pty", "pty.spawn", "create_subprocess_shell")
#: calls that run code or commands (the builtins only when not called as a method: `model.eval()`)
CODE_SINK_USE = Uses(_CODE_PLAIN, ("eval", "exec", "compile"))
SQL_SINK_USE = Uses(("execute(", "executemany(", "executescript(", "sqlalchemy", "read_sql", "duckdb",
                     "SQLDatabase", "neo4j", "Neo4j", ".raw(", "cypher", "Cypher"))
TOOL_SINK_USE = Uses((*_CODE_PLAIN, "Path", "shutil", "os.", "requests", "httpx", "urllib", "aiohttp",
                      "send_file", "FileResponse"), ("eval", "exec", "compile", "open"))


def _qn(modules, names) -> frozenset:
    return frozenset(f"{m}.{n}" for m in modules for n in names)


def _words_of(names) -> tuple:
    return tuple(part for name in names for part in name.split(".") if part)


def compact(rule: type[Rule]) -> tuple:
    """The rule's prefilter with the entries derived from its rows folded into one `AnyWord` of each
    entry's last part (the class name, the keyword or the library a row requires): a looser test
    than all the parts, but one test per file instead of one per qualified name."""
    hand = tuple(rule._hand_triggers)
    derived = [entry for entry in rule.triggers if entry not in hand]
    words = [part.word for entry in derived for part in (entry[-1:] if isinstance(entry, tuple) else (entry,))
             if isinstance(part, CodeWord)]
    others = tuple(entry for entry in derived
                   if not (isinstance(entry, tuple) and isinstance(entry[-1], CodeWord)))
    return (*hand, *others, *((AnyWord(*words),) if words else ()))


class LlmRule(Rule):
    guideline = "1.3"
    secondary_guidelines = ("4.1",)
    owasp = ("LLM05:2025",)
    atlas = ("AML.T0051",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._compact = compact(cls)

    @classmethod
    def triggers_for(cls, settings: Any) -> tuple:
        return cls._compact


# -- flows ----------------------------------------------------------------------------------------

class _Places:
    """The related places of a message, numbered in the order they are named."""

    def __init__(self) -> None:
        self.items: list[tuple[cst.CSTNode, str]] = []

    def at(self, node: cst.CSTNode, text: str) -> str:
        self.items.append((node, text))
        return f"({{@{len(self.items) - 1}}})"


def source_text(origin: dataflow.Origin, places: _Places, what: str) -> str:
    """`client.chat.completions.create() (line 12)`, or through a helper:
    `ask() (line 20), which returns client.chat.completions.create() (line 8)`."""
    text = f"{origin.label} {places.at(origin.node, f'{what}: {origin.label}')}"
    if origin.via is not None:
        via = origin.via
        text += f", which returns {via.label} {places.at(via.node, f'{what}: {via.label}')}"
    return text


class _FlowRule(LlmRule):
    """A rule reporting flows of the shared dataflow layer (analysis/dataflow.py)."""

    ORIGINS: frozenset = frozenset()
    SINK_KINDS: frozenset = frozenset()
    options = (LLM_SOURCES, SANITISERS)

    @classmethod
    def triggers_for(cls, settings: Any) -> tuple:
        """A configured source or tool decorator stands in for the source libraries."""
        names = (*(settings.option("llm-sources") or ()), *(settings.option("tool-decorators") or ()))
        extra = _words_of(names)
        if not extra:
            return cls._compact
        return (*cls._compact, (AnyWord(*extra), cls._hand_triggers[0][1]))

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        dataflow.for_file(ctx).want(*self.ORIGINS)

    def visit_Call(self, node: cst.Call) -> None:
        dataflow.for_file(self.ctx).note_call(node, self.ctx.scope)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        dataflow.for_file(self.ctx).note_function(node, self.ctx.scope)

    def leave_Module(self, node: cst.Module) -> None:
        for flow in dataflow.for_file(self.ctx).flows():
            if flow.origin.kind in self.ORIGINS and flow.kind in self.SINK_KINDS:
                places = _Places()
                message = self.flow_message(flow, places)
                self.report(flow.sink, message, severity=self.flow_severity(flow),
                            related=tuple(places.items))

    def flow_message(self, flow: dataflow.Flow, places: _Places) -> str:
        raise NotImplementedError

    def flow_severity(self, flow: dataflow.Flow) -> Optional[str]:
        return None


def _through(flow: dataflow.Flow, places: _Places) -> str:
    """` to exec() (line 30)` for a helper that passes its parameter on to a sink."""
    if flow.inner is None:
        return ""
    node, label = flow.inner
    return f" to {label} {places.at(node, f'sink: {label}')}"


# -- MLS501 ---------------------------------------------------------------------------------------

class LlmOutputCodeExecution(_FlowRule):
    code = "MLS501"
    summary = "Model output reaches eval/exec, a shell or another code interpreter"
    message = "model output reaches a code interpreter"
    severity = "high"
    cwe = (95, 78)
    atlas = ("AML.T0051", "AML.T0050")
    ORIGINS = frozenset({api.MODEL})
    SINK_KINDS = frozenset({api.CODE, api.SHELL, api.ARGV})
    cheap_names = api.sink_names(SINK_KINDS)  # a flow needs one of its sinks in the file
    triggers = ((SOURCE_IMPORT, CODE_SINK_USE),)
    HOW = {api.CODE: "", api.SHELL: " in a shell", api.ARGV: " as the program to start"}

    def flow_message(self, flow: dataflow.Flow, places: _Places) -> str:
        source = source_text(flow.origin, places, "model output")
        if flow.inner is not None:
            return (f"{flow.label} passes model output from {source}{_through(flow, places)}; run generated "
                    f"code only in an isolated sandbox")
        return (f"{flow.label} runs model output from {source}{self.HOW[flow.kind]}; run generated code "
                f"only in an isolated sandbox")


# -- MLS504 ---------------------------------------------------------------------------------------

def forwards_kwargs(hit: Hit) -> bool:
    """`Chain(llm=llm, **kwargs)` inside `def build(..., **kwargs)` (or `**config` of a `config`
    parameter): a factory building the object for its caller, who chose it; the caller's call is
    the finding, not this plumbing."""
    scope = hit.view.scope
    for arg in hit.node.args:
        if arg.star == "**" and isinstance(arg.value, cst.Name):
            owner, bindings = scope.lookup(arg.value.value)
            if owner is scope and bindings and all(b.kind == PARAM for b in bindings):
                return True
    return False


def _sql_chains() -> frozenset:
    sql = _qn(("langchain_experimental.sql", "langchain_experimental.sql.base", "langchain.chains",
               "langchain.chains.sql_database.base"), ("SQLDatabaseChain",))
    graph = _qn(("langchain_community.chains.graph_qa.cypher", "langchain.chains", "langchain_neo4j",
                 "langchain.chains.graph_qa.cypher"), ("GraphCypherQAChain",))
    agents = _qn(("langchain_community.agent_toolkits", "langchain_community.agent_toolkits.sql.base",
                  "langchain.agents", "langchain.agents.agent_toolkits"), ("create_sql_agent",))
    engines = _qn(("llama_index.core.query_engine", "llama_index.core.indices.struct_store",
                   "llama_index.core.indices.struct_store.sql_query", "llama_index.query_engine",
                   "llama_index.indices.struct_store"),
                  ("NLSQLTableQueryEngine", "SQLTableRetrieverQueryEngine", "PGVectorSQLQueryEngine",
                   "NLStructStoreQueryEngine", "SQLAutoVectorQueryEngine"))
    return sql | graph | {f"{c}.from_llm" for c in sql | graph} | agents | engines


class LlmOutputSqlInjection(_FlowRule):
    code = "MLS504"
    summary = "Model output is the text of a SQL or Cypher query"
    message = "model output is run as a SQL query"
    chain_message = ("{name}() runs SQL (or Cypher) the model writes: run it under a read-only database role "
                     "limited to the tables it needs")
    severity = "high"
    cwe = (89, 943)
    secondary_guidelines = ("3.1",)
    ORIGINS = frozenset({api.MODEL})
    SINK_KINDS = frozenset({api.SQL})
    cheap_names = api.sink_names(SINK_KINDS)  # a flow needs one of its sinks in the file
    triggers = ((SOURCE_IMPORT, SQL_SINK_USE),)
    rows = (Row(_sql_chains(), message=lambda hit: LlmOutputSqlInjection.chain_message.format(
        name=dataflow.short_name(hit.name)), severity="low", unless=forwards_kwargs),)

    def flow_message(self, flow: dataflow.Flow, places: _Places) -> str:
        source = source_text(flow.origin, places, "model output")
        if flow.inner is not None:
            return (f"{flow.label} passes model output from {source}{_through(flow, places)} as query text; "
                    f"bind values as query parameters")
        return (f"{flow.label} runs model output from {source} as query text; bind values as query "
                f"parameters and run generated queries under a read-only role")


# -- MLS505 ---------------------------------------------------------------------------------------

class AgentToolParamInjection(_FlowRule):
    code = "MLS505"
    summary = "An agent tool parameter reaches a shell, eval/exec, a file path or a URL fetch"
    message = "a tool parameter reaches a dangerous sink"
    severity = "high"
    secondary_guidelines = ("3.1",)
    cwe = (78, 22, 918, 95)
    owasp = ("LLM06:2025",)
    atlas = ("AML.T0053", "AML.T0051")
    options = (TOOL_DECORATORS, SANITISERS)
    yields_to = ("MLS501",)  # one finding per call: model output reaching the same sink wins
    ORIGINS = frozenset({api.TOOL})
    SINK_KINDS = frozenset({api.CODE, api.SHELL, api.ARGV, api.PATH, api.URL})
    cheap_names = api.sink_names(SINK_KINDS)  # a flow needs one of its sinks in the file
    triggers = ((TOOL_USE, TOOL_SINK_USE),)
    HOW = {api.CODE: "runs {source} as code", api.SHELL: "runs {source} in a shell",
           api.ARGV: "starts the program named by {source}", api.PATH: "uses {source} as a file path",
           api.URL: "fetches a URL whose host comes from {source}"}
    ADVICE = {api.CODE: "never run tool input as code",
              api.SHELL: "pass an argument list with a fixed program, or shlex.quote() it",
              api.ARGV: "fix the program and check the arguments against an allow-list",
              api.PATH: "resolve the path and check it is_relative_to() the tool's root directory",
              api.URL: "check the host against an allow-list"}

    def flow_message(self, flow: dataflow.Flow, places: _Places) -> str:
        origin = flow.origin
        source = f"{origin.label} {places.at(origin.node, origin.label)}"
        if flow.inner is not None:
            return (f"{flow.label} passes {source}{_through(flow, places)}: the model, and any prompt "
                    f"injection it reads, chooses the value; {self.ADVICE[flow.kind]}")
        how = self.HOW[flow.kind].format(source=source)
        return (f"{flow.label} {how}: the model, and any prompt injection it reads, chooses the value; "
                f"{self.ADVICE[flow.kind]}")


# -- MLS506 ---------------------------------------------------------------------------------------

_TEMPLATE_TERMINALS = frozenset({"Template", "from_string", "PromptTemplate", "from_template",
                                 "from_messages"})
_SANDBOX = "ImmutableSandboxedEnvironment"


class ModelTemplateInjection(LlmRule):
    code = "MLS506"
    summary = "A non-literal template is compiled by a Jinja2 environment without a sandbox"
    message = "a non-literal template is compiled without a sandbox"
    severity = "high"
    confidence = "medium"
    secondary_guidelines = ("2.1",)
    cwe = (1336, 94)
    owasp = ("LLM03:2025", "LLM05:2025")
    atlas = ("AML.T0011.000",)
    fix_safety = "unsafe"
    options = (LLM_SOURCES,)
    triggers = (("jinja2",), ("jinja", "Template"))
    cheap_names = _TEMPLATE_TERMINALS  # leave_Module looks only at scopes calling one of them

    def visit_Call(self, node: cst.Call) -> None:
        dataflow.for_file(self.ctx).note_call(node, self.ctx.scope)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        dataflow.for_file(self.ctx).note_function(node, self.ctx.scope)

    def leave_Module(self, node: cst.Module) -> None:
        state = dataflow.for_file(self.ctx)
        for key, names in list(state.terminals.items()):
            scope = state.scopes[key]
            if not names & _TEMPLATE_TERMINALS or scope.kind == "class" or isinstance(scope.node, cst.Lambda):
                continue
            for hit in state.result(scope).hits:
                if hit.kind == api.TEMPLATE_SINK and not hit.value.full:
                    self._report(hit, scope)

    def _report(self, hit: dataflow.SinkHit, scope: Scope) -> None:
        places = _Places()
        origin = next((o for o, _ in hit.value.taint if o.kind != api.PARAM), None)
        prompt = hit.label.startswith(("PromptTemplate", "ChatPromptTemplate", "HumanMessage",
                                       "SystemMessage"))
        if origin is not None:
            what = "model output" if origin.kind == api.MODEL else "data"
            source = f"from {source_text(origin, places, what)}" if origin.kind != api.TEMPLATE else \
                f"{origin.label} {places.at(origin.node, origin.label)}"
            if origin.kind == api.TEMPLATE:
                text = f"compiles {source}"
            else:
                text = f"compiles a template built {source}"
            severity = "medium" if prompt else "high"
        else:
            param = _parameter_root(hit.expr, scope) if hit.expr is not None else None
            if param is None or self._callers_pass_literals(scope, param):
                return  # the module's own text (self.template, a docstring, constants passed in)
            text = f"compiles a template its caller passes in (parameter '{param}')"
            severity = "low" if prompt else "medium"
        if prompt:
            message = (f"{hit.label} with template_format=\"jinja2\" {text}: LangChain renders it in "
                       f"jinja2's SandboxedEnvironment, which has been escaped (CVE-2024-56326, "
                       f"CVE-2025-27516); use the f-string format for templates you did not write")
            fix = None
        else:
            why = " (a model file's chat template: CVE-2024-34359)" if origin is not None \
                and origin.kind == api.TEMPLATE else ""
            message = (f"{hit.label} {text} without a sandbox: whoever writes the template runs code in this "
                       f"process{why}; use jinja2.sandbox.{_SANDBOX}")
            fix = self._fix(hit, scope)
        self.report(hit.node, message, severity=severity, fix=fix, related=tuple(places.items))

    def _callers_pass_literals(self, scope: Scope, param: str) -> bool:
        """`create_template(DISPATCH_TEMPLATE)`: every call of the function in this module passes
        literal text for `param` (a helper of a code generator). A function nobody here calls is an
        API whose callers are unknown: False."""
        node = scope.node
        if not isinstance(node, cst.FunctionDef):
            return False
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
        if param not in params:
            return False
        state = dataflow.for_file(self.ctx)
        calls = state.callers(node.name.value)
        if not calls:
            return False
        in_class = scope.parent is not None and scope.parent.kind == "class"
        for call, where in calls:
            bound = in_class and isinstance(call.func, cst.Attribute)  # self.f(x): x is the 2nd param
            position = params.index(param) - (1 if bound else 0)
            view = resolve_call(call, where)
            expr, arg_scope = view.arg(param, position)
            if expr is MISSING or expr is UNKNOWN:
                return False
            text = literal(expr, arg_scope)
            if not isinstance(text, str):
                constant_text = state.constant_text(expr, arg_scope) if isinstance(expr, cst.Name) else None
                if constant_text is None:
                    return False
        return True

    def _fix(self, hit: dataflow.SinkHit, scope: Scope) -> Optional[Fix]:
        """`Environment(...)` -> `ImmutableSandboxedEnvironment(...)`; `jinja2.Template(src)` ->
        `ImmutableSandboxedEnvironment().from_string(src)`."""
        meaning = qualnames(cst.Name(_SANDBOX), scope)
        if meaning and not meaning <= {f"builtins.{_SANDBOX}", f"jinja2.sandbox.{_SANDBOX}"}:
            return None  # the name means something else here
        imports = (("jinja2.sandbox", _SANDBOX),)
        title = f"compile templates in jinja2.sandbox.{_SANDBOX}"
        node = hit.node
        if hit.obj is not None:
            ctor = hit.obj.node
            # only `Environment(...).from_string(x)` itself: an environment made elsewhere may serve
            # other templates, and a fix edits the flagged statement only
            inline = isinstance(node.func, cst.Attribute) and node.func.value is ctor
            if inline and isinstance(ctor, cst.Call):
                return Fix(title, UNSAFE, {ctor.func: cst.Name(_SANDBOX)}, imports=imports,
                           unused_imports=_imported_as(ctor.func, "Environment"))
            return None
        if hit.label.startswith("jinja2.") and len(node.args) == 1 and node.args[0].keyword is None \
                and node.args[0].star == "":
            sandbox = cst.Call(func=cst.Name(_SANDBOX))
            new = cst.Call(func=cst.Attribute(value=sandbox, attr=cst.Name("from_string")),
                           args=[node.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
            return Fix(title, UNSAFE, {node: new}, imports=imports,
                       unused_imports=_imported_as(node.func, "Template"))
        return None


def _parameter_root(expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
    """The parameter a template comes from (`template`, `config.template`, `t = cfg["tpl"]; ... t`),
    or None; `self`/`cls` do not count (the object's own fields)."""
    for _ in range(6):
        expr, scope = constant(expr, scope)
        root = expr
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(root, cst.Call):
                if not isinstance(root.func, cst.Attribute):  # str(x), textwrap.dedent(x)
                    root = root.args[0].value if root.args else root.func
                    continue
                root = root.func
            root = root.value
        if not isinstance(root, cst.Name):
            return None
        owner, bindings = scope.lookup(root.value)
        if owner is not scope or not bindings:
            return None
        if all(b.kind == PARAM for b in bindings):
            first = _first_param(scope)
            return None if root.value == first and scope.parent is not None and scope.parent.kind == "class" \
                else root.value
        if len(bindings) != 1 or bindings[0].kind != ASSIGN or root is expr:
            return None
        expr = root
    return None


def _first_param(scope: Scope) -> Optional[str]:
    node = scope.node
    if isinstance(node, cst.FunctionDef):
        params = [*node.params.posonly_params, *node.params.params]
        return params[0].name.value if params else None
    return None


def _imported_as(func: cst.BaseExpression, name: str) -> tuple:
    """`from jinja2 import Template [as T]`: the import the fix may leave unused."""
    if isinstance(func, cst.Name):
        return (("jinja2", name),) if func.value == name else (("jinja2", name, func.value),)
    return ()


# -- MLS502 ---------------------------------------------------------------------------------------

def _short(template: str):
    """A row message naming the callee by its short name (`PythonREPLTool()`, not the module path)."""
    return lambda hit: template.format(name=dataflow.short_name(hit.name))


_LC_TOOLS = ("langchain_experimental.tools", "langchain_experimental.tools.python.tool", "langchain.tools",
             "langchain.tools.python.tool", "langchain_community.tools", "langchain_community.tools.shell",
             "langchain_community.tools.shell.tool", "langchain.tools.shell.tool")
_PANDAS_AGENTS = ("langchain_experimental.agents", "langchain_experimental.agents.agent_toolkits",
                  "langchain_experimental.agents.agent_toolkits.pandas.base",
                  "langchain_experimental.agents.agent_toolkits.python.base",
                  "langchain_experimental.agents.agent_toolkits.csv.base",
                  "langchain_experimental.agents.agent_toolkits.spark.base", "langchain.agents",
                  "langchain.agents.agent_toolkits", "langchain_community.agent_toolkits")
_CHAINS = ("langchain_experimental.pal_chain", "langchain_experimental.pal_chain.base", "langchain.chains",
           "langchain.chains.llm_math.base", "langchain_experimental.llm_symbolic_math",
           "langchain_experimental.llm_symbolic_math.base", "langchain_classic.chains")
_PAL = _qn(_CHAINS, ("PALChain", "LLMMathChain", "LLMSymbolicMathChain"))
_PANDAS_QE = _qn(("llama_index.experimental.query_engine", "llama_index.experimental.query_engine.pandas",
                  "llama_index.experimental", "llama_index.core.query_engine", "llama_index.query_engine"),
                 ("PandasQueryEngine",))
_LOCAL_EXECUTORS = _qn(("autogen_ext.code_executors.local", "autogen.coding",
                        "autogen.coding.local_commandline_code_executor"), ("LocalCommandLineCodeExecutor",))
DANGEROUS_TOOLS = frozenset({"terminal", "python_repl", "shell"})
DANGEROUS_IMPORTS = frozenset({"*", "os", "subprocess", "sys", "shutil", "builtins", "importlib", "socket",
                               "pty", "posix", "ctypes", "multiprocessing", "pickle"})
REMOTE_EXECUTORS = frozenset({"e2b", "docker", "modal", "wasm", "blaxel"})


def _remote_executor(hit: Hit) -> bool:
    value = hit.view.value("executor_type")
    if isinstance(value, str) and value in REMOTE_EXECUTORS:
        return True
    return hit.view.value("use_e2b_executor") is True


def _dict_false(hit: Hit, key: str) -> bool:
    items = dict_items(hit.expr, hit.scope) if hit.scope is not None else None
    if not items or key not in items:
        return False
    value = literal(*items[key])
    return value is False


def _code_execution_on(hit: Hit) -> bool:
    return hit.view.value("allow_code_execution") is True


def _delegated(hit: Hit) -> bool:
    """`create_pandas_dataframe_agent(llm, df, allow_dangerous_code=...)`: the flag decides (True is
    reported by its own row, False refuses to build the agent, **kwargs leaves it to the caller)."""
    return hit.view.value("allow_dangerous_code") is not MISSING


class AgentDangerousCapability(LlmRule):
    code = "MLS502"
    summary = "An agent or chain is given a capability that runs code, commands or requests the model chooses"
    message = "{name}() gives the model a dangerous capability"
    severity = "high"
    secondary_guidelines = ("3.1",)
    cwe = (94, 78, 250)
    owasp = ("LLM06:2025",)
    atlas = ("AML.T0053", "AML.T0051")
    honours_opt_in = True  # `if not allow_dangerous_code: raise` before the tool: the caller opted in
    tool_message = ("{name}() lets the agent run any Python or shell command the model writes, in this "
                    "process; use a sandboxed executor (a container or a remote interpreter)")
    chain_message = ("{name}() runs Python the model writes (its filters have been bypassed: CVE-2023-36258, "
                     "CVE-2025-61422); compute in a sandbox instead")
    agent_message = ("{name}() builds an agent that runs Python the model writes in this process (it needs "
                     "allow_dangerous_code=True); run it in a container")
    engine_message = ("{name}() runs pandas code the model writes with eval (CVE-2023-39662, CVE-2024-3098); "
                      "use a sandboxed executor")
    flag_message = ("{arg}=True lets the model run code or send requests of its choosing; keep it off unless "
                    "the process is sandboxed")
    rows = (
        Row(keyword_only=True, args=Arg("allow_dangerous_code"), when=TRUE,
            message=lambda hit: AgentDangerousCapability.flag_message.format(arg=hit.arg.keyword)),
        Row(keyword_only=True, args=Arg("allow_dangerous_requests"), when=TRUE,
            message=lambda hit: AgentDangerousCapability.flag_message.format(arg=hit.arg.keyword)),
        Row(keyword_only=True, args=Arg("allow_dangerous_tools"), when=TRUE,
            message=lambda hit: AgentDangerousCapability.flag_message.format(arg=hit.arg.keyword)),
        Row(_qn(_LC_TOOLS, ("PythonREPLTool", "PythonAstREPLTool", "ShellTool")),
            message=_short(tool_message), unless=forwards_kwargs),
        Row(_PAL | _qn(_PAL, ("from_llm", "from_math_prompt", "from_colored_object_prompt")),
            message=_short(chain_message), unless=forwards_kwargs),
        Row(_qn(_PANDAS_AGENTS, ("create_pandas_dataframe_agent", "create_python_agent", "create_csv_agent",
                                 "create_spark_dataframe_agent")), message=_short(agent_message),
            unless=_delegated),
        Row(_PANDAS_QE, message=_short(engine_message), unless=forwards_kwargs),
        Row(_qn(("llama_index.tools.code_interpreter", "llama_index.tools.code_interpreter.base"),
                ("CodeInterpreterToolSpec",)),
            message=_short("{name}() gives the agent a Python interpreter in this process; use a sandboxed "
                           "one")),
        Row(_LOCAL_EXECUTORS, message=_short("{name}() runs the code the agents write on this machine; use "
                                             "DockerCommandLineCodeExecutor")),
        Row(_qn(("langchain_community.agent_toolkits.load_tools", "langchain.agents",
                 "langchain.agents.load_tools", "langchain_community.agent_toolkits"), ("load_tools",)),
            Arg("tool_names", 0),
            matches("dangerous tool names", lambda v: isinstance(v, list) and bool(set(v) & DANGEROUS_TOOLS)),
            message=lambda hit: f"load_tools() gives the agent "
                                f"{', '.join(sorted(set(hit.value) & DANGEROUS_TOOLS))}: it runs any command "
                                f"the model writes; drop these tools or sandbox the process"),
        Row(_qn(("smolagents", "smolagents.agents"), ("CodeAgent",)), Arg("additional_authorized_imports"),
            matches("dangerous imports", lambda v: isinstance(v, list) and bool(set(v) & DANGEROUS_IMPORTS)),
            unless=_remote_executor,
            message=lambda hit: f"CodeAgent(additional_authorized_imports="
                                f"{sorted(set(hit.value) & DANGEROUS_IMPORTS)}) lets the model's code use "
                                f"them in the local executor, which has been escaped (CVE-2025-9959); use "
                                f"executor_type=\"e2b\" or \"docker\""),
        Row(keyword_only=True, args=Arg("code_execution_config"),
            when=given("use_docker=False", lambda hit: _dict_false(hit, "use_docker")),
            message="code_execution_config={{\"use_docker\": False}} runs the code the agents write directly "
                    "on this machine; keep Docker on"),
        Row(_qn(("crewai", "crewai.agent"), ("Agent",)), Arg("code_execution_mode"),
            matches("unsafe", lambda v: v == "unsafe"), unless=lambda hit: not _code_execution_on(hit),
            message="Agent(allow_code_execution=True, code_execution_mode=\"unsafe\") runs the agent's code "
                    "without Docker; use code_execution_mode=\"safe\""),
    )
    triggers = (("auto_run", "interpreter"),)
    cheap_names = frozenset({"auto_run"})  # visit_Assign

    def visit_Assign(self, node: cst.Assign) -> None:
        """open-interpreter: `interpreter.auto_run = True` runs generated code without asking."""
        for target in node.targets:
            expr = target.target
            if isinstance(expr, cst.Attribute) and expr.attr.value == "auto_run" \
                    and qualnames(expr.value, self.ctx.scope) & {"interpreter.interpreter", "interpreter"} \
                    and literal(node.value, self.ctx.scope) is True:
                self.report(node, "interpreter.auto_run = True runs the code the model writes without "
                                  "asking; leave it off or run the interpreter in a container")


# -- MLS503 ---------------------------------------------------------------------------------------

ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]", "*"})
GRADIO = _qn(("gradio", "gr"), ("Interface", "Blocks", "ChatInterface", "TabbedInterface"))
SERVER_PROGRAMS = frozenset({"jupyter", "jupyter-lab", "jupyter-notebook", "mlflow", "tensorboard"})


def _all_interfaces(value: Any) -> bool:
    return isinstance(value, str) and (value in ALL_INTERFACES or value.startswith("0.0.0.0:"))


def _receiver(hit: Hit) -> Optional[cst.BaseExpression]:
    func = hit.view.callee
    return func.value if isinstance(func, cst.Attribute) else None


def _made_by(hit: Hit, names: frozenset, library: str) -> bool:
    """The receiver was made by one of `names`, or cannot be followed in a module importing `library`."""
    receiver = _receiver(hit)
    if receiver is None:
        return False
    scope = hit.view.scope
    if created_by(receiver, scope, names):
        return True
    if isinstance(receiver, cst.Call):
        return False  # `Runner().run(...)`: made by something else
    if isinstance(receiver, cst.Name):
        owner, bindings = scope.lookup(receiver.value)
        if bindings and owner is not None:
            return False  # followed, and made by something else
    return library in imported_libraries(scope)


def _auth(hit: Hit) -> bool:
    value = hit.view.value("auth")
    return value is not MISSING and value is not None


def _no_tensorboard(hit: Hit) -> bool:
    return "tensorboard" not in imported_libraries(hit.view.scope)


def _server_argv(value: Any) -> bool:
    """`["mlflow", "ui", "--host", "0.0.0.0"]`, `"jupyter lab --ip=0.0.0.0"`,
    `["tensorboard", ..., "--bind_all"]`."""
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return False
    if value[0].rsplit("/", 1)[-1] not in SERVER_PROGRAMS:
        return False
    for number, item in enumerate(value):
        flag, _, inline = item.partition("=")
        if flag in ("--bind_all", "--bind-all"):
            return True
        if flag in ("--ip", "--host", "-h", "--ServerApp.ip", "--NotebookApp.ip"):
            host = inline if inline else (value[number + 1] if number + 1 < len(value) else "")
            if _all_interfaces(host):
                return True
    return False


class PublicMlExposure(LlmRule):
    code = "MLS503"
    summary = "A model demo, dashboard or notebook server is exposed on all interfaces or a public link"
    message = "{name}() exposes an ML service without authentication"
    severity = "high"
    guideline = "3.1"
    secondary_guidelines = ("1.3",)
    cwe = (1327, 306, 489)
    owasp = ("LLM10:2025",)
    atlas = ("AML.T0049",)
    share_message = ("launch(share=True) publishes the Gradio app on a public *.gradio.live link without "
                     "auth=: anyone with the link runs the model and its file access (CVE-2024-1561); pass "
                     "auth= or drop share")
    host_message = ("launch(server_name={value!r}) serves the Gradio app on every network interface without "
                    "auth=; bind 127.0.0.1 or pass auth=")
    ray_message = ("ray.init(dashboard_host={value!r}) exposes the Ray dashboard and Jobs API, which run any "
                   "code without authentication (ShadowRay, CVE-2023-48022); keep it on 127.0.0.1")
    flask_message = ("app.run(debug=True) starts the Werkzeug debugger, an interactive Python console in the "
                     "browser; never enable it on a served model")
    tensorboard_message = ("TensorBoard.configure(...) serves TensorBoard on every interface without "
                           "authentication; keep the default localhost")
    server_message = "{name}() starts a notebook or tracking server on every interface without authentication"
    rows = (
        Row(method="launch", args=Arg("share"), when=TRUE, message=share_message,
            unless=lambda hit: _auth(hit) or not _made_by(hit, GRADIO, "gradio"), requires=("gradio",)),
        Row(method="launch", args=Arg("server_name"), when=matches("all interfaces", _all_interfaces),
            message=host_message, severity="medium",
            unless=lambda hit: _auth(hit) or not _made_by(hit, GRADIO, "gradio"), requires=("gradio",)),
        Row({"ray.init"}, Arg("dashboard_host"), matches("all interfaces", _all_interfaces),
            message=ray_message),
        Row(method="run", args=Arg("debug"), when=TRUE, message=flask_message,
            unless=lambda hit: not _made_by(hit, frozenset({"flask.Flask", "flask.app.Flask"}), "flask"),
            requires=("flask", "Flask")),
        Row(method="configure", args=(Arg("bind_all"),), when=TRUE, message=tensorboard_message,
            severity="medium", unless=_no_tensorboard, requires=("tensorboard",)),
        Row(method="configure", args=(Arg("host"),), when=matches("all interfaces", _all_interfaces),
            message=tensorboard_message, severity="medium", unless=_no_tensorboard,
            requires=("tensorboard",)),
        Row(method="configure", args=(Arg("argv", 0),), when=matches("--bind_all", lambda v: _server_argv(
            ["tensorboard", *v[1:]] if isinstance(v, list) else v)), message=tensorboard_message,
            severity="medium", unless=lambda hit: "tensorboard" not in imported_libraries(hit.view.scope),
            requires=("tensorboard",)),
        Row(api.SUBPROCESS | {"os.system", "os.popen"}, Arg("args", 0),
            matches("a server on all interfaces", _server_argv),
            message=server_message, severity="medium", requires=("0.0.0.0", "bind_all", "bind-all")),
    )

    @classmethod
    def triggers_for(cls, settings: Any) -> tuple:
        """The compact word test first (one search, enough to skip most files), then the rows' own
        entries (the method with its keyword and library): a training script that merely mentions
        TensorBoard or Flask is not parsed for this rule."""
        return _GATED


_GATED = tuple((*PublicMlExposure._compact, *(entry if isinstance(entry, tuple) else (entry,)))
               for entry in PublicMlExposure.triggers)


# -- MLS507 ---------------------------------------------------------------------------------------

_FILE_TOOLS = ("ReadFileTool", "WriteFileTool", "ListDirectoryTool", "CopyFileTool", "DeleteFileTool",
               "MoveFileTool", "FileSearchTool")
_FILE_MODULES = ("langchain_community.tools", "langchain_community.tools.file_management",
                 "langchain.tools", "langchain.tools.file_management")


class UnscopedAgentFileTool(LlmRule):
    code = "MLS507"
    summary = "LangChain file-management tools without root_dir reach every file the process can"
    message = ("{name}() without root_dir lets the agent read, write or delete any file the process can "
               "reach (paths are chosen by the model); pass root_dir= a dedicated directory")
    severity = "medium"
    secondary_guidelines = ("2.2",)
    cwe = (22,)
    owasp = ("LLM06:2025",)
    atlas = ("AML.T0053",)
    rows = (
        Row(_qn(("langchain_community.agent_toolkits", "langchain_community.agent_toolkits.file_management",
                 "langchain_community.agent_toolkits.file_management.toolkit",
                 "langchain.agents.agent_toolkits"), ("FileManagementToolkit",))
            | _qn(_FILE_MODULES, _FILE_TOOLS), Arg("root_dir"), DEFAULT,
            message=lambda hit: UnscopedAgentFileTool.message.format(name=dataflow.short_name(hit.name))),
    )


# keep `UNKNOWN` importable for rows written against it in tests of this module
__all__ = ["LlmOutputCodeExecution", "AgentDangerousCapability", "PublicMlExposure", "LlmOutputSqlInjection",
           "AgentToolParamInjection", "ModelTemplateInjection", "UnscopedAgentFileTool", "UNKNOWN"]
