/**
 * Calibration images: the first N training images of an idx data set (Fashion-MNIST by default), made the
 * model's 8-bit pixels: a grey image is repeated to every input channel and, when the model's image size
 * is a multiple of the data's, enlarged by nearest-neighbour repetition (integer operations; the float
 * normalisation and quantisation then run per pixel, so the order does not matter).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readIdxImages } from '../data/idx.js';
import type { VitConfig } from '../golden/zoo.js';
import { CheckpointError } from './float-model.js';

/** Where Debian's dataset-fashion-mnist installs the data (IVIT_FASHION_MNIST overrides it, as in verify/train). */
export function fashionMnistDir(): string {
  return process.env.IVIT_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
}

/** The training-images file of a data directory (idx3, gzipped or not), or the path itself if it is a file. */
export function trainImagesFile(data: string): string {
  const dir = data === 'fashion-mnist' ? fashionMnistDir() : data;
  if (existsSync(dir) && statSync(dir).isFile()) return dir;
  for (const name of ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte']) {
    const f = join(dir, name);
    if (existsSync(f)) return f;
  }
  throw new CheckpointError(`${dir}: no train-images-idx3-ubyte[.gz] there${data === 'fashion-mnist' ? ' (apt-get install dataset-fashion-mnist)' : ''}`);
}

export interface CalibrationImages {
  file: string;
  /** channel-major 8-bit pixels [inChannels × size × size], one per image */
  pixels: Uint8Array[];
}

export function calibrationImages(data: string, count: number, config: VitConfig): CalibrationImages {
  const file = trainImagesFile(data);
  const idx = readIdxImages(file);
  if (count > idx.count) throw new CheckpointError(`${file}: ${idx.count} images, fewer than the ${count} asked for calibration`);
  if (idx.rows !== idx.cols) throw new CheckpointError(`${file}: images are ${idx.rows}×${idx.cols}, not square`);
  const size = config.imageSize;
  if (size % idx.rows !== 0)
    throw new CheckpointError(`${file}: ${idx.rows}×${idx.cols} images cannot be enlarged to the model's ${size}×${size} by whole-pixel repetition`);
  const f = size / idx.rows;
  const plane = idx.rows * idx.cols;
  const pixels = Array.from({ length: count }, (_, n) => {
    const src = idx.pixels.subarray(n * plane, (n + 1) * plane);
    const out = new Uint8Array(config.inChannels * size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) out[y * size + x] = src[Math.floor(y / f) * idx.cols + Math.floor(x / f)]!;
    }
    for (let c = 1; c < config.inChannels; c++) out.copyWithin(c * size * size, 0, size * size);
    return out;
  });
  return { file, pixels };
}
