/** Fixed-width binary encoding of one instruction (256 bits, little-endian), derived from the instruction table. */
import {
  BY_MNEMONIC,
  BY_OPCODE,
  INSTRUCTION_BITS,
  INSTRUCTION_BYTES,
  OPCODE_BITS,
  type FieldSpec,
  type FieldValue,
  type Fields,
  type InstructionSpec,
  type Mnemonic,
  type SpecOf,
  type UnitName,
  type UntypedFields,
  enumValues,
  fieldOffsets,
  fieldRange,
} from './table.js';

/** One decoded instruction of mnemonic M: its table entry and a typed value for every field. */
export interface InstructionOf<M extends Mnemonic> {
  readonly mnemonic: M;
  readonly spec: SpecOf<M>;
  readonly fields: Fields<M>;
}
/** Any decoded instruction; switching on `mnemonic` narrows `fields`. */
export type Instruction = { [M in Mnemonic]: InstructionOf<M> }[Mnemonic];

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

/** The raw (encoded) value of a field's value, or undefined if the value is not of the field's kind. */
function rawValue(f: FieldSpec, v: FieldValue): number | undefined {
  if (f.kind === 'enum') {
    const i = typeof v === 'string' ? enumValues(f).indexOf(v) : -1;
    return i < 0 ? undefined : i;
  }
  return typeof v === 'number' ? v : undefined;
}

/** Every problem with a set of field values: missing, of the wrong kind, out of range, or breaking the instruction's rules. */
export function fieldProblems(spec: InstructionSpec, fields: UntypedFields): string[] {
  const errs: string[] = [];
  for (const f of spec.fields) {
    const v = fields[f.name];
    if (v === undefined) {
      errs.push(`missing operand ${f.name}`);
      continue;
    }
    if (f.kind === 'enum') {
      if (rawValue(f, v) === undefined) errs.push(`${f.name} = ${JSON.stringify(v)} is not one of ${enumValues(f).join(', ')}`);
      continue;
    }
    const { lo, hi } = fieldRange(f);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi)
      errs.push(`${f.name} = ${v} does not fit its ${f.bits}-bit field (${lo}..${hi})`);
  }
  for (const k of Object.keys(fields)) if (!spec.fields.some((f) => f.name === k)) errs.push(`${spec.mnemonic} has no operand ${k}`);
  if (errs.length === 0 && spec.check) errs.push(...spec.check(fields as Parameters<NonNullable<InstructionSpec['check']>>[0]));
  return errs;
}

/**
 * The one place untyped field values become a typed instruction: every field is checked against the table
 * (kind, range, the instruction's rules) first.
 */
export function checkedInstruction(spec: InstructionSpec, fields: UntypedFields): Instruction {
  const problems = fieldProblems(spec, fields);
  if (problems.length) throw new MalformedInstructionError(`${spec.mnemonic}: ${problems.join('; ')}`);
  return typed(spec, fields);
}

/** The cast itself, only for values already checked against the table. */
function typed(spec: InstructionSpec, fields: UntypedFields): Instruction {
  return { mnemonic: spec.mnemonic, spec, fields } as unknown as Instruction;
}

/** Build an instruction by name with typed fields (the compiler's and the tests' constructor). */
export function makeInstruction<M extends Mnemonic>(mnemonic: M, fields: Fields<M>): InstructionOf<M> {
  return checkedInstruction(BY_MNEMONIC.get(mnemonic)!, fields) as unknown as InstructionOf<M>;
}

export function encodeInstruction(ins: Instruction): Uint8Array {
  const problems = fieldProblems(ins.spec, ins.fields);
  if (problems.length) throw new MalformedInstructionError(`${ins.spec.mnemonic}: ${problems.join('; ')}`);
  const offs = offsetsOf(ins.spec);
  let word = BigInt(ins.spec.opcode);
  const values = ins.fields as UntypedFields;
  ins.spec.fields.forEach((f, i) => {
    let v = BigInt(rawValue(f, values[f.name]!)!);
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

interface DecodePlan {
  spec: InstructionSpec;
  offsets: number[];
  lo: number[];
  hi: number[];
  end: number; // first reserved bit
}

const PLANS = new Map<number, DecodePlan>();
function planOf(spec: InstructionSpec): DecodePlan {
  let p = PLANS.get(spec.opcode);
  if (!p) {
    const offsets = offsetsOf(spec);
    const ranges = spec.fields.map(fieldRange);
    const last = spec.fields.length - 1;
    p = { spec, offsets, lo: ranges.map((r) => r.lo), hi: ranges.map((r) => r.hi), end: last >= 0 ? offsets[last]! + spec.fields[last]!.bits : OPCODE_BITS };
    PLANS.set(spec.opcode, p);
  }
  return p;
}

/** `bits` (1..32) bits of a little-endian 256-bit word held as eight uint32 words, starting at bit `at`. */
function bitsAt(w: Uint32Array, at: number, bits: number): number {
  const i = at >>> 5;
  const s = at & 31;
  const lo = w[i]! >>> s; // 32 − s valid bits
  if (s + bits <= 32) return bits === 32 ? lo : (lo & ((1 << bits) - 1)) >>> 0;
  const hiBits = s + bits - 32; // 1..31
  return (w[i + 1]! & ((1 << hiBits) - 1)) * 2 ** (32 - s) + lo;
}

const WORDS = new Uint32Array(INSTRUCTION_BYTES / 4);

/** Decode the 32 bytes at `offset`; any invalid word raises MalformedInstructionError, never anything else. */
export function decodeInstruction(bytes: Uint8Array, offset = 0): Instruction {
  if (!(offset >= 0) || offset + INSTRUCTION_BYTES > bytes.length) throw new MalformedInstructionError(`instruction at byte ${offset} is truncated`);
  for (let i = 0; i < WORDS.length; i++) {
    const b = offset + 4 * i;
    WORDS[i] = (bytes[b]! | (bytes[b + 1]! << 8) | (bytes[b + 2]! << 16) | (bytes[b + 3]! << 24)) >>> 0;
  }
  const opcode = WORDS[0]! & ((1 << OPCODE_BITS) - 1);
  const spec = BY_OPCODE.get(opcode);
  if (!spec) throw new MalformedInstructionError(`unknown opcode ${opcode}`);
  const plan = planOf(spec);
  // reserved bits above the last field must be zero
  for (let at = plan.end; at < INSTRUCTION_BITS; at += 32 - (at & 31)) {
    if (bitsAt(WORDS, at, 32 - (at & 31)) !== 0)
      throw new MalformedInstructionError(`${spec.mnemonic}: reserved bits ${plan.end}..${INSTRUCTION_BITS - 1} are not zero`);
  }
  const fields: Record<string, FieldValue> = {};
  let problems: string[] | undefined;
  const specFields = spec.fields;
  for (let i = 0; i < specFields.length; i++) {
    const f = specFields[i]!;
    let v = bitsAt(WORDS, plan.offsets[i]!, f.bits);
    if (f.kind === 'int' && v >= 2 ** (f.bits - 1)) v -= 2 ** f.bits;
    if (v < plan.lo[i]! || v > plan.hi[i]!) (problems ??= []).push(`${f.name} = ${v} does not fit its ${f.bits}-bit field (${plan.lo[i]}..${plan.hi[i]})`);
    fields[f.name] = f.kind === 'enum' ? (enumValues(f)[v] ?? v) : v;
  }
  // every field is present and in range (the word has exactly the spec's fields): only the rules remain
  if (!problems && spec.check) {
    const broken = spec.check(fields as Parameters<NonNullable<InstructionSpec['check']>>[0]);
    if (broken.length) problems = broken;
  }
  if (problems) throw new MalformedInstructionError(`${spec.mnemonic}: ${problems.join('; ')}`);
  return typed(spec, fields);
}

/** The unit whose queue runs this instruction. */
export function unitOf(ins: Instruction): UnitName {
  return ins.mnemonic === 'nop' ? ins.fields.unit : (ins.spec.unit as UnitName);
}
