"""MLS102 torch-load-unsafe: checkpoints loaded without weights_only=True.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
import os
from functools import partial

import torch
import torch as T
import torch.serialization as ser
from torch import load as torch_load
from torch.serialization import load

from mylib import torch_utils

WEIGHTS_ONLY = True
LOAD_KWARGS = {"weights_only": True, "map_location": "cpu"}
UNSAFE_KWARGS = dict(weights_only=False)


def load_checkpoint(path, device):
    state = torch.load(path)  # expect: MLS102
    state = torch.load(path, map_location=device)  # expect: MLS102
    state = T.load(path, weights_only=False)  # expect: MLS102
    state = torch_load(path)  # expect: MLS102
    state = load(path, map_location="cpu")  # expect: MLS102
    state = ser.load(path)  # expect: MLS102
    state = torch.load(  # expect: MLS102
        path,
        map_location="cpu",
    )
    state = torch.load(path, **UNSAFE_KWARGS)  # expect: MLS102
    loader = functools.partial(torch.load, map_location=device)  # expect: MLS102
    lazy = partial(T.load, weights_only=False)  # expect: MLS102
    restore = lambda p: torch.load(p)  # expect: MLS102
    return state, loader, lazy, restore


def load_checkpoint_safely(path, device, trusted_flag):
    state = torch.load(path, weights_only=True)  # ok
    state = T.load(path, map_location=device, weights_only=WEIGHTS_ONLY)  # ok
    state = torch.load(path, **LOAD_KWARGS)  # ok
    state = torch.load(path, **{"weights_only": True})  # ok
    state = torch.load(path, weights_only=trusted_flag)  # ok: unresolvable, not guessed
    loader = functools.partial(torch.load, weights_only=True)  # ok
    state = loader(path)  # ok
    module = torch.jit.load("scripted.pt")  # ok: TorchScript, not a pickle loader
    state = torch_utils.load(path)  # ok: another library's load
    torch.save(state, path)  # ok: writing
    return state, module


def shadowed(torch, path):
    return torch.load(path)  # ok: `torch` is a parameter here, not the module


class CheckpointLoaderTest:
    def test_rejects_a_tampered_checkpoint(self):
        import pickle

        import pytest

        with pytest.raises(pickle.UnpicklingError):
            torch.load(TAMPERED_CHECKPOINT, weights_only=False)  # ok: the test expects it to fail
        torch.load(TAMPERED_CHECKPOINT, weights_only=False)  # expect: MLS102


def export_then_verify(model, export_path):
    torch.save(model, export_path)
    return torch.load(export_path)  # ok: written by this function just above


def test_checkpoint_round_trip(tmp_path):
    torch.save({"step": 1}, tmp_path / "ckpt.pt")
    assert torch.load(tmp_path / "ckpt.pt")["step"] == 1  # ok: a fresh temporary directory


def load_from_scratch(name):
    import tempfile

    return torch.load(os.path.join(tempfile.gettempdir(), name))  # expect: MLS102


def test_loads_the_release_checkpoint():
    import pytest

    torch_module = pytest.importorskip("torch")
    return torch_module.load(RELEASE_CHECKPOINT)  # expect: MLS102


def load_weights_any_torch(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)  # ok
    except TypeError:  # torch builds older than the weights_only argument
        return torch.load(path, map_location="cpu")  # ok: the fallback for old torch only


def _fragment_path(temp_dir, name, rank):
    return os.path.join(temp_dir, name, f"{rank:02d}.pt")


def merge_fragments(temp_dir, names, ranks):
    return [torch.load(_fragment_path(temp_dir, n, r), weights_only=False)  # ok: our own temp_dir
            for n in names for r in ranks]


class Batch:
    def __setstate__(self, state):
        self.tensors = torch.load(state["buffer"], weights_only=False)  # ok: already inside an unpickle


class CheckpointUpgrader:
    def __init__(self, path):
        self.path = path

    def upgrade(self):
        state = torch.load(self.path)  # expect: MLS102 (written back below: a load-convert-save, not a cache)
        state["version"] = 2
        torch.save(state, self.path)
        return state


class TokenisedCache:
    """The cache idiom: load the file if it exists, otherwise build it and save it. The write
    comes after the load in the source but never runs in the same pass."""

    def load_data(self):
        import os

        data_file = self.src_data_file.replace(".jsonl", "_tokenised")
        if os.path.exists(data_file):
            self.data = torch.load(data_file, map_location="cpu")  # ok: this method's own cache
        else:
            self.data = self.tokenise()
            torch.save(self.data, data_file)

    def load_features(self, path):
        import os

        if os.path.exists(path):
            return torch.load(path)  # ok: the cache idiom with an early return
        features = self.compute()
        torch.save(features, path)
        return features

    def refresh(self, path):
        import os

        if os.path.exists(path):
            state = torch.load(path)  # expect: MLS102 (loaded and written back in one pass)
            torch.save(self.update(state), path)

    def solve(self, solution_path, load_solution=False):
        if load_solution:
            return torch.load(solution_path)  # expect: MLS102 (a flag picks the caller's file: not a cache test)
        solution = self.compute()
        torch.save(solution, solution_path)
        return solution
