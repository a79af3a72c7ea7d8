"""Fashion-MNIST from the Debian package dataset-fashion-mnist (idx files), as numpy arrays.

One home for the data set's location, its normalisation and the class names: the training script,
calibration and the PyTorch evaluation all read them from here.
"""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

DATASET = os.environ.get("IVIT_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
# Mean and standard deviation of the 60k training pixels (x / 255); the model sees (x/255 - MEAN) / STD.
MEAN = 0.2860
STD = 0.3530
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _open(name: str):
    path = os.path.join(DATASET, name)
    if os.path.exists(path):
        return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    raise FileNotFoundError(f"{path}: not found (apt-get install dataset-fashion-mnist)")


def read_images(split: str) -> np.ndarray:
    """uint8 [N, 28, 28] for split 'train' (60k) or 'test' (10k)."""
    prefix = "train" if split == "train" else "t10k"
    with _open(f"{prefix}-images-idx3-ubyte.gz") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise ValueError(f"{prefix} images: bad idx magic {magic}")
        return np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, rows, cols).copy()


def read_labels(split: str) -> np.ndarray:
    prefix = "train" if split == "train" else "t10k"
    with _open(f"{prefix}-labels-idx1-ubyte.gz") as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic != 2049:
            raise ValueError(f"{prefix} labels: bad idx magic {magic}")
        return np.frombuffer(f.read(n), dtype=np.uint8).copy()


def normalise(images: np.ndarray) -> np.ndarray:
    """float32 [N, 1, 28, 28], in float32 arithmetic (the same steps the integer input quantiser takes)."""
    f32 = np.float32
    x = images.astype(f32) / f32(255.0)
    return ((x - f32(MEAN)) / f32(STD))[:, None, :, :]
