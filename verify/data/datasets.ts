/**
 * The image data sets the tools know by name, stored as idx files. Fashion-MNIST comes from the Debian package
 * dataset-fashion-mnist; IVIT_FASHION_MNIST points elsewhere (as in verify/train/fashion_data.py, which holds the
 * same folder, file names and class names for the Python side; test/data checks the two agree).
 */
import { join } from 'node:path';

/** A bad data-set name, split or entry; the message names it. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export type Split = 'train' | 'test';

export interface IdxDataset {
  name: string;
  classes: readonly string[];
  /** the images and labels idx files of a split */
  files(split: Split): { images: string; labels: string };
}

const FASHION_MNIST: IdxDataset = {
  name: 'fashion-mnist',
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  files(split) {
    const dir = process.env.IVIT_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
    const prefix = split === 'train' ? 'train' : 't10k';
    return { images: join(dir, `${prefix}-images-idx3-ubyte.gz`), labels: join(dir, `${prefix}-labels-idx1-ubyte.gz`) };
  },
};

const DATASETS: Readonly<Record<string, IdxDataset>> = { 'fashion-mnist': FASHION_MNIST };

export function isDatasetName(name: string): boolean {
  return Object.hasOwn(DATASETS, name);
}

export function dataset(name: string): IdxDataset {
  const d = DATASETS[name];
  if (!d) throw new DatasetError(`unknown data set "${name}" (known: ${Object.keys(DATASETS).join(', ')})`);
  return d;
}

export function parseSplit(v: string, where = 'split'): Split {
  if (v !== 'train' && v !== 'test') throw new DatasetError(`${where}: unknown split "${v}" (train or test)`);
  return v;
}
