#!/usr/bin/env bash
# The main job: the golden integer model on DeiT-S with seeded synthetic weights.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/ivit.js golden --model deit-s --seed 1 "$@"
