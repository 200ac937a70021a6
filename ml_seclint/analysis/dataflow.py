"""Intra-procedural taint: where untrusted text (model output, agent tool parameters, network
bytes, model chat templates) reaches a sink (code, shell, SQL, paths, URLs, templates, pickle).

What it follows, inside one function (or the module's top-level code):
- assignments (also tuple unpacking, walrus, `with ... as`, `for` targets, `match` captures),
  attribute and subscript reads (`.choices[0].message.content`), f-strings, `%`, `.format`, `+`,
  `str` methods, `re` matches, `json.loads(...)[k]`, `os.path.join`, `pathlib.Path` and the
  other propagators of analysis/llm_api.py; containers one level deep (`[x]`, `d[k] = x`);
- objects by the class they were built from (`client = OpenAI()`, `llm = ChatOpenAI()`,
  `chain = prompt | llm`, `self.llm = ...` in any method of the class, a parameter annotated
  `BaseChatModel`), never by a method name alone;
- same-module function summaries, two levels deep (SUMMARY_DEPTH): a helper (a module-level
  function or a method of the same class called through `self`) that returns model output is a
  source, one that passes a parameter to a sink is a sink, one that returns (part of) a parameter
  passes its taint on, and one that returns a model object is a factory;
- branches merge (a value is tainted after an `if` when it is tainted on either path); a guard
  that exits (`if cmd not in ALLOWED: raise`) or encloses the sink (`if p.is_relative_to(root):`)
  sanitises the guarded name for the sinks it protects.

What it does not follow (the known limits every taint rule inherits): loops are walked once, not
to a fixed point (a value tainted at the end of an iteration and used at the start of the next is
missed); no flow across modules, through globals, or between methods through `self.x` (only
objects stored on `self` are followed); containers are followed one level (`d[k] = x` taints `d`,
a list of lists of tainted text is not); nested functions, lambdas and class bodies are analysed
only as functions of their own; helpers more than two levels down are opaque; values passed
through unknown functions lose their taint.

Cost: a file is analysed only when a rule's prefilter found a source word and a sink word in
it, and only the functions that hold a source (a call whose last name is a known source method, a
tool function, a network receive, ...) are walked; helpers are summarised on demand.
"""
from __future__ import annotations

import itertools
from typing import Any, Optional

import libcst as cst

from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.blocks import all_statements, body_of
from ml_seclint.analysis.function_flow import SUMMARY_DEPTH, FunctionFlow
from ml_seclint.analysis.members import (annotation_names, class_attributes, enclosing_class, is_self,
                                         safe_annotation)
from ml_seclint.analysis.resolve import constant, local_ancestry, qualnames
from ml_seclint.analysis.scopes import ASSIGN, DEF, IMPORT, PARAM, Scope, dotted
from ml_seclint.analysis.taint import (Flow, Obj, Origin, Result, Summary, Value, describe, method_obj, pipe,
                                       short_name)

__all__ = ["FileDataflow", "for_file", "short_name", "describe", "Flow", "Origin"]


class FileDataflow:
    """Shared by every rule of one file: the rules report calls and functions while the engine
    walks the tree (a cheap pre-scan), and ask for the flows once the walk is done."""

    def __init__(self, module: cst.Module, settings: Any) -> None:
        self.module = module
        self.scopes: dict[int, Scope] = {}
        self.terminals: dict[int, set[str]] = {}
        self.calls: dict[int, list[cst.Call]] = {}  # per scope: the calls that may be sources
        self.wanted: set[str] = set()  # the origin kinds the file's rules report
        self.by_name: dict[str, list[tuple[cst.Call, Scope]]] = {}  # calls by last name
        self.tool_seeds: dict[int, dict[str, Value]] = {}
        self._last_call: Optional[cst.Call] = None
        self._seen_functions: set[int] = set()
        self._results: dict[int, Result] = {}
        self._summaries: dict[tuple[int, int], Optional[Summary]] = {}
        self._flows: Optional[list[Flow]] = None
        self._seq = itertools.count()
        self._class_attrs: dict[int, dict[str, list]] = {}
        self._static: dict[int, Optional[Obj]] = {}
        self._texts: dict[int, Optional[Value]] = {}
        self._with_items: dict[int, dict[int, cst.BaseExpression]] = {}
        self._returns: dict[int, Optional[Obj]] = {}
        self._owners: dict[int, frozenset] = {}  # class -> its name and its bases' qualified names
        self._imports: Optional[frozenset[str]] = None
        option = settings.option if settings is not None else (lambda name: None)
        self.extra_sources = frozenset(option("llm-sources") or ())
        self.extra_sanitisers = frozenset(option("sanitisers") or ())
        self.extra_tools = frozenset(option("tool-decorators") or ())
        self.source_terminals = api.SOURCE_TERMINALS | {n.rsplit(".", 1)[-1] for n in self.extra_sources}

    # -- the pre-scan, during the engine's walk ------------------------------------------------
    def note_call(self, node: cst.Call, scope: Scope) -> None:
        if node is self._last_call:
            return
        self._last_call = node
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else None
        if name is not None:
            key = id(scope.node)
            self.scopes.setdefault(key, scope)
            self.terminals.setdefault(key, set()).add(name)
            if name in self.source_terminals or isinstance(func, cst.Name):
                self.calls.setdefault(key, []).append(node)
            self.by_name.setdefault(name, []).append((node, scope))

    def callers(self, name: str) -> list[tuple[cst.Call, Scope]]:
        """Every call in the module whose last name is `name` (`f(...)`, `self.f(...)`)."""
        return self.by_name.get(name, [])

    def want(self, *kinds: str) -> "FileDataflow":
        """Declare the origin kinds a rule reports (only those sources make a function worth walking)."""
        self.wanted.update(kinds)
        return self

    def note_function(self, node: cst.FunctionDef, scope: Scope) -> None:
        """`scope` is the function's own scope."""
        if id(node) in self._seen_functions:
            return
        self._seen_functions.add(id(node))
        seeds = self.tool_parameters(node, scope)
        if seeds:
            self.scopes[id(node)] = scope
            self.tool_seeds[id(node)] = seeds

    # -- results ---------------------------------------------------------------------------
    def flows(self) -> list[Flow]:
        """Every flow of the file, in the order of the walk."""
        if self._flows is None:
            flows: list[Flow] = []
            for scope in self._candidates():
                flows.extend(self.result(scope).flows)
            self._flows = flows
        return self._flows

    def result(self, scope: Scope) -> Result:
        key = id(scope.node)
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = FunctionFlow(self, scope, 0, self.tool_seeds.get(key, {})).run()
        return found

    def _candidates(self) -> list[Scope]:
        """The scopes worth walking: those holding a source of a wanted kind (confirmed without
        walking: a known source function, a method of a tracked object, a tool, a network read),
        then the callers of those that are functions (their results may be model output)."""
        chosen: dict[int, Scope] = {}
        imports = self.imports() if api.NETWORK in self.wanted else frozenset()
        for key, names in self.terminals.items():
            scope = self.scopes[key]
            if scope.kind == "class" or isinstance(scope.node, cst.Lambda):
                continue
            calls = self.calls.get(key, ())
            if api.MODEL in self.wanted and any(self._maybe_source(call, scope) for call in calls):
                chosen[key] = scope
            elif api.NETWORK in self.wanted and _maybe_network(names, imports):
                chosen[key] = scope
        if api.TOOL in self.wanted:
            for key in self.tool_seeds:
                chosen[key] = self.scopes[key]
        for _ in range(SUMMARY_DEPTH):  # callers of helpers that may return untrusted data
            helpers = {s.node.name.value for s in chosen.values() if isinstance(s.node, cst.FunctionDef)}
            for key, names in self.terminals.items():
                scope = self.scopes[key]
                if key not in chosen and names & helpers and scope.kind != "class" \
                        and not isinstance(scope.node, cst.Lambda):
                    chosen[key] = scope
        order = {key: number for number, key in enumerate(self.scopes)}
        return sorted(chosen.values(), key=lambda s: order[id(s.node)])

    def _maybe_source(self, call: cst.Call, scope: Scope) -> bool:
        """`call` can be model output, judged from the bindings alone (no walk): a source
        function, an output method of a tracked object, a call of a callable model."""
        func = call.func
        if qualnames(func, scope) & (api.SOURCE_FUNCTIONS | self.extra_sources):
            return True
        if self.configured_method(func, scope):
            return True
        if isinstance(func, cst.Attribute):
            base = self.static_obj(func.value, scope)
            if base is None:
                return False
            path = f"{base.path}.{func.attr.value}" if base.path else func.attr.value
            return path in base.kind.outputs or base.kind.anything
        if isinstance(func, cst.Name):
            obj = self.static_obj(func, scope)
            return obj is not None and obj.kind.callable and not obj.path
        return False

    def configured_method(self, func: cst.BaseExpression, scope: Scope) -> bool:
        """`self.submit_prompt(...)` where the class, or one of its bases, with the method is a
        configured source (`llm-sources = ["vanna.base.base.VannaBase.submit_prompt"]`): an
        application's own abstract LLM call. A local class matches by its name, a base by its
        qualified name."""
        if not self.extra_sources or not isinstance(func, cst.Attribute) \
                or not isinstance(func.value, cst.Name) or not is_self(func.value, scope):
            return False
        found = enclosing_class(scope)
        if found is None or found[0].parent is None:
            return False
        class_scope, node = found
        owners = self._owners.get(id(node))
        if owners is None:
            _, bases = local_ancestry(cst.Name(node.name.value), class_scope.parent)
            owners = self._owners[id(node)] = frozenset({node.name.value, *bases})
        method = func.attr.value
        for owner in owners:
            wanted = f"{owner}.{method}"
            if any(source == wanted or source.endswith(f".{wanted}") for source in self.extra_sources):
                return True
        return False

    # -- tools -----------------------------------------------------------------------------
    def tool_parameters(self, node: cst.FunctionDef, scope: Scope) -> dict[str, Value]:
        """The parameters of an agent tool function, as TOOL origins ({} for other functions)."""
        outer = scope.parent or scope
        label = None
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            if qualnames(target, outer) & (api.TOOL_DECORATORS | self.extra_tools) or \
                    (isinstance(target, cst.Attribute) and target.attr.value in api.TOOL_SERVER_METHODS
                     and self._tool_server(target.value, outer)):
                label = f"{node.name.value}()"
                break
        if label is None and node.name.value in api.TOOL_METHODS and outer.kind == "class" \
                and isinstance(outer.node, cst.ClassDef) and outer.parent is not None:
            _, bases = local_ancestry(cst.Name(outer.node.name.value), outer.parent)
            own_code_tool = outer.node.name.value in api.CODE_TOOLS and bases & api.LANGCHAIN_TOOL_BASES
            if bases & api.TOOL_BASES and not own_code_tool:
                label = f"{outer.node.name.value}.{node.name.value}()"
        if label is None:
            return {}
        seeds: dict[str, Value] = {}
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        if isinstance(params.star_arg, cst.Param):
            every.append(params.star_arg)
        if isinstance(params.star_kwarg, cst.Param):
            every.append(params.star_kwarg)
        for index, param in enumerate(every):
            name = param.name.value
            if name in api.FRAMEWORK_PARAMS or (index == 0 and outer.kind == "class"):
                continue
            if param.annotation is not None and safe_annotation(param.annotation.annotation, outer):
                continue
            origin = self.origin(api.TOOL, f"the tool parameter '{name}' of {label}", param)
            seeds[name] = Value(((origin, frozenset()),))
        return seeds

    def _tool_server(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        obj_names = api.TOOL_SERVERS
        if isinstance(expr, cst.Name):
            owner, bindings = scope.lookup(expr.value)
            for binding in bindings:
                if binding.kind == ASSIGN and isinstance(binding.value, cst.Call) and owner is not None \
                        and qualnames(binding.value.func, owner) & obj_names:
                    return True
                if binding.kind == IMPORT and self.imports() & {"mcp", "fastmcp"}:
                    return True  # `from server import mcp` in a multi-file MCP server
        return False

    # -- shared helpers --------------------------------------------------------------------
    def origin(self, kind: str, label: str, node: cst.CSTNode, **extra: Any) -> Origin:
        return Origin(kind, label, node, next(self._seq), **extra)

    def imports(self) -> frozenset[str]:
        """Top-level packages the module imports anywhere (module level and inside functions)."""
        if self._imports is None:
            found: set[str] = set()
            for stmt in all_statements(self.module.body):
                if isinstance(stmt, cst.Import):
                    found.update(dotted(a.name).split(".")[0] for a in stmt.names if dotted(a.name))
                elif isinstance(stmt, cst.ImportFrom) and stmt.module is not None and not stmt.relative:
                    found.add((dotted(stmt.module) or "").split(".")[0])
            self._imports = frozenset(found)
        return self._imports

    def static_obj(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> Optional[Obj]:
        """The tracked object `expr` stands for without following the code path: a constructor
        call, a name every binding of which is one (or a parameter annotated with a model type),
        `self.x` assigned one in a method of the class, `prompt | llm`."""
        if depth > 6:
            return None
        key = id(expr)
        if key in self._static:
            return self._static[key]
        self._static[key] = None  # cycles
        found = self._static_obj(expr, scope, depth)
        self._static[key] = found
        return found

    def _static_obj(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> Optional[Obj]:
        if isinstance(expr, cst.Await):
            return self.static_obj(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Call):
            names = qualnames(expr.func, scope)
            for name in sorted(names):
                kind = api.kind_of_class(name)
                if kind is not None:
                    return Obj(api.KINDS[kind], node=expr)
            if isinstance(expr.func, cst.Attribute):
                base = self.static_obj(expr.func.value, scope, depth + 1)
                if base is not None:
                    return method_obj(base, expr.func.attr.value)
            elif isinstance(expr.func, cst.Name) and not names:
                return self._factory(expr.func, scope, depth)
            return None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
            left = self.static_obj(expr.left, scope, depth + 1)
            right = self.static_obj(expr.right, scope, depth + 1)
            return pipe(left, right)
        if isinstance(expr, cst.Name):
            owner, bindings = scope.lookup(expr.value)
            if owner is None:
                return None
            for binding in bindings:
                if binding.kind == ASSIGN and binding.value is not None:
                    found = self.static_obj(binding.value, owner, depth + 1)
                elif binding.kind == PARAM:
                    found = self.annotated_obj(binding.node, owner)
                elif binding.kind == IMPORT and binding.qualname in api.OBJECTS:
                    found = Obj(api.KINDS[api.OBJECTS[binding.qualname]])
                else:
                    found = self._with_obj(binding, owner, depth)
                if found is not None:
                    return found
            return None
        if isinstance(expr, cst.Attribute):
            names = qualnames(expr, scope)
            for name in sorted(names):
                if name in api.OBJECTS:
                    return Obj(api.KINDS[api.OBJECTS[name]])
            if isinstance(expr.value, cst.Name) and is_self(expr.value, scope):
                found = self.self_attribute(expr.attr.value, scope, depth)
                if found is not None:
                    return found
            base = self.static_obj(expr.value, scope, depth + 1)
            return base.attr(expr.attr.value) if base is not None else None
        return None

    def _factory(self, name: cst.Name, scope: Scope, depth: int) -> Optional[Obj]:
        """`llm = make_llm()`: what a function of this module returns, if a tracked object."""
        owner, bindings = scope.lookup(name.value)
        if owner is None or len(bindings) != 1 or bindings[0].kind != DEF or depth > 3:
            return None
        definition = bindings[0].node
        key = id(definition)
        if key not in self._returns:
            self._returns[key] = None  # recursion
            inner = Scope(definition, owner)
            found = None
            for stmt in all_statements(body_of(definition) or ()):
                if isinstance(stmt, cst.Return) and stmt.value is not None:
                    found = self.static_obj(stmt.value, inner, depth + 1)
                    if found is not None:
                        break
            self._returns[key] = found
        return self._returns[key]

    def _with_obj(self, binding: Any, owner: Scope, depth: int) -> Optional[Obj]:
        """`with OpenAI() as client:` / `async with aiohttp.ClientSession() as s:`."""
        index = self._with_items.get(id(owner.node))
        if index is None:
            index = self._with_items[id(owner.node)] = {
                id(item.asname.name): item.item for stmt in all_statements(body_of(owner.node) or ())
                if isinstance(stmt, cst.With) for item in stmt.items if item.asname is not None}
        item = index.get(id(binding.node))
        return self.static_obj(item, owner, depth + 1) if item is not None else None

    def constant_text(self, name: cst.Name, scope: Scope) -> Optional[Value]:
        """An outer name bound once to text built from literals (`textwrap.dedent(...)` of a
        literal, `PREFIX + "..."`): its Value, or None."""
        value, owner = constant(name, scope)
        if value is name or not isinstance(value, (cst.Call, cst.BinaryOperation, cst.FormattedString,
                                                   cst.ConcatenatedString)):
            return None
        key = id(value)
        if key not in self._texts:
            self._texts[key] = None  # cycles
            found = FunctionFlow(self, owner, SUMMARY_DEPTH, {}).ev(value)
            self._texts[key] = found if found.full else None
        return self._texts[key]

    def annotated_obj(self, param: cst.CSTNode, scope: Scope) -> Optional[Obj]:
        if not isinstance(param, cst.Param):
            return None
        if param.annotation is None:
            return Obj(api.KINDS["http request"]) if self._grpc_request(param, scope) else None
        for name in annotation_names(param.annotation.annotation, scope):
            kind = api.kind_of_annotation(name)
            if kind is not None:
                return Obj(api.KINDS[kind])
        return None

    def _grpc_request(self, param: cst.Param, scope: Scope) -> bool:
        """The request (or request iterator) of a gRPC servicer method `def Method(self, request,
        context)` in a class with a base named `...Servicer` (grpc's generated
        `*_pb2_grpc.XServicer`), in a module that imports grpc: what a client sent."""
        function, cls = scope.node, scope.parent
        if not isinstance(function, cst.FunctionDef) or cls is None \
                or not isinstance(cls.node, cst.ClassDef) or "grpc" not in self.imports():
            return False
        params = function.params.params
        return len(params) == 3 and params[1] is param and params[2].name.value == "context" \
            and any((dotted(base.value) or "").endswith("Servicer") for base in cls.node.bases)

    def self_attribute(self, attr: str, scope: Scope, depth: int) -> Optional[Obj]:
        """`self.llm` in a method: what `self.llm = ...` assigns in any method of the class, or
        the annotation of a class-level field `llm: BaseChatModel`."""
        cls = enclosing_class(scope)
        if cls is None:
            return None
        class_scope, node = cls
        table = self._class_attrs.get(id(node))
        if table is None:
            table = self._class_attrs[id(node)] = class_attributes(node, class_scope)
        for kind, expr, where in table.get(attr, ()):
            if kind == "annotation":
                for name in annotation_names(expr, class_scope):
                    found_kind = api.kind_of_annotation(name)
                    if found_kind is not None:
                        return Obj(api.KINDS[found_kind])
            else:
                found = self.static_obj(expr, where, depth + 1)
                if found is not None:
                    return found
        return None

    def summary(self, node: cst.FunctionDef, owner: Scope, method: bool, depth: int) -> Optional[Summary]:
        key = (id(node), depth)  # a summary made deeper down looks through fewer helpers
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = None  # recursion: no summary while computing it
        scope = Scope(node, owner)
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
        if method:
            params = params[1:]
        names = [*params, *(p.name.value for p in node.params.kwonly_params)]
        seeds = {name: Value(((self.origin(api.PARAM, name, node, param=name), frozenset()),))
                 for name in names}
        result = FunctionFlow(self, scope, depth, seeds).run()
        summary = Summary(params, result.returns, method=method)
        for flow in result.flows:
            if flow.origin.kind != api.PARAM:
                continue  # the helper's own sources: reported when the helper itself is walked
            # the sink the parameter reaches: this helper's own, or the one of a helper it calls
            sink, label = flow.inner if flow.inner is not None else (flow.sink, flow.label)
            summary.sinks.append((flow.origin.param or "", flow.kind, frozenset(), sink, label))
        self._summaries[key] = summary
        return summary


_WEB = frozenset({"flask", "starlette", "fastapi", "aiohttp", "grpc"})


def _maybe_network(names: set[str], imports: frozenset) -> bool:
    """A scope that receives from a socket, or unpickles in a module of a web framework."""
    if not imports & api.NETWORK_LIBRARIES:
        return False
    return bool(names & api.RECEIVE_METHODS or names & {"get_data", "body"}
                or (names & {"loads", "load", "Unpickler"} and imports & _WEB))


def for_file(ctx: Any) -> FileDataflow:
    """The file's shared dataflow state (created by the first rule that asks)."""
    state = ctx.__dict__.get("_dataflow")
    if state is None:
        state = ctx.__dict__["_dataflow"] = FileDataflow(ctx.module, ctx.settings)
    return state
