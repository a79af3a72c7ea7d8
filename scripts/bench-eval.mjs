#!/usr/bin/env node
// Evaluation throughput: golden-model images/s on Fashion-MNIST test images with 1 and 2 worker threads
// (verify/eval/golden-pool.ts, as `ivit eval` runs it), and the per-image end-to-end simulator time (compile +
// simulate with values + bit-exact check, as `ivit eval --sim-sample` runs it). Prints one JSON object.
// Usage: node scripts/bench-eval.mjs MODEL [images=2000] [simImages=5] [workers=1,2]    (needs a build: npx tsc -p .)
import os from 'node:os';
import { DEFAULT_CONFIG } from '../dist/sim/config.js';
import { PYTORCH_NUMERICS } from '../dist/verify/golden/numerics-config.js';
import { readModel } from '../dist/verify/model/qmodel-file.js';
import { loadEvalSet } from '../dist/verify/eval/eval-data.js';
import { goldenLogits } from '../dist/verify/eval/golden-pool.js';
import { runSimSample, sampleIndices } from '../dist/verify/eval/sim-sample.js';

const [modelPath, images = '2000', simImages = '5', workerList = '1,2'] = process.argv.slice(2);
if (!modelPath) {
  console.error('usage: node scripts/bench-eval.mjs MODEL [images] [simImages] [workers,...]');
  process.exit(2);
}
const model = readModel(modelPath);
const set = loadEvalSet('fashion-mnist', model, Number(images));
const load = () => os.loadavg()[0];
const out = {
  model: modelPath,
  images: set.count,
  cores: os.cpus().length,
  cpu: os.cpus()[0].model,
  node: process.version,
  loadBefore: load(),
  golden: [],
  sim: null,
};
let reference;
for (const w of workerList.split(',').map(Number)) {
  const r = await goldenLogits(model, PYTORCH_NUMERICS, set.inputs, set.count, { workers: w });
  if (reference && !r.logits.every((v, i) => v === reference[i])) throw new Error(`logits with ${w} workers differ from the first run`);
  reference ??= r.logits;
  out.golden.push({ workers: r.workers, seconds: r.millis / 1000, imagesPerSecond: set.count / (r.millis / 1000), load: load() });
}
const sims = runSimSample(model, set.inputs, reference, sampleIndices(set.count, Number(simImages)), DEFAULT_CONFIG);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
out.sim = {
  images: sims.length,
  bitExact: sims.filter((s) => s.bitExact && s.poolLogitsMatch).length,
  cycles: sims[0]?.cycles,
  medianMs: { compile: med(sims.map((s) => s.compileMs)), simulate: med(sims.map((s) => s.simulateMs)), golden: med(sims.map((s) => s.goldenMs)) },
  load: load(),
};
console.log(JSON.stringify(out));
