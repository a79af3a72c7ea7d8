#!/usr/bin/env bash
# Issue 16's table: for DeiT-T/S/B on WS arrays 16×16, 32×32, 64×64 and OS 16×16, 32×32, the smallest SDU lanes,
# scratchpad and accumulator with which `ivit fit` reaches the target (90% of ideal MAC cycles, 85% at 64×64 and
# for OS, SDU exposed ≤ 5%), or what limits the row when nothing does. Then the WS 16×16 and 32×32 machines it
# chose run with values and are checked bit-exact against the golden model.
# Writes docs/fit-results.json and docs/fit-table.md.   Usage: scripts/fit-table.sh [models] [--no-values]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
models=${1:-deit-t,deit-s,deit-b}
values=1; [ "${2:-}" = "--no-values" ] && values=0
tmp=$(mktemp -d)
rows=()
for model in ${models//,/ }; do
  for point in ws:16:0.9 ws:32:0.9 ws:64:0.85 os:16:0.85 os:32:0.85; do
    IFS=: read -r df r target <<<"$point"
    out="$tmp/$model-$df-$r.json"
    echo "fit: $model ${r}×${r} $df (target $target)" >&2
    node bin/ivit.js fit --model "$model" --rows "$r" --cols "$r" --dataflow "$df" --target "$target" --max-sdu-exposed 0.05 --json "$out" >&2 || true
    if [ "$values" = 1 ] && [ "$df" = ws ] && [ "$r" -le 32 ]; then
      set_args=$(node -e 'const f=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).config;
        console.log(`--set sdu.lanes=${f.sdu.lanes} --set scratchpad.bytes=${f.scratchpad.bytes} --set accumulator.words=${f.accumulator.words}`)' "$out")
      echo "values: $model ${r}×${r} $set_args" >&2
      # shellcheck disable=SC2086
      node bin/ivit.js run --model "$model" --rows "$r" --cols "$r" $set_args --json >"$tmp/$model-$df-$r.run.json" || true
    fi
    rows+=("$out")
  done
done
node scripts/fit-table.mjs "$tmp" "${rows[@]}"
