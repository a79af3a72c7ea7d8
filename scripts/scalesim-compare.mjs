#!/usr/bin/env node
/**
 * Runs SCALE-Sim v2 itself on our gemm shapes and compares its Total Cycles with our `array.model: "scalesim"`
 * timing (sim/array/scalesim.ts). The layers: every distinct gemm instruction shape of DeiT-T and DeiT-S (as the
 * compiler emits them for the default machine) and drawn shapes; arrays R×R for the given R, dataflows ws, os
 * and is. SCALE-Sim runs with /usr/bin/python3 from the given checkout, in its estimated-bandwidth mode (CALC)
 * with 1 MiB SRAMs; one run per (array, dataflow), a topology in its GEMM (M, N, K) format. Results are cached
 * per layer under --cache so that an interrupted run resumes.
 *
 * Usage (after the build, npx tsc -p tsconfig.json; then npx prettier --write the output file):
 *   node scripts/scalesim-compare.mjs <scale-sim-v2 checkout> [--arrays 4,8,16,32] [--out docs/scalesim-comparison.json]
 *        [--cache .cache/scalesim] [--max-rows N]     (skip layers of more than N SCALE-Sim cycles; default none)
 *        [--cached-only]                              (run nothing: the cached layers only, the rest listed as skipped)
 *   node scripts/scalesim-compare.mjs <scale-sim-v2 checkout> --reader <report dir>
 *        (loads an `ivit run --report` directory's COMPUTE/BANDWIDTH/DETAILED_ACCESS_REPORT.csv with SCALE-Sim's
 *         own reader, scalesim/utilities/scalesim_report.py, and prints what it read as JSON)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zooConfig } from '../dist/verify/golden/zoo.js';
import { graphFromConfig } from '../dist/programs/graph/build.js';
import { compileGraph } from '../dist/programs/compiler/compile.js';
import { DEFAULT_CONFIG, numericsOf } from '../dist/sim/config.js';
import { decodeAll } from '../dist/isa/disasm.js';
import { gemmShape } from '../dist/sim/timing/units.js';
import { scaleSimOperands, scaleSimTiming } from '../dist/sim/array/scalesim.js';
import { mulberry32 } from '../dist/isa/asm/prng.js';

const PYTHON = '/usr/bin/python3';
const DATAFLOWS = ['ws', 'os', 'is'];
const DRAWN = 16;
const DRAW_SEED = 13;

const args = process.argv.slice(2);
const checkout = args[0] && !args[0].startsWith('--') ? resolve(args[0]) : undefined;
if (!checkout || !existsSync(join(checkout, 'scalesim', 'scale_sim.py'))) {
  process.stderr.write(
    'usage: node scripts/scalesim-compare.mjs <scale-sim-v2 checkout> [--arrays 4,8,16,32] [--out file] [--cache dir] [--max-rows N] | --reader <dir>\n',
  );
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args[i + 1];
};

const reader = opt('reader');
if (reader !== undefined) {
  process.stdout.write(runReader(resolve(reader)));
  process.exit(0);
}

const arrays = opt('arrays', '4,8,16,32').split(',').map(Number);
const out = opt('out', 'docs/scalesim-comparison.json');
const cache = resolve(opt('cache', '.cache/scalesim'));
const maxRows = Number(opt('max-rows', 'Infinity'));
const cachedOnly = args.includes('--cached-only');
const CHUNK_ROWS = 300_000;
mkdirSync(cache, { recursive: true });

const layers = modelShapes();
const next = mulberry32(DRAW_SEED);
for (let i = 0; i < DRAWN; i++) {
  const s = { m: 1 + (next() % 64), n: 1 + (next() % 96), k: 1 + (next() % 96), passes: 1 + (next() % 2) };
  layers.push({ ...s, source: ['drawn'], count: 1 });
}

const rows = [];
const skipped = [];
for (const R of arrays) {
  for (const df of DATAFLOWS) {
    const g = { rows: R, cols: R };
    const wanted = new Map();
    for (const l of layers) {
      const q = scaleSimOperands(l, df);
      const key = `${q.M}x${q.N}x${q.K}`;
      const ours = scaleSimTiming(g, l, df).cycles;
      if (ours > maxRows) {
        skipped.push({ ...shapeOf(l), rows: R, cols: R, dataflow: df, estimatedCycles: ours });
        continue;
      }
      wanted.set(key, q);
    }
    const file = (key) => join(cache, `${R}x${R}-${df}-${key}.json`);
    const missing = [...wanted].filter(([key]) => !existsSync(file(key)));
    // SCALE-Sim services its demand matrices row by row in Python (a few thousand rows a second): run it in
    // chunks of about CHUNK_ROWS cycles so that the cache grows as it goes
    for (const chunk of cachedOnly ? [] : chunks(missing, ([, q]) => scaleSimTiming(g, scaleSimShape(q), df).cycles)) {
      const t0 = Date.now();
      const got = runScaleSim(
        R,
        R,
        df,
        chunk.map(([, q]) => q),
      );
      chunk.forEach(([key], i) => writeFileSync(file(key), JSON.stringify(got[i])));
      process.stderr.write(`scalesim-compare: ${R}x${R} ${df}: ${chunk.length} layers in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    for (const l of layers) {
      const q = scaleSimOperands(l, df);
      const key = `${q.M}x${q.N}x${q.K}`;
      if (!wanted.has(key)) continue;
      if (!existsSync(file(key))) {
        skipped.push({ ...shapeOf(l), rows: R, cols: R, dataflow: df, estimatedCycles: scaleSimTiming(g, l, df).cycles });
        continue;
      }
      const ss = JSON.parse(readFileSync(file(key), 'utf8'));
      rows.push({
        ...shapeOf(l),
        rows: R,
        cols: R,
        dataflow: df,
        scaleSim: { M: q.M, N: q.N, K: q.K, totalCycles: ss.totalCycles, stallCycles: ss.stallCycles },
        ours: scaleSimTiming(g, l, df).cycles,
      });
    }
  }
}
const mismatches = rows.filter((r) => r.ours !== r.scaleSim.totalCycles).length;
const doc = {
  what: 'SCALE-Sim v2 Total Cycles against ivit array.model "scalesim" (sim/array/scalesim.ts), per layer',
  command: `node scripts/scalesim-compare.mjs <scale-sim-v2 checkout> --arrays ${arrays.join(',')}`,
  scaleSimConfig: 'InterfaceBandwidth CALC, IfmapSramSzkB = FilterSramSzkB = OfmapSramSzkB = 1024, ArrayHeight = ArrayWidth = R, GEMM topology (-i gemm)',
  layers: rows.length,
  mismatches,
  skipped,
  rows,
};
writeFileSync(out, `${JSON.stringify(doc, null, 1)}\n`);
process.stdout.write(`scalesim-compare: ${rows.length} layers, ${mismatches} mismatches, ${skipped.length} skipped; wrote ${out}\n`);
if (mismatches > 0) process.exit(1);

/** Our shape whose SCALE-Sim operands are q (passes 1), to estimate a SCALE-Sim run's length. */
function scaleSimShape(q) {
  return { m: q.M, n: q.N, k: q.K, passes: 1 };
}

/** Split items into runs of at most CHUNK_ROWS estimated cycles (a longer item runs alone). */
function chunks(items, cost) {
  const out = [];
  let cur = [];
  let sum = 0;
  for (const it of items) {
    const c = cost(it);
    if (cur.length > 0 && sum + c > CHUNK_ROWS) {
      out.push(cur);
      cur = [];
      sum = 0;
    }
    cur.push(it);
    sum += c;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function shapeOf(l) {
  return { m: l.m, n: l.n, k: l.k, passes: l.passes, source: l.source, count: l.count };
}

/** Every distinct gemm shape (with int16 A as passes) of DeiT-T and DeiT-S, compiled for the default machine. */
function modelShapes() {
  const shapes = new Map();
  for (const name of ['deit-t', 'deit-s']) {
    const cfg = JSON.parse(JSON.stringify(DEFAULT_CONFIG));
    const compiled = compileGraph(graphFromConfig(zooConfig(name), numericsOf(cfg)), cfg, {});
    for (const ins of decodeAll(compiled.image)) {
      if (ins.mnemonic !== 'gemm') continue;
      const s = gemmShape(ins.fields);
      const key = `${s.m}x${s.n}x${s.k}x${s.passes}`;
      const e = shapes.get(key) ?? { ...s, source: [], count: 0 };
      if (!e.source.includes(name)) e.source.push(name);
      e.count++;
      shapes.set(key, e);
    }
  }
  return [...shapes.values()];
}

/** One SCALE-Sim run over the given GEMMs; returns Total and Stall Cycles per layer in order. */
function runScaleSim(R, C, df, gemms) {
  const dir = mkdtempSync(join(tmpdir(), 'scalesim-'));
  try {
    const topo = join(dir, 'layers.csv');
    writeFileSync(topo, ['Layer, M, N, K,', ...gemms.map((q, i) => `l${i}, ${q.M}, ${q.N}, ${q.K},`)].join('\n') + '\n');
    const cfg = join(dir, 'array.cfg');
    writeFileSync(
      cfg,
      [
        '[general]',
        'run_name = ivit',
        '',
        '[architecture_presets]',
        `ArrayHeight: ${R}`,
        `ArrayWidth: ${C}`,
        'IfmapSramSzkB: 1024',
        'FilterSramSzkB: 1024',
        'OfmapSramSzkB: 1024',
        'IfmapOffset: 0',
        'FilterOffset: 10000000',
        'OfmapOffset: 20000000',
        'Bandwidth : 10',
        `Dataflow : ${df}`,
        'MemoryBanks: 1',
        '',
        '[run_presets]',
        'InterfaceBandwidth: CALC',
        '',
      ].join('\n'),
    );
    const py = [
      'import sys',
      'from scalesim.scale_sim import scalesim',
      `s = scalesim(save_disk_space=True, verbose=False, config=sys.argv[1], topology=sys.argv[2], input_type_gemm=True)`,
      's.run_scale(top_path=sys.argv[3])',
    ].join('\n');
    execFileSync(PYTHON, ['-c', py, cfg, topo, dir], { cwd: checkout, env: { ...process.env, PYTHONPATH: checkout }, stdio: ['ignore', 'ignore', 'inherit'] });
    const lines = readFileSync(join(dir, 'ivit', 'COMPUTE_REPORT.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    if (lines.length !== gemms.length) throw new Error(`SCALE-Sim wrote ${lines.length} rows for ${gemms.length} layers`);
    return lines.map((line) => {
      const cells = line.split(',').map((c) => c.trim());
      return { totalCycles: Number(cells[1]), stallCycles: Number(cells[2]) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SCALE-Sim's report reader on our three CSVs: what it loads, its per-layer cycles and the column sums. */
function runReader(dir) {
  const py = [
    'import json, sys',
    'from scalesim.utilities.scalesim_report import ScalesimReport',
    'r = ScalesimReport()',
    "r.load_data(data_dir=sys.argv[1], run_name='')",
    'cycles = [int(c) for c in r.get_compute_cycles_all_layer()]',
    'compute = r.compute_df',
    // load_detail_report_data stores the detailed file in bandwidths_df (its bug): read the bandwidth file again
    'detail = r.bandwidths_df',
    "r.load_bandwidth_report_data(data_dir=sys.argv[1], run_name='')",
    'bw = r.bandwidths_df',
    'named = lambda df: [c for c in df.columns if not c.startswith("Unnamed")]',
    'print(json.dumps({',
    "  'computeRows': len(compute), 'bandwidthRows': len(bw), 'detailRows': len(detail),",
    "  'computeColumns': named(compute), 'bandwidthColumns': named(bw), 'detailColumns': named(detail),",
    "  'layerIds': [int(x) for x in compute['LayerID']],",
    "  'layerIdsAligned': list(compute['LayerID']) == list(bw['LayerID']) == list(detail['LayerID']),",
    "  'totalCycles': sum(cycles), 'stallCycles': int(compute['Stall Cycles'].sum()),",
    "  'stallNeverAboveTotal': bool((compute['Stall Cycles'] <= compute['Total Cycles']).all()),",
    "  'firstLayerCycles': int(r.get_total_cycles_single_layer(layer_id=0)),",
    "  'sramIfmapReads': int(detail['SRAM IFMAP Reads'].sum()), 'sramFilterReads': int(detail['SRAM Filter Reads'].sum()),",
    "  'sramOfmapWrites': int(detail['SRAM OFMAP Writes'].sum()), 'dramIfmapReads': int(detail['DRAM IFMAP Reads'].sum()),",
    "  'dramFilterReads': int(detail['DRAM Filter Reads'].sum()), 'dramOfmapWrites': int(detail['DRAM OFMAP Writes'].sum()),",
    '}))',
  ].join('\n');
  return execFileSync(PYTHON, ['-c', py, dir], { cwd: checkout, env: { ...process.env, PYTHONPATH: checkout }, encoding: 'utf8' });
}
