#!/usr/bin/env bash
# Regenerate the committed PyTorch vectors of the synthetic Swin models: verify/vectors/swin/<model>.json.
# Each model (seeded synthetic weights, seed 1) and its seeded input image (seed 1) are written through the
# TypeScript CLI (ivit model gen) into a temporary folder; the independent int64 PyTorch Swin
# (verify/torch/swin_forward.py, float64 GEMMs, which are exact) hashes every layer: CUDA when the machine has it,
# else the CPU. test/torch-vectors/swin-vectors.test.ts checks the golden model against them without Python.
#
# Usage: scripts/export-swin-vectors.sh [model ...]     (default: swin-t)
# Environment: IVIT_PYTHON (default /usr/bin/python3, which needs torch), IVIT_TORCH_DEVICE (cpu | cuda).
# Needs an up-to-date build (dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${IVIT_PYTHON:-/usr/bin/python3}"
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(swin-t)
seed=1
if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
  echo "export-swin-vectors: $PY has no torch (Debian: apt-get install python3-torch)" >&2
  exit 2
fi
device_args=()
[ -n "${IVIT_TORCH_DEVICE:-}" ] && device_args=(--device "$IVIT_TORCH_DEVICE")

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p verify/vectors/swin
for m in "${models[@]}"; do
  node bin/ivit.js model gen --model "$m" --seed "$seed" -o "$tmp/$m.safetensors" --image-out "$tmp/$m-img.safetensors" >&2
  (cd verify/torch && "$PY" swin_forward.py --model "$tmp/$m.safetensors" --image "$tmp/$m-img.safetensors" "${device_args[@]}") > "$tmp/$m.json"
  "$PY" - "$m" "$seed" "$tmp/$m.json" > "verify/vectors/swin/$m.json" <<'PY'
import json, sys
name, seed, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = json.load(open(path))
out = {"format": "ivit-swin-vectors", "version": 1, "model": name, "modelSeed": seed, "imageSeed": seed, "numerics": "pytorch",
       "torch": r["torch"], "device": r["device"], "matmul": r["matmul"], "checksum": r["checksum"], "argmax": r["argmax"],
       "layers": r["layers"]}
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
PY
  echo "wrote verify/vectors/swin/$m.json" >&2
done
