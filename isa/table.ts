/**
 * The instruction table: the single source of truth for the ISA. The encoder, decoder, assembler checks,
 * disassembler and docs/isa.md are all derived from it, and its types reach every user: a mnemonic is a type,
 * a field name is a key of its instruction's field record, and an enum field's value is one of its names.
 * Every instruction is one 256-bit word: a 6-bit opcode, an 8-bit semaphore wait mask and an 8-bit signal mask,
 * then its operand fields packed from bit 22 upward in table order. Bits above the last field are reserved and
 * must be zero.
 */
import { PYTORCH_NUMERICS } from '../verify/golden/numerics-config.js';

export const INSTRUCTION_BITS = 256;
export const INSTRUCTION_BYTES = INSTRUCTION_BITS / 8;
export const OPCODE_BITS = 6;
export const SEMAPHORES = 8;

/** The execution unit whose queue runs an instruction. */
export const UNITS = ['load', 'compute', 'sdu', 'store'] as const;
export type UnitName = (typeof UNITS)[number];

/** A fresh per-unit record, every unit set to `value`. */
export function perUnit<T>(value: T): Record<UnitName, T> {
  return Object.fromEntries(UNITS.map((u) => [u, value])) as Record<UnitName, T>;
}

/**
 * Every enumerated field's values, named once: each instruction with a field of that kind shares the same names
 * and the same encoding (the index).
 */
export const ENUMS = {
  /** scratchpad (bytes) or accumulator buffer (int32 words) */
  space: ['spad', 'acc'],
  elem: ['i8', 'i16', 'i32'],
  /** a GEMM's A operand */
  atype: ['i8', 'i16'],
  init: ['zero', 'acc', 'bias'],
  /** requant tables: none (no requant), one (m, c) pair, or one per column */
  qmode: ['none', 'tensor', 'channel'],
  bmode: ['none', 'table'],
  reduction: ['max', 'sum'],
  /** a GEMM's product: A·B, or FQ-ViT's log-attention shift ⌊B·2^F / 2^A⌋ (A a LIS code, −1 = probability 0) */
  amode: ['mul', 'shift'],
  /** LayerNorm: I-LayerNorm, or FQ-ViT's power-of-two-scale LayerNorm */
  lnmode: ['ilayernorm', 'pts'],
  unit: UNITS,
} as const;
export type EnumName = keyof typeof ENUMS;
export type EnumValue<E extends EnumName> = (typeof ENUMS)[E][number];

/** Bytes and bits of each element type, in ENUMS.elem order. */
export const ELEM_BYTES: Readonly<Record<EnumValue<'elem'>, number>> = { i8: 1, i16: 2, i32: 4 };
export const ELEM_BITS: Readonly<Record<EnumValue<'elem'>, number>> = { i8: 8, i16: 16, i32: 32 };

interface FieldBase<N extends string> {
  readonly name: N;
  readonly bits: number;
  readonly doc: string;
}
/** Unsigned; `hex` fields (addresses) are shown in hexadecimal by the disassembler. */
export interface UintField<N extends string = string> extends FieldBase<N> {
  readonly kind: 'uint';
  readonly display: 'dec' | 'hex';
  readonly default?: number;
}
/** Two's complement. */
export interface IntField<N extends string = string> extends FieldBase<N> {
  readonly kind: 'int';
  readonly default?: number;
}
/** A semaphore set, written s0|s3 or none. */
export interface MaskField<N extends string = string> extends FieldBase<N> {
  readonly kind: 'mask';
  readonly default?: number;
}
export interface EnumField<N extends string = string, E extends EnumName = EnumName> extends FieldBase<N> {
  readonly kind: 'enum';
  readonly enum: E;
  readonly default?: EnumValue<E>;
}
export type FieldSpec = UintField | IntField | MaskField | EnumField;

/** A field's value in a decoded instruction: a name for an enum field, else the integer. */
export type FieldValue = number | string;
type ValueOf<F> = F extends { kind: 'enum'; enum: infer E extends EnumName } ? EnumValue<E> : number;
/** The field record of an instruction with these fields. */
export type FieldsOf<Fs extends readonly FieldSpec[]> = { readonly [F in Fs[number] as F['name']]: ValueOf<F> };
/** Field values before typing: what the assembler builds and the generic encoder checks. */
export type UntypedFields = Readonly<Record<string, FieldValue>>;

export interface InstructionDef<M extends string = string, Fs extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly mnemonic: M;
  readonly opcode: number;
  /** the unit, or 'operand' for NOP, whose unit is its `unit` field */
  readonly unit: UnitName | 'operand';
  readonly doc: string;
  readonly fields: Fs;
  /** checks on field values beyond their widths; a problem per violated rule (method syntax: one checker serves many) */
  check?(f: NoInfer<FieldsOf<Fs>>): string[];
}
/** Any instruction's table entry, without its precise types. */
export type InstructionSpec = InstructionDef<string, readonly FieldSpec[]>;

const uint = <N extends string>(name: N, bits: number, doc: string, dflt?: number): UintField<N> => ({
  name,
  bits,
  kind: 'uint',
  display: 'dec',
  doc,
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const address = <N extends string>(name: N, bits: number, doc: string, dflt?: number): UintField<N> => ({ ...uint(name, bits, doc, dflt), display: 'hex' });
const int = <N extends string>(name: N, bits: number, doc: string): IntField<N> => ({ name, bits, kind: 'int', doc });
const mask = <N extends string>(name: N, doc: string): MaskField<N> => ({ name, bits: SEMAPHORES, kind: 'mask', default: 0, doc });
/** An enum field is as wide as its value list needs. */
const enumField = <N extends string, E extends EnumName>(name: N, e: E, doc: string, dflt?: EnumValue<E>): EnumField<N, E> => ({
  name,
  bits: Math.max(1, Math.ceil(Math.log2(ENUMS[e].length))),
  kind: 'enum',
  enum: e,
  doc,
  ...(dflt !== undefined ? { default: dflt } : {}),
});

const HEADER = [
  mask('wait', 'semaphores that must each be > 0 before the instruction starts; each is decremented when it starts'),
  mask('signal', 'semaphores incremented when the instruction completes'),
] as const;

const ADDR = 24; // on-chip addresses: scratchpad bytes or accumulator words
const DIM = 16;
const STRIDE = 16;

/** A typed on-chip operand: space, address, row stride (elements), element type. */
function operand<P extends string>(prefix: P, what: string, space: EnumValue<'space'>, type: EnumValue<'elem'>) {
  return [
    enumField(`${prefix}space`, 'space', `${what}: spad or acc`, space),
    address(prefix, ADDR, `${what}: address of the first element (bytes in spad, words in acc)`),
    uint(`${prefix}stride`, STRIDE, `${what}: elements between the starts of two rows`),
    enumField(`${prefix}type`, 'elem', `${what}: element type`, type),
  ] as const;
}

/** The four fields of an on-chip operand with prefix P, as `operand` declares them: Pspace, P, Pstride, Ptype. */
export type OperandFields<P extends string> = { readonly [K in `${P}space`]: EnumValue<'space'> } & { readonly [K in P | `${P}stride`]: number } & {
  readonly [K in `${P}type`]: EnumValue<'elem'>;
};

const ROWS_COLS = [uint('rows', DIM, 'rows processed (one SDU row operation each)'), uint('cols', DIM, 'elements per row')] as const;

function operandChecks(f: UntypedFields, prefixes: readonly string[]): string[] {
  const errs: string[] = [];
  for (const p of prefixes) {
    if (f[`${p}space`] === 'acc' && f[`${p}type`] !== 'i32') errs.push(`${p}: the accumulator buffer holds only i32 (set ${p}type=i32)`);
  }
  if (f.rows === 0) errs.push('rows must be at least 1');
  if (f.cols === 0) errs.push('cols must be at least 1');
  return errs;
}

const DMA_FIELDS = [
  address('dram', 32, 'DRAM byte address of the first row'),
  uint('dstride', 32, 'DRAM bytes between the starts of two rows'),
  enumField('space', 'space', 'on-chip side: spad or acc', 'spad'),
  address('local', ADDR, 'on-chip address of the first row (bytes in spad, words in acc)'),
  uint('lstride', ADDR, 'on-chip distance between the starts of two rows (bytes in spad, words in acc)'),
  uint('rows', DIM, 'rows transferred'),
  uint('bytes', DIM, 'bytes per row'),
] as const;

function dmaChecks(f: { readonly rows: number; readonly bytes: number; readonly space: EnumValue<'space'> }): string[] {
  const errs: string[] = [];
  if (f.rows === 0) errs.push('rows must be at least 1');
  if (f.bytes === 0) errs.push('bytes must be at least 1');
  if (f.space === 'acc' && f.bytes % 4 !== 0) errs.push(`bytes (${f.bytes}) must be a multiple of 4 for the accumulator buffer`);
  return errs;
}

/** A requant table pointer whose mode must name a table (requant and resadd always requantise). */
const requiredTable = (mode: FieldValue, name: string): string[] =>
  mode === 'none' ? [`${name}=none: this instruction always requantises (tensor or channel)`] : [];

function expChecks(f: { x0: number; n: number; k: number }): string[] {
  const e: string[] = [];
  if (f.x0 >= 0) e.push(`x0 must be negative, got ${f.x0}`);
  if (f.n < 1 || f.n > 30) e.push(`n must be in [1, 30], got ${f.n}`);
  if (f.k < 2 || f.k > 32) e.push(`k must be in [2, 32], got ${f.k}`);
  return e;
}

/** Declares one instruction, keeping its mnemonic and field tuple as literal types. */
function instruction<const M extends string, const Fs extends readonly FieldSpec[]>(d: InstructionDef<M, Fs>): InstructionDef<M, Fs> {
  return d;
}

// The exp units' default widths are the default numerics preset's (numerics.md §3, §4).
const SOFTMAX = PYTORCH_NUMERICS.softmax;
const GELU = PYTORCH_NUMERICS.gelu;

export const INSTRUCTIONS = [
  instruction({
    mnemonic: 'nop',
    opcode: 0,
    unit: 'operand',
    doc: 'Does nothing on the named unit except wait for and signal semaphores (a pure synchronisation point).',
    fields: [...HEADER, enumField('unit', 'unit', 'queue the NOP runs on')],
  }),
  instruction({
    mnemonic: 'load',
    opcode: 1,
    unit: 'load',
    doc: '2-D strided DMA from DRAM into the scratchpad or the accumulator buffer: rows × bytes.',
    fields: [...HEADER, ...DMA_FIELDS],
    check: dmaChecks,
  }),
  instruction({
    mnemonic: 'store',
    opcode: 2,
    unit: 'store',
    doc: '2-D strided DMA from the scratchpad or the accumulator buffer to DRAM: rows × bytes.',
    fields: [...HEADER, ...DMA_FIELDS],
    check: dmaChecks,
  }),
  instruction({
    mnemonic: 'gemm',
    opcode: 3,
    unit: 'compute',
    doc:
      'C[m×n] (int32, acc) = init + A[m×k] · B[n×k]ᵀ on the systolic array, folded over the array internally. ' +
      'A is int8 or int16 (int16 runs as two int8 passes), B is int8, both in the scratchpad.',
    fields: [
      ...HEADER,
      address('a', ADDR, 'scratchpad byte address of A[0][0]'),
      uint('astride', STRIDE, 'elements between rows of A (A is contiguous along k)'),
      enumField('atype', 'atype', 'element type of A', 'i8'),
      address('b', ADDR, 'scratchpad byte address of B[0][0] (int8)'),
      uint('bstride', STRIDE, 'bytes between rows of B (output channels j)'),
      uint('bstep', STRIDE, 'bytes between consecutive k of one B row (1 for weights [out×in]; the row length for a transposed operand such as V)', 1),
      address('c', ADDR, 'accumulator word address of C[0][0]'),
      uint('cstride', STRIDE, 'words between rows of C'),
      enumField('init', 'init', 'start from 0, from the current C (accumulate), or from a bias row broadcast over the rows', 'zero'),
      address('bias', ADDR, 'accumulator word address of the bias row (n words), used when init=bias', 0),
      uint('m', DIM, 'rows of A and C'),
      uint('n', DIM, 'rows of B = columns of C'),
      uint('k', DIM, 'reduction depth'),
      enumField('amode', 'amode', 'mul: A·B; shift: Σ ⌊B·2^fbits / 2^A⌋ over A ≥ 0 (LIS codes; A = −1 contributes 0)', 'mul'),
      uint('fbits', 5, 'shift mode: fraction bits F that B is shifted left by before the shift right by the code', 0),
    ],
    check: (f) => [
      ...(['m', 'n', 'k'] as const).filter((d) => f[d] === 0).map((d) => `${d} must be at least 1`),
      ...(f.amode === 'mul' && f.fbits !== 0 ? [`fbits (${f.fbits}) is only used with amode=shift`] : []),
    ],
  }),
  instruction({
    mnemonic: 'requant',
    opcode: 4,
    unit: 'sdu',
    doc: 'Dyadic requantisation of rows × cols: dst = clamp(RNE(src·m/2^c)) to the destination width, with one (m, c) pair or one per column (channel).',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'acc', 'i32'),
      ...operand('d', 'destination', 'spad', 'i8'),
      ...ROWS_COLS,
      enumField('qmode', 'qmode', 'one (m, c) pair, or one per column', 'tensor'),
      address('qtab', ADDR, 'scratchpad byte address of the (m int32, c int32) pairs'),
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...requiredTable(f.qmode, 'qmode')],
  }),
  instruction({
    mnemonic: 'resadd',
    opcode: 5,
    unit: 'sdu',
    doc: 'Residual add: dst = clamp(RNE(x·mx/2^cx) + RNE(y·my/2^cy)), each branch rounded on its own and only the sum clamped.',
    fields: [
      ...HEADER,
      ...operand('x', 'main branch', 'acc', 'i32'),
      ...operand('y', 'identity branch', 'spad', 'i16'),
      ...operand('d', 'destination', 'spad', 'i16'),
      ...ROWS_COLS,
      enumField('qxmode', 'qmode', 'x branch: one pair or one per column', 'tensor'),
      address('qx', ADDR, 'scratchpad address of the x branch (m, c) table'),
      enumField('qymode', 'qmode', 'y branch: one pair or one per column', 'tensor'),
      address('qy', ADDR, 'scratchpad address of the y branch (m, c) table'),
    ],
    check: (f) => [...operandChecks(f, ['x', 'y', 'd']), ...requiredTable(f.qxmode, 'qxmode'), ...requiredTable(f.qymode, 'qymode')],
  }),
  instruction({
    mnemonic: 'shiftmax',
    opcode: 6,
    unit: 'sdu',
    doc: 'Shiftmax of each row (numerics.md §3): out = (E·F) >> (32 − k), scale 2^−(k−1).',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'spad', 'i8'),
      ...operand('d', 'destination', 'spad', 'i16'),
      ...ROWS_COLS,
      int('x0', 24, 'the negative integer x0 = ⌊−1/S⌋ of the logit scale'),
      uint('n', 5, 'fraction bits of the shift-exp', SOFTMAX.n),
      uint('k', 6, 'output width', SOFTMAX.k),
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...expChecks(f)],
  }),
  instruction({
    mnemonic: 'shiftgelu',
    opcode: 7,
    unit: 'sdu',
    doc: 'ShiftGELU of each row (numerics.md §4): x·σ(1.702x), scale S·2^−(k−1); optionally requantised on the way out.',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'spad', 'i8'),
      ...operand('d', 'destination', 'spad', 'i16'),
      ...ROWS_COLS,
      int('x0', 24, 'the negative integer x0 of S_σ = S·1.702'),
      uint('n', 5, 'fraction bits of the shift-exp', GELU.n),
      uint('k', 6, 'σ has k − 1 bits', GELU.k),
      enumField('qmode', 'qmode', 'fused requant of the output: none, one pair, one per column', 'none'),
      address('qtab', ADDR, 'scratchpad address of the fused requant table', 0),
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...expChecks(f)],
  }),
  instruction({
    mnemonic: 'layernorm',
    opcode: 8,
    unit: 'sdu',
    doc: 'I-LayerNorm of each row (numerics.md §5): integer mean, variance sum, 10-step Newton square root, reciprocal, integer bias; optionally requantised on the way out.',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'spad', 'i16'),
      ...operand('d', 'destination', 'acc', 'i32'),
      ...ROWS_COLS,
      enumField('bmode', 'bmode', 'integer bias B: none (zeros) or one int32 per column', 'none'),
      address('btab', ADDR, 'scratchpad address of the int32 biases', 0),
      enumField('qmode', 'qmode', 'fused requant of the output: none, one pair, one per column', 'none'),
      address('qtab', ADDR, 'scratchpad address of the fused requant table', 0),
      enumField(
        'lnmode',
        'lnmode',
        'ilayernorm, or pts: int8 input at scales s·2^α_c, per-channel (M_c, N_c, B_c) output (docs/numerics.md, FQ-ViT)',
        'ilayernorm',
      ),
      address('atab', ADDR, 'pts: scratchpad address of the α_c (one byte per column)', 0),
      address('ptab', ADDR, 'pts: scratchpad address of the (M_c, N_c, B_c) int32 triples, one per column', 0),
    ],
    check: (f) => [
      ...operandChecks(f, ['s', 'd']),
      ...(f.lnmode === 'pts' && (f.bmode !== 'none' || f.qmode !== 'none')
        ? ['lnmode=pts folds bias and requant into its (M, N, B) table: bmode and qmode must be none']
        : []),
    ],
  }),
  instruction({
    mnemonic: 'lis',
    opcode: 10,
    unit: 'sdu',
    doc:
      "FQ-ViT's Log-Int-Softmax of each row (docs/numerics.md, FQ-ViT): I-BERT's i-exp, the row sum, and the code " +
      'round-log2(RNE(Σ/E_j)) clamped to 2^bits − 1; −1 where the probability is 0 (code past 2^bits − 1, or E_j = 0).',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'spad', 'i8'),
      ...operand('d', 'destination', 'spad', 'i8'),
      ...ROWS_COLS,
      int('x0', 24, 'the negative integer x0 = ⌊−0.6931/S⌋ of the logit scale'),
      int('pb', 32, "the polynomial's ⌊(b/a)/S⌋"),
      int('pc', 32, "the polynomial's ⌊(1/a)/S²⌋"),
      uint('bits', 4, 'code width b (codes 0 … 2^b − 1)', 4),
    ],
    check: (f) => [
      ...operandChecks(f, ['s', 'd']),
      ...(f.x0 >= 0 ? [`x0 must be negative, got ${f.x0}`] : []),
      ...(f.bits < 1 || f.bits > 8 ? [`bits must be in [1, 8], got ${f.bits}`] : []),
      ...(f.bits === 8 && f.dtype === 'i8' ? ['bits=8: codes up to 255 need an i16 destination'] : []),
    ],
  }),
  instruction({
    mnemonic: 'reduce',
    opcode: 9,
    unit: 'sdu',
    doc: 'Row reduction: dst[r] = max or sum of the row (one element per row).',
    fields: [
      ...HEADER,
      ...operand('s', 'source', 'spad', 'i8'),
      ...operand('d', 'destination', 'acc', 'i32'),
      ...ROWS_COLS,
      enumField('kind', 'reduction', 'which reduction'),
    ],
    check: (f) => operandChecks(f, ['s', 'd']),
  }),
] as const;

/** The table entries, with their precise types. */
export type AnyInstructionDef = (typeof INSTRUCTIONS)[number];
export type Mnemonic = AnyInstructionDef['mnemonic'];
export type SpecOf<M extends Mnemonic> = Extract<AnyInstructionDef, { mnemonic: M }>;
/** The field record of one instruction, e.g. Fields<'gemm'>['init'] is 'zero' | 'acc' | 'bias'. */
export type Fields<M extends Mnemonic> = FieldsOf<SpecOf<M>['fields']>;
/** Every instruction's field record, by mnemonic (the map behaviour tables are typed over). */
export type FieldsByMnemonic = { [M in Mnemonic]: Fields<M> };

export const BY_MNEMONIC: ReadonlyMap<string, InstructionSpec> = new Map(INSTRUCTIONS.map((s) => [s.mnemonic, s as InstructionSpec]));
export const BY_OPCODE: ReadonlyMap<number, InstructionSpec> = new Map(INSTRUCTIONS.map((s) => [s.opcode, s as InstructionSpec]));

/** Bit offset of each field (after the opcode), computed once from the table. */
export function fieldOffsets(spec: InstructionSpec): number[] {
  const out: number[] = [];
  let at = OPCODE_BITS;
  for (const f of spec.fields) {
    out.push(at);
    at += f.bits;
  }
  if (at > INSTRUCTION_BITS) throw new Error(`instruction ${spec.mnemonic} needs ${at} bits, more than ${INSTRUCTION_BITS}`);
  return out;
}

/** Range of raw (encoded) values a field accepts. */
export function fieldRange(f: FieldSpec): { lo: number; hi: number } {
  if (f.kind === 'int') return { lo: -(2 ** (f.bits - 1)), hi: 2 ** (f.bits - 1) - 1 };
  if (f.kind === 'enum') return { lo: 0, hi: ENUMS[f.enum].length - 1 };
  return { lo: 0, hi: 2 ** f.bits - 1 };
}

/** The names an enum field takes. */
export function enumValues(f: EnumField): readonly string[] {
  return ENUMS[f.enum];
}
