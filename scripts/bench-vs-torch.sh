#!/usr/bin/env bash
# The simulator with values against PyTorch's own FP32 forward of DeiT-S, side by side in one run (issue 17 item 1).
# PyTorch: verify/bench/torch_deit_s_fp32.py, 1 and 2 threads, median of 10 forwards. Simulator: `ivit run --model
# deit-s --json` wallMs.simulate (the simulation with values, bit-exact against the golden model), median of N runs.
# Installs libopenblas0-pthread when missing: without it Debian's torch uses the reference BLAS (≈ 3.5 s, a
# meaningless baseline). Prints the load before and after, both absolute times and the ratio.
# Usage: scripts/bench-vs-torch.sh [runs]        (about 1 minute)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "installing libopenblas0-pthread (PyTorch's BLAS; without it the baseline is the reference BLAS)"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y libopenblas0-pthread >/dev/null
fi
runs=${1:-5}
echo "load before: $(cat /proc/loadavg)"
t1=$(/usr/bin/python3 verify/bench/torch_deit_s_fp32.py --threads 1 --runs 10)
t2=$(/usr/bin/python3 verify/bench/torch_deit_s_fp32.py --threads 2 --runs 10)
node bin/ivit.js golden --model deit-s --seed 1 --json >/dev/null # generate and cache the model first
sims=()
for _ in $(seq "$runs"); do
  sims+=("$(node bin/ivit.js run --model deit-s --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s); if(!o.bitExact) throw new Error("not bit-exact"); console.log(o.wallMs.simulate)})')")
done
echo "load after:  $(cat /proc/loadavg)"
node -e '
const [t1, t2] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
const sims = process.argv.slice(3).map(Number).sort((a, b) => a - b);
const sim = sims[Math.floor((sims.length - 1) / 2)];
console.log(`PyTorch FP32 DeiT-S (${t1.blas}, torch ${t1.torch}): 1 thread ${t1.medianMs} ms (min ${t1.minMs}, max ${t1.maxMs}); 2 threads ${t2.medianMs} ms (min ${t2.minMs}, max ${t2.maxMs})`);
console.log(`simulator with values (bit-exact), median of ${sims.length}: ${(sim / 1000).toFixed(3)} s  [${sims.map((s) => (s / 1000).toFixed(2)).join(", ")}]`);
console.log(`ratio simulator / PyTorch: ${(sim / t1.medianMs).toFixed(1)}x against 1 thread, ${(sim / t2.medianMs).toFixed(1)}x against 2 threads (target: <= 10x against 1 thread)`);
' "$t1" "$t2" "${sims[@]}"
