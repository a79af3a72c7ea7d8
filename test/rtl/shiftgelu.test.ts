import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SHIFTGELU_DEFAULTS, buildShiftGeluUnit } from '../../rtl-gen/units/shiftgelu.js';
import { sduRowTiming } from '../../rtl-gen/timing.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type ExpRow, shiftGeluAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { GELU_SCALE_SPREAD, everyInputAgainstEveryMax, geluX0MagOf, printComparedValues } from './support.js';

const rowArb: fc.Arbitrary<ExpRow> = fc
  .tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 120 }))
  .chain(([hi, x0Mag, len]) => fc.record({ x: fc.array(fc.integer({ min: -128, max: hi }), { minLength: len, maxLength: len }), x0Mag: fc.constant(x0Mag) }));

describe('rtl: ShiftGELU row unit', function () {
  this.timeout(300000);
  after(printComparedValues);
  const u2 = buildShiftGeluUnit({ ...SHIFTGELU_DEFAULTS, lanes: 2 });

  it('the scale spread reaches E_M saturation and the small-|M| negative-max case (so the sweep covers both)', () => {
    const p = { n: 23, k: 8, flavour: 'pytorch' as const, inputBits: 8 };
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
