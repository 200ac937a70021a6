"""Data the code itself just produced: loading it back cannot run an attacker's code.

A loader's data argument is the program's own output when it is
- an in-memory round trip: a serialiser's result (`pickle.loads(pickle.dumps(x))`, also through
  `io.BytesIO(...)`);
- under a fresh temporary directory: pytest's `tmp_path` / `tmpdir` / `tmp_path_factory` fixtures,
  `tempfile.mkdtemp()`, `mkstemp()`, `with tempfile.TemporaryDirectory() as d`,
  `NamedTemporaryFile().name`, a `self.tmp_dir`-style attribute or a `temp_dir` / `tmp_dir`
  variable or parameter, also through a path helper of the module (`fragment_path(temp_dir, x)`),
  and a parameter of a private function that every call of it in the module (or class) fills
  with such a path; not `tempfile.gettempdir()`, which is shared;
- a path the same function, or another function of the module (a cache it fills), writes with a
  known writer:
  `torch.save(m, p)` ... `torch.load(p)`, `vs.save_local(d)` ... `FAISS.load_local(d, ...)`, the two
  path expressions being the same code once `with open(p, ...) as f` is followed to `p`.
  In the same function the write comes first, or the two never run in one pass (the cache idiom
  `if exists(p): load(p) else: build; save(p)`, or an `if exists(p)` block that loads and returns); a
  temporary file moved into place (`os.replace(tmp, p)`) writes `p`;
- a path a function of the module (or a method of the class) returns after writing it
  (`doc_path, _ = _build_index(prefix)`).

A helper process's standard input is its parent's message when the module starts itself with
serialised data on it (`subprocess.run([sys.executable, __file__], input=pickle.dumps(args))`).

A load inside `__setstate__` / `__reduce__` is also the program's business: it runs only while an
object is unpickled, which already runs whatever the pickle says.

What this does not see: a file written in another module (a fixture, a sibling script) unless it
is in a temporary directory, and paths that are spelled differently but equal at run time.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ml_seclint.analysis.codegen import code_for_node
from ml_seclint.analysis.nodes import calls_in, children
from ml_seclint.analysis.objects import enclosing_with_item, origin
from ml_seclint.analysis.resolve import (MISSING, UNKNOWN, CallView, calls_by_name, calls_of, local_function,
                                         qualnames)
from ml_seclint.analysis.scopes import ASSIGN, PARAM, Scope
from ml_seclint.analysis.statements import statements

SERIALISERS = frozenset({
    *(f"{m}.dumps" for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal",
                             "jsonpickle")),
    "jsonpickle.encode", "yaml.dump", "yaml.safe_dump",
})
BUFFERS = frozenset({"io.BytesIO", "io.StringIO"})
FRESH_TEMP = frozenset({"tempfile.mkdtemp", "tempfile.mkstemp", "tempfile.TemporaryDirectory",
                        "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile",
                        "tempfile.SpooledTemporaryFile"})
TEMP_FIXTURES = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})
TEMP_ATTRIBUTES = frozenset({"tmp_path", "tmpdir", "tmp_dir", "temp_dir", "tempdir", "_tmpdir",
                             "_tmp_dir", "tmp_folder", "temp_folder"})
#: names that say they hold a temporary directory, whoever made it
TEMP_NAMES = TEMP_ATTRIBUTES - {"tmp_path", "tmpdir"}
OPENERS = frozenset({"builtins.open", "io.open", "gzip.open", "bz2.open", "lzma.open",
                     "codecs.open", "os.fdopen"})
#: writer -> (position, keyword) of the path or file it writes
WRITERS: dict[str, tuple[int, str]] = {
    "torch.save": (1, "f"), "paddle.save": (1, "path"),
    **{f"{m}.dump": (1, "file") for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle",
                                          "marshal")},
    "joblib.dump": (1, "filename"), "skops.io.dump": (1, "file"),
    "numpy.save": (0, "file"), "numpy.savez": (0, "file"), "numpy.savez_compressed": (0, "file"),
    "yaml.dump": (1, "stream"), "yaml.safe_dump": (1, "stream"), "pandas.to_pickle": (1, "path"),
}
#: writer methods on any receiver -> (position, keyword) of the path; None: the receiver is the path
WRITER_METHODS: dict[str, Optional[tuple[int, str]]] = {
    "to_pickle": (0, "path"), "save_local": (0, "folder_path"), "save_pretrained": (0, "save_directory"),
    "save_to_disk": (0, "dataset_path"), "write_bytes": None, "write_text": None,
}
EXISTENCE = frozenset({"exists", "isfile", "is_file", "isdir", "is_dir", "lexists"})
MOVERS = frozenset({"os.replace", "os.rename", "shutil.move"})
STDIN = frozenset({"sys.stdin", "sys.stdin.buffer"})
SPAWNERS = frozenset({f"subprocess.{name}" for name in ("run", "check_output", "call", "check_call")})
_PATH_STEPS = frozenset({"joinpath", "with_suffix", "with_name", "resolve", "absolute", "as_posix",
                         "mktemp", "join", "format"})
_MAX_DEPTH = 8


#: methods that run while an object is being unpickled (or pickled) already
UNPICKLE_HOOKS = frozenset({"__setstate__", "__reduce__", "__reduce_ex__", "__getstate__"})


def produced_here(view: CallView, keywords: tuple[str, ...], position: int = 0) -> bool:
    """The loader call's data argument (the first of `keywords` given, or the argument at
    `position`) is the program's own output, or the load runs inside an unpickling hook
    (`__setstate__`: whatever it loads came with a pickle that already runs code)."""
    if isinstance(view.scope.node, cst.FunctionDef) and view.scope.node.name.value in UNPICKLE_HOOKS:
        return True
    for index, keyword in enumerate(keywords):
        expr, scope = view.arg(keyword, position if index == 0 else None)
        if expr is not MISSING:
            break
    if expr is MISSING or expr is UNKNOWN:
        return False
    if isinstance(expr, cst.Name) and origin(expr, scope) is None:  # a name reused by several `with`s
        expr, scope = enclosing_with_item(expr, scope, view.node) or (expr, scope)
    return in_memory(expr, scope) or temporary(expr, scope) or written_nearby(expr, scope, view.node) \
        or returned_after_writing(expr, scope) or from_own_parent(expr, scope)


def in_memory(expr: cst.BaseExpression, scope: Scope) -> bool:
    expr, scope = _follow(expr, scope)
    if isinstance(expr, cst.Call):
        names = qualnames(expr.func, scope)
        if names & SERIALISERS:
            return True
        if names & BUFFERS and expr.args:
            return in_memory(expr.args[0].value, scope)
    return False


def returned_after_writing(expr: cst.BaseExpression, scope: Scope) -> bool:
    """The path is what a function of the module (or a method of the class) returns, at every
    `return`, after writing it with a known writer: `doc_path, _ = _build_index(prefix)` where
    `_build_index` does `np.save(paths["doc"], ...)` and `return paths["doc"], ...` (it builds the
    cache when missing)."""
    expr, scope = _follow_file(expr, scope)
    if not isinstance(expr, cst.Name):
        return False
    owner, bindings = scope.lookup(expr.value)
    if owner is None or len(bindings) != 1:
        return False
    binding = bindings[0]
    call, index = (binding.value, None) if binding.kind == ASSIGN else binding.unpacked or (None, None)
    if not isinstance(call, cst.Call):
        return False
    callee = local_function(call.func, owner)
    home = _defining_scope(call.func, owner)
    if callee is None or home is None:
        return False
    inner = Scope(callee, home)
    written = _writers(inner)
    returns = [stmt.value for stmt in statements(callee.body) if isinstance(stmt, cst.Return)]
    for value in returns:
        if index is not None:
            if not isinstance(value, cst.Tuple) or index >= len(value.elements) \
                    or isinstance(value.elements[index], cst.StarredElement):
                return False
            value = value.elements[index].value
        if value is None or _path_code(value, inner) not in written:
            return False
    return bool(returns)


def _defining_scope(func: cst.BaseExpression, scope: Scope) -> Optional[Scope]:
    """The scope a callee's `def` is in: the one binding the name, or the class of `self.f`."""
    if isinstance(func, cst.Name):
        return scope.lookup(func.value)[0]
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and func.value.value in ("self", "cls"):
        return scope.class_scope()
    return None


def from_own_parent(expr: cst.BaseExpression, scope: Scope) -> bool:
    """`sys.stdin` in a module that starts itself as a helper process and writes serialised data
    to the helper's stdin (`subprocess.run([sys.executable, __file__], input=pickle.dumps(args))`):
    the helper reads its parent's message."""
    expr, scope = _follow(expr, scope)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "read":
        expr = expr.func.value
    if not qualnames(expr, scope) & STDIN:
        return False
    module = scope.module()
    for name in ("run", "check_output", "call", "check_call"):
        for call, _, where in calls_by_name(module).get(name, ()):
            sent = _arg(call, 99, "input")  # keyword only
            if qualnames(call.func, where) & SPAWNERS and sent is not None and in_memory(sent, where):
                return True
    return False


def temporary(expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
    """The path is inside a fresh temporary directory (or is a temporary file)."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Name):
        owner, bindings = scope.lookup(expr.value)
        if expr.value in TEMP_FIXTURES and bindings and all(b.kind == PARAM for b in bindings):
            return True
        if expr.value in TEMP_NAMES:  # a temp_dir the caller (or an earlier phase) made
            return True
        if owner is not None and len(bindings) == 1 and bindings[0].kind == PARAM:
            return _temporary_from_callers(owner, expr.value, depth)
        found = origin(expr, scope)
        return found is not None and temporary(found[0], found[1], depth + 1)
    if isinstance(expr, cst.Attribute):
        if expr.attr.value in TEMP_ATTRIBUTES and isinstance(expr.value, cst.Name) \
                and expr.value.value in ("self", "cls"):
            return True
        if expr.attr.value in ("name", "parent") or expr.attr.value in _PATH_STEPS:
            return temporary(expr.value, scope, depth + 1)
        return False
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return temporary(expr.left, scope, depth + 1)  # tmp_path / "model.pt"
    if isinstance(expr, cst.FormattedString):
        first = next((p for p in expr.parts if isinstance(p, cst.FormattedStringExpression)), None)
        leading = expr.parts and isinstance(expr.parts[0], cst.FormattedStringExpression)
        return bool(leading and first is not None and temporary(first.expression, scope, depth + 1))
    if isinstance(expr, cst.Subscript):  # fd, path = tempfile.mkstemp(); mkstemp()[1]
        return temporary(expr.value, scope, depth + 1)
    if isinstance(expr, cst.Call):
        names = qualnames(expr.func, scope)
        if names & FRESH_TEMP:
            return True
        if names & OPENERS and expr.args:  # open(tmp_path / "x", "rb")
            return temporary(expr.args[0].value, scope, depth + 1)
        func = expr.func
        if names & {"os.path.join", "builtins.str", "os.fspath", "pathlib.Path", "os.path.abspath"} \
                and expr.args:
            return temporary(expr.args[0].value, scope, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value in _PATH_STEPS:
            if func.attr.value == "join" and expr.args:  # os.path.join through an alias
                return temporary(expr.args[0].value, scope, depth + 1)
            return temporary(func.value, scope, depth + 1)
        if expr.args and local_function(func, scope) is not None:  # fragment_path(temp_dir, name)
            return temporary(expr.args[0].value, scope, depth + 1)
    return False


def _temporary_from_callers(owner: Scope, param: str, depth: int) -> bool:
    """`param` of a private function (or method) is a temporary path at every call of it in the
    module (or class): `_run_single(results_path=os.path.join(tmpdir, "x.pkl"))` with `tmpdir`
    from `TemporaryDirectory()`. A public function may be called from anywhere, so it never is."""
    function, parent = owner.node, owner.parent
    if not isinstance(function, cst.FunctionDef) or parent is None or parent.kind not in ("module", "class") \
            or not function.name.value.startswith("_") or function.name.value.startswith("__"):
        return False
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if parent.kind == "class" and params:
        params = params[1:]  # self / cls: called as self._f(...)
    calls = list(calls_of(function, owner.module() if parent.kind == "module" else parent))
    for call, holder, inner in calls:
        passed = _passed(call, param, params)
        if holder is None or holder is function or passed is None or not temporary(passed, inner, depth + 1):
            return False
    return bool(calls)


def _passed(call: cst.Call, param: str, positional: list[str]) -> Optional[cst.BaseExpression]:
    """The expression a call passes for `param`: by keyword, or at its position."""
    if any(arg.star for arg in call.args):
        return None  # *args / **kwargs: not known
    return _arg(call, positional.index(param) if param in positional else len(call.args), param)


def written_nearby(expr: cst.BaseExpression, scope: Scope, load: Optional[cst.Call] = None) -> bool:
    """A known writer earlier in the same function than `load` (a write after it, as in a
    load-convert-save, does not count unless the two never run together: the cache idiom `if
    exists(p): load(p) else: ...; save(p)`), or in another function of the class or module (a cache
    the module fills and reads back), writes the same path."""
    wanted = _path_code(expr, scope)
    if wanted is None:
        return False
    here = _order(scope)
    before = here.get(id(load), -1) if load is not None else None
    if any(before is None or here[call] < before or _exclusive(scope, id(load), call)
           for call in _writers(scope).get(wanted, ())):
        return True
    path, path_scope = _follow_file(expr, scope)
    owner = _sharing_scope(path, path_scope)
    # the owner's writers in this same function were judged above, in source order
    return owner is not None and owner is not scope \
        and any(call not in here for call in _writers(owner).get(wanted, ()))


def _exclusive(scope: Scope, first: int, second: int) -> bool:
    """The calls (by id) never run in one pass of the cache idiom: an `if` that tests whether a
    file exists holds one in its block and the other in its `else`, or holds one in a block that
    ends in `return`/`raise` and the other comes after it. (A flag such as `if load_solution:`
    is the caller's choice of a file, not a cache.)"""
    for body, orelse, leaves in _branches(scope):
        for a, b in ((first, second), (second, first)):
            if a in body and (b in orelse or (leaves and b not in body)):
                return True
    return False


def _branches(scope: Scope) -> list[tuple[set[int], set[int], bool]]:
    """Per `if` statement of the scope: the ids of the calls in its block and in its `else`, and
    whether its block always leaves the function; computed once."""
    cached = scope.__dict__.get("_branches")
    if cached is None:
        cached = []
        body = scope.node.body if isinstance(scope.node, (cst.FunctionDef, cst.ClassDef)) else scope.node
        for stmt in statements(body):
            if isinstance(stmt, cst.If) and _tests_existence(stmt.test):
                cached.append(({id(c) for c in calls_in(stmt.body)},
                               {id(c) for c in calls_in(stmt.orelse)} if stmt.orelse else set(),
                               _leaves(stmt.body)))
        scope.__dict__["_branches"] = cached
    return cached


def _tests_existence(test: cst.BaseExpression) -> bool:
    """`os.path.exists(p)`, `Path(p).is_file()`, `not os.path.isfile(p) or ...`."""
    return any(isinstance(call.func, (cst.Attribute, cst.Name)) and
               (call.func.attr if isinstance(call.func, cst.Attribute) else call.func).value in EXISTENCE
               for call in calls_in(test))


def _leaves(block: cst.BaseSuite) -> bool:
    """The block ends in `return` or `raise` (also inside a trailing `with`)."""
    last = block.body[-1] if isinstance(block, cst.IndentedBlock) and block.body else block
    if isinstance(last, cst.With):
        return _leaves(last.body)
    small = getattr(last, "body", ())
    return isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and bool(small) \
        and isinstance(small[-1], (cst.Return, cst.Raise))


def _sharing_scope(expr: cst.BaseExpression, scope: Scope) -> Optional[Scope]:
    """Where else the path means the same: the module when it is built from literals and
    module-level names only, the class when it also uses `self.x` / `cls.x` (the same object's
    path); None when any part is a local name or parameter (`os.path.join(path, "x.pkl")` in a
    `save(path)` and a `load(path)` are two different files)."""
    shared: Optional[Scope] = scope.module()
    for name in _data_names(expr):
        if name in ("self", "cls"):
            shared = scope.class_scope()
            if shared is None:
                return None
            continue
        owner, _ = scope.lookup(name)
        if owner is not None and owner.kind != "module":
            return None
    return shared


def _data_names(expr: cst.BaseExpression) -> set[str]:
    """The plain names an expression reads (not attribute names or keywords)."""
    found: set[str] = set()
    pending: list[cst.CSTNode] = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.Attribute):
            pending.append(node.value)
        elif isinstance(node, cst.Arg):
            pending.append(node.value)
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            pending.extend(children(node))
    return found


def _writers(scope: Scope) -> dict[str, list[int]]:
    """The code of every path a known writer writes in the scope's body -> the ids of those writer
    calls; computed once."""
    cached = scope.__dict__.get("_writers")
    if cached is None:
        cached = {}
        for call in _scope_calls(scope):
            path = _written_path(call, scope)
            code = _path_code(path, scope) if path is not None else None
            if code:
                cached.setdefault(code, []).append(id(call))
        for call in _scope_calls(scope):  # an atomic write: a written temporary file moved into place
            moved = _moved(call, scope)
            if moved is not None and _path_code(moved[0], scope) in cached:
                code = _path_code(moved[1], scope)
                if code:
                    cached.setdefault(code, []).append(id(call))
        scope.__dict__["_writers"] = cached
    return cached


def _order(scope: Scope) -> dict[int, int]:
    """id of each call in the scope's body -> its place in source order."""
    cached = scope.__dict__.get("_order")
    if cached is None:
        cached = scope.__dict__["_order"] = {id(call): n for n, call in enumerate(_scope_calls(scope))}
    return cached


def _scope_calls(scope: Scope) -> list[cst.Call]:
    """`_calls` of the scope's node, walked once (writers and order both need them)."""
    cached = scope.__dict__.get("_calls")
    if cached is None:
        cached = scope.__dict__["_calls"] = list(calls_in(scope.node))
    return cached


def _moved(call: cst.Call, scope: Scope) -> Optional[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(source, destination) of `os.replace(a, b)`, `os.rename`, `shutil.move`, `Path(a).replace(b)`."""
    if qualnames(call.func, scope) & MOVERS:
        source, destination = _arg(call, 0, "src"), _arg(call, 1, "dst")
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value in ("replace", "rename") \
            and len(call.args) == 1:
        source, destination = call.func.value, call.args[0].value
    else:
        return None
    return (source, destination) if source is not None and destination is not None else None


def _written_path(call: cst.Call, scope: Scope) -> Optional[cst.BaseExpression]:
    func = call.func
    names = qualnames(func, scope)
    for name in names:
        if name in WRITERS:
            return _arg(call, *WRITERS[name])
        if name in OPENERS and _writes(call):
            return _arg(call, 0, "file")
    if isinstance(func, cst.Attribute):
        if func.attr.value in WRITER_METHODS:
            spec = WRITER_METHODS[func.attr.value]
            return func.value if spec is None else _arg(call, *spec)
        if func.attr.value == "open" and _writes(call, 0):  # Path(p).open("wb")
            return func.value
    return None


def _writes(call: cst.Call, mode_position: int = 1) -> bool:
    mode = _arg(call, mode_position, "mode")
    return isinstance(mode, cst.SimpleString) and any(c in mode.raw_value for c in "wax+")


def _arg(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return positional[position].value if len(positional) > position else None


def _path_code(expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
    """The code of the path `expr` reads or writes: `f` from `with open(p) as f` becomes `p`."""
    expr, scope = _follow_file(expr, scope)
    if isinstance(expr, (cst.Name, cst.Attribute, cst.SimpleString, cst.FormattedString, cst.Call,
                         cst.BinaryOperation, cst.Subscript, cst.ConcatenatedString)):
        return code_for_node(expr)  # iterative: any nesting depth
    return None


def _follow_file(expr: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope]:
    """A file object made by an opener (`open(p, "rb")`, `p.open("wb")`): its path."""
    for _ in range(_MAX_DEPTH):
        if isinstance(expr, cst.Name):
            found = origin(expr, scope)
            if found is None or not isinstance(found[0], cst.Call):
                return expr, scope
            expr, scope = found
            continue
        if isinstance(expr, cst.Call):
            if qualnames(expr.func, scope) & OPENERS and expr.args:
                return expr.args[0].value, scope
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "open":
                return expr.func.value, scope
        return expr, scope
    return expr, scope


def _follow(expr: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope]:
    for _ in range(_MAX_DEPTH):
        found = origin(expr, scope) if isinstance(expr, cst.Name) else None
        if found is None:
            return expr, scope
        expr, scope = found
    return expr, scope
