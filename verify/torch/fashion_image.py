#!/usr/bin/env python3
"""A real input image: one Fashion-MNIST test image (Debian package dataset-fashion-mnist), made a model input.

    /usr/bin/python3 verify/torch/fashion_image.py --model M.safetensors --index 0 --out IMG.safetensors

The 28x28 grey image is normalised per channel with the usual ImageNet mean/std (the grey value
replicated to 3 channels), quantised with the model's input scale the way QuantAct does it
(numerics.md section 1: I = clamp(RNE(x * fl32(1/S)), -128, 127), float32 arithmetic), and only then
resized to the model's image size by nearest-neighbour repetition (an integer operation, so the small
28x28x3 int8 source fully determines the input; the vectors file stores that source, and the TypeScript
test rebuilds the same image from it). The output file is an ivit-image (`ivit golden --image` reads it).
"""
from __future__ import annotations

import argparse
import base64
import gzip
import json
import struct
import sys

import numpy as np

from qmodel import load_model

DATASET = "/usr/share/datasets/fashion-mnist"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def read_test_image(index: int, root: str = DATASET) -> tuple[np.ndarray, int]:
    """The index-th test image (uint8 [28, 28]) and its label, from the idx files."""
    with gzip.open(f"{root}/t10k-images-idx3-ubyte.gz", "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051 or not 0 <= index < n:
            raise ValueError(f"bad idx image file or index {index} (n = {n})")
        f.seek(16 + index * rows * cols)
        img = np.frombuffer(f.read(rows * cols), dtype=np.uint8).reshape(rows, cols)
    with gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz", "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        f.seek(8 + index)
        label = f.read(1)[0]
    return img, label


def quantise_source(grey: np.ndarray, scale: np.float32, channels: int = 3) -> np.ndarray:
    """int8 [channels, 28, 28]: ImageNet normalisation in float32, then RNE(x * fl32(1/S)) clamped to int8."""
    f32 = np.float32
    p = grey.astype(f32) / f32(255.0)
    inv = f32(1.0) / f32(scale)
    out = np.empty((channels,) + grey.shape, dtype=np.int8)
    for c in range(channels):
        x = (p - f32(MEAN[c % 3])) / f32(STD[c % 3])
        out[c] = np.clip(np.rint(x * inv), -128, 127).astype(np.int8)  # np.rint rounds half to even
    return out


def upsample(source: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour repetition [ch, h, w] -> [ch, size, size]; size must be a multiple of h and w."""
    _, h, w = source.shape
    if size % h or size % w:
        raise ValueError(f"image size {size} is not a multiple of {h}x{w}")
    return source.repeat(size // h, axis=1).repeat(size // w, axis=2)


def write_image(path: str, image: np.ndarray, scale: float) -> None:
    """An ivit-image safetensors file: one I8 tensor "image" and string metadata."""
    header = {"__metadata__": {"format": "ivit-image", "version": "1", "scale": repr(float(scale))},
              "image": {"dtype": "I8", "shape": list(image.shape), "data_offsets": [0, image.size]}}
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + image.astype(np.int8).tobytes())


def source_record(index: int, source: np.ndarray, label: int, upsample_factor: int) -> dict[str, object]:
    """What the vectors file stores so that the TypeScript test can rebuild the image."""
    return {"dataset": "fashion-mnist t10k (Debian dataset-fashion-mnist)", "index": index, "label": int(label),
            "labelName": CLASSES[label], "sourceShape": list(source.shape), "upsample": upsample_factor,
            "sourceInt8": base64.b64encode(source.astype(np.int8).tobytes()).decode()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = load_model(args.model)
    grey, label = read_test_image(args.index)
    src = quantise_source(grey, model.scales["input"], model.config["inChannels"])
    write_image(args.out, upsample(src, model.config["imageSize"]), model.scales["input"])
    print(f"wrote {args.out}: fashion-mnist test image {args.index} ({CLASSES[label]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
