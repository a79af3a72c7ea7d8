/** The tile-level array timing equals the PE-by-PE model on every shape; the PE-by-PE values equal the golden. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { arrayTiming } from '../../sim/array/timing.js';
import { detailedArray } from '../../sim/array/detailed.js';
import { matmulABt } from '../../verify/golden/ops/matmul.js';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { gemmCase, gemmProgram, goldenGemm } from './gemm-programs.js';
import { initialDram, readI32 } from './helpers.js';

const shape = fc.record({
  rows: fc.integer({ min: 1, max: 8 }),
  cols: fc.integer({ min: 1, max: 8 }),
  m: fc.integer({ min: 1, max: 20 }),
  n: fc.integer({ min: 1, max: 20 }),
  k: fc.integer({ min: 1, max: 20 }),
  passes: fc.constantFrom(1, 2),
  dataflow: fc.constantFrom('ws' as const, 'os' as const),
  seed: fc.integer(),
});

describe('array timing: detailed PE-by-PE model vs tile-level closed form', () => {
  it('agree on cycles for every shape, and the detailed values equal the golden matmul', () => {
    fc.assert(
      fc.property(shape, (s) => {
        let x = s.seed;
        const rnd = (lo: number, hi: number): number => {
          x = (Math.imul(x, 1103515245) + 12345) | 0;
          return lo + ((((x >>> 8) % (hi - lo + 1)) + (hi - lo + 1)) % (hi - lo + 1));
        };
        const a = Array.from({ length: s.m * s.k }, () => (s.passes === 2 ? rnd(-32768, 32767) : rnd(-128, 127)));
        const b = Array.from({ length: s.n * s.k }, () => rnd(-128, 127));
        const g = { rows: s.rows, cols: s.cols };
        const gs = { m: s.m, n: s.n, k: s.k, passes: s.passes };
        const fast = arrayTiming(g, gs, s.dataflow);
        const det = detailedArray(g, gs, { a: (i, q) => a[i * s.k + q]!, b: (j, q) => b[j * s.k + q]! }, s.dataflow);
        assert.equal(det.cycles, fast.cycles, `${s.dataflow} ${s.rows}x${s.cols} m=${s.m} n=${s.n} k=${s.k} passes=${s.passes}`);
        const gold = matmulABt(a, b, s.m, s.n, s.k, undefined, 32, 'test');
        assert.deepEqual(Array.from(det.values), Array.from(gold));
      }),
      { numRuns: 300 },
    );
  });

  it('known cases: one weight-stationary fold is R + M + R + cu − 2 cycles; folds pipeline at max(M, 2R)', () => {
    assert.equal(arrayTiming({ rows: 16, cols: 16 }, { m: 32, n: 16, k: 16, passes: 1 }, 'ws').cycles, 16 + 32 + 16 + 16 - 2);
    assert.equal(arrayTiming({ rows: 16, cols: 16 }, { m: 100, n: 16, k: 48, passes: 1 }, 'ws').cycles, 16 + 2 * 100 + 100 + 16 + 16 - 2);
    assert.equal(arrayTiming({ rows: 16, cols: 16 }, { m: 4, n: 16, k: 32, passes: 1 }, 'ws').cycles, 16 + 32 + 4 + 16 + 16 - 2);
    // output stationary: K + ru + cu − 2 to finish, R to drain
    assert.equal(arrayTiming({ rows: 8, cols: 8 }, { m: 8, n: 8, k: 20, passes: 1 }, 'os').cycles, 20 + 8 + 8 - 2 + 8);
  });

  it('whole programs: --detailed-array gives the same cycles, and its PE-level values equal the golden matmul', () => {
    fc.assert(
      fc.property(
        gemmCase.map((c) => ({ ...c, m: Math.min(c.m, 12), n: Math.min(c.n, 12), k: Math.min(c.k, 12) })),
        fc.constantFrom('ws', 'os'),
        (c, df) => {
          const cfg = applyOverrides(DEFAULT_CONFIG, ['array.rows=4', 'array.cols=4', `array.dataflow=${df}`, 'dram.bytes=65536']);
          const p = assemble(gemmProgram(c));
          const fast = runProgram(p, { config: cfg, timingOnly: true }).report.totalCycles;
          const det = runProgram(p, { config: cfg, detailedArray: true });
          assert.equal(det.report.totalCycles, fast);
          assert.deepEqual(readI32(det.run.state!.dram, 0x8000, c.m * c.n), Array.from(goldenGemm(c, initialDram(p, cfg.dram.bytes))));
        },
      ),
      { numRuns: 25 },
    );
  });
});
