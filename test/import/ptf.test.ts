import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ptfCalibrate } from '../../verify/import/ptf.js';
import { roundHalfEven } from '../../verify/golden/constants.js';

describe('PTF calibration (FQ-ViT PtfObserver, symmetric)', () => {
  it('worked example: channels (±12.7), (1.26, 0.5), (2.9, 0.03), (0.2125, −0.15) → α = 3, 0, 1, 0', () => {
    // s8 = 12.7/127 = 0.1, s = s8/8 = 0.0125. Channel 0: only s·8 = 0.1 keeps ±12.7 unclipped (127 steps) → α 3.
    // Channel 1: α 0 → 1.26/0.0125 = 100.8 → 101, error 0.0025²; α 1 → 50.4 → 50, error 0.01² → α 0.
    // Channel 2: α 0 clips 2.9 (> 1.5875); α 1 (0.025): 116 exact, 0.03 → 1, error 0.005²; α 2 (0.05): 0.03 → 1,
    //   error 0.02²; α 3: 0.03 → 0, error 0.03² → α 1.
    // Channel 3: α 0 → 17 and −12, exact; α 1 → 0.2125/0.025 = 8.5 → 8 (half to even), error 0.0125² → α 0.
    const x = [12.7, 1.26, 2.9, 0.2125, -12.7, 0.5, 0.03, -0.15];
    const r = ptfCalibrate(x, 4);
    assert.equal(r.scale, Math.fround(Math.fround(Math.fround(12.7) / 127) / 8));
    assert.deepEqual(Array.from(r.alpha), [3, 0, 1, 0]);
  });

  it('each α has the smallest squared error of the four, and the largest channel never clips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 12, maxLength: 240 }), (ch, v) => {
        const x = v.slice(0, v.length - (v.length % ch));
        const r = ptfCalibrate(x, ch);
        for (let c = 0; c < ch; c++) {
          const err = (a: number) =>
            x
              .filter((_, i) => i % ch === c)
              .reduce((p, xv) => {
                const sc = r.scale * 2 ** a;
                const q = Math.max(-127, Math.min(127, roundHalfEven(xv / sc)));
                return p + (xv - q * sc) ** 2;
              }, 0);
          const mine = err(r.alpha[c]!);
          for (let a = 0; a < 4; a++) assert.ok(mine <= err(a) * (1 + 1e-12) + 1e-18, `channel ${c}: α ${r.alpha[c]} vs ${a}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
