"""FQ-ViT's operators for the `fqvit` preset (docs/numerics.md "FQ-ViT"), two ways:

* exact integers on torch int64 tensors (`lis`, `lis_attn_v`, `pts_layernorm`), the PyTorch reference of the
  golden ops verify/golden/ops/lis.ts and pts-layernorm.ts;
* FQ-ViT's published module semantics (QIntSoftmax.log_i_softmax and QIntLayerNorm in 'int' mode, written out
  from megvii-research/FQ-ViT models/ptq/layers.py) in float64 (`lis_module_f64`, `pts_module_f64`), against which
  the integer forms are compared.
Rows are the last axis; every bound that makes int64 sufficient is checked at run time (WidthError).
"""
from __future__ import annotations

import math

import torch

from int_ops import INT31_MAX, WidthError, isqrt_floor

I64 = torch.int64
F64 = torch.float64
EXP_N = 30  # int_exp's n


def _rne_div(n: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Round half to even of n / d, d > 0."""
    q = torch.div(n, d, rounding_mode="floor")
    rem2 = 2 * (n - q * d)
    return q + ((rem2 > d) | ((rem2 == d) & ((q & 1) == 1))).to(I64)


def _rne_shift(a: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Round half to even of a / 2^s, s >= 1 (per element)."""
    one = torch.ones_like(a)
    d = one << s
    return _rne_div(a, d)


def lis(x: torch.Tensor, x0: int, b: int, c: int, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and mask (1 = probability 0) of int8 logits x; constants from the logit scale (lisConstants)."""
    d = x - x.max(dim=-1, keepdim=True).values
    d = torch.maximum(d, torch.full_like(d, EXP_N * x0))
    q = torch.div(d, x0, rounding_mode="floor")  # 0..30
    r = d - x0 * q
    z = (r * (r + b) + c).clamp(min=0)
    if z.numel() and int(z.max()) >= 2**32:
        raise WidthError(f"LIS polynomial {int(z.max())} >= 2^32")
    e = z << (EXP_N - q)  # < 2^62
    s = e.sum(dim=-1, keepdim=True)
    if s.numel() and int(s.max()) >= 2**63 - 2**62:
        raise WidthError("LIS row sum would pass int64")
    top = 2**bits - 1
    zero = e == 0
    v = _rne_div(s.expand_as(e), torch.where(zero, torch.ones_like(e), e))  # >= 1
    t = torch.zeros_like(v)
    for k in range(1, 63):  # t = floor(log2 v): the number of bits above the leading one
        t += ((v >> k) > 0).to(I64)
    below = torch.where(t >= 1, (v >> (t - 1).clamp(min=0)) & 1, torch.zeros_like(v))
    t = t + below
    masked = zero | (t > top)
    return t.clamp(max=top), masked.to(I64)


def lis_attn_v(codes: torch.Tensor, masked: torch.Tensor, v: torch.Tensor, frac_bits: int) -> torch.Tensor:
    """codes, masked [..., rows, N]; v [..., N, d] int8: sum_j (v_j << F) >> code_j over the unmasked (floor shifts)."""
    up = v.unsqueeze(-3) << frac_bits  # [..., 1, N, d]
    sh = up >> codes.unsqueeze(-1)  # arithmetic shift = floor
    sh = torch.where(masked.unsqueeze(-1) == 1, torch.zeros_like(sh), sh)
    return sh.sum(dim=-2)


def pts_layernorm(q: torch.Tensor, alpha: torch.Tensor, m: torch.Tensor, n: torch.Tensor, b: torch.Tensor, out_bits: int = 8) -> torch.Tensor:
    """int8 q [rows, C] at scale s*2^alpha_c -> int8 at S_out, with the static (M_c, N_c, B_c)."""
    c = q.shape[-1]
    xt = q << alpha
    sx = xt.sum(dim=-1, keepdim=True)
    sxx = (xt * xt).sum(dim=-1, keepdim=True)
    d = c * sxx - sx * sx
    if d.numel() and int(d.max()) >= 2**48:
        raise WidthError(f"PTS variance {int(d.max())} >= 2^48")
    std = isqrt_floor(d).clamp(min=1)  # the fqvit preset's pts.sqrt: floor (docs/numerics.md "FQ-ViT")
    f = torch.div(torch.full_like(std, INT31_MAX), std, rounding_mode="floor")
    y = (c * xt - sx) * f  # < sqrt(C) * 2^31
    acc = m * y + (b << 31)
    if acc.numel() and int(acc.abs().max()) >= 2**62:
        raise WidthError("PTS accumulator would pass int64")
    o = _rne_shift(acc, n + 31)
    lim = 2 ** (out_bits - 1)
    return o.clamp(-lim, lim - 1)


def _floor_log2(v: float) -> int:
    t = math.floor(math.log2(v))
    while 2.0**t > v:
        t -= 1
    while 2.0 ** (t + 1) <= v:
        t += 1
    return t


def lis_module_f64(x: torch.Tensor, scale: float, x0: int, b: int, c: int, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """QIntSoftmax.forward with log_i_softmax, in float64 (int_exp, round(sum/exp), log_round, the mask).

    The constants are FQ-ViT's float32 ones (passed in); every intermediate is an integer below 2^53 here.
    """
    xi = x.to(F64)
    xi = xi - xi.max(dim=-1, keepdim=True).values
    xi = torch.maximum(xi, torch.full_like(xi, float(EXP_N * x0)))
    q = torch.floor(xi / x0)
    r = xi - x0 * q
    e = torch.clamp(torch.floor((r * (r + b) + c) * 2.0 ** (EXP_N - q)), min=0)
    s = e.sum(dim=-1, keepdim=True)
    ratio = torch.round(s / e)  # torch.round: half to even; inf where e = 0
    codes = torch.zeros_like(ratio, dtype=I64)
    masked = torch.zeros_like(ratio, dtype=I64)
    flat_r, flat_c, flat_m = ratio.reshape(-1), codes.reshape(-1), masked.reshape(-1)
    for i in range(flat_r.numel()):
        v = float(flat_r[i])
        t = math.inf if math.isinf(v) else _floor_log2(v)
        if not math.isinf(t) and v - 2.0**t >= 2.0 ** (t - 1):  # log_round's extra_mask
            t += 1
        flat_m[i] = 1 if t >= 2**bits else 0
        flat_c[i] = int(min(max(t, 0), 2**bits - 1))
    return codes, masked


def pts_module_f64(q: torch.Tensor, alpha: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, s: float, s_out: float) -> torch.Tensor:
    """QIntLayerNorm.forward in 'int' mode in float64: sigma in float, A, get_MN(8 bits) and B per token."""
    c = q.shape[-1]
    xq = q.to(F64) * (2.0 ** alpha.to(F64))
    mean = xq.mean(dim=-1) * s
    std = (s / c) * torch.sqrt(c * (xq**2).sum(dim=-1) - xq.sum(dim=-1) ** 2)
    a = (s / std).unsqueeze(-1) * gamma.to(F64) / s_out
    n = torch.clamp(7 - torch.floor(torch.log2(a.abs())), 0, 31)
    m = torch.clamp(torch.floor(a.abs() * 2.0**n), 0, 255)
    b = torch.round((beta.to(F64) - (mean / std).unsqueeze(-1) * gamma.to(F64)) / s_out * 2.0**n)
    out = torch.round((a.sign() * m * xq + b) / 2.0**n)
    return out.clamp(-128, 127).to(I64)
