#!/usr/bin/env bash
# The main job: compile DeiT-S (seeded synthetic weights) to the accelerator's ISA, simulate it cycle by cycle
# with real values, check every layer bit-exact against the golden integer model, and print the report.
# Extra arguments go to `ivit run` (e.g. --model deit-t, --config file, --report dir, --trace file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/ivit.js run --model deit-s --seed 1 "$@"
