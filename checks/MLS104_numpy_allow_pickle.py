"""MLS104 numpy-allow-pickle: .npy/.npz feature files loaded with allow_pickle=True.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
from functools import partial

import numpy
import numpy as np
from numpy import load as np_load

ALLOW_PICKLE = True
NO_PICKLE = False
NPZ_OPTIONS = {"allow_pickle": True, "mmap_mode": None}
SAFE_OPTIONS = dict(allow_pickle=False)


def load_features(split, data_dir="data/features"):
    feats = np.load(f"{data_dir}/{split}_x.npy", allow_pickle=True)  # expect: MLS104
    labels = numpy.load(f"{data_dir}/{split}_y.npy", allow_pickle=1)  # expect: MLS104
    meta = np_load(f"{data_dir}/{split}_meta.npz", allow_pickle=ALLOW_PICKLE)  # expect: MLS104
    ids = np.load(f"{data_dir}/{split}_ids.npy", None, True)  # expect: MLS104
    extra = np.load(f"{data_dir}/{split}_extra.npz", **NPZ_OPTIONS)  # expect: MLS104
    boxes = np.load(f"{data_dir}/{split}_boxes.npy", **{"allow_pickle": True})  # expect: MLS104
    masks = np.load(  # expect: MLS104
        f"{data_dir}/{split}_masks.npz",
        allow_pickle=not NO_PICKLE,
    )
    return feats, labels, meta["vocab"], ids, extra, boxes, masks


def lazy_loaders(paths):
    unsafe = functools.partial(np.load, allow_pickle=True)  # expect: MLS104
    arrays = [unsafe(p) for p in paths]  # ok: reported where the partial is made
    mapped = partial(np.load, mmap_mode="r")  # ok: allow_pickle stays False
    arrays += [mapped(p) for p in paths]  # ok
    arrays.append(mapped(paths[0], allow_pickle=True))  # expect: MLS104
    lenient = lambda p: np.load(p, allow_pickle=True)  # expect: MLS104
    return arrays, lenient


def load_features_safely(path, allow_objects):
    arr = np.load(path)  # ok: allow_pickle defaults to False (numpy >= 1.16.3)
    arr = np.load(path, allow_pickle=False)  # ok
    arr = np.load(path, allow_pickle=NO_PICKLE)  # ok: the constant is False
    arr = np.load(path, **SAFE_OPTIONS)  # ok
    arr = np.load(path, mmap_mode="r")  # ok
    arr = np.load(path, allow_pickle=allow_objects)  # ok: unresolvable, not guessed
    np.save(path, arr, allow_pickle=True)  # ok: writing
    np.savez_compressed(path, features=arr)  # ok: writing
    text = np.loadtxt("data/labels.csv", delimiter=",")  # ok: not a pickle loader
    return arr, text


def other_objects(dataset, config, path):
    batch = dataset.load(path, allow_pickle=True)  # ok: a method of another object
    settings = config.load(allow_pickle=True)  # ok: a method of another object
    return batch, settings


def shadowed(np, path):
    return np.load(path, allow_pickle=True)  # ok: `np` is a parameter here, not numpy


def other_library(path):
    from mylib import numpy

    return numpy.load(path, allow_pickle=True)  # ok: mylib.numpy is not numpy


def load(path, allow_pickle=False):
    with open(path, "rb") as f:
        return f.read() if allow_pickle else b""


def local_loader(path):
    return load(path, allow_pickle=True)  # ok: the local function, not numpy.load


def _build_index_mappings(prefix, documents):
    """Builds the index files when they are missing and returns their names."""
    import os

    paths = {"doc": prefix + "_doc_idx.npy", "shuffle": prefix + "_shuffle_idx.npy"}
    if not os.path.isfile(paths["doc"]):
        np.save(paths["doc"], np.array(documents), allow_pickle=True)
        np.save(paths["shuffle"], np.arange(len(documents)), allow_pickle=True)
    return paths["doc"], paths["shuffle"], len(documents)


def _index_names(prefix):
    return prefix + "_doc_idx.npy", prefix + "_shuffle_idx.npy"


class IndexedDataset:
    def __init__(self, prefix, documents):
        doc_idx_file, shuffle_idx_file, _ = _build_index_mappings(prefix, documents)
        self.doc_idx = np.load(doc_idx_file, allow_pickle=True)  # ok: the index this module just built
        self.shuffle_idx = np.load(shuffle_idx_file, allow_pickle=True)  # ok: the same
        doc_name, _ = _index_names(prefix)
        self.names = np.load(doc_name, allow_pickle=True)  # expect: MLS104 (named, not written, by the helper)
