#!/usr/bin/env bash
# Golden-model forward-pass time: median of N runs per model (default: deit-t deit-s, 3 runs each).
# Usage: scripts/bench-golden.sh [runs] [model ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
runs=${1:-3}; shift || true
models=("${@:-deit-t deit-s}")
# shellcheck disable=SC2206
models=(${models[*]})
printf '%-10s %8s %10s %18s %7s\n' model runs median_s checksum argmax
for m in "${models[@]}"; do
  node bin/ivit.js golden --model "$m" --seed 1 --json >/dev/null # generate and cache the model first
  times=()
  for _ in $(seq "$runs"); do
    out=$(node bin/ivit.js golden --model "$m" --seed 1 --json)
    times+=("$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).forwardMs))' "$out")")
    sum=$(node -e 'const o=JSON.parse(process.argv[1]); process.stdout.write(o.checksum + " " + o.argmax)' "$out")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]/1000}')
  read -r checksum argmax <<<"$sum"
  printf '%-10s %8s %10s %18s %7s\n' "$m" "$runs" "$median" "$checksum" "$argmax"
done
node -e 'const os=require("os"); console.log(`# ${os.cpus().length} cores, ${os.cpus()[0].model}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`)'
