#!/usr/bin/env bash
# Installs what the project needs when it is missing: npm packages always, Debian tools when asked.
# Usage: scripts/ensure-deps.sh [--debian]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

if [ "${1:-}" = "--debian" ]; then
  # tool → Debian package (../shared/spec/targets.md)
  declare -A pkgs=(
    [verilator]=verilator [iverilog]=iverilog [yosys]=yosys
    [nextpnr-ice40]=nextpnr-ice40 [icepack]=fpga-icestorm
    # the report's browser test (playwright-core drives the system Chromium) and the sharded-sweep test
    [chromium]=chromium [parallel]=parallel
  )
  missing=()
  for tool in "${!pkgs[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing+=("${pkgs[$tool]}"); done
  if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then missing+=(python3-torch); fi
  # the import tests export real torchvision models, to safetensors and ONNX (checked by python3-onnx)
  if ! /usr/bin/python3 -c 'import torchvision' >/dev/null 2>&1; then missing+=(python3-torchvision); fi
  if ! /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1; then missing+=(python3-onnx); fi
  if ! /usr/bin/python3 -c 'import PIL' >/dev/null 2>&1; then missing+=(python3-pil); fi
  # real images: calibration, evaluation and --image fashion-mnist:test:N
  [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
fi

# Build when any TypeScript source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ ! -f dist/verify/golden/ops/wasm/gemm-i8.wasm ] || [ -n "$(find isa sim rtl-gen programs verify report api cli test \( -name '*.ts' -o -name '*.wat' \) -newer "$stamp" -print -quit 2>/dev/null)" ] || [ tsconfig.json -nt "$stamp" ]; then
  echo "building..." >&2
  npx tsc -p tsconfig.json >&2
  node scripts/build-wasm.mjs >&2
  touch "$stamp"
fi
