import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SHIFTMAX_DEFAULTS, buildShiftmaxUnit } from '../../rtl-gen/units/shiftmax.js';
import { EXP_LANE_DEFAULTS, buildExpLaneUnit } from '../../rtl-gen/units/exp-lane-unit.js';
import { sduRowTiming, sduRunCycles, threePassRowSchedule } from '../../rtl-gen/timing.js';
import { buildShiftmaxOverlapUnit } from '../../rtl-gen/units/shiftmax-overlap.js';
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
        const shared = sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes, form: 'serial' });
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

describe('rtl: Shiftmax row unit with overlapping rows', function () {
  this.timeout(300000);
  after(printComparedValues);
  const saturating: ExpRow = { x: new Array<number>(256).fill(127), x0Mag: 255 };

  it('matches the golden model for every 8-bit input against every row max, 2 scales, 4 lanes, rows interleaved M, E, M, E, M, N, …', () => {
    const u = buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes: 4 });
    const build = buildSimulation(u, 'verilator', 256);
    for (const s of [SCALE_SPREAD[0]!, SCALE_SPREAD[SCALE_SPREAD.length - 1]!]) {
      const rows = everyInputAgainstEveryMax(x0MagOf(s));
      const r = cosimulate(shiftmaxAdapter(u), build, rows);
      assert.deepEqual(r.mismatches.slice(0, 3), [], `scale ${s}`);
      assert.equal(
        rows.reduce((n, row) => n + row.x.length, 0),
        32896,
      );
    }
  });

  for (const lanes of [1, 4]) {
    it(`matches the golden model on drawn back-to-back rows of different lengths (fast-check, ragged beats, saturating sums), ${lanes} lane(s), Verilator`, () => {
      const u = buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes });
      const run = assertRowsMatchGolden(shiftmaxAdapter(u), buildSimulation(u, 'verilator', 256), rowArb(200), {
        numRuns: 300,
        seed: 5 + lanes,
        extraRows: [saturating, { x: [3], x0Mag: 1 }, saturating],
      });
      assert.ok(run.vectors > 10000);
    });
  }

  it('TVM variant (n = 16, k = 8) matches the golden model on drawn rows, 2 lanes', () => {
    const ut = buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes: 2, flavour: 'tvm', n: 16, k: 8 });
    assertRowsMatchGolden(shiftmaxAdapter(ut), buildSimulation(ut, 'verilator', 256), rowArb(200), { numRuns: 150, seed: 19 });
  });

  it('Icarus agrees with the golden model (second simulator), 3 lanes', () => {
    const u3 = buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes: 3 });
    assertRowsMatchGolden(shiftmaxAdapter(u3), buildSimulation(u3, 'icarus', 64), rowArb(64), { numRuns: 60, seed: 29 });
  });

  it('the one-row unit fed the interleaved stream fails (the harness tells the forms apart)', () => {
    const serial = buildShiftmaxUnit({ ...SHIFTMAX_DEFAULTS, lanes: 2 });
    const overlap = shiftmaxAdapter(buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes: 2 }));
    // the overlapping adapter's beats carry in_pass, which the one-row unit lacks: give it the serial ports but the interleaved order
    const serialAdapter = shiftmaxAdapter(serial);
    const interleaved = { ...serialAdapter, parts: overlap.parts };
    const rows: ExpRow[] = [
      { x: [5, -3, 7], x0Mag: 30 },
      { x: [-100, 20, 1, 0, 9], x0Mag: 7 },
      { x: [1, 2], x0Mag: 90 },
    ];
    assert.deepEqual(cosimulate(serialAdapter, buildSimulation(serial, 'verilator', 16), rows).mismatches, []);
    assert.ok(cosimulate(interleaved, buildSimulation(serial, 'verilator', 16), rows).mismatches.length > 0);
  });

  it('measured start and end of every row of back-to-back runs = threePassRowSchedule; isolated latency and steady II = sduRowTiming', () => {
    for (const [lanes, flavour] of [
      [1, 'pytorch'],
      [4, 'pytorch'],
      [16, 'pytorch'],
      [3, 'tvm'],
    ] as const) {
      const u = buildShiftmaxOverlapUnit({ ...SHIFTMAX_DEFAULTS, lanes, flavour, ...(flavour === 'tvm' ? { n: 16, k: 8 } : {}) });
      const build = buildSimulation(u, 'verilator', 256);
      // reciprocal-bound (short rows) and stream-bound (3B above the exp pass and its reciprocal) runs of six rows
      for (const n of [1, 2, 5, 17, 64, 197, 256]) {
        const rows = Array.from({ length: 6 }, (_, r) => ({ x: Array.from({ length: n }, (_, j) => ((j * 37 + r * 11) % 256) - 128), x0Mag: 20 + 7 * r }));
        const r = cosimulate(shiftmaxAdapter(u), build, rows);
        assert.deepEqual(r.mismatches, []);
        const model = u.timing(n);
        assert.ok(model.overlap?.passes === 3);
        const schedule = threePassRowSchedule(rows.length, model.overlap.beats, model.overlap.engine, model.overlap.tail);
        const measuredStarts = [0];
        r.timing.forEach((t, i) => {
          if (t.initiationInterval !== undefined) measuredStarts.push(measuredStarts[i]! + t.initiationInterval);
        });
        assert.deepEqual(measuredStarts, schedule.starts, `starts, N = ${n}, L = ${lanes}, ${flavour}`);
        assert.deepEqual(
          r.timing.map((t, i) => measuredStarts[i]! + t.latency),
          schedule.ends,
          `ends, N = ${n}, L = ${lanes}, ${flavour}`,
        );
        assert.equal(r.log.outputs[r.log.outputs.length - 1]!.cycle - r.log.accepted[0]!, sduRunCycles(model, rows.length));
        if (flavour === 'pytorch') assert.deepEqual(model, sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes }));
        // the steady state: rows start II apart once the start-up is over
        assert.equal(r.timing[4]!.initiationInterval, model.initiationInterval, `II, N = ${n}, L = ${lanes}, ${flavour}`);
        assert.ok(model.initiationInterval < model.latency, `II below latency, N = ${n}`);
        // a row alone: the latency formula, the same as the one-row unit's
        const alone = cosimulate(shiftmaxAdapter(u), build, rows.slice(0, 1));
        assert.equal(alone.timing[0]!.latency, model.latency, `latency, N = ${n}, L = ${lanes}, ${flavour}`);
        if (flavour === 'pytorch') assert.equal(model.latency, sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes, form: 'serial' }).latency);
      }
    }
  });

  it('runs are shorter than the one-row unit on attention rows (N = 50, 197, 577 at 16 lanes)', () => {
    for (const n of [50, 197, 577]) {
      const ov = sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes: 16 });
      const serial = sduRowTiming({ unit: 'shiftmax', rowLength: n, lanes: 16, form: 'serial' });
      assert.ok(sduRunCycles(ov, 3 * n) < sduRunCycles(serial, 3 * n));
    }
  });
});
