#!/usr/bin/env python3
"""Train the small ViT (model_def.py) on all 60k Fashion-MNIST training images, on the CPU, from a seed.

    /usr/bin/python3 verify/train/train_vit.py --seed 1 --epochs 12 --out verify/checkpoints/fashion-vit.safetensors

Deterministic for a given seed and thread count (torch.use_deterministic_algorithms, one generator for the
shuffle and the augmentation). AdamW with a linear warm-up and cosine decay, label smoothing 0.1, random
shifts of up to 2 pixels and horizontal flips. Prints the training loss and the top-1 on the first 1,000 test
images after every epoch (a cheap progress probe) and the top-1 on all 10,000 at the end; the checkpoint is
the float32 state dict in torchvision's naming, saved as safetensors with the architecture, seed, epochs,
training time and test top-1 in its metadata.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_data import MEAN, STD, normalise, read_images, read_labels  # noqa: E402
from model_def import ARCH, build_model, count_parameters  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402


PROBE_IMAGES = 1000  # the per-epoch progress figure; the full test set is evaluated once, at the end


def augment(x: torch.Tensor, gen: torch.Generator, shift: int = 2) -> torch.Tensor:
    """Random translation (zero-padded, in normalised units the background value) and horizontal flip."""
    n, _, h, w = x.shape
    background = float((0.0 - MEAN) / STD)
    padded = F.pad(x, (shift, shift, shift, shift), value=background)
    dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += int((model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum())
    return correct / len(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(args.seed)

    xtr = torch.from_numpy(normalise(read_images("train")))
    ytr = torch.from_numpy(read_labels("train").astype(np.int64))
    xte = torch.from_numpy(normalise(read_images("test")))
    yte = torch.from_numpy(read_labels("test").astype(np.int64))

    model = build_model()
    print(f"model: torchvision VisionTransformer {ARCH}, 1-channel conv_proj, {count_parameters(model)} parameters", flush=True)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos_embedding" not in n and "class_token" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos_embedding" not in n and "class_token" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = math.ceil(len(xtr) / args.batch)
    total = args.epochs * steps_per_epoch
    warmup = steps_per_epoch

    def lr_at(step: int) -> float:
        if step < warmup:
            return args.lr * (step + 1) / warmup
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))

    start = time.time()
    step = 0
    history = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        loss_sum = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i : i + args.batch]
            xb = augment(xtr[idx], gen)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=0.1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            loss_sum += float(loss) * len(idx)
            step += 1
        probe = evaluate(model, xte[:PROBE_IMAGES], yte[:PROBE_IMAGES])
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {loss_sum / len(xtr):.4f}, top-1 on the first {PROBE_IMAGES} test images {100 * probe:.1f}%, {time.time() - start:.0f} s", flush=True)

    final = evaluate(model, xte, yte)
    history.append(final)
    seconds = time.time() - start
    tensors = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    meta = {
        "format": "pytorch-state-dict",
        "naming": "torchvision",
        "config": json.dumps({**ARCH, "in_channels": 1, "norm_eps": 1e-6}),
        "preprocess": json.dumps({"dataset": "fashion-mnist", "mean": MEAN, "std": STD}),
        "training": json.dumps({
            "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "weight_decay": args.weight_decay,
            "threads": args.threads, "seconds": round(seconds), "test_top1": history[-1], "torch": torch.__version__,
        }),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_safetensors(args.out, tensors, meta)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes): test top-1 {100 * history[-1]:.2f}% after {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
