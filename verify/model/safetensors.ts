/**
 * safetensors, read and written: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. Metadata is a map of strings.
 * The reader checks every offset, size and overlap, and names the file and tensor in each error.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The metadata key holding the SHA-256 of every tensor's bytes (a JSON object, tensor name → hex), written by
 * this project's writer and checked by its reader, so a flipped bit in the data names its tensor.
 */
export const DIGEST_KEY = 'ivit_tensor_sha256';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export type Dtype = 'I8' | 'I16' | 'I32' | 'F32' | 'I64' | 'U8' | 'F64' | 'F16' | 'BF16';
/** F16 and BF16 data are their raw 16-bit patterns (Uint16Array); float checkpoints decode them. */
export type TypedTensorData = Int8Array | Int16Array | Int32Array | Float32Array | BigInt64Array | Uint8Array | Float64Array | Uint16Array;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TypedTensorData;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const DTYPES: Record<Dtype, { bytes: number; make: (buf: ArrayBuffer, off: number, n: number) => TypedTensorData }> = {
  I8: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  I16: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  I32: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  F32: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  I64: { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  U8: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  F64: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  F16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  BF16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
};

const MAX_HEADER = 100 * 1024 * 1024;

function dtypeOf(data: TypedTensorData): Dtype {
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Uint8Array) return 'U8';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Uint16Array) throw new SafetensorsError('16-bit float data needs its dtype (F16 or BF16)');
  return 'I64';
}

/** A tensor; `dtype` is needed only for 16-bit float patterns (F16, BF16), which share Uint16Array. */
export function tensor(data: TypedTensorData, shape: number[], dtype?: 'F16' | 'BF16'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new SafetensorsError(`tensor shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  if (dtype !== undefined && !(data instanceof Uint16Array)) throw new SafetensorsError(`${dtype} data must be a Uint16Array of bit patterns`);
  return { dtype: dtype ?? dtypeOf(data), shape, data };
}

/** Serialise tensors (in the given order) and string metadata. The host is little-endian (checked). */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string>): Buffer {
  assertLittleEndian();
  const digests: Record<string, string> = {};
  for (const [name, t] of Object.entries(tensors)) digests[name] = sha256(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const header: Record<string, unknown> = { __metadata__: { ...metadata, [DIGEST_KEY]: JSON.stringify(digests) } };
  let offset = 0;
  const parts: Buffer[] = [];
  // Widest elements first, so every tensor starts aligned to its element size (the data starts 8-aligned).
  const ordered = Object.entries(tensors).sort((x, y) => DTYPES[y[1].dtype].bytes - DTYPES[x[1].dtype].bytes);
  for (const [name, t] of ordered) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // align the data to 8 bytes
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...parts]);
}

export interface Safetensors {
  tensors: Map<string, Tensor>;
  /** the file's metadata, without the digest key */
  metadata: Record<string, string>;
  /** whether the file carried tensor digests (and they all matched: a mismatch is an error) */
  digests: 'verified' | 'absent';
}

/** Parse and validate a safetensors buffer; `source` names it in errors. */
export function decodeSafetensors(buf: Buffer, source: string): Safetensors {
  assertLittleEndian();
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  if (buf.length < 8) fail(`truncated: ${buf.length} bytes, a safetensors file starts with an 8-byte header length`);
  const headerLen = buf.readBigUInt64LE(0);
  if (headerLen > BigInt(Math.min(MAX_HEADER, buf.length - 8))) fail(`header length ${headerLen} passes the end of the file (${buf.length} bytes)`);
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  // Copy the data so every typed view is aligned whatever the header length.
  const data = new ArrayBuffer(dataLen);
  new Uint8Array(data).set(buf.subarray(dataStart));
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) if (typeof v !== 'string') fail(`metadata "${k}" is not a string`);
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry is not an object`);
    const dtype = e.dtype as Dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) fail(`tensor "${name}": unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}": bad data_offsets ${JSON.stringify(offs)}`);
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const size = DTYPES[dtype].bytes;
    if (end < begin || end > dataLen) fail(`tensor "${name}": data_offsets [${begin}, ${end}] pass the end of the data (${dataLen} bytes): file truncated?`);
    if (end - begin !== count * size)
      fail(`tensor "${name}": ${end - begin} bytes for shape [${(shape as number[]).join(', ')}] of ${dtype} (expected ${count * size})`);
    ranges.push([begin, end, name]);
    // Other writers need not align tensors; an unaligned one is copied into its own buffer.
    const aligned = begin % size === 0 ? data : data.slice(begin, end);
    tensors.set(name, { dtype, shape: shape as number[], data: DTYPES[dtype].make(aligned, aligned === data ? begin : 0, count) });
  }
  ranges.sort((x, y) => x[0] - y[0]);
  let cursor = 0;
  for (const [b, e, name] of ranges) {
    if (b < cursor) fail(`tensor "${name}" overlaps another tensor`);
    if (b > cursor) fail(`a gap of ${b - cursor} bytes before tensor "${name}"`);
    cursor = e;
  }
  if (cursor !== dataLen) fail(`${dataLen - cursor} bytes after the last tensor`);
  const recorded = metadata[DIGEST_KEY];
  if (recorded === undefined) return { tensors, metadata, digests: 'absent' };
  let want: unknown;
  try {
    want = JSON.parse(recorded);
  } catch {
    fail(`metadata "${DIGEST_KEY}" is not valid JSON: the file is corrupt`);
  }
  if (typeof want !== 'object' || want === null || Array.isArray(want)) fail(`metadata "${DIGEST_KEY}" is not an object: the file is corrupt`);
  const digests = want as Record<string, unknown>;
  for (const [b, e, name] of ranges) {
    if (digests[name] !== sha256(new Uint8Array(data, b, e - b)))
      fail(`tensor "${name}": its bytes do not match the SHA-256 recorded when the file was written (the file is corrupt)`);
  }
  for (const name of Object.keys(digests)) if (!tensors.has(name)) fail(`tensor "${name}" has a recorded digest but is not in the file (the file is corrupt)`);
  const rest = { ...metadata };
  delete rest[DIGEST_KEY];
  return { tensors, metadata: rest, digests: 'verified' };
}

/** A file's bytes, or a SafetensorsError naming the path and the reason. */
export function readFileBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function readSafetensors(path: string): Safetensors {
  return decodeSafetensors(readFileBytes(path), path);
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new SafetensorsError('big-endian hosts are not supported');
}

/** A JSON-valued metadata key of a decoded file, or `fail` naming the key (missing, or not JSON). */
export function metadataJson(metadata: Record<string, string>, key: string, fail: (msg: string) => never): unknown {
  const text = metadata[key];
  if (typeof text !== 'string') return fail(`metadata "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}
