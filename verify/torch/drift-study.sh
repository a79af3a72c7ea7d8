#!/usr/bin/env bash
# The drift study of docs/verification.md: for each model (default deit-t deit-s; seeded synthetic weights,
# seed 1) the exact int64 pass against the published code's float32 fake-quant pass, on the seeded images
# 1, 2, 3 and Fashion-MNIST test image 0. Prints the Markdown tables; full per-layer JSON goes to
# ${IVIT_DRIFT_OUT:-/tmp}/drift-<model>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${IVIT_PYTHON:-/usr/bin/python3}"
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(deit-t deit-s)
out="${IVIT_DRIFT_OUT:-/tmp}"
bash scripts/ensure-deps.sh
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for m in "${models[@]}"; do
  node bin/ivit.js model gen --model "$m" --seed 1 -o "$tmp/$m.safetensors" --image-out "$tmp/$m-img1.safetensors" >&2
  args=(--image synthetic-seed1 "$tmp/$m-img1.safetensors")
  for s in 2 3; do
    node dist/verify/torch/write-inputs.js image "$tmp/$m.safetensors" "$s" "$tmp/$m-img$s.safetensors"
    args+=(--image "synthetic-seed$s" "$tmp/$m-img$s.safetensors")
  done
  "$PY" verify/torch/fashion_image.py --model "$tmp/$m.safetensors" --index 0 --out "$tmp/$m-fm0.safetensors"
  args+=(--image fashion-mnist-test0 "$tmp/$m-fm0.safetensors")
  "$PY" verify/torch/drift_study.py --model "$tmp/$m.safetensors" "${args[@]}" --json "$out/drift-$m.json" --markdown
  echo
done
