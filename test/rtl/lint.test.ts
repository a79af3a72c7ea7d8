import { strict as assert } from 'node:assert';
import { UNITS } from '../../rtl-gen/units/index.js';
import { lintUnit } from '../../verify/rtl/lint.js';
import { unitSources } from '../../rtl-gen/emit.js';

describe('rtl: every generated module is clean under verilator --lint-only -Wall', function () {
  this.timeout(300000);
  for (const entry of UNITS) {
    const laneCounts = entry.name === 'shift-exp-lane' || entry.name === 'gelu-divider' || entry.name === 'lis' || entry.name === 'sulq-lane' ? [1] : [1, 3];
    for (const variant of entry.variants) {
      for (const lanes of laneCounts) {
        it(`${entry.name} --variant ${variant} --lanes ${lanes}`, () => {
          const u = entry.build({ lanes, variant });
          assert.deepEqual(lintUnit(u), []);
        });
      }
    }
  }
  it('generation is deterministic (same options → byte-identical Verilog) and names differ across configurations', () => {
    const a = UNITS[0]!.build({ lanes: 2 });
    const b = UNITS[0]!.build({ lanes: 2 });
    assert.deepEqual([...unitSources(a)], [...unitSources(b)]);
    assert.notEqual(UNITS[0]!.build({ lanes: 3 }).top, a.top);
  });
});
