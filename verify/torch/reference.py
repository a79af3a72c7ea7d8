"""Shared driver code: run the exact integer pass on images and summarise each run (hashes, argmax, top-5)."""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

import numpy as np
import torch

from hashing import tensor_hash
from int_forward import IntViT, device_description, pick_device
from qmodel import QModel, constant_mismatches


def setup_threads() -> None:
    """The CI machine is small and shared: one or two threads (IVIT_TORCH_THREADS overrides)."""
    torch.set_num_threads(int(os.environ.get("IVIT_TORCH_THREADS", "2")))


@dataclass
class ImageRun:
    checksum: str
    argmax: int
    top5: list[list[int]]  # [class, logit], largest first (lower class first on ties)
    layers: dict[str, str]  # layer name -> tensor hash, in forward order


def top_k(logits: torch.Tensor, k: int = 5) -> list[list[int]]:
    vals = logits.to("cpu").tolist()
    order = sorted(range(len(vals)), key=lambda i: (-vals[i], i))[:k]
    return [[i, int(vals[i])] for i in order]


def argmax_first(logits: torch.Tensor) -> int:
    """Index of the largest value, the first one on ties (as the golden model does)."""
    vals = logits.to("cpu").tolist()
    best = 0
    for i, v in enumerate(vals):
        if v > vals[best]:
            best = i
    return best


def run_images(model: QModel, images: list[np.ndarray], device: torch.device, matmul: str = "f64",
               batch: int = 4, numerics: str = "pytorch") -> tuple[list[ImageRun], float]:
    """The integer pass over `images` in batches; returns one summary per image and the seconds taken."""
    vit = IntViT(model, device, matmul, numerics)
    runs: list[ImageRun] = []
    t0 = time.perf_counter()
    for start in range(0, len(images), batch):
        chunk = images[start : start + batch]
        x = torch.from_numpy(np.stack([im.astype(np.int64) for im in chunk]))
        layers: list[dict[str, str]] = [{} for _ in chunk]

        def observe(name: str, t: torch.Tensor) -> None:
            for j in range(len(chunk)):
                layers[j][name] = tensor_hash(t[j])

        out = vit.forward(x, observe)
        for j in range(len(chunk)):
            lg = out["logits"][j]
            runs.append(ImageRun(tensor_hash(lg), argmax_first(lg), top_k(lg), layers[j]))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return runs, time.perf_counter() - t0


def environment(device: torch.device) -> dict[str, str]:
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device_description(device),
    }


def constants_report(model: QModel) -> dict[str, object]:
    """The independent check of the stored constants: this derivation against the file's metadata."""
    mism = constant_mismatches(model)
    return {"agree": not mism, "mismatches": mism}


__all__ = ["ImageRun", "run_images", "environment", "constants_report", "pick_device", "setup_threads", "top_k"]
