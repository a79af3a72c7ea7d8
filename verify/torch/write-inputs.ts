/**
 * Input files for the PyTorch reference, written by the TypeScript generators (no CLI needed):
 *
 *   node dist/verify/torch/write-inputs.js image <zoo-model | model-file> <seed> <out.safetensors>
 *       the seeded synthetic input image syntheticImage(config, seed) (what `ivit golden --seed` uses)
 *   node dist/verify/torch/write-inputs.js tiny <seed> <model.safetensors> <image.safetensors>
 *       a small custom ViT (TINY_VIT) with seeded synthetic weights and its seeded input image
 */
import { fileURLToPath } from 'node:url';
import type { VitConfig } from '../golden/zoo.js';
import { writeImage, writeModel } from '../model/qmodel-file.js';
import { generateSyntheticModel, syntheticImage } from '../model/synthetic.js';
import { loadModel } from '../model/model-source.js';

/**
 * A ViT small enough to run in a test in a few seconds on either side: 32² images in 8² patches
 * (17 tokens), width 48 in 2 heads of 24 (so d^−½ is not a power of two), 2 blocks, 10 classes.
 */
export const TINY_VIT: Readonly<VitConfig> = Object.freeze({
  family: 'vit',
  name: 'tiny-vit',
  imageSize: 32,
  patchSize: 8,
  inChannels: 3,
  embedDim: 48,
  depth: 2,
  heads: 2,
  mlpDim: 192,
  numClasses: 10,
});

/** Write the tiny model for `seed` and its seeded image. */
export function writeTinyInputs(seed: number, modelPath: string, imagePath: string): void {
  const model = generateSyntheticModel({ ...TINY_VIT }, seed);
  writeModel(modelPath, model);
  writeImage(imagePath, syntheticImage(model.config, seed), model.config, model.scales.input);
}

/**
 * Write the seeded synthetic image for a model (a zoo name, resolved with `modelSeed`, or a model file):
 * its config gives the shape, its input scale goes into the image metadata.
 */
export function writeModelImage(modelSpec: string, imageSeed: number, out: string, modelSeed = 1): void {
  const { model } = loadModel(modelSpec, modelSeed);
  writeImage(out, syntheticImage(model.config, imageSeed), model.config, model.scales.input);
}

function parseSeed(s: string | undefined): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`seed must be a non-negative integer, got ${s}`);
  return n;
}

function main(argv: string[]): void {
  const [cmd, ...rest] = argv;
  if (cmd === 'image' && rest.length === 3) {
    writeModelImage(rest[0]!, parseSeed(rest[1]), rest[2]!);
  } else if (cmd === 'tiny' && rest.length === 3) {
    writeTinyInputs(parseSeed(rest[0]), rest[1]!, rest[2]!);
  } else {
    process.stderr.write('usage: write-inputs.js image <zoo-model | model-file> <seed> <out> | tiny <seed> <model-out> <image-out>\n');
    process.exit(2);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`write-inputs: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
