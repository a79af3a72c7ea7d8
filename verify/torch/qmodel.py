"""Read the project's quantised model files and derive every integer constant from their float32 scales.

Written from ../shared/spec/numerics.md (sections 1-5, 7, 10) and docs/model-format.md; it does not use
the TypeScript code. The only floating point in the whole integer reference lives here: float32 scale
products (numpy float32 scalars give IEEE float32 rounding, i.e. fl32), the float64 ratio of section 2,
and frexp. Everything the forward pass consumes afterwards is an integer.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

F32 = np.float32

_DTYPES = {"I8": "<i1", "I16": "<i2", "I32": "<i4", "I64": "<i8", "F32": "<f4"}


class ModelFileError(Exception):
    """A model or image file that is not what docs/model-format.md describes."""


def fl32(v: float) -> np.float32:
    """Round a Python float (double) to float32."""
    return F32(v)


def read_safetensors(path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """safetensors: u64 LE header length, JSON header (dtype, shape, data_offsets per tensor), raw LE data."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ModelFileError(f"{path}: truncated ({len(buf)} bytes)")
    (hlen,) = struct.unpack("<Q", buf[:8])
    if hlen > len(buf) - 8:
        raise ModelFileError(f"{path}: header length {hlen} passes the end of the file")
    header = json.loads(buf[8 : 8 + hlen].decode("utf-8"))
    data = memoryview(buf)[8 + hlen :]
    meta = header.pop("__metadata__", {}) or {}
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ModelFileError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        if not (0 <= start <= end <= len(data)):
            raise ModelFileError(f"{path}: tensor {name} has bad offsets {start}..{end}")
        arr = np.frombuffer(data[start:end], dtype=dt)
        n = int(np.prod(info["shape"])) if info["shape"] else 1
        if arr.size != n:
            raise ModelFileError(f"{path}: tensor {name} holds {arr.size} values, shape {info['shape']} needs {n}")
        tensors[name] = arr.reshape(info["shape"]).copy()
    return tensors, meta


# ---------------------------------------------------------------------------------------------------------
# Constants (numerics.md section 2: dyadic requant; 3/4: x0; 5: LayerNorm bias and scale)
# ---------------------------------------------------------------------------------------------------------


def _round_half_away(v: float) -> int:
    """Round half away from zero. v = f*2^31 is exact in float64 and |v| < 2^31, so +0.5 is exact too."""
    a = math.floor(abs(v) + 0.5)
    return -a if v < 0 else a


def dyadic(s_in: np.float32, s_out: np.float32) -> tuple[int, int]:
    """(m, c) with S_in/S_out ~= m / 2^c: R in float64, frexp, m = round_half_away(f*2^31), c = 31 - e."""
    if not (np.isfinite(s_in) and np.isfinite(s_out)) or s_in == 0 or s_out == 0:
        raise ModelFileError(f"requant scales must be finite and non-zero (S_in={s_in}, S_out={s_out})")
    r = float(s_in) / float(s_out)  # both are float32 values; the ratio is a float64 division
    f, e = math.frexp(r)  # r = f * 2^e, 0.5 <= |f| < 1, sign kept in f
    return _round_half_away(f * 2.0**31), 31 - e


def dyadic_vec(s_in: np.ndarray | np.float32, s_out: np.float32) -> dict[str, Any]:
    """A per-tensor pair {'m': int, 'c': int} or a per-channel one {'m': [...], 'c': [...]}."""
    if isinstance(s_in, np.ndarray):
        pairs = [dyadic(F32(s), s_out) for s in s_in]
        return {"m": [p[0] for p in pairs], "c": [p[1] for p in pairs]}
    m, c = dyadic(s_in, s_out)
    return {"m": m, "c": c}


def exp_x0(scale: np.float32) -> int:
    """x0 = floor(fl32(-1/S)) (PyTorch variant)."""
    x0 = math.floor(F32(-1.0) / F32(scale))  # numpy float32 division: IEEE float32 quotient
    if x0 > -1:
        raise ModelFileError(f"exp scale {scale} gives x0 = {x0}; it must be a negative integer")
    return int(x0)


def ln_scale(channels: int) -> np.float32:
    """S_n = fl32(fl32(sqrt(C)) / 2^30)."""
    return F32(fl32(math.sqrt(channels)) / F32(2.0**30))


def ln_bias(gamma: np.ndarray, beta: np.ndarray) -> list[int]:
    """B_i = floor(fl32(fl32(beta_i/gamma_i) / S_n))."""
    s_n = ln_scale(gamma.size)
    ratio = beta.astype(F32) / gamma.astype(F32)  # elementwise float32 division
    return [int(math.floor(v)) for v in (ratio / s_n).astype(F32)]


def ln_out_scales(gamma: np.ndarray) -> np.ndarray:
    """Per-channel LN output scale fl32(S_n * gamma_c)."""
    return (ln_scale(gamma.size) * gamma.astype(F32)).astype(F32)


def linear_scales(s_x: np.float32, w_scale: np.ndarray) -> np.ndarray:
    """Accumulator scale of a linear layer: fl32(S_x * S_w[c])."""
    return (F32(s_x) * w_scale.astype(F32)).astype(F32)


# ---------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------

BLOCK_SITES = ("ln1", "qkv", "logit", "av", "proj", "ln2", "fc1", "h", "fc2")


@dataclass
class Linear:
    weight: np.ndarray  # int8 [out, in]
    bias: np.ndarray  # int32 [out]
    scale: np.ndarray  # float32 [out]


@dataclass
class LayerNorm:
    gamma: np.ndarray
    beta: np.ndarray
    # FQ-ViT's PTS input scales (docs/model-format.md "fqvit"): base scale s and alpha_c; None without the fields
    pts_scale: np.float32 | None = None
    pts_alpha: np.ndarray | None = None


@dataclass
class Block:
    norm1: LayerNorm
    qkv: Linear
    proj: Linear
    norm2: LayerNorm
    fc1: Linear
    fc2: Linear
    scales: dict[str, np.float32]


@dataclass
class QModel:
    config: dict[str, Any]
    patch: Linear  # weight flattened to [C, ch*p*p] in (in-channel, ky, kx) order
    cls: np.ndarray  # int16 [C]
    pos: np.ndarray  # int16 [T, C]
    blocks: list[Block]
    norm: LayerNorm
    head: Linear
    scales: dict[str, np.float32]
    stored_constants: dict[str, Any] | None
    constants: dict[str, Any] = field(default_factory=dict)
    # S_in / S_out of every requant site, kept for the float32 (fake-quant) mode
    site_scales: dict[str, tuple[Any, np.float32]] = field(default_factory=dict)
    # the LIS code width of the FQ-ViT fields; None in a file without them
    lis_bits: int | None = None
    # I&S-ViT's fields (docs/model-format.md "isvit": widths, SULQ eta and range per block); None without them
    isvit: dict[str, Any] | None = None

    @property
    def tokens(self) -> int:
        side = self.config["imageSize"] // self.config["patchSize"]
        return side * side + 1

    @property
    def head_dim(self) -> int:
        return self.config["embedDim"] // self.config["heads"]


def _scale(v: Any, where: str) -> np.float32:
    if not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v) or float(F32(v)) != float(v):
        raise ModelFileError(f"scale {where} = {v!r} is not a positive float32")
    return F32(v)


def load_model(path: str) -> QModel:
    t, meta = read_safetensors(path)
    if meta.get("format") != "ivit-qmodel" or meta.get("version") != "1":
        raise ModelFileError(f"{path}: not an ivit-qmodel version 1 file")
    cfg = json.loads(meta["config"])
    c, p, ch = cfg["embedDim"], cfg["patchSize"], cfg["inChannels"]

    def get(name: str, dtype: str, shape: list[int]) -> np.ndarray:
        if name not in t:
            raise ModelFileError(f"{path}: tensor {name} is missing")
        a = t[name]
        if a.dtype != np.dtype(_DTYPES[dtype]) or list(a.shape) != shape:
            raise ModelFileError(f"{path}: tensor {name} is {a.dtype}{list(a.shape)}, expected {dtype}{shape}")
        return a

    def linear(prefix: str, out_f: int, in_f: int, wshape: list[int] | None = None) -> Linear:
        w = get(f"{prefix}.weight", "I8", wshape or [out_f, in_f]).reshape(out_f, in_f)
        return Linear(w, get(f"{prefix}.bias", "I32", [out_f]), get(f"{prefix}.weight_scale", "F32", [out_f]))

    def norm(prefix: str) -> LayerNorm:
        return LayerNorm(get(f"{prefix}.gamma", "F32", [c]), get(f"{prefix}.beta", "F32", [c]))

    sc = json.loads(meta["scales"])
    side = cfg["imageSize"] // p
    tokens = side * side + 1
    blocks = []
    for i, bs in enumerate(sc["blocks"]):
        pre = f"blocks.{i}"
        blocks.append(
            Block(
                norm1=norm(f"{pre}.norm1"),
                qkv=linear(f"{pre}.attn.qkv", 3 * c, c),
                proj=linear(f"{pre}.attn.proj", c, c),
                norm2=norm(f"{pre}.norm2"),
                fc1=linear(f"{pre}.mlp.fc1", cfg["mlpDim"], c),
                fc2=linear(f"{pre}.mlp.fc2", c, cfg["mlpDim"]),
                scales={k: _scale(v, f"blocks[{i}].{k}") for k, v in bs.items()},
            )
        )
    if len(blocks) != cfg["depth"]:
        raise ModelFileError(f"{path}: {len(blocks)} block scale entries for depth {cfg['depth']}")
    model = QModel(
        config=cfg,
        patch=linear("patch_embed.proj", c, ch * p * p, [c, ch, p, p]),
        cls=get("cls_token", "I16", [c]),
        pos=get("pos_embed", "I16", [tokens, c]),
        blocks=blocks,
        norm=norm("norm"),
        head=linear("head", cfg["numClasses"], c),
        scales={k: _scale(v, k) for k, v in sc.items() if k != "blocks"},
        stored_constants=json.loads(meta["constants"]) if "constants" in meta else None,
    )
    if "fqvit" in meta:
        _read_fqvit(json.loads(meta["fqvit"]), model, path)
    if "isvit" in meta:
        _read_isvit(json.loads(meta["isvit"]), model, path)
    derive_constants(model)
    return model


def _read_isvit(f: Any, model: QModel, path: str) -> None:
    """The "isvit" metadata: the widths and one SULQ calibration {eta, pMin, pMax} per block (the SOS factors are
    already folded into the tensors)."""
    if not isinstance(f, dict):
        raise ModelFileError(f"{path}: isvit is not an object")
    for key, lo, hi in (("weightBits", 2, 8), ("inputBits", 2, 8), ("sulqBits", 2, 8), ("inputFracBits", 1, 30)):
        v = f.get(key)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ModelFileError(f"{path}: isvit.{key} must be an integer {lo}..{hi}, got {v!r}")
    sulq = f.get("sulq")
    if not isinstance(sulq, list) or len(sulq) != len(model.blocks):
        raise ModelFileError(f"{path}: isvit.sulq must hold one entry per block ({len(model.blocks)})")
    model.isvit = f


def _layer_norms(model: QModel) -> list[tuple[str, LayerNorm]]:
    out = [(f"blocks.{i}.norm{j}", b.norm1 if j == 1 else b.norm2) for i, b in enumerate(model.blocks) for j in (1, 2)]
    return out + [("norm", model.norm)]


def _read_fqvit(f: Any, model: QModel, path: str) -> None:
    """The "fqvit" metadata: lisBits and, per LayerNorm prefix, the PTS base scale and alpha_c in 0..3."""
    bits = f.get("lisBits") if isinstance(f, dict) else None
    if not isinstance(bits, int) or not 1 <= bits <= 8:
        raise ModelFileError(f"{path}: fqvit.lisBits must be an integer 1..8, got {bits!r}")
    c = model.config["embedDim"]
    for prefix, ln in _layer_norms(model):
        e = f.get("layerNorms", {}).get(prefix)
        if not isinstance(e, dict):
            raise ModelFileError(f"{path}: fqvit.layerNorms[{prefix}] is missing")
        alpha = e.get("alpha")
        if not isinstance(alpha, list) or len(alpha) != c or not all(isinstance(a, int) and 0 <= a <= 3 for a in alpha):
            raise ModelFileError(f"{path}: fqvit.layerNorms[{prefix}].alpha must be {c} integers 0..3")
        ln.pts_scale = _scale(e.get("scale"), f"fqvit.layerNorms[{prefix}].scale")
        ln.pts_alpha = np.array(alpha, dtype=np.int64)
    model.lis_bits = bits


LIS_VFRAC_BITS = 15  # F: attention x V sums (V << F) >> code at scale S_V * 2^-F


def lis_constants(scale: np.float32) -> dict[str, int]:
    """FQ-ViT's float32 constants of the logit scale S: x0 = floor(fl32(-0.6931/S)), b, c of I-BERT's polynomial."""
    a = 0.35815147
    s = F32(scale)
    x0 = math.floor(F32(-0.6931) / s)
    b = math.floor(F32(0.96963238 / a) / s)
    c = math.floor(F32(1 / a) / F32(s * s))
    return {"x0": int(x0), "b": int(b), "c": int(c)}


def pts_channels(ln: LayerNorm, s_res: np.float32, s_out: np.float32) -> dict[str, Any]:
    """The PTS input requant (residual -> int8 at fl32(s*2^alpha_c)) and FQ-ViT's get_MN on gamma_c/S_out, B_c."""
    if ln.pts_scale is None or ln.pts_alpha is None:
        raise ModelFileError("the model carries no FQ-ViT PTS scales (fqvit fields)")
    pairs = [dyadic(F32(s_res), F32(ln.pts_scale * F32(2.0**int(a)))) for a in ln.pts_alpha]
    m, n, b = [], [], []
    for g, be in zip(ln.gamma.tolist(), ln.beta.tolist()):
        a = abs(g / float(s_out))
        nc = min(31, max(0, 7 - math.floor(math.log2(a))))
        mc = min(255, max(0, math.floor(a * 2.0**nc)))
        m.append(-mc if g < 0 else mc)
        n.append(nc)
        b.append(round(be / float(s_out) * 2.0**nc))  # Python's round: half to even
    return {"requant": {"m": [p[0] for p in pairs], "c": [p[1] for p in pairs]}, "alpha": ln.pts_alpha.tolist(), "m": m, "n": n, "b": b}


def derive_fqvit_constants(model: QModel) -> dict[str, Any]:
    """The constants the fqvit preset adds or changes (docs/model-format.md): PTS sites, LIS, the av requant."""
    if model.lis_bits is None:
        raise ModelFileError("the model carries no FQ-ViT fields (fqvit metadata)")
    sc = model.scales
    s_x = sc["embed"]
    blocks = []
    for b in model.blocks:
        s = b.scales
        blocks.append(
            {
                "ln1": pts_channels(b.norm1, s_x, s["a1"]),
                "ln2": pts_channels(b.norm2, s["res1"], s["a2"]),
                "lis": {**lis_constants(s["logit"]), "bits": model.lis_bits},
                "av": dyadic_vec(F32(s["qkv"] * F32(2.0**-LIS_VFRAC_BITS)), s["av"]),
            }
        )
        s_x = s["res2"]
    return {"blocks": blocks, "norm": pts_channels(model.norm, s_x, sc["headIn"])}


def derive_constants(model: QModel) -> None:
    """Every integer constant of the forward pass (numerics.md section 10 'Exporter'), and each site's S_in/S_out."""
    sc = model.scales
    d = model.head_dim
    k_sm, k_gelu = 16, 8  # Shiftmax / ShiftGELU output widths (PyTorch-ViT: n/k = 15/16 and 23/8)
    sites: dict[str, tuple[Any, np.float32]] = {}

    def site(name: str, s_in: Any, s_out: np.float32) -> dict[str, Any]:
        sites[name] = (s_in, s_out)
        return dyadic_vec(s_in, s_out)

    def residual(name: str, s_main: np.float32, s_skip: np.float32, s_out: np.float32) -> dict[str, Any]:
        return {"main": site(f"{name}.main", s_main, s_out), "skip": site(f"{name}.skip", s_skip, s_out)}

    k: dict[str, Any] = {
        "patch": site("patch", linear_scales(sc["input"], model.patch.scale), sc["patch"]),
        "embed": residual("embed", sc["patch"], sc["pos"], sc["embed"]),
        "blocks": [],
    }
    s_x = sc["embed"]  # scale of the block input (the residual stream)
    inv_sqrt_d = fl32(d**-0.5)
    for i, b in enumerate(model.blocks):
        s = b.scales
        p = f"block{i}."
        req = {
            "ln1": site(p + "ln1", ln_out_scales(b.norm1.gamma), s["a1"]),
            "qkv": site(p + "qkv", linear_scales(s["a1"], b.qkv.scale), s["qkv"]),
            "logit": site(p + "logit", F32(F32(s["qkv"] * s["qkv"]) * inv_sqrt_d), s["logit"]),
            "av": site(p + "av", F32(F32(2.0 ** -(k_sm - 1)) * s["qkv"]), s["av"]),
            "proj": site(p + "proj", linear_scales(s["av"], b.proj.scale), s["proj"]),
            "ln2": site(p + "ln2", ln_out_scales(b.norm2.gamma), s["a2"]),
            "fc1": site(p + "fc1", linear_scales(s["a2"], b.fc1.scale), s["gelu"]),
            "h": site(p + "h", F32(s["gelu"] * F32(2.0 ** -(k_gelu - 1))), s["h"]),
            "fc2": site(p + "fc2", linear_scales(s["h"], b.fc2.scale), s["fc2"]),
        }
        k["blocks"].append(
            {
                "ln1Bias": ln_bias(b.norm1.gamma, b.norm1.beta),
                "requant": req,
                "res1": residual(p + "res1", s["proj"], s_x, s["res1"]),
                "res2": residual(p + "res2", s["fc2"], s["res1"], s["res2"]),
                "softmaxX0": exp_x0(s["logit"]),
                # ShiftGELU folds 1.702 into the scale: S_sigma = fl32(S * fl32(1.702))
                "geluX0": exp_x0(F32(s["gelu"] * fl32(1.702))),
                "ln2Bias": ln_bias(b.norm2.gamma, b.norm2.beta),
            }
        )
        s_x = s["res2"]
    k["normBias"] = ln_bias(model.norm.gamma, model.norm.beta)
    k["headIn"] = site("headIn", ln_out_scales(model.norm.gamma), sc["headIn"])
    k["logits"] = site("logits", linear_scales(sc["headIn"], model.head.scale), sc["logits"])
    model.constants = k
    model.site_scales = sites


def constant_mismatches(model: QModel, limit: int = 20) -> list[str]:
    """Compare the file's stored "constants" with this derivation; returns human-readable differences."""
    out: list[str] = []
    if model.stored_constants is None:
        return ["the file stores no constants"]

    def walk(a: Any, b: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in a or key not in b:
                    out.append(f"{path}.{key}: present only in {'derived' if key in a else 'stored'}")
                else:
                    walk(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{path}: length {len(a)} (derived) vs {len(b)} (stored)")
                return
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif a != b or type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
            out.append(f"{path}: derived {a!r}, stored {b!r}")

    walk(model.constants, model.stored_constants, "constants")
    return out


def load_image(path: str, model: QModel) -> np.ndarray:
    """An ivit-image file: one I8 tensor "image" [channels, H, W] (the qact_input output)."""
    t, meta = read_safetensors(path)
    cfg = model.config
    shape = [cfg["inChannels"], cfg["imageSize"], cfg["imageSize"]]
    img = t.get("image")
    if meta.get("format") != "ivit-image" or img is None or img.dtype != np.int8 or list(img.shape) != shape:
        raise ModelFileError(f"{path}: expected an ivit-image with an I8 tensor image of shape {shape}")
    if "scale" in meta and float(meta["scale"]) != float(model.scales["input"]):
        raise ModelFileError(f"{path}: image scale {meta['scale']} differs from the model's input scale {model.scales['input']}")
    return img
