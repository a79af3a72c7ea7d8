/** Run the golden Swin model on a quantised model and one image: logits, argmax, per-layer hashes (as run-golden.ts). */
import type { NumericsConfig } from './numerics-config.js';
import { type GoldenRun, argmax } from './run-golden.js';
import type { QSwinModel } from './qswin.js';
import { swinForward } from './swin-forward.js';
import { tensorHash } from './tensor-hash.js';

/** The number of named layer outputs of a Swin pass: patch, patch_norm; 13 per block; 3 per merge; norm, pool, head, logits. */
export function swinLayerCount(model: QSwinModel): number {
  return model.stages.reduce((n, st) => n + 13 * st.blocks.length + (st.merge ? 3 : 0), 6);
}

export function runSwinGolden(model: QSwinModel, image: Int8Array, cfg: NumericsConfig, opts: { layerHashes?: boolean } = {}): GoldenRun {
  const t0 = performance.now();
  const layerHashes: GoldenRun['layerHashes'] = [];
  const observe = opts.layerHashes
    ? (name: string, data: ArrayLike<number>, shape: readonly number[]) => layerHashes.push({ name, shape, hash: tensorHash(data, name) })
    : undefined;
  const { logits } = swinForward(model, image, cfg, { observe });
  const millis = performance.now() - t0;
  return { logits, argmax: argmax(logits), checksum: tensorHash(logits, 'logits'), layerHashes, millis };
}
