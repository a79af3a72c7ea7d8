/** The patch gather of a patch embedding (ViT's 16×16, Swin's 4×4): the convolution as a GEMM over patch rows. */
import { NumericsInputError } from './intmath.js';

export interface PatchGeometry {
  imageSize: number;
  patchSize: number;
  inChannels: number;
}

/** The image's patches as rows (in-channel, ky, kx), patches in row-major order; the image is [channels × H × W]. */
export function imagePatches(image: Int8Array, g: PatchGeometry): Int8Array {
  const side = g.imageSize / g.patchSize;
  if (image.length !== g.inChannels * g.imageSize * g.imageSize) {
    throw new NumericsInputError(`image has ${image.length} values, expected ${g.inChannels}×${g.imageSize}×${g.imageSize}`);
  }
  const out = new Int8Array(side * side * g.inChannels * g.patchSize * g.patchSize);
  let o = 0;
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      for (let ch = 0; ch < g.inChannels; ch++) {
        for (let ky = 0; ky < g.patchSize; ky++) {
          const rowBase = ch * g.imageSize * g.imageSize + (py * g.patchSize + ky) * g.imageSize + px * g.patchSize;
          for (let kx = 0; kx < g.patchSize; kx++) out[o++] = image[rowBase + kx]!;
        }
      }
    }
  }
  return out;
}
