/**
 * Disassembler: program image → canonical assembly text. Operands equal to their default are left out, so the
 * text is short, and assembling it gives back the identical image (constants, data, labels, instructions).
 */
import { type FieldSpec, type FieldValue, INSTRUCTION_BYTES, type UntypedFields } from './table.js';
import { type Instruction, MalformedInstructionError, decodeInstruction } from './encoding.js';
import type { ProgramImage } from './container.js';

const DATA_LINE_BYTES = 32;

export function formatField(f: FieldSpec, v: FieldValue): string {
  if (typeof v === 'string') return v; // an enum value's name
  switch (f.kind) {
    case 'enum':
      return String(v);
    case 'mask': {
      if (v === 0) return 'none';
      const names: string[] = [];
      for (let i = 0; i < f.bits; i++) if (v & (1 << i)) names.push(`s${i}`);
      return names.join('|');
    }
    case 'int':
      return String(v);
    case 'uint':
      return f.display === 'hex' ? `0x${v.toString(16)}` : String(v);
  }
}

export function formatInstruction(ins: Instruction): string {
  const values = ins.fields as UntypedFields;
  const ops = ins.spec.fields.filter((f) => f.default === undefined || values[f.name] !== f.default).map((f) => `${f.name}=${formatField(f, values[f.name]!)}`);
  return ops.length ? `${ins.mnemonic} ${ops.join(', ')}` : ins.mnemonic;
}

/** Decode every word; a malformed one is reported with its PC. */
export function decodeAll(image: ProgramImage): Instruction[] {
  const n = image.words.length / INSTRUCTION_BYTES;
  const out: Instruction[] = [];
  for (let pc = 0; pc < n; pc++) {
    try {
      out.push(decodeInstruction(image.words, pc * INSTRUCTION_BYTES));
    } catch (e) {
      if (e instanceof MalformedInstructionError) throw new MalformedInstructionError(`pc ${pc}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

export function disassemble(image: ProgramImage): string {
  const instructions = decodeAll(image);
  const lines: string[] = ['; ivit program (disassembled)'];
  for (const s of image.symbols) if (s.kind === 'const') lines.push(`.equ ${s.name}, ${s.value}`);
  for (const seg of image.dram) {
    for (let at = 0; at < seg.bytes.length; at += DATA_LINE_BYTES) {
      const part = seg.bytes.subarray(at, Math.min(seg.bytes.length, at + DATA_LINE_BYTES));
      lines.push(`.bytes @0x${(seg.addr + at).toString(16)}, 0x${Buffer.from(part).toString('hex')}`);
    }
  }
  const regions = image.symbols.filter((s) => s.kind === 'region');
  for (let pc = 0; pc <= instructions.length; pc++) {
    for (const r of regions) if (r.value === pc) lines.push(`${r.name}:`);
    if (pc < instructions.length) lines.push(`    ${formatInstruction(instructions[pc]!)}`);
  }
  return `${lines.join('\n')}\n`;
}
