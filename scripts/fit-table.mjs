// Joins the `ivit fit --json` results (and the value runs beside them) of scripts/fit-table.sh into
// docs/fit-results.json and the markdown table docs/fit-table.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [, , , ...files] = process.argv;
const pct = (v) => (v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
const size = (b) => (b % (1 << 20) === 0 ? `${b / (1 << 20)} MiB` : `${b / 1024} KiB`);
const words = (w) => (w % (1 << 20) === 0 ? `${w / (1 << 20)} Mi` : `${w / 1024} Ki`);
const results = files.map((f) => {
  const fit = JSON.parse(readFileSync(f, 'utf8'));
  const runFile = f.replace(/\.json$/, '.run.json');
  const run = existsSync(runFile) ? JSON.parse(readFileSync(runFile, 'utf8') || 'null') : null;
  const c = fit.config;
  return {
    model: fit.model,
    array: `${c.array.rows}×${c.array.cols}`,
    dataflow: c.array.dataflow,
    target: fit.target,
    reached: fit.reached,
    lanes: c.sdu.lanes,
    scratchpadBytes: c.scratchpad.bytes,
    accumulatorWords: c.accumulator.words,
    macUtilisation: fit.row.macUtilisation,
    sduExposedFraction: fit.row.sduExposedFraction,
    cycles: fit.row.cycles,
    limit: fit.limit,
    simulated: fit.simulated,
    bitExact: run ? run.bitExact : undefined,
  };
});
writeFileSync('docs/fit-results.json', `${JSON.stringify(results, null, 2)}\n`);
const L = [
  '| model | array | target | lanes | scratchpad | accumulator | MAC util | SDU exposed | bit-exact | what limits it |',
  '|---|---|---|---:|---:|---:|---:|---:|---|---|',
];
for (const r of results)
  L.push(
    `| ${r.model} | ${r.array} ${r.dataflow.toUpperCase()} | ${pct(r.target)} | ${r.reached ? r.lanes : `(${r.lanes})`} | ${r.reached ? size(r.scratchpadBytes) : `(${size(r.scratchpadBytes)})`} | ${r.reached ? words(r.accumulatorWords) : `(${words(r.accumulatorWords)})`} | ${pct(r.macUtilisation)} | ${pct(r.sduExposedFraction)} | ${r.bitExact === undefined ? '—' : r.bitExact ? 'yes' : '**no**'} | ${r.reached ? 'met' : r.limit} |`,
  );
writeFileSync('docs/fit-table.md', `${L.join('\n')}\n`);
process.stdout.write(`${L.join('\n')}\n`);
