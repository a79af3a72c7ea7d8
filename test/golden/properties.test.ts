/**
 * Properties against float math, with the error bounds this arithmetic actually has (docs/numerics.md
 * explains each), and invariants.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { expX0, geluSigmaScale } from '../../verify/golden/constants.js';

const int8 = fc.integer({ min: -128, max: 127 });
const LN = { sqrt: 'newton10' as const, mean: 'half-even' as const, halve: 'floor' as const, inputBits: 16, varianceBits: 48, outputBits: 33 };

function smParams(s: number) {
  return { x0: expX0(s, 'pytorch'), n: 15, k: 16, flavour: 'pytorch' as const, inputBits: 8, expBits: 32 };
}

describe('Shiftmax vs softmax', () => {
  it('|out/2^15 − softmax(x·S)| ≤ 0.6·S + 0.02 for S in [0.01, 0.2]', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.01), max: Math.fround(0.2), noNaN: true }), fc.array(int8, { minLength: 1, maxLength: 200 }), (s, x) => {
        const r = shiftmaxRow(x, smParams(s), 'p');
        const m = Math.max(...x);
        const e = x.map((v) => Math.exp((v - m) * s));
        const sum = e.reduce((a, b) => a + b, 0);
        x.forEach((_, j) => assert.ok(Math.abs(r.out[j]! / 32768 - e[j]! / sum) <= 0.6 * s + 0.02, `S=${s} j=${j}`));
      }),
      { numRuns: 1500 },
    );
  });

  it('rows sum close to 2^(k−1): (2^31 − 1 − Σ)/2^(32−k) − N < Σ out ≤ 2^(k−1) − 1', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.005), max: Math.fround(1), noNaN: true }), fc.array(int8, { minLength: 1, maxLength: 256 }), (s, x) => {
        const r = shiftmaxRow(x, smParams(s), 'p');
        const total = r.out.reduce((a, b) => a + b, 0);
        assert.ok(total <= 32767);
        if (r.sum < 2147483647) assert.ok(total > (2147483647 - r.sum) / 65536 - x.length, `total ${total}, Σ ${r.sum}`);
        r.out.forEach((v) => assert.ok(v >= 0 && v <= 32767));
      }),
      { numRuns: 1500 },
    );
  });

  it('monotone: a larger logit never gets a smaller probability', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.005), max: Math.fround(1), noNaN: true }), fc.array(int8, { minLength: 2, maxLength: 100 }), (s, x) => {
        const r = shiftmaxRow(x, smParams(s), 'p');
        for (let i = 0; i < x.length; i++) for (let j = 0; j < x.length; j++) if (x[i]! < x[j]!) assert.ok(r.out[i]! <= r.out[j]!);
      }),
      { numRuns: 500 },
    );
  });

  it('invariant to shifting the whole row (it only sees x − max)', () => {
    fc.assert(
      fc.property(
        fc.float({ min: Math.fround(0.01), max: Math.fround(0.5), noNaN: true }),
        fc.array(fc.integer({ min: -60, max: 60 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: -60, max: 60 }),
        (s, x, d) => {
          assert.deepEqual(
            shiftmaxRow(x, smParams(s), 'p').out,
            shiftmaxRow(
              x.map((v) => v + d),
              smParams(s),
              'p',
            ).out,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('ShiftGELU vs GELU', () => {
  // Two error sources beyond the exp approximation: σ is resolved only to 1/F with F = ⌊(2^31−1)/D⌋ ≤ 256/|x0|
  // (coarse for small scales), and when S_σ·(M − x)·log2 e exceeds n the clamp at n·x0 makes e^(x−M) and
  // e^(−M) both |x0|, so σ → ½. The bound below holds where no clamp fires (S·|x| small enough).
  it('|out·S/2^7 − GELU(x·S)| ≤ |x·S|·(0.1 + 2/F_min) + S where the clamp does not fire', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.01), max: Math.fround(0.036), noNaN: true }), fc.array(int8, { minLength: 1, maxLength: 64 }), (s, x) => {
        const x0 = expX0(geluSigmaScale(s), 'pytorch');
        const r = shiftGeluRow(x, { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 'p');
        const fMin = Math.floor(2147483647 / (2 * -x0 * 2 ** 23));
        x.forEach((v, j) => {
          const xr = v * s;
          const gelu = xr / (1 + Math.exp(-1.702 * xr));
          assert.ok(
            Math.abs((r.out[j]! * s) / 128 - gelu) <= Math.abs(xr) * (0.1 + 2 / Math.max(fMin, 1)) + s,
            `S=${s} x=${v}: ${(r.out[j]! * s) / 128} vs ${gelu}`,
          );
        });
      }),
      { numRuns: 1500 },
    );
  });

  it('σ is in [0, 127], out = x·σ, and the exp values are monotone in x within a row', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.005), max: Math.fround(1), noNaN: true }), fc.array(int8, { minLength: 1, maxLength: 64 }), (s, x) => {
        const r = shiftGeluRow(
          x,
          { x0: expX0(geluSigmaScale(s), 'pytorch'), n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 },
          'p',
        );
        x.forEach((v, j) => {
          assert.ok(r.sigma[j]! >= 0 && r.sigma[j]! <= 127);
          assert.equal(r.out[j], v * r.sigma[j]! + 0); // the op returns 0, never −0
        });
      }),
      { numRuns: 800 },
    );
  });

  it('σ is NOT monotone in x at small scales (the per-element F = ⌊(2^31−1)/D⌋ jumps): pinned example', () => {
    // S = 0.005: x0 = −118. Row [0, 76], M = 76: E_M = E(0) = 127·2^22, E(76) = 236·2^22.
    // x = 76: D = 363·2^22, F = 1, σ = ⌊236·2^22/2^24⌋ = 59.  x = 0: D = 254·2^22, F = 2, σ = ⌊254·2^22/2^24⌋ = 63.
    const r = shiftGeluRow(
      [0, 76],
      { x0: expX0(geluSigmaScale(Math.fround(0.005)), 'pytorch'), n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 },
      'p',
    );
    assert.deepEqual(r.sigma, [63, 59]);
  });
});

describe('I-LayerNorm vs LayerNorm', () => {
  it('|out·√C/2^30 − (x − mean)/std| ≤ 0.002 + 0.75/std once V ≥ 2^18 (the integer mean adds ≤ 0.5/std)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 512 }), fc.integer({ min: 64, max: 32767 }), fc.integer(), (c, amp, seed) => {
        let st = seed >>> 0;
        const x = Array.from({ length: c }, () => {
          st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
          return Math.floor(((st / 2 ** 32) * 2 - 1) * amp);
        });
        const r = layerNormRow(x, undefined, LN, 'p');
        fc.pre(r.var >= 2 ** 18);
        const mu = x.reduce((a, b) => a + b, 0) / c;
        const sd = Math.sqrt(x.reduce((a, b) => a + (b - mu) ** 2, 0) / c);
        x.forEach((v, i) => assert.ok(Math.abs((r.out[i]! * Math.sqrt(c)) / 2 ** 30 - (v - mu) / sd) <= 0.002 + 0.75 / sd, `C=${c} i=${i}`));
      }),
      { numRuns: 600 },
    );
  });

  it('outputs are bounded by 2^30 in magnitude before the bias (|y| ≤ std)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 300 }), (x) => {
        const r = layerNormRow(x, undefined, LN, 'p');
        r.out.forEach((v) => assert.ok(Math.abs(v) <= 2 ** 30));
        const rf = layerNormRow(x, undefined, { ...LN, sqrt: 'floor' }, 'p');
        rf.out.forEach((v) => assert.ok(Math.abs(v) <= 2 ** 30));
      }),
      { numRuns: 1000 },
    );
  });

  it('the floor-sqrt variant equals newton10 wherever the loop has converged to ⌊√V⌋', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 2, maxLength: 300 }), (x) => {
        const a = layerNormRow(x, undefined, LN, 'p');
        const b = layerNormRow(x, undefined, { ...LN, sqrt: 'floor' }, 'p');
        if (a.std === b.std) assert.deepEqual(a.out, b.out);
      }),
      { numRuns: 500 },
    );
  });
});

describe('TVM variant', () => {
  it('Shiftmax with TVM constants (n = 16, k = 8): outputs in [0, 127], within 2/128 of softmax·… bound', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(0.01), max: Math.fround(0.2), noNaN: true }), fc.array(int8, { minLength: 1, maxLength: 100 }), (s, x) => {
        const r = shiftmaxRow(x, { x0: expX0(s, 'tvm'), n: 16, k: 8, flavour: 'tvm', inputBits: 8, expBits: 32 }, 'p');
        r.out.forEach((v) => assert.ok(v >= 0 && v <= 127));
        assert.ok(r.out.reduce((a, b) => a + b, 0) <= 127);
      }),
      { numRuns: 500 },
    );
  });
});
