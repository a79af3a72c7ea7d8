/** The simulator's block kernels equal the golden row ops exactly (requant, residual add, Shiftmax, ShiftGELU, LayerNorm). */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { requantBlock, residualBlock } from '../../sim/exec/fast-requant.js';
import { shiftGeluRows, shiftmaxRows } from '../../sim/exec/fast-exp.js';
import { layerNormRows } from '../../sim/exec/fast-layernorm.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { requantOne, residualOne } from '../../verify/golden/ops/requant.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import type { Dyadic } from '../../verify/golden/constants.js';

const dyadic: fc.Arbitrary<Dyadic> = fc.record({
  m: fc.oneof(
    fc.integer({ min: 1 << 30, max: 2 ** 31 }),
    fc.integer({ min: -(2 ** 31), max: -(1 << 30) }),
    fc.constantFrom(1 << 30, 2 ** 31, -(2 ** 31), 1, 0, 3),
  ),
  c: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 30, max: 56 })),
});
const zValue = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.constantFrom(0, 1, -1, 2 ** 35, -(2 ** 35), 2 ** 36, -(2 ** 36)),
);

describe('SDU block kernels = golden row ops', () => {
  it('requant (per tensor and per channel, both tie rules, any width) = requantOne', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(dyadic, { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom(4, 8, 16, 32),
        fc.constantFrom('half-even' as const, 'half-up' as const),
        fc.array(zValue, { minLength: 24, maxLength: 24 }),
        (rows, cols, table, perChannel, bits, tie, zs) => {
          const src = zs.slice(0, rows * cols);
          const out = new Float64Array(rows * cols);
          requantBlock(src, rows, cols, table, perChannel, bits, tie, out);
          // === (not Object.is): −0 and 0 are the same stored integer
          src.forEach((z, i) => {
            const want = requantOne(z, table[perChannel ? i % cols : 0]!, bits, tie);
            assert.ok(out[i] === want, `z=${z} d=${JSON.stringify(table[perChannel ? i % cols : 0])}: ${out[i]} != ${want}`);
          });
        },
      ),
      { numRuns: 800 },
    );
  });

  it('values a hair away from a tie (m = 2^30 ± δ) round exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 31, max: 34 }),
        fc.constantFrom('half-even' as const, 'half-up' as const),
        fc.constantFrom(8, 16, 32),
        (z, delta, c, tie, bits) => {
          const d = { m: 2 ** 30 + delta, c };
          const out = [0];
          requantBlock([z], 1, 1, [d], false, bits, tie, out);
          assert.ok(out[0] === requantOne(z, d, bits, tie), `z=${z} m=${d.m} c=${c}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a zero multiplier gives 0, never −0', () => {
    const out = [1, 1];
    requantBlock(
      [-1, -5],
      1,
      2,
      [
        { m: 0, c: 16 },
        { m: 0, c: 40 },
      ],
      true,
      8,
      'half-even',
      out,
    );
    assert.ok(Object.is(out[0], 0) && Object.is(out[1], 0), String(out));
    requantBlock([-7], 1, 1, [{ m: 0, c: 40 }], false, 8, 'half-even', out);
    assert.ok(Object.is(out[0], 0));
  });

  it('exact ties round as the rule says', () => {
    // z·m / 2^c = k + 1/2 exactly
    for (const [z, m, c] of [
      [3, 1 << 30, 31],
      [5, 1 << 30, 31],
      [-3, 1 << 30, 31],
      [-5, 1 << 30, 31],
      [1, 1 << 16, 17],
      [7, 2 ** 31, 32],
    ] as const) {
      for (const tie of ['half-even', 'half-up'] as const) {
        const out = [0];
        requantBlock([z], 1, 1, [{ m, c }], false, 32, tie, out);
        assert.equal(out[0], requantOne(z, { m, c }, 32, tie));
      }
    }
  });

  it('residual add = residualOne', () => {
    fc.assert(
      fc.property(
        dyadic,
        dyadic,
        fc.array(fc.tuple(zValue, fc.integer({ min: -32768, max: 32767 })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('half-even' as const, 'half-up' as const),
        (dx, dy, pairs, tie) => {
          const out = new Float64Array(pairs.length);
          residualBlock(
            pairs.map((p) => p[0]),
            [dx],
            false,
            pairs.map((p) => p[1]),
            [dy],
            false,
            1,
            pairs.length,
            16,
            tie,
            out,
          );
          pairs.forEach(([x, y], i) => assert.ok(out[i] === residualOne(x, dx, y, dy, 16, tie)));
        },
      ),
      { numRuns: 400 },
    );
  });

  const expParams = fc.record({
    x0: fc.oneof(fc.integer({ min: -600, max: -1 }), fc.constantFrom(-1, -2, -20, -12, -255, -256, -511, -512)),
    n: fc.oneof(fc.constantFrom(15, 16, 23), fc.integer({ min: 1, max: 24 })),
    k: fc.oneof(fc.constantFrom(8, 16), fc.integer({ min: 2, max: 24 })),
    flavour: fc.constantFrom('pytorch' as const, 'tvm' as const),
    inputBits: fc.constantFrom(8, 16),
  });
  const rowsOf = (bits: number): fc.Arbitrary<number[][]> =>
    fc.array(fc.array(fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 4 });

  /** Rows of 24 values within a narrow band: the row spans fewer Δ than it has columns (ShiftGELU's σ table). */
  const narrowRowsOf = (bits: number): fc.Arbitrary<number[][]> =>
    fc
      .tuple(fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 24 }), fc.integer({ min: 0, max: 23 }))
      .chain(([lo, width]) => fc.array(fc.array(fc.integer({ min: lo, max: lo + width }), { minLength: 24, maxLength: 24 }), { minLength: 1, maxLength: 3 }));

  /** Same result or the same error as the golden row op. */
  function compare(kernel: () => ArrayLike<number>, golden: () => number[]): void {
    let want: number[] | Error;
    try {
      want = golden();
    } catch (e) {
      want = e as Error;
    }
    if (want instanceof Error) {
      assert.throws(kernel, (e: Error) => e.message === (want as Error).message);
      return;
    }
    assert.deepEqual(Array.from(kernel()), want);
  }

  it('Shiftmax rows = shiftmaxRow (both flavours, int8 and int16 inputs, any n and k)', () => {
    fc.assert(
      fc.property(
        expParams.chain((p) => fc.tuple(fc.constant(p), rowsOf(p.inputBits))),
        ([p, rows]) => {
          const cols = 5;
          const src = Int32Array.from(rows.flat());
          const params = { ...p, expBits: 32 };
          compare(
            () => {
              const out = new Float64Array(src.length);
              shiftmaxRows(src, rows.length, cols, params, 't', out);
              return out;
            },
            () => rows.flatMap((r, i) => shiftmaxRow(r, params, `t row ${i}`).out),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ShiftGELU rows = shiftGeluRow (including all-negative rows and large |x0|)', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(expParams, fc.constantFrom('reference' as const, 'saturate' as const), fc.constantFrom(32, 31, 40))
          .chain(([e, sigmaRule, expBits]) => fc.tuple(fc.constant({ ...e, sigmaRule, expBits }), fc.oneof(rowsOf(e.inputBits), narrowRowsOf(e.inputBits)))),
        ([p, rows]) => {
          const src = Int32Array.from(rows.flat());
          compare(
            () => {
              const out = new Float64Array(src.length);
              shiftGeluRows(src, rows.length, rows[0]!.length, p, 't', out);
              return out;
            },
            () => rows.flatMap((r, i) => shiftGeluRow(r, p, `t row ${i}`).out),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('LayerNorm rows = layerNormRow (both sqrt rules, both mean and halving rules, bias, widths that overflow)', () => {
    fc.assert(
      fc.property(
        fc.record({
          sqrt: fc.constantFrom('newton10' as const, 'floor' as const),
          mean: fc.constantFrom('half-even' as const, 'trunc' as const),
          halve: fc.constantFrom('floor' as const, 'trunc' as const),
          inputBits: fc.constantFrom(8, 16, 20),
          varianceBits: fc.constantFrom(32, 40, 20),
          outputBits: fc.constantFrom(32, 24, 16),
        }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.integer(),
        (p, cols, withBias, seed) => {
          const rows = 3;
          let s = seed >>> 0 || 1;
          const draw = (bits: number): number => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            return (s % 2 ** bits) - 2 ** (bits - 1);
          };
          const src = Int32Array.from({ length: rows * cols }, () => draw(Math.min(p.inputBits + 1, 21)));
          const bias = withBias ? Array.from({ length: cols }, () => draw(20)) : undefined;
          compare(
            () => {
              const out = new Float64Array(src.length);
              layerNormRows(src, rows, cols, bias, p, 't', out);
              return out;
            },
            () => Array.from({ length: rows }, (_, r) => layerNormRow(Array.from(src.subarray(r * cols, (r + 1) * cols)), bias, p, `t row ${r}`).out).flat(),
          );
        },
      ),
      { numRuns: 800 },
    );
  });
});
