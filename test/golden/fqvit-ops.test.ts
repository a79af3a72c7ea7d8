/**
 * FQ-ViT's golden ops (docs/numerics.md "FQ-ViT"): hand-derived examples, and comparisons with the published
 * modules (QIntSoftmax.log_i_softmax, QIntLayerNorm in 'int' mode) written out in float64 here.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LIS_EXP_N, lisAttnV, lisConstants, lisRow, logRound } from '../../verify/golden/ops/lis.js';
import { ptsChannelConstants, ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';
import { WidthOverflowError } from '../../verify/golden/intmath.js';

const int8 = fc.integer({ min: -128, max: 127 });
const LIS_W = { inputBits: 8, polyBits: 32, sumBits: 64 };
const PTS_W = { sqrt: 'newton10' as const, inputBits: 8, varianceBits: 48, outputBits: 8 };

function lisParams(s: number, bits = 4) {
  return { ...lisConstants(s), bits, ...LIS_W };
}

/** ⌊log2 v⌋ for a float64 integer v ≥ 1, corrected where Math.log2 rounds up just below a power of two. */
function floorLog2(v: number): number {
  let t = Math.floor(Math.log2(v));
  while (2 ** t > v) t--;
  while (2 ** (t + 1) <= v) t++;
  return t;
}

function rneFloat(v: number): number {
  const f = Math.floor(v);
  return v - f > 0.5 || (v - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** FQ-ViT's log_i_softmax in float64 (every value below 2^53 in the drawn domain, so the floors are exact). */
function fqvitLisFloat(x: number[], s: number, bits: number): { codes: number[]; masked: boolean[] } {
  const { x0, b, c } = lisConstants(s); // the float32 constants, as FQ-ViT's tensors hold them
  const m = Math.max(...x);
  const e = x.map((v) => {
    const xi = Math.max(v - m, LIS_EXP_N * x0);
    const q = Math.floor(xi / x0);
    const r = xi - x0 * q;
    return Math.max(0, Math.floor((r * (r + b) + c) * 2 ** (LIS_EXP_N - q)));
  });
  const sum = e.reduce((p, v) => p + v, 0);
  const codes: number[] = [];
  const masked: boolean[] = [];
  for (const ej of e) {
    const v = rneFloat(sum / ej); // Infinity where E = 0
    let t = Infinity;
    if (Number.isFinite(v)) {
      t = floorLog2(v);
      if (v - 2 ** t >= 2 ** (t - 1)) t += 1;
    }
    masked.push(t >= 2 ** bits);
    codes.push(Math.min(Math.max(t, 0), 2 ** bits - 1));
  }
  return { codes, masked };
}

describe('FQ-ViT Log-Int-Softmax (worked examples)', () => {
  it('constants at S = 0.1: x0 = ⌊−6.931⌋ = −7, b = ⌊27.07⌋ = 27, c = ⌊279.2⌋ = 279', () => {
    assert.deepEqual(lisConstants(Math.fround(0.1)), { x0: -7, b: 27, c: 279 });
  });

  it('row [10, 5, 0, −100, −128] at S = 0.1, 4-bit and 8-bit codes, and attention·V', () => {
    // d = x − 10 = [0, −5, −10, −110, −138]; q = ⌊d/−7⌋ = [0, 0, 1, 15, 19]; r = d + 7q = [0, −5, −3, −5, −5]
    // z = r(r + 27) + 279 = [279, 169, 207, 169, 169]; E = z·2^(30 − q)
    // Σ = 2^30·551.5 + 169·(2^15 + 2^11) = 592174499840
    // Σ/E: 1.98 → 2 → t 1; 3.26 → 3 → t 2 (bit 0 set); 5.33 → 5 (101b) → t 2; 106930 (17 bits, bit 15 set) → t 17;
    // 1710857 (21 bits, bit 19 set) → t 21. With b = 4 the last two pass 15: masked (probability 0).
    const x = [10, 5, 0, -100, -128];
    const r4 = lisRow(x, lisParams(Math.fround(0.1)), 't');
    assert.equal(r4.sum, 592174499840n);
    assert.deepEqual(r4.exp.slice(0, 3), [279n << 30n, 169n << 30n, 207n << 29n]);
    assert.deepEqual(r4.codes, [1, 2, 2, 15, 15]);
    assert.deepEqual(r4.masked, [0, 0, 0, 1, 1]);
    const r8 = lisRow(x, lisParams(Math.fround(0.1), 8), 't');
    assert.deepEqual(r8.codes, [1, 2, 2, 17, 21]);
    assert.deepEqual(r8.masked, [0, 0, 0, 0, 0]);
    // Σ (V << 15) >> code over the unmasked: 2^15·(100/2 − 50/4 + 20/4) = 42.5·2^15
    const av = { vFracBits: 15, vBits: 8, accBits: 32 };
    assert.equal(lisAttnV(r4.codes, r4.masked, [100, -50, 20, 7, 127], av, 't'), 1392640);
    // F = 0: arithmetic shifts floor, −50 >> 2 = −13 and 20 >> 2 = 5
    assert.equal(lisAttnV(r4.codes, r4.masked, [100, -50, 20, 7, 127], { ...av, vFracBits: 0 }, 't'), 50 - 13 + 5);
  });

  it('log_round: 1 → 0, 2 → 1, 3 → 2, 5 → 2, 6 → 3, 11 → 3, 12 → 4', () => {
    assert.deepEqual([1n, 2n, 3n, 5n, 6n, 11n, 12n].map(logRound), [0, 1, 2, 2, 3, 3, 4]);
  });

  it('the declared widths are checked: the row sum past sumBits is an error, not a wrap', () => {
    assert.throws(() => lisRow([0, 0], { ...lisParams(Math.fround(0.1)), sumBits: 39 }, 't'), WidthOverflowError);
  });
});

describe('FQ-ViT Log-Int-Softmax vs the published module in float64', () => {
  it('codes and mask equal FQ-ViT log_i_softmax on drawn rows (S in [0.02, 0.5], 4-bit and 8-bit)', () => {
    fc.assert(
      fc.property(
        fc.float({ min: Math.fround(0.02), max: Math.fround(0.5), noNaN: true }),
        fc.array(int8, { minLength: 1, maxLength: 64 }),
        fc.constantFrom(4, 8),
        (s, x, bits) => {
          const r = lisRow(x, lisParams(s, bits), 'p');
          const f = fqvitLisFloat(x, s, bits);
          assert.deepEqual(r.codes, f.codes);
          assert.deepEqual(
            r.masked.map((m) => m === 1),
            f.masked,
          );
        },
      ),
      { numRuns: 600 },
    );
  });

  it('attention·V with F = 15 and 4-bit codes is exact: acc·2^−15 = Σ V·2^−code over the unmasked', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 1 }), int8), { minLength: 1, maxLength: 256 }), (rows) => {
        const acc = lisAttnV(
          rows.map((t) => t[0]),
          rows.map((t) => t[1]),
          rows.map((t) => t[2]),
          { vFracBits: 15, vBits: 8, accBits: 32 },
          'p',
        );
        const want = rows.reduce((p, [code, m, v]) => p + (m ? 0 : v * 2 ** -code), 0);
        assert.equal(acc * 2 ** -15, want);
      }),
      { numRuns: 300 },
    );
  });
});

/** FQ-ViT's QIntLayerNorm 'int' mode in float64: σ in float, A, (M, N) and B per token (get_MN with 8 bits). */
function fqvitPtsFloat(q: number[], alpha: number[], gamma: number[], beta: number[], s: number, sOut: number): number[] {
  const c = q.length;
  const xt = q.map((v, i) => v * 2 ** alpha[i]!);
  const sx = xt.reduce((p, v) => p + v, 0);
  const sxx = xt.reduce((p, v) => p + v * v, 0);
  const mean = (sx / c) * s;
  const std = (s / c) * Math.sqrt(c * sxx - sx * sx);
  return xt.map((v, i) => {
    const a = ((s / std) * gamma[i]!) / sOut;
    const n = Math.min(31, Math.max(0, 7 - Math.floor(Math.log2(Math.abs(a)))));
    const m = Math.min(255, Math.max(0, Math.floor(Math.abs(a) * 2 ** n)));
    const b = rneFloat(((beta[i]! - (mean / std) * gamma[i]!) / sOut) * 2 ** n);
    return Math.max(-128, Math.min(127, rneFloat((Math.sign(a) * m * v + b) / 2 ** n)));
  });
}

describe('FQ-ViT PTS LayerNorm', () => {
  it('worked example: q = [10, −20, 30, 5], α = [0, 1, 2, 0], γ = [1, 0.5, −2, 1], β = [0, 0.1, 0, −0.2], S_out = 0.02', () => {
    // x̃ = [10, −40, 120, 5]: Σ = 95, Σx̃² = 16125, D = 4·16125 − 95² = 55475, Newton root 235,
    // factor = ⌊(2^31 − 1)/235⌋ = 9138228. A = γ/S_out = [50, 25, −100, 50] → N = 7 − ⌊log2|A|⌋ = [2, 3, 1, 2],
    // M = ⌊|A|·2^N⌋ = 200 each, B = RNE(β/S_out·2^N) = [0, 40, 0, −40].
    // out_0 = RNE(200·(40 − 95)·9138228 / 2^33) = RNE(−11.70) = −12; out_1 = RNE((200·(−255)·F + 40·2^31)/2^34) = −22;
    // out_2 = RNE(−200·385·F / 2^32) = −164 → saturated −128; out_3 = RNE((200·(−75)·F − 40·2^31)/2^33) = −26.
    const mnb = ptsChannelConstants([1, 0.5, -2, 1], [0, 0.1, 0, -0.2], 0.02);
    assert.deepEqual(mnb, { m: [200, 200, -200, 200], n: [2, 3, 1, 2], b: [0, 40, 0, -40] });
    const r = ptsLayerNormRow([10, -20, 30, 5], { alpha: [0, 1, 2, 0], ...mnb }, PTS_W, 't');
    assert.deepEqual([r.sum, r.sumSq, r.d, r.std, r.factor], [95, 16125, 55475, 235, 9138228]);
    assert.deepEqual(r.out, [-12, -22, -128, -26]);
  });

  it('a constant row has D = 0: the output is the bias alone', () => {
    const mnb = ptsChannelConstants([1, 1, 1], [0.04, -0.02, 0], 0.01);
    assert.deepEqual(ptsLayerNormRow([7, 7, 7], { alpha: [0, 0, 0], ...mnb }, PTS_W, 't').out, [4, -2, 0]);
  });

  it('within 3 LSB of FQ-ViT QIntLayerNorm (float64) on every element, mean |difference| ≤ 0.1 (measured ≈ 0.035)', () => {
    // each form is within 0.5 (the final RNE) + |A·x̃|·2^−7 (M ≥ 128 keeps 7 bits) ≤ 1.5 of the exact affine LN
    // (outputs within the int8 range), so they differ by at most 3; on average far less
    let total = 0;
    let count = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(int8, fc.integer({ min: 0, max: 3 }), fc.double({ min: 0.2, max: 2, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true })),
          {
            minLength: 8,
            maxLength: 96,
          },
        ),
        fc.double({ min: 0.02, max: 0.1, noNaN: true }),
        fc.boolean(),
        (rows, sOut, negate) => {
          const q = rows.map((t) => t[0]);
          const alpha = rows.map((t) => t[1]);
          const gamma = rows.map((t, i) => (negate && i % 3 === 0 ? -t[2] : t[2]));
          const beta = rows.map((t) => t[3]);
          if (new Set(q.map((v, i) => v * 2 ** alpha[i]!)).size < 2) return; // a constant row: FQ-ViT divides by σ = 0
          const ours = ptsLayerNormRow(q, { alpha, ...ptsChannelConstants(gamma, beta, sOut) }, PTS_W, 'p').out;
          const ref = fqvitPtsFloat(q, alpha, gamma, beta, 0.01, sOut);
          ours.forEach((v, i) => {
            assert.ok(Math.abs(v - ref[i]!) <= 3, `channel ${i}: ${v} vs FQ-ViT ${ref[i]}`);
            total += Math.abs(v - ref[i]!);
            count++;
          });
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(total / count <= 0.1, `mean |difference| ${total / count}`);
  });

  it('an α outside 0…3 is rejected', () => {
    const mnb = ptsChannelConstants([1, 1], [0, 0], 0.1);
    assert.throws(() => ptsLayerNormRow([1, 2], { alpha: [0, 4], ...mnb }, PTS_W, 't'), /α\[1\] = 4/);
  });
});
