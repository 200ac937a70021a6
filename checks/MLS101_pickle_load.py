"""MLS101 pickle-load: pickle.load/loads/Unpickler on feature caches, datasets and checkpoints.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import _pickle
import functools
import io
import os
import pickle
import pickle as pkl
from functools import partial
from pickle import Unpickler as BaseUnpickler
from pickle import loads as unpickle_bytes

import numpy as np

try:
    import cPickle as fast_pickle
except ImportError:
    import pickle as fast_pickle

try:
    import cPickle
except ImportError:
    cPickle = None

CACHE_PATH = "features/train_embeddings.pkl"
PICKLE_OPTIONS = {"encoding": "latin1", "fix_imports": True}
_read_cache = pickle.load


class RestrictedUnpickler(pickle.Unpickler):
    """Only plain containers and numpy arrays may be rebuilt from a cached batch."""

    ALLOWED = {("collections", "OrderedDict"), ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


class VerboseUnpickler(BaseUnpickler):
    """Logs every object but restricts nothing."""

    def persistent_load(self, pid):
        print("persistent id", pid)
        return pid


class RemappingUnpickler(pickle.Unpickler):
    find_class = staticmethod(lambda module, name: getattr(np, name))  # ok: overrides find_class


class CheckpointUnpickler(RestrictedUnpickler):
    ALLOWED = RestrictedUnpickler.ALLOWED | {("torch._utils", "_rebuild_tensor_v2")}


class TimedUnpickler(VerboseUnpickler):
    pass


class FeatureCache:
    def __init__(self, path=CACHE_PATH):
        self.path = path

    def read(self):
        with open(self.path, "rb") as f:
            return pickle.load(f)  # ok: the class writes this cache itself (write() below)

    def read_restricted(self):
        with open(self.path, "rb") as f:
            return RestrictedUnpickler(f).load()  # ok: find_class restricts what may load

    def write(self, features):
        with open(self.path, "wb") as f:
            pickle.dump(features, f, protocol=pickle.HIGHEST_PROTOCOL)  # ok: writing

    def load(self):
        return self.read_restricted()


def load_batches(paths, payloads):
    batches = [pkl.load(open(p, "rb")) for p in paths]  # expect: MLS101
    batches += [pkl.loads(b) for b in payloads]  # expect: MLS101
    batches.append(unpickle_bytes(payloads[0]))  # expect: MLS101
    batches.append(fast_pickle.loads(payloads[0]))  # expect: MLS101
    batches.append(cPickle.load(open(paths[0], "rb")))  # expect: MLS101
    batches.append(_pickle.loads(payloads[0]))  # expect: MLS101
    batches.append(_read_cache(open(paths[0], "rb")))  # expect: MLS101
    batches.append(pickle.loads(payloads[0], **PICKLE_OPTIONS))  # expect: MLS101
    batches.append(pickle.loads(payloads[0], **{"encoding": "bytes"}))  # expect: MLS101
    return batches


def load_legacy_checkpoint(path):
    with open(path, "rb") as f:
        state = pickle.Unpickler(f).load()  # expect: MLS101
    with open(path, "rb") as f:
        unpickler = BaseUnpickler(f, encoding="latin1")  # expect: MLS101
        state = unpickler.load()  # ok: reported where the Unpickler is made
    with open(path, "rb") as f:
        state = VerboseUnpickler(f).load()  # expect: MLS101
    with open(path, "rb") as f:
        state = RemappingUnpickler(f).load()  # ok: find_class overridden
    with open(path, "rb") as f:
        state = CheckpointUnpickler(f).load()  # ok: inherits the restricted find_class
    with open(path, "rb") as f:
        state = TimedUnpickler(f).load()  # expect: MLS101
    decode = functools.partial(pickle.loads, encoding="latin1")  # expect: MLS101
    lazy = partial(pkl.load)  # expect: MLS101
    state = decode(b"...")  # ok: reported where the partial is made
    restore = lambda blob: pickle.loads(blob)  # expect: MLS101
    return state, lazy, restore


def serialise(model, config, metrics):
    blob = pickle.dumps(metrics)  # ok: writing
    buffer = io.BytesIO()
    pickle.Pickler(buffer).dump(metrics)  # ok: writing
    weights = model.load("weights.bin")  # ok: a method of another object
    settings = config.load()  # ok: a method of another object
    cache = FeatureCache()
    cache.load()  # ok: a method of our own class
    return blob, weights, settings


def shadowed(pickle, payload):
    return pickle.loads(payload)  # ok: `pickle` is a parameter here, not the module


def load(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def local_loader(path):
    return load(path)  # ok: the local function, not pickle.load


def other_library(path):
    from mylib import pickle

    return pickle.load(path)  # ok: mylib.pickle is not the standard library


def copy_batch(batch):
    return pickle.loads(pickle.dumps(batch))  # ok: an in-memory round trip of our own object


def copy_through_buffer(batch):
    return pickle.load(io.BytesIO(pickle.dumps(batch)))  # ok: the buffer holds our own bytes


def test_feature_cache_round_trip(tmp_path):
    path = tmp_path / "features.pkl"
    with open(path, "wb") as f:
        pickle.dump({"ids": [1, 2]}, f)
    with open(path, "rb") as f:
        assert pickle.load(f) == {"ids": [1, 2]}  # ok: written by this test in a fresh temp dir


def save_and_reload(state, cache_path):
    with open(cache_path, "wb") as f:
        pickle.dump(state, f)
    with open(cache_path, "rb") as f:
        return pickle.load(f)  # ok: the same function wrote this file just above


def reload_only(cache_path):
    with open(cache_path, "rb") as f:
        return pickle.load(f)  # expect: MLS101


class VectorIndex:
    def load_local(self, folder, allow_dangerous_deserialization=False):
        if not allow_dangerous_deserialization:
            raise ValueError("loading index.pkl runs code; pass allow_dangerous_deserialization=True")
        with open(f"{folder}/index.pkl", "rb") as f:
            return pickle.load(f)  # ok: only after the caller's explicit opt-in

    def decode(self, payload, settings):
        if settings.ALLOW_INSECURE_SERIALIZATION:
            return pickle.loads(payload)  # ok: behind an explicit opt-in
        return pickle.loads(payload)  # expect: MLS101


class SharedFeatureStore:
    def __init__(self, path):
        self.path = path

    def read(self):
        with open(self.path, "rb") as f:
            return pickle.load(f)  # expect: MLS101


class StateUpgrader:
    def __init__(self, path):
        self.path = path

    def upgrade(self):
        with open(self.path, "rb") as f:
            state = pickle.load(f)  # expect: MLS101 (the write below comes after: a load-convert-save)
        state["version"] = 2
        with open(self.path, "wb") as f:
            pickle.dump(state, f)
        return state


class ArrayStore:
    def __init__(self, uri, allow_dangerous_deserialization=False):
        if not allow_dangerous_deserialization:
            raise ValueError("metadata is pickled; pass allow_dangerous_deserialization=True")
        self.uri = uri

    def metadata(self, blob):
        return pickle.loads(blob)  # ok: the constructor refuses without the opt-in


def _load_pipeline(path):
    with open(path, "rb") as f:
        return pickle.load(f)  # ok: every caller opts in first


def load_pipeline(path, allow_dangerous_deserialization=False):
    if not allow_dangerous_deserialization:
        raise ValueError("refusing to unpickle")
    return _load_pipeline(path)


def _decode(blob):
    return pickle.loads(blob)  # expect: MLS101


def decode_any(blob):
    return _decode(blob)


def _read_results(results_path):
    with open(results_path, "rb") as f:
        return pickle.load(f)  # ok: both callers pass a file in their own TemporaryDirectory


def benchmark(run):
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmpdir:
        baseline_path = os.path.join(tmpdir, "baseline.pkl")
        run(baseline_path)
        baseline = _read_results(baseline_path)
        run(os.path.join(tmpdir, "candidate.pkl"))
        return baseline, _read_results(results_path=os.path.join(tmpdir, "candidate.pkl"))


def _read_report(path):
    with open(path, "rb") as f:
        return pickle.load(f)  # expect: MLS101 (one caller passes the user's path)


def compare_reports(user_path):
    import tempfile

    fresh = tempfile.mkdtemp()
    return _read_report(fresh + "/report.pkl"), _read_report(user_path)


def read_results(results_path):
    with open(results_path, "rb") as f:
        return pickle.load(f)  # expect: MLS101 (public: callers elsewhere may pass any path)


def benchmark_public():
    import tempfile

    with tempfile.TemporaryDirectory() as tmpdir:
        return read_results(tmpdir + "/x.pkl")


def probe_in_helper_process(pairs, cache_path, previous_path):
    """The result file of a helper process, in a temporary file this function made; the name `f`
    is reused by a later `with open(...) as f` that writes a cache."""
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile() as output_file:
        subprocess.run([sys.executable, __file__], input=pickle.dumps((pairs, output_file.name)), check=True)
        with open(output_file.name, "rb") as f:
            result = pickle.load(f)  # ok: a fresh temporary file
    with open(cache_path, "w") as f:
        json.dump(result, f)
    with open(previous_path, "rb") as f:
        return pickle.load(f)  # expect: MLS101 (this `f` is the caller's path: not temporary)


def helper_process_main():
    """The helper started above (`[sys.executable, __file__]` with `input=pickle.dumps(...)`)
    reads its parent's message from stdin."""
    import sys

    pairs, output_file = pickle.loads(sys.stdin.buffer.read())  # ok: the parent's own message
    return pairs, output_file


def recv_object(group, src):
    """An object another rank sent, carried in a tensor (torch.distributed's object collectives do
    the same): reported, at medium severity, saying so."""
    import torch
    import torch.distributed as dist

    size = torch.empty(1, dtype=torch.long)
    dist.recv(size, src=src, group=group)
    payload = torch.empty(size.item(), dtype=torch.uint8)
    dist.recv(payload, src=src, group=group)
    return pickle.loads(payload.numpy().tobytes())  # expect: MLS101 (medium: sent by a peer rank)


def tensor_to_object(tensor, size):
    buf = tensor.cpu().numpy().tobytes()[:size]
    if b"cuda" in buf:
        buf = bytes(bytearray(buf))
    return pickle.Unpickler(io.BytesIO(buf)).load()  # expect: MLS101 (medium: sent by a peer rank)


def broadcast_pyobj(data, rank, src, tensor_data):
    if rank == src:
        serialized = pickle.dumps(data)
        return serialized
    serialized = bytes(tensor_data.cpu().numpy())
    return pickle.loads(serialized)  # expect: MLS101 (medium: sent by a peer rank)


def read_array_file(path):
    raw = np.load(path).tobytes()
    return pickle.loads(raw)  # expect: MLS101 (high: an array read from a file, no tensor chain)


class AutotuneCache:
    """An atomic write: pickled into a temporary name, then moved into place with os.replace."""

    def __init__(self, cache_dir, key):
        self.file_path = os.path.join(cache_dir, key + ".pickle")

    def put(self, table):
        with open(self.file_path + ".tmp", "wb") as handle:
            pickle.dump(table, handle)
        os.replace(self.file_path + ".tmp", self.file_path)

    def load(self):
        with open(self.file_path, "rb") as handle:
            return pickle.load(handle)  # ok: the file put() writes

    def load_shared(self):
        with open(self.shared_path, "rb") as handle:
            return pickle.load(handle)  # expect: MLS101 (nothing here writes it)


class Predictor:
    """save(path) and load(path) of a predictor directory: the same code text, two different
    directories (the one loaded is often downloaded). Not a cache round trip."""

    def save(self, path):
        with open(os.path.join(path, "assets.json"), "w") as fp:
            fp.write("{}")
        with open(os.path.join(path, "preprocessor.pkl"), "wb") as fp:
            pickle.dump(self.preprocessor, fp)

    @staticmethod
    def load(path):
        with open(os.path.join(path, "assets.json")) as fp:
            fp.read()
        with open(os.path.join(path, "preprocessor.pkl"), "rb") as fp:
            return pickle.load(fp)  # expect: MLS101 (the caller's directory, not this object's)
