"""The tensor hash of docs/model-format.md: SHA-256 over the values as little-endian int32, first 16 hex digits."""
from __future__ import annotations

import hashlib

import torch


def tensor_hash(x: torch.Tensor) -> str:
    a = x.detach().to("cpu").to(torch.int64).numpy()
    if a.size and (a.min() < -(2**31) or a.max() > 2**31 - 1):
        raise OverflowError(f"tensor hash: values in [{a.min()}, {a.max()}] do not fit int32")
    return hashlib.sha256(a.astype("<i4").tobytes()).hexdigest()[:16]
