"""The shared resolution helpers (ml_seclint.analysis), exercised through the engine: aliases,
shadowing, alternative imports, constants, dict literals, functools.partial, local classes."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from ml_seclint.analysis.resolve import MISSING, UNKNOWN, call_view, local_ancestry
from ml_seclint.analysis.scopes import Scope
from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source


def findings(source: str) -> list[tuple[int, str]]:
    result = lint_source(textwrap.dedent(source), "example.py", Settings())
    return sorted((f.line, f.code) for f in result.findings)


def lines(source: str, code: str) -> list[int]:
    return [line for line, c in findings(source) if c == code]


# -- aliases and imports ----------------------------------------------------------------------

def test_import_aliases_and_from_imports_resolve_to_the_module():
    src = """
        import pickle as pkl
        from pickle import loads as unpickle
        from pickle import load
        import yaml.loader
        read = pkl.load
        pkl.loads(b"")
        unpickle(b"")
        load(f)
        read(f)
        """
    assert lines(src, "MLS101") == [7, 8, 9, 10]


def test_submodule_import_and_dotted_as_import():
    src = """
        import numpy.lib.npyio
        import joblib.numpy_pickle as jnp
        jnp.load("m.joblib")
        """
    assert findings(src) == [(4, "MLS103")]


def test_other_library_of_the_same_name_is_not_the_module():
    src = """
        from mylib import pickle
        from tools.serialization import yaml
        pickle.load(f)
        yaml.load(text)
        """
    assert findings(src) == []


def test_method_of_an_unrelated_object_is_not_the_function():
    src = """
        import pickle
        model.load("w.bin")
        config.load()
        self.pickle.load(f)
        """
    assert findings(src) == []


# -- shadowing ----------------------------------------------------------------------------------

def test_parameter_shadows_the_module_only_inside_its_function():
    src = """
        import pickle

        def restore(pickle, blob):
            return pickle.loads(blob)

        def restore_module(blob):
            return pickle.loads(blob)

        restore_lambda = lambda pickle: pickle.loads(b"")
        """
    assert lines(src, "MLS101") == [8]


def test_local_def_shadows_an_imported_name():
    src = """
        from pickle import load

        def read(path):
            def load(p):
                return open(p).read()
            return load(path)

        def read_module(f):
            return load(f)
        """
    assert lines(src, "MLS101") == [10]


def test_module_level_def_replaces_the_import():
    src = """
        import yaml

        def load(path):
            return open(path).read()

        load("cfg.yaml")
        yaml.load(text)
        """
    assert lines(src, "MLS107") == [8]


def test_class_body_names_do_not_leak_into_methods():
    src = """
        import pickle

        class Cache:
            pickle = None

            def read(self, f):
                return pickle.load(f)
        """
    assert lines(src, "MLS101") == [8]


def test_global_statement_reads_the_module_binding():
    src = """
        import pickle

        def reader(f):
            global pickle
            return pickle.load(f)
        """
    assert lines(src, "MLS101") == [6]


# -- alternative imports and fallbacks ----------------------------------------------------------

def test_try_except_alternative_imports_give_every_candidate():
    src = """
        try:
            from yaml import CLoader as Loader
        except ImportError:
            from yaml import Loader

        try:
            from yaml import CSafeLoader as SafeLoader
        except ImportError:
            from yaml import SafeLoader

        import yaml
        yaml.load(text, Loader=Loader)
        yaml.load(text, Loader=SafeLoader)
        """
    assert findings(src) == [(13, "MLS107")]


def test_alternative_import_of_two_serialisers_is_reported_by_both_rules():
    src = """
        try:
            import dill as serializer
        except ImportError:
            import pickle as serializer
        serializer.loads(b"")
        """
    assert findings(src) == [(6, "MLS101"), (6, "MLS106")]


def test_none_fallback_after_a_failed_import_keeps_the_import():
    src = """
        try:
            import cPickle
        except ImportError:
            cPickle = None

        if cPickle is not None:
            cPickle.loads(b"")
        """
    assert findings(src) == [(8, "MLS101")]


def test_rebinding_to_something_else_makes_the_name_unknown():
    src = """
        import pickle
        pickle = make_safe_pickle()
        pickle.loads(b"")
        """
    assert findings(src) == []


# -- constants ----------------------------------------------------------------------------------

def test_module_and_function_constants_resolve():
    src = """
        import numpy as np

        ALLOW = True

        def load(path):
            allow_here = ALLOW
            a = np.load(path, allow_pickle=ALLOW)
            b = np.load(path, allow_pickle=allow_here)
            return a, b
        """
    assert lines(src, "MLS104") == [8, 9]


def test_a_name_assigned_twice_is_not_a_constant():
    src = """
        import numpy as np

        ALLOW = False
        if legacy:
            ALLOW = True
        np.load(path, allow_pickle=ALLOW)
        """
    assert findings(src) == []


def test_parameter_value_is_unknown_and_not_guessed():
    src = """
        import numpy as np

        def load(path, allow=True):
            return np.load(path, allow_pickle=allow)
        """
    assert findings(src) == []


def test_augmented_assignment_makes_a_constant_unknown():
    src = """
        import keras

        SAFE = 1
        SAFE -= 1
        keras.models.load_model(p, safe_mode=SAFE)
        """
    assert findings(src) == []


def test_class_and_module_constant_loaders():
    src = """
        import yaml

        LOADER = yaml.Loader
        SAFE = yaml.loader.SafeLoader
        yaml.load(text, Loader=LOADER)
        yaml.load(text, Loader=SAFE)
        """
    assert findings(src) == [(6, "MLS107")]


# -- dict literals ------------------------------------------------------------------------------

def test_star_star_dict_literals_and_names_bound_to_them():
    src = """
        import keras

        KW = {"safe_mode": False}
        KW2 = dict(compile=False, safe_mode=False)
        NESTED = {**KW, "compile": False}
        keras.models.load_model(p, **KW)
        keras.models.load_model(p, **KW2)
        keras.models.load_model(p, **NESTED)
        keras.models.load_model(p, **{"safe_mode": False})
        keras.models.load_model(p, **{"safe_mode": True})
        """
    assert lines(src, "MLS108") == [7, 8, 9, 10]


@pytest.mark.parametrize("mutation", [
    'KW["allow_dangerous_deserialization"] = flag',
    'KW.update(allow_dangerous_deserialization=flag)',
    'KW |= overrides',
    'KW.setdefault("index_name", "docs")',
])
def test_dict_literal_mutated_later_becomes_unknown(mutation):
    src = f"""
        KW = {{"allow_dangerous_deserialization": True}}
        {mutation}
        FAISS.load_local(path, emb, **KW)
        """
    assert findings(src) == []


def test_unmutated_dict_literal_is_resolved():
    src = """
        KW = {"allow_dangerous_deserialization": True}
        FAISS.load_local(path, emb, **KW)
        """
    assert findings(src) == [(3, "MLS110")]


def test_unresolvable_star_star_kwargs_is_unknown():
    src = """
        import numpy as np

        def load(path, **kwargs):
            return np.load(path, **kwargs)
        """
    assert findings(src) == []


# -- functools.partial --------------------------------------------------------------------------

def test_partial_is_reported_where_it_is_made_and_not_again_when_called():
    src = """
        import functools
        from functools import partial
        import numpy as np

        unsafe = functools.partial(np.load, allow_pickle=True)
        unsafe("a.npy")
        plain = partial(np.load, mmap_mode="r")
        plain("b.npy")
        plain("c.npy", allow_pickle=True)
        """
    assert lines(src, "MLS104") == [6, 10]


def test_partial_of_a_plain_loader_is_reported_once():
    src = """
        import pickle
        from functools import partial

        read = partial(pickle.load)
        read(f)
        read(g)
        """
    assert findings(src) == [(5, "MLS101")]


def test_partial_torch_load_with_weights_only_false_is_reported_once():
    src = """
        import torch
        from functools import partial

        unsafe = partial(torch.load, weights_only=False)
        unsafe("a.pt")
        """
    assert findings(src) == [(5, "MLS102")]


def test_keyword_given_at_the_call_overrides_the_partial():
    src = """
        from functools import partial
        import yaml

        parse = partial(yaml.load, Loader=yaml.SafeLoader)
        parse(text)
        parse(text, Loader=yaml.UnsafeLoader)
        """
    assert findings(src) == [(7, "MLS107")]


def test_partial_of_a_method_is_matched_by_its_attribute():
    src = """
        from functools import partial
        from transformers import AutoModel

        legacy = partial(AutoModel.from_pretrained, use_safetensors=False)
        legacy("./ckpt")
        """
    assert findings(src) == [(5, "MLS109")]


def test_call_view_separates_partial_arguments_from_call_arguments():
    module = cst.parse_module(textwrap.dedent("""
        from functools import partial
        import numpy as np
        loader = partial(np.load, "a.npy", allow_pickle=True)
        loader(mmap_mode="r")
        """))
    scope = Scope(module, None)
    call = module.body[-1].body[0].value
    view = call_view(call, scope)
    assert view.names == {"numpy.load"}
    assert view.through_partial and view.bound == 2
    assert view.value("allow_pickle", 2) is True
    assert not view.given_here("allow_pickle", 2)
    assert view.value("mmap_mode", 1) == "r" and view.given_here("mmap_mode", 1)
    assert view.value("encoding") is MISSING
    assert isinstance(view.callee, cst.Attribute)


def test_call_view_star_args_make_positions_unknown():
    module = cst.parse_module("import numpy as np\nnp.load(*args)\n")
    view = call_view(module.body[-1].body[0].value, Scope(module, None))
    assert view.value("allow_pickle", 2) is UNKNOWN


# -- local classes ------------------------------------------------------------------------------

def test_local_class_chain_reaches_the_outside_base():
    src = textwrap.dedent("""
        import yaml

        class Base(yaml.SafeLoader):
            pass

        class Child(Base):
            pass

        Base.add_constructor("!include", include)
        """)
    module = cst.parse_module(src)
    classes, bases = local_ancestry(cst.Name("Child"), Scope(module, None))
    assert [c.name.value for c in classes] == ["Child", "Base"]
    assert bases == {"yaml.SafeLoader"}
    assert local_ancestry(cst.Name("yaml"), Scope(module, None)) == ([], frozenset())


def test_unpickler_subclass_with_inherited_or_assigned_find_class_is_clean():
    src = """
        import pickle

        class Restricted(pickle.Unpickler):
            def find_class(self, module, name):
                raise pickle.UnpicklingError(name)

        class Stricter(Restricted):
            pass

        class Assigned(pickle.Unpickler):
            find_class = staticmethod(lambda module, name: None)

        class Open(pickle.Unpickler):
            pass

        class StillOpen(Open):
            pass

        Restricted(f).load()
        Stricter(f).load()
        Assigned(f).load()
        Open(f).load()
        StillOpen(f).load()
        """
    assert lines(src, "MLS101") == [23, 24]


def test_unpickler_subclass_defined_in_a_function_uses_that_scope():
    src = """
        import pickle

        def read(f):
            class Local(pickle.Unpickler):
                pass
            return Local(f).load()
        """
    assert findings(src) == [(7, "MLS101")]


def test_yaml_loader_subclasses_follow_their_bases():
    src = """
        import yaml

        class ConfigLoader(yaml.SafeLoader):
            pass

        class Unsafe(yaml.Loader):
            pass

        class Mixed(ConfigLoader, mylib.Mixin):
            pass

        yaml.load(text, Loader=ConfigLoader)
        yaml.load(text, Loader=Unsafe)
        yaml.load(text, Loader=Mixed)
        """
    assert findings(src) == [(14, "MLS107")]


def test_module_constant_reassigned_through_global_is_unknown():
    source = (
        "import torch\n"
        "WEIGHTS_ONLY = False\n"
        "def configure():\n"
        "    if trusted:\n"
        "        global WEIGHTS_ONLY\n"
        "        WEIGHTS_ONLY = True\n"
        "def load(p):\n"
        "    return torch.load(p, weights_only=WEIGHTS_ONLY)\n")
    assert lint_source(source, "g.py", Settings()).findings == []
    fixed = source.replace("global WEIGHTS_ONLY", "pass")
    assert [f.line for f in lint_source(fixed, "g.py", Settings()).findings] == [8]


def test_pickles_carried_in_tensors_are_graded_as_peer_objects():
    """A pickle taken out of a tensor (`t.numpy().tobytes()`) is an object another rank sent:
    medium, with its own message; the same bytes from an array read off disk stay high."""
    source = '''
        import io
        import pickle

        import numpy as np

        def recv(payload):
            buf = payload.numpy().tobytes()
            return pickle.loads(buf)

        def from_tensor(obj):
            if hasattr(obj, "cpu"):
                obj = obj.cpu().numpy()
            res = obj.tobytes()
            return pickle.Unpickler(io.BytesIO(res[8:])).load()

        def from_disk(path):
            return pickle.loads(np.load(path).tobytes())

        def from_parameter(data):
            return pickle.loads(data)
    '''
    result = lint_source(textwrap.dedent(source), "dist.py", Settings(select=("MLS101",)))
    assert [(f.line, f.severity) for f in result.findings] == [
        (9, "medium"), (15, "medium"), (18, "high"), (21, "high")]
    assert "another rank" in result.findings[0].message
    assert "another rank" not in result.findings[2].message


def test_star_import_brings_modules_by_their_names_and_conventional_aliases():
    """`from fastai.imports import *` (tsai, fastai notebooks) binds `torch`, `np`, `pickle`: an
    unbound name in such a module stands for the module of that name or alias."""
    source = """
        from fastai.imports import *

        def load_all(path, device):
            learner = torch.load(path / "learner.pth", map_location=device)
            stats = np.load(path / "stats.npy", allow_pickle=True)
            with open(path / "extra.pkl", "rb") as f:
                return learner, stats, pickle.load(f)
    """
    assert findings(source) == [(5, "MLS102"), (6, "MLS104"), (8, "MLS101")]
    assert findings(source.replace("from fastai.imports import *", "")) == []
