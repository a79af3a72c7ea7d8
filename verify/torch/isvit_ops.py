"""I&S-ViT's SULQ on torch int64 tensors, for the isvit-w4a4 / isvit-w3a3 presets (docs/numerics.md "I&S-ViT: the
shift-uniform-log2 quantiser (SULQ)" and "I&S-ViT low-bit presets"), written from the derivation there.

Constants come from Python's exact integers: code >= i iff (P+H)^(2N) * A^(2i-1) >= B^(2i-1) * A^(2N) (a tie goes to
the even i), with A = pMin + H, B = pMax + H; the decode exponent of code c is RNE(log2(A^(N-c) B^c)/N - f) + f.
"""
from __future__ import annotations

import math

import numpy as np
import torch

import int_ops as ops

I64 = torch.int64


def _rne_half_log(q: int, n: int, f: int) -> int:
    """RNE(log2(Q)/(2N) - f) + f, exactly: z = log2(Q)/(2N) >= m - 1/2 iff Q >= 2^((2m-1)N)."""
    lg = q.bit_length() - 1
    m = (lg + n) // (2 * n)
    e = (2 * m - 1) * n
    tie = e >= 0 and q == 1 << e
    return m - 1 if tie and (m - f) % 2 != 0 else m


def sulq_constants(eta: float, bits: int, f: int, p_min: int, p_max: int, grid: str = "forward") -> dict:
    """H, the N thresholds and the N + 1 decode shifts of SULQ at shift eta (float32), b bits, input scale 2^-f."""
    if not (2 <= bits <= 8):
        raise ValueError(f"SULQ bits must be 2..8, got {bits}")
    h = math.floor(float(np.float32(eta)) * 2 ** f + 0.5)  # exact product; a tie rounds up
    if h < 1:
        raise ValueError(f"SULQ eta {eta} is below half a step of 2^-{f}")
    if not (0 <= p_min < p_max <= 2 ** f):
        raise ValueError(f"SULQ range pMin {p_min}, pMax {p_max} outside 0 <= pMin < pMax <= 2^{f}")
    n = 2 ** bits if grid == "forward" else 2 ** bits - 1
    a, b = p_min + h, p_max + h
    a2n = a ** (2 * n)

    def at_least(p: int, i: int) -> bool:
        lhs = (p + h) ** (2 * n) * a ** (2 * i - 1)
        rhs = b ** (2 * i - 1) * a2n
        return lhs > rhs or (lhs == rhs and i % 2 == 0)

    thresholds = []
    for i in range(1, n + 1):
        lo, hi = (p_min if i == 1 else thresholds[-1]), p_max
        while lo < hi:
            mid = (lo + hi) // 2
            if at_least(mid, i):
                hi = mid
            else:
                lo = mid + 1
        thresholds.append(lo)
    shifts = [_rne_half_log(a ** (2 * (n - c)) * b ** (2 * c), n, f) for c in range(n + 1)]
    return {"eta": h, "levels": n, "thresholds": thresholds, "shifts": shifts, "inputFracBits": f}


def sulq_codes(p: torch.Tensor, k: dict) -> torch.Tensor:
    """Codes 0..N of P (unsigned, f + 1 bits): the number of thresholds P reaches."""
    ops.check_signed(p, k["inputFracBits"] + 2, "SULQ input")  # P in [0, 2^f]
    if p.numel() and int(p.min()) < 0:
        raise ops.WidthError("SULQ input: negative P")
    t = torch.tensor(k["thresholds"], dtype=I64, device=p.device)
    return torch.bucketize(p, t, right=True)  # #{i : T_i <= P}


def sulq_attn_v(codes: torch.Tensor, v: torch.Tensor, k: dict, v_sum_bits: int, acc_bits: int, matmul: str, what: str) -> torch.Tensor:
    """codes [..., T, T], v [..., T, d]: sum_j V_j << shift[code_j] - H * sum_j V_j, width-checked."""
    w = torch.tensor([1 << s for s in k["shifts"]], dtype=I64, device=v.device)[codes]
    shift_add = ops.matmul_exact(w, v, matmul)
    ops.check_signed(shift_add, acc_bits, what + " SULQ shift-add")
    v_sum = v.sum(dim=-2, keepdim=True)
    ops.check_signed(v_sum, v_sum_bits, what + " SULQ column sum")
    corr = k["eta"] * v_sum
    ops.check_signed(corr, acc_bits, what + " SULQ correction")
    out = shift_add - corr
    ops.check_signed(out, acc_bits, what + " SULQ attention.V")
    return out
