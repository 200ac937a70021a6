"""MLS1xx: loading a model or data file can run code (unsafe deserialization)."""
from __future__ import annotations

import re

import libcst as cst

from ml_seclint.analysis.resolve import MISSING, UNKNOWN, defines_method, local_ancestry
from ml_seclint.fix.fixes import SAFE, UNSAFE, Fix, add_keyword, direct_arg, keyword, remove_arg, rename
from ml_seclint.engine.rule import Option, Rule
from ml_seclint.engine.versions import dependency_floor, version_at_least


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
        if view.through_partial:
            return
        if view.names & self.UNPICKLERS:
            self.report(node, "pickle.Unpickler(...).load() runs any code embedded in the pickle; "
                              "override find_class to restrict what it may load")
            return
        classes, bases = local_ancestry(node.func, self.ctx.scope)
        if bases & self.UNPICKLERS and not any(defines_method(c, "find_class") for c in classes):
            self.report(node, f"{classes[0].name.value} subclasses pickle.Unpickler without overriding "
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
            # weights_only is keyword-only, so it can always be added (an unresolved **kwargs
            # would make it UNKNOWN, not MISSING)
            self.report(node, fix=Fix("add weights_only=True", UNSAFE,
                                      {node: add_keyword(node, keyword("weights_only", "True"))}))
        elif weights_only is not UNKNOWN and not weights_only \
                and (not view.through_partial or view.given_here("weights_only")):
            arg = direct_arg(node, view.arg("weights_only")[0])
            fix = Fix("set weights_only=True", UNSAFE, {arg.value: cst.Name("True")}) if arg else None
            self.report(node, "torch.load(weights_only=False) unpickles arbitrary objects: a "
                              "malicious checkpoint runs code on load", severity="critical", fix=fix)


class JoblibLoad(DeserializationRule):
    code = "MLS103"
    name = "joblib-load"
    summary = "joblib.load (and skops with trusted=True) unpickles the file, running embedded code"
    message = "{name}() unpickles the file and runs any code embedded in it; prefer skops.io or safetensors"
    severity = "high"
    triggers = ("joblib", "skops")
    loaders = frozenset({"joblib.load", "joblib.numpy_pickle.load", "sklearn.externals.joblib.load"})
    SKOPS = frozenset({"skops.io.load", "skops.io.loads"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        if view.names & self.SKOPS:
            trusted = view.value("trusted", 1)
            if view.through_partial and not view.given_here("trusted", 1):
                return
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
            if view.through_partial and not view.given_here("allow_pickle", 2):
                return
            if allow is not MISSING and allow is not UNKNOWN and allow:
                self.report(node, fix=self._fix(node, view))

    @staticmethod
    def _fix(node: cst.Call, view) -> "Fix | None":
        arg = direct_arg(node, view.arg("allow_pickle", 2)[0])
        if arg is None:
            return None  # in a **dict or a partial made elsewhere
        if arg.keyword is None:  # positional: later positional arguments keep their places
            return Fix("set allow_pickle to False", UNSAFE, {arg.value: cst.Name("False")})
        return Fix("remove allow_pickle=True", UNSAFE, {node: remove_arg(node, arg)})


class PandasReadPickle(DeserializationRule):
    code = "MLS105"
    name = "pandas-read-pickle"
    summary = "pandas.read_pickle unpickles the file, running embedded code"
    message = ("{name}() unpickles the file and runs any code embedded in it; use parquet or feather for "
               "data frames")
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
               | _names(("jsonpickle", "jsonpickle.unpickler"), ("decode", "Unpickler"))
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
    triggers = (("yaml", re.compile(r"\b(?:(?:unsafe_|full_)?load(?:_all)?)\b")),)
    fix_safety = "safe"
    LOADS = frozenset({"yaml.load", "yaml.load_all"})
    UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
    FULL = frozenset({"yaml.full_load", "yaml.full_load_all"})

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        names = view.names
        if view.through_partial and not (names & self.LOADS and view.given_here("Loader", 1)):
            return  # the partial was checked where it was made
        if names & self.UNSAFE:
            name = min(names & self.UNSAFE)
            self.report(node, f"{name}() constructs arbitrary Python objects from the document",
                        fix=self._safe_name(view.callee, name, UNSAFE))
        elif names & self.FULL:
            name = min(names & self.FULL)
            self.report(node, f"{name}() uses FullLoader, which has allowed code execution "
                              f"(CVE-2020-14343); use {name.replace('full_', 'safe_')}()", severity="low",
                        fix=self._safe_name(view.callee, name, UNSAFE))
        elif names & self.LOADS:
            name = min(names & self.LOADS)
            safe = name.replace("yaml.", "yaml.safe_")
            loader, scope = view.arg("Loader", 1)
            if loader is MISSING:
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
            elif kind == "full":
                self.report(node, f"{name}(Loader=FullLoader) has allowed code execution "
                                  f"(CVE-2020-14343); use yaml.SafeLoader", severity="low", fix=fix)

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
        from ml_seclint.analysis.resolve import qualnames

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
            if view.through_partial and not view.given_here("safe_mode"):
                return
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
        view = self.ctx.call(node)
        func = view.callee
        # any hub class: the attribute name, or an alias (`load = AutoModel.from_pretrained`)
        if (isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained") \
                or any(n.endswith(".from_pretrained") for n in view.names):
            value = view.value("use_safetensors")
            if view.through_partial and not view.given_here("use_safetensors"):
                return
            if value is not MISSING and value is not UNKNOWN and value is False:
                arg = direct_arg(node, view.arg("use_safetensors")[0])
                fix = Fix("remove use_safetensors=False", UNSAFE, {node: remove_arg(node, arg)}) \
                    if arg is not None and arg.keyword is not None else None
                self.report(node, fix=fix)


class FrameworkPickleOptIn(DeserializationRule):
    code = "MLS110"
    name = "framework-pickle-opt-in"
    summary = "allow_dangerous_deserialization=True opts in to loading pickles (LangChain vector stores, ...)"
    message = ("allow_dangerous_deserialization=True makes the loader unpickle its files: a tampered "
               "index runs code")
    severity = "high"
    triggers = ("allow_dangerous_deserialization",)

    def visit_Call(self, node: cst.Call) -> None:
        view = self.ctx.call(node)
        value = view.value("allow_dangerous_deserialization")
        if view.through_partial and not view.given_here("allow_dangerous_deserialization"):
            return
        if value is not MISSING and value is not UNKNOWN and value:
            self.report(node)
