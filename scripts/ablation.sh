#!/usr/bin/env bash
# The ablation of docs/ablation.md: each non-linear method swapped into the I-ViT integer model (and into the
# I&S-ViT low-bit presets where they exist), from the committed trained Fashion-MNIST model, on a fresh clone:
#   accuracy: `ivit eval` on all 10k test images (golden model; the I-ViT run also PyTorch FP32 = the ceiling, and
#             PyTorch int64 = golden on every image); W4A4 / W3A3 cells need the presets isvit-w4a4 / isvit-w3a3;
#   area:     the unit's synthesis row (docs/rtl.md's committed `ivit synth` results; --synth re-runs them);
#   cycles:   `ivit run --model deit-s --timing-only` on the default machine with the unit swapped in.
# Writes verify/checkpoints/ablation.json (the cells; rows not measured this time are kept) and the generated part
# of docs/ablation.md.   Training is not part of it (verify/checkpoints/fashion-vit.safetensors is committed).
# Usage: scripts/ablation.sh [--rows shiftmax,lis,sulq,ibert-softmax,float-softmax,shiftgelu,ibert-gelu,ilayernorm,
#          ilayernorm-serial,pts] [--limit N] [--synth] [--reuse] [--skip-eval] [--model FILE] [--workers N] [--no-deps]
#   e.g. after a PTS change: scripts/ablation.sh --rows pts        (all rows: about 30 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
deps=1
for a in "$@"; do
  if [ "$a" = --no-deps ]; then deps=0; else args+=("$a"); fi
done
# --no-deps: the npm packages, the Debian tools and the build are known to be in place
[ "$deps" = 1 ] && bash scripts/ensure-deps.sh --debian
node scripts/ablation.mjs "${args[@]}"
node scripts/ablation-table.mjs --cells verify/checkpoints/ablation.json --doc docs/ablation.md
