#!/usr/bin/env python3
"""PyTorch's own FP32 forward of a DeiT-S-shaped ViT (torchvision's VisionTransformer: 224², patch 16, width 384,
12 blocks, 6 heads, MLP 1536, 1000 classes), one image, no grad: the baseline of scripts/bench-vs-torch.sh.

    /usr/bin/python3 verify/bench/torch_deit_s_fp32.py --threads 1 --runs 10   -> one JSON line

Weights are random (the speed does not depend on them); the first two forwards warm up and are not counted.
"""
import argparse
import json
import statistics
import time

import torch
from torchvision.models.vision_transformer import VisionTransformer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=6, hidden_dim=384, mlp_dim=1536).eval()
    x = torch.randn(1, 3, 224, 224)
    times = []
    with torch.no_grad():
        for i in range(args.runs + 2):
            t0 = time.perf_counter()
            model(x)
            if i >= 2:
                times.append(time.perf_counter() - t0)
    blas = "openblas" if "openblas" in open("/proc/self/maps").read().lower() else "other (reference BLAS?)"
    print(json.dumps({"threads": args.threads, "runs": args.runs, "medianMs": round(1000 * statistics.median(times), 2),
                      "minMs": round(1000 * min(times), 2), "maxMs": round(1000 * max(times), 2), "blas": blas, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
