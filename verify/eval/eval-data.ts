/**
 * The images of an evaluation, prepared once: the raw grey pixels and labels of a data set's test split, and
 * the model's int8 inputs made from them by verify/data (the same rule as `--image fashion-mnist:test:N`).
 * The PyTorch columns receive these very inputs (torch-columns.ts), so no second preprocessing exists.
 */
import type { QuantModel } from '../golden/qmodel.js';
import { DatasetError, type IdxDataset, dataset } from '../data/datasets.js';
import { readIdxImages, readIdxLabels } from '../data/idx.js';
import { greyToModelInput, requirePreprocess } from '../data/image-input.js';
import { type Shard, shardRange } from '../../programs/flows/shard.js';

export interface EvalSet {
  dataset: IdxDataset;
  split: 'test';
  /** the images of the whole evaluation (the first `limit` of the split); a shard holds `count` of them from `first` */
  total: number;
  first: number;
  count: number;
  rows: number;
  cols: number;
  /** uint8 [count × rows × cols], the data set's own pixels */
  pixels: Uint8Array;
  /** [count] */
  labels: Uint8Array;
  /** int8 [count × inChannels × imageSize × imageSize], the model's inputs */
  inputs: Int8Array;
}

export function loadEvalSet(name: string, model: QuantModel, limit?: number, onProgress?: (done: number, total: number) => void, shard?: Shard): EvalSet {
  const ds = dataset(name);
  requirePreprocess(model, `--data ${name}`);
  const files = ds.files('test');
  const imgs = readIdxImages(files.images);
  const allLabels = readIdxLabels(files.labels);
  if (allLabels.length !== imgs.count) throw new DatasetError(`${files.labels}: ${allLabels.length} labels for ${imgs.count} images in ${files.images}`);
  const total = limit === undefined ? imgs.count : Math.min(limit, imgs.count);
  const { first, count } = shard ? shardRange(total, shard) : { first: 0, count: total };
  if (count === 0) throw new DatasetError(`--shard ${shard!.index}/${shard!.of}: the evaluation has ${total} images, fewer than the ${shard!.of} shards`);
  const bad = allLabels.subarray(first, first + count).findIndex((l) => l >= ds.classes.length);
  if (bad >= 0)
    throw new DatasetError(`${files.labels}: label ${allLabels[first + bad]} of image ${first + bad} is not one of the ${ds.classes.length} classes`);
  const c = model.config;
  if (c.numClasses !== ds.classes.length) throw new DatasetError(`model ${c.name} has ${c.numClasses} classes, data set ${ds.name} ${ds.classes.length}`);
  const n = imgs.rows * imgs.cols;
  const len = c.inChannels * c.imageSize * c.imageSize;
  const inputs = new Int8Array(count * len);
  for (let i = 0; i < count; i++) {
    const at = first + i;
    inputs.set(greyToModelInput(imgs.pixels.subarray(at * n, (at + 1) * n), imgs.rows, imgs.cols, model, `${ds.name} test image ${at}`), i * len);
    if (onProgress && (i % 500 === 499 || i === count - 1)) onProgress(i + 1, count);
  }
  return {
    dataset: ds,
    split: 'test',
    total,
    first,
    count,
    rows: imgs.rows,
    cols: imgs.cols,
    pixels: imgs.pixels.slice(first * n, (first + count) * n),
    labels: allLabels.slice(first, first + count),
    inputs,
  };
}
