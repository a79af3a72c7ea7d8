#!/usr/bin/env python3
"""Run the exact integer PyTorch reference on a model file and image files; print one JSON object.

    /usr/bin/python3 verify/torch/run_reference.py --model M.safetensors --image I1.safetensors [--image ...]
        [--device cpu|cuda] [--matmul f64|int64] [--numerics pytorch|fqvit|isvit-w4a4|isvit-w3a3]

Output: environment (torch, device), the check of the stored constants, and per image the logits
checksum, argmax, top-5 and the hash of every layer (docs/model-format.md "Layer hashes").
Exit status 1 when the stored constants disagree with this derivation.
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from hashing import tensor_hash
from qmodel import load_image, load_model
from reference import constants_report, environment, pick_device, run_images, setup_threads


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", action="append", required=True)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    ap.add_argument("--matmul", default="f64", choices=["f64", "int64"])
    ap.add_argument("--numerics", default="pytorch", choices=["pytorch", "fqvit", "isvit-w4a4", "isvit-w3a3"],
                    help="fqvit: PTS LayerNorm and LIS attention from the model file's FQ-ViT fields; isvit-*: SULQ and b-bit linear inputs from its isvit fields")
    args = ap.parse_args()
    setup_threads()
    device = pick_device(args.device)
    model = load_model(args.model)
    consts = constants_report(model)
    images = [load_image(p, model) for p in args.image]
    runs, seconds = run_images(model, images, device, args.matmul, numerics=args.numerics)
    out = {
        **environment(device),
        "matmul": args.matmul,
        "constants": consts,
        "seconds": round(seconds, 3),
        "images": [
            {"path": p, "imageHash": tensor_hash(torch.from_numpy(im.astype("int64"))), "checksum": r.checksum,
             "argmax": r.argmax, "top5": r.top5, "layers": r.layers}
            for p, im, r in zip(args.image, images, runs)
        ],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0 if consts["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
