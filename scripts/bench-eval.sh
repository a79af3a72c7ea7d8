#!/usr/bin/env bash
# Evaluation throughput on the trained model (scripts/bench-eval.mjs): golden images/s with 1 and 2 workers and the
# per-image simulator time; writes the "## Evaluation" section of docs/benchmarks.md from the measured figures.
# Usage: scripts/bench-eval.sh [model=verify/checkpoints/fashion-vit-int8.safetensors] [images=2000] [simImages=5]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
model=${1:-verify/checkpoints/fashion-vit-int8.safetensors}
images=${2:-2000}
sims=${3:-5}
[ -f "$model" ] || { echo "bench-eval: $model: no such model file" >&2; exit 2; }
npx tsc -p tsconfig.json >/dev/null || true # a type error elsewhere in the tree still emits
loadavg_before=$(cat /proc/loadavg)
json=$(node scripts/bench-eval.mjs "$model" "$images" "$sims" 1,2)
loadavg_after=$(cat /proc/loadavg)
echo "$json"
section=$(node -e '
const o = JSON.parse(process.argv[1]);
const [cmd, before, after] = process.argv.slice(2);
const g = o.golden.map((r) => `| ${r.workers} | ${o.images} | ${r.seconds.toFixed(1)} | ${r.imagesPerSecond.toFixed(1)} | ${(1000 / r.imagesPerSecond).toFixed(1)} |`);
const s = o.sim;
console.log([
  "## Evaluation",
  "",
  `\`${cmd}\` (${new Date().toISOString().slice(0, 10)}): the golden model over the first ${o.images} Fashion-MNIST test images of`,
  `\`${o.model}\` on worker threads (verify/eval/golden-pool.ts, as \`ivit eval\` runs it; the logits of every worker count`,
  "are checked equal), then the end-to-end simulator on a sample of them (compile, simulate with values, compare every",
  `layer hash with the golden model, as \`ivit eval --sim-sample\`). ${o.cores} cores (${o.cpu}), node ${o.node}.`,
  `Load (\`cat /proc/loadavg\`): before \`${before}\`, after \`${after}\`.`,
  "",
  ...(o.loadBefore >= o.cores ? [`The load average (${o.loadBefore}) was at or above the ${o.cores} cores, so a second worker had no idle core to run on: the`, "2-worker figure shows the overhead of the pool, not its speed-up; rerun on a quiet machine for that.", ""] : []),
  "| golden workers | images | seconds | images/s | ms per image |",
  "|---|---|---|---|---|",
  ...g,
  "",
  `Simulator: ${s.bitExact} / ${s.images} sampled images bit-exact; ${s.cycles.toLocaleString("en-US")} cycles = ${(s.cycles / 500e3).toFixed(3)} ms per image at 500 MHz on the default`,
  `accelerator; wall per image (median): compile ${(s.medianMs.compile / 1000).toFixed(2)} s, simulate with values ${(s.medianMs.simulate / 1000).toFixed(2)} s, golden pass with layer hashes ${(s.medianMs.golden / 1000).toFixed(2)} s.`,
].join("\n"));
' "$json" "$(echo "bash scripts/bench-eval.sh $*" | sed 's/ *$//')" "$loadavg_before" "$loadavg_after")
node -e '
const fs = require("fs");
const [file, section] = process.argv.slice(1);
const doc = fs.readFileSync(file, "utf8");
const start = doc.indexOf("\n## Evaluation\n");
let next = start < 0 ? -1 : doc.indexOf("\n## ", start + 1);
const body = section.trimEnd() + "\n";
const out = start < 0 ? doc.trimEnd() + "\n\n" + body : doc.slice(0, start + 1) + body + (next < 0 ? "" : doc.slice(next));
fs.writeFileSync(file, out);
' docs/benchmarks.md "$section"
echo "wrote the Evaluation section of docs/benchmarks.md" >&2
