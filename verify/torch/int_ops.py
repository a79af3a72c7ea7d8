"""Exact integer operators of I-ViT on torch int64 tensors (numerics.md sections 2-5), on any device.

Every value is an int64 tensor. Bounds that make int64 sufficient are stated next to each step; where a
bound depends on the data it is checked at run time (OverflowError), never assumed.
"""
from __future__ import annotations

import torch

INT31_MAX = 2**31 - 1
I64 = torch.int64


class WidthError(OverflowError):
    """A value left the width the integer pipeline declares for it."""


def check_signed(x: torch.Tensor, bits: int, what: str) -> None:
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if x.numel() and (int(x.min()) < lo or int(x.max()) > hi):
        raise WidthError(f"{what}: values in [{int(x.min())}, {int(x.max())}] overflow signed {bits} bits")


def clamp_signed(x: torch.Tensor, bits: int) -> torch.Tensor:
    return x.clamp(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


# ---------------------------------------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------------------------------------


def matmul_exact(a: torch.Tensor, b: torch.Tensor, mode: str = "f64") -> torch.Tensor:
    """a @ b for int64 tensors holding small integers, exactly, returned as int64.

    mode "int64": torch's integer matmul (CPU only; CUDA has no integer GEMM for int64).
    mode "f64": a float64 GEMM. Exact, whatever order the BLAS sums in, because every product and every
    partial sum is an integer of magnitude <= K*max|a|*max|b| < 2^53, and float64 holds those exactly.
    The bound is checked before the product is taken.
    """
    if mode == "int64":
        return torch.matmul(a, b)
    if mode != "f64":
        raise ValueError(f"unknown matmul mode {mode}")
    k = a.shape[-1]
    bound = k * max(1, int(a.abs().max())) * max(1, int(b.abs().max()))
    if bound >= 2**53:
        raise WidthError(f"matmul bound {bound} >= 2^53: a float64 GEMM would not be exact")
    return torch.matmul(a.to(torch.float64), b.to(torch.float64)).to(I64)


def linear(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None, mode: str, what: str) -> torch.Tensor:
    """x [.., in] @ w[out, in]^T + bias, in the int32 accumulator (numerics.md section 1)."""
    acc = matmul_exact(x, w.t(), mode)
    if bias is not None:
        acc = acc + bias
    check_signed(acc, 32, f"{what} accumulator")
    return acc


# ---------------------------------------------------------------------------------------------------------
# Dyadic requantization (section 2): out = clamp(RNE(z*m / 2^c))
# ---------------------------------------------------------------------------------------------------------

_SPLIT = 16  # m = mh*2^16 + ml with 0 <= ml < 2^16 and |mh| <= 2^15


def rne_mul_shift(z: torch.Tensor, m: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """RNE(z*m / 2^c), exact, for |z| < 2^46, |m| <= 2^31, c >= 17 (broadcasting m, c against z).

    When max|z|*max|m| < 2^62 (every requant of a ViT: |z| < 2^31, |m| <= 2^31) z*m is formed directly.
    Otherwise (z*m can reach 2^77 in principle), past int64, it is never formed. Split
    m = mh*2^16 + ml (ml in [0, 2^16)): A = z*mh (|A| < 2^61) and B = z*ml (|B| < 2^62) are exact int64.
    With B = Bh*2^16 + Bl (Bh = B >> 16, 0 <= Bl < 2^16):
        z*m = T*2^16 + Bl,   T = A + Bh   (|T| < 2^62)
    so z*m / 2^c = (T + Bl/2^16) / 2^k with k = c - 16 >= 1. Its floor is T >> k (a fraction below 1 added
    to the integer T cannot cross a multiple of 2^k), and with r = T - (T >> k)*2^k in [0, 2^k) the
    remainder compares with one half as: r > 2^(k-1), or r == 2^(k-1) and Bl > 0 -> round up;
    r == 2^(k-1) and Bl == 0 -> an exact tie -> round to the even quotient.
    """
    z_max = int(z.abs().max()) if z.numel() else 0
    if z_max >= 2**46:
        raise WidthError(f"requant input {z_max} >= 2^46")
    if int(c.min()) < _SPLIT + 1:
        return _rne_mul_shift_small_c(z, m, c)
    if z_max * int(m.abs().max()) < 2**62 and int(c.max()) <= 62:
        # The usual case (an int32 accumulator times a 31-bit m): z*m itself is an exact int64, so the
        # floor is p >> c and the remainder p - q*2^c in [0, 2^c), compared with one half directly.
        p = z * m
        q = p >> c
        r = p - (q << c)
        half = torch.ones_like(c) << (c - 1)
        return q + ((r > half) | ((r == half) & ((q & 1) == 1))).to(I64)
    mh = m >> _SPLIT
    ml = m - (mh << _SPLIT)
    a = z * mh
    b = z * ml
    t = a + (b >> _SPLIT)
    bl = b & ((1 << _SPLIT) - 1)
    k = c - _SPLIT
    q = t >> k
    r = t - (q << k)
    half = torch.ones_like(k) << (k - 1)
    up = (r > half) | ((r == half) & (bl > 0)) | ((r == half) & (bl == 0) & ((q & 1) == 1))
    return q + up.to(I64)


def _rne_mul_shift_small_c(z: torch.Tensor, m: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """The same for shifts c <= 16 (a ratio S_in/S_out >= 2^15, which a ViT never has): Python integers."""
    zb, mb, cb = torch.broadcast_tensors(z, m, c)
    out = []
    for zi, mi, ci in zip(zb.flatten().tolist(), mb.flatten().tolist(), cb.flatten().tolist()):
        p = zi * mi
        if ci <= 0:
            out.append(p << -ci)
            continue
        q, r = divmod(p, 1 << ci)  # Python floors
        half = 1 << (ci - 1)
        out.append(q + (1 if r > half or (r == half and q & 1) else 0))
    # saturate to int64 before the caller's clamp (the result is clamped to <= 32 bits anyway)
    out = [max(-(2**62), min(2**62, v)) for v in out]
    return torch.tensor(out, dtype=I64, device=z.device).reshape(zb.shape)


def requant(z: torch.Tensor, d: dict, bits: int, device: torch.device) -> torch.Tensor:
    """Requant z (channels on the last axis when per-channel) with a dyadic {'m','c'} to `bits` signed bits."""
    m = torch.as_tensor(d["m"], dtype=I64, device=device)
    c = torch.as_tensor(d["c"], dtype=I64, device=device)
    return clamp_signed(rne_mul_shift(z, m, c), bits)


def residual(z1: torch.Tensor, d1: dict, z2: torch.Tensor, d2: dict, bits: int, device: torch.device) -> torch.Tensor:
    """Residual QuantAct: each branch rounded on its own, then only the sum is clamped (section 2.6)."""
    m1 = torch.as_tensor(d1["m"], dtype=I64, device=device)
    c1 = torch.as_tensor(d1["c"], dtype=I64, device=device)
    m2 = torch.as_tensor(d2["m"], dtype=I64, device=device)
    c2 = torch.as_tensor(d2["c"], dtype=I64, device=device)
    return clamp_signed(rne_mul_shift(z1, m1, c1) + rne_mul_shift(z2, m2, c2), bits)


# ---------------------------------------------------------------------------------------------------------
# Shift-exp, Shiftmax (section 3), ShiftGELU (section 4)
# ---------------------------------------------------------------------------------------------------------


def shift_exp(delta: torch.Tensor, x0: int, n: int, saturate: bool = False) -> torch.Tensor:
    """Steps 2-5 of section 3 for delta (<= 0 normally; > 0 for ShiftGELU's E_M when the row max < 0).

    P = delta + (delta >> 1) - (delta >> 4) (floor shifts), P = max(P, n*x0), q = floor(P/x0),
    r = P - x0*q in [x0+1, 0], E = (r - 2*x0) * 2^(n-1-q) for q < n, and E = -x0 for q = n.
    For q < 0 (positive P) the shift n-1-q exceeds n-1; with saturate=True E is capped at 2^31 - 1
    (allowed by section 4 for E_M, because E_j >= 0 and D saturates at 2^31 - 1 anyway).
    """
    p = delta + (delta >> 1) - (delta >> 4)
    p = torch.maximum(p, torch.full_like(p, n * x0))
    q = torch.div(p, x0, rounding_mode="floor")
    r = p - x0 * q
    base = r - 2 * x0  # in [|x0|+1, 2|x0|], at least 2
    shift = (n - 1) - q
    # base >= 2, so any shift >= 31 gives E >= 2^32: cap the shift first so int64 never overflows
    capped = torch.clamp(shift, min=0, max=31)
    e = torch.where(q < n, base << capped, torch.full_like(base, -x0))
    if saturate:
        e = torch.clamp(e, max=INT31_MAX)
    elif e.numel() and (int(shift.max()) >= 31 or int(e.max()) > 2**32 - 1):
        raise WidthError("shift-exp value overflows 32 bits (a positive argument outside the E_M path?)")
    return e


def shiftmax(x: torch.Tensor, x0: int, n: int = 15, k: int = 16) -> torch.Tensor:
    """Shiftmax over the last axis of int8 logits: output in [0, 2^(k-1) - 1], scale 2^-(k-1)."""
    m = x.max(dim=-1, keepdim=True).values
    e = shift_exp(x - m, x0, n)  # E <= |x0| * 2^n
    s = torch.clamp(e.sum(dim=-1, keepdim=True), max=INT31_MAX)  # saturating row sum
    f = torch.div(torch.full_like(s, INT31_MAX), s, rounding_mode="floor")
    return (e * f) >> (32 - k)  # E*F <= 2^31 - 1 since E <= sum


def shiftgelu(x: torch.Tensor, x0: int, n: int = 23, k: int = 8, sigma_rule: str = "reference") -> torch.Tensor:
    """ShiftGELU over the last axis (the hidden features of one token); output x * sigma, scale S*2^-(k-1).

    sigma_rule "reference": E_j exact (uint32), as the published IntGELU, so sigma < 2^k (uint8) once |x0| >= 256;
    "saturate": E_j capped at 2^31 - 1 first, so sigma <= 2^(k-1) - 1 (uint7). Both agree while |x0| < 256.
    """
    if sigma_rule not in ("reference", "saturate"):
        raise ValueError(f"unknown ShiftGELU sigma rule {sigma_rule!r}")
    m = x.max(dim=-1, keepdim=True).values  # the row max: the unit needs two passes
    e = shift_exp(x - m, x0, n, saturate=sigma_rule == "saturate")
    # E_M = ShiftExp(-M): for M < 0 the argument is positive and the shift exceeds n (section 4 edge case);
    # saturating it at 2^31 - 1 leaves D = min(E_j + E_M, 2^31 - 1) unchanged.
    e_m = shift_exp(-m, x0, n, saturate=True)
    dd = torch.clamp(e + e_m, max=INT31_MAX)
    f = torch.div(torch.full_like(dd, INT31_MAX), dd, rounding_mode="floor")  # a divide per element
    sigma = (e * f) >> (32 - k)  # E*F < 2^32: uint8 for k = 8 (uint7 when E_j is saturated)
    return x * sigma


# ---------------------------------------------------------------------------------------------------------
# I-LayerNorm (section 5)
# ---------------------------------------------------------------------------------------------------------


def isqrt_newton10(v: torch.Tensor) -> torch.Tensor:
    """Exactly 10 Newton steps k <- floor((k + floor(V/k)) / 2) from k = 2^16, with no stop test.

    k never drops below 64 (from 2^16 it at most halves per step), so the divide is always defined.
    """
    kk = torch.full_like(v, 2**16)
    for _ in range(10):
        kk = torch.div(kk + torch.div(v, kk, rounding_mode="floor"), 2, rounding_mode="floor")
    return kk


def isqrt_floor(v: torch.Tensor) -> torch.Tensor:
    """The true floor(sqrt(v)) of non-negative int64 v < 2^52: the float64 root, corrected by one either way."""
    if v.numel() and int(v.max()) >= 2**52:
        raise WidthError(f"isqrt_floor input {int(v.max())} >= 2^52")
    r = torch.sqrt(v.to(torch.float64)).floor().to(I64)
    r = r - (r * r > v).to(I64)
    return r + ((r + 1) * (r + 1) <= v).to(I64)


def layernorm(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """I-LayerNorm over the last axis: out_i = floor(y_i * F / 2) + B_i (per-channel scale S_n*gamma_i)."""
    c = x.shape[-1]
    s = x.sum(dim=-1, keepdim=True)
    # mu = RNE(sum / C) on the exact rational
    q = torch.div(s, c, rounding_mode="floor")
    rem2 = 2 * (s - q * c)  # in [0, 2C)
    mu = q + ((rem2 > c) | ((rem2 == c) & ((q & 1) == 1))).to(I64)
    y = x - mu
    v = (y * y).sum(dim=-1, keepdim=True)  # <= C*2^34 for 16-bit inputs
    if v.numel() and int(v.max()) >= 2**48:
        raise WidthError(f"LayerNorm variance {int(v.max())} >= 2^48")
    std = isqrt_newton10(v)
    f = torch.div(torch.full_like(std, INT31_MAX), std, rounding_mode="floor")
    z = (y * f) >> 1  # arithmetic shift = floor division by 2
    return z + bias
