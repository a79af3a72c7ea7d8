#!/usr/bin/env python3
"""Drift study: how far the published code's float32 fake-quant pass strays from exact integers.

    /usr/bin/python3 verify/torch/drift_study.py --model M.safetensors --image ID I.safetensors [...]
        [--device cpu|cuda] [--json OUT.json] [--markdown]

For every image it runs the exact int64 pass (keeping every layer's integers) and the float32 pass of
fq_forward.py twice:
  free    : the float32 pass on its own, as the published code runs (errors compound through the net);
  teacher : each layer gets the exact integer inputs, so the count is that layer's own drift.
Per layer it reports the share of elements whose value differs from the exact integer and the largest
difference; for the logits also whether argmax and the top-5 set survive. scripts/export-vectors.sh does
not run this (it is slower); docs/verification.md quotes its output.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import OrderedDict

import torch

from fq_forward import FakeQuantViT
from int_forward import IntViT
from qmodel import load_image, load_model
from reference import argmax_first, environment, pick_device, setup_threads, top_k


def layer_kind(name: str) -> str:
    """block7.attn.probs -> attn.probs (the per-block layers are pooled over blocks)."""
    return re.sub(r"^block\d+\.", "", name)


def compare(exact: torch.Tensor, got: torch.Tensor) -> tuple[int, int, float]:
    e = exact.to("cpu", torch.float64)
    g = got.to("cpu", torch.float64)
    diff = (g - e).abs()
    return int((diff != 0).sum()), e.numel(), float(diff.max()) if e.numel() else 0.0


def study_image(model, image, device) -> dict:
    x = torch.from_numpy(image.astype("int64"))[None]
    exact: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    out = IntViT(model, device).forward(x, lambda n, t: exact.__setitem__(n, t.clone()))
    fq = FakeQuantViT(model, device)
    res: dict = {"layers": OrderedDict()}
    for mode in ("free", "teacher"):
        stats: dict[str, tuple[int, int, float]] = {}
        got_logits: dict[str, torch.Tensor] = {}

        def record(name: str, t: torch.Tensor) -> None:
            stats[name] = compare(exact[name], t)
            if name == "logits":
                got_logits["v"] = t[0].detach().to("cpu")

        fq.forward(x, record, teacher=exact if mode == "teacher" else None)
        for name, (nd, n, mx) in stats.items():
            res["layers"].setdefault(name, {"elements": n})[mode] = {"differ": nd, "maxAbs": mx}
        lg_exact = out["logits"][0].to("cpu")
        lg = got_logits["v"]
        span = float(lg_exact.max() - lg_exact.min())
        t5e = {c for c, _ in top_k(lg_exact)}
        t5f = {c for c, _ in top_k(lg.to(torch.int64))}
        res[mode] = {
            "argmaxExact": argmax_first(lg_exact),
            "argmaxFloat": argmax_first(lg),
            "argmaxSame": argmax_first(lg_exact) == argmax_first(lg),
            "top5Overlap": len(t5e & t5f),
            "logitsDiffer": int((lg.to(torch.float64) != lg_exact.to(torch.float64)).sum()),
            "logitsMaxAbs": float((lg.to(torch.float64) - lg_exact.to(torch.float64)).abs().max()),
            "logitSpan": span,
        }
    return res


def summarise(per_image: list[dict]) -> "OrderedDict[str, dict]":
    """Pool every layer kind over blocks and images: total differing elements / total elements."""
    pooled: "OrderedDict[str, dict]" = OrderedDict()
    for r in per_image:
        for name, st in r["layers"].items():
            k = pooled.setdefault(layer_kind(name), {"elements": 0, "free": 0, "teacher": 0, "freeMax": 0.0, "teacherMax": 0.0})
            k["elements"] += st["elements"]
            for mode in ("free", "teacher"):
                k[mode] += st[mode]["differ"]
                k[mode + "Max"] = max(k[mode + "Max"], st[mode]["maxAbs"])
    return pooled


def markdown(model_name: str, pooled: dict, per_image: list[dict], ids: list[str]) -> str:
    lines = [f"**{model_name}**, {len(ids)} image(s), layers pooled over blocks: share of elements that differ from the exact "
             "integers (count; largest |difference|)", "",
             "| layer | elements | free-running float32 | per layer (exact inputs) |", "|---|---|---|---|"]

    def cell(n: int, total: int, mx: float) -> str:
        return f"{100.0 * n / total:.3g} % ({n}; {mx:g})" if n else "0"

    for kind, k in pooled.items():
        lines.append(f"| {kind} | {k['elements']} | {cell(k['free'], k['elements'], k['freeMax'])} | "
                     f"{cell(k['teacher'], k['elements'], k['teacherMax'])} |")
    lines += ["", "| image | logits differing (free) | max abs diff / logit span | argmax exact → float | top-5 overlap |", "|---|---|---|---|---|"]
    for iid, r in zip(ids, per_image):
        fr = r["free"]
        lines.append(f"| {iid} | {fr['logitsDiffer']} | {fr['logitsMaxAbs']:g} / {fr['logitSpan']:g} | "
                     f"{fr['argmaxExact']} → {fr['argmaxFloat']} ({'same' if fr['argmaxSame'] else 'CHANGED'}) | {fr['top5Overlap']}/5 |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", nargs=2, action="append", metavar=("ID", "FILE"), required=True)
    ap.add_argument("--device", default=None)
    ap.add_argument("--json", default=None, help="write the full per-layer result here")
    ap.add_argument("--markdown", action="store_true", help="print the summary tables as Markdown")
    args = ap.parse_args()
    setup_threads()
    device = pick_device(args.device)
    model = load_model(args.model)
    t0 = time.perf_counter()
    per_image = [study_image(model, load_image(p, model), device) for _, p in args.image]
    ids = [i for i, _ in args.image]
    pooled = summarise(per_image)
    doc = {**environment(device), "model": model.config["name"], "images": ids,
           "seconds": round(time.perf_counter() - t0, 1), "pooled": pooled,
           "perImage": [{"id": i, **r} for i, r in zip(ids, per_image)]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    if args.markdown:
        print(markdown(model.config["name"], pooled, per_image, ids))
    else:
        json.dump({k: v for k, v in doc.items() if k != "perImage"} | {"logits": [{"id": i, **{m: r[m] for m in ("free", "teacher")}} for i, r in zip(ids, per_image)]}, sys.stdout)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
