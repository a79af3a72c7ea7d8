import { strict as assert } from 'node:assert';
import { ARRAY_UNITS, UNITS } from '../../rtl-gen/units/index.js';
import { lintGeneratedArray } from '../../verify/rtl/array-bench.js';
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
  for (const entry of ARRAY_UNITS) {
    for (const dataflow of entry.dataflow ? [entry.dataflow] : (['ws', 'os'] as const)) {
      it(`${entry.name} 4×3 ${dataflow}`, () => {
        const arr = entry.build({ rows: 4, cols: 3, dataflow });
        assert.ok(arr.top.startsWith(`ivit_array_${dataflow}_4x3`), arr.top);
        assert.equal(lintGeneratedArray(arr), '');
      });
    }
  }
  it('generation is deterministic (same options → byte-identical Verilog) and names differ across configurations', () => {
    const a = UNITS[0]!.build({ lanes: 2 });
    const b = UNITS[0]!.build({ lanes: 2 });
    assert.deepEqual([...unitSources(a)], [...unitSources(b)]);
    assert.notEqual(UNITS[0]!.build({ lanes: 3 }).top, a.top);
  });
});
