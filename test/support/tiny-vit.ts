/** The reduced ViT the FQ-ViT tests share: small enough for CI, with every block part (two blocks, three heads). */
import type { VitConfig } from '../../verify/golden/zoo.js';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';

export const TINY_VIT: VitConfig = Object.freeze({
  family: 'vit',
  name: 'tiny',
  imageSize: 32,
  patchSize: 8,
  inChannels: 3,
  embedDim: 48,
  depth: 2,
  heads: 3,
  mlpDim: 96,
  numClasses: 10,
});

/** The seeded synthetic model and test image of TINY_VIT (seed 7 unless told). */
export function tinyVitModel(seed = 7): { config: VitConfig; model: QuantModel; image: Int8Array } {
  return { config: TINY_VIT, model: generateSyntheticModel(TINY_VIT, seed), image: syntheticImage(TINY_VIT, seed) };
}
