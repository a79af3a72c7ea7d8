import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SHIFTGELU_DEFAULTS, buildShiftGeluUnit } from '../../rtl-gen/units/shiftgelu.js';
import { sduRowTiming } from '../../rtl-gen/timing.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type ExpRow, shiftGeluAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { shiftExp } from '../../verify/golden/ops/shift-exp.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { GELU_INTEGRAL_INVERSE_SCALES, GELU_SCALE_SPREAD, everyInputAgainstEveryMax, geluX0MagOf, printComparedValues } from './support.js';

const rowArb: fc.Arbitrary<ExpRow> = fc
  .tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 120 }))
  .chain(([hi, x0Mag, len]) => fc.record({ x: fc.array(fc.integer({ min: -128, max: hi }), { minLength: len, maxLength: len }), x0Mag: fc.constant(x0Mag) }));

describe('rtl: ShiftGELU row unit, PyTorch flavour', function () {
  this.timeout(300000);
  after(printComparedValues);
  const u2 = buildShiftGeluUnit({ ...SHIFTGELU_DEFAULTS, lanes: 2 });

  it('the scale spread reaches E_M saturation and the small-|M| negative-max case (so the sweep covers both)', () => {
    const p = { n: 23, k: 8, flavour: 'pytorch' as const, inputBits: 8, sigmaRule: 'reference' as const, expBits: 32 };
    const sat = shiftGeluRow([-128], { ...p, x0: -geluX0MagOf(GELU_SCALE_SPREAD[0]!) }, 't').expMax;
    const small = shiftGeluRow([-3], { ...p, x0: -30 }, 't').expMax;
    assert.equal(sat, 2 ** 31 - 1);
    assert.ok(small > 0 && small < 2 ** 31 - 1);
  });

  it('matches the golden model for every 8-bit input against every row max (incl. negative maxima), 9 scales, Verilator', () => {
    const build = buildSimulation(u2, 'verilator', 256);
    const adapter = shiftGeluAdapter(u2);
    let elements = 0;
    for (const s of GELU_SCALE_SPREAD) {
      const rows = everyInputAgainstEveryMax(geluX0MagOf(s));
      const r = cosimulate(adapter, build, rows);
      assert.deepEqual(r.mismatches.slice(0, 3), [], `scale ${s}`);
      elements += rows.reduce((n, row) => n + row.x.length, 0);
    }
    assert.equal(elements, 9 * 32896);
  });

  it('matches the golden model on drawn rows and |x0| (fast-check), 1 and 3 lanes, Verilator', () => {
    for (const lanes of [1, 3]) {
      const u = buildShiftGeluUnit({ ...SHIFTGELU_DEFAULTS, lanes });
      assertRowsMatchGolden(shiftGeluAdapter(u), buildSimulation(u, 'verilator', 256), rowArb, { numRuns: 200, seed: 30 + lanes });
    }
  });

  it('small scales (256 ≤ |x0| ≤ 511): σ past 127 under the reference rule, clamped at 127 when saturating, Verilator', () => {
    const smallScaleRows: fc.Arbitrary<ExpRow> = fc
      .tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: 256, max: 511 }), fc.integer({ min: 1, max: 40 }))
      .chain(([hi, x0Mag, len]) =>
        fc.record({ x: fc.array(fc.integer({ min: -128, max: hi }), { minLength: len, maxLength: len }), x0Mag: fc.constant(x0Mag) }),
      );
    for (const sigmaRule of ['reference', 'saturate'] as const) {
      const u = buildShiftGeluUnit({ ...SHIFTGELU_DEFAULTS, lanes: 2, sigmaRule });
      const build = buildSimulation(u, 'verilator', 64);
      assertRowsMatchGolden(shiftGeluAdapter(u), build, smallScaleRows, { numRuns: 60, seed: sigmaRule === 'reference' ? 51 : 52 });
      // the example row at |x0| = 265, and the top of the range
      const r = cosimulate(shiftGeluAdapter(u), build, [
        { x: [127, 90, 99, 47], x0Mag: 265 },
        { x: [127, -128], x0Mag: 511 },
      ]);
      assert.deepEqual(r.mismatches, []);
    }
    const golden = { n: 23, k: 8, flavour: 'pytorch' as const, inputBits: 8, expBits: 32 };
    assert.equal(shiftGeluRow([127, 90, 99, 47], { ...golden, x0: -265, sigmaRule: 'reference' }, 't').out[0], 16764);
  });

  it('Icarus agrees (second simulator), 2 lanes', () => {
    assertRowsMatchGolden(shiftGeluAdapter(u2), buildSimulation(u2, 'icarus', 128), rowArb, { numRuns: 40, seed: 8 });
  });

  it('measured latency and II = sduRowTiming', () => {
    for (const lanes of [1, 2]) {
      const u = lanes === 2 ? u2 : buildShiftGeluUnit({ ...SHIFTGELU_DEFAULTS, lanes });
      const lengths = [1, 2, 3, 16, 77, 256];
      const rows = [...lengths, 1].map((n, i) => ({ x: Array.from({ length: n }, (_, j) => ((j * 53 + i) % 256) - 128), x0Mag: 9 + i }));
      const r = cosimulate(shiftGeluAdapter(u), buildSimulation(u, 'verilator', 256), rows);
      assert.deepEqual(r.mismatches, []);
      lengths.forEach((n, i) => assert.deepEqual(r.timing[i], sduRowTiming({ unit: 'shiftgelu', rowLength: n, lanes }), `N = ${n}, L = ${lanes}`));
    }
  });
});

describe('rtl: ShiftGELU row unit, TVM flavour', function () {
  this.timeout(300000);
  after(printComparedValues);
  const tvm = { ...SHIFTGELU_DEFAULTS, flavour: 'tvm' as const };
  const u2 = buildShiftGeluUnit({ ...tvm, lanes: 2 });
  const golden = { n: 23, k: 8, inputBits: 8, sigmaRule: 'reference' as const, expBits: 32 };
  const scales = [...GELU_SCALE_SPREAD, ...GELU_INTEGRAL_INVERSE_SCALES];
  const INT31_MAX = 2 ** 31 - 1;

  it('worked examples by hand: trunc q for e^(−M) with a negative row max, (r >> 1) − x0, saturation', () => {
    const tvmExp = (delta: number, x0: number): number => shiftExp(delta, x0, 23, 'tvm', INT31_MAX).e;
    const ptExp = (delta: number, x0: number): number => shiftExp(delta, x0, 23, 'pytorch', INT31_MAX).e;
    // M = −11, x0 = −30: P = 11 + 5 − 0 = 16; TVM q = trunc(16/−30) = 0, r = 16, E_M = (8 + 30)·2^23;
    // PyTorch q = ⌊16/−30⌋ = −1, r = −14, E_M = (−14 + 60)·2^22·2 = 46·2^23 (numerics.md §4)
    assert.equal(tvmExp(11, -30), 38 * 2 ** 23);
    assert.equal(ptExp(11, -30), 46 * 2 ** 23);
    // M = −10, x0 = −10: P = 15; TVM q = −1, r = 5, E_M = (2 + 10)·2^24; PyTorch q = −2, r = −5, E_M = 15·2^24
    assert.equal(tvmExp(10, -10), 12 * 2 ** 24);
    assert.equal(ptExp(10, -10), 15 * 2 ** 24);
    // M = −100, x0 = −30: P = 144, q = −4, r = 24, (12 + 30)·2^27 > 2^31 − 1: saturates
    assert.equal(tvmExp(100, -30), INT31_MAX);
    // Δ = −1, x0 = −10: P = −1, q = 0, r = −1, r >> 1 = −1 (the LSB of r/2 is lost): E = 9·2^23, PyTorch 19·2^22
    assert.equal(tvmExp(-1, -10), 9 * 2 ** 23);
    assert.equal(ptExp(-1, -10), 19 * 2 ** 22);
    // the clamp: Δ = −255, x0 = −1 → P = −367 < 23·x0, q = n, r = 0, E = |x0|
    assert.equal(tvmExp(-255, -1), 1);
    // the row [−11] at x0 = −30: E = 30·2^23, D = 68·2^23, F = ⌊(2^31 − 1)/D⌋ = 3, σ = ⌊E·3/2^24⌋ = 45, out = −495
    const row = shiftGeluRow([-11], { ...golden, x0: -30, flavour: 'tvm' }, 't');
    assert.deepEqual({ expMax: row.expMax, sigma: row.sigma, out: row.out }, { expMax: 38 * 2 ** 23, sigma: [45], out: [-495] });
    const r = cosimulate(shiftGeluAdapter(u2), buildSimulation(u2, 'verilator', 256), [
      { x: [-11], x0Mag: 30 },
      { x: [-10, -12, -128], x0Mag: 10 },
      { x: [-100, -101], x0Mag: 30 },
      { x: [0, -1, -2, -3], x0Mag: 10 },
      { x: [127, -128], x0Mag: 1 },
    ]);
    assert.deepEqual(r.mismatches, []);
  });

  it('the scales include 1/S_σ integral (TVM x0 ≠ PyTorch x0), reach E_M saturation and unsaturated negative-max E_M, and tell the flavours apart', () => {
    for (const s of GELU_INTEGRAL_INVERSE_SCALES) assert.equal(geluX0MagOf(s, 'tvm'), geluX0MagOf(s, 'pytorch') + 1, `scale ${s}`);
    const mags = scales.map((s) => geluX0MagOf(s, 'tvm'));
    assert.deepEqual([Math.min(...mags), Math.max(...mags)], [1, 255]);
    const negativeMaxRows = mags.flatMap((x0Mag) => everyInputAgainstEveryMax(x0Mag).filter((row) => row.x[0]! < 0));
    const expMaxTraces = negativeMaxRows.map((row) => shiftExp(-row.x[0]!, -row.x0Mag, 23, 'tvm', INT31_MAX));
    assert.ok(
      expMaxTraces.some((t) => t.e === INT31_MAX),
      'a saturated E_M',
    );
    assert.ok(
      expMaxTraces.some((t) => t.q === 0 && t.p > 0 && t.e < INT31_MAX),
      'P > 0 with trunc q = 0 (floor q would be −1)',
    );
    assert.ok(
      expMaxTraces.some((t) => t.q < 0 && t.e < INT31_MAX),
      'an unsaturated E_M shifted left past n',
    );
    const outputsDiffer = negativeMaxRows.filter(
      (row) =>
        shiftGeluRow(row.x, { ...golden, x0: -row.x0Mag, flavour: 'tvm' }, 't').out.join() !==
        shiftGeluRow(row.x, { ...golden, x0: -row.x0Mag, flavour: 'pytorch' }, 't').out.join(),
    );
    assert.ok(outputsDiffer.length > 0, 'some negative-max row has different TVM and PyTorch outputs at the same |x0|');
  });

  it(`matches the golden model for every 8-bit input against every row max (incl. negative maxima), ${scales.length} scales, Verilator`, () => {
    const build = buildSimulation(u2, 'verilator', 256);
    const adapter = shiftGeluAdapter(u2);
    let elements = 0;
    for (const s of scales) {
      const rows = everyInputAgainstEveryMax(geluX0MagOf(s, 'tvm'));
      const r = cosimulate(adapter, build, rows);
      assert.deepEqual(r.mismatches.slice(0, 3), [], `scale ${s}`);
      elements += rows.reduce((n, row) => n + row.x.length, 0);
    }
    assert.equal(elements, 15 * 32896);
  });

  it('matches the golden model on drawn rows and |x0| (fast-check), 1 and 3 lanes, Verilator', () => {
    for (const lanes of [1, 3]) {
      const u = buildShiftGeluUnit({ ...tvm, lanes });
      assertRowsMatchGolden(shiftGeluAdapter(u), buildSimulation(u, 'verilator', 256), rowArb, { numRuns: 200, seed: 40 + lanes });
    }
  });

  it('Icarus agrees (second simulator), 2 lanes', () => {
    assertRowsMatchGolden(shiftGeluAdapter(u2), buildSimulation(u2, 'icarus', 128), rowArb, { numRuns: 40, seed: 9 });
  });

  it('measured latency and II = descriptor = sduRowTiming', () => {
    for (const lanes of [1, 2]) {
      const u = lanes === 2 ? u2 : buildShiftGeluUnit({ ...tvm, lanes });
      assert.equal(u.params.flavour, 'tvm');
      const lengths = [1, 2, 3, 16, 77, 256];
      const rows = [...lengths, 1].map((n, i) => ({ x: Array.from({ length: n }, (_, j) => ((j * 53 + i) % 256) - 128), x0Mag: 9 + i }));
      const r = cosimulate(shiftGeluAdapter(u), buildSimulation(u, 'verilator', 256), rows);
      assert.deepEqual(r.mismatches, []);
      lengths.forEach((n, i) => {
        const model = sduRowTiming({ unit: 'shiftgelu', rowLength: n, lanes });
        assert.deepEqual(r.timing[i], model, `N = ${n}, L = ${lanes}`);
        assert.deepEqual(u.timing(n), model, `descriptor N = ${n}, L = ${lanes}`);
      });
      for (const e of describeUnit(u, 4096).timing.examples) {
        assert.deepEqual({ latency: e.latency, initiationInterval: e.initiationInterval }, sduRowTiming({ unit: 'shiftgelu', rowLength: e.rowLength, lanes }));
      }
    }
  });
});
