/**
 * Worked examples derived by hand from numerics.md's formulas (the derivations are in the comments),
 * pinned here. They were not produced by running the code.
 */
import { strict as assert } from 'node:assert';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { shiftExp, log2eShiftAdd } from '../../verify/golden/ops/shift-exp.js';
import { requantOne, residualOne } from '../../verify/golden/ops/requant.js';
import { expX0, geluSigmaScale } from '../../verify/golden/constants.js';
import { WidthOverflowError } from '../../verify/golden/intmath.js';

const SM = { n: 15, k: 16, flavour: 'pytorch' as const, inputBits: 8, expBits: 32 };
const LN = { sqrt: 'newton10' as const, mean: 'half-even' as const, halve: 'floor' as const, inputBits: 16, varianceBits: 48, outputBits: 33 };

describe('worked examples (numerics.md, by hand)', () => {
  it('log2(e) shift-add: P = Δ + ⌊Δ/2⌋ − ⌊Δ/16⌋', () => {
    assert.equal(log2eShiftAdd(0), 0);
    assert.equal(log2eShiftAdd(-1), -1); // −1 + (−1) − (−1)
    assert.equal(log2eShiftAdd(-4), -5); // −4 − 2 + 1
    assert.equal(log2eShiftAdd(-131), -188); // −131 − 66 + 9
    assert.equal(log2eShiftAdd(-255), -367); // the 8-bit extreme: −255 − 128 + 16
  });

  it('Shiftmax row [1, 2, 3, −128] at S = 0.1', () => {
    // x0 = ⌊fl32(−1/0.1)⌋ = −10. M = 3, Δ = [−2, −1, 0, −131].
    // Δ=−2: P=−2, q=0, r=−2, E=(−2+20)·2^14=294912. Δ=−1: E=19·2^14=311296. Δ=0: E=20·2^14=327680.
    // Δ=−131: P=−188 → clamp at 15·(−10)=−150, q=15=n, r=0, E=−x0=10.
    // Σ=933898, F=⌊(2^31−1)/933898⌋=2299, out=⌊E·F/2^16⌋.
    const r = shiftmaxRow([1, 2, 3, -128], { ...SM, x0: expX0(Math.fround(0.1), 'pytorch') }, 't');
    assert.deepEqual(r.exp, [294912, 311296, 327680, 10]);
    assert.equal(r.sum, 933898);
    assert.equal(r.factor, 2299);
    assert.deepEqual(r.out, [10345, 10920, 11495, 0]);
  });

  it('Shiftmax: a single element gets ⌊(|x0|·2^15·F)/2^16⌋ ≈ 2^15', () => {
    // x0 = −10: E = 20·2^14 = 327680, F = ⌊2147483647/327680⌋ = 6553, out = ⌊327680·6553/65536⌋ = 32765
    const r = shiftmaxRow([7], { ...SM, x0: -10 }, 't');
    assert.deepEqual(r.out, [32765]);
  });

  it('Shiftmax Σ saturation at 2^31 − 1', () => {
    // x0 = −4000 (S ≈ 2.5e−4), a row of 17 equal values: E = 8000·2^14 = 131072000 each, Σ = 2228224000 > 2^31−1
    // → Σ = 2147483647, F = 1, out = ⌊131072000/2^16⌋ = 2000
    const r = shiftmaxRow(new Array(17).fill(5), { ...SM, x0: -4000 }, 't');
    assert.equal(r.sum, 2147483647);
    assert.equal(r.factor, 1);
    assert.ok(r.out.every((v) => v === 2000));
  });

  it('shift-exp q = n clamp path gives E = −x0', () => {
    // Δ = −255, x0 = −3, n = 15: P = −367 → clamp at −45, q = 15, r = 0 → E = ⌊(0 + 6)·2^0/2⌋ = 3
    assert.deepEqual(shiftExp(-255, -3, 15, 'pytorch'), { p: -45, q: 15, r: 0, e: 3 });
  });

  it('ShiftGELU row [4, 0, −4] at S = 0.05', () => {
    // S_σ = fl32(0.05·1.702) ≈ 0.0851, x0 = ⌊−11.75⌋ = −12, n = 23. M = 4.
    // E_M = exp(−4): P = −5, q = 0, r = −5, E_M = 19·2^22 = 79691776.
    // x=4: Δ=0, E = 24·2^22 = 100663296, D = 180355072, F = 11, σ = ⌊E·11/2^24⌋ = 66, out = 264.
    // x=0: Δ=−4, E = 79691776, D = 159383552, F = 13, σ = ⌊E·13/2^24⌋ = 61, out = 0.
    // x=−4: Δ=−8, P = −11, E = 13·2^22 = 54525952, D = 2^27, F = 15, σ = 48, out = −192.
    const x0 = expX0(geluSigmaScale(Math.fround(0.05)), 'pytorch');
    assert.equal(x0, -12);
    const r = shiftGeluRow([4, 0, -4], { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 't');
    assert.equal(r.expMax, 79691776);
    assert.deepEqual(r.sigma, [66, 61, 48]);
    assert.deepEqual(r.out, [264, 0, -192]);
  });

  it('ShiftGELU with a negative row max: E_M shifts left by more than n (numerics.md §4 example)', () => {
    // M = −11, x0 = −30: P(11) = 11 + 5 − 0 = 16, q = ⌊16/−30⌋ = −1, r = 16 − 30 = −14,
    // E_M = (−14 + 60)·2^(23−1+1) = 46·2^23 = 385875968.
    assert.equal(shiftExp(11, -30, 23, 'pytorch', 2147483647).e, 385875968);
    const r = shiftGeluRow([-11, -20], { x0: -30, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 't');
    assert.equal(r.expMax, 385875968);
    // x = −11: E = 60·2^22 = 251658240, D = 637534208, F = 3, σ = ⌊251658240·3/2^24⌋ = 45, out = −495
    assert.equal(r.sigma[0], 45);
    assert.equal(r.out[0], -495);
  });

  it('ShiftGELU with a very negative row max saturates E_M (and D) at 2^31 − 1', () => {
    // M = −128, x0 = −12: P = 128 + 64 − 8 = 184, q = ⌊184/−12⌋ = −16, E_M = (r − 2x0)·2^(23+16−1) ≫ 2^31
    const r = shiftGeluRow([-128], { x0: -12, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 't');
    assert.equal(r.expMax, 2147483647);
    // x = M: E = 24·2^22, D saturates, F = 1, σ = ⌊100663296/2^24⌋ = 6, out = −768
    assert.deepEqual(r.sigma, [6]);
    assert.deepEqual(r.out, [-768]);
  });

  it('ShiftGELU gives 0, not −0, for a negative input whose σ is 0', () => {
    // S = 0.05: x0 = −12. Row [−128, −1], M = −1. E(Δ = −127): P = −183, q = 15, r = −3, E = 21·2^7 = 2688.
    // E_M = e^(+1): P = 1, q = −1, r = −11, E_M = 13·2^23. F = ⌊(2^31−1)/(2688 + 13·2^23)⌋ = 19,
    // σ = ⌊2688·19/2^24⌋ = 0, so out = −128·0, which must be 0.
    const x0 = expX0(geluSigmaScale(Math.fround(0.05)), 'pytorch');
    const r = shiftGeluRow([-128, -1], { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule: 'reference', expBits: 32 }, 't');
    assert.equal(r.sigma[0], 0);
    assert.ok(Object.is(r.out[0], 0));
  });

  it('ShiftGELU at a small scale follows the published IntGELU: E_j unsaturated, σ past 127 (issue 17 example)', () => {
    // S = 0.0022190602030605078: x0 = −265. x = 127 = M: Δ = 0, E = 2·265·2^22 = 2222981120 > 2^31 − 1, so D
    // saturates, F = 1 and σ = ⌊2222981120/2^24⌋ = 132 (the reference), out = 127·132 = 16764. Saturating E first
    // (the named variant) gives σ = ⌊(2^31 − 1)/2^24⌋ = 127, out = 16129. The other elements agree.
    const x0 = expX0(geluSigmaScale(0.0022190602030605078), 'pytorch');
    assert.equal(x0, -265);
    const base = { x0, n: 23, k: 8, flavour: 'pytorch' as const, inputBits: 8, expBits: 32 };
    const ref = shiftGeluRow([127, 90, 99, 47], { ...base, sigmaRule: 'reference' }, 't');
    assert.deepEqual(ref.sigma, [132, 119, 122, 103]);
    assert.deepEqual(ref.out, [16764, 10710, 12078, 4841]);
    const sat = shiftGeluRow([127, 90, 99, 47], { ...base, sigmaRule: 'saturate' }, 't');
    assert.deepEqual(sat.sigma, [127, 119, 122, 103]);
    assert.deepEqual(sat.out, [16129, 10710, 12078, 4841]);
    // x = [1] at S = 0.002: |x0| = 294, σ = ⌊294/2⌋ = 147 (σ = 1.15 where the sigmoid is about 0.5)
    assert.deepEqual(shiftGeluRow([1], { ...base, x0: expX0(geluSigmaScale(0.002), 'pytorch'), sigmaRule: 'reference' }, 't').sigma, [147]);
  });

  it('ShiftGELU under the reference rule names the overflow past |x0| = 511; the saturating variant has no limit', () => {
    const base = { n: 23, k: 8, flavour: 'pytorch' as const, inputBits: 8, expBits: 32 };
    // |x0| = 511: E = 511·2^23 = 4286578688 ≤ 2^32 − 1, σ = 255, out = 127·255
    assert.deepEqual(shiftGeluRow([127], { ...base, x0: -511, sigmaRule: 'reference' }, 't').out, [32385]);
    assert.throws(
      () => shiftGeluRow([127], { ...base, x0: -512, sigmaRule: 'reference' }, 'site'),
      /shiftgelu exp E_j at site: value 4294967296 overflows its declared unsigned 32-bit width/,
    );
    assert.deepEqual(shiftGeluRow([127], { ...base, x0: -5000, sigmaRule: 'saturate' }, 't').sigma, [127]);
  });

  it('I-LayerNorm of [100, −100, 1000, 5]', () => {
    // Σ = 1005, μ = RNE(251.25) = 251, y = [−151, −351, 749, −246], V = 767519.
    // Newton from 65536: 32773, 16398, 8222, 4157, 2170, 1261, 934, 877, 876, 876 → std = 876.
    // F = ⌊2147483647/876⌋ = 2451465; z = ⌊y·F/2⌋ = [−185085608, −430232108, 918073642, −301530195].
    const r = layerNormRow([100, -100, 1000, 5], undefined, LN, 't');
    assert.equal(r.mean, 251);
    assert.equal(r.var, 767519);
    assert.equal(r.std, 876);
    assert.equal(r.factor, 2451465);
    assert.deepEqual(r.out, [-185085608, -430232108, 918073642, -301530195]);
    const withBias = layerNormRow([100, -100, 1000, 5], [1, -2, 3, 2 ** 31 - 1], LN, 't');
    assert.deepEqual(withBias.out, [-185085607, -430232110, 918073645, -301530195 + 2 ** 31 - 1]);
  });

  it('I-LayerNorm mean ties round to even; TVM truncates', () => {
    assert.equal(layerNormRow([1, 2], undefined, LN, 't').mean, 2); // 1.5 → 2
    assert.equal(layerNormRow([1, 4], undefined, LN, 't').mean, 2); // 2.5 → 2
    assert.equal(layerNormRow([-1, -4], undefined, LN, 't').mean, -2); // −2.5 → −2
    assert.equal(layerNormRow([-1, -4], undefined, { ...LN, mean: 'trunc' }, 't').mean, -2);
    assert.equal(layerNormRow([-1, -2], undefined, { ...LN, mean: 'trunc' }, 't').mean, -1); // −1.5 → −1
  });

  it('I-LayerNorm of a constant row: V = 0, the loop returns 64, outputs equal the bias', () => {
    const r = layerNormRow([7, 7, 7], [5, -6, 0], LN, 't');
    assert.equal(r.var, 0);
    assert.equal(r.std, 64);
    assert.deepEqual(r.out, [5, -6, 0]);
  });

  it('I-LayerNorm halving: floor (PyTorch) vs trunc (TVM) differ on negative odd products', () => {
    // y = [−1, 1], V = 2, std = 64 (not converged), F = ⌊2147483647/64⌋ = 33554431 (odd)
    // floor(−33554431/2) = −16777216; trunc = −16777215
    assert.deepEqual(layerNormRow([0, 2], undefined, LN, 't').out, [-16777216, 16777215]);
    assert.deepEqual(layerNormRow([0, 2], undefined, { ...LN, halve: 'trunc' }, 't').out, [-16777215, 16777215]);
  });

  it('requant ties: RNE (PyTorch) and upward (TVM)', () => {
    const half = { m: 2 ** 30, c: 31 }; // R = 0.5
    assert.deepEqual(
      [1, 3, 5, -1, -3].map((z) => requantOne(z, half, 8, 'half-even')),
      [0, 2, 2, 0, -2],
    );
    assert.deepEqual(
      [1, 3, 5, -1, -3].map((z) => requantOne(z, half, 8, 'half-up')),
      [1, 2, 3, 0, -1],
    );
    assert.equal(requantOne(1000, { m: 2 ** 30, c: 30 }, 8, 'half-even'), 127); // clamps
    assert.equal(requantOne(-1000, { m: 2 ** 30, c: 30 }, 8, 'half-even'), -128);
  });

  it('residual add rounds each branch on its own, then clamps the sum', () => {
    // 0.5 + 0.5: each branch rounds to 0 (ties to even), so the sum is 0, not RNE(1.0) = 1
    const half = { m: 2 ** 30, c: 31 };
    assert.equal(residualOne(1, half, 1, half, 16, 'half-even'), 0);
    assert.equal(residualOne(3, half, 3, half, 16, 'half-even'), 4); // 2 + 2
    assert.equal(residualOne(40000, { m: 2 ** 30, c: 30 }, 40000, { m: 2 ** 30, c: 30 }, 16, 'half-even'), 32767);
  });

  it('inputs outside their width raise, naming op and site', () => {
    assert.throws(() => shiftmaxRow([128], { ...SM, x0: -10 }, 'block0.attn'), WidthOverflowError);
    assert.throws(() => layerNormRow([40000], undefined, LN, 'block0.ln1'), /layernorm input at block0\.ln1: value 40000/);
    // TVM's 32-bit variance overflows where the 48-bit one does not
    // Σ = −3, μ = RNE(−0.5) = 0, V = 3·(32767² + 32768²) = 6442254339 > 2^32
    const row = [32767, -32768, 32767, -32768, 32767, -32768];
    assert.doesNotThrow(() => layerNormRow(row, undefined, LN, 't'));
    assert.throws(
      () => layerNormRow(row, undefined, { ...LN, varianceBits: 32 }, 'tvm-ln'),
      /layernorm variance at tvm-ln: value 6442254339 overflows its declared unsigned 32-bit width/,
    );
  });
});
