import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  floorDiv,
  floorDivBig,
  floorMod,
  floorShiftRight,
  roundHalfEvenDiv,
  roundHalfEvenDivBig,
  roundMulShift,
  roundShiftBig,
  truncDiv,
  checkSigned,
  WidthOverflowError,
  saturateSigned,
} from '../../verify/golden/intmath.js';
import { frexp, dyadicFromScales, expX0 } from '../../verify/golden/constants.js';

const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const nonZero = safeInt.filter((b) => b !== 0);

describe('exact integer primitives', () => {
  it('floorDiv, floorMod and truncDiv agree with BigInt over the whole safe range', () => {
    fc.assert(
      fc.property(safeInt, nonZero, (a, b) => {
        const q = floorDiv(a, b);
        assert.equal(BigInt(q), floorDivBig(BigInt(a), BigInt(b)));
        assert.equal(BigInt(floorMod(a, b)), BigInt(a) - BigInt(q) * BigInt(b));
        assert.equal(BigInt(truncDiv(a, b)), BigInt(a) / BigInt(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('floorDiv at the edges of the safe range', () => {
    const edges = [2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 - 2, 2 ** 52 + 1, -(2 ** 52) - 1, 1, -1, 0];
    const divisors = [1, -1, 2, -2, 3, 5, -7, 2 ** 26 + 1, 2 ** 53 - 1, -(2 ** 52)];
    for (const a of edges)
      for (const b of divisors) {
        assert.equal(BigInt(floorDiv(a, b)), floorDivBig(BigInt(a), BigInt(b)), `${a} / ${b}`);
        assert.equal(BigInt(floorMod(a, b)), BigInt(a) - floorDivBig(BigInt(a), BigInt(b)) * BigInt(b), `${a} mod ${b}`);
      }
  });

  it('roundHalfEvenDiv near −2^53, where q·d would pass 2^53 (the counterexample CI drew: −(2^53 − 6) / 51)', () => {
    for (const n of [-(2 ** 53 - 6), -(2 ** 53 - 1), 2 ** 53 - 1, -(2 ** 53 - 52)])
      for (const d of [51, 3, 7, 2 ** 20 + 1, 2 ** 52 - 1])
        assert.equal(BigInt(roundHalfEvenDiv(n, d)), roundHalfEvenDivBig(BigInt(n), BigInt(d)), `${n} / ${d}`);
  });

  it('floorShiftRight is a floor for negative values', () => {
    assert.equal(floorShiftRight(-1, 1), -1);
    assert.equal(floorShiftRight(-4, 4), -1);
    assert.equal(floorShiftRight(-16, 4), -1);
    assert.equal(floorShiftRight(-17, 4), -2);
    assert.equal(floorShiftRight(2 ** 40 + 5, 3), 2 ** 37);
    fc.assert(
      fc.property(safeInt, fc.integer({ min: 0, max: 60 }), (a, s) => {
        assert.equal(BigInt(floorShiftRight(a, s)), BigInt(a) >> BigInt(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('round half to even: hand examples', () => {
    assert.deepEqual(
      [5, 7, -5, -7, 1, -1, 3].map((n) => roundHalfEvenDiv(n, 2)),
      [2, 4, -2, -4, 0, -0 + 0, 2],
    );
    assert.equal(roundHalfEvenDiv(1005, 4), 251); // 251.25
    assert.equal(roundHalfEvenDiv(1006, 4), 252); // 251.5 → even
    assert.equal(roundShiftBig(3n, 1), 2n);
    assert.equal(roundShiftBig(5n, 1), 2n);
    assert.equal(roundShiftBig(-3n, 1), -2n);
    assert.equal(roundShiftBig(5n, 1, 'half-up'), 3n);
    assert.equal(roundShiftBig(-3n, 1, 'half-up'), -1n);
  });

  it('roundHalfEvenDiv agrees with its BigInt form', () => {
    fc.assert(
      fc.property(safeInt, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n, d) => {
        assert.equal(BigInt(roundHalfEvenDiv(n, d)), roundHalfEvenDivBig(BigInt(n), BigInt(d)));
      }),
      { numRuns: 3000 },
    );
  });

  it('the split-product requant fast path equals BigInt evaluation, ties included', () => {
    const z = fc.integer({ min: -(2 ** 36) + 1, max: 2 ** 36 - 1 });
    const m = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.constantFrom(2 ** 30, -(2 ** 30), 2 ** 31, 1, -1, 65536, 65535));
    const c = fc.integer({ min: 16, max: 68 });
    const tie = fc.constantFrom('half-even' as const, 'half-up' as const);
    fc.assert(
      fc.property(z, m, c, tie, (zz, mm, cc, t) => {
        const fast = roundMulShift(zz, mm, cc, t);
        assert.notEqual(fast, undefined);
        assert.equal(BigInt(fast!), roundShiftBig(BigInt(zz) * BigInt(mm), cc, t));
      }),
      { numRuns: 20000 },
    );
    // exact ties: z·m = (2j+1)·2^(c−1)
    for (const [zz, mm, cc] of [
      [1, 2 ** 30, 31],
      [3, 2 ** 30, 31],
      [-1, 2 ** 30, 31],
      [-3, 2 ** 30, 31],
      [5, 65536, 17],
      [7, 1, 16],
    ] as const) {
      for (const t of ['half-even', 'half-up'] as const) assert.equal(BigInt(roundMulShift(zz, mm, cc, t)!), roundShiftBig(BigInt(zz) * BigInt(mm), cc, t));
    }
  });

  it('width checks throw a WidthOverflowError naming op, site and value', () => {
    assert.equal(checkSigned(127, 8, 'op', 'site'), 127);
    assert.throws(
      () => checkSigned(128, 8, 'shiftmax input', 'block3.attn'),
      (e: unknown) => e instanceof WidthOverflowError && /shiftmax input at block3\.attn: value 128 overflows its declared signed 8-bit width/.test(e.message),
    );
    assert.equal(saturateSigned(40000, 16), 32767);
    assert.equal(saturateSigned(-40000, 16), -32768);
  });
});

describe('offline constants', () => {
  it('frexp normalises exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-30, max: 1e30, noNaN: true }), (v) => {
        const { f, e } = frexp(v);
        assert.ok(f >= 0.5 && f < 1);
        assert.equal(f * 2 ** e, v);
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(frexp(1), { f: 0.5, e: 1 });
    assert.deepEqual(frexp(-0.75), { f: -0.75, e: 0 });
  });

  it('dyadic pair, worked example: 0.01 → 0.1 as float32', () => {
    // fl32(0.01)/fl32(0.1) = 0.0999999962747… = 0.79999997019767… · 2^−3; ·2^31 = 1717986854.4 → 1717986854, c = 31 + 3
    assert.deepEqual(dyadicFromScales(Math.fround(0.01), Math.fround(0.1)), { m: 1717986854, c: 34 });
    // a power-of-two ratio gives m = 2^30 exactly
    assert.deepEqual(dyadicFromScales(0.5, 1), { m: 2 ** 30, c: 31 });
    // a negative ratio (γ < 0 in a LayerNorm scale) keeps its sign in m
    assert.deepEqual(dyadicFromScales(-0.5, 1), { m: -(2 ** 30), c: 31 });
    // ratio R ≥ 1 gives c < 31
    assert.deepEqual(dyadicFromScales(3, 1), { m: 3 * 2 ** 29, c: 29 });
  });

  it('m is always a 31-bit magnitude in [2^30, 2^31]', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(1e-6), max: 1e4, noNaN: true }), fc.float({ min: Math.fround(1e-6), max: 1e4, noNaN: true }), (a, b) => {
        const d = dyadicFromScales(a, b);
        assert.ok(d.m >= 2 ** 30 && d.m <= 2 ** 31, `m = ${d.m}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('x0 = ⌊fl32(−1/S)⌋ (PyTorch) and trunc(fl32(−1/S) − 1) (TVM)', () => {
    assert.equal(expX0(Math.fround(0.1), 'pytorch'), -10); // fl32(−1/fl32(0.1)) rounds to −10 exactly
    assert.equal(expX0(Math.fround(0.3), 'pytorch'), -4); // −3.33 → −4
    assert.equal(expX0(0.25, 'pytorch'), -4); // 1/S integral: floor(−4) = −4
    assert.equal(expX0(0.25, 'tvm'), -5); // TVM: trunc(−4 − 1) = −5, the case where the rules differ
    assert.equal(expX0(Math.fround(0.3), 'tvm'), -4); // trunc(−4.33) = −4 = PyTorch's value
  });
});
