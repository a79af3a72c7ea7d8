#!/usr/bin/env bash
# The I&S-ViT rows of docs/accuracy.md, from the committed float checkpoint:
#   1. ivit import --numerics isvit-w4a4 and isvit-w3a3 of verify/checkpoints/fashion-vit.safetensors (PTQ only, the
#      first 512 training images: an I-ViT pass for the SOS factors, then the reparameterised model at b-bit weights
#      and inputs, SULQ's η per block; docs/numerics.md "I&S-ViT low-bit presets");
#   2. ivit eval --numerics isvit-w4a4 / isvit-w3a3 on all 10k Fashion-MNIST test images: the integer golden model,
#      FP32 and the PyTorch int64 reference (= golden on every image) where /usr/bin/python3 has torch
#      (IVIT_PYTHON=/nonexistent skips them: golden only); no simulator sample (no SULQ mode in the simulator yet).
# Usage: scripts/accuracy-isvit.sh [--limit N]   (writes .cache/accuracy-isvit/; the JSON reports are the ones
# committed as verify/checkpoints/eval-fashion-vit-isvit-w{4a4,3a3}.json)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/accuracy-isvit
mkdir -p "$out"
for preset in isvit-w4a4 isvit-w3a3; do
  model="$out/fashion-vit-$preset.safetensors"
  node bin/ivit.js import --checkpoint verify/checkpoints/fashion-vit.safetensors --out "$model" --name fashion-vit --calib 512 --numerics "$preset"
  node bin/ivit.js eval --model "$model" --numerics "$preset" --data fashion-mnist --json-out "$out/eval-$preset.json" "$@"
done
