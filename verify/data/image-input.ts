/**
 * What `--image` accepts (ivit golden, ivit run), made into the model's int8 input:
 *  - a pre-quantised ivit-image safetensors file (used as it is);
 *  - a PNG or JPEG picture (recognised by its first bytes): picture.ts makes it the model's channels and size,
 *    preprocess.ts normalises it with the model's `preprocess` and quantises it with its input scale;
 *  - an entry of an idx data set: `fashion-mnist:test:123` (a named data set, split, index) or
 *    `path/to/x-images-idx3-ubyte.gz:123`; the grey image goes the same way as a picture. Its label is read
 *    from the labels file beside it when there is one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Preprocess, QuantModel } from '../golden/qmodel.js';
import { readImage } from '../model/qmodel-file.js';
import { DatasetError, dataset, isDatasetName, parseSplit } from './datasets.js';
import { readIdxImages, readIdxLabels } from './idx.js';
import { PictureError, decodePicture, greyToChannels, pictureKind, pictureToPixels, resizeBilinear } from './picture.js';
import { quantiseInput } from './preprocess.js';

export interface InputImage {
  /** int8 [inChannels × imageSize × imageSize] */
  image: Int8Array;
  /** what it is, for reports: "fashion-mnist test 123 (Ankle boot)", "shoe.png (PNG 300×280)" */
  description: string;
  label?: number;
}

/** The model's preprocess, or the error that says a picture cannot be its input without one. */
export function requirePreprocess(model: QuantModel, spec: string): Preprocess {
  if (model.preprocess) return model.preprocess;
  throw new PictureError(
    `${spec}: model ${model.config.name} carries no preprocess metadata (mean/std), so a picture or data-set image cannot be made its input; give a pre-quantised ivit-image file`,
  );
}

/** 8-bit pixels [channels × size × size] made the model's input with its preprocess and input scale. */
export function quantiseForModel(pixels: Uint8Array, model: QuantModel, spec: string): Int8Array {
  const c = model.config;
  return quantiseInput(pixels, c.inChannels, c.imageSize, requirePreprocess(model, spec), model.scales.input);
}

/** A grey data-set image [rows × cols] as the model's 8-bit pixels: replicated to its channels, resized to its size. */
export function greyToModelPixels(grey: Uint8Array, rows: number, cols: number, model: QuantModel): Uint8Array {
  const c = model.config;
  return resizeBilinear(greyToChannels(grey, c.inChannels), c.inChannels, rows, cols, c.imageSize);
}

/** A grey data-set image made the model's int8 input (the one rule for --image and ivit eval). */
export function greyToModelInput(grey: Uint8Array, rows: number, cols: number, model: QuantModel, spec: string): Int8Array {
  return quantiseForModel(greyToModelPixels(grey, rows, cols, model), model, spec);
}

/** Entry `index` of an idx images file, as the model's 8-bit pixels. */
export function idxEntryPixels(imagesPath: string, index: number, model: QuantModel, spec: string): Uint8Array {
  const imgs = readIdxImages(imagesPath);
  if (!(index < imgs.count)) throw new DatasetError(`${spec}: index ${index} is out of range (${imagesPath} holds ${imgs.count} images, 0…${imgs.count - 1})`);
  const n = imgs.rows * imgs.cols;
  return greyToModelPixels(imgs.pixels.subarray(index * n, (index + 1) * n), imgs.rows, imgs.cols, model);
}

function labelOf(labelsPath: string, index: number): number | undefined {
  if (!existsSync(labelsPath)) return undefined;
  const labels = readIdxLabels(labelsPath);
  return index < labels.length ? labels[index] : undefined;
}

function parseIndex(v: string, spec: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new DatasetError(`${spec}: "${v}" is not an image index`);
  return Number(v);
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

export function loadInputImage(spec: string, model: QuantModel): InputImage {
  const named = /^([a-z0-9-]+):([a-z]+):(\d+)$/.exec(spec);
  if (named && isDatasetName(named[1]!)) {
    requirePreprocess(model, spec);
    const ds = dataset(named[1]!);
    const split = parseSplit(named[2]!, spec);
    const index = parseIndex(named[3]!, spec);
    const files = ds.files(split);
    const pixels = idxEntryPixels(files.images, index, model, spec);
    const label = labelOf(files.labels, index);
    const image = quantiseForModel(pixels, model, spec);
    return {
      image,
      description: `${ds.name} ${split} image ${index}${label !== undefined ? ` (${ds.classes[label] ?? `class ${label}`})` : ''}`,
      ...(label !== undefined ? { label } : {}),
    };
  }
  const entry = /^(.*):(\d+)$/.exec(spec);
  if (entry && !isFile(spec) && isFile(entry[1]!)) {
    requirePreprocess(model, spec);
    const [path, index] = [entry[1]!, parseIndex(entry[2]!, spec)];
    const pixels = idxEntryPixels(path, index, model, spec);
    const label = path.includes('images-idx3') ? labelOf(path.replace('images-idx3', 'labels-idx1'), index) : undefined;
    const image = quantiseForModel(pixels, model, spec);
    return { image, description: `${path} image ${index}${label !== undefined ? ` (label ${label})` : ''}`, ...(label !== undefined ? { label } : {}) };
  }
  if (!isFile(spec)) throw new PictureError(`${spec}: no such file${named ? ` (and "${named[1]}" is not a known data set)` : ''}`);
  const bytes = readFileSync(spec);
  const kind = pictureKind(bytes);
  if (!kind) return { image: readImage(spec, model.config), description: spec };
  requirePreprocess(model, spec);
  const pic = decodePicture(bytes, spec);
  const c = model.config;
  const image = quantiseForModel(pictureToPixels(pic, c.inChannels, c.imageSize, spec), model, spec);
  return { image, description: `${spec} (${kind.toUpperCase()} ${pic.width}×${pic.height})` };
}
