"""The forward pass computed the way the published I-ViT PyTorch code computes it: fake-quant in float32.

This mode exists to MEASURE how far a float32 "integer" pipeline drifts from exact integers
(numerics.md section 6); it is not meant to match anything. Its rules, restated from section 6:

* Between modules a tensor travels as a float32 "real" value R = fl32(I * S) with its float32 scale S.
* Every module recovers its integers as I' = R / S in float32, which is not always an integer.
* Requant points (QuantAct) re-round: z = round(R / S_in), then round(double(z) * double(m) / 2^c)
  in float64 (exact only below 2^53), residual branches likewise, the sum clamped, held as float32.
* Linear/conv and q.k^T, p.v run as float32 GEMMs on the unrounded I'; their output is acc * S.
* Shiftmax, ShiftGELU and I-LayerNorm run their integer recipes on float32 tensors, with floor() for
  every floor, 2^31 - 1 becoming 2^31 in float32, and the float32 mean in LayerNorm.

`forward` records, per named layer, the values the layer produced in "integer units" (the requant output
before it is multiplied by its scale; the Shiftmax exp values; the head's accumulators) so they can be
compared with the exact integer pass. With `teacher` (the exact integers of every layer) each layer's
output is replaced by the exact one before the next layer runs, which isolates each layer's own drift.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from qmodel import QModel

F32 = torch.float32
Recorder = Callable[[str, torch.Tensor], None]

INT31_MAX = 2**31 - 1


class FakeQuantViT:
    def __init__(self, model: QModel, device: torch.device) -> None:
        self.model = model
        self.device = device
        self.k = model.constants
        self.ss = model.site_scales

    # ----- helpers ---------------------------------------------------------------------------------------

    def f32(self, a: np.ndarray | float | list) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.float32), device=self.device)

    def _requant(self, r: torch.Tensor, s_in: torch.Tensor, d: dict, bits: int,
                 ident: tuple[torch.Tensor, torch.Tensor, dict] | None = None) -> torch.Tensor:
        """QuantAct's fixed-point path: round(R/S_in), times m in float64, / 2^c, round; clamp in float32."""
        m = torch.as_tensor(d["m"], dtype=torch.float64, device=self.device)
        c = torch.as_tensor(d["c"], dtype=torch.float64, device=self.device)
        z = torch.round(r / s_in)  # float32 divide and round
        out = torch.round(z.to(torch.float64) * m / torch.pow(2.0, c))
        if ident is not None:
            r2, s2, d2 = ident
            m2 = torch.as_tensor(d2["m"], dtype=torch.float64, device=self.device)
            c2 = torch.as_tensor(d2["c"], dtype=torch.float64, device=self.device)
            z2 = torch.round(r2 / s2)
            out = out + torch.round(z2.to(torch.float64) * m2 / torch.pow(2.0, c2))
        lim = float(2 ** (bits - 1))
        return torch.clamp(out.to(F32), -lim, lim - 1)

    def _emit(self, name: str, i: torch.Tensor, rec: Recorder, teacher: dict[str, torch.Tensor] | None) -> torch.Tensor:
        rec(name, i)
        if teacher is not None:
            return teacher[name].to(device=self.device, dtype=F32)
        return i

    @staticmethod
    def _int_exp_shift(x_int: torch.Tensor, s: torch.Tensor, n: int) -> torch.Tensor:
        """The reference's shift-exp on float32 (x0 from the float32 scale inside the module)."""
        x_int = x_int + torch.floor(x_int / 2) - torch.floor(x_int / 2**4)
        x0 = torch.floor(-1.0 / s)
        x_int = torch.maximum(x_int, n * x0)
        q = torch.floor(x_int / x0)
        r = x_int - x0 * q
        e = r / 2 - x0
        return torch.clamp(torch.floor(e * torch.pow(torch.tensor(2.0, dtype=F32, device=x_int.device), n - q)), min=0)

    def _layernorm(self, r: torch.Tensor, s: torch.Tensor, gamma: np.ndarray, beta: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """IntLayerNorm as published: float32 everywhere, eps ignored. Returns (R_out, per-channel S_out)."""
        c = r.shape[-1]
        x_int = r / s
        mean_int = torch.round(x_int.mean(dim=-1, keepdim=True))
        y_int = x_int - mean_int
        var_int = torch.sum(y_int**2, dim=-1, keepdim=True)
        k: torch.Tensor | int = 2**16
        for _ in range(10):
            k = torch.floor((k + torch.floor(var_int / k)) / 2)
        std_int = k
        factor = torch.floor(INT31_MAX / std_int)  # 2^31 - 1 rounds to 2^31 in float32
        y_int = torch.floor(y_int * factor / 2)
        dim_sqrt = torch.sqrt(torch.tensor(float(c), dtype=F32, device=self.device))
        s_n = dim_sqrt / 2**30
        g, b = self.f32(gamma), self.f32(beta)
        bias_int = torch.floor((b / g) / s_n)
        y_int = y_int + bias_int
        s_out = s_n * g
        return y_int * s_out, s_out

    def _linear(self, r: torch.Tensor, s_x: torch.Tensor, w: np.ndarray, b: np.ndarray, w_scale: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x_int = r / s_x
        s_acc = self.f32(w_scale) * s_x
        acc = F.linear(x_int, self.f32(w), self.f32(b))
        return acc * s_acc, s_acc

    # ----- the pass --------------------------------------------------------------------------------------

    def forward(self, images: torch.Tensor, record: Recorder | None = None,
                teacher: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        rec: Recorder = record or (lambda name, x: None)
        mdl, k, dev = self.model, self.k, self.device
        cfg, sc = mdl.config, mdl.scales
        c, heads, d = cfg["embedDim"], cfg["heads"], mdl.head_dim
        p = cfg["patchSize"]
        bsz = images.shape[0]
        S = lambda v: self.f32(v)  # noqa: E731  (float32 scale tensor)

        s_in = S(sc["input"])
        r = images.to(device=dev, dtype=F32) * s_in  # qact_input output
        # patch embedding: QuantConv2d on the recovered integers, then patch_embed.qact to int16
        x_int = r / s_in
        w = self.f32(mdl.patch.weight.reshape(c, cfg["inChannels"], p, p))
        s_acc = self.f32(mdl.patch.scale) * s_in
        acc = F.conv2d(x_int, w, self.f32(mdl.patch.bias), stride=p).flatten(2).transpose(1, 2)  # [B, N, C]
        r_acc = acc * s_acc
        i_patch = self._requant(r_acc, s_acc, k["patch"], 16)
        s_p = S(sc["patch"])
        tok = torch.cat([self.f32(mdl.cls).expand(bsz, 1, c), i_patch], dim=1)
        tok = self._emit("patch", tok, rec, teacher)
        r = tok * s_p  # the class token enters as a float, at the patch scale
        s_pos = S(sc["pos"])
        r_pos = self.f32(mdl.pos) * s_pos
        i = self._requant(r, s_p, k["embed"]["main"], 16, (r_pos.expand(bsz, -1, -1), s_pos, k["embed"]["skip"]))
        s_x = S(sc["embed"])
        r = self._emit("embed", i, rec, teacher) * s_x

        inv_sqrt_d = S(np.float32(d**-0.5))
        for bi, blk in enumerate(mdl.blocks):
            kb, bs = k["blocks"][bi], blk.scales
            rq = kb["requant"]
            pre = f"block{bi}."
            t = r.shape[1]
            r_skip, s_skip = r, s_x
            # norm1 -> qact1
            r_ln, s_ln = self._layernorm(r, s_x, blk.norm1.gamma, blk.norm1.beta)
            s_a1 = S(bs["a1"])
            r = self._emit(pre + "ln1", self._requant(r_ln, s_ln, rq["ln1"], 8), rec, teacher) * s_a1
            r_acc, s_acc = self._linear(r, s_a1, blk.qkv.weight, blk.qkv.bias, blk.qkv.scale)
            s_qkv = S(bs["qkv"])
            r_qkv = self._emit(pre + "qkv", self._requant(r_acc, s_acc, rq["qkv"], 8), rec, teacher) * s_qkv
            qkv5 = r_qkv.reshape(bsz, t, 3, heads, d).permute(2, 0, 3, 1, 4)
            q, kk, v = qkv5[0], qkv5[1], qkv5[2]
            # QuantMatMul: recover both operands, float32 matmul, times the product scale; then * d^-1/2
            s_qk = s_qkv * s_qkv
            r_att = ((q / s_qkv) @ (kk / s_qkv).transpose(-1, -2)) * s_qk
            r_att = r_att * inv_sqrt_d
            s_att = s_qk * inv_sqrt_d
            s_logit = S(bs["logit"])
            r_logit = self._emit(pre + "attn.logits", self._requant(r_att, s_att, rq["logit"], 8), rec, teacher) * s_logit
            # IntSoftmax(16)
            x_int = r_logit / s_logit
            x_int = x_int - x_int.max(dim=-1, keepdim=True).values
            e = self._int_exp_shift(x_int, s_logit, 15)
            e_sum = torch.clamp(e.sum(dim=-1, keepdim=True), max=float(INT31_MAX))
            factor = torch.floor(INT31_MAX / e_sum)
            probs = torch.floor(e * factor / 2 ** (31 - 16 + 1))
            s_pr = S(2.0**-15)
            r_pr = self._emit(pre + "attn.probs", probs, rec, teacher) * s_pr
            # QuantMatMul probs . v
            s_pv = s_pr * s_qkv
            r_pv = ((r_pr / s_pr) @ (v / s_qkv)) * s_pv
            r_pv = r_pv.permute(0, 2, 1, 3).reshape(bsz, t, c)
            s_av = S(bs["av"])
            r = self._emit(pre + "attn.av", self._requant(r_pv, s_pv, rq["av"], 8), rec, teacher) * s_av
            r_acc, s_acc = self._linear(r, s_av, blk.proj.weight, blk.proj.bias, blk.proj.scale)
            s_proj = S(bs["proj"])
            r_proj = self._emit(pre + "proj", self._requant(r_acc, s_acc, rq["proj"], 16), rec, teacher) * s_proj
            s_res1 = S(bs["res1"])
            i = self._requant(r_proj, s_proj, kb["res1"]["main"], 16, (r_skip, s_skip, kb["res1"]["skip"]))
            r_res1 = self._emit(pre + "res1", i, rec, teacher) * s_res1
            # norm2 -> qact3 -> fc1 -> qact_gelu -> IntGELU -> mlp.qact1 -> fc2 -> mlp.qact2
            r_ln, s_ln = self._layernorm(r_res1, s_res1, blk.norm2.gamma, blk.norm2.beta)
            s_a2 = S(bs["a2"])
            r = self._emit(pre + "ln2", self._requant(r_ln, s_ln, rq["ln2"], 8), rec, teacher) * s_a2
            r_acc, s_acc = self._linear(r, s_a2, blk.fc1.weight, blk.fc1.bias, blk.fc1.scale)
            s_g = S(bs["gelu"])
            r_g = self._emit(pre + "fc1", self._requant(r_acc, s_acc, rq["fc1"], 8), rec, teacher) * s_g
            pre_x = r_g / s_g
            s_sig = s_g * 1.702
            x_max = pre_x.max(dim=-1, keepdim=True).values
            e = self._int_exp_shift(pre_x - x_max, s_sig, 23)
            e_max = self._int_exp_shift(-x_max, s_sig, 23)
            e_sum = torch.clamp(e + e_max, max=float(INT31_MAX))
            factor = torch.floor(INT31_MAX / e_sum)
            sig = torch.floor(e * factor / 2 ** (31 - 8 + 1))
            s_gout = s_g * (1 / 2**7)
            r_gout = (pre_x * sig) * s_gout
            s_h = S(bs["h"])
            r = self._emit(pre + "gelu", self._requant(r_gout, s_gout, rq["h"], 8), rec, teacher) * s_h
            r_acc, s_acc = self._linear(r, s_h, blk.fc2.weight, blk.fc2.bias, blk.fc2.scale)
            s_f2 = S(bs["fc2"])
            r_f2 = self._emit(pre + "fc2", self._requant(r_acc, s_acc, rq["fc2"], 16), rec, teacher) * s_f2
            s_x = S(bs["res2"])
            i = self._requant(r_f2, s_f2, kb["res2"]["main"], 16, (r_res1, s_res1, kb["res2"]["skip"]))
            r = self._emit(pre + "res2", i, rec, teacher) * s_x

        r_ln, s_ln = self._layernorm(r, s_x, mdl.norm.gamma, mdl.norm.beta)
        r_cls, s_cls = r_ln[:, 0], s_ln
        s_hi = S(sc["headIn"])
        r = self._emit("norm", self._requant(r_cls, s_cls, k["headIn"], 8), rec, teacher) * s_hi
        x_int = r / s_hi
        s_acc = self.f32(mdl.head.scale) * s_hi
        acc = F.linear(x_int, self.f32(mdl.head.weight), self.f32(mdl.head.bias))
        acc = self._emit("head", acc, rec, teacher)
        logits = self._requant(acc * s_acc, s_acc, k["logits"], 32)
        rec("logits", logits)
        return {"logits": logits}
