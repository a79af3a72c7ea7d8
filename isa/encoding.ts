/** Fixed-width binary encoding of one instruction (256 bits, little-endian), derived from the instruction table. */
import { BY_OPCODE, INSTRUCTION_BITS, INSTRUCTION_BYTES, OPCODE_BITS, type InstructionSpec, fieldOffsets, fieldRange } from './table.js';

/** One decoded instruction: its table entry and a value for every field (enums as their index). */
export interface Instruction {
  spec: InstructionSpec;
  fields: Readonly<Record<string, number>>;
}

/** A word that is not a valid instruction: names what is wrong. */
export class MalformedInstructionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedInstructionError';
  }
}

const OFFSETS = new Map<InstructionSpec, number[]>();
function offsetsOf(spec: InstructionSpec): number[] {
  let o = OFFSETS.get(spec);
  if (!o) {
    o = fieldOffsets(spec);
    OFFSETS.set(spec, o);
  }
  return o;
}

/** Every problem with a set of field values: missing, out of range, or breaking the instruction's rules. */
export function fieldProblems(spec: InstructionSpec, fields: Readonly<Record<string, number>>): string[] {
  const errs: string[] = [];
  for (const f of spec.fields) {
    const v = fields[f.name];
    if (v === undefined) {
      errs.push(`missing operand ${f.name}`);
      continue;
    }
    const { lo, hi } = fieldRange(f);
    if (!Number.isSafeInteger(v) || v < lo || v > hi) errs.push(`${f.name} = ${v} does not fit its ${f.bits}-bit field (${lo}..${hi})`);
  }
  for (const k of Object.keys(fields)) if (!spec.fields.some((f) => f.name === k)) errs.push(`${spec.mnemonic} has no operand ${k}`);
  if (errs.length === 0 && spec.check) errs.push(...spec.check(fields));
  return errs;
}

export function encodeInstruction(ins: Instruction): Uint8Array {
  const problems = fieldProblems(ins.spec, ins.fields);
  if (problems.length) throw new MalformedInstructionError(`${ins.spec.mnemonic}: ${problems.join('; ')}`);
  const offs = offsetsOf(ins.spec);
  let word = BigInt(ins.spec.opcode);
  ins.spec.fields.forEach((f, i) => {
    let v = BigInt(ins.fields[f.name]!);
    if (v < 0n) v += 1n << BigInt(f.bits); // two's complement for int fields
    word |= v << BigInt(offs[i]!);
  });
  const out = new Uint8Array(INSTRUCTION_BYTES);
  for (let i = 0; i < INSTRUCTION_BYTES; i++) {
    out[i] = Number(word & 0xffn);
    word >>= 8n;
  }
  return out;
}

/** Decode the 32 bytes at `offset`; any invalid word raises MalformedInstructionError, never anything else. */
export function decodeInstruction(bytes: Uint8Array, offset = 0): Instruction {
  if (offset < 0 || offset + INSTRUCTION_BYTES > bytes.length) throw new MalformedInstructionError(`instruction at byte ${offset} is truncated`);
  let word = 0n;
  for (let i = INSTRUCTION_BYTES - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[offset + i]!);
  const opcode = Number(word & ((1n << BigInt(OPCODE_BITS)) - 1n));
  const spec = BY_OPCODE.get(opcode);
  if (!spec) throw new MalformedInstructionError(`unknown opcode ${opcode}`);
  const offs = offsetsOf(spec);
  const fields: Record<string, number> = {};
  let end = OPCODE_BITS;
  spec.fields.forEach((f, i) => {
    let v = (word >> BigInt(offs[i]!)) & ((1n << BigInt(f.bits)) - 1n);
    if (f.type.kind === 'int' && v >= 1n << BigInt(f.bits - 1)) v -= 1n << BigInt(f.bits);
    fields[f.name] = Number(v);
    end = offs[i]! + f.bits;
  });
  if (end < INSTRUCTION_BITS && word >> BigInt(end) !== 0n) throw new MalformedInstructionError(`${spec.mnemonic}: reserved bits ${end}..${INSTRUCTION_BITS - 1} are not zero`);
  const problems = fieldProblems(spec, fields);
  if (problems.length) throw new MalformedInstructionError(`${spec.mnemonic}: ${problems.join('; ')}`);
  return { spec, fields };
}

/** The unit whose queue runs this instruction. */
export function unitOf(ins: Instruction): 'load' | 'compute' | 'sdu' | 'store' {
  if (ins.spec.unit !== 'operand') return ins.spec.unit;
  return (['load', 'compute', 'sdu', 'store'] as const)[ins.fields.unit!]!;
}
