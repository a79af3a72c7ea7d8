/**
 * A stand-in for the trained Fashion-MNIST model in tests: the trained model's shape (torchvision ViT, 28×28
 * grey, patch 7 → 17 tokens, width 128, 4 heads, 6 blocks, 10 classes) with seeded synthetic weights and the
 * data set's preprocess metadata, so every input path (pictures, idx entries, ivit eval) can run on it.
 */
import type { VitConfig } from '../../verify/golden/zoo.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { generateSyntheticModel } from '../../verify/model/synthetic.js';
import { writeModel } from '../../verify/model/qmodel-file.js';

export const FASHION_VIT_SHAPE: VitConfig = {
  family: 'vit',
  name: 'fashion-vit-synthetic',
  imageSize: 28,
  patchSize: 7,
  inChannels: 1,
  embedDim: 128,
  depth: 6,
  heads: 4,
  mlpDim: 512,
  numClasses: 10,
};

/** The mean and std of verify/train/fashion_data.py (the checkpoint's preprocess). */
export const FASHION_PREPROCESS = { mean: [0.286], std: [0.353] };

export function fashionTestModel(seed = 1): QuantModel {
  const m = generateSyntheticModel(FASHION_VIT_SHAPE, seed);
  m.preprocess = FASHION_PREPROCESS;
  return m;
}

/** Writes the stand-in model (with preprocess) and, as a second file, the same model without preprocess. */
export function writeFashionTestModels(withPreprocess: string, withoutPreprocess?: string): QuantModel {
  const m = fashionTestModel();
  writeModel(withPreprocess, m);
  if (withoutPreprocess) {
    const { preprocess: _drop, ...bare } = m;
    writeModel(withoutPreprocess, bare);
  }
  return m;
}
