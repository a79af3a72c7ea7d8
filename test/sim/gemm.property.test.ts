/**
 * Random GEMM shapes and tilings, assembled as programs and simulated with values: the int32 results in DRAM equal
 * the golden matmul. The same programs run on random array geometries and both dataflows.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { initialDram, readI32 } from './helpers.js';
import { gemmCase, gemmProgram, goldenGemm } from './gemm-programs.js';

const machine = fc.record({
  rows: fc.integer({ min: 1, max: 20 }),
  cols: fc.integer({ min: 1, max: 20 }),
  dataflow: fc.constantFrom('ws', 'os'),
  lanes: fc.integer({ min: 1, max: 32 }),
});

describe('random GEMM shapes and tilings are bit-exact', () => {
  it('simulator DRAM = golden matmul for random shapes, tilings, int16 A, transposed B, bias, machines', () => {
    fc.assert(
      fc.property(gemmCase, machine, (c, mach) => {
        const cfg = applyOverrides(DEFAULT_CONFIG, [
          `array.rows=${mach.rows}`,
          `array.cols=${mach.cols}`,
          `array.dataflow=${mach.dataflow}`,
          `sdu.lanes=${mach.lanes}`,
          'dram.bytes=65536',
        ]);
        const p = assemble(gemmProgram(c));
        const { run, report } = runProgram(p, { config: cfg });
        const expected = goldenGemm(c, initialDram(p, cfg.dram.bytes));
        const actual = readI32(run.state!.dram, 0x8000, c.m * c.n);
        for (let i = 0; i < expected.length; i++)
          if (actual[i] !== expected[i]) assert.fail(`C[${Math.floor(i / c.n)}][${i % c.n}] = ${actual[i]}, golden ${expected[i]}`);
        assert.equal(report.macs, c.m * c.n * c.k);
        assert.ok(report.peUtilisation > 0 && report.peUtilisation <= 1);
      }),
      { numRuns: 60 },
    );
  });

  it('deep int16 GEMMs (past the WebAssembly kernel depth) take the typed-array loop and stay exact', () => {
    const c = { m: 5, n: 7, k: 600, tm: 5, tn: 7, tk: 600, wide: true, transposedB: false, bias: true, seed: 9 };
    const cfg = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=65536']);
    const p = assemble(gemmProgram(c));
    const { run } = runProgram(p, { config: cfg });
    assert.deepEqual(readI32(run.state!.dram, 0x8000, c.m * c.n), Array.from(goldenGemm(c, initialDram(p, cfg.dram.bytes))));
  });
});
