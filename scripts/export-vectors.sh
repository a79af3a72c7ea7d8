#!/usr/bin/env bash
# Regenerate the committed PyTorch test vectors: verify/vectors/<model>.json (the I-ViT preset, pytorch) and
# verify/vectors/<model>-fqvit.json (the fqvit preset: PTS LayerNorm, LIS attention) from the same model and images.
# Generates each model (seeded synthetic weights, seed 1) and the seeded input images (seeds 1, 2, 3)
# through the TypeScript CLI into a temporary folder, then runs the independent int64 PyTorch reference
# (verify/torch/export_vectors.py) on them: CUDA when the machine has it, else the CPU. A real image is
# added too: Fashion-MNIST test image 0 (Debian package dataset-fashion-mnist), see verify/torch/fashion_image.py.
#
# Usage: scripts/export-vectors.sh [model ...]        (default: deit-t deit-s)
# Environment: IVIT_PYTHON (default /usr/bin/python3, which needs torch), IVIT_TORCH_DEVICE (cpu | cuda),
#              IVIT_VECTOR_IMAGES (default "1 2 3"), IVIT_FASHION_MNIST (test-set indices, default "0";
#              empty for none), IVIT_TORCH_THREADS (default 2), IVIT_VECTOR_NUMERICS (default "pytorch fqvit").
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${IVIT_PYTHON:-/usr/bin/python3}"
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(deit-t deit-s)
read -r -a image_seeds <<< "${IVIT_VECTOR_IMAGES:-1 2 3}"
read -r -a fashion <<< "${IVIT_FASHION_MNIST-0}"
read -r -a presets <<< "${IVIT_VECTOR_NUMERICS:-pytorch fqvit}"
model_seed=1

fashion_args=()
for i in "${fashion[@]}"; do fashion_args+=(--fashion-mnist "$i"); done
if [ ${#fashion[@]} -gt 0 ] && [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  echo "export-vectors: Fashion-MNIST is missing (apt-get install dataset-fashion-mnist, or IVIT_FASHION_MNIST= for none)" >&2
  exit 2
fi

if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
  echo "export-vectors: $PY has no torch (Debian: apt-get install python3-torch)" >&2
  exit 2
fi
bash scripts/ensure-deps.sh   # npm packages and an up-to-date build (dist/)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p verify/vectors

for m in "${models[@]}"; do
  node bin/ivit.js model gen --model "$m" --seed "$model_seed" -o "$tmp/$m.safetensors" --image-out "$tmp/$m-img$model_seed.safetensors" >&2
  args=()
  for s in "${image_seeds[@]}"; do
    img="$tmp/$m-img$s.safetensors"
    [ -f "$img" ] || node dist/verify/torch/write-inputs.js image "$tmp/$m.safetensors" "$s" "$img"
    args+=(--image "synthetic-seed$s" "$img")
  done
  device_args=()
  [ -n "${IVIT_TORCH_DEVICE:-}" ] && device_args=(--device "$IVIT_TORCH_DEVICE")
  for preset in "${presets[@]}"; do
    out="verify/vectors/$m.json"
    [ "$preset" = pytorch ] || out="verify/vectors/$m-$preset.json"
    "$PY" verify/torch/export_vectors.py --name "$m" --seed "$model_seed" --model "$tmp/$m.safetensors" --numerics "$preset" \
      "${args[@]}" "${fashion_args[@]}" "${device_args[@]}" --out "$out" --command "IVIT_VECTOR_NUMERICS=$preset scripts/export-vectors.sh $m"
  done
done
