"""Model-hub calls: which calls download from the Hugging Face Hub, which argument names the
repository, whether that argument is a hub id or a local path, and whether a revision is a
commit SHA.

Shared by MLS201 (trust_remote_code allow-list), MLS203 (unpinned downloads) and MLS204
(mutable revisions); any rule about hub artefacts should use these.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import libcst as cst

from ml_seclint.analysis.calls import terminal
from ml_seclint.analysis.literals import string_value
from ml_seclint.analysis.objects import created_by
from ml_seclint.analysis.resolve import (MISSING, UNKNOWN, CallView, constant, literal, qualnames,
                                         string_prefix)
from ml_seclint.analysis.scopes import ASSIGN, PARAM, Scope

HUB, LOCAL, UNRESOLVED = "hub", "local", "unresolved"

# huggingface_hub's own repo-id validator: `name` or `namespace/name`, no `--` or `..`
_HUB_ID = re.compile(r"^(?:[\w\-.]+/)?[\w\-.]{1,96}$")
_LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\")
# a string ending like a file is a local file, not a repository
_FILE_SUFFIXES = (".py", ".json", ".txt", ".bin", ".pt", ".pth", ".ckpt", ".safetensors", ".model",
                  ".yaml", ".yml", ".npz", ".npy", ".h5", ".onnx", ".gguf", ".csv", ".tsv", ".jsonl",
                  ".parquet", ".arrow", ".pkl", ".tar", ".gz", ".zip", ".msgpack", ".vocab")
# `load_dataset("json", data_files=...)` reads local files with a builder shipped in `datasets`
PACKAGED_BUILDERS = frozenset({
    "arrow", "audiofolder", "cache", "csv", "folder_based_builder", "generator", "hdf5",
    "imagefolder", "json", "niftifolder", "pandas", "parquet", "pdffolder", "spark", "sql", "text",
    "videofolder", "webdataset", "xml"})

PATH_MAKERS = frozenset({
    *(f"os.path.{f}" for f in ("join", "abspath", "expanduser", "expandvars", "dirname",
                               "realpath", "normpath", "relpath")),
    "os.getcwd", "os.fspath", "tempfile.mkdtemp", "tempfile.gettempdir",
    *(f"pathlib.{c}" for c in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath",
                               "PureWindowsPath")),
    "pathlib.Path.cwd", "pathlib.Path.home",
})
TEMP_DIRS = frozenset({"tempfile.TemporaryDirectory"})
_PATH_METHODS = frozenset({"resolve", "absolute", "expanduser", "joinpath", "with_name", "with_suffix",
                           "parent", "as_posix"})

_ID_KEYWORDS = {
    "from_pretrained": ("pretrained_model_name_or_path", "pretrained_model_or_path",
                        "model_name_or_path", "identifier", "repo_id", "model_id", "model_name"),
    "pipeline": ("model",),
    "hf_hub_download": ("repo_id",),
    "snapshot_download": ("repo_id",),
    "load_dataset": ("path",),
    "load_dataset_builder": ("path",),
    "SentenceTransformer": ("model_name_or_path",),
    "CrossEncoder": ("model_name_or_path", "model_name"),
}
#: the terminal names of hub download calls (checked before any name resolution)
TERMINALS = frozenset(_ID_KEYWORDS)

_PIPELINES = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
_HUB_FUNCS = frozenset(
    f"huggingface_hub.{m}{f}" for m in ("", "file_download.", "_snapshot_download.", "hf_api.")
    for f in ("hf_hub_download", "snapshot_download"))
_DATASETS = frozenset(f"datasets.{m}{f}" for m in ("", "load.")
                      for f in ("load_dataset", "load_dataset_builder"))
#: for the cheap stage (Rule.cheap_callees / cheap_names): hub calls `hub_call` recognises only by
#: these qualified names, and the terminal names it accepts on other receivers too
QUALIFIED = _PIPELINES | _DATASETS
ANY_RECEIVER = TERMINALS - {name.rsplit(".", 1)[1] for name in QUALIFIED}


@dataclass
class HubCall:
    """A call that downloads from the hub. `repo` is the repository argument (an expression,
    or MISSING / UNKNOWN) and `label` names the call in messages."""

    label: str
    repo: Any
    repo_scope: Scope
    kind: str  # a key of _ID_KEYWORDS


def _label(func: cst.BaseExpression, names: frozenset[str]) -> str:
    if isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained":
        owner = func.value
        if isinstance(owner, cst.Attribute):
            return f"{owner.attr.value}.from_pretrained"
        if isinstance(owner, cst.Name):
            return f"{owner.value}.from_pretrained"
        return "from_pretrained"
    if names:
        return min(names)
    return terminal(func) or "call"


def first_arg(view: CallView, keywords: tuple[str, ...], position: Optional[int]) -> tuple[Any, Scope]:
    """The first of `keywords` the call passes (the first one also at `position`)."""
    expr, scope = MISSING, view.scope
    for index, keyword in enumerate(keywords):
        expr, scope = view.arg(keyword, position if index == 0 else None)
        if expr is not MISSING:
            return expr, scope
    return expr, scope


def hub_call(view: CallView) -> Optional[HubCall]:
    """The hub download `view` is, or None. Cheap for calls of any other name."""
    func = view.callee
    names = view.names
    kind = terminal(func)
    if kind not in TERMINALS and isinstance(func, cst.Name):
        kind = next((n.rsplit(".", 1)[-1] for n in sorted(names)
                     if n.rsplit(".", 1)[-1] in TERMINALS), None)  # an aliased import
    if kind not in TERMINALS:
        return None
    position: Optional[int] = 0
    keywords = _ID_KEYWORDS[kind]
    if kind == "from_pretrained":
        if not isinstance(func, cst.Attribute):
            return None
        owner = qualnames(func.value, view.scope)
        if any(n.startswith("peft.") and n.rsplit(".", 1)[-1].startswith(("PeftModel", "PeftMixedModel"))
               for n in owner):
            position, keywords = 1, ("model_id",)  # PeftModel.from_pretrained(base_model, model_id)
    elif kind == "pipeline":
        if not names & _PIPELINES:
            return None
        position = 1
    elif kind in ("hf_hub_download", "snapshot_download"):
        # HfApi().hf_hub_download(...) on an object: the receiver resolves to no import
        if not (names & _HUB_FUNCS or (not names and isinstance(func, cst.Attribute))):
            return None
    elif kind in ("load_dataset", "load_dataset_builder"):
        if not names & _DATASETS:
            return None
    elif not any(n.startswith("sentence_transformers.") for n in names):
        return None
    repo, scope = first_arg(view, keywords, position)
    return HubCall(_label(func, names), repo, scope, kind)


def local_only(view: CallView) -> bool:
    value = view.value("local_files_only")
    return value is not MISSING and value is not UNKNOWN and bool(value)


def classify(call: HubCall) -> tuple[str, Optional[str]]:
    """(HUB, repo id) for a hub id the analysis knows; (LOCAL, None) for a local path or
    anything that cannot be a repository; (UNRESOLVED, None) for a value it cannot know."""
    if call.repo is MISSING or call.repo is UNKNOWN:
        return (LOCAL if call.repo is MISSING else UNRESOLVED), None
    kind, value = classify_expr(call.repo, call.repo_scope)
    if kind == HUB and call.kind.startswith("load_dataset") and value in PACKAGED_BUILDERS:
        return LOCAL, None
    return kind, value


def classify_expr(expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> tuple[str, Optional[str]]:
    expr, scope = constant(expr, scope)
    value = literal(expr, scope)
    if isinstance(value, str):
        return (HUB, value) if is_hub_id(value) else (LOCAL, None)
    if value is not UNKNOWN:  # None, a number, a list: not a repository name
        return LOCAL, None
    prefix = string_prefix(expr, scope)
    if prefix is not None:
        return (LOCAL, None) if looks_local(prefix) else (UNRESOLVED, None)
    if depth < 4 and _is_path(expr, scope, depth):
        return LOCAL, None
    candidates = _literal_candidates(expr, scope) if depth < 4 else None
    if candidates:
        kinds = [classify_expr(c, s, depth + 1) for c, s in candidates]
        if all(kind == HUB for kind, _ in kinds):
            return HUB, kinds[0][1]
    return UNRESOLVED, None


#: test set-up methods whose `self.x = ...` holds for the test methods of the class
_SETUP_METHODS = frozenset({"__init__", "setUp", "setUpClass", "setup_method", "setup_class",
                            "asyncSetUp"})
_ENV_LOOKUPS = frozenset({"os.getenv", "os.environ.get"})


def _literal_candidates(expr: cst.BaseExpression, scope: Scope) -> list[tuple[cst.BaseExpression, Scope]]:
    """The values a name or attribute can hold when each of them is written in the source: a name
    assigned in several branches, an `os.getenv("X", "org/id")` or `x or "org/id"` default, a test
    parameter from `@pytest.mark.parametrize`, a class attribute or a `self.x` set in the class
    body or a set-up method (`setUp`, `setUpClass`, `__init__`)."""
    if isinstance(expr, cst.Call) and qualnames(expr.func, scope) & _ENV_LOOKUPS and len(expr.args) >= 2:
        return [(expr.args[1].value, scope)]
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        return [(expr.right, scope)]  # args.model or "org/default"
    if isinstance(expr, cst.Name):
        owner, bindings = scope.lookup(expr.value)
        if owner is None or not bindings:
            return []
        if all(b.kind == ASSIGN for b in bindings):
            return [(b.value, owner) for b in bindings]  # type: ignore[misc]
        if len(bindings) == 1 and bindings[0].kind == PARAM and isinstance(owner.node, cst.FunctionDef):
            return [(v, owner) for v in _parametrized(owner.node, expr.value)]
        return []
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
            and expr.value.value in ("self", "cls"):
        cls_scope: Optional[Scope] = scope
        while cls_scope is not None and cls_scope.kind != "class":
            cls_scope = cls_scope.parent
        if cls_scope is None or not isinstance(cls_scope.node, cst.ClassDef):
            return []
        return [(v, cls_scope) for v in _class_values(cls_scope.node, expr.attr.value)]
    return []


def _parametrized(function: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    """`@pytest.mark.parametrize("model_id", ["org/a", "org/b"])`: the values of `name`."""
    for decorator in function.decorators:
        call = decorator.decorator
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "parametrize" and len(call.args) >= 2):
            continue
        names = string_value(call.args[0].value)
        if not isinstance(names, str):
            continue
        listed = [n.strip() for n in names.split(",") if n.strip()]
        values = call.args[1].value
        if name not in listed or not isinstance(values, (cst.List, cst.Tuple)):
            continue
        index, found = listed.index(name), []
        for element in values.elements:
            item = element.value
            if len(listed) > 1:
                if not isinstance(item, (cst.Tuple, cst.List)) or len(item.elements) != len(listed):
                    return []
                item = item.elements[index].value
            found.append(item)
        return found
    return []


def _class_values(cls: cst.ClassDef, attr: str) -> list[cst.BaseExpression]:
    """Values assigned to `attr` in the class body or to `self.attr` / `cls.attr` in a set-up
    method; [] when it is also assigned anywhere else in the class."""
    found: list[cst.BaseExpression] = []
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
                        else [small.target]
                    if any(isinstance(t, cst.Name) and t.value == attr for t in targets):
                        found.append(small.value)
        elif isinstance(stmt, cst.FunctionDef):
            values = _self_assignments(stmt, attr)
            if values and stmt.name.value not in _SETUP_METHODS:
                return []  # changed by an ordinary method too: not known
            found.extend(values)
    return found


def _self_assignments(function: cst.FunctionDef, attr: str) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Assign):
            for target in node.targets:
                t = target.target
                if isinstance(t, cst.Attribute) and t.attr.value == attr and isinstance(t.value, cst.Name) \
                        and t.value.value in ("self", "cls"):
                    found.append(node.value)
        elif not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            pending.extend(node.children)
    return found


def _is_path(expr: cst.BaseExpression, scope: Scope, depth: int) -> bool:
    if isinstance(expr, cst.Call):
        if qualnames(expr.func, scope) & PATH_MAKERS:
            return True
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PATH_METHODS:
            return classify_expr(func.value, scope, depth + 1)[0] == LOCAL
        if qualnames(func, scope) == {"builtins.str"} and expr.args:
            return classify_expr(expr.args[0].value, scope, depth + 1)[0] == LOCAL
        return False
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return classify_expr(expr.left, scope, depth + 1)[0] == LOCAL  # Path(d) / "model"
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return classify_expr(expr.value, scope, depth + 1)[0] == LOCAL
    if isinstance(expr, cst.Name):
        return created_by(expr, scope, TEMP_DIRS)  # with tempfile.TemporaryDirectory() as d
    return False


def looks_local(text: str) -> bool:
    return text in (".", "..") or text.startswith(_LOCAL_PREFIXES) or "\\" in text \
        or bool(re.match(r"^[A-Za-z]:", text))


def is_hub_id(text: str) -> bool:
    if looks_local(text) or not _HUB_ID.match(text) or "--" in text or ".." in text:
        return False
    return not text.lower().endswith(_FILE_SUFFIXES)


#: files that run code when used: Python modules and pickle-based weights and archives
CODE_OR_PICKLE = (".py", ".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".nemo", ".pdparams",
                  ".joblib", ".dill", ".h5", ".keras", ".zip", ".tar", ".gz", ".tgz")


def brings_code(view: CallView, call: "HubCall") -> Optional[str]:
    """Why a hub download can bring code or pickles, or None for a data-only download: a whole
    repository snapshot (it holds whatever the owner pushes: modules, pickled weights) unless its
    `allow_patterns` keep to data files, or one file whose name says it is code or a pickle."""
    if call.kind == "snapshot_download":
        patterns = view.value("allow_patterns")
        if isinstance(patterns, str):
            patterns = [patterns]
        if isinstance(patterns, list) and patterns and all(
                isinstance(p, str) and not p.lower().endswith(CODE_OR_PICKLE + ("*",)) for p in patterns):
            return None
        return "a whole-repository snapshot"
    if call.kind == "hf_hub_download":
        filename = view.value("filename", 1)
        if isinstance(filename, str) and filename.lower().endswith(CODE_OR_PICKLE):
            return f"{filename!r}, code or a pickle"
    return None


def owned_by_project(repo: str, project: dict) -> bool:
    """The repository belongs to the project being checked: its organisation is the project's
    own name (`gradio/frontend` in gradio, `vllm-project/...` in vllm). The project trusts its
    own repositories as it trusts its own code."""
    name = _normalise(str(project.get("name") or ""))
    org = _normalise(repo.split("/", 1)[0]) if "/" in repo else ""
    return bool(name and org) and (org == name or org.startswith(name + "-"))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_commit_sha(value: Any, min_length: int = 40) -> bool:
    """A git commit id: 40 hex digits, or at least `min_length` (never fewer than 7)."""
    if not isinstance(value, str):
        return False
    low = max(7, min(40, min_length))
    return re.fullmatch(rf"[0-9a-fA-F]{{{low},40}}", value) is not None
