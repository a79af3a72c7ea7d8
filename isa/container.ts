/**
 * The program container file. Layout (all integers little-endian):
 *
 *   magic "IVITPROG" (8) | version u16 | instruction bytes u16 | total length u32
 *   instruction count u32 | instruction words (count × 32 bytes)
 *   segment count u32 | per segment: DRAM address u32, length u32, bytes (padded with zeros to 4)
 *   symbol count u32 | per symbol: kind u8 (0 region label, 1 constant), name length u8, name (ASCII), value f64
 *   CRC-32 u32 of every byte before it
 *
 * Instruction words are kept raw: a malformed word is reported by the decoder (disassembler or simulator) with
 * its PC, while a damaged file is caught here by its length and checksum.
 */
import { crc32 } from './crc32.js';
import { INSTRUCTION_BYTES } from './table.js';

export const MAGIC = 'IVITPROG';
export const CONTAINER_VERSION = 2; // 2: requant and resadd table modes share the qmode enum (none, tensor, channel)

export interface DramSegment {
  addr: number;
  bytes: Uint8Array;
}

export type SymbolKind = 'region' | 'const';
export interface ProgramSymbol {
  name: string;
  kind: SymbolKind;
  /** region: the PC where the region starts; const: the constant's value */
  value: number;
}

export interface ProgramImage {
  /** count × 32 bytes of instruction words */
  words: Uint8Array;
  dram: DramSegment[];
  symbols: ProgramSymbol[];
}

export class ContainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerError';
  }
}

export function instructionCount(p: ProgramImage): number {
  return p.words.length / INSTRUCTION_BYTES;
}

export function writeContainer(p: ProgramImage): Uint8Array {
  if (p.words.length % INSTRUCTION_BYTES !== 0) throw new ContainerError(`instruction bytes ${p.words.length} are not a multiple of ${INSTRUCTION_BYTES}`);
  const enc = new TextEncoder();
  const names = p.symbols.map((s) => enc.encode(s.name));
  for (const [i, n] of names.entries())
    if (n.length === 0 || n.length > 255) throw new ContainerError(`symbol name "${p.symbols[i]!.name}" must have 1..255 bytes`);
  let size = 8 + 2 + 2 + 4 + 4 + p.words.length + 4;
  for (const s of p.dram) size += 8 + pad4(s.bytes.length);
  size += 4;
  for (const n of names) size += 2 + n.length + 8;
  size += 4;
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  let at = 0;
  for (let i = 0; i < 8; i++) buf[at++] = MAGIC.charCodeAt(i);
  view.setUint16(at, CONTAINER_VERSION, true);
  at += 2;
  view.setUint16(at, INSTRUCTION_BYTES, true);
  at += 2;
  view.setUint32(at, size, true);
  at += 4;
  view.setUint32(at, p.words.length / INSTRUCTION_BYTES, true);
  at += 4;
  buf.set(p.words, at);
  at += p.words.length;
  view.setUint32(at, p.dram.length, true);
  at += 4;
  for (const s of p.dram) {
    view.setUint32(at, s.addr, true);
    view.setUint32(at + 4, s.bytes.length, true);
    at += 8;
    buf.set(s.bytes, at);
    at += pad4(s.bytes.length);
  }
  view.setUint32(at, p.symbols.length, true);
  at += 4;
  p.symbols.forEach((s, i) => {
    buf[at++] = s.kind === 'region' ? 0 : 1;
    buf[at++] = names[i]!.length;
    buf.set(names[i]!, at);
    at += names[i]!.length;
    view.setFloat64(at, s.value, true);
    at += 8;
  });
  view.setUint32(at, crc32(buf, 0, at), true);
  return buf;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Parse and check a container; any damage raises ContainerError saying what and where. */
export function readContainer(buf: Uint8Array, name = 'program'): ProgramImage {
  const fail = (msg: string): never => {
    throw new ContainerError(`${name}: ${msg}`);
  };
  if (buf.length < 20) fail(`truncated: ${buf.length} bytes is shorter than the 20-byte header`);
  for (let i = 0; i < 8; i++) if (buf[i] !== MAGIC.charCodeAt(i)) fail(`not a program container (bad magic; expected "${MAGIC}")`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint16(8, true);
  if (version !== CONTAINER_VERSION) fail(`unsupported container version ${version} (this tool reads version ${CONTAINER_VERSION})`);
  const width = view.getUint16(10, true);
  if (width !== INSTRUCTION_BYTES) fail(`instruction width ${width} bytes, expected ${INSTRUCTION_BYTES}`);
  const total = view.getUint32(12, true);
  if (buf.length < total) fail(`truncated: header says ${total} bytes, file has ${buf.length}`);
  if (buf.length > total) fail(`${buf.length - total} unexpected bytes after the end (header says ${total} bytes)`);
  const stored = view.getUint32(total - 4, true);
  const computed = crc32(buf, 0, total - 4);
  if (stored !== computed)
    fail(`checksum mismatch (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}): the file is corrupt`);
  let at = 16;
  const need = (n: number, what: string): void => {
    if (at + n > total - 4) fail(`malformed: ${what} at byte ${at} runs past the end`);
  };
  need(4, 'instruction count');
  const count = view.getUint32(at, true);
  at += 4;
  need(count * INSTRUCTION_BYTES, 'instruction words');
  const words = buf.slice(at, at + count * INSTRUCTION_BYTES);
  at += count * INSTRUCTION_BYTES;
  need(4, 'segment count');
  const nseg = view.getUint32(at, true);
  at += 4;
  const dram: DramSegment[] = [];
  for (let i = 0; i < nseg; i++) {
    need(8, `segment ${i} header`);
    const addr = view.getUint32(at, true);
    const len = view.getUint32(at + 4, true);
    at += 8;
    need(pad4(len), `segment ${i} data`);
    dram.push({ addr, bytes: buf.slice(at, at + len) });
    at += pad4(len);
  }
  need(4, 'symbol count');
  const nsym = view.getUint32(at, true);
  at += 4;
  const symbols: ProgramSymbol[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < nsym; i++) {
    need(2, `symbol ${i}`);
    const kind = buf[at]!;
    const len = buf[at + 1]!;
    at += 2;
    if (kind > 1) fail(`malformed: symbol ${i} has unknown kind ${kind}`);
    need(len + 8, `symbol ${i}`);
    const sname = dec.decode(buf.subarray(at, at + len));
    at += len;
    const value = view.getFloat64(at, true);
    at += 8;
    symbols.push({ name: sname, kind: kind === 0 ? 'region' : 'const', value });
  }
  if (at !== total - 4) fail(`malformed: ${total - 4 - at} unexplained bytes before the checksum`);
  return { words, dram, symbols };
}
