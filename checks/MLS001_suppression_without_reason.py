"""MLS001 suppression-without-reason: with `require-reason = true`, a comment that silences a
finding must say why.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be. The reason of a suppression is the text after its codes up to the
next `#`, so these annotations are never read as reasons. MLS001 comes from the CLI's suppression
step, not from a traversal: tests/test_suppressions.py runs this file through the CLI with
`require-reason = true` (the engine and flake8 see the raw MLS102 findings instead).
"""
import torch
from torch import load as torch_load


def restore(path, cache_dir):
    a = torch.load(path)  # noqa: MLS102  # expect: MLS001
    b = torch.load(path)  # noqa  # expect: MLS001
    c = torch.load(path)  # ml-seclint: ignore[MLS102]  # expect: MLS001
    d = torch_load(path)  # ml-seclint: ignore  # expect: MLS001
    e = torch.load(path)  # ml-seclint: ignore[MLS1] -  # expect: MLS001
    f = torch.load(path)  # noqa: MLS102 checkpoint written by our own trainer  # ok
    g = torch.load(path)  # noqa: MLS102 - sha256 checked in download()  # ok
    h = torch_load(path)  # ml-seclint: ignore[MLS102] signed release bucket, see SEC-123  # ok
    i = torch.load(path)  # noqa: MLS101  # expect: MLS102
    j = torch.load(path, weights_only=True)  # noqa  # ok: silences nothing, so no reason needed
    k = len(cache_dir)  # noqa: E501  # ok: not an ml-seclint code and nothing to silence
    return a, b, c, d, e, f, g, h, i, j, k
