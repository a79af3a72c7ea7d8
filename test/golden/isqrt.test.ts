/** The I-LayerNorm square root loop against numerics.md §5's convergence table. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { floorSqrt, floorSqrtBig, newtonSqrt10, newtonSqrt10Big, newtonSqrt10Trace } from '../../verify/golden/ops/isqrt.js';

describe('I-LayerNorm integer square root (10 Newton steps from 2^16)', () => {
  it('V < 34596 is not converged: V = 0 → 64, V = 100 → 64, V = 10000 → 108', () => {
    assert.equal(newtonSqrt10(0), 64);
    assert.equal(newtonSqrt10(100), 64);
    assert.equal(newtonSqrt10(10000), 108);
    // Every V below 26244 = 162² is off by more than one. numerics.md's table puts the bound at 34596 = 186²;
    // that is where every larger V is within one, but between the two the loop is already within one for
    // 4632 of the 8352 values (e.g. V = 26244: …, 288, 189, 163 = isqrt + 1). docs/numerics.md records this.
    let withinOne = 0;
    for (let v = 0; v < 34596; v++) {
      const d = newtonSqrt10(v) - floorSqrt(v);
      if (v < 26244) assert.ok(d > 1, `V = ${v}`);
      if (d <= 1) withinOne++;
    }
    assert.equal(withinOne, 4632);
    assert.equal(newtonSqrt10(26244), 163);
    assert.ok(newtonSqrt10(34595) - floorSqrt(34595) > 1); // the last V that is still off by more than one
  });

  it('from 34596 up to ~1.43e5 the loop gives isqrt(V) or isqrt(V) + 1', () => {
    for (let v = 34596; v < 143000; v++) {
      const d = newtonSqrt10(v) - floorSqrt(v);
      assert.ok(d === 0 || d === 1, `V = ${v}: off by ${d}`);
    }
  });

  it('from ~1.43e5 to 2^44 it is exact except V = t² − 1, which gives t or t − 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 143000, max: 2 ** 44 }), (v) => {
        const r = newtonSqrt10(v);
        const t = floorSqrt(v + 1);
        if (t * t === v + 1) assert.ok(r === t || r === t - 1, `V = t²−1 = ${v}: ${r}`);
        else assert.equal(r, floorSqrt(v), `V = ${v}`);
      }),
      { numRuns: 20000 },
    );
    // the 2-cycle: both outcomes occur
    let sawT = false;
    let sawTminus1 = false;
    for (let t = 400; t < 4000; t++) {
      const r = newtonSqrt10(t * t - 1);
      if (r === t) sawT = true;
      if (r === t - 1) sawTminus1 = true;
    }
    assert.ok(sawT && sawTminus1);
  });

  it('above ~2^44.5 it is not converged: +11259 at 2^48', () => {
    assert.equal(newtonSqrt10Big(2n ** 48n), 2n ** 24n + 11259n);
    assert.ok(newtonSqrt10Big(2n ** 46n) > 2n ** 23n);
  });

  it('the number path equals the BigInt path; the trace ends at the result', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const r = BigInt(newtonSqrt10(v));
        assert.equal(r, newtonSqrt10Big(BigInt(v)));
        const trace = newtonSqrt10Trace(BigInt(v));
        assert.equal(trace.length, 10);
        assert.equal(trace[9], r);
      }),
      { numRuns: 5000 },
    );
  });

  it('the floor-sqrt variant is ⌊√V⌋ exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 70n }), (v) => {
        const r = floorSqrtBig(v);
        assert.ok(r * r <= v && (r + 1n) * (r + 1n) > v);
      }),
      { numRuns: 3000 },
    );
    assert.equal(floorSqrt(2 ** 52), 2 ** 26);
    assert.equal(floorSqrt(2 ** 52 - 1), 2 ** 26 - 1);
  });
});
