/**
 * The generated arrays, weight-stationary (rtl-gen/array/ws-array.ts) and output-stationary (os-array.ts),
 * running whole gemm instructions: lint-clean, and on drawn shapes (fast-check, shrinking) the accumulator
 * contents equal the golden matmul and the cycle count equals arrayTiming() and detailedArray() of the same
 * dataflow exactly, under Verilator; Icarus repeats a subset. The full DeiT-S / DeiT-T shape sets at 4×4, 8×8
 * and 16×16 are scripts/bench-array-rtl.sh (docs/rtl.md).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { type GemmDraw as Drawn, buildArrayBench, checkGemm, gemmOf, lintArray } from '../../verify/rtl/array-bench.js';
import type { ArrayGeometry } from '../../sim/array/shape.js';
import type { DataflowName } from '../../sim/array/timing.js';

const drawn = (maxDim: number): fc.Arbitrary<Drawn> =>
  fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxDim }),
    a16: fc.boolean(),
    init: fc.constantFrom('zero' as const, 'acc' as const, 'bias' as const),
    bLayout: fc.constantFrom('rows' as const, 'transposed' as const),
    pad: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

function assertAgrees(label: string, c: ReturnType<typeof checkGemm>): void {
  assert.equal(c.firstValueMismatch, -1, `${label}: C differs from the golden matmul at element ${c.firstValueMismatch}`);
  assert.equal(c.rtlCycles, c.closedForm, `${label}: RTL ${c.rtlCycles} cycles, arrayTiming ${c.closedForm}`);
  assert.equal(c.rtlCycles, c.detailed, `${label}: RTL ${c.rtlCycles} cycles, detailedArray ${c.detailed}`);
}

const DATAFLOW_NAMES: Record<DataflowName, string> = { ws: 'weight-stationary', os: 'output-stationary' };
/** Output-stationary: one geometry with more columns than rows and one with more rows (its tag line has max(R, C) stages). */
const DRAWN_GEOMETRIES: Record<DataflowName, ArrayGeometry[]> = {
  ws: [
    { rows: 4, cols: 4 },
    { rows: 3, cols: 5 },
  ],
  os: [
    { rows: 3, cols: 5 },
    { rows: 5, cols: 3 },
  ],
};

for (const dataflow of ['ws', 'os'] as const)
  describe(`rtl: the ${DATAFLOW_NAMES[dataflow]} array and its gemm sequencer`, function () {
    this.timeout(600_000);
    for (const g of DRAWN_GEOMETRIES[dataflow]) {
      it(`${g.rows}×${g.cols}: clean under verilator --lint-only -Wall`, () => assert.equal(lintArray(g, dataflow), ''));
      it(`${g.rows}×${g.cols}: Verilator equals the golden matmul and both timing models on 40 drawn gemms`, () => {
        const build = buildArrayBench(g, dataflow, 'verilator');
        fc.assert(
          fc.property(drawn(3 * Math.max(g.rows, g.cols)), (d) => assertAgrees(JSON.stringify(d), checkGemm(build, gemmOf(d), true))),
          { numRuns: 40, seed: g.rows * 100 + g.cols + (dataflow === 'os' ? 7 : 0) },
        );
      });
    }
    it('4×4: Icarus agrees on every init, both A types and both B layouts, across folds', () => {
      const g = { rows: 4, cols: 4 };
      const build = buildArrayBench(g, dataflow, 'icarus');
      let seed = 11;
      for (const init of ['zero', 'acc', 'bias'] as const) {
        for (const a16 of [false, true]) {
          const d: Drawn = { m: 6, n: 9, k: 11, a16, init, bLayout: a16 ? 'transposed' : 'rows', pad: 1, seed: seed++ };
          assertAgrees(JSON.stringify(d), checkGemm(build, gemmOf(d), true));
        }
      }
    });
    it('4×4: DeiT-style shapes (short streams, int16 A, deep k)', () => {
      const g = { rows: 4, cols: 4 };
      const build = buildArrayBench(g, dataflow, 'verilator');
      const shapes: Array<Pick<Drawn, 'm' | 'n' | 'k' | 'a16'>> = [
        { m: 1, n: 40, k: 384, a16: false },
        { m: 41, n: 64, k: 197, a16: true },
        { m: 50, n: 32, k: 768, a16: false },
      ];
      for (const s of shapes) {
        const d: Drawn = { ...s, init: 'bias', bLayout: s.a16 ? 'transposed' : 'rows', pad: 0, seed: s.m + s.n + s.k };
        const gm = gemmOf(d);
        if (gm.a16) for (let x = 0; x < gm.A.length; x++) gm.A[x] = gm.A[x]! % 2048; // |C| stays within int32 at k = 197
        assertAgrees(`${s.m}×${s.n}×${s.k}${s.a16 ? ' int16' : ''}`, checkGemm(build, gm, true));
      }
    });
  });
