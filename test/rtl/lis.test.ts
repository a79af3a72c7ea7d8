import { strict as assert } from 'node:assert';
import { LIS_LANE_DEFAULTS, buildLisLaneUnit, lisLaneWidths } from '../../rtl-gen/units/lis-lane.js';
import { lisLaneTiming } from '../../rtl-gen/timing.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type LisLaneCase, lisConstants, lisExpReference, lisLaneAdapter } from '../../verify/rtl/lis-adapter.js';
import { printComparedValues } from './support.js';

const u = buildLisLaneUnit(LIS_LANE_DEFAULTS);
const { levels, sumBits } = lisLaneWidths(LIS_LANE_DEFAULTS);
/** one bench size for every Verilator run of this file: one build */
const BENCH_ROWS = 3 * 32896;
const SUM_MAX = (1n << BigInt(sumBits)) - 1n;

/** Σ on, just below or just above the k-th threshold 2Σ = (3·2^(k−1) − 1)·E (k = 0: Σ = E, code 0). */
function sumNear(e: bigint, k: number, d: number): bigint {
  const twice = k === 0 ? 2n * e : (3n * (1n << BigInt(k - 1)) - 1n) * e;
  const s = (twice + BigInt(d)) / 2n;
  return s < 0n ? 0n : s > SUM_MAX ? SUM_MAX : s;
}

/** every Δ ∈ [−255, 0] for every |x0| ∈ [1, 255] (scale S = ln2/(|x0| − ½)), Σ walking over every threshold ± 1 */
function everyDeltaEveryScale(): LisLaneCase[] {
  const cases: LisLaneCase[] = [];
  let i = 0;
  for (let x0Mag = 1; x0Mag <= 255; x0Mag++) {
    const k = lisConstants(0.6931 / (x0Mag - 0.5));
    assert.equal(k.x0Mag, x0Mag);
    for (let delta = -255; delta <= 0; delta++, i++) {
      const e = lisExpReference(delta, x0Mag, k.b, k.c);
      cases.push({ delta, ...k, sum: sumNear(e, i % (levels + 2), (Math.floor(i / (levels + 2)) % 3) - 1) });
    }
  }
  return cases;
}

/** every (int8 x, int8 row max) pair for one scale, Σ the true row sum of E: the lane as the SDU uses it */
function everyInputAgainstEveryMax(scale: number): LisLaneCase[] {
  const k = lisConstants(scale);
  const cases: LisLaneCase[] = [];
  for (let max = -128; max <= 127; max++) {
    const deltas: number[] = [];
    for (let x = max; x >= -128; x--) deltas.push(x - max);
    const sum = deltas.reduce((s, d) => s + lisExpReference(d, k.x0Mag, k.b, k.c), 0n);
    for (const delta of deltas) cases.push({ delta, ...k, sum });
  }
  return cases;
}

describe('rtl: FQ-ViT LIS lane', function () {
  this.timeout(300000);
  after(printComparedValues);

  it('E, code and mask for every Δ ∈ [−255, 0] and every |x0| ∈ [1, 255], Σ on every threshold and ±1 (65,280 values), Verilator', () => {
    const cases = everyDeltaEveryScale();
    const r = cosimulate(lisLaneAdapter(u), buildSimulation(u, 'verilator', BENCH_ROWS), [cases]);
    assert.equal(r.vectors, 65280);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
    // the stimulus reaches every code and the mask
    const codes = new Set(
      lisLaneAdapter(u)
        .expected(cases)
        .map((b) => (b[2]![0] === 1n ? levels : Number(b[1]![0]))),
    );
    assert.equal(codes.size, levels + 1);
  });

  it('every int8 x against every int8 row max with the true row sums, at 3 scales (3 × 32,896 values), Verilator', () => {
    const cases = [0.1, 0.02, 0.003].flatMap(everyInputAgainstEveryMax);
    const r = cosimulate(lisLaneAdapter(u), buildSimulation(u, 'verilator', BENCH_ROWS), [cases]);
    assert.equal(r.vectors, 3 * 32896);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
  });

  it('E = 0 (z < 0: c = 0, b large) is masked, Σ = 0 and Σ < E give code 0; Icarus agrees on every Δ at two scales', () => {
    const cases: LisLaneCase[] = [];
    for (let delta = -255; delta <= 0; delta++) cases.push({ delta, x0Mag: 255, b: 2047, c: 0, sum: BigInt(-delta) * 12345n });
    for (let delta = -255; delta <= 0; delta++) cases.push({ delta, x0Mag: 7, b: 3, c: 100, sum: BigInt(-delta) });
    for (const s of [0.05, 0.004]) {
      const k = lisConstants(s);
      for (let delta = -255; delta <= 0; delta++) {
        const e = lisExpReference(delta, k.x0Mag, k.b, k.c);
        cases.push({ delta, ...k, sum: sumNear(e, (delta & 15) + 1, (delta % 3) - 0) });
      }
    }
    const r = cosimulate(lisLaneAdapter(u), buildSimulation(u, 'icarus', cases.length), [cases]);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
    const masked = lisLaneAdapter(u)
      .expected(cases.slice(0, 256))
      .filter((b) => b[2]![0] === 1n).length;
    assert.ok(masked > 200, `${masked} masked`);
  });

  it('measured latency and II = descriptor = lisLaneTiming; a wrong expectation is caught', () => {
    const k = lisConstants(0.05);
    const rows: LisLaneCase[][] = [1, 2, 5, 64].map((len) => Array.from({ length: len }, (_, j) => ({ delta: -j, ...k, sum: 1n << 50n })));
    const adapter = lisLaneAdapter(u);
    const build = buildSimulation(u, 'verilator', BENCH_ROWS);
    const r = cosimulate(adapter, build, rows);
    assert.deepEqual(r.mismatches, []);
    const desc = describeUnit(u, BENCH_ROWS);
    rows.forEach((row, i) => {
      const t = lisLaneTiming({ rowLength: row.length, lanes: 1 });
      assert.equal(r.timing[i]!.latency, t.latency, `N = ${row.length}`);
      const ex = desc.timing.examples.find((e) => e.rowLength === row.length);
      if (ex) assert.deepEqual({ latency: ex.latency, initiationInterval: ex.initiationInterval }, t);
    });
    // off by one threshold: the comparison must see it
    const wrong = { ...adapter, expected: (row: LisLaneCase[]) => adapter.expected(row.map((c) => ({ ...c, sum: c.sum + 1n }))) };
    const bad = cosimulate(wrong, build, [
      Array.from({ length: 64 }, (_, j) => ({ delta: -j, ...k, sum: sumNear(lisExpReference(-j, k.x0Mag, k.b, k.c), 3, -1) })),
    ]);
    assert.ok(bad.mismatches.length > 0);
  });
});
