/**
 * A sample of evaluation images run end to end on the simulator (compile, simulate with values) through the
 * same pipeline as `ivit run`, each checked bit-exact against the golden model: the logits and every layer
 * hash, and the logits also against the golden pool's logits for that image.
 */
import type { AcceleratorConfig } from '../../sim/config.js';
import { runEndToEnd } from '../../programs/flows/end-to-end.js';
import type { QuantModel } from '../golden/qmodel.js';

export interface SimImage {
  index: number;
  bitExact: boolean;
  /** this run's golden logits (which the simulator's must equal for bitExact) equal the golden pool's for the image */
  poolLogitsMatch: boolean;
  layers: number;
  mismatchedLayers: string[];
  argmax: number;
  cycles: number;
  /** wall-clock milliseconds: compile, simulate, golden model with layer hashes */
  compileMs: number;
  simulateMs: number;
  goldenMs: number;
}

/** K image indices spread evenly over count (the first, then every count/K-th). */
export function sampleIndices(count: number, k: number): number[] {
  const n = Math.min(k, count);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}

export function runSimSample(
  model: QuantModel,
  inputs: Int8Array,
  poolLogits: Int32Array,
  indices: readonly number[],
  cfg: AcceleratorConfig,
  onImage?: (done: number, total: number) => void,
  /** the global index of inputs' first image (a shard's slice): `indices` are global, inputs and poolLogits local */
  offset = 0,
): SimImage[] {
  const c = model.config;
  const len = c.inChannels * c.imageSize * c.imageSize;
  const out: SimImage[] = [];
  for (const index of indices) {
    const local = index - offset;
    const e = runEndToEnd(model, inputs.subarray(local * len, (local + 1) * len), cfg);
    const check = e.check!;
    const pool = poolLogits.subarray(local * c.numClasses, (local + 1) * c.numClasses);
    out.push({
      index,
      bitExact: check.bitExact,
      poolLogitsMatch: check.golden.logits.every((v, i) => v === pool[i]),
      layers: check.layers.length,
      mismatchedLayers: check.layers.filter((l) => !l.match).map((l) => l.name),
      argmax: check.argmax,
      cycles: e.result.report.totalCycles,
      compileMs: e.millis.compile,
      simulateMs: e.millis.simulate,
      goldenMs: e.millis.golden,
    });
    onImage?.(out.length, indices.length);
  }
  return out;
}
