/**
 * Exhaustive checks where the domain is small: every 8-bit input against every 8-bit row max, for a spread
 * of scales, against an independent BigInt evaluation of the reference code's formulas
 * (q = ⌊P/x0⌋, r = P − x0·q, E = max(0, ⌊(r/2 − x0)·2^(n−q)⌋) as an exact rational).
 */
import { strict as assert } from 'node:assert';
import { shiftExp } from '../../verify/golden/ops/shift-exp.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { expX0, geluSigmaScale } from '../../verify/golden/constants.js';
import { floorDivBig } from '../../verify/golden/intmath.js';

/** The reference code's int_exp_shift, evaluated on BigInt rationals. */
function referenceExp(delta: bigint, x0: bigint, n: bigint): bigint {
  let p = delta + floorDivBig(delta, 2n) - floorDivBig(delta, 16n);
  if (p < n * x0) p = n * x0;
  const q = floorDivBig(p, x0);
  const r = p - x0 * q;
  // (r/2 − x0)·2^(n−q) = (r − 2·x0)·2^(n−q) / 2
  const e = n - q >= 0n ? floorDivBig((r - 2n * x0) << (n - q), 2n) : floorDivBig(r - 2n * x0, 2n << (q - n));
  return e < 0n ? 0n : e;
}

const SCALES = [0.004, 0.011, 0.025, 0.05, 0.0732, 0.1, 0.17, 0.3, 0.61, 1.3].map(Math.fround);
const CAP = 2147483647n;

describe('exhaustive over 8-bit inputs', () => {
  it('Shiftmax exp: every x against every row max, n = 15, ten scales', () => {
    let checked = 0;
    for (const s of SCALES) {
      const x0 = expX0(s, 'pytorch');
      for (let m = -128; m <= 127; m++) {
        for (let x = -128; x <= m; x++) {
          const want = referenceExp(BigInt(x - m), BigInt(x0), 15n);
          const got = shiftExp(x - m, x0, 15, 'pytorch').e;
          if (BigInt(got) !== want) assert.fail(`S=${s} M=${m} x=${x}: ${got} != ${want}`);
          checked++;
        }
      }
    }
    assert.equal(checked, (SCALES.length * 256 * 257) / 2);
  });

  it('ShiftGELU exp and e^(−M): every x against every row max, n = 23, ten scales (E_M saturating)', () => {
    for (const s of SCALES) {
      const x0 = expX0(geluSigmaScale(s), 'pytorch');
      for (let m = -128; m <= 127; m++) {
        const wantM = referenceExp(BigInt(-m), BigInt(x0), 23n);
        const gotM = shiftExp(-m, x0, 23, 'pytorch', 2147483647).e;
        assert.equal(BigInt(gotM), wantM > CAP ? CAP : wantM, `E_M S=${s} M=${m}`);
        for (let x = -128; x <= m; x++) {
          const got = shiftExp(x - m, x0, 23, 'pytorch', 2147483647).e;
          if (BigInt(got) !== referenceExp(BigInt(x - m), BigInt(x0), 23n)) assert.fail(`S=${s} M=${m} x=${x}`);
        }
      }
    }
  });

  it('ShiftGELU σ and output: every x with every row max, against the reference formulas on BigInt', () => {
    for (const s of SCALES) {
      const x0 = expX0(geluSigmaScale(s), 'pytorch');
      for (let m = -128; m <= 127; m++) {
        // a row holding m and every x ≤ m: one call covers the whole pair space for this max
        const row = Array.from({ length: m + 129 }, (_, i) => i - 128);
        const r = shiftGeluRow(row, { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 'exhaustive');
        const eM = referenceExp(BigInt(-m), BigInt(x0), 23n);
        for (let i = 0; i < row.length; i++) {
          const e = referenceExp(BigInt(row[i]! - m), BigInt(x0), 23n);
          let d = e + eM;
          if (d > CAP) d = CAP;
          const f = CAP / d;
          const sigma = (e * f) >> 24n;
          if (BigInt(r.sigma[i]!) !== sigma || BigInt(r.out[i]!) !== BigInt(row[i]!) * sigma) assert.fail(`S=${s} M=${m} x=${row[i]}`);
        }
      }
    }
  });

  it('Shiftmax output: rows [x, M] for every pair, against the reference formulas on BigInt', () => {
    for (const s of SCALES) {
      const x0 = expX0(s, 'pytorch');
      for (let m = -128; m <= 127; m++) {
        for (let x = -128; x <= m; x++) {
          const r = shiftmaxRow([x, m], { x0, n: 15, k: 16, flavour: 'pytorch', inputBits: 8, expBits: 32 }, 'exhaustive');
          const e = [referenceExp(BigInt(x - m), BigInt(x0), 15n), referenceExp(0n, BigInt(x0), 15n)];
          let sum = e[0]! + e[1]!;
          if (sum > CAP) sum = CAP;
          const f = CAP / sum;
          const want = e.map((v) => (v * f) >> 16n);
          if (BigInt(r.out[0]!) !== want[0] || BigInt(r.out[1]!) !== want[1]) assert.fail(`S=${s} M=${m} x=${x}`);
        }
      }
    }
  });
});
