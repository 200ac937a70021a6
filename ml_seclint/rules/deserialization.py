"""MLS1xx: loading a model or data file can run code (unsafe deserialization)."""
from __future__ import annotations

import re

import libcst as cst

from ml_seclint.analysis.resolve import MISSING, UNKNOWN, base_names, defines_method, local_class
from ml_seclint.rule import Option, Rule
from ml_seclint.versions import dependency_floor, version_at_least


class DeserializationRule(Rule):
    guideline = "1.3"
    secondary_guidelines = ("2.1", "3.2")
    cwe = (502,)
    owasp = ("ML06:2023", "LLM03:2025")
    atlas = ("AML.T0011.000", "AML.T0018.002")

    #: qualified names of loaders that are findings whatever their arguments
    loaders: frozenset = frozenset()
    #: messages for some of them; the others get `message` with {name} filled in
    loader_messages: dict = {}

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.through_partial:
            return
        for name in sorted(view.names & self.loaders):
            self.report(node, self.loader_messages.get(name, self.message).format(name=_short(name)))
            return


def _short(name: str) -> str:
    return name.replace("builtins.", "")


def _names(modules, attrs) -> frozenset:
    return frozenset(f"{m}.{a}" for m in modules for a in attrs)


class PickleLoad(DeserializationRule):
    code = "MLS101"
    name = "pickle-load"
    summary = "pickle.load/loads/Unpickler deserialise data that can run arbitrary code"
    message = "{name}() runs any code embedded in the pickle; load only trusted, integrity-checked data"
    severity = "high"
    triggers = ("ickle",)
    MODULES = ("pickle", "cPickle", "_pickle")
    loaders = _names(MODULES, ("load", "loads"))
    UNPICKLERS = _names(MODULES, ("Unpickler",))

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.names & self.UNPICKLERS:
            self.report(node, "pickle.Unpickler(...).load() runs any code embedded in the pickle; "
                              "override find_class to restrict what it may load")
            return
        cls = local_class(node.func, self.ctx.scope) if isinstance(node.func, cst.Name) else None
        if cls is not None and base_names(cls, self.ctx.scope) & self.UNPICKLERS \
                and not defines_method(cls, "find_class"):
            self.report(node, f"{cls.name.value} subclasses pickle.Unpickler without overriding "
                              f"find_class, so loading runs any code embedded in the pickle")
            return
        super().visit_Call(node)


def _torch_floor(settings) -> object:
    floor = dependency_floor(settings.project, "torch")
    return ".".join(map(str, floor)) if floor else None


class TorchLoad(DeserializationRule):
    code = "MLS102"
    name = "torch-load-unsafe"
    summary = "torch.load without weights_only=True unpickles arbitrary objects from the checkpoint"
    message = ("torch.load() without weights_only=True runs code embedded in the checkpoint "
               "(torch < 2.6 defaults to full unpickling)")
    severity = "high"
    triggers = (("torch", re.compile(r"\bload\b")),)
    fix_safety = "unsafe"
    options = (Option("torch-min-version", str, None,
                      "Lowest torch version the project supports. From 2.6 torch.load defaults to "
                      "weights_only=True, so an omitted weights_only is clean. When unset, read from "
                      "the project's own pyproject.toml dependency specifiers.",
                      derive=_torch_floor),)
    LOADERS = frozenset({"torch.load", "torch.serialization.load"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if not view.names & self.LOADERS:
            return
        weights_only = view.value("weights_only")
        if weights_only is MISSING:
            if view.through_partial or version_at_least(self.option("torch-min-version"), (2, 6)):
                return
            self.report(node)
        elif weights_only is not UNKNOWN and not weights_only:
            self.report(node, "torch.load(weights_only=False) unpickles arbitrary objects: a "
                              "malicious checkpoint runs code on load", severity="critical")


class JoblibLoad(DeserializationRule):
    code = "MLS103"
    name = "joblib-load"
    summary = "joblib.load (and skops with trusted=True) unpickles the file, running embedded code"
    message = "{name}() unpickles the file and runs any code embedded in it; prefer skops.io or safetensors"
    severity = "high"
    triggers = ("joblib", "skops")
    loaders = frozenset({"joblib.load", "sklearn.externals.joblib.load"})
    SKOPS = frozenset({"skops.io.load", "skops.io.loads"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.names & self.SKOPS:
            trusted = view.value("trusted", None)
            if trusted is not MISSING and trusted is not UNKNOWN and trusted:
                self.report(node, "skops.io.load(trusted=...) lets the listed types run code on "
                                  "load; audit them with skops.io.get_untrusted_types() instead")
            return
        super().visit_Call(node)


class NumpyAllowPickle(DeserializationRule):
    code = "MLS104"
    name = "numpy-allow-pickle"
    summary = "numpy.load(allow_pickle=True) unpickles object arrays, running embedded code"
    message = "numpy.load(allow_pickle=True) unpickles object arrays and runs any code embedded in the file"
    severity = "high"
    triggers = ("allow_pickle",)
    fix_safety = "unsafe"
    LOADERS = frozenset({"numpy.load"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.names & self.LOADERS:
            allow = view.value("allow_pickle", 2)
            if allow is not MISSING and allow is not UNKNOWN and allow:
                self.report(node)


class PandasReadPickle(DeserializationRule):
    code = "MLS105"
    name = "pandas-read-pickle"
    summary = "pandas.read_pickle unpickles the file, running embedded code"
    message = "{name}() unpickles the file and runs any code embedded in it; use parquet or feather for data frames"
    severity = "high"
    triggers = ("read_pickle",)
    loaders = frozenset({"pandas.read_pickle", "pandas.io.pickle.read_pickle"})


class PickleFamilyLoad(DeserializationRule):
    code = "MLS106"
    name = "pickle-family-load"
    summary = "dill, cloudpickle, jsonpickle, shelve and marshal loaders run code embedded in the data"
    message = "{name}() deserialises objects and runs any code embedded in the data; load only trusted data"
    severity = "high"
    triggers = ("dill", "cloudpickle", "jsonpickle", "shelve", "marshal")
    loaders = (_names(("dill",), ("load", "loads", "Unpickler", "load_session", "load_module"))
               | _names(("cloudpickle",), ("load", "loads"))
               | _names(("jsonpickle", "jsonpickle.unpickler"), ("decode",))
               | _names(("shelve",), ("open", "DbfilenameShelf", "Shelf"))
               | _names(("marshal",), ("load", "loads")))
    loader_messages = {name: "{name}() unpickles every value it reads: a tampered shelf runs code"
                       for name in _names(("shelve",), ("open", "DbfilenameShelf", "Shelf"))}


_YAML_MODULES = ("yaml", "yaml.loader", "yaml.cyaml", "ruamel.yaml")
_SAFE_LOADERS = frozenset(f"{m}.{n}" for m in _YAML_MODULES
                          for n in ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"))
_FULL_LOADERS = frozenset(f"{m}.{n}" for m in _YAML_MODULES for n in ("FullLoader", "CFullLoader"))


class YamlUnsafeLoad(DeserializationRule):
    code = "MLS107"
    name = "yaml-unsafe-load"
    summary = "yaml.load with an unsafe Loader constructs arbitrary Python objects"
    message = "yaml.load() without a safe Loader can construct arbitrary Python objects; use yaml.safe_load()"
    severity = "high"
    triggers = (("yaml", re.compile(r"\b(?:load|load_all|unsafe_load|unsafe_load_all|full_load|full_load_all)\b")),)
    fix_safety = "safe"
    LOADS = frozenset({"yaml.load", "yaml.load_all"})
    UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
    FULL = frozenset({"yaml.full_load", "yaml.full_load_all"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        names = view.names
        if view.through_partial:
            return
        if names & self.UNSAFE:
            self.report(node, f"{min(names & self.UNSAFE)}() constructs arbitrary Python objects from the document")
        elif names & self.FULL:
            self.report(node, f"{min(names & self.FULL)}() uses FullLoader, which has allowed code execution "
                              f"(CVE-2020-14343); use yaml.safe_load()", severity="low")
        elif names & self.LOADS:
            loader, scope = view.arg("Loader", 1)
            if loader is MISSING:
                self.report(node)
                return
            if loader is UNKNOWN:
                return
            kind = self._loader_kind(loader, scope)
            if kind == "unsafe":
                self.report(node, "yaml.load() with an unsafe Loader constructs arbitrary Python "
                                  "objects; use Loader=yaml.SafeLoader or yaml.safe_load()")
            elif kind == "full":
                self.report(node, "yaml.load(Loader=FullLoader) has allowed code execution "
                                  "(CVE-2020-14343); use yaml.SafeLoader", severity="low")

    def _loader_kind(self, loader: cst.BaseExpression, scope) -> str:
        from ml_seclint.analysis.resolve import qualnames

        names = qualnames(loader, scope)
        cls = local_class(loader, scope)
        if cls is not None:
            names = base_names(cls, scope)  # class MyLoader(yaml.SafeLoader): ...
        if not names or not all(n.startswith(("yaml.", "ruamel.yaml.")) for n in names):
            return "unknown"  # a parameter, getattr(yaml, "CSafeLoader", ...) and the like
        if names <= _SAFE_LOADERS:
            return "safe"
        if names <= _SAFE_LOADERS | _FULL_LOADERS:
            return "full"
        return "unsafe"


_KERAS = ("keras", "tensorflow.keras", "tf_keras", "keras.src")


class KerasUnsafe(DeserializationRule):
    code = "MLS108"
    name = "keras-unsafe-deserialization"
    summary = "Keras load_model(safe_mode=False) runs the bytecode of Lambda layers"
    message = ("load_model(safe_mode=False) runs the marshalled Python bytecode of Lambda layers "
               "stored in the model file")
    severity = "high"
    cwe = (502, 94)
    triggers = ("safe_mode", "enable_unsafe_deserialization")
    LOADERS = frozenset(f"{k}{sub}.load_model" for k in _KERAS for sub in ("", ".models", ".saving"))
    UNSAFE_SWITCH = frozenset(f"{k}{sub}.enable_unsafe_deserialization"
                              for k in _KERAS for sub in (".config", ".saving", ""))

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.names & self.UNSAFE_SWITCH:
            self.report(node, "keras.config.enable_unsafe_deserialization() turns off safe mode for "
                              "every later load: Lambda layers in model files run code")
        elif view.names & self.LOADERS:
            safe_mode = view.value("safe_mode", None)
            if safe_mode is not MISSING and safe_mode is not UNKNOWN and not safe_mode:
                self.report(node)


class SafetensorsDisabled(DeserializationRule):
    code = "MLS109"
    name = "safetensors-disabled"
    summary = "from_pretrained(use_safetensors=False) loads pickle-based weights"
    message = ("from_pretrained(use_safetensors=False) refuses safetensors and loads pickle-based "
               "weights, which can run code")
    severity = "medium"
    triggers = ("use_safetensors",)
    fix_safety = "unsafe"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained":
            value = self.ctx.call(node).value("use_safetensors")
            if value is not MISSING and value is not UNKNOWN and value is False:
                self.report(node)


class FrameworkPickleOptIn(DeserializationRule):
    code = "MLS110"
    name = "framework-pickle-opt-in"
    summary = "allow_dangerous_deserialization=True opts in to loading pickles (LangChain vector stores, ...)"
    message = ("allow_dangerous_deserialization=True makes the loader unpickle its files: a tampered "
               "index runs code")
    severity = "high"
    triggers = ("allow_dangerous_deserialization",)

    def visit_Call(self, node: cst.Call) -> None:
        value = self.ctx.call(node).value("allow_dangerous_deserialization")
        if value is not MISSING and value is not UNKNOWN and value:
            self.report(node)
