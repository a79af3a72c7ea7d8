#!/usr/bin/env bash
# The main job: compile DeiT-S (seeded synthetic weights) to the accelerator's ISA, simulate it cycle by cycle
# with real values, check every layer bit-exact against the golden integer model, print the report and write it,
# with its charts (out/main/report.html, docs/report.md), to out/main/.
# Extra arguments go to `ivit run` (e.g. --model deit-t, --config file, --report dir, --trace file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# a later --report in the arguments wins over this one
exec node bin/ivit.js run --model deit-s --seed 1 --report out/main "$@"
