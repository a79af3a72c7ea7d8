/**
 * idx files (the MNIST / Fashion-MNIST format): a big-endian magic (0x0000, element type, dimension count),
 * the dimensions as big-endian u32, then the elements. Gzipped files (recognised by their first two bytes,
 * not by their name) are inflated with node:zlib. Only unsigned-byte data is read: images [N, rows, cols]
 * and labels [N].
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** A file that is not a readable idx file of the expected kind; the message names the file. */
export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, image after image, each row-major */
  pixels: Uint8Array;
}

const UBYTE = 0x08;

function readIdx(path: string, dims: number): { shape: number[]; data: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new IdxError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new IdxError(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  const headerLen = 4 + 4 * dims;
  if (bytes.length < headerLen) throw new IdxError(`${path}: truncated (${bytes.length} bytes, an idx header of ${dims} dimensions has ${headerLen})`);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UBYTE || bytes[3] !== dims) {
    throw new IdxError(
      `${path}: not an idx file of unsigned bytes with ${dims} dimension${dims > 1 ? 's' : ''} (magic 0x${bytes.readUInt32BE(0).toString(16).padStart(8, '0')})`,
    );
  }
  const shape = Array.from({ length: dims }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerLen + n) {
    throw new IdxError(
      `${path}: ${bytes.length - headerLen} data bytes for shape [${shape.join(', ')}] (expected ${n})${bytes.length < headerLen + n ? ': truncated' : ''}`,
    );
  }
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLen, n) };
}

/** Images of an idx3-ubyte file (e.g. train-images-idx3-ubyte.gz). */
export function readIdxImages(path: string): IdxImages {
  const { shape, data } = readIdx(path, 3);
  return { count: shape[0]!, rows: shape[1]!, cols: shape[2]!, pixels: data };
}

/** Labels of an idx1-ubyte file (e.g. train-labels-idx1-ubyte.gz). */
export function readIdxLabels(path: string): Uint8Array {
  return readIdx(path, 1).data;
}
