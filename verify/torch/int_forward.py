"""The integer ViT/DeiT forward pass on torch int64 tensors (numerics.md sections 2 and 7), batched.

Dataflow (section 2): x16 -LN-> a8 -qkv-> 8 ; q.k^T -> logit8 -Shiftmax-> p16 ; p.v -> 8 -proj-> 16 ;
+x -> res1 16 ; -LN-> 8 -fc1-> 8 -ShiftGELU-> -> 8 -fc2-> 16 ; +res1 -> res2 16. Head: final LN on the
class token -> 8 -> head -> int32 -> requant to the common logits scale (32 bits).

Layer names (docs/model-format.md "Layer hashes") are reported to an observer in forward order.
"""
from __future__ import annotations

from typing import Callable

import torch

import fqvit_ops as fqops
import int_ops as ops
import isvit_ops as isops
from qmodel import LIS_VFRAC_BITS, QModel, derive_fqvit_constants

I64 = torch.int64
Observer = Callable[[str, torch.Tensor], None]  # name, tensor [batch, ...]

ACT_BITS, RES_BITS, LOGIT_BITS = 8, 16, 32
SOFTMAX_N, SOFTMAX_K = 15, 16
GELU_N, GELU_K = 23, 8
# the isvit presets: their b (weights, linear inputs, SULQ codes); SULQ's widths (numerics-config.ts `sulq`)
ISVIT_PRESETS = {"isvit-w4a4": 4, "isvit-w3a3": 3}
SULQ_VSUM_BITS, SULQ_ACC_BITS = 16, 32


def pick_device(name: str | None = None) -> torch.device:
    """CUDA when available (or when asked), else the CPU."""
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    import platform

    cpu = platform.processor() or "unknown processor"
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return f"cpu: {platform.machine()}, {cpu}"


def extract_patches(images: torch.Tensor, patch: int) -> torch.Tensor:
    """[B, ch, H, W] -> [B, patches, ch*p*p]: patches row-major, each flattened as (in-channel, ky, kx)."""
    b, ch, h, w = images.shape
    side_y, side_x = h // patch, w // patch
    t = images.reshape(b, ch, side_y, patch, side_x, patch).permute(0, 2, 4, 1, 3, 5)
    return t.reshape(b, side_y * side_x, ch * patch * patch)


class IntViT:
    """Holds a model's integers on a device and runs the exact forward pass."""

    def __init__(self, model: QModel, device: torch.device, matmul: str = "f64", numerics: str = "pytorch") -> None:
        if matmul == "int64" and device.type != "cpu":
            raise ValueError("int64 matmul is available on the CPU only (use f64, which is exact)")
        self.model = model
        self.device = device
        self.matmul = matmul
        t = lambda a: torch.as_tensor(a.astype("int64"), device=device)  # noqa: E731
        k = model.constants
        self.patch_w, self.patch_b = t(model.patch.weight), t(model.patch.bias)
        self.cls, self.pos = t(model.cls), t(model.pos)
        self.blocks = []
        for i, blk in enumerate(model.blocks):
            kb = k["blocks"][i]
            self.blocks.append(
                {
                    "qkv": (t(blk.qkv.weight), t(blk.qkv.bias)),
                    "proj": (t(blk.proj.weight), t(blk.proj.bias)),
                    "fc1": (t(blk.fc1.weight), t(blk.fc1.bias)),
                    "fc2": (t(blk.fc2.weight), t(blk.fc2.bias)),
                    "ln1Bias": torch.tensor(kb["ln1Bias"], dtype=I64, device=device),
                    "ln2Bias": torch.tensor(kb["ln2Bias"], dtype=I64, device=device),
                }
            )
        self.norm_bias = torch.tensor(k["normBias"], dtype=I64, device=device)
        self.head_w, self.head_b = t(model.head.weight), t(model.head.bias)
        if numerics not in ("pytorch", "fqvit") + tuple(ISVIT_PRESETS):
            raise ValueError(f"numerics {numerics!r}: pytorch, fqvit, {', '.join(ISVIT_PRESETS)}")
        # fqvit: PTS LayerNorm, LIS attention (docs/numerics.md "FQ-ViT"), constants derived here (qmodel.py)
        self.fq = derive_fqvit_constants(model) if numerics == "fqvit" else None
        # isvit-*: b-bit inputs of qkv, proj, fc1, fc2 and SULQ attention (docs/numerics.md "I&S-ViT low-bit presets")
        self.low_bits = ACT_BITS
        self.sulq = None
        if numerics in ISVIT_PRESETS:
            bits = ISVIT_PRESETS[numerics]
            f = model.isvit
            if f is None:
                raise ValueError(f"--numerics {numerics}: the model carries no I&S-ViT fields (isvit metadata)")
            want = {"weightBits": bits, "inputBits": bits, "sulqBits": bits, "inputFracBits": SOFTMAX_K - 1}
            for key, v in want.items():
                if f[key] != v:
                    raise ValueError(f"--numerics {numerics}: the model's isvit.{key} is {f[key]}, the preset's is {v}")
            for name in ("qkv", "proj", "fc1", "fc2"):
                for i, blk in enumerate(self.blocks):
                    ops.check_signed(blk[name][0], bits, f"block{i}.{name} low-bit weight")
            self.low_bits = bits
            self.sulq = [isops.sulq_constants(e["eta"], bits, SOFTMAX_K - 1, e["pMin"], e["pMax"]) for e in f["sulq"]]

    def _ln(self, x: torch.Tensor, bias: torch.Tensor, rq: dict, fq: dict | None, bits: int = ACT_BITS) -> torch.Tensor:
        """I-LayerNorm + requant to `bits`, or (fqvit) requant to int8 at s*2^alpha_c + PTS LayerNorm."""
        if fq is None:
            return self._rq(ops.layernorm(x, bias), rq, bits)
        q = self._rq(x, fq["requant"], ACT_BITS)
        v = lambda key: torch.tensor(fq[key], dtype=I64, device=self.device)  # noqa: E731
        return fqops.pts_layernorm(q, v("alpha"), v("m"), v("n"), v("b"))

    def _lin(self, x: torch.Tensor, wb: tuple[torch.Tensor, torch.Tensor], what: str) -> torch.Tensor:
        return ops.linear(x, wb[0], wb[1], self.matmul, what)

    def _rq(self, z: torch.Tensor, d: dict, bits: int) -> torch.Tensor:
        return ops.requant(z, d, bits, self.device)

    def forward(self, images: torch.Tensor, observe: Observer | None = None) -> dict[str, torch.Tensor]:
        """images: int8 values [B, ch, H, W] (any integer dtype). Returns logits [B, K] and head accumulators."""
        obs: Observer = observe or (lambda name, x: None)
        mdl, k, dev = self.model, self.model.constants, self.device
        cfg = mdl.config
        c, heads, d = cfg["embedDim"], cfg["heads"], mdl.head_dim
        x = images.to(device=dev, dtype=I64)
        ops.check_signed(x, 8, "input image")
        bsz = x.shape[0]

        # Embedding (section 7): patch conv as a matmul, requant per channel to int16, class token first.
        acc = self._lin(extract_patches(x, cfg["patchSize"]), (self.patch_w, self.patch_b), "patch_embed")
        tok = self._rq(acc, k["patch"], RES_BITS)
        tok = torch.cat([self.cls.expand(bsz, 1, c), tok], dim=1)
        obs("patch", tok)
        x = ops.residual(tok, k["embed"]["main"], self.pos.expand(bsz, -1, -1), k["embed"]["skip"], RES_BITS, dev)
        obs("embed", x)

        for i, wb in enumerate(self.blocks):
            kb = k["blocks"][i]
            rq = kb["requant"]
            p = f"block{i}."
            t = x.shape[1]
            fb = self.fq["blocks"][i] if self.fq else None
            low = self.low_bits
            a1 = self._ln(x, wb["ln1Bias"], rq["ln1"], fb["ln1"] if fb else None, low)
            obs(p + "ln1", a1)
            qkv = self._rq(self._lin(a1, wb["qkv"], p + "qkv"), rq["qkv"], ACT_BITS)
            obs(p + "qkv", qkv)
            # columns are [q | k | v] x heads x head dim
            qkv5 = qkv.reshape(bsz, t, 3, heads, d).permute(2, 0, 3, 1, 4)  # [3, B, heads, T, d]
            q, kk, v = qkv5[0], qkv5[1], qkv5[2]
            logit_acc = ops.matmul_exact(q, kk.transpose(-1, -2), self.matmul)
            ops.check_signed(logit_acc, 32, p + "attn.qk accumulator")
            logits = self._rq(logit_acc, rq["logit"], ACT_BITS)  # d^-1/2 lives in this requant's ratio
            obs(p + "attn.logits", logits)
            if fb:
                lc = fb["lis"]
                codes, masked = fqops.lis(logits, lc["x0"], lc["b"], lc["c"], lc["bits"])
                obs(p + "attn.probs", torch.where(masked == 1, torch.full_like(codes, -1), codes))
                av_acc = fqops.lis_attn_v(codes, masked, v, LIS_VFRAC_BITS)
            elif self.sulq:
                probs = ops.shiftmax(logits, kb["softmaxX0"], SOFTMAX_N, SOFTMAX_K)
                codes = isops.sulq_codes(probs, self.sulq[i])
                obs(p + "attn.probs", codes)
                av_acc = isops.sulq_attn_v(codes, v, self.sulq[i], SULQ_VSUM_BITS, SULQ_ACC_BITS, self.matmul, p + "attn.pv")
            else:
                probs = ops.shiftmax(logits, kb["softmaxX0"], SOFTMAX_N, SOFTMAX_K)
                obs(p + "attn.probs", probs)
                av_acc = ops.matmul_exact(probs, v, self.matmul)  # [B, heads, T, d]
            ops.check_signed(av_acc, 32, p + "attn.pv accumulator")
            av_acc = av_acc.permute(0, 2, 1, 3).reshape(bsz, t, c)
            av = self._rq(av_acc, fb["av"] if fb else rq["av"], low)
            obs(p + "attn.av", av)
            proj = self._rq(self._lin(av, wb["proj"], p + "proj"), rq["proj"], RES_BITS)
            obs(p + "proj", proj)
            res1 = ops.residual(proj, kb["res1"]["main"], x, kb["res1"]["skip"], RES_BITS, dev)
            obs(p + "res1", res1)
            a2 = self._ln(res1, wb["ln2Bias"], rq["ln2"], fb["ln2"] if fb else None, low)
            obs(p + "ln2", a2)
            g = self._rq(self._lin(a2, wb["fc1"], p + "fc1"), rq["fc1"], ACT_BITS)
            obs(p + "fc1", g)
            h = self._rq(ops.shiftgelu(g, kb["geluX0"], GELU_N, GELU_K), rq["h"], low)
            obs(p + "gelu", h)
            f2 = self._rq(self._lin(h, wb["fc2"], p + "fc2"), rq["fc2"], RES_BITS)
            obs(p + "fc2", f2)
            x = ops.residual(f2, kb["res2"]["main"], res1, kb["res2"]["skip"], RES_BITS, dev)
            obs(p + "res2", x)

        # Head: LN is per token, so only the class token is normalised.
        head_in = self._ln(x[:, 0, :], self.norm_bias, k["headIn"], self.fq["norm"] if self.fq else None)
        obs("norm", head_in)
        head_acc = self._lin(head_in, (self.head_w, self.head_b), "head")
        obs("head", head_acc)
        logits = self._rq(head_acc, k["logits"], LOGIT_BITS)
        obs("logits", logits)
        return {"logits": logits, "head": head_acc}
