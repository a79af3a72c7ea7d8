/** Run the golden model on a quantised model and one image: logits, argmax, per-layer hashes. */
import type { NumericsConfig } from './numerics-config.js';
import { deriveModelConstants } from './model-constants.js';
import { constantsResolver, vitForward } from './vit-forward.js';
import { tensorHash } from './tensor-hash.js';
import type { QuantModel } from './qmodel.js';

export interface GoldenRun {
  logits: Int32Array;
  argmax: number;
  /** tensorHash of the logits */
  checksum: string;
  /** tensorHash of every named intermediate, in forward order */
  layerHashes: Array<{ name: string; shape: readonly number[]; hash: string }>;
  millis: number;
}

/** Index of the largest logit (the first one on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export interface GoldenOptions {
  layerHashes?: boolean;
  /** called after each named layer output, with how many of the pass's layers are done */
  onProgress?: (done: number, total: number) => void;
}

/** The number of named layer outputs of a forward pass (docs/model-format.md, "Layer hashes"). */
export function goldenLayerCount(model: QuantModel): number {
  return 2 + 12 * model.blocks.length + 3;
}

export function runGolden(model: QuantModel, image: Int8Array, cfg: NumericsConfig, opts: GoldenOptions = {}): GoldenRun {
  const t0 = performance.now();
  const layerHashes: GoldenRun['layerHashes'] = [];
  const total = goldenLayerCount(model);
  let done = 0;
  const observe =
    opts.layerHashes || opts.onProgress
      ? (name: string, data: ArrayLike<number>, shape: readonly number[]) => {
          if (opts.layerHashes) layerHashes.push({ name, shape, hash: tensorHash(data, name) });
          opts.onProgress?.(++done, total);
        }
      : undefined;
  const { logits } = vitForward(model, image, cfg, constantsResolver(deriveModelConstants(model, cfg)), observe);
  const millis = performance.now() - t0;
  return { logits, argmax: argmax(logits), checksum: tensorHash(logits, 'logits'), layerHashes, millis };
}
