#!/usr/bin/env python3
"""The PyTorch columns of `ivit eval`: FP32 model, float32 fake-quant pass, exact int64 pass, on prepared inputs.

    /usr/bin/python3 verify/torch/eval_reference.py --model Q.safetensors --dir DIR --count N
        [--float F32.safetensors] [--device cpu|cuda] [--batch B] [--numerics pytorch|fqvit|isvit-w4a4|isvit-w3a3]

DIR holds what the TypeScript side wrote (verify/eval/torch-columns.ts), so both sides see the same images:
  inputs.i8   int8 [N, C, H, W]: the quantised model inputs (verify/data/preprocess.ts), used by the
              fake-quant and the int64 passes as they are;
  pixels.u8   uint8 [N, H, W] (square): the raw grey pixels, normalised here by fashion_data.normalise for the FP32 model;
  labels.u8   uint8 [N].
It writes into DIR:
  int64-logits.i64   int64 [N, K]: the exact integer pass's logits (compared element by element with the golden model);
  fakequant-argmax.i32, fp32-argmax.i32   int32 [N];
and prints one JSON object (environment, seconds per column, the FP32 top-1 count as a check of the labels).
--numerics fqvit runs the int64 pass with FQ-ViT's LIS attention and PTS LayerNorm (int_forward.IntViT, the code
run_reference.py uses) and skips the fake-quant pass: fq_forward.py is I-ViT's float32 semantics only, so
fakequant-argmax.i32 is not written and the summary says "fakeQuantOmitted".
Progress goes to stderr as JSON lines {"column": ..., "done": ..., "total": ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

from fq_forward import FakeQuantViT
from int_forward import IntViT
from qmodel import ModelFileError, load_model
from reference import environment, pick_device, setup_threads

TRAIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train")
sys.path.insert(0, TRAIN_DIR)
from fashion_data import MEAN, STD, normalise  # noqa: E402
from model_def import build_model  # noqa: E402
from safetensors_io import read_safetensors_f32  # noqa: E402

ARCH_KEYS = ("image_size", "patch_size", "num_layers", "num_heads", "hidden_dim", "mlp_dim", "num_classes")


# fq_forward.py is I-ViT's float32 pass (Shiftmax, I-LayerNorm); FQ-ViT's float LIS/PTS pass is not written
FAKEQUANT_OMITTED = "omitted (no FQ-ViT float pass)"


class EvalInputError(Exception):
    """A file this script was given is not what it expects (the message names it)."""


def progress(column: str, done: int, total: int) -> None:
    sys.stderr.write(json.dumps({"column": column, "done": done, "total": total}) + "\n")
    sys.stderr.flush()


def read_array(path: str, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    a = np.fromfile(path, dtype=dtype)
    if a.size != int(np.prod(shape)):
        raise EvalInputError(f"{path}: {a.size} values, expected {int(np.prod(shape))} for shape {list(shape)}")
    return a.reshape(shape)


def float_model(path: str) -> torch.nn.Module:
    """The FP32 torchvision ViT of verify/train/model_def.py, built from the checkpoint's config metadata."""
    tensors, meta = read_safetensors_f32(path)
    if meta.get("format") != "pytorch-state-dict" or meta.get("naming") != "torchvision" or "config" not in meta:
        raise EvalInputError(f"{path}: not a torchvision-named float checkpoint with a config (metadata format/naming/config)")
    cfg = json.loads(meta["config"])
    if cfg.get("in_channels", 1) != 1:
        raise EvalInputError(f"{path}: in_channels {cfg.get('in_channels')}; model_def.build_model makes 1-channel models")
    model = build_model({k: cfg[k] for k in ARCH_KEYS})
    eps = cfg.get("norm_eps", 1e-6)
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.eps = eps
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    except RuntimeError as e:
        raise EvalInputError(f"{path}: state dict does not fit the model ({str(e).splitlines()[0]})") from None
    return model.eval()


def batches(n: int, size: int):
    for start in range(0, n, size):
        yield start, min(n, start + size)


@torch.no_grad()
def fp32_column(ckpt: str, pixels: np.ndarray, batch: int) -> np.ndarray:
    model = float_model(ckpt)
    n = pixels.shape[0]
    out = np.empty(n, dtype=np.int32)
    for s, e in batches(n, batch):
        x = torch.from_numpy(normalise(pixels[s:e]))
        out[s:e] = model(x).argmax(dim=1).numpy()
        progress("fp32", e, n)
    return out


@torch.no_grad()
def fakequant_column(qm, inputs: np.ndarray, device: torch.device, batch: int) -> np.ndarray:
    fq = FakeQuantViT(qm, device)
    n = inputs.shape[0]
    out = np.empty(n, dtype=np.int32)
    for s, e in batches(n, batch):
        logits = fq.forward(torch.from_numpy(inputs[s:e].astype(np.int64)))["logits"]
        out[s:e] = logits.argmax(dim=1).to("cpu").numpy()  # torch.argmax: the first maximum on ties
        progress("fakequant", e, n)
    return out


@torch.no_grad()
def int64_column(qm, inputs: np.ndarray, device: torch.device, batch: int, numerics: str) -> np.ndarray:
    vit = IntViT(qm, device, numerics=numerics)
    n, k = inputs.shape[0], qm.config["numClasses"]
    out = np.empty((n, k), dtype=np.int64)
    for s, e in batches(n, batch):
        out[s:e] = vit.forward(torch.from_numpy(inputs[s:e].astype(np.int64)))["logits"].to("cpu").numpy()
        progress("int64", e, n)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--float", dest="float_ckpt", default=None)
    ap.add_argument("--device", default=None)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--numerics", default="pytorch", choices=["pytorch", "fqvit", "isvit-w4a4", "isvit-w3a3"])
    args = ap.parse_args()
    setup_threads()
    device = pick_device(args.device)
    try:
        qm = load_model(args.model)
        cfg = qm.config
        n, ch, size = args.count, cfg["inChannels"], cfg["imageSize"]
        inputs = read_array(os.path.join(args.dir, "inputs.i8"), "<i1", (n, ch, size, size))
        pix_path = os.path.join(args.dir, "pixels.u8")
        side = int(round((os.path.getsize(pix_path) / max(n, 1)) ** 0.5))
        pixels = read_array(pix_path, "u1", (n, side, side))
        labels = read_array(os.path.join(args.dir, "labels.u8"), "u1", (n,))
        seconds: dict[str, float] = {}
        summary: dict[str, object] = {**environment(device), "normalise": {"mean": MEAN, "std": STD}}
        if args.float_ckpt:
            t0 = time.perf_counter()
            fp = fp32_column(args.float_ckpt, pixels, args.batch)
            seconds["fp32"] = time.perf_counter() - t0
            fp.astype("<i4").tofile(os.path.join(args.dir, "fp32-argmax.i32"))
            summary["fp32Correct"] = int((fp == labels).sum())
        if args.numerics == "pytorch":
            t0 = time.perf_counter()
            fakequant_column(qm, inputs, device, args.batch).astype("<i4").tofile(os.path.join(args.dir, "fakequant-argmax.i32"))
            seconds["fakequant"] = time.perf_counter() - t0
        else:
            summary["fakeQuantOmitted"] = FAKEQUANT_OMITTED if args.numerics == "fqvit" else "omitted (no I&S-ViT float pass)"
        t0 = time.perf_counter()
        int64_column(qm, inputs, device, args.batch, args.numerics).astype("<i8").tofile(os.path.join(args.dir, "int64-logits.i64"))
        seconds["int64"] = time.perf_counter() - t0
    except (EvalInputError, ModelFileError, OSError, ValueError) as e:
        sys.stderr.write(json.dumps({"error": str(e)}) + "\n")
        return 2
    summary["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
