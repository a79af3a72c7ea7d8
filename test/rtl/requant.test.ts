import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { REQUANT_DEFAULTS, buildRequantUnit } from '../../rtl-gen/units/requant.js';
import { sduRowTiming } from '../../rtl-gen/timing.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type RequantBeat, requantAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { printComparedValues } from './support.js';

const Z_MAX = 2 ** 32 - 1; // int33
const element: fc.Arbitrary<RequantBeat> = fc.record({
  z: fc.oneof(fc.integer({ min: -Z_MAX - 1, max: Z_MAX }), fc.integer({ min: -300, max: 300 })),
  m: fc.oneof(fc.integer({ min: 2 ** 30, max: 2 ** 31 }), fc.integer({ min: -(2 ** 31), max: -(2 ** 30) }), fc.constantFrom(2 ** 30, 2 ** 31, -(2 ** 31))),
  c: fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 28, max: 50 })),
});
const rowArb = fc.array(element, { minLength: 1, maxLength: 40, size: 'max' });

/** Exact ties: z·m / 2^c = k + 1/2 with m a power of two, for both signs and odd and even k. */
function tieRows(): RequantBeat[][] {
  const row: RequantBeat[] = [];
  for (let k = -6; k <= 6; k++) row.push({ z: 2 * k + 1, m: 2 ** 30, c: 31 }); // (2k+1)/2
  row.push({ z: 3, m: 2 ** 31, c: 33 }, { z: -5, m: -(2 ** 31), c: 33 }, { z: Z_MAX, m: 2 ** 31, c: 0 }, { z: -Z_MAX - 1, m: -(2 ** 31), c: 63 });
  return [row];
}

describe('rtl: dyadic requant unit', function () {
  this.timeout(300000);
  after(printComparedValues);
  for (const [lanes, tie, outBits] of [
    [1, 'half-even', 8],
    [3, 'half-even', 16],
    [2, 'half-up', 8],
  ] as const) {
    it(`matches requantOne bit for bit: ${lanes} lane(s), ties ${tie}, int${outBits} (fast-check + exact ties), Verilator`, () => {
      const u = buildRequantUnit({ ...REQUANT_DEFAULTS, lanes, tie, outBits });
      const run = assertRowsMatchGolden(requantAdapter(u), buildSimulation(u, 'verilator', 64), rowArb, {
        numRuns: 400,
        seed: 11 + lanes,
        extraRows: tieRows(),
      });
      assert.ok(run.vectors > 5000);
    });
  }

  it('Icarus agrees (second simulator), 2 lanes', () => {
    const u = buildRequantUnit({ ...REQUANT_DEFAULTS, lanes: 2 });
    assertRowsMatchGolden(requantAdapter(u), buildSimulation(u, 'icarus', 64), rowArb, { numRuns: 100, seed: 4, extraRows: tieRows() });
  });

  it('measured latency and II = sduRowTiming', () => {
    for (const lanes of [1, 4]) {
      const u = buildRequantUnit({ ...REQUANT_DEFAULTS, lanes });
      const lengths = [1, 3, 4, 9, 64];
      const rows = [...lengths, 1].map((n) => Array.from({ length: n }, (_, i) => ({ z: i * 1000 - 7, m: 2 ** 30 + i, c: 35 })));
      const r = cosimulate(requantAdapter(u), buildSimulation(u, 'verilator', 64), rows);
      assert.deepEqual(r.mismatches, []);
      lengths.forEach((n, i) => assert.deepEqual(r.timing[i], sduRowTiming({ unit: 'requant', rowLength: n, lanes }), `N = ${n}, L = ${lanes}`));
    }
  });
});
