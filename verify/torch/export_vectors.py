#!/usr/bin/env python3
"""Write the committed test vectors of one model under one numerics preset: verify/vectors/<model>[-<preset>].json.

    /usr/bin/python3 verify/torch/export_vectors.py --name deit-t --seed 1 --model M.safetensors \
        --image synthetic-seed1 I1.safetensors --image synthetic-seed2 I2.safetensors ... --out FILE

scripts/export-vectors.sh generates the model and image files (through the TypeScript CLI) and calls this.
Per image the file holds the logits checksum, argmax, top-5 and the hash of every layer output, plus the
torch version and the device that computed them. It refuses to write when the model file's stored
constants disagree with this independent derivation.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

import torch

import fashion_image
from hashing import tensor_hash
from qmodel import load_image, load_model
from reference import constants_report, environment, pick_device, run_images, setup_threads


def image_entry(image_id: str) -> dict[str, object]:
    m = re.fullmatch(r"synthetic-seed(\d+)", image_id)
    if m:
        return {"id": image_id, "kind": "synthetic", "seed": int(m.group(1))}
    return {"id": image_id, "kind": "file"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="zoo model name (deit-t, deit-s, ...)")
    ap.add_argument("--seed", type=int, required=True, help="seed of the synthetic weights")
    ap.add_argument("--model", required=True, help="the model file (ivit model gen)")
    ap.add_argument("--image", nargs=2, action="append", metavar=("ID", "FILE"), default=[])
    ap.add_argument("--fashion-mnist", type=int, action="append", default=[], metavar="INDEX",
                    help="add this Fashion-MNIST test image (fashion_image.py; dataset-fashion-mnist)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default=None)
    ap.add_argument("--matmul", default="f64", choices=["f64", "int64"])
    ap.add_argument("--numerics", default="pytorch", choices=["pytorch", "fqvit"],
                    help="the numerics preset the reference runs (fqvit: PTS LayerNorm and LIS attention)")
    ap.add_argument("--command", default="", help="the command line to record")
    args = ap.parse_args()
    setup_threads()
    device = pick_device(args.device)
    model = load_model(args.model)
    if model.config["name"] != args.name:
        print(f"export_vectors: model file is {model.config['name']}, not {args.name}", file=sys.stderr)
        return 2
    consts = constants_report(model)
    if not consts["agree"]:
        print("export_vectors: stored constants disagree with the derivation:\n  " + "\n  ".join(consts["mismatches"]), file=sys.stderr)
        return 1
    entries = [image_entry(iid) for iid, _ in args.image]
    images = [load_image(path, model) for _, path in args.image]
    for index in args.fashion_mnist:
        grey, label = fashion_image.read_test_image(index)
        src = fashion_image.quantise_source(grey, model.scales["input"], model.config["inChannels"])
        images.append(fashion_image.upsample(src, model.config["imageSize"]))
        factor = model.config["imageSize"] // grey.shape[0]
        entries.append({"id": f"fashion-mnist-test{index}", "kind": "fashion-mnist",
                        **fashion_image.source_record(index, src, label, factor)})
    if not images:
        print("export_vectors: no images (--image or --fashion-mnist)", file=sys.stderr)
        return 2
    runs, seconds = run_images(model, images, device, args.matmul, numerics=args.numerics)
    doc = {
        "format": "ivit-torch-vectors",
        "version": 1,
        "model": args.name,
        "modelSeed": args.seed,
        "numerics": args.numerics,
        **environment(device),
        "matmul": args.matmul,
        "constantsCheck": "the file's stored constants equal the independent derivation",
        "command": args.command,
        "images": [
            {**entry, "imageHash": tensor_hash(torch.from_numpy(im.astype("int64"))),
             "checksum": r.checksum, "argmax": r.argmax, "top5": r.top5, "layers": r.layers}
            for entry, im, r in zip(entries, images, runs)
        ],
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: {len(runs)} images, {seconds:.1f} s on {doc['device']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
