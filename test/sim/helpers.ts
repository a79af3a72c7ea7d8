/** Shared test helpers: reading typed DRAM regions, program symbols, and running the examples. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble, type AssembledProgram } from '../../isa/asm/assembler.js';
import type { ProgramImage } from '../../isa/container.js';
import type { Dyadic } from '../../verify/golden/constants.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function assembleExample(name: string): AssembledProgram {
  const file = `${REPO_ROOT}programs/examples/${name}`;
  return assemble(readFileSync(file, 'utf8'), file);
}

export function symbol(p: ProgramImage, name: string): number {
  const s = p.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`program has no symbol ${name}`);
  return s.value;
}

/** The program's initial DRAM image as one flat byte array (zeros where no data was given). */
export function initialDram(p: ProgramImage, size: number): Uint8Array {
  const d = new Uint8Array(size);
  for (const s of p.dram) d.set(s.bytes, s.addr);
  return d;
}

export function readI8(d: Uint8Array, addr: number, count: number): Int8Array {
  return new Int8Array(d.slice(addr, addr + count).buffer);
}

export function readI16(d: Uint8Array, addr: number, count: number): number[] {
  const v = new DataView(d.buffer, d.byteOffset);
  return Array.from({ length: count }, (_, i) => v.getInt16(addr + 2 * i, true));
}

export function readI32(d: Uint8Array, addr: number, count: number): number[] {
  const v = new DataView(d.buffer, d.byteOffset);
  return Array.from({ length: count }, (_, i) => v.getInt32(addr + 4 * i, true));
}

export function readDyadicTable(d: Uint8Array, addr: number, count: number): Dyadic[] {
  const w = readI32(d, addr, 2 * count);
  return Array.from({ length: count }, (_, i) => ({ m: w[2 * i]!, c: w[2 * i + 1]! }));
}
