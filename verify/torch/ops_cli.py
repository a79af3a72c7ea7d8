#!/usr/bin/env python3
"""The integer operators of int_ops.py on cases read as JSON from stdin; results as JSON on stdout.

Each case is one of
  {"op": "requant",   "z": [..], "m": int, "c": int, "bits": b}           -> clamp(RNE(z*m/2^c)) per value
  {"op": "shiftmax",  "rows": [[..], ..], "x0": int, "n": int, "k": int}    -> output rows
  {"op": "shiftgelu", "rows": [[..], ..], "x0": int, "n": int, "k": int, "sigmaRule"?: "reference"|"saturate"} -> x * sigma rows
  {"op": "layernorm", "rows": [[..], ..], "bias": [..]}                     -> output rows (z + B)
  {"op": "isqrt",     "v": [..]}                                            -> the 10-step Newton root
  {"op": "lis", "rows": [[..], ..], "x0", "b", "c", "bits", "v"?: [[..], ..], "vFracBits"?}
                                              -> {"codes", "masked", "attnV"?} (fqvit_ops.py, int64)
  {"op": "lis-module", "rows", "scale", "x0", "b", "c", "bits"} -> {"codes", "masked"}: FQ-ViT's module in float64
  {"op": "pts-layernorm", "rows", "alpha", "m", "n", "b"}        -> output rows (int64)
  {"op": "pts-module", "rows", "alpha", "gamma", "beta", "s", "sOut"} -> output rows: FQ-ViT's module in float64
The test suite feeds the same cases to the TypeScript golden operators and compares (op-level check).
"""
from __future__ import annotations

import json
import sys

import torch

import fqvit_ops as fq
import int_ops as ops
from int_forward import pick_device

I64 = torch.int64


def run(case: dict, dev: torch.device) -> list:
    op = case["op"]
    t = lambda v: torch.tensor(v, dtype=I64, device=dev)  # noqa: E731
    if op == "requant":
        return ops.requant(t(case["z"]), {"m": case["m"], "c": case["c"]}, case["bits"], dev).tolist()
    if op == "shiftmax":
        return ops.shiftmax(t(case["rows"]), case["x0"], case["n"], case["k"]).tolist()
    if op == "shiftgelu":
        return ops.shiftgelu(t(case["rows"]), case["x0"], case["n"], case["k"], case.get("sigmaRule", "reference")).tolist()
    if op == "layernorm":
        return ops.layernorm(t(case["rows"]), t(case["bias"])).tolist()
    if op == "isqrt":
        return ops.isqrt_newton10(t(case["v"])).tolist()
    if op == "lis":
        codes, masked = fq.lis(t(case["rows"]), case["x0"], case["b"], case["c"], case["bits"])
        res = {"codes": codes.tolist(), "masked": masked.tolist()}
        if "v" in case:
            res["attnV"] = fq.lis_attn_v(codes, masked, t(case["v"]), case["vFracBits"]).tolist()
        return res
    if op == "lis-module":
        codes, masked = fq.lis_module_f64(t(case["rows"]), case["scale"], case["x0"], case["b"], case["c"], case["bits"])
        return {"codes": codes.tolist(), "masked": masked.tolist()}
    if op == "pts-layernorm":
        return fq.pts_layernorm(t(case["rows"]), t(case["alpha"]), t(case["m"]), t(case["n"]), t(case["b"])).tolist()
    if op == "pts-module":
        g = lambda v: torch.tensor(v, dtype=torch.float64, device=dev)  # noqa: E731
        return fq.pts_module_f64(t(case["rows"]), t(case["alpha"]), g(case["gamma"]), g(case["beta"]), case["s"], case["sOut"]).tolist()
    raise ValueError(f"unknown op {op}")


def main() -> int:
    torch.set_num_threads(1)
    dev = pick_device(sys.argv[1] if len(sys.argv) > 1 else None)
    cases = json.load(sys.stdin)
    json.dump([run(c, dev) for c in cases], sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
