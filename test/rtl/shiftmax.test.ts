import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SHIFTMAX_DEFAULTS, buildShiftmaxUnit } from '../../rtl-gen/units/shiftmax.js';
import { EXP_LANE_DEFAULTS, buildExpLaneUnit } from '../../rtl-gen/units/exp-lane-unit.js';
import { sduRowTiming } from '../../rtl-gen/timing.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type ExpLaneCase, type ExpRow, expLaneAdapter, shiftmaxAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { SCALE_SPREAD, everyInputAgainstEveryMax, x0MagOf, printComparedValues } from './support.js';

const rowArb = (maxLen: number): fc.Arbitrary<ExpRow> =>
  fc.record({
    x: fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: maxLen, size: 'max' }),
    x0Mag: fc.integer({ min: 1, max: 255 }),
  });

describe('rtl: shift-exp lane', function () {
  this.timeout(120000);
  after(printComparedValues);
  it('gives the golden E for every Δ ∈ [−255, 0] and every |x0| ∈ [1, 255] (65,280 values), Verilator', () => {
    const u = buildExpLaneUnit(EXP_LANE_DEFAULTS);
    const cases: ExpLaneCase[] = [];
    for (let x0Mag = 1; x0Mag <= 255; x0Mag++) for (let delta = -255; delta <= 0; delta++) cases.push({ delta, x0Mag });
    const r = cosimulate(expLaneAdapter(u), buildSimulation(u, 'verilator', cases.length), [cases]);
    assert.equal(r.vectors, 65280);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
  });
  it('gives the golden E in the TVM flavour (n = 16) for every Δ and |x0|', () => {
    const u = buildExpLaneUnit({ ...EXP_LANE_DEFAULTS, n: 16, flavour: 'tvm' });
    const cases: ExpLaneCase[] = [];
    for (let x0Mag = 1; x0Mag <= 255; x0Mag++) for (let delta = -255; delta <= 0; delta++) cases.push({ delta, x0Mag });
    const r = cosimulate(expLaneAdapter(u), buildSimulation(u, 'verilator', cases.length), [cases]);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
  });
});

describe('rtl: Shiftmax row unit', function () {
  this.timeout(300000);
  after(printComparedValues);
  const u1 = buildShiftmaxUnit({ ...SHIFTMAX_DEFAULTS, lanes: 1 });
  const u4 = buildShiftmaxUnit({ ...SHIFTMAX_DEFAULTS, lanes: 4 });

  it('matches the golden model for every 8-bit input against every row max, for 8 scales (|x0| 1..250), 4 lanes', () => {
    const build = buildSimulation(u4, 'verilator', 256);
    const adapter = shiftmaxAdapter(u4);
    let elements = 0;
    for (const s of SCALE_SPREAD) {
      const rows = everyInputAgainstEveryMax(x0MagOf(s));
      const r = cosimulate(adapter, build, rows);
      assert.deepEqual(r.mismatches.slice(0, 3), [], `scale ${s}`);
      elements += rows.reduce((n, row) => n + row.x.length, 0);
    }
    assert.equal(elements, 8 * 32896); // Σ over M of (M + 129) pairs, per scale
  });

  it('matches the golden model on drawn rows (fast-check, ragged beats, saturating sums), 1 and 4 lanes, Verilator', () => {
    for (const u of [u1, u4]) {
      const build = buildSimulation(u, 'verilator', 256);
      // 256 copies of the row max with |x0| = 255 push Σ past 2^31 − 1: the saturation path
      const saturating: ExpRow = { x: new Array<number>(256).fill(127), x0Mag: 255 };
      const run = assertRowsMatchGolden(shiftmaxAdapter(u), build, rowArb(200), { numRuns: 300, seed: 5, extraRows: [saturating] });
      assert.ok(run.vectors > 10000);
    }
  });

  it('TVM variant (n = 16, k = 8, (r >> 1) − x0 exp) matches the golden model on drawn rows, 2 lanes', () => {
    const ut = buildShiftmaxUnit({ ...SHIFTMAX_DEFAULTS, lanes: 2, flavour: 'tvm', n: 16, k: 8 });
    assertRowsMatchGolden(shiftmaxAdapter(ut), buildSimulation(ut, 'verilator', 256), rowArb(200), { numRuns: 150, seed: 17 });
  });

  it('Icarus agrees with the golden model (second simulator), 3 lanes', () => {
    const u3 = buildShiftmaxUnit({ ...SHIFTMAX_DEFAULTS, lanes: 3 });
    const build = buildSimulation(u3, 'icarus', 64);
    assertRowsMatchGolden(shiftmaxAdapter(u3), build, rowArb(64), { numRuns: 60, seed: 9 });
  });

  it('measured latency and II = descriptor = sduRowTiming', () => {
    for (const u of [u1, u4]) {
      const lanes = u.params.lanes as number;
      const lengths = [1, 2, 3, 4, 5, 17, 64, 197];
      const rows = lengths.map((n, i) => ({ x: Array.from({ length: n }, (_, j) => ((j * 37 + i) % 256) - 128), x0Mag: 20 + i }));
      rows.push({ x: [0], x0Mag: 1 }); // a final row so the last II is measured too
      const r = cosimulate(shiftmaxAdapter(u), buildSimulation(u, 'verilator', 256), rows);
      assert.deepEqual(r.mismatches, []);
      const desc = describeUnit(u, 256);
      lengths.forEach((n, i) => {
        const shared = sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes });
        assert.deepEqual({ latency: r.timing[i]!.latency, initiationInterval: r.timing[i]!.initiationInterval }, shared, `N = ${n}, L = ${lanes}`);
        const ex = desc.timing.examples.find((e) => e.rowLength === n);
        if (ex) assert.deepEqual({ latency: ex.latency, initiationInterval: ex.initiationInterval }, shared);
      });
    }
  });

  it('a wrong expectation is caught and shrunk to a minimal row (the harness can fail)', () => {
    const build = buildSimulation(u1, 'verilator', 256);
    const honest = shiftmaxAdapter(u1);
    // expect the golden result for |x0| + 1: a real difference the co-simulation must report
    const wrong = { ...honest, expected: (row: ExpRow) => honest.expected({ ...row, x0Mag: row.x0Mag + 1 }) };
    assert.throws(
      () => assertRowsMatchGolden(wrong, build, rowArb(40), { numRuns: 30, seed: 3 }),
      (e: unknown) => e instanceof Error && /Counterexample: \[\{"x":\[[^\]]*\],"x0Mag":\d+\}\]/.test(e.message) && /expected .* got/.test(e.message),
    );
  });
});
