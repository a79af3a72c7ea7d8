#!/usr/bin/env bash
# End-to-end figures of the compiler + simulator on DeiT-S (default 16×16 WS array, 16-lane SDU, 32 B/cycle DMA):
# cycles, MAC utilisation (MACs / (PEs × cycles), every operator included), SDU cycles exposed (SDU busy while
# the array idles), and the wall time of the simulation with values and timing only (median of N runs each).
# Usage: scripts/bench-run.sh [runs] [model]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
runs=${1:-3}
model=${2:-deit-s}
node bin/ivit.js golden --model "$model" --seed 1 --json >/dev/null # generate and cache the model first
field() { node -e 'const o=JSON.parse(process.argv[1]); const v=process.argv[2].split(".").reduce((a,k)=>a[k],o); process.stdout.write(String(v))' "$1" "$2"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
vals=(); timing=(); compile=(); valsCpu=(); timingCpu=()
for _ in $(seq "$runs"); do
  out=$(node bin/ivit.js run --model "$model" --json)
  vals+=("$(field "$out" wallMs.simulate)")
  valsCpu+=("$(field "$out" wallMs.simulateCpu)")
  compile+=("$(field "$out" wallMs.compile)")
  t=$(node bin/ivit.js run --model "$model" --timing-only --json)
  timing+=("$(field "$t" wallMs.simulate)")
  timingCpu+=("$(field "$t" wallMs.simulateCpu)")
done
printf 'model %s: bit-exact %s (logits %s), %s cycles = %s ms at 500 MHz, %s instructions\n' "$model" "$(field "$out" bitExact)" "$(field "$out" logitsMatch)" "$(field "$out" cycles)" "$(field "$out" ms)" "$(field "$out" instructions)"
node -e 'const o=JSON.parse(process.argv[1]); const p=(v)=>(100*v).toFixed(2)+"%";
console.log(`MAC utilisation ${p(o.macUtilisation)} of the ideal MACs/PEs cycles (PE utilisation incl. int16 passes ${p(o.peUtilisation)}); SDU exposed ${p(o.sduExposedFraction)} of the cycles`);
for (const [k, r] of Object.entries(o.operators)) if (r.count) console.log(`  ${k.padEnd(10)} ${String(r.count).padStart(6)} instr ${String(r.busyCycles).padStart(10)} busy cycles`);' "$out"
printf 'wall (median of %s): simulate with values %.2f s, timing only %.2f s, compile %.2f s\n' "$runs" \
  "$(node -e "console.log($(median "${vals[@]}")/1000)")" "$(node -e "console.log($(median "${timing[@]}")/1000)")" "$(node -e "console.log($(median "${compile[@]}")/1000)")"
printf 'CPU time of the simulation (median; user + system of the process): with values %.2f s, timing only %.2f s\n' \
  "$(node -e "console.log($(median "${valsCpu[@]}")/1000)")" "$(node -e "console.log($(median "${timingCpu[@]}")/1000)")"
node -e 'const os=require("os"); console.log(`# ${os.cpus().length} cores, ${os.cpus()[0].model}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`)'
