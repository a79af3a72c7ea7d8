#!/usr/bin/env bash
# The accuracy table of docs/accuracy.md, from the committed float checkpoint, on a fresh clone:
#   1. import verify/checkpoints/fashion-vit.safetensors (PTQ: QuantAct min/max over the first 512 training images),
#      and say whether the result is byte-identical to the committed verify/checkpoints/fashion-vit-int8.safetensors;
#   2. ivit eval on all 10k Fashion-MNIST test images: FP32 (PyTorch), fake-quant float32, integer golden model,
#      PyTorch int64 = golden on every image, and 8 images end to end on the simulator, bit-exact;
#   3. the trained model on the default accelerator (cycles, ms).
# Usage: scripts/accuracy.sh [--limit N]   (about 5 minutes on 2 cores; writes .cache/accuracy/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
out=.cache/accuracy
mkdir -p "$out"
model="$out/fashion-vit-int8.safetensors"
node bin/ivit.js import --checkpoint verify/checkpoints/fashion-vit.safetensors --out "$model" --name fashion-vit --calib 512
if cmp -s "$model" verify/checkpoints/fashion-vit-int8.safetensors; then
  echo "import: byte-identical to the committed verify/checkpoints/fashion-vit-int8.safetensors"
else
  echo "import: DIFFERS from the committed verify/checkpoints/fashion-vit-int8.safetensors" >&2
  exit 1
fi
node bin/ivit.js eval --model "$model" --float verify/checkpoints/fashion-vit.safetensors --data fashion-mnist --sim-sample 8 --json-out "$out/eval.json" "$@"
node bin/ivit.js run --model "$model" --image fashion-mnist:test:0
