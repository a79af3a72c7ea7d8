/** The `--image` option of ivit golden and ivit run: every kind of input verify/data/image-input.ts accepts. */
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { DatasetError } from '../../verify/data/datasets.js';
import { IdxError } from '../../verify/data/idx.js';
import { loadInputImage } from '../../verify/data/image-input.js';
import { PictureError } from '../../verify/data/picture.js';
import { syntheticImage } from '../../verify/model/synthetic.js';
import { registerUserErrorClass } from '../errors.js';

registerUserErrorClass(PictureError);
registerUserErrorClass(DatasetError);
registerUserErrorClass(IdxError);

export const IMAGE_OPTION_HELP =
  'input: an ivit-image safetensors (I8 "image" [C×H×W]), a PNG or JPEG picture, or a data-set entry ' +
  '(fashion-mnist:test:123, path/x-images-idx3-ubyte.gz:123); default: a seeded synthetic image';

/** The model input `--image` names, or the seeded synthetic image when it names none. */
export function inputImage(spec: string | undefined, model: QuantModel, seed: number): Int8Array {
  return spec === undefined ? syntheticImage(model.config, seed) : loadInputImage(spec, model).image;
}
