"""One function (or a module's top-level code) through the dataflow layer: statements in order,
branches merged, expressions evaluated to Values, sources and sinks recognised (analysis/llm_api.py).
See analysis/dataflow.py for what it follows and what it does not."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Union

import libcst as cst

from ml_seclint.analysis import sanitisers
from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.blocks import always_exits, block, body_of, captures
from ml_seclint.analysis.members import bind_args, decorator_name, enclosing_class, is_self
from ml_seclint.analysis.resolve import UNKNOWN, literal, qualnames
from ml_seclint.analysis.scopes import DEF, PARAM, Scope, dotted, scoped_name
from ml_seclint.analysis.taint import (EMPTY, Flow, Obj, Result, SinkHit, Taint, Value, call_label, clean,
                                       concat, describe, fixed_host, join, key_of, merge_env, pipe, root_key,
                                       short_name,
                                       taint_only, union)

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.analysis.dataflow import FileDataflow

#: how many levels of same-module helpers are summarised: two, the LLMMathChain shape
#: (`_call` -> `_process_llm_result` -> `_evaluate_expression` -> numexpr.evaluate)
SUMMARY_DEPTH = 2
_MAX_EXPR_DEPTH = 60


class FunctionFlow:
    def __init__(self, state: FileDataflow, scope: Scope, depth: int, seeds: dict[str, Value]) -> None:
        self.state = state
        self.scope = scope
        self.depth = depth
        self.env: dict[str, Value] = dict(seeds)
        self.result = Result()
        self._expr_depth = 0

    def run(self) -> Result:
        node = self.scope.node
        body = body_of(node)
        if body is not None:
            try:
                self._walk(body)
            except RecursionError:
                pass  # a pathological expression: keep what was found so far
        return self.result

    # -- statements: an explicit stack, so deep nesting costs no recursion ------------------
    def _walk(self, body: Iterable[cst.CSTNode]) -> None:
        stack: list[list] = [[list(body), 0, None]]
        self._stack = stack
        while stack:
            frame = stack[-1]
            statements, index, on_exit = frame
            if index >= len(statements):
                stack.pop()
                if on_exit is not None:
                    on_exit()
                continue
            frame[1] = index + 1
            self._statement(statements[index])

    def _push(self, suite: Any, on_exit: Optional[Callable[[], None]] = None) -> None:
        self._stack.append([block(suite), 0, on_exit])

    def _statement(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in stmt.body:
                self._small(small)
        elif isinstance(stmt, cst.If):
            self._if(stmt)
        elif isinstance(stmt, (cst.For, cst.While)):
            self._loop(stmt)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                value = self.ev(item.item)
                if item.asname is not None:
                    self._bind(item.asname.name, value, item.item)
            self._push(stmt.body)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self._try(stmt)
        elif isinstance(stmt, cst.Match):
            self._match(stmt)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            self._kill(stmt.name.value)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            value = self.ev(small.value)
            for target in small.targets:
                self._bind(target.target, value, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._bind(small.target, self.ev(small.value), small.value)
        elif isinstance(small, cst.AugAssign):
            value = self.ev(small.value)
            key = dotted(small.target) if isinstance(small.target, (cst.Name, cst.Attribute)) else None
            if key is not None:
                old = self._lookup(small.target)
                self.env[key] = Value(union(old.taint, value.taint), old.obj)
            else:
                self._bind(small.target, value, None)
        elif isinstance(small, cst.Expr):
            self.ev(small.value)
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self.result.returns = join(self.result.returns, self.ev(small.value))
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.ev(small.exc)
        elif isinstance(small, cst.Assert):
            self.ev(small.test)
        elif isinstance(small, cst.Del):
            self._kill_target(small.target)
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            if isinstance(small.names, (list, tuple)):
                for alias in small.names:
                    name = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(name, (cst.Name, cst.Attribute)):
                        key = dotted(name)
                        if key:
                            self._kill(key.split(".")[0])

    def _if(self, stmt: cst.If) -> None:
        self.ev(stmt.test)
        before = dict(self.env)
        yes, no = sanitisers.facts(stmt.test, self.scope, self.ev)
        self._apply(yes)
        exits = always_exits(stmt.body)

        def after_body() -> None:
            body_env = self.env
            self.env = dict(before)
            self._apply(no)

            def after_else() -> None:
                if not exits:
                    self.env = merge_env(body_env, self.env)

            orelse = stmt.orelse
            if orelse is None:
                after_else()
            elif isinstance(orelse, cst.If):
                self._stack.append([[orelse], 0, after_else])
            else:
                self._push(orelse.body, after_else)

        self._push(stmt.body, after_body)

    def _loop(self, stmt: Union[cst.For, cst.While]) -> None:
        if isinstance(stmt, cst.For):
            items = self.ev(stmt.iter)
            # the messages of a request stream are requests too (`for chunk in request_iterator:`)
            each = items.obj if items.obj is not None and items.obj.kind.source == api.NETWORK else None
            self._bind(stmt.target, Value(items.taint, each), None)
        else:
            self.ev(stmt.test)
        before = dict(self.env)

        def after_body() -> None:
            self.env = merge_env(before, self.env)
            if stmt.orelse is not None:
                self._push(stmt.orelse.body)

        self._push(stmt.body, after_body)

    def _try(self, stmt: Union[cst.Try, cst.TryStar]) -> None:
        before = dict(self.env)
        handlers = list(stmt.handlers)

        def after_main() -> None:
            ends = [self.env]
            start = merge_env(before, self.env)

            def handler(number: int) -> None:
                if number == len(handlers):
                    merged = ends[0]
                    for env in ends[1:]:
                        merged = merge_env(merged, env)
                    self.env = merged
                    if stmt.finalbody is not None:
                        self._push(stmt.finalbody.body)
                    return
                current = handlers[number]
                self.env = dict(start)
                if current.name is not None:
                    self._kill_target(current.name.name)

                def done() -> None:
                    if not always_exits(current.body):
                        ends.append(self.env)
                    handler(number + 1)

                self._push(current.body, done)

            handler(0)

        def after_body() -> None:
            if stmt.orelse is not None:
                self._push(stmt.orelse.body, after_main)
            else:
                after_main()

        self._push(stmt.body, after_body)

    def _match(self, stmt: cst.Match) -> None:
        subject = self.ev(stmt.subject)
        before = dict(self.env)
        cases = list(stmt.cases)
        ends = [before]

        def case(number: int) -> None:
            if number == len(cases):
                merged = ends[0]
                for env in ends[1:]:
                    merged = merge_env(merged, env)
                self.env = merged
                return
            current = cases[number]
            self.env = dict(before)
            for name in captures(current.pattern):
                self.env[name] = Value(subject.taint)
            if current.guard is not None:
                self.ev(current.guard)

            def done() -> None:
                ends.append(self.env)
                case(number + 1)

            self._push(current.body, done)

        case(0)

    # -- guards ---------------------------------------------------------------------------

    def _apply(self, facts: list) -> None:
        for key, kinds, needs_resolved, expr in facts:
            value = self.env.get(key)
            if value is None and expr is not None:
                value = self.ev(expr)  # `plan["cmd"]` read from a tainted `plan`
            if value is None or not value.taint:
                continue
            taint = tuple((origin, safe | kinds if not needs_resolved or api.RESOLVED in safe else safe)
                          for origin, safe in value.taint)
            self.env[key] = replace(value, taint=taint)

    # -- bindings -------------------------------------------------------------------------
    def _bind(self, target: cst.BaseExpression, value: Value, source: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Name):
            self._kill(target.value)
            self.env[target.value] = value
        elif isinstance(target, cst.Attribute):
            key = dotted(target)
            if key is not None:
                self._kill(key)
                self.env[key] = value
            else:
                self.ev(target.value)
        elif isinstance(target, cst.Subscript):
            own = key_of(target)
            if own is not None:
                self.env[own] = value
            key = root_key(target.value)
            self.ev(target.value)
            if key is not None and value.taint:  # one level: the container holds it now
                old = self.env.get(key, EMPTY)
                self.env[key] = Value(union(old.taint, value.taint), old.obj)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            pairs = isinstance(source, (cst.Tuple, cst.List)) and len(source.elements) == len(elements) \
                and not any(isinstance(e, cst.StarredElement) for e in (*elements, *source.elements))
            for number, element in enumerate(elements):
                if pairs:
                    part = source.elements[number].value  # type: ignore[union-attr]
                    self._bind(element.value, self.ev(part), part)
                else:
                    self._bind(element.value, Value(value.taint), None)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, Value(value.taint), None)

    def _kill(self, key: str) -> None:
        self.env.pop(key, None)
        prefix = key + "."
        for other in [k for k in self.env if k.startswith(prefix)]:
            del self.env[other]

    def _kill_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._kill_target(element.value)
        elif isinstance(target, (cst.Name, cst.Attribute)):
            key = dotted(target)
            if key:
                self._kill(key)

    def _lookup(self, expr: Union[cst.Name, cst.Attribute]) -> Value:
        key = dotted(expr)
        if key is not None and key in self.env:
            return self.env[key]
        return self.ev(expr)

    # -- expressions ----------------------------------------------------------------------
    def ev(self, expr: cst.BaseExpression) -> Value:
        self._expr_depth += 1
        try:
            if self._expr_depth > _MAX_EXPR_DEPTH:
                return EMPTY
            method = _EXPRESSIONS.get(type(expr))
            return method(self, expr) if method is not None else EMPTY
        finally:
            self._expr_depth -= 1

    def _name(self, expr: cst.Name) -> Value:
        name = expr.value
        found = self.env.get(name)
        if found is not None:
            return found
        if name in ("True", "False", "None"):
            return Value(head="", full=True)
        owner, bindings = self.scope.lookup(name)
        if owner is None:
            return EMPTY
        if owner is self.scope:
            for binding in bindings:
                if binding.kind == PARAM:
                    obj = self.state.annotated_obj(binding.node, owner)
                    if obj is not None:
                        return Value(obj=obj)
            return EMPTY
        value = literal(expr, self.scope)
        if isinstance(value, str):
            return Value(head=value, full=True)
        text = self.state.constant_text(expr, self.scope)
        if text is not None:
            return text
        obj = self.state.static_obj(expr, self.scope)
        return Value(obj=obj) if obj is not None else EMPTY

    def _attribute(self, expr: cst.Attribute) -> Value:
        key = dotted(expr)
        if key is not None and key in self.env:
            return self.env[key]
        attr = expr.attr.value
        base = self.ev(expr.value)
        if base.obj is not None:
            if base.obj.kind.anything:
                return self._network(expr, base.obj)
            found = base.obj.attr(attr)
            if found is not None:
                return Value(obj=found)
        elif key is not None:
            obj = self.state.static_obj(expr, self.scope)
            if obj is not None:
                return Value(obj=obj)
        if attr in api.TEMPLATE_NAMES:
            return self._template_origin(expr)
        if not base.taint or attr in api.METADATA_ATTRIBUTES:
            return EMPTY
        if attr == "name":  # Path(x).name: the last part only
            return Value(clean(base.taint, frozenset({api.PATH})))
        if _is_path(base) and attr == "parent":
            return Value(base.taint, obj=_PATH_OBJ)
        return Value(base.taint)

    def _subscript(self, expr: cst.Subscript) -> Value:
        own = key_of(expr)
        if own is not None and own in self.env:
            return self.env[own]
        base = self.ev(expr.value)
        key = None
        for element in expr.slice:
            if isinstance(element.slice, cst.Index):
                self.ev(element.slice.value)
                key = literal(element.slice.value, self.scope) if len(expr.slice) == 1 else None
        if base.obj is not None and base.obj.kind.anything:
            return self._network(expr, base.obj)
        if isinstance(key, str) and key in api.TEMPLATE_NAMES:
            return self._template_origin(expr)
        if isinstance(key, str) and key in api.METADATA_ATTRIBUTES:
            return EMPTY
        return Value(base.taint) if base.taint else EMPTY

    def _template_origin(self, expr: cst.BaseExpression, key: Optional[cst.BaseExpression] = None) -> Value:
        text = describe(expr)
        if isinstance(key, cst.SimpleString) and isinstance(expr, cst.Call):  # config.get("chat_template")
            text = f"{text[:-2]}({key.value})"
        origin = self.state.origin(api.TEMPLATE, f"the chat template {text}", expr)
        return Value(((origin, frozenset()),))

    def _network(self, expr: cst.BaseExpression, obj: Obj) -> Value:
        origin = self.state.origin(api.NETWORK, describe(expr), expr)
        return Value(((origin, frozenset()),))

    def _call(self, node: cst.Call) -> Value:
        func = node.func
        receiver: Optional[Value] = None
        if isinstance(func, cst.Attribute):
            receiver = self.ev(func.value)
        elif not isinstance(func, cst.Name):
            self.ev(func)
        args = [(arg, self.ev(arg.value)) for arg in node.args]
        if receiver is not None and func.attr.value in api.FILLING_METHODS:  # type: ignore[union-attr]
            self._fill(func.value, receiver, args)  # type: ignore[union-attr]
        if receiver is not None:
            found = self._method(node, func, receiver, args)  # type: ignore[arg-type]
            if found is not None:
                return found
        names = qualnames(func, self.scope)
        if names:
            found = self._function(node, names, args)
            if found is not None:
                return found
        if self.state.configured_method(func, self.scope):  # before the helper: it may be abstract
            return self._source(node, api.MODEL)
        helper = self._helper(func)
        if helper is not None:
            return self._through_helper(node, helper, args)
        if isinstance(func, cst.Name):
            callee = self._name(func)
            if callee.obj is not None and callee.obj.kind.callable and not callee.obj.path:
                return self._source(node, callee.obj.kind.source)
        return EMPTY

    def _fill(self, target: cst.BaseExpression, receiver: Value, args: list) -> None:
        """`parts.append(chunk)`: the container now holds the argument's taint, as `data += chunk`."""
        key = dotted(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        taint = taint_only(*(value for _, value in args)).taint
        if key is not None and taint and receiver.obj is None:
            self.env[key] = Value(union(receiver.taint, taint))

    def _method(self, node: cst.Call, func: cst.Attribute, receiver: Value, args: list) -> Optional[Value]:
        method = func.attr.value
        obj = receiver.obj
        if obj is not None and obj.kind is _PATH:
            return self._path_method(node, method, receiver, args)
        if obj is not None:
            kind = obj.kind
            if kind.anything:
                return self._network(node, obj)
            path = f"{obj.path}.{method}" if obj.path else method
            if path in kind.outputs:
                return self._source(node, kind.source)
            sink = kind.sinks.get(path)
            if sink is not None:
                self._sink(node, sink.kind, self._arg(args, sink.keyword, sink.position),
                           f"{describe(func)}()", obj=obj,
                           expr=self._arg_expr(node, sink.keyword, sink.position))
                return EMPTY
            if path in kind.derived:
                return Value(obj=Obj(api.KINDS[kind.derived[path]], node=node))
            if path in kind.same:
                return Value(obj=Obj(kind, node=obj.node))
            if not path or kind.has_prefix(path):
                return None
            return EMPTY
        if receiver.taint:
            if method in api.CLEAN_METHODS:
                return EMPTY
            if method == "get" and args and literal_str(args[0][0].value, self.scope) in api.TEMPLATE_NAMES:
                return self._template_origin(node, args[0][0].value)
            taint = receiver.taint
            if method in api.ARGUMENT_METHODS:
                taint = taint_only(receiver, *(v for _, v in args)).taint
            return Value(taint)
        if method in api.RECEIVE_METHODS and self.state.imports() & api.NETWORK_LIBRARIES:
            socket = scoped_name(func.value, self.scope)
            origin = self.state.origin(api.NETWORK, f"{describe(func)}()", node, receiver=socket)
            return Value(((origin, frozenset()),))
        if method == "get" and args and literal_str(args[0][0].value, self.scope) in api.TEMPLATE_NAMES:
            return self._template_origin(node, args[0][0].value)
        if method in api.ARGUMENT_METHODS and args:
            value = taint_only(*(v for _, v in args))
            if method == "format" and receiver.full:
                return Value(value.taint, head=receiver.head.split("{", 1)[0])
            if value.taint:
                return value
        if method in ("execute", "executemany", "executescript") and self.state.imports() & api.DB_LIBRARIES \
                and not qualnames(func, self.scope):
            self._sink(node, api.SQL, self._arg(args, "sql", 0), f"{describe(func)}()")
            return EMPTY
        if method == "raw" and isinstance(func.value, cst.Attribute) and func.value.attr.value == "objects":
            self._sink(node, api.SQL, self._arg(args, "raw_query", 0), f"{describe(func)}()")
            return EMPTY
        if receiver.full and method in _STR_METHODS:
            return Value(head=_apply_str(receiver.head, method) if not args else "", full=not args)
        return None

    def _path_method(self, node: cst.Call, method: str, receiver: Value, args: list) -> Value:
        """A method of a pathlib path: a file operation is a PATH sink of the path itself."""
        if method in api.PATH_METHODS:
            self._sink(node, api.PATH, receiver, f"Path.{method}()")
            return EMPTY
        if method in api.CLEAN_METHODS:
            return EMPTY
        if method == "resolve":
            return Value(clean(receiver.taint, frozenset({api.RESOLVED})), obj=receiver.obj)
        if method in api.PATH_RESULTS:  # joinpath, with_name, ...: still a path
            return Value(taint_only(receiver, *(v for _, v in args)).taint, obj=receiver.obj)
        return Value(receiver.taint)  # as_posix(), read of a name, ...: text

    def _function(self, node: cst.Call, names: frozenset, args: list) -> Optional[Value]:
        if names & (api.SOURCE_FUNCTIONS | self.state.extra_sources):
            return self._source(node, api.MODEL)
        if names & self.state.extra_sanitisers:
            return EMPTY
        for name in sorted(names):
            kinds = api.SANITISERS.get(name)
            if kinds is not None:
                if api.ALL in kinds:
                    return EMPTY
                return Value(clean(taint_only(*(v for _, v in args)).taint, kinds))
            if name in api.RESOLVERS:
                return Value(clean(taint_only(*(v for _, v in args)).taint, frozenset({api.RESOLVED})))
            if name in api.PATH_TYPES:
                return Value(taint_only(*(v for _, v in args)).taint, obj=_PATH_OBJ)
            if name in api.PROPAGATORS:
                spec = api.PROPAGATORS[name]
                values = [v for _, v in args] if spec is None else \
                    [self._arg(args, spec[i + 1], spec[i]) for i in range(0, len(spec), 2)]
                merged = taint_only(*values)
                if name == "textwrap.dedent" and values and values[0].full:
                    return Value(head=values[0].head, full=True)
                return merged
            sink = api.FUNCTION_SINKS.get(name)
            if sink is not None:
                label = name.replace("builtins.", "") + "()"
                self._sink(node, sink.kind, self._arg(args, sink.keyword, sink.position), label,
                           expr=self._arg_expr(node, sink.keyword, sink.position))
                return EMPTY
            if name in api.SUBPROCESS or name in api.EXEC_FAMILY:
                self._process(node, name, args)
                return EMPTY
            if name in api.PROMPT_TEMPLATES:
                fmt = self._arg_expr(node, "template_format", None)
                if fmt is not None and literal(fmt, self.scope) == "jinja2":
                    keyword = "messages" if name.endswith("from_messages") else "template"
                    self._sink(node, api.TEMPLATE_SINK, self._arg(args, keyword, 0), f"{short_name(name)}()",
                               expr=self._arg_expr(node, keyword, 0))
                return EMPTY
            kind = api.kind_of_class(name)
            if kind is not None:
                return Value(obj=Obj(api.KINDS[kind], node=node))
        return None

    # -- sources and sinks --------------------------------------------------------------------
    def _source(self, node: cst.Call, kind: str) -> Value:
        origin = self.state.origin(kind, call_label(node.func), node)
        return Value(((origin, frozenset()),))

    def _sink(self, node: cst.Call, kind: str, value: Value, label: str, *,
              expr: Optional[cst.BaseExpression] = None, obj: Optional[Obj] = None) -> None:
        self.result.hits.append(SinkHit(node, kind, label, value, expr, obj))
        if kind == api.URL and fixed_host(value.head):
            return  # the host is fixed: the taint is in the path or the query string
        for origin, safe in value.taint:
            if kind not in safe and api.ALL not in safe:
                self.result.flows.append(Flow(node, kind, label, origin))

    def _process(self, node: cst.Call, name: str, args: list) -> None:
        """subprocess / os.exec* / os.spawn*: a shell command line, `[sh, "-c", cmd]`, or the
        program of an argument vector."""
        module, short = name.rsplit(".", 1)
        if module == "subprocess":
            argv = self._arg_expr(node, "args", 0)
            if argv is None:
                return
            shell_expr = self._arg_expr(node, "shell", None)
            shell = literal(shell_expr, self.scope) if shell_expr is not None else False
            elements = [e.value for e in argv.elements] if isinstance(argv, (cst.List, cst.Tuple)) else None
            # shell=<unknown> with a string command: the command is meant for a shell
            if (shell is not UNKNOWN and shell) or (shell is UNKNOWN and elements is None):
                target = elements[0] if elements else argv
                self._sink(node, api.SHELL, self.ev(target), f"subprocess.{short}(shell=True)")
            elif elements is not None:
                self._argv(node, elements, f"subprocess.{short}")
            else:
                self._sink(node, api.ARGV, self.ev(argv), f"subprocess.{short}()")
            return
        positional = [a.value for a in node.args if a.keyword is None and a.star == ""]
        start = 1 if short.startswith("spawn") else 0
        if len(positional) <= start:
            return
        rest = positional[start + 1:]
        if len(rest) == 1 and isinstance(rest[0], (cst.List, cst.Tuple)):  # execv(file, [file, "-c", x])
            rest = [e.value for e in rest[0].elements][1:]
        program = positional[start]
        if name == "pty.spawn" and isinstance(program, (cst.List, cst.Tuple)):
            program, *rest = [e.value for e in program.elements] or [program]
        self._argv(node, [program, *rest], name)

    def _argv(self, node: cst.Call, elements: list, callee: str) -> None:
        """`[program, arg, ...]`: the program must not come from untrusted text; `[sh, "-c", x]`
        runs x as a command line and `[python, "-c", x]` as code."""
        first = elements[0]
        if isinstance(first, cst.StarredElement):
            return
        program = self.ev(first)
        if qualnames(first, self.scope) & {"sys.executable"}:
            program = Value(head="python", full=True)
        if program.full and len(elements) >= 3 and not isinstance(elements[1], cst.StarredElement):
            flag = self.ev(elements[1])
            base = program.head.rsplit("/", 1)[-1]
            label = f"{callee}([{program.head!r}, {flag.head!r}, ...])"
            if flag.full and flag.head in api.COMMAND_FLAGS:
                if program.head in api.SHELLS or base in api.SHELLS:
                    self._sink(node, api.SHELL, self.ev(elements[2]), label)
                    return
                if base.startswith(tuple(api.INTERPRETERS)):
                    self._sink(node, api.CODE, self.ev(elements[2]), label)
                    return
        self._sink(node, api.ARGV, program, f"{callee}([...])")

    # -- helpers of the same module -------------------------------------------------------
    def _helper(self, func: cst.BaseExpression) -> Optional[tuple[cst.FunctionDef, Scope, bool]]:
        if self.depth >= SUMMARY_DEPTH:
            return None
        if isinstance(func, cst.Name):
            owner, bindings = self.scope.lookup(func.value)
            if owner is not None and len(bindings) == 1 and bindings[0].kind == DEF \
                    and isinstance(bindings[0].node, cst.FunctionDef) and owner.kind != "class":
                return bindings[0].node, owner, False
            return None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and is_self(func.value, self.scope):
            cls = enclosing_class(self.scope)
            if cls is not None:
                class_scope, node = cls
                for stmt in block(node.body):
                    if isinstance(stmt, cst.FunctionDef) and stmt.name.value == func.attr.value:
                        if any(decorator_name(d) in ("staticmethod",) for d in stmt.decorators):
                            return stmt, class_scope, False
                        return stmt, class_scope, True
        return None

    def _through_helper(self, node: cst.Call, helper: tuple, args: list) -> Value:
        definition, owner, method = helper
        summary = self.state.summary(definition, owner, method, self.depth + 1)
        if summary is None:
            return EMPTY
        bound = bind_args(summary.params, args, definition)
        name = f"{definition.name.value}()"
        taint: Taint = ()
        for origin, safe in summary.returns.taint:
            if origin.kind == api.PARAM:
                value = bound.get(origin.param or "")
                if value is not None:
                    taint = union(taint, clean(value.taint, safe))
            else:
                outer = self.state.origin(origin.kind, name, node, via=origin.via or origin,
                                          receiver=origin.receiver)
                taint = union(taint, ((outer, safe),))
        for param, kind, inside, inner, label in summary.sinks:
            value = bound.get(param)
            if value is None:
                continue
            for origin, outside in value.taint:
                merged = inside | outside
                if kind not in merged and api.ALL not in merged:
                    self.result.flows.append(Flow(node, kind, name, origin, inner=(inner, label)))
        return Value(taint, summary.returns.obj)

    # -- arguments ------------------------------------------------------------------------
    def _arg(self, args: list, keyword: str, position: Optional[int]) -> Value:
        index = 0
        for arg, value in args:
            if arg.keyword is not None:
                if arg.keyword.value == keyword:
                    return value
            elif arg.star == "":
                if position is not None and index == position:
                    return value
                index += 1
            elif arg.star == "*" and position is not None and index <= position:
                return Value(value.taint)
        return EMPTY

    @staticmethod
    def _arg_expr(node: cst.Call, keyword: str, position: Optional[int]) -> Optional[cst.BaseExpression]:
        index = 0
        for arg in node.args:
            if arg.keyword is not None:
                if arg.keyword.value == keyword:
                    return arg.value
            elif arg.star == "":
                if position is not None and index == position:
                    return arg.value
                index += 1
        return None

    # -- the other expressions ------------------------------------------------------------
    def _string(self, expr: cst.SimpleString) -> Value:
        value = expr.evaluated_value
        return Value(head=value if isinstance(value, str) else "", full=True)

    def _concatenated(self, expr: cst.ConcatenatedString) -> Value:
        return concat(self.ev(expr.left), self.ev(expr.right))

    def _fstring(self, expr: cst.FormattedString) -> Value:
        taint: Taint = ()
        head, full = "", True
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                if full:
                    head += part.value
                continue
            value = self.ev(part.expression)
            taint = union(taint, value.taint)
            if full and value.full and part.format_spec is None and part.conversion is None:
                head += value.head
            else:
                full = False
        return Value(taint, head=head, full=full)

    def _binary(self, expr: cst.BinaryOperation) -> Value:
        left, right = self.ev(expr.left), self.ev(expr.right)
        if isinstance(expr.operator, cst.BitOr):
            obj = pipe(left.obj, right.obj)
            if obj is not None:
                return Value(obj=obj)
        if isinstance(expr.operator, cst.Divide) and (_is_path(left) or _is_path(right)):
            return Value(union(left.taint, right.taint), obj=_PATH_OBJ)  # root / name
        if isinstance(expr.operator, cst.Add):
            return concat(left, right)
        if isinstance(expr.operator, cst.Modulo):
            return Value(union(left.taint, right.taint), head=left.head.split("%", 1)[0] if left.full else "")
        return Value(union(left.taint, right.taint))

    def _boolean(self, expr: cst.BooleanOperation) -> Value:
        return join(self.ev(expr.left), self.ev(expr.right))

    def _ifexp(self, expr: cst.IfExp) -> Value:
        self.ev(expr.test)
        return join(self.ev(expr.body), self.ev(expr.orelse))

    def _await(self, expr: Union[cst.Await, cst.Yield]) -> Value:
        inner = expr.expression if isinstance(expr, cst.Await) else expr.value
        if inner is None or isinstance(inner, cst.From):
            return self.ev(inner.item) if isinstance(inner, cst.From) else EMPTY
        return self.ev(inner)

    def _collection(self, expr: Union[cst.List, cst.Tuple, cst.Set]) -> Value:
        return taint_only(*(self.ev(e.value) for e in expr.elements))

    def _dict(self, expr: cst.Dict) -> Value:
        values = []
        for element in expr.elements:
            if isinstance(element, cst.DictElement):
                self.ev(element.key)
            values.append(self.ev(element.value))
        return taint_only(*values)

    def _comprehension(self, expr: Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]) -> Value:
        saved = dict(self.env)
        clause: Optional[cst.CompFor] = expr.for_in
        while clause is not None:
            items = self.ev(clause.iter)
            self._bind(clause.target, Value(items.taint), None)
            for condition in clause.ifs:
                self.ev(condition.test)
            clause = clause.inner_for_in
        if isinstance(expr, cst.DictComp):
            value = taint_only(self.ev(expr.key), self.ev(expr.value))
        else:
            value = taint_only(self.ev(expr.elt))
        self.env = saved
        return value

    def _walrus(self, expr: cst.NamedExpr) -> Value:
        value = self.ev(expr.value)
        self._bind(expr.target, value, expr.value)
        return value

    def _comparison(self, expr: cst.Comparison) -> Value:
        self.ev(expr.left)
        for target in expr.comparisons:
            self.ev(target.comparator)
        return EMPTY

    def _unary(self, expr: cst.UnaryOperation) -> Value:
        self.ev(expr.expression)
        return EMPTY

    def _starred(self, expr: Union[cst.StarredElement, cst.StarredDictElement]) -> Value:
        return Value(self.ev(expr.value).taint)

    def _number(self, expr: cst.BaseExpression) -> Value:
        return Value(full=True)


_F = FunctionFlow
_EXPRESSIONS: dict[type, Callable[[FunctionFlow, Any], Value]] = {
    cst.Name: _F._name, cst.Attribute: _F._attribute, cst.Subscript: _F._subscript, cst.Call: _F._call,
    cst.SimpleString: _F._string, cst.ConcatenatedString: _F._concatenated, cst.FormattedString: _F._fstring,
    cst.BinaryOperation: _F._binary, cst.BooleanOperation: _F._boolean, cst.IfExp: _F._ifexp,
    cst.Await: _F._await, cst.Yield: _F._await, cst.List: _F._collection, cst.Tuple: _F._collection,
    cst.Set: _F._collection, cst.Dict: _F._dict, cst.ListComp: _F._comprehension,
    cst.SetComp: _F._comprehension, cst.GeneratorExp: _F._comprehension, cst.DictComp: _F._comprehension,
    cst.NamedExpr: _F._walrus, cst.Comparison: _F._comparison, cst.UnaryOperation: _F._unary,
    cst.StarredElement: _F._starred, cst.Integer: _F._number, cst.Float: _F._number,
    cst.Imaginary: _F._number,
}

_PATH = api.KINDS["path"]
_PATH_OBJ = Obj(_PATH)


def _is_path(value: Value) -> bool:
    return value.obj is not None and value.obj.kind is _PATH


_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold"})


def _apply_str(text: str, method: str) -> str:
    return getattr(text, method)()


def literal_str(expr: cst.BaseExpression, scope: Scope) -> Any:
    value = literal(expr, scope)
    return value if isinstance(value, str) else None
