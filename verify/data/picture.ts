/**
 * Ordinary pictures (PNG, JPEG) made into a model's 8-bit pixels: decode, convert to the model's channels,
 * resize to its image size. The rules (docs/evaluation.md, "Picture input"):
 *  - decoded to 8-bit RGBA by pngjs / jpeg-js (16-bit PNGs are scaled to 8 bits by pngjs);
 *  - alpha is composited over black: v·a/255, rounded half up (Fashion-MNIST's background is black);
 *  - one channel: luma Y = (299·R + 587·G + 114·B)/1000 rounded half up (ITU-R BT.601), so a grey picture
 *    (R = G = B) keeps its values exactly; three channels: R, G, B (a grey picture gives three equal planes);
 *  - resized to size × size (stretched, no crop) by bilinear interpolation with half-pixel centres, every
 *    step in float32, then rounded half to even to 0…255; a picture already size × size is not touched.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { roundHalfEven } from '../golden/constants.js';
import { fl32 } from '../golden/intmath.js';

/** A picture that cannot be read or used; the message names the file. */
export class PictureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PictureError';
  }
}

export interface Picture {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major */
  rgba: Uint8Array;
}

export type PictureKind = 'png' | 'jpeg';

/** Recognise a picture by its signature bytes (not by its file name). */
export function pictureKind(bytes: Uint8Array): PictureKind | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Larger pictures are refused rather than decoded into gigabytes. */
const MAX_MEGAPIXELS = 64;

export function decodePicture(bytes: Uint8Array, source: string): Picture {
  const kind = pictureKind(bytes);
  if (!kind) throw new PictureError(`${source}: not a PNG or JPEG picture`);
  let out: Picture;
  try {
    if (kind === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      out = { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } else {
      // tolerantDecoding would silently fill a truncated or damaged picture with grey
      const j = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        tolerantDecoding: false,
        maxResolutionInMP: MAX_MEGAPIXELS,
        maxMemoryUsageInMB: 1024,
      });
      out = { width: j.width, height: j.height, rgba: j.data };
    }
  } catch (e) {
    throw new PictureError(`${source}: corrupt or unsupported ${kind.toUpperCase()} (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!(out.width > 0 && out.height > 0) || out.rgba.length !== out.width * out.height * 4) {
    throw new PictureError(`${source}: the ${kind.toUpperCase()} decoder returned no usable pixels (${out.width}×${out.height})`);
  }
  return out;
}

/** Round-half-up of v·a/255 for 8-bit v and a, in integers. */
const overBlack = (v: number, a: number): number => Math.floor((2 * v * a + 255) / 510);

/** Planar 8-bit [channels × height × width] in the picture's own size (channels 1 or 3). */
export function pictureChannels(p: Picture, channels: number, source: string): Uint8Array {
  if (channels !== 1 && channels !== 3) throw new PictureError(`${source}: a picture can feed a 1- or 3-channel model, this one has ${channels} channels`);
  const n = p.width * p.height;
  const out = new Uint8Array(channels * n);
  for (let i = 0; i < n; i++) {
    const a = p.rgba[4 * i + 3]!;
    const r = overBlack(p.rgba[4 * i]!, a);
    const g = overBlack(p.rgba[4 * i + 1]!, a);
    const b = overBlack(p.rgba[4 * i + 2]!, a);
    if (channels === 1) out[i] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
    else {
      out[i] = r;
      out[n + i] = g;
      out[2 * n + i] = b;
    }
  }
  return out;
}

/** Round half to even, clamped to 0…255. */
function toByte(v: number): number {
  const r = roundHalfEven(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** Source sample positions and weights along one axis (half-pixel centres, clamped at the edges). */
function axis(from: number, to: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(to);
  const i1 = new Int32Array(to);
  const w = new Float32Array(to);
  const ratio = fl32(from / to);
  for (let o = 0; o < to; o++) {
    let s = fl32(fl32(fl32(o + 0.5) * ratio) - 0.5);
    if (s < 0) s = 0;
    const lo = Math.min(Math.floor(s), from - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, from - 1);
    w[o] = fl32(s - lo);
  }
  return { i0, i1, w };
}

/** Bilinear resize of planar 8-bit [channels × h × w] to [channels × size × size]. */
export function resizeBilinear(src: Uint8Array, channels: number, h: number, w: number, size: number): Uint8Array {
  if (h === size && w === size) return src;
  const ys = axis(h, size);
  const xs = axis(w, size);
  const out = new Uint8Array(channels * size * size);
  for (let c = 0; c < channels; c++) {
    const plane = c * h * w;
    for (let y = 0; y < size; y++) {
      const r0 = plane + ys.i0[y]! * w;
      const r1 = plane + ys.i1[y]! * w;
      const fy = ys.w[y]!;
      for (let x = 0; x < size; x++) {
        const x0 = xs.i0[x]!;
        const x1 = xs.i1[x]!;
        const fx = xs.w[x]!;
        const top = fl32(src[r0 + x0]! + fl32(fx * fl32(src[r0 + x1]! - src[r0 + x0]!)));
        const bottom = fl32(src[r1 + x0]! + fl32(fx * fl32(src[r1 + x1]! - src[r1 + x0]!)));
        out[c * size * size + y * size + x] = toByte(fl32(top + fl32(fy * fl32(bottom - top))));
      }
    }
  }
  return out;
}

/** Planar 8-bit grey [h × w] as 1 or 3 channels (a grey picture's three planes are equal). */
export function greyToChannels(grey: Uint8Array, channels: number): Uint8Array {
  if (channels === 1) return grey;
  const out = new Uint8Array(channels * grey.length);
  for (let c = 0; c < channels; c++) out.set(grey, c * grey.length);
  return out;
}

/** A picture as the model's 8-bit pixels, planar [channels × size × size]. */
export function pictureToPixels(p: Picture, channels: number, size: number, source: string): Uint8Array {
  return resizeBilinear(pictureChannels(p, channels, source), channels, p.height, p.width, size);
}
