/**
 * The instruction table: the single source of truth for the ISA. The encoder, decoder, assembler checks,
 * disassembler and docs/isa.md are all derived from it. Every instruction is one 256-bit word: a 6-bit opcode,
 * an 8-bit semaphore wait mask and an 8-bit signal mask, then its operand fields packed from bit 22 upward in
 * table order. Bits above the last field are reserved and must be zero.
 */

export const INSTRUCTION_BITS = 256;
export const INSTRUCTION_BYTES = INSTRUCTION_BITS / 8;
export const OPCODE_BITS = 6;
export const SEMAPHORES = 8;

/** How a field's raw bits are read. */
export type FieldKind =
  | { kind: 'uint' }
  | { kind: 'int' } // two's complement
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'mask' }; // semaphore set, written s0|s3 or none

export interface FieldSpec {
  name: string;
  bits: number;
  type: FieldKind;
  /** value the assembler fills in when the operand is omitted (and the disassembler then leaves out) */
  default?: number;
  doc: string;
}

/** The execution unit whose queue runs an instruction. */
export type UnitName = 'load' | 'compute' | 'sdu' | 'store';
export const UNITS: readonly UnitName[] = ['load', 'compute', 'sdu', 'store'];

export interface InstructionSpec {
  mnemonic: string;
  opcode: number;
  /** the unit, or 'field:unit' for NOP, whose unit is an operand */
  unit: UnitName | 'operand';
  /** the instruction class reports group cycles by */
  klass: 'dma' | 'gemm' | 'requant' | 'resadd' | 'shiftmax' | 'shiftgelu' | 'layernorm' | 'reduce' | 'sync';
  doc: string;
  fields: readonly FieldSpec[];
  /** checks on field values beyond their widths; returns a problem per violated rule */
  check?: (f: Readonly<Record<string, number>>) => string[];
}

const uint = { kind: 'uint' } as const;
const int = { kind: 'int' } as const;
const mask = { kind: 'mask' } as const;
const enumOf = (...values: string[]): FieldKind => ({ kind: 'enum', values });

export const SPACE = ['spad', 'acc'] as const; // scratchpad (bytes) or accumulator buffer (int32 words)
export const ELEM = ['i8', 'i16', 'i32'] as const;
export const ELEM_BYTES = [1, 2, 4] as const;
export const ELEM_BITS = [8, 16, 32] as const;

const HEADER: readonly FieldSpec[] = [
  { name: 'wait', bits: SEMAPHORES, type: mask, default: 0, doc: 'semaphores that must each be > 0 before the instruction starts; each is decremented when it starts' },
  { name: 'signal', bits: SEMAPHORES, type: mask, default: 0, doc: 'semaphores incremented when the instruction completes' },
];

const ADDR = 24; // on-chip addresses: scratchpad bytes or accumulator words
const DIM = 16;
const STRIDE = 16;

/** A typed on-chip operand: space, address, row stride (elements), element type. */
function operand(prefix: string, what: string, defaults: { space?: number; type?: number } = {}): FieldSpec[] {
  return [
    { name: `${prefix}space`, bits: 1, type: enumOf(...SPACE), ...(defaults.space !== undefined ? { default: defaults.space } : {}), doc: `${what}: spad or acc` },
    { name: prefix, bits: ADDR, type: uint, doc: `${what}: address of the first element (bytes in spad, words in acc)` },
    { name: `${prefix}stride`, bits: STRIDE, type: uint, doc: `${what}: elements between the starts of two rows` },
    { name: `${prefix}type`, bits: 2, type: enumOf(...ELEM), ...(defaults.type !== undefined ? { default: defaults.type } : {}), doc: `${what}: element type` },
  ];
}

const ROWS_COLS: readonly FieldSpec[] = [
  { name: 'rows', bits: DIM, type: uint, doc: 'rows processed (one SDU row operation each)' },
  { name: 'cols', bits: DIM, type: uint, doc: 'elements per row' },
];

function operandChecks(f: Readonly<Record<string, number>>, prefixes: readonly string[]): string[] {
  const errs: string[] = [];
  for (const p of prefixes) {
    if (f[`${p}space`] === 1 && f[`${p}type`] !== 2) errs.push(`${p}: the accumulator buffer holds only i32 (set ${p}type=i32)`);
  }
  if (f.rows === 0) errs.push('rows must be at least 1');
  if (f.cols === 0) errs.push('cols must be at least 1');
  return errs;
}

const DMA_FIELDS: readonly FieldSpec[] = [
  { name: 'dram', bits: 32, type: uint, doc: 'DRAM byte address of the first row' },
  { name: 'dstride', bits: 32, type: uint, doc: 'DRAM bytes between the starts of two rows' },
  { name: 'space', bits: 1, type: enumOf(...SPACE), default: 0, doc: 'on-chip side: spad or acc' },
  { name: 'local', bits: ADDR, type: uint, doc: 'on-chip address of the first row (bytes in spad, words in acc)' },
  { name: 'lstride', bits: ADDR, type: uint, doc: 'on-chip distance between the starts of two rows (bytes in spad, words in acc)' },
  { name: 'rows', bits: DIM, type: uint, doc: 'rows transferred' },
  { name: 'bytes', bits: DIM, type: uint, doc: 'bytes per row' },
];

function dmaChecks(f: Readonly<Record<string, number>>): string[] {
  const errs: string[] = [];
  if (f.rows === 0) errs.push('rows must be at least 1');
  if (f.bytes === 0) errs.push('bytes must be at least 1');
  if (f.space === 1 && f.bytes! % 4 !== 0) errs.push(`bytes (${f.bytes}) must be a multiple of 4 for the accumulator buffer`);
  return errs;
}

const QMODE = ['none', 'tensor', 'channel'] as const;

export const INSTRUCTIONS: readonly InstructionSpec[] = [
  {
    mnemonic: 'nop', opcode: 0, unit: 'operand', klass: 'sync',
    doc: 'Does nothing on the named unit except wait for and signal semaphores (a pure synchronisation point).',
    fields: [...HEADER, { name: 'unit', bits: 2, type: enumOf('load', 'compute', 'sdu', 'store'), doc: 'queue the NOP runs on' }],
  },
  {
    mnemonic: 'load', opcode: 1, unit: 'load', klass: 'dma',
    doc: '2-D strided DMA from DRAM into the scratchpad or the accumulator buffer: rows × bytes.',
    fields: [...HEADER, ...DMA_FIELDS], check: dmaChecks,
  },
  {
    mnemonic: 'store', opcode: 2, unit: 'store', klass: 'dma',
    doc: '2-D strided DMA from the scratchpad or the accumulator buffer to DRAM: rows × bytes.',
    fields: [...HEADER, ...DMA_FIELDS], check: dmaChecks,
  },
  {
    mnemonic: 'gemm', opcode: 3, unit: 'compute', klass: 'gemm',
    doc: 'C[m×n] (int32, acc) = init + A[m×k] · B[n×k]ᵀ on the systolic array, folded over the array internally. '
      + 'A is int8 or int16 (int16 runs as two int8 passes), B is int8, both in the scratchpad.',
    fields: [
      ...HEADER,
      { name: 'a', bits: ADDR, type: uint, doc: 'scratchpad byte address of A[0][0]' },
      { name: 'astride', bits: STRIDE, type: uint, doc: 'elements between rows of A (A is contiguous along k)' },
      { name: 'atype', bits: 1, type: enumOf('i8', 'i16'), default: 0, doc: 'element type of A' },
      { name: 'b', bits: ADDR, type: uint, doc: 'scratchpad byte address of B[0][0] (int8)' },
      { name: 'bstride', bits: STRIDE, type: uint, doc: 'bytes between rows of B (output channels j)' },
      { name: 'bstep', bits: STRIDE, type: uint, default: 1, doc: 'bytes between consecutive k of one B row (1 for weights [out×in]; the row length for a transposed operand such as V)' },
      { name: 'c', bits: ADDR, type: uint, doc: 'accumulator word address of C[0][0]' },
      { name: 'cstride', bits: STRIDE, type: uint, doc: 'words between rows of C' },
      { name: 'init', bits: 2, type: enumOf('zero', 'acc', 'bias'), default: 0, doc: 'start from 0, from the current C (accumulate), or from a bias row broadcast over the rows' },
      { name: 'bias', bits: ADDR, type: uint, default: 0, doc: 'accumulator word address of the bias row (n words), used when init=bias' },
      { name: 'm', bits: DIM, type: uint, doc: 'rows of A and C' },
      { name: 'n', bits: DIM, type: uint, doc: 'rows of B = columns of C' },
      { name: 'k', bits: DIM, type: uint, doc: 'reduction depth' },
    ],
    check: (f) => {
      const e: string[] = [];
      for (const d of ['m', 'n', 'k'] as const) if (f[d] === 0) e.push(`${d} must be at least 1`);
      if (f.init === 3) e.push('init value 3 is reserved');
      return e;
    },
  },
  {
    mnemonic: 'requant', opcode: 4, unit: 'sdu', klass: 'requant',
    doc: 'Dyadic requantisation of rows × cols: dst = clamp(RNE(src·m/2^c)) to the destination width, with one (m, c) pair or one per column (channel).',
    fields: [
      ...HEADER, ...operand('s', 'source', { space: 1, type: 2 }), ...operand('d', 'destination', { space: 0, type: 0 }), ...ROWS_COLS,
      { name: 'qmode', bits: 1, type: enumOf('tensor', 'channel'), default: 0, doc: 'one (m, c) pair, or one per column' },
      { name: 'qtab', bits: ADDR, type: uint, doc: 'scratchpad byte address of the (m int32, c int32) pairs' },
    ],
    check: (f) => operandChecks(f, ['s', 'd']),
  },
  {
    mnemonic: 'resadd', opcode: 5, unit: 'sdu', klass: 'resadd',
    doc: 'Residual add: dst = clamp(RNE(x·mx/2^cx) + RNE(y·my/2^cy)), each branch rounded on its own and only the sum clamped.',
    fields: [
      ...HEADER, ...operand('x', 'main branch', { space: 1, type: 2 }), ...operand('y', 'identity branch', { space: 0, type: 1 }),
      ...operand('d', 'destination', { space: 0, type: 1 }), ...ROWS_COLS,
      { name: 'qxmode', bits: 1, type: enumOf('tensor', 'channel'), default: 0, doc: 'x branch: one pair or one per column' },
      { name: 'qx', bits: ADDR, type: uint, doc: 'scratchpad address of the x branch (m, c) table' },
      { name: 'qymode', bits: 1, type: enumOf('tensor', 'channel'), default: 0, doc: 'y branch: one pair or one per column' },
      { name: 'qy', bits: ADDR, type: uint, doc: 'scratchpad address of the y branch (m, c) table' },
    ],
    check: (f) => operandChecks(f, ['x', 'y', 'd']),
  },
  {
    mnemonic: 'shiftmax', opcode: 6, unit: 'sdu', klass: 'shiftmax',
    doc: 'Shiftmax of each row (numerics.md §3): out = (E·F) >> (32 − k), scale 2^−(k−1).',
    fields: [
      ...HEADER, ...operand('s', 'source', { space: 0, type: 0 }), ...operand('d', 'destination', { space: 0, type: 1 }), ...ROWS_COLS,
      { name: 'x0', bits: 24, type: int, doc: 'the negative integer x0 = ⌊−1/S⌋ of the logit scale' },
      { name: 'n', bits: 5, type: uint, default: 15, doc: 'fraction bits of the shift-exp' },
      { name: 'k', bits: 6, type: uint, default: 16, doc: 'output width' },
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...expChecks(f)],
  },
  {
    mnemonic: 'shiftgelu', opcode: 7, unit: 'sdu', klass: 'shiftgelu',
    doc: 'ShiftGELU of each row (numerics.md §4): x·σ(1.702x), scale S·2^−(k−1); optionally requantised on the way out.',
    fields: [
      ...HEADER, ...operand('s', 'source', { space: 0, type: 0 }), ...operand('d', 'destination', { space: 0, type: 1 }), ...ROWS_COLS,
      { name: 'x0', bits: 24, type: int, doc: 'the negative integer x0 of S_σ = S·1.702' },
      { name: 'n', bits: 5, type: uint, default: 23, doc: 'fraction bits of the shift-exp' },
      { name: 'k', bits: 6, type: uint, default: 8, doc: 'σ has k − 1 bits' },
      { name: 'qmode', bits: 2, type: enumOf(...QMODE), default: 0, doc: 'fused requant of the output: none, one pair, one per column' },
      { name: 'qtab', bits: ADDR, type: uint, default: 0, doc: 'scratchpad address of the fused requant table' },
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...expChecks(f), ...(f.qmode === 3 ? ['qmode value 3 is reserved'] : [])],
  },
  {
    mnemonic: 'layernorm', opcode: 8, unit: 'sdu', klass: 'layernorm',
    doc: 'I-LayerNorm of each row (numerics.md §5): integer mean, variance sum, 10-step Newton square root, reciprocal, integer bias; optionally requantised on the way out.',
    fields: [
      ...HEADER, ...operand('s', 'source', { space: 0, type: 1 }), ...operand('d', 'destination', { space: 1, type: 2 }), ...ROWS_COLS,
      { name: 'bmode', bits: 1, type: enumOf('none', 'table'), default: 0, doc: 'integer bias B: none (zeros) or one int32 per column' },
      { name: 'btab', bits: ADDR, type: uint, default: 0, doc: 'scratchpad address of the int32 biases' },
      { name: 'qmode', bits: 2, type: enumOf(...QMODE), default: 0, doc: 'fused requant of the output: none, one pair, one per column' },
      { name: 'qtab', bits: ADDR, type: uint, default: 0, doc: 'scratchpad address of the fused requant table' },
    ],
    check: (f) => [...operandChecks(f, ['s', 'd']), ...(f.qmode === 3 ? ['qmode value 3 is reserved'] : [])],
  },
  {
    mnemonic: 'reduce', opcode: 9, unit: 'sdu', klass: 'reduce',
    doc: 'Row reduction: dst[r] = max or sum of the row (one element per row).',
    fields: [
      ...HEADER, ...operand('s', 'source', { space: 0, type: 0 }), ...operand('d', 'destination', { space: 1, type: 2 }), ...ROWS_COLS,
      { name: 'kind', bits: 1, type: enumOf('max', 'sum'), doc: 'which reduction' },
    ],
    check: (f) => operandChecks(f, ['s', 'd']),
  },
];

function expChecks(f: Readonly<Record<string, number>>): string[] {
  const e: string[] = [];
  if (f.x0! >= 0) e.push(`x0 must be negative, got ${f.x0}`);
  if (f.n! < 1 || f.n! > 30) e.push(`n must be in [1, 30], got ${f.n}`);
  if (f.k! < 2 || f.k! > 32) e.push(`k must be in [2, 32], got ${f.k}`);
  return e;
}

export const BY_MNEMONIC: ReadonlyMap<string, InstructionSpec> = new Map(INSTRUCTIONS.map((s) => [s.mnemonic, s]));
export const BY_OPCODE: ReadonlyMap<number, InstructionSpec> = new Map(INSTRUCTIONS.map((s) => [s.opcode, s]));

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

/** Range of raw values a field accepts in its readable form. */
export function fieldRange(f: FieldSpec): { lo: number; hi: number } {
  if (f.type.kind === 'int') return { lo: -(2 ** (f.bits - 1)), hi: 2 ** (f.bits - 1) - 1 };
  if (f.type.kind === 'enum') return { lo: 0, hi: f.type.values.length - 1 };
  return { lo: 0, hi: 2 ** f.bits - 1 };
}
