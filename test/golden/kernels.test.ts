/** The fast kernels compute exactly what the plain reference loops compute. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { gemmInt16Int8Wasm, gemmInt8Wasm, wasmGemmAvailable } from '../../verify/golden/ops/gemm-wasm.js';
import { matmulABt, matmulInt8 } from '../../verify/golden/ops/matmul.js';
import { requantTensor, roundDyadicBig } from '../../verify/golden/ops/requant.js';
import { saturateSigned } from '../../verify/golden/intmath.js';

function referenceProduct(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, depth: number): Int32Array {
  const out = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < depth; k++) s += a[i * depth + k]! * b[j * depth + k]!;
      out[i * cols + j] = s;
    }
  return out;
}

const shape = fc.record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 11 }), depth: fc.integer({ min: 1, max: 70 }) });
const int8Values = (n: number) => fc.array(fc.oneof(fc.integer({ min: -128, max: 127 }), fc.constantFrom(-128, 127)), { minLength: n, maxLength: n });

describe('GEMM kernels', () => {
  it('the WebAssembly SIMD kernels are built and load on this Node', () => {
    assert.ok(wasmGemmAvailable(), 'dist/verify/golden/ops/wasm/gemm-i8.wasm missing or no SIMD support');
  });

  it('int8 × int8: WebAssembly, the blocked JavaScript kernel and the plain loop agree on every shape', () => {
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), int8Values(s.rows * s.depth), int8Values(s.cols * s.depth))),
        ([s, av, bv]) => {
          const a = Int8Array.from(av);
          const b = Int8Array.from(bv);
          const want = referenceProduct(a, b, s.rows, s.cols, s.depth);
          const w = new Int32Array(s.rows * s.cols);
          assert.ok(gemmInt8Wasm(a, b, s.rows, s.cols, s.depth, w));
          assert.deepEqual(w, want);
          assert.deepEqual(matmulInt8(a, b, s.rows, s.cols, s.depth, undefined, 32, 't', new Int32Array(s.rows * s.cols)), want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('int8 worst case: depth 3072 of (−128)·(−128) stays exact', () => {
    const a = new Int8Array(2 * 3072).fill(-128);
    const b = new Int8Array(5 * 3072).fill(-128);
    const out = new Int32Array(10);
    assert.ok(gemmInt8Wasm(a, b, 2, 5, 3072, out));
    assert.ok(out.every((v) => v === 3072 * 16384));
  });

  it('int16 × int8 (Shiftmax probabilities × values) agrees with the plain loop, extremes included', () => {
    const int16 = (n: number) => fc.array(fc.oneof(fc.integer({ min: 0, max: 32767 }), fc.constantFrom(-32768, 32767)), { minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), int16(s.rows * s.depth), int8Values(s.cols * s.depth))),
        ([s, av, bv]) => {
          const a = Int16Array.from(av);
          const b = Int8Array.from(bv);
          const w = new Int32Array(s.rows * s.cols);
          assert.ok(gemmInt16Int8Wasm(a, b, s.rows, s.cols, s.depth, w));
          assert.deepEqual(w, referenceProduct(a, b, s.rows, s.cols, s.depth));
        },
      ),
      { numRuns: 300 },
    );
    const big = new Int16Array(2 * 511).fill(-32768);
    const neg = new Int8Array(4 * 511).fill(-128);
    const out = new Int32Array(8);
    assert.ok(gemmInt16Int8Wasm(big, neg, 2, 4, 511, out));
    assert.ok(out.every((v) => v === 511 * 32768 * 128));
    assert.equal(gemmInt16Int8Wasm(big, neg, 1, 1, 512, out), false); // past its exact range it declines
  });

  it('matmulABt adds the bias and checks every accumulator on the fast path too', () => {
    const a = new Int8Array([127, 127]);
    const b = new Int8Array([127, 127]);
    assert.deepEqual(Array.from(matmulABt(a, b, 1, 1, 2, [5], 32, 't')), [2 * 16129 + 5]);
    assert.throws(() => matmulABt(a, b, 1, 1, 2, [2 ** 31 - 1], 32, 'layerX'), /matmul accumulator at layerX \[row 0, col 0\]/);
  });
});

describe('requantTensor fast loop', () => {
  it('never returns −0 (m = 0, or z = 0 with a negative m)', () => {
    const out = [NaN, NaN, NaN];
    requantTensor([-1, 0, 5], 1, { m: 0, c: 16 }, 8, 'half-even', out);
    assert.ok(
      out.every((v) => Object.is(v, 0)),
      JSON.stringify(out.map((v) => Object.is(v, -0))),
    );
    requantTensor([0, 0, 0], 1, { m: -(2 ** 30), c: 31 }, 8, 'half-even', out);
    assert.ok(out.every((v) => Object.is(v, 0)));
  });

  it('equals clamp(round(z·m/2^c)) on BigInt, per tensor and per channel, both tie rules', () => {
    const dy = fc.record({
      m: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.constantFrom(2 ** 30, -(2 ** 30), 2 ** 31, 0)),
      c: fc.integer({ min: 0, max: 75 }),
    });
    const z = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: -70, max: 70 }));
    fc.assert(
      fc.property(
        fc.array(dy, { minLength: 1, maxLength: 4 }),
        fc.array(z, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom('half-even' as const, 'half-up' as const),
        (table, zs, bits, tie) => {
          const channels = table.length;
          const values = zs.slice(0, Math.max(channels, zs.length - (zs.length % channels)));
          while (values.length % channels !== 0) values.push(0);
          const out = new Array<number>(values.length);
          requantTensor(values, channels, table, bits, tie, out);
          values.forEach((v, i) =>
            assert.equal(out[i], saturateSigned(roundDyadicBig(v, table[i % channels]!, tie), bits), `z=${v} d=${JSON.stringify(table[i % channels])}`),
          );
          const one = new Array<number>(values.length);
          requantTensor(values, 1, table[0]!, bits, tie, one);
          values.forEach((v, i) => assert.equal(one[i], saturateSigned(roundDyadicBig(v, table[0]!, tie), bits)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
