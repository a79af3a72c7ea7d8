#!/usr/bin/env python3
"""The integer Swin Transformer on torch int64 tensors, written from docs/numerics.md "Swin forward pass".

    /usr/bin/python3 verify/torch/swin_forward.py --model M.safetensors --image I.safetensors [--device cpu|cuda]
        [--matmul f64|int64]

Prints one JSON object: the logits checksum, argmax and the hash of every layer (named as the golden model's).
The window geometry is the reference Swin's own construction (torch.roll, window_partition by view/permute,
relative_position_index from coordinate grids, the attention mask from img_mask slices), not the TypeScript
token orders; the integer ops are int_ops.py's; the constants are derived here from the file's float32 scales.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

import numpy as np
import torch

import int_ops as ops
from hashing import tensor_hash
from int_forward import extract_patches, pick_device
from qmodel import F32, ModelFileError, dyadic_vec, exp_x0, fl32, linear_scales, ln_bias, ln_out_scales, read_safetensors

I64 = torch.int64
ACT_BITS, RES_BITS, LOGIT_BITS = 8, 16, 32
BIAS_BITS, BIASED_BITS, POOL_BITS = 8, 16, 32  # SWIN_WIDTHS
SOFTMAX_N, SOFTMAX_K = 15, 16
GELU_N, GELU_K = 23, 8
Observer = Callable[[str, torch.Tensor], None]


def stage_shapes(cfg: dict[str, Any]) -> list[dict[str, int]]:
    side = cfg["imageSize"] // cfg["patchSize"]
    out = []
    for s, (depth, heads) in enumerate(zip(cfg["depths"], cfg["heads"])):
        if s > 0:
            side //= 2
        window = min(cfg["windowSize"], side)
        dim = cfg["embedDim"] * 2**s
        out.append({"side": side, "dim": dim, "heads": heads, "head_dim": dim // heads, "depth": depth, "window": window,
                    "shift": window // 2 if window < side else 0})
    return out


def window_partition(x: torch.Tensor, w: int) -> torch.Tensor:
    """[B, H, W, C] -> [B, windows, w*w, C], windows row-major, tokens row-major in each (the reference's)."""
    b, h, wd, c = x.shape
    return x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(b, (h // w) * (wd // w), w * w, c)


def window_reverse(x: torch.Tensor, w: int, side: int) -> torch.Tensor:
    """[B, windows, w*w, C] -> [B, side, side, C]."""
    b, _, _, c = x.shape
    return x.view(b, side // w, side // w, w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(b, side, side, c)


def relative_position_index(w: int) -> torch.Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)  # [2, w*w]
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
    return rel[:, :, 0] * (2 * w - 1) + rel[:, :, 1]  # [w*w, w*w]


def masked_pairs(side: int, w: int, shift: int) -> torch.Tensor:
    """[windows, w*w, w*w] bool: the pairs the reference fills with -100 (img_mask regions differ)."""
    img = torch.zeros(1, side, side, 1, dtype=I64)
    cnt = 0
    for hs in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
        for ws in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
            img[:, hs, ws, :] = cnt
            cnt += 1
    mw = window_partition(img, w)[0, :, :, 0]  # [windows, w*w]
    return mw[:, None, :] != mw[:, :, None]


def log2e_shift_add(d: int) -> int:
    return d + (d >> 1) - (d >> 4)


class SwinFile:
    """A quantised Swin model file (docs/model-format.md "Swin"), with every integer constant derived from its scales."""

    def __init__(self, path: str) -> None:
        tensors, meta = read_safetensors(path)
        if meta.get("format") != "ivit-qswin":
            raise ModelFileError(f"{path}: not an I-ViT quantised Swin model (format {meta.get('format')!r})")
        self.t = tensors
        self.config = json.loads(meta["config"])
        self.scales = json.loads(meta["scales"])
        self.shapes = stage_shapes(self.config)

    def ln(self, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        return self.t[f"{prefix}.gamma"], self.t[f"{prefix}.beta"]

    def derive(self) -> dict[str, Any]:
        sc = {k: F32(v) for k, v in self.scales.items() if k != "stages"}
        t = self.t
        ws = lambda p: t[f"{p}.weight_scale"]  # noqa: E731
        k: dict[str, Any] = {
            "patch": dyadic_vec(linear_scales(sc["input"], ws("patch_embed.proj")), sc["patch"]),
            "patchNorm": dyadic_vec(ln_out_scales(self.ln("patch_embed.norm")[0]), sc["embed"]),
            "patchNormBias": ln_bias(*self.ln("patch_embed.norm")),
            "stages": [],
        }
        s_x = sc["embed"]
        for s, sh in enumerate(self.shapes):
            st = self.scales["stages"][s]
            blocks = []
            for i in range(sh["depth"]):
                p = f"layers.{s}.blocks.{i}"
                b = {key: F32(v) for key, v in st["blocks"][i].items()}
                x0 = exp_x0(b["logit"])
                if sh["shift"] and log2e_shift_add(-(2 ** (BIASED_BITS - 1)) + 256) > SOFTMAX_N * x0:
                    raise ModelFileError(f"stage{s}.block{i}.attn.mask: x0 = {x0} does not let the mask reach the clamp")
                blocks.append({
                    "ln1": dyadic_vec(ln_out_scales(self.ln(f"{p}.norm1")[0]), b["a1"]),
                    "ln1Bias": ln_bias(*self.ln(f"{p}.norm1")),
                    "qkv": dyadic_vec(linear_scales(b["a1"], ws(f"{p}.attn.qkv")), b["qkv"]),
                    "logit": dyadic_vec(F32(F32(b["qkv"] * b["qkv"]) * fl32(sh["head_dim"] ** -0.5)), b["logit"]),
                    "softmaxX0": x0,
                    "av": dyadic_vec(F32(F32(2.0 ** -(SOFTMAX_K - 1)) * b["qkv"]), b["av"]),
                    "proj": dyadic_vec(linear_scales(b["av"], ws(f"{p}.attn.proj")), b["proj"]),
                    "res1": {"main": dyadic_vec(b["proj"], b["res1"]), "skip": dyadic_vec(s_x, b["res1"])},
                    "ln2": dyadic_vec(ln_out_scales(self.ln(f"{p}.norm2")[0]), b["a2"]),
                    "ln2Bias": ln_bias(*self.ln(f"{p}.norm2")),
                    "fc1": dyadic_vec(linear_scales(b["a2"], ws(f"{p}.mlp.fc1")), b["gelu"]),
                    "geluX0": exp_x0(F32(b["gelu"] * fl32(1.702))),
                    "h": dyadic_vec(F32(b["gelu"] * F32(2.0 ** -(GELU_K - 1))), b["h"]),
                    "fc2": dyadic_vec(linear_scales(b["h"], ws(f"{p}.mlp.fc2")), b["fc2"]),
                    "res2": {"main": dyadic_vec(b["fc2"], b["res2"]), "skip": dyadic_vec(b["res1"], b["res2"])},
                })
                s_x = b["res2"]
            stage: dict[str, Any] = {"blocks": blocks}
            if "merge" in st:
                p = f"layers.{s}.downsample"
                m = {key: F32(v) for key, v in st["merge"].items()}
                stage["merge"] = {
                    "norm": dyadic_vec(ln_out_scales(self.ln(f"{p}.norm")[0]), m["normOut"]),
                    "normBias": ln_bias(*self.ln(f"{p}.norm")),
                    "reduction": dyadic_vec(linear_scales(m["normOut"], ws(f"{p}.reduction")), m["reductionOut"]),
                }
                s_x = m["reductionOut"]
            k["stages"].append(stage)
        k["headIn"] = dyadic_vec(ln_out_scales(self.ln("norm")[0]), sc["headIn"])
        k["normBias"] = ln_bias(*self.ln("norm"))
        k["logits"] = dyadic_vec(linear_scales(sc["headIn"], ws("head")), sc["logits"])
        return k


class IntSwin:
    def __init__(self, model: SwinFile, device: torch.device, matmul: str = "f64") -> None:
        if matmul == "int64" and device.type != "cpu":
            raise ValueError("int64 matmul is available on the CPU only (use f64, which is exact)")
        self.m, self.dev, self.mm = model, device, matmul
        self.k = model.derive()

    def w(self, name: str) -> torch.Tensor:
        return torch.as_tensor(self.m.t[name].astype("int64"), device=self.dev)

    def lin(self, x: torch.Tensor, prefix: str, what: str, bias: bool = True) -> torch.Tensor:
        wt = self.w(f"{prefix}.weight")
        wt = wt.reshape(wt.shape[0], -1)
        return ops.linear(x, wt, self.w(f"{prefix}.bias") if bias else None, self.mm, what)

    def rq(self, z: torch.Tensor, d: dict, bits: int) -> torch.Tensor:
        return ops.requant(z, d, bits, self.dev)

    def ln(self, x: torch.Tensor, bias: list[int], d: dict, bits: int) -> torch.Tensor:
        ops.check_signed(x, RES_BITS, "layernorm input")
        return self.rq(ops.layernorm(x, torch.tensor(bias, dtype=I64, device=self.dev)), d, bits)

    def block(self, s: int, i: int, x: torch.Tensor, obs: Observer) -> torch.Tensor:
        sh, kb, dev = self.m.shapes[s], self.k["stages"][s]["blocks"][i], self.dev
        p, name = f"layers.{s}.blocks.{i}", f"stage{s}.block{i}."
        bsz, side, c, heads, d, w = x.shape[0], sh["side"], sh["dim"], sh["heads"], sh["head_dim"], sh["window"]
        n = w * w
        shift = sh["shift"] if i % 2 == 1 else 0
        a1 = self.ln(x, kb["ln1Bias"], kb["ln1"], ACT_BITS)
        obs(name + "ln1", a1)
        g = a1.view(bsz, side, side, c)
        if shift:
            g = torch.roll(g, shifts=(-shift, -shift), dims=(1, 2))
        win = window_partition(g, w)  # [B, windows, n, C]
        nw = win.shape[1]
        qkv = self.rq(self.lin(win, f"{p}.attn.qkv", name + "qkv"), kb["qkv"], ACT_BITS)
        obs(name + "qkv", qkv)
        q, kk, v = qkv.reshape(bsz, nw, n, 3, heads, d).permute(3, 0, 1, 4, 2, 5)  # each [B, windows, heads, n, d]
        acc = ops.matmul_exact(q, kk.transpose(-1, -2), self.mm)
        ops.check_signed(acc, 32, name + "attn.qk accumulator")
        logits = self.rq(acc, kb["logit"], ACT_BITS)
        obs(name + "attn.logits", logits)
        table = self.w(f"{p}.attn.relative_position_bias_table")  # [(2w-1)^2, heads]
        ops.check_signed(table, BIAS_BITS, name + "attn.bias")
        rpi = relative_position_index(w).to(dev)
        bias = table[rpi.reshape(-1)].reshape(n, n, heads).permute(2, 0, 1)  # [heads, n, n]
        biased = ops.clamp_signed(logits + bias, BIASED_BITS)
        if shift:
            mask = masked_pairs(side, w, shift).to(dev)[None, :, None, :, :]
            biased = torch.where(mask, torch.full_like(biased, -(2 ** (BIASED_BITS - 1))), biased)
        obs(name + "attn.biased", biased)
        probs = ops.shiftmax(biased, kb["softmaxX0"], SOFTMAX_N, SOFTMAX_K)
        obs(name + "attn.probs", probs)
        av_acc = ops.matmul_exact(probs, v, self.mm)
        ops.check_signed(av_acc, 32, name + "attn.pv accumulator")
        av = self.rq(av_acc.permute(0, 1, 3, 2, 4).reshape(bsz, nw, n, c), kb["av"], ACT_BITS)
        obs(name + "attn.av", av)
        pw = self.rq(self.lin(av, f"{p}.attn.proj", name + "proj"), kb["proj"], RES_BITS)
        back = window_reverse(pw, w, side)
        if shift:
            back = torch.roll(back, shifts=(shift, shift), dims=(1, 2))
        proj = back.reshape(bsz, side * side, c)
        obs(name + "proj", proj)
        res1 = ops.residual(proj, kb["res1"]["main"], x, kb["res1"]["skip"], RES_BITS, dev)
        obs(name + "res1", res1)
        a2 = self.ln(res1, kb["ln2Bias"], kb["ln2"], ACT_BITS)
        obs(name + "ln2", a2)
        g1 = self.rq(self.lin(a2, f"{p}.mlp.fc1", name + "fc1"), kb["fc1"], ACT_BITS)
        obs(name + "fc1", g1)
        h = self.rq(ops.shiftgelu(g1, kb["geluX0"], GELU_N, GELU_K), kb["h"], ACT_BITS)
        obs(name + "gelu", h)
        f2 = self.rq(self.lin(h, f"{p}.mlp.fc2", name + "fc2"), kb["fc2"], RES_BITS)
        obs(name + "fc2", f2)
        res2 = ops.residual(f2, kb["res2"]["main"], res1, kb["res2"]["skip"], RES_BITS, dev)
        obs(name + "res2", res2)
        return res2

    def merge(self, s: int, x: torch.Tensor, obs: Observer) -> torch.Tensor:
        sh, km = self.m.shapes[s], self.k["stages"][s]["merge"]
        bsz, side, c = x.shape[0], sh["side"], sh["dim"]
        g = x.view(bsz, side, side, c)
        cat = torch.cat([g[:, 0::2, 0::2], g[:, 1::2, 0::2], g[:, 0::2, 1::2], g[:, 1::2, 1::2]], dim=-1)
        cat = cat.reshape(bsz, (side // 2) ** 2, 4 * c)
        obs(f"stage{s}.merge.gather", cat)
        normed = self.ln(cat, km["normBias"], km["norm"], ACT_BITS)
        obs(f"stage{s}.merge.norm", normed)
        red = self.lin(normed, f"layers.{s}.downsample.reduction", f"stage{s}.merge.reduction", bias=False)
        out = self.rq(red, km["reduction"], RES_BITS)
        obs(f"stage{s}.merge.reduction", out)
        return out

    def forward(self, images: torch.Tensor, observe: Observer | None = None) -> torch.Tensor:
        obs: Observer = observe or (lambda name, t: None)
        cfg, k = self.m.config, self.k
        x = images.to(device=self.dev, dtype=I64)
        ops.check_signed(x, 8, "input image")
        patch = self.rq(self.lin(extract_patches(x, cfg["patchSize"]), "patch_embed.proj", "patch_embed"), k["patch"], RES_BITS)
        obs("patch", patch)
        x = self.ln(patch, k["patchNormBias"], k["patchNorm"], RES_BITS)
        obs("patch_norm", x)
        for s, sh in enumerate(self.m.shapes):
            for i in range(sh["depth"]):
                x = self.block(s, i, x, obs)
            if "merge" in k["stages"][s]:
                x = self.merge(s, x, obs)
        normed = self.ln(x, k["normBias"], k["headIn"], ACT_BITS)
        obs("norm", normed)
        tokens = normed.shape[1]
        total = normed.sum(dim=1)
        ops.check_signed(total, POOL_BITS, "average-pool sum")
        pooled = torch.div(2 * total + tokens, 2 * tokens, rounding_mode="floor")  # round half up
        obs("pool", pooled)
        head = self.lin(pooled, "head", "head")
        obs("head", head)
        logits = self.rq(head, k["logits"], LOGIT_BITS)
        obs("logits", logits)
        return logits


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--device", default=None)
    ap.add_argument("--matmul", default="f64", choices=["f64", "int64"])
    args = ap.parse_args()
    device = pick_device(args.device)
    model = SwinFile(args.model)
    image = read_safetensors(args.image)[0]["image"]
    layers: dict[str, str] = {}
    logits = IntSwin(model, device, args.matmul).forward(
        torch.from_numpy(image.astype("int64"))[None], lambda name, t: layers.__setitem__(name, tensor_hash(t[0]))
    )[0]
    out = {"torch": torch.__version__, "device": str(device), "matmul": args.matmul, "checksum": tensor_hash(logits),
           "argmax": int(torch.argmax(logits)), "layers": layers}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
