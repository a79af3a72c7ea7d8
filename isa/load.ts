/** Reading a program file: a container, or assembly text assembled on the fly (by its magic, else its name). */
import { readFileSync } from 'node:fs';
import { ContainerError, MAGIC, type ProgramImage, readContainer } from './container.js';
import { assemble } from './asm/assembler.js';

export function readProgramFile(file: string): ProgramImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ContainerError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const magic = Buffer.from(bytes.subarray(0, MAGIC.length)).toString('latin1');
  if (magic === MAGIC || /\.(ivp|bin)$/.test(file)) return readContainer(bytes, file);
  return assemble(Buffer.from(bytes).toString('utf8'), file);
}
