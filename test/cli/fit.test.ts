import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../sim/config.js';
import type { AcceleratorConfig } from '../../sim/config.js';
import { type FitQuery, fitResources } from '../../programs/flows/fit.js';
import type { SweepRow } from '../../programs/flows/sweep-point.js';
import { isCleanUserError, ivit } from './cli-run.js';

/** A machine whose utilisation rises with each resource up to a knee: the search must find the knees. */
function kneeEvaluator(knees: { lanes: number; spad: number; acc: number }, seen: AcceleratorConfig[]) {
  return async (configs: readonly AcceleratorConfig[]): Promise<SweepRow[]> =>
    configs.map((c) => {
      seen.push(c);
      const short = [c.sdu.lanes < knees.lanes, c.scratchpad.bytes < knees.spad, c.accumulator.words < knees.acc].filter(Boolean).length;
      const base = {
        model: 'm',
        rows: c.array.rows,
        cols: c.array.cols,
        dataflow: c.array.dataflow,
        sduLanes: c.sdu.lanes,
        dmaBytesPerCycle: c.dma.bytesPerCycle,
      };
      return { ...base, cycles: 1000 + short * 100, macUtilisation: 0.95 - 0.1 * short, sduExposedFraction: 0.01 };
    });
}

const query = (target: number): FitQuery => ({
  base: DEFAULT_CONFIG,
  target,
  candidates: { lanes: [4, 8, 16, 32], scratchpad: [1 << 18, 1 << 19, 1 << 20, 1 << 21], accumulator: [1 << 14, 1 << 15, 1 << 16] },
});

describe('ivit fit: the smallest resources that reach a utilisation target', () => {
  it('finds each resource’s knee, and the machine it returns is one it simulated', async () => {
    const seen: AcceleratorConfig[] = [];
    const r = await fitResources(query(0.9), kneeEvaluator({ lanes: 16, spad: 1 << 19, acc: 1 << 15 }, seen));
    assert.equal(r.reached, true);
    assert.deepEqual([r.config.sdu.lanes, r.config.scratchpad.bytes, r.config.accumulator.words], [16, 1 << 19, 1 << 15]);
    assert.ok(seen.some((c) => JSON.stringify(c) === JSON.stringify(r.config)));
    assert.equal(r.simulated, seen.length);
    assert.equal(r.steps.length, 3);
    assert.match(r.steps[0]!.reason, /^16 lanes: 8 lanes gives 85\.0%$/);
  });

  it('names what limits a target the best machine misses, and by how much', async () => {
    const r = await fitResources(query(0.99), kneeEvaluator({ lanes: 1, spad: 1, acc: 1 }, []));
    assert.equal(r.reached, false);
    assert.match(
      r.limit!,
      /array and plan: 95\.0% of ideal MAC cycles against 99\.0% \(4\.0 points short\) with 16 lanes, 1 MiB scratchpad, 64 Ki accumulator words/,
    );
  });

  it('does not assume more is better: a machine whose largest scratchpad is worst still fits', async () => {
    // utilisation peaks at 1 MiB of scratchpad and falls beyond it, as wider weight tiles delay the SDU
    const evaluate = async (configs: readonly AcceleratorConfig[]): Promise<SweepRow[]> =>
      configs.map((c) => {
        const base = { model: 'm', rows: 16, cols: 16, dataflow: 'ws', sduLanes: c.sdu.lanes, dmaBytesPerCycle: 32 };
        const off = Math.abs(Math.log2(c.scratchpad.bytes / (1 << 20)));
        return { ...base, cycles: 1, macUtilisation: 0.93 - 0.05 * off, sduExposedFraction: 0 };
      });
    const q = { ...query(0.9), base: { ...DEFAULT_CONFIG, scratchpad: { bytes: 1 << 21, banks: 16 } } };
    const r = await fitResources(q, evaluate);
    assert.equal(r.reached, true);
    assert.equal(r.best.config.scratchpad.bytes, 1 << 20);
    assert.equal(r.config.scratchpad.bytes, 1 << 20);
    assert.equal(r.config.sdu.lanes, 4);
  });

  it('rejects a target outside (0, 1]', async () => {
    await assert.rejects(fitResources(query(1.5), kneeEvaluator({ lanes: 1, spad: 1, acc: 1 }, [])), /target must be a fraction in \(0, 1\], got 1\.5/);
  });

  it('the command fits DeiT-T on 16×16, and `ivit run` on the chosen machine measures the same utilisation', function () {
    this.timeout(600000);
    const dir = mkdtempSync(join(tmpdir(), 'ivit-fit-'));
    const out = join(dir, 'fit.json');
    const r = ivit([
      'fit',
      '--model',
      'deit-t',
      '--target',
      '80%',
      '--try-lanes',
      '8,16,32',
      '--try-scratchpad',
      '512K,1M',
      '--try-accumulator',
      '32K,64K',
      '--jobs',
      '2',
      '--json',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /chosen: \d+ SDU lanes, scratchpad \d+ bytes, accumulator \d+ words/);
    const fit = JSON.parse(readFileSync(out, 'utf8')) as { reached: boolean; config: AcceleratorConfig; row: SweepRow };
    assert.equal(fit.reached, true);
    assert.ok(fit.row.macUtilisation! >= 0.8);
    const c = fit.config;
    const run = ivit([
      'run',
      '--model',
      'deit-t',
      '--timing-only',
      '--set',
      `sdu.lanes=${c.sdu.lanes}`,
      '--set',
      `scratchpad.bytes=${c.scratchpad.bytes}`,
      '--set',
      `accumulator.words=${c.accumulator.words}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const m = /MACs [\d,]+: ([\d.]+)% of the ideal MACs/.exec(run.stdout);
    assert.ok(m, run.stdout);
    assert.equal(m[1], (100 * fit.row.macUtilisation!).toFixed(1));
  });

  it('bad input is one line and exit 2', () => {
    for (const args of [
      ['fit', '--model', 'deit-t', '--target', '1.2'],
      ['fit', '--model', 'deit-t', '--try-lanes', '8,x'],
      ['fit', '--model', 'deit-t', '--lanes', '16'],
      ['fit', '--model', 'nope'],
    ]) {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
    }
  });
});
