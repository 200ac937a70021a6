"""MLS103 joblib-load: scikit-learn models restored with joblib (or skops with trusted types).

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
from functools import partial
from pathlib import Path

import joblib
import joblib as jl
import skops.io as sio
from joblib import Memory, Parallel, delayed
from joblib import load as load_estimator
from joblib.numpy_pickle import load as np_pickle_load
from skops import io as skops_io
from skops.io import get_untrusted_types
from skops.io import load as skops_load
from sklearn.ensemble import RandomForestClassifier

try:
    from sklearn.externals import joblib as legacy_joblib
except ImportError:
    import joblib as legacy_joblib

MODEL_DIR = Path("artifacts/models")
TRUSTED_TYPES = ["sklearn.ensemble._forest.RandomForestClassifier"]
NO_TRUST = None
SKOPS_KWARGS = {"trusted": ["numpy.dtype"]}
MMAP = {"mmap_mode": "r"}


def restore_pipeline(name):
    model = joblib.load(MODEL_DIR / f"{name}.joblib")  # expect: MLS103
    scaler = jl.load(MODEL_DIR / "scaler.pkl", mmap_mode="r")  # expect: MLS103
    encoder = load_estimator(MODEL_DIR / "encoder.joblib")  # expect: MLS103
    vocab = np_pickle_load(MODEL_DIR / "vocab.joblib")  # expect: MLS103
    legacy = legacy_joblib.load(MODEL_DIR / "legacy.pkl")  # expect: MLS103
    arrays = joblib.load(MODEL_DIR / "arrays.joblib", **MMAP)  # expect: MLS103
    return model, scaler, encoder, vocab, legacy, arrays


def restore_lazily(paths):
    reader = functools.partial(joblib.load, mmap_mode="r")  # expect: MLS103
    models = [reader(p) for p in paths]  # ok: reported where the partial is made
    models += Parallel(n_jobs=4)(delayed(jl.load)(p) for p in paths)  # ok: a reference, not a call
    lazy = partial(jl.load)  # expect: MLS103
    return models, lazy


def restore_skops(path, audited_types):
    clf = sio.load(path, trusted=True)  # expect: MLS103
    clf = sio.load(path, trusted=TRUSTED_TYPES)  # expect: MLS103
    clf = skops_io.load(path, trusted=["sklearn.tree._classes.DecisionTreeClassifier"])  # expect: MLS103
    clf = skops_load(path, TRUSTED_TYPES)  # expect: MLS103
    clf = sio.loads(open(path, "rb").read(), **SKOPS_KWARGS)  # expect: MLS103
    clf = sio.load(path)  # ok: untrusted types are refused
    clf = sio.load(path, trusted=NO_TRUST)  # ok: the constant is None
    clf = sio.load(path, trusted=[])  # ok: nothing trusted
    clf = sio.load(path, trusted=audited_types)  # ok: unresolvable, not guessed
    unknown = get_untrusted_types(file=path)  # ok: auditing the file
    return clf, unknown


def save_model(model: RandomForestClassifier, name):
    joblib.dump(model, MODEL_DIR / f"{name}.joblib", compress=3)  # ok: writing
    jl.dump(model, MODEL_DIR / "copy.joblib")  # ok: writing
    sio.dump(model, MODEL_DIR / f"{name}.skops")  # ok: writing
    memory = Memory("cache/")  # ok: joblib's cache, not a model loader
    return memory


def other_objects(model, config, registry):
    weights = model.load("weights.bin")  # ok: a method of another object
    settings = config.load()  # ok: a method of another object
    return registry.joblib.load(weights, settings)  # ok: an attribute of a local object


def shadowed(joblib, path):
    return joblib.load(path)  # ok: `joblib` is a parameter here, not the module


def load(path):
    return Path(path).read_bytes()


def local_loader(path):
    return load(path)  # ok: the local function, not joblib.load


def other_library(path):
    from mylib import joblib

    return joblib.load(path)  # ok: mylib.joblib is not joblib
