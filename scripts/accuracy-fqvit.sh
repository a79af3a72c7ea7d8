#!/usr/bin/env bash
# The fqvit rows of docs/accuracy.md, from the committed float checkpoint:
#   1. import verify/checkpoints/fashion-vit.safetensors twice (the same PTQ as scripts/accuracy.sh: QuantAct min/max
#      over the first 512 training images, PTS scales fitted on the same pass), with 4-bit and 8-bit LIS codes;
#   2. ivit eval --numerics fqvit on all 10k Fashion-MNIST test images for each: FP32 (PyTorch), the integer golden
#      model, PyTorch int64 = golden on every image, 8 images end to end on the simulator, bit-exact
#      (no fake-quant column: the float32 fake-quant pass is I-ViT's).
# Usage: scripts/accuracy-fqvit.sh [--limit N]   (writes .cache/accuracy-fqvit/; the JSON reports are the ones
# committed as verify/checkpoints/eval-fashion-vit-fqvit{4,8}.json)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
out=.cache/accuracy-fqvit
mkdir -p "$out"
for bits in 4 8; do
  model="$out/fashion-vit-fqvit$bits.safetensors"
  node bin/ivit.js import --checkpoint verify/checkpoints/fashion-vit.safetensors --out "$model" --name fashion-vit --calib 512 --lis-bits "$bits"
  node bin/ivit.js eval --model "$model" --numerics fqvit --float verify/checkpoints/fashion-vit.safetensors --data fashion-mnist --sim-sample 8 \
    --json-out "$out/eval-fqvit$bits.json" "$@"
done
