/**
 * The RTL synthesis sweep behind docs/rtl.md: every configuration below through `synthesize`, one CSV and
 * one JSON row each, plus a markdown table. Run by scripts/bench-rtl.sh (not by the tests: it takes minutes).
 *
 *   node dist/rtl-gen/synth/sweep.js [-o outdir] [--quick] [--only unit,unit]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type UnitOptions, findUnit } from '../units/index.js';
import { CSV_HEADER, type Family, type SynthRow, csvRow, synthesize } from './run.js';

interface SweepEntry {
  unit: string;
  options: UnitOptions;
  family: Family;
  device?: 'hx8k' | 'up5k';
}

function sweepConfigs(quick: boolean): SweepEntry[] {
  const all: SweepEntry[] = [];
  const everyFamily = (unit: string, options: UnitOptions): void => {
    for (const family of ['ice40', 'ecp5', 'xilinx'] as const) all.push({ unit, options, family });
  };
  everyFamily('shift-exp-lane', {});
  all.push({ unit: 'shift-exp-lane', options: { variant: 'tvm' }, family: 'ice40' });
  all.push({ unit: 'shift-exp-lane', options: { expStages: 3 }, family: 'ice40' });
  all.push({ unit: 'shift-exp-lane', options: { expStages: 6 }, family: 'ice40' });
  // the one-row forms are named: the overlap forms are the units' defaults
  everyFamily('shiftmax', { lanes: 1, form: 'serial' });
  all.push({ unit: 'shiftmax', options: { lanes: 4, form: 'serial' }, family: 'ice40' });
  all.push({ unit: 'shiftmax', options: { lanes: 1, form: 'serial' }, family: 'ice40', device: 'up5k' });
  everyFamily('shiftmax', { lanes: 1, form: 'overlap' });
  all.push({ unit: 'shiftmax', options: { lanes: 4, form: 'overlap' }, family: 'ice40' });
  everyFamily('gelu-divider', {});
  all.push({ unit: 'gelu-divider', options: { divBitsPerStage: 2 }, family: 'ice40' });
  everyFamily('shiftgelu', { lanes: 1 });
  all.push({ unit: 'shiftgelu', options: { lanes: 1, variant: 'tvm' }, family: 'ice40' });
  all.push({ unit: 'shiftgelu', options: { lanes: 1, geluSigma: 'saturate' }, family: 'ice40' });
  everyFamily('layernorm', { lanes: 1, form: 'serial' });
  everyFamily('layernorm', { lanes: 1, variant: 'floor', form: 'serial' });
  all.push({ unit: 'layernorm', options: { lanes: 1, form: 'serial' }, family: 'ice40', device: 'up5k' });
  all.push({ unit: 'layernorm', options: { lanes: 1, form: 'overlap' }, family: 'ice40' });
  everyFamily('requant', { lanes: 1 });
  all.push({ unit: 'requant', options: { lanes: 1 }, family: 'ice40', device: 'up5k' });
  everyFamily('lis', {});
  everyFamily('pts-layernorm', { lanes: 1 });
  everyFamily('sulq-lane', {});
  return quick ? all.filter((e) => e.family !== 'ice40' || e.unit === 'shift-exp-lane') : all;
}

function markdown(rows: SynthRow[]): string {
  const lines = [
    '| unit | options | family / device | LUT | FF | carry | DSP | BRAM | Fmax MHz (median; seeds) | latency / II (N) |',
    '|---|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of rows) {
    const p = r.params;
    const opts = [
      `L=${p.lanes ?? 1}`,
      p.flavour ? String(p.flavour) : '',
      p.sqrt ? String(p.sqrt) : '',
      p.tie ? String(p.tie) : '',
      p.sigmaRule ? `σ ${String(p.sigmaRule)}` : '',
      p.expStages !== undefined ? `exp stages ${p.expStages}` : '',
      p.divBitsPerStage !== undefined ? `${p.divBitsPerStage} q-bit/stage` : '',
      p.form ? `form ${String(p.form)}` : '',
    ]
      .filter((s) => s !== '')
      .join(', ');
    const fmax = r.fmaxMedianMhz === null ? 'n/a (no P&R)' : `${r.fmaxMedianMhz} (${r.fmaxSeeds.join(', ')})`;
    const t = r.latencyExample;
    lines.push(
      `| ${r.unit} | ${opts} | ${r.family} / ${r.device} | ${r.lut} | ${r.ff} | ${r.carry} | ${r.dsp} | ${r.bram} | ${fmax} | ${t.latency} / ${t.initiationInterval} (${t.rowLength}) |`,
    );
  }
  return lines.join('\n') + '\n';
}

function main(argv: string[]): void {
  const outIdx = argv.indexOf('-o');
  const out = outIdx >= 0 ? argv[outIdx + 1]! : join(tmpdir(), 'ivit-bench-rtl');
  const quick = argv.includes('--quick');
  mkdirSync(out, { recursive: true });
  const rows: SynthRow[] = [];
  const csv: string[] = [CSV_HEADER];
  const failures: string[] = [];
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(argv[onlyIdx + 1]!.split(',')) : undefined;
  for (const e of sweepConfigs(quick).filter((c) => !only || only.has(c.unit))) {
    const entry = findUnit(e.unit);
    if (!entry) throw new Error(`sweep: unknown unit ${e.unit}`);
    const u = entry.build(e.options);
    const t0 = Date.now();
    let row: SynthRow;
    try {
      row = synthesize(u, entry.maxRowLength, { family: e.family, ...(e.device ? { device: e.device } : {}), seeds: 3, targetMhz: 100 });
    } catch (err) {
      // a tool failure (e.g. yosys 0.23's ice40_dsp assertion) is reported and the sweep goes on
      const msg = err instanceof Error ? (err.message.split('\n').find((l) => /ERROR/.test(l)) ?? err.message.split('\n')[0]!) : String(err);
      failures.push(`${e.unit} ${JSON.stringify(e.options)} ${e.family}${e.device ? `/${e.device}` : ''}: ${msg}`);
      process.stderr.write(`FAILED ${failures[failures.length - 1]}\n`);
      continue;
    }
    rows.push(row);
    csv.push(csvRow(row));
    process.stderr.write(
      `${e.unit} ${JSON.stringify(e.options)} ${e.family}${e.device ? `/${e.device}` : ''}: ${row.lut} LUT, Fmax ${row.fmaxMedianMhz ?? '-'} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
    writeFileSync(join(out, 'rtl-synth.csv'), csv.join('\n') + '\n');
    writeFileSync(join(out, 'rtl-synth.json'), JSON.stringify(rows, null, 2) + '\n');
    writeFileSync(join(out, 'rtl-synth.md'), markdown(rows));
  }
  const failureNote = failures.map((f) => `- tool failure: ${f}`).join('\n');
  writeFileSync(join(out, 'rtl-synth.md'), markdown(rows) + (failureNote ? `\n${failureNote}\n` : ''));
  process.stdout.write(markdown(rows) + (failureNote ? `\n${failureNote}\n` : ''));
  process.stderr.write(`wrote ${join(out, 'rtl-synth.csv')}, rtl-synth.json, rtl-synth.md\n`);
}

main(process.argv.slice(2));
