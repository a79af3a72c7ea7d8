#!/usr/bin/env node
// Per-block I-BERT constants of a quantised model file (docs/numerics.md, "I-BERT's integer softmax and GELU"):
// the i-exp x0, b, c at each block's logit scale, the worst absolute error of its normalised exp E/(c·2^30)
// against e^(d·S) over every reduced logit d = −255 … 0, and the i-erf b, c, n, shift at the GELU input scale.
// Usage (after the build): node scripts/ibert-constants.mjs [model.safetensors]
import { readModel } from '../dist/verify/model/qmodel-file.js';
import { ibertExp, ibertGeluConstants, ibertSoftmaxConstants } from '../dist/verify/golden/ops/ibert.js';
import { PYTORCH_NUMERICS } from '../dist/verify/golden/numerics-config.js';

const u = PYTORCH_NUMERICS.ibert;
const model = readModel(process.argv[2] ?? new URL('../verify/checkpoints/fashion-vit-int8.safetensors', import.meta.url).pathname);
console.log('block | logit scale | x0 | b | c | max |E/(c·2^30) − e^(dS)| | GELU scale | b | c | n | shift');
model.blocks.forEach((blk, i) => {
  const scale = blk.scales.logit;
  const s = ibertSoftmaxConstants(scale);
  let worst = 0;
  for (let d = -255; d <= 0; d++) {
    const e = ibertExp(d, s, u.softmaxPolyBits, 'ibert-softmax', `block${i}`) / (s.c * 2 ** 30);
    worst = Math.max(worst, Math.abs(e - Math.exp(d * scale)));
  }
  const g = ibertGeluConstants(blk.scales.gelu, u.erfBits);
  const row = [i, scale.toPrecision(4), s.x0, s.b, s.c, worst.toFixed(4), blk.scales.gelu.toPrecision(4), g.b, g.c, g.n, g.shift];
  console.log(row.join(' | '));
});
