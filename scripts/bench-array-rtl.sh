#!/usr/bin/env bash
# Co-simulate every distinct gemm shape of DeiT-S and DeiT-T on the generated weight-stationary and output-stationary
# arrays at 4×4, 8×8 and 16×16 (Verilator), against the golden matmul, arrayTiming() and detailedArray().
# Results: docs/array-rtl-results.json.
# Usage: scripts/bench-array-rtl.sh [geometries, default 4x4,8x8,16x16] [dataflows, default ws,os]
#   (after the build: npx tsc -p tsconfig.json)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in deit-s deit-t; do
  node bin/ivit.js compile --model "$m" --shape-only --rows 16 --cols 16 -o "$work/$m.ivp" --asm "$work/$m.asm" >/dev/null
done
node scripts/bench-array-rtl.mjs docs/array-rtl-results.json "${2:-ws,os}" "${1:-4x4,8x8,16x16}" "$work/deit-s.asm" "$work/deit-t.asm"
