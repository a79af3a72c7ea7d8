#!/usr/bin/env node
// ShiftGELU's two σ rules against the float GELU at small input scales (docs/numerics.md, "ShiftGELU at small
// scales"). For each scale S, every two-element int8 row [x, M] with x ≤ M (32,896 rows) through the golden op under
// the reference rule and the saturating variant; the error of out·S/2^7 against x·S·Φ(x·S) (erf form) and against
// x·S·σ(1.702·x·S), in real units, max and mean over all elements. Usage: node scripts/gelu-sigma-error.mjs (after the build)
import { shiftGeluRow } from '../dist/verify/golden/ops/shiftgelu.js';
import { expX0, geluSigmaScale } from '../dist/verify/golden/constants.js';

// erf by Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5·10^−7, far below the errors measured here)
function erf(x) {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const gelu = (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const geluSigmoid = (v) => v / (1 + Math.exp(-1.702 * v));

const scales = [0.01, 0.005, 0.0024, 0.0022190602030605078, 0.002, 0.0015, 0.00116];
console.log('| S | \\|x0\\| | rule | max σ | max \\|err\\| vs GELU | mean \\|err\\| vs GELU | max \\|err\\| vs x·σ(1.702x) | max err / S |');
console.log('|---|---|---|---|---|---|---|---|');
for (const S of scales) {
  const x0 = expX0(geluSigmaScale(Math.fround(S)), 'pytorch');
  for (const sigmaRule of ['reference', 'saturate']) {
    let maxErr = 0,
      sumErr = 0,
      maxErrSig = 0,
      maxSigma = 0,
      count = 0;
    for (let M = -128; M <= 127; M++) {
      for (let x = -128; x <= M; x++) {
        const r = shiftGeluRow([x, M], { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule, expBits: 32 }, 'script');
        for (let j = 0; j < 2; j++) {
          const v = (j === 0 ? x : M) * S;
          const got = (r.out[j] * S) / 128;
          const e = Math.abs(got - gelu(v));
          maxErr = Math.max(maxErr, e);
          maxErrSig = Math.max(maxErrSig, Math.abs(got - geluSigmoid(v)));
          maxSigma = Math.max(maxSigma, r.sigma[j]);
          sumErr += e;
          count++;
        }
      }
    }
    console.log(
      `| ${S} | ${-x0} | ${sigmaRule} | ${maxSigma} | ${maxErr.toExponential(2)} | ${(sumErr / count).toExponential(2)} | ${maxErrSig.toExponential(2)} | ${(maxErr / S).toFixed(2)} |`,
    );
  }
}
