#!/usr/bin/env python3
"""Test fixtures for ivit import, made with Debian's PyTorch (torch 1.13, torchvision 0.14, onnx):

    /usr/bin/python3 test/import/make_checkpoints.py --out DIR [--seed S] [--images K]

A small torchvision VisionTransformer (verify/train/model_def.py's build_model: 1-channel conv_proj),
randomly initialised from the seed with every parameter perturbed (torchvision zero-initialises the head and
the class token), then trained for a few hundred steps on Fashion-MNIST (about 75% top-1 in ~4 s, so that
its predictions depend on the image and float and integer argmaxes can be compared), then written as:

  tv.safetensors     its state dict, torchvision naming, F32, with config/preprocess metadata (as training writes)
  timm.safetensors   the same weights in timm/DeiT naming, no metadata
  vit17.onnx         torch.onnx.export at opset 17 (LayerNormalization nodes), checked by onnx.checker
  vit13.onnx         opset 13 (LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div)
  timm-module.onnx   the same weights in a timm-style module (fused qkv Linear reshaped to [B, N, 3, heads, d],
                     x[:, 0] after the final norm), exported at opset 14 with a dynamic batch axis
  tanh-gelu.onnx     the same model with GELU's tanh approximation (an unsupported op: Tanh)
  meanpool.onnx      the same model classifying the mean of all tokens (supported ops, unsupported structure)
  logits.json        PyTorch's float logits of the first K Fashion-MNIST test images, and their labels
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "verify", "train"))

import torch.nn.functional as F  # noqa: E402
from fashion_data import MEAN, STD, normalise, read_images, read_labels  # noqa: E402
from model_def import build_model  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

ARCH = dict(image_size=28, patch_size=7, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)


def perturb(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Give every parameter a non-trivial random value (LayerNorm gains near 1, small biases)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln.weight")):
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("bias") or "ln" in name:
                p.copy_(0.05 * noise)
            elif name == "class_token" or name == "encoder.pos_embedding":
                p.copy_(0.3 * noise)
            elif name == "heads.head.weight":
                p.copy_(noise / p.shape[1] ** 0.5 * 3)
            else:
                p.add_(0.02 * noise)


def train_briefly(model: torch.nn.Module, gen: torch.Generator, steps: int) -> None:
    """A few Adam steps on the first 8192 training images (deterministic: one thread, seeded batches)."""
    x = torch.from_numpy(normalise(read_images("train")[:8192]))
    y = torch.from_numpy(read_labels("train")[:8192]).long()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (128,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def timm_name(k: str) -> str:
    """torchvision VisionTransformer key -> timm/DeiT key."""
    fixed = {"conv_proj.weight": "patch_embed.proj.weight", "conv_proj.bias": "patch_embed.proj.bias",
             "class_token": "cls_token", "encoder.pos_embedding": "pos_embed",
             "encoder.ln.weight": "norm.weight", "encoder.ln.bias": "norm.bias",
             "heads.head.weight": "head.weight", "heads.head.bias": "head.bias"}
    if k in fixed:
        return fixed[k]
    prefix, rest = k[len("encoder.layers.encoder_layer_"):].split(".", 1)
    sub = {"ln_1.": "norm1.", "ln_2.": "norm2.", "self_attention.in_proj_weight": "attn.qkv.weight",
           "self_attention.in_proj_bias": "attn.qkv.bias", "self_attention.out_proj.": "attn.proj.",
           "mlp.0.": "mlp.fc1.", "mlp.3.": "mlp.fc2."}
    for a, b in sub.items():
        if rest.startswith(a):
            return f"blocks.{prefix}.{b}{rest[len(a):]}"
    raise KeyError(k)


class TimmAttention(torch.nn.Module):
    """timm's Attention: one qkv Linear, reshaped to (3, B, heads, N, d)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, c))


class TimmBlock(torch.nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.mlp = torch.nn.Sequential()
        self.mlp.add_module("fc1", torch.nn.Linear(dim, mlp))
        self.mlp.add_module("act", torch.nn.GELU())
        self.mlp.add_module("fc2", torch.nn.Linear(mlp, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TimmViT(torch.nn.Module):
    """timm's VisionTransformer forward (class token, absolute position embedding), with timm's names."""

    def __init__(self, a: dict) -> None:
        super().__init__()
        c = a["hidden_dim"]
        self.patch_embed = torch.nn.Module()
        self.patch_embed.proj = torch.nn.Conv2d(1, c, a["patch_size"], a["patch_size"])
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, c))
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, (a["image_size"] // a["patch_size"]) ** 2 + 1, c))
        self.blocks = torch.nn.Sequential(*[TimmBlock(c, a["num_heads"], a["mlp_dim"]) for _ in range(a["num_layers"])])
        self.norm = torch.nn.LayerNorm(c, eps=1e-6)
        self.head = torch.nn.Linear(c, a["num_classes"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(x))[:, 0])


def export_onnx(model: torch.nn.Module, path: str, opset: int, dynamic_batch: bool = False) -> None:
    import onnx

    x = torch.zeros(1, 1, ARCH["image_size"], ARCH["image_size"])
    axes = {"image": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["image"], output_names=["logits"], dynamic_axes=axes)
    onnx.checker.check_model(onnx.load(path))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = build_model(ARCH)
    perturb(model, gen)
    train_briefly(model, gen, args.steps)
    model.eval()
    os.makedirs(args.out, exist_ok=True)

    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    meta = {"format": "pytorch-state-dict", "naming": "torchvision",
            "config": json.dumps({**ARCH, "in_channels": 1, "norm_eps": 1e-6}),
            "preprocess": json.dumps({"dataset": "fashion-mnist", "mean": MEAN, "std": STD})}
    write_safetensors(os.path.join(args.out, "tv.safetensors"), sd, meta)
    write_safetensors(os.path.join(args.out, "timm.safetensors"), {timm_name(k): v for k, v in sd.items()}, {})
    timm = TimmViT(ARCH)
    timm.load_state_dict({timm_name(k): v for k, v in model.state_dict().items()})
    timm.eval()
    export_onnx(timm, os.path.join(args.out, "timm-module.onnx"), 14, dynamic_batch=True)

    export_onnx(model, os.path.join(args.out, "vit17.onnx"), 17)
    export_onnx(model, os.path.join(args.out, "vit13.onnx"), 13)
    for blk in model.encoder.layers:
        blk.mlp[1] = torch.nn.GELU(approximate="tanh")
    export_onnx(model, os.path.join(args.out, "tanh-gelu.onnx"), 17)
    for blk in model.encoder.layers:
        blk.mlp[1] = torch.nn.GELU()

    def mean_pool_forward(x: torch.Tensor) -> torch.Tensor:
        t = model._process_input(x)
        t = torch.cat([model.class_token.expand(t.shape[0], -1, -1), t], dim=1)
        return model.heads(model.encoder(t).mean(dim=1))

    model.forward = mean_pool_forward
    export_onnx(model, os.path.join(args.out, "meanpool.onnx"), 17)
    del model.forward

    images = read_images("test")[: args.images]
    with torch.no_grad():
        logits = model(torch.from_numpy(normalise(images))).double().numpy()
    with open(os.path.join(args.out, "logits.json"), "w") as f:
        json.dump({"torch": torch.__version__, "logits": logits.tolist(), "labels": read_labels("test")[: args.images].tolist()}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
