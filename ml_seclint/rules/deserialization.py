"""MLS1xx: loading a model or data file can run code (unsafe deserialization)."""
from __future__ import annotations

import re
from typing import Callable, Optional

import libcst as cst

from ml_seclint.analysis import dataflow
from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.channels import carried_in_tensor
from ml_seclint.analysis.resolve import (MISSING, UNKNOWN, defines_method, literal, local_ancestry, qualnames,
                                         string_prefix)
from ml_seclint.analysis.roundtrip import produced_here
from ml_seclint.analysis.scopes import Scope, dotted, scoped_name
from ml_seclint.engine.rows import DEFAULT, FALSE, TRUE, Arg, Hit, Row
from ml_seclint.engine.rule import Option, Rule
from ml_seclint.engine.triggers import AnyWord
from ml_seclint.engine.versions import dependency_floor, version_at_least
from ml_seclint.fix.fixes import SAFE, UNSAFE, Fix, add_keyword, direct_arg, keyword, remove_arg, rename


class DeserializationRule(Rule):
    honours_opt_in = True
    guideline = "1.3"
    secondary_guidelines = ("2.1", "3.2")
    cwe = (502,)
    owasp = ("ML06:2023", "LLM03:2025")
    atlas = ("AML.T0011.000", "AML.T0018.002")


def _names(modules, attrs) -> frozenset:
    return frozenset(f"{m}.{a}" for m in modules for a in attrs)


def own_data(*keywords: str) -> Callable[[Hit], bool]:
    """A row veto: the loader reads what this code itself just produced (analysis/roundtrip.py):
    `pickle.loads(pickle.dumps(x))`, a file under a fresh temporary directory, a path the same
    function writes."""
    return lambda hit: produced_here(hit.view, keywords)


def from_peer(*keywords: str) -> Callable[[Hit], bool]:
    """The loader's data argument is a pickle carried in a tensor: an object another rank of the
    same torch.distributed job sent (analysis/channels.py)."""
    def check(hit: Hit) -> bool:
        for index, name in enumerate(keywords):
            expr, scope = hit.view.arg(name, 0 if index == 0 else None)
            if expr is not MISSING:
                break
        return expr is not MISSING and expr is not UNKNOWN and carried_in_tensor(expr, scope)
    return check


PEER_SEVERITY = "medium"
PEER_MESSAGE = ("{name}() unpickles bytes carried in a tensor, an object another rank of the "
                "torch.distributed job sent: any process that can reach the job's network runs code "
                "(as with broadcast_object_list); send tensors or a safe format, or keep the job's "
                "network closed")


def peer_graded(keywords: tuple[str, ...], message: Optional[str] = None) -> dict:
    """A row's `severity` and `message` for a loader that may read an object sent between ranks:
    medium and said so, instead of the rule's default."""
    peer = from_peer(*keywords)
    return {"severity": lambda hit: PEER_SEVERITY if peer(hit) else None,
            "message": lambda hit: (PEER_MESSAGE if peer(hit) else message or hit.rule.message).format(
                name=hit.name, value=hit.value)}


class PickleLoad(DeserializationRule):
    code = "MLS101"
    summary = "pickle.load/loads/Unpickler deserialise data that can run arbitrary code"
    message = "{name}() runs any code embedded in the pickle; load only trusted, integrity-checked data"
    unpickler_message = ("pickle.Unpickler(...).load() runs any code embedded in the pickle; override "
                         "find_class to restrict what it may load")
    subclass_message = ("{name} subclasses pickle.Unpickler without overriding find_class, so loading "
                        "runs any code embedded in the pickle")
    severity = "high"
    yields_to = ("MLS111",)  # one finding per call: unpickling network data is reported as MLS111
    MODULES = ("pickle", "cPickle", "_pickle")
    UNPICKLERS = _names(MODULES, ("Unpickler",))
    rows = (Row(_names(MODULES, ("load", "loads")), unless=own_data("file", "data"),
                **peer_graded(("file", "data"))),
            Row(UNPICKLERS, unless=own_data("file"), **peer_graded(("file",), unpickler_message)))
    # visit_Call: a local class reaches pickle.Unpickler only through a base that resolves to it
    cheap_callees = UNPICKLERS

    def visit_Call(self, node: cst.Call) -> None:
        """A local subclass of pickle.Unpickler that does not restrict find_class."""
        if not isinstance(node.func, cst.Name):
            return
        classes, bases = local_ancestry(node.func, self.ctx.scope)
        if bases & self.UNPICKLERS and not any(defines_method(c, "find_class") for c in classes):
            self.report(node, self.subclass_message.format(name=classes[0].name.value))


def _torch_floor(settings) -> object:
    floor = dependency_floor(settings.project, "torch")
    return ".".join(map(str, floor)) if floor else None


def _weights_only_true(hit: Hit) -> Optional[Fix]:
    if _own_pickle_module(hit):
        return None  # torch refuses weights_only=True together with a pickle_module
    written = hit.written
    if written is not None:  # weights_only=None
        return Fix("set weights_only=True", UNSAFE, {written.value: cst.Name("True")})
    # weights_only is keyword-only, so it can always be added (an unresolved **kwargs would make
    # it UNKNOWN, not MISSING)
    added = add_keyword(hit.node, keyword("weights_only", "True"))
    return Fix("add weights_only=True", UNSAFE, {hit.node: added})


def _set_weights_only_true(hit: Hit) -> Optional[Fix]:
    written = hit.written
    return Fix("set weights_only=True", UNSAFE, {written.value: cst.Name("True")}) if written else None


def _own_pickle_module(hit: Hit) -> bool:
    """torch.load(..., pickle_module=X): from torch 2.6 weights_only defaults to True only when no
    pickle_module is given (torch.serialization._default_to_weights_only)."""
    expr, scope = hit.view.arg("pickle_module", 2)
    if expr is MISSING or expr is UNKNOWN:
        return False  # absent, or hidden in a **kwargs the analysis cannot see: not guessed
    return literal(expr, scope) is not None


class TorchLoadUnsafe(DeserializationRule):
    code = "MLS102"
    summary = "torch.load without weights_only=True unpickles arbitrary objects from the checkpoint"
    message = ("torch.load() without weights_only=True runs code embedded in the checkpoint "
               "(torch < 2.6 defaults to full unpickling)")
    false_message = ("torch.load(weights_only=False) unpickles arbitrary objects: a malicious checkpoint "
                     "runs code on load")
    pickle_module_message = ("torch.load(pickle_module=...) without weights_only=True unpickles arbitrary "
                             "objects on every torch version: a pickle_module turns the 2.6 default off")
    severity = "high"
    fix_safety = "unsafe"
    options = (Option("torch-min-version", str, None,
                      "Lowest torch version the project supports. From 2.6 torch.load defaults to "
                      "weights_only=True, so an omitted weights_only is clean. When unset, read from "
                      "the project's own pyproject.toml dependency specifiers.",
                      derive=_torch_floor),)
    LOADERS = frozenset({"torch.load", "torch.serialization.load"})
    WEIGHTS_ONLY = Arg("weights_only")
    rows = (
        Row(LOADERS, WEIGHTS_ONLY, DEFAULT, fix=_weights_only_true,
            message=lambda hit: TorchLoadUnsafe.pickle_module_message if _own_pickle_module(hit)
            else TorchLoadUnsafe.message,
            unless=lambda hit: (version_at_least(hit.rule.option("torch-min-version"), (2, 6))
                                and not _own_pickle_module(hit))
            or produced_here(hit.view, ("f",))),
        Row(LOADERS, WEIGHTS_ONLY, FALSE, message=false_message, severity="critical",
            fix=_set_weights_only_true, unless=own_data("f")),
    )


class JoblibLoad(DeserializationRule):
    code = "MLS103"
    summary = "joblib.load (and skops with trusted=True) unpickles the file, running embedded code"
    message = "{name}() unpickles the file and runs any code embedded in it; prefer skops.io or safetensors"
    skops_message = ("skops.io.load(trusted=...) lets the listed types run code on load; audit them with "
                     "skops.io.get_untrusted_types() instead")
    severity = "high"
    rows = (
        Row({"joblib.load", "joblib.numpy_pickle.load", "sklearn.externals.joblib.load"},
            unless=own_data("filename")),
        Row({"skops.io.load", "skops.io.loads"}, Arg("trusted", 1), TRUE, message=skops_message,
            unless=own_data("file", "data")),
    )


def _no_pickle(hit: Hit) -> Optional[Fix]:
    written = hit.written
    if written is None:
        return None  # in a **dict or a partial made elsewhere
    if written.keyword is None:  # positional: later positional arguments keep their places
        return Fix("set allow_pickle to False", UNSAFE, {written.value: cst.Name("False")})
    return Fix("remove allow_pickle=True", UNSAFE, {hit.node: remove_arg(hit.node, written)})


class NumpyAllowPickle(DeserializationRule):
    code = "MLS104"
    summary = "numpy.load(allow_pickle=True) unpickles object arrays, running embedded code"
    message = "numpy.load(allow_pickle=True) unpickles object arrays and runs any code embedded in the file"
    severity = "high"
    fix_safety = "unsafe"
    rows = (Row({"numpy.load"}, Arg("allow_pickle", 2), TRUE, fix=_no_pickle, unless=own_data("file")),)


class PandasReadPickle(DeserializationRule):
    code = "MLS105"
    summary = "pandas.read_pickle unpickles the file, running embedded code"
    message = ("{name}() unpickles the file and runs any code embedded in it; use parquet or feather for "
               "data frames")
    severity = "high"
    rows = (Row({"pandas.read_pickle", "pandas.io.pickle.read_pickle"},
                unless=own_data("filepath_or_buffer")),)


class PickleFamilyLoad(DeserializationRule):
    code = "MLS106"
    summary = "dill, cloudpickle, jsonpickle, shelve and marshal loaders run code embedded in the data"
    message = "{name}() deserialises objects and runs any code embedded in the data; load only trusted data"
    shelve_message = "{name}() unpickles every value it reads: a tampered shelf runs code"
    severity = "high"
    yields_to = ("MLS111",)
    rows = (
        Row(_names(("dill",), ("load", "loads", "Unpickler", "load_session", "load_module"))
            | _names(("cloudpickle",), ("load", "loads"))
            | _names(("jsonpickle", "jsonpickle.unpickler"), ("decode", "Unpickler"))
            | _names(("marshal",), ("load", "loads"))
            # PaddlePaddle's .pdparams / .pdopt checkpoints are pickles
            | _names(("paddle", "paddle.framework", "paddle.framework.io"), ("load",)),
            unless=own_data("file", "str", "data", "bytes", "s", "path"),
            **peer_graded(("file", "str", "data", "bytes", "s", "path"))),
        Row(_names(("shelve",), ("open", "DbfilenameShelf", "Shelf")), message=shelve_message,
            unless=own_data("filename")),
    )


_YAML_MODULES = ("yaml", "yaml.loader", "yaml.cyaml", "ruamel.yaml")
_SAFE_LOADERS = frozenset(f"{m}.{n}" for m in _YAML_MODULES
                          for n in ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"))
_FULL_LOADERS = frozenset(f"{m}.{n}" for m in _YAML_MODULES for n in ("FullLoader", "CFullLoader"))


class YamlUnsafeLoad(DeserializationRule):
    code = "MLS107"
    summary = "yaml.load with an unsafe Loader constructs arbitrary Python objects"
    message = "yaml.load() without a safe Loader can construct arbitrary Python objects; use yaml.safe_load()"
    severity = "high"
    triggers = (("yaml", re.compile(r"\b(?:(?:unsafe_|full_)?load(?:_all)?)\b")),)
    fix_safety = "safe"
    LOADS = frozenset({"yaml.load", "yaml.load_all"})
    UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
    FULL = frozenset({"yaml.full_load", "yaml.full_load_all"})
    cheap_callees = LOADS | UNSAFE | FULL

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        names = view.names
        if view.through_partial and not (names & self.LOADS and view.given_here("Loader", 1)):
            return  # the partial was checked where it was made
        if names & (self.LOADS | self.UNSAFE | self.FULL) and produced_here(view, ("stream",)):
            return  # yaml.load(yaml.dump(x)): the program's own output
        if names & self.UNSAFE:
            name = min(names & self.UNSAFE)
            self.report(node, f"{name}() constructs arbitrary Python objects from the document",
                        fix=self._safe_name(view.callee, name, UNSAFE))
        elif names & self.FULL:
            if self._fixed_pyyaml():
                return
            name = min(names & self.FULL)
            self.report(node, f"{name}() uses FullLoader, which has allowed code execution "
                              f"(CVE-2020-14343); use {name.replace('full_', 'safe_')}()", severity="low",
                        fix=self._safe_name(view.callee, name, UNSAFE))
        elif names & self.LOADS:
            name = min(names & self.LOADS)
            safe = name.replace("yaml.", "yaml.safe_")
            loader, scope = view.arg("Loader", 1)
            if loader is MISSING:
                if self._fixed_pyyaml():
                    return  # FullLoader fixed in 5.4, no default Loader (TypeError) from 6
                # safe: PyYAML >= 6 raises TypeError here, so no working program changes
                self.report(node, f"{name}() without a Loader constructs arbitrary Python objects "
                                  f"in PyYAML < 5.1 (FullLoader up to 5.4); use {safe}()",
                            fix=self._safe_name(view.callee, name, SAFE))
                return
            if loader is UNKNOWN:
                return
            kind = self._loader_kind(loader, scope)
            fix = None
            loader_names = self.ctx.qualnames(loader)
            if kind in ("unsafe", "full") and len(loader_names) == 1 and direct_arg(node, loader) is not None:
                fix = self._safe_name(loader, min(loader_names), UNSAFE)
            if kind == "unsafe":
                self.report(node, f"{name}() with an unsafe Loader constructs arbitrary Python "
                                  f"objects; use Loader=yaml.SafeLoader or {safe}()", fix=fix)
            elif kind == "full" and not self._fixed_pyyaml():
                self.report(node, f"{name}(Loader=FullLoader) has allowed code execution "
                                  f"(CVE-2020-14343); use yaml.SafeLoader", severity="low", fix=fix)

    def _fixed_pyyaml(self) -> bool:
        """The project requires PyYAML 5.4 or later, where FullLoader no longer runs code."""
        floor = dependency_floor(self.ctx.settings.project, "pyyaml")
        return floor is not None and floor >= (5, 4)

    #: the safe counterpart of each loader function and Loader class
    SAFE_NAMES = {"load": "safe_load", "load_all": "safe_load_all",
                  "unsafe_load": "safe_load", "unsafe_load_all": "safe_load_all",
                  "full_load": "safe_load", "full_load_all": "safe_load_all",
                  "Loader": "SafeLoader", "UnsafeLoader": "SafeLoader", "FullLoader": "SafeLoader",
                  "CLoader": "CSafeLoader", "CUnsafeLoader": "CSafeLoader", "CFullLoader": "CSafeLoader"}

    def _safe_name(self, expr: cst.BaseExpression, qualname: str, safety: str) -> "Fix | None":
        """`yaml.load` -> `yaml.safe_load`, `Loader=y.Loader` -> `Loader=y.SafeLoader`, ..."""
        old = qualname.rsplit(".", 1)[-1]
        new = self.SAFE_NAMES.get(old)
        if new is None or (isinstance(expr, cst.Attribute) and expr.attr.value != old):
            return None
        return rename(expr, new, self.ctx.scope, f"use {new} instead of {old}", safety)

    def _loader_kind(self, loader: cst.BaseExpression, scope) -> str:
        names = qualnames(loader, scope)
        classes, bases = local_ancestry(loader, scope)
        if classes:
            names = bases  # class MyLoader(yaml.SafeLoader): ...
        if not names or not all(n.startswith(("yaml.", "ruamel.yaml.")) for n in names):
            return "unknown"  # a parameter, getattr(yaml, "CSafeLoader", ...) and the like
        if names <= _SAFE_LOADERS:
            return "safe"
        if names <= _SAFE_LOADERS | _FULL_LOADERS:
            return "full"
        return "unsafe"


_KERAS = ("keras", "tensorflow.keras", "tf_keras", "keras.src")


class KerasUnsafeDeserialization(DeserializationRule):
    code = "MLS108"
    summary = "Keras load_model(safe_mode=False) runs the bytecode of Lambda layers"
    message = ("load_model(safe_mode=False) runs the marshalled Python bytecode of Lambda layers "
               "stored in the model file")
    switch_message = ("keras.config.enable_unsafe_deserialization() turns off safe mode for every later "
                      "load: Lambda layers in model files run code")
    severity = "high"
    cwe = (502, 94)
    rows = (
        Row(_names(_KERAS, ("config.enable_unsafe_deserialization", "saving.enable_unsafe_deserialization",
                            "enable_unsafe_deserialization")), message=switch_message),
        Row(_names(_KERAS, ("load_model", "models.load_model", "saving.load_model")),
            Arg("safe_mode"), FALSE),
    )


def _remove_keyword(title: str) -> Callable[[Hit], Optional[Fix]]:
    def fix(hit: Hit) -> Optional[Fix]:
        written = hit.written
        if written is None or written.keyword is None:
            return None
        return Fix(title, UNSAFE, {hit.node: remove_arg(hit.node, written)})
    return fix


class SafetensorsDisabled(DeserializationRule):
    code = "MLS109"
    summary = "from_pretrained(use_safetensors=False) loads pickle-based weights"
    message = ("from_pretrained(use_safetensors=False) refuses safetensors and loads pickle-based "
               "weights, which can run code")
    severity = "medium"
    fix_safety = "unsafe"
    # any hub class: the attribute name, or an alias (`load = AutoModel.from_pretrained`)
    rows = (Row(method="from_pretrained", args=Arg("use_safetensors"), when=FALSE,
                fix=_remove_keyword("remove use_safetensors=False"),
                unless=own_data("pretrained_model_name_or_path")),)


class FrameworkPickleOptIn(DeserializationRule):
    code = "MLS110"
    summary = "allow_dangerous_deserialization=True opts in to loading pickles (LangChain vector stores, ...)"
    message = ("allow_dangerous_deserialization=True makes the loader unpickle its files: a tampered "
               "index runs code")
    severity = "high"
    rows = (Row(keyword_only=True, args=Arg("allow_dangerous_deserialization"), when=TRUE,
                unless=own_data("folder_path", "path", "persist_directory")),)


# -- MLS111 -----------------------------------------------------------------------------------

ALL, UNKNOWN_ADDRESS, LOCAL = "all", "unknown", "local"
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")
_LISTENERS = frozenset({"multiprocessing.connection.Listener"})
_RPYC_SERVERS = _names(("rpyc.utils.server", "rpyc"),
                       ("ThreadedServer", "ForkingServer", "ThreadPoolServer", "OneShotServer"))
_RPYC_CLASSIC = _names(("rpyc", "rpyc.core", "rpyc.core.service", "rpyc.classic", "rpyc.utils.classic"),
                       ("SlaveService", "ClassicService"))


def exposure(address: object) -> str:
    """ALL for `tcp://*:5555`, `("0.0.0.0", port)`; LOCAL for ipc://, inproc://, loopback;
    UNKNOWN_ADDRESS otherwise."""
    if isinstance(address, tuple):
        host = address[0] if address else None
        if host in ("", "0.0.0.0", "::", "*"):
            return ALL
        return LOCAL if isinstance(host, str) and host.startswith(_LOOPBACK) else UNKNOWN_ADDRESS
    if not isinstance(address, str):
        return UNKNOWN_ADDRESS
    if address.startswith(("ipc://", "inproc://")):
        return LOCAL
    host = address.split("://", 1)[1] if "://" in address else address
    if host.startswith(("*", "0.0.0.0", "[::]", ":::")):
        return ALL
    return LOCAL if host.startswith(_LOOPBACK) else UNKNOWN_ADDRESS


class NetworkPickle(DeserializationRule):
    code = "MLS111"
    summary = "Unpickling what arrives over a network (zmq recv_pyobj, pickle.loads of socket or HTTP data)"
    message = "{name}() unpickles data received over the network"
    severity = "high"
    secondary_guidelines = ("3.1",)
    cwe = (502, 306)
    owasp = ("LLM03:2025",)
    atlas = ("AML.T0011.000",)
    SEVERITY = {ALL: "critical", UNKNOWN_ADDRESS: "high", LOCAL: "low"}
    WHERE = {ALL: "; the socket is bound to all interfaces", UNKNOWN_ADDRESS: "",
             LOCAL: "; the socket is local (ipc://, inproc:// or loopback), so only local processes can send"}
    triggers = (("recv_pyobj",), ("rpyc",), ("Listener", "multiprocessing"),
                (AnyWord("pickle", "dill"),
                 AnyWord("zmq", "socket", "websocket", "flask", "starlette", "fastapi", "aiohttp", "recv",
                         "grpc")))
    # recv_pyobj(), a Listener or an rpyc server, or a flow from a receive to an unpickler
    cheap_names = api.sink_names(frozenset({api.PICKLE})) | {"recv_pyobj"}
    cheap_callees = _LISTENERS | _RPYC_SERVERS

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.addresses: dict[str, list[str]] = {}  # socket text -> exposures of its bind/connect calls
        self.accepted: dict[str, str] = {}  # `conn` -> the listening socket it came from
        self.pyobj: list[tuple[cst.Call, Optional[str], Optional[str]]] = []  # recv_pyobj(): socket key, text
        dataflow.for_file(ctx).want(api.NETWORK)

    def visit_Call(self, node: cst.Call) -> None:
        dataflow.for_file(self.ctx).note_call(node, self.ctx.scope)
        func = node.func
        scope = self.ctx.scope
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = scoped_name(func.value, scope)
            if method in ("bind", "connect", "bind_to_random_port") and receiver and node.args:
                self.addresses.setdefault(receiver, []).append(_address(node.args[0].value, scope))
            elif method == "recv_pyobj" and "zmq" in dataflow.for_file(self.ctx).imports():
                self.pyobj.append((node, receiver, dotted(func.value)))
            return
        names = self.ctx.call(node).names
        if names & _LISTENERS:
            view = self.ctx.call(node)
            if view.value("authkey", 3) in (MISSING, None):
                expr, where = view.arg("address", 0)
                known = expr is not MISSING and expr is not UNKNOWN
                place = _address(expr, where) if known else UNKNOWN_ADDRESS
                self.report(node, "multiprocessing.connection.Listener() without authkey: every accepted "
                                  "connection's recv() unpickles what any client sends" + self.WHERE[place],
                            severity=self.SEVERITY[place])
        elif names & _RPYC_SERVERS and node.args:
            service = node.args[0].value
            if qualnames(service, scope) & _RPYC_CLASSIC:
                view = self.ctx.call(node)
                host = view.value("hostname")
                place = exposure((host,)) if isinstance(host, str) else \
                    ALL if host is MISSING else UNKNOWN_ADDRESS  # rpyc listens on all interfaces by default
                self.report(node, "an rpyc server with the classic (slave) service runs any code a client "
                                  "sends, without authentication" + self.WHERE[place],
                            severity=self.SEVERITY[place])

    def visit_Assign(self, node: cst.Assign) -> None:
        """`conn, addr = server.accept()`: conn receives from server's address."""
        value = node.value
        if isinstance(value, cst.Await):
            value = value.expression
        func = value.func if isinstance(value, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value == "accept":
            server = scoped_name(func.value, self.ctx.scope)
            for target in node.targets:
                first = target.target
                if isinstance(first, cst.Tuple):
                    first = first.elements[0].value
                key = scoped_name(first, self.ctx.scope)
                if key and server:
                    self.accepted[key] = server

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        dataflow.for_file(self.ctx).note_function(node, self.ctx.scope)

    def _place(self, receiver: object) -> str:
        if not isinstance(receiver, str):
            return UNKNOWN_ADDRESS
        receiver = self.accepted.get(receiver, receiver)
        places = self.addresses.get(receiver, [])
        if not places:
            return UNKNOWN_ADDRESS
        for place in (ALL, UNKNOWN_ADDRESS):
            if place in places:
                return place
        return LOCAL

    def leave_Module(self, node: cst.Module) -> None:
        for call, receiver, text in self.pyobj:
            place = self._place(receiver)
            message = (f"{text or 'socket'}.recv_pyobj() unpickles whatever a peer sends: anyone who "
                       f"can reach the socket runs code (ShadowMQ: vLLM, SGLang, llama-stack); send JSON or "
                       f"msgpack and check it")
            self.report(call, message + self.WHERE[place], severity=self.SEVERITY[place])
        for flow in dataflow.for_file(self.ctx).flows():
            if flow.origin.kind != api.NETWORK or flow.kind != api.PICKLE:
                continue
            origin = flow.origin
            place = self._place(origin.receiver)
            related = ((origin.node, f"network data: {origin.label}"),)
            self.report(flow.sink, f"{flow.label} unpickles data received from {origin.label} ({{@0}}): "
                                   f"anyone who can send to it runs code; use JSON, msgpack or a restricted "
                                   f"Unpickler (find_class)" + self.WHERE[place],
                        severity=self.SEVERITY[place], related=related)


def _address(expr: cst.BaseExpression, scope: Scope) -> str:
    value = literal(expr, scope)
    if isinstance(value, list):
        value = tuple(value)
    if value is UNKNOWN and isinstance(expr, cst.Tuple) and expr.elements:
        value = (literal(expr.elements[0].value, scope),)
    if value is UNKNOWN:
        value = string_prefix(expr, scope)  # f"tcp://*:{port}" -> "tcp://*:"
    return exposure(value)
