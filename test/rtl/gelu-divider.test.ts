import fc from 'fast-check';
import { buildRecipPipeUnit } from '../../rtl-gen/units/recip-pipe-unit.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { recipPipeAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { printComparedValues } from './support.js';

/** Divisors at every power-of-two boundary (where the triangular stages switch width) and their neighbours. */
function boundaryDivisors(): number[] {
  const ds: number[] = [1, 2, 3, 2 ** 31 - 1, 2 ** 31 - 2];
  for (let k = 1; k < 31; k++) ds.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
  return ds.filter((d) => d >= 1 && d < 2 ** 31);
}

describe('rtl: ShiftGELU per-element reciprocal divider (stand-alone)', function () {
  this.timeout(300000);
  after(printComparedValues);
  for (const bits of [1, 3]) {
    it(`⌊(2^31 − 1)/D⌋ exact at ${bits} quotient bit(s) per register: power-of-two boundaries + drawn D, Icarus`, () => {
      const u = buildRecipPipeUnit({ divBitsPerStage: bits });
      const d = fc.oneof(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 2 ** 24, max: 2 ** 31 - 1 }));
      assertRowsMatchGolden(recipPipeAdapter(u), buildSimulation(u, 'icarus', 4096), fc.array(d, { minLength: 1, maxLength: 64, size: 'max' }), {
        numRuns: 40,
        seed: bits,
        extraRows: [boundaryDivisors()],
      });
    });
  }
});
