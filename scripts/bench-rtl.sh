#!/usr/bin/env bash
# RTL synthesis sweep: yosys 0.23 cell counts for iCE40 / ECP5 / Xilinx and nextpnr-ice40 Fmax (median of
# 3 seeds, registered-I/O wrapper) for every generated unit configuration in rtl-gen/synth/sweep.ts.
# Usage: scripts/bench-rtl.sh [outdir] [--quick]     (default outdir: out/bench-rtl, git-ignored; takes ~10–20 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
out="${1:-out/bench-rtl}"
shift || true
npx tsc -p tsconfig.json
node dist/rtl-gen/synth/sweep.js -o "$out" "$@"
