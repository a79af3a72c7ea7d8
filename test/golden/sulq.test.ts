/**
 * I&S-ViT's SULQ (docs/numerics.md "I&S-ViT: the shift-uniform-log2 quantiser (SULQ)"): the worked example,
 * and comparisons with the published `LogSqrt2Quantizer.forward` (zysxmu/IaS-ViT quant/quantizer.py) written
 * out in float64 here.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { type SulqGrid, SULQ_DEFAULT_WIDTHS, sulqAttnV, sulqConstants, sulqParams, sulqRow } from '../../verify/golden/ops/sulq.js';
import { numericsConfig } from '../../verify/golden/numerics-config.js';
import { expX0 } from '../../verify/golden/constants.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { NumericsInputError, WidthOverflowError } from '../../verify/golden/intmath.js';

/** torch.round: half to even. */
function rneFloat(v: number): number {
  const f = Math.floor(v);
  return v - f > 0.5 || (v - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * The published quantiser in float64, for inputs p = P·2^−f and shift η_hw = H·2^−f: u = log2(p + η),
 * Δ = (u_max − u_min)/N, code = clamp(RNE((u − u_min)/Δ), 0, N), exponent RNE(code·Δ + u_min), and the
 * dequantised value 2^exponent − η. u_min and u_max are what the calibration sees: log2 of pMin·2^−f + η and
 * pMax·2^−f + η. N = 2^b in the forward pass, 2^b − 1 in the calibration search.
 */
function publishedSulq(
  probs: number[],
  h: number,
  f: number,
  bits: number,
  grid: SulqGrid,
  pMin: number,
  pMax: number,
): { codes: number[]; exponents: number[]; dequant: number[] } {
  const eta = h * 2 ** -f;
  const n = grid === 'forward' ? 2 ** bits : 2 ** bits - 1;
  const minv = Math.log2(pMin * 2 ** -f + eta);
  const maxv = Math.log2(pMax * 2 ** -f + eta);
  const delta = (maxv - minv) / n;
  const codes = probs.map((p) => Math.min(n, Math.max(0, rneFloat((Math.log2(p * 2 ** -f + eta) - minv) / delta))));
  const exponents = codes.map((c) => rneFloat(c * delta + minv));
  return { codes, exponents, dequant: exponents.map((e) => 2 ** e - eta) };
}

const ETAS = [0.001, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2, 0.5, 1.0]; // the published search list

describe('SULQ (worked example)', () => {
  // η = 0.01 on Shiftmax's output grid 2^−15 (the pytorch preset's k = 16): H = RNE(327.68) = 328;
  // A = 0 + H = 328, B = 2^15 + H = 33096, log2(B/A) = 6.6569; b = 3 on the forward grid: N = 8, Δ = 0.8321
  const k3 = sulqConstants(0.01, 3, 15);

  it('constants: the thresholds P ≥ A·(B/A)^((2i−1)/16) − H and the decode shifts RNE(u_min + c·Δ) + 15', () => {
    assert.equal(k3.eta, 328);
    assert.equal(k3.levels, 8);
    // i = 1: 328·100.9^(1/16) − 328 = 109.64 → 110; i = 2: 451.12 → 452; i = 3: 1059.05 → 1060 …
    assert.deepEqual(k3.thresholds, [110, 452, 1060, 2142, 4069, 7499, 13605, 24477]);
    // u_min + c·Δ = −6.642, −5.810, −4.978, −4.146, −3.314, −2.482, −1.650, −0.818, 0.014: codes 5 and 6 share −2
    assert.deepEqual(k3.shifts, [8, 9, 10, 11, 12, 13, 13, 14, 15]);
    assert.equal(sulqParams(k3).codeBits, 4, 'the forward grid has 2^b + 1 codes: b + 1 bits');
  });

  it('row: Shiftmax of [40, 20, 0, −20, −128] at S = 0.1 is [27930, 4189, 567, 76, 0]; codes and attention·V', () => {
    const cfg = numericsConfig('pytorch');
    const sm = { x0: expX0(Math.fround(0.1), cfg.flavour), n: cfg.softmax.n, k: cfg.softmax.k, flavour: cfg.flavour, inputBits: 8, expBits: cfg.expBits };
    const p = shiftmaxRow([40, 20, 0, -20, -128], sm, 't').out;
    assert.deepEqual(p, [27930, 4189, 567, 76, 0]);
    assert.equal(cfg.softmax.k - 1, 15, 'Shiftmax output scale 2^−(k−1) = 2^−15, the grid of k3');
    assert.deepEqual(sulqRow(p, sulqParams(k3), 't'), [8, 5, 2, 0, 0]);
    // shifts [15, 13, 10, 8, 8]: 100·2^15 − 50·2^13 + 20·2^10 + 7·2^8 + 127·2^8 = 2921984; ΣV = 204, H·ΣV = 66912
    const r = sulqAttnV([8, 5, 2, 0, 0], [100, -50, 20, 7, 127], k3, SULQ_DEFAULT_WIDTHS, 't');
    assert.deepEqual(r, { shiftAdd: 2921984, vSum: 204, correction: 66912, out: 2855072 });
    // = Σ (2^e − η_hw)·V·2^15 with e = [0, −2, −5, −7, −7] and η_hw = 328·2^−15: (100 − 50/4 + 20/32 + 134/128)·2^15 − 328·204
    assert.equal(r.out, (100 - 50 / 4 + 20 / 32 + 134 / 128) * 2 ** 15 - 328 * 204);
    const k4 = sulqConstants(0.01, 4, 15);
    assert.deepEqual(sulqRow(p, sulqParams(k4), 't'), [15, 9, 3, 1, 0]);
  });

  it('the declared widths are checked: each overflow is a WidthOverflowError, not a wrap', () => {
    const q = sulqParams(k3);
    assert.throws(() => sulqRow([65536], q, 't'), WidthOverflowError, 'P past inputBits = 16');
    assert.throws(() => sulqRow([1], { ...q, codeBits: 3 }, 't'), WidthOverflowError, 'code 8 in 3 bits');
    const w = SULQ_DEFAULT_WIDTHS;
    assert.throws(() => sulqAttnV([0], [128], k3, w, 't'), WidthOverflowError, 'V past 8 bits');
    assert.throws(() => sulqAttnV([8, 8], [127, 127], k3, { ...w, vSumBits: 8 }, 't'), WidthOverflowError, 'ΣV = 254 past int8');
    assert.throws(() => sulqAttnV([8], [127], k3, { ...w, accBits: 22 }, 't'), WidthOverflowError, '127·2^15 past 22 bits');
    assert.throws(() => sulqAttnV([0, 0], [127, 127], k3, { ...w, accBits: 17 }, 't'), WidthOverflowError, 'H·ΣV = 83312 past 17 bits');
  });

  it('bad constants are NumericsInputErrors', () => {
    assert.throws(() => sulqConstants(0, 3, 15), NumericsInputError);
    assert.throws(() => sulqConstants(0.01, 9, 15), NumericsInputError);
    assert.throws(() => sulqConstants(0.001, 3, 8), NumericsInputError, 'η·2^8 = 0.256 rounds to 0');
    assert.throws(() => sulqConstants(0.01, 3, 15, 'forward', { pMin: 100, pMax: 100 }), NumericsInputError);
  });
});

describe('SULQ vs the published quantiser in float64', () => {
  const setup = fc.record({
    eta: fc.constantFrom(...ETAS),
    bits: fc.constantFrom(3, 4),
    f: fc.integer({ min: 10, max: 16 }), // η = 0.001 needs 2^−f below 2η
    grid: fc.constantFrom<SulqGrid>('forward', 'calibration'),
    range: fc.option(fc.tuple(fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0.4, max: 1, noNaN: true }))),
  });

  it('codes and decoded exponents equal the published forward pass on drawn rows (b = 3, 4)', () => {
    fc.assert(
      fc.property(setup, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }), (s, unit) => {
        const top = 2 ** s.f;
        const [pMin, pMax] = s.range ? [Math.floor(s.range[0] * top), Math.ceil(s.range[1] * top)] : [0, top];
        const k = sulqConstants(s.eta, s.bits, s.f, s.grid, { pMin, pMax });
        const probs = unit.map((u) => Math.round(u * top));
        const codes = sulqRow(probs, sulqParams(k), 'p');
        const want = publishedSulq(probs, k.eta, s.f, s.bits, s.grid, pMin, pMax);
        assert.deepEqual(codes, want.codes);
        assert.deepEqual(
          codes.map((c) => k.shifts[c]! - s.f),
          want.exponents,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('every input of the worked example’s grid (P = 0 … 2^15, η = 0.01 and 1, b = 3, 4) codes as the published forward pass', () => {
    const all = Array.from({ length: 2 ** 15 + 1 }, (_, i) => i);
    for (const eta of [0.01, 1]) {
      for (const bits of [3, 4]) {
        const k = sulqConstants(eta, bits, 15);
        const want = publishedSulq(all, k.eta, 15, bits, 'forward', 0, 2 ** 15);
        assert.deepEqual(sulqRow(all, sulqParams(k), 'x'), want.codes, `η = ${eta}, b = ${bits}`);
        assert.deepEqual(
          Array.from({ length: k.levels + 1 }, (_, c) => k.shifts[c]! - 15),
          Array.from({ length: k.levels + 1 }, (_, c) => rneFloat(c * (Math.log2((2 ** 15 + k.eta) / k.eta) / k.levels) + Math.log2(k.eta * 2 ** -15))),
          `η = ${eta}, b = ${bits}: the decode exponents, ties included (η = 1 puts code N/2 on u = ½)`,
        );
      }
    }
  });

  it('attention·V via the decode equals Σ dequant(code)·V with the published dequantiser, exactly', () => {
    fc.assert(
      fc.property(
        setup,
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: -128, max: 127 })), { minLength: 1, maxLength: 197 }),
        (s, rows) => {
          const top = 2 ** s.f;
          const k = sulqConstants(s.eta, s.bits, s.f, s.grid);
          const probs = rows.map(([u]) => Math.round(u * top));
          const v = rows.map(([, x]) => x);
          const codes = sulqRow(probs, sulqParams(k), 'p');
          const r = sulqAttnV(codes, v, k, { vBits: 8, vSumBits: 16, accBits: 40 }, 'p');
          // each dequant value is a multiple of 2^−f below 2 in magnitude, each V·dequant below 2^8: the float64 sum is exact
          const deq = publishedSulq(probs, k.eta, s.f, s.bits, s.grid, 0, top).dequant;
          const want = deq.reduce((acc, d, j) => acc + d * v[j]!, 0);
          assert.equal(r.out * 2 ** -s.f, want);
          assert.equal(r.out, r.shiftAdd - r.correction);
        },
      ),
      { numRuns: 300 },
    );
  });
});
