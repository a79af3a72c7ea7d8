/**
 * docs/isa.md, generated from the instruction table (run `node dist/isa/gen-docs.js`); a test checks that the
 * committed file is current.
 */
import { INSTRUCTIONS, INSTRUCTION_BITS, OPCODE_BITS, SEMAPHORES, type FieldSpec, enumValues, fieldOffsets } from './table.js';
import { CONTAINER_VERSION, MAGIC } from './container.js';

function kindOf(f: FieldSpec): string {
  switch (f.kind) {
    case 'enum':
      return enumValues(f)
        .map((v, i) => `${v}=${i}`)
        .join(', ');
    case 'mask':
      return `semaphore set (s0..s${SEMAPHORES - 1}, none)`;
    case 'int':
      return "signed (two's complement)";
    case 'uint':
      return f.display === 'hex' ? 'unsigned (address)' : 'unsigned';
  }
}

function defaultOf(f: FieldSpec): string {
  if (f.default === undefined) return 'required';
  if (f.kind === 'mask') return f.default === 0 ? 'none' : String(f.default);
  return String(f.default);
}

export function isaMarkdown(): string {
  const L: string[] = [];
  L.push('# ivit ISA');
  L.push('');
  L.push('<!-- Generated from isa/table.ts by `node dist/isa/gen-docs.js`; do not edit by hand (a test checks it is current). -->');
  L.push('');
  L.push('## Machine model');
  L.push('');
  L.push(
    'Four units run concurrently, each executing its own queue in program order: **load** (DMA DRAM → on-chip), ' +
      '**compute** (the systolic array), **sdu** (the shift/divide unit: requant, residual add, Shiftmax, ShiftGELU, ' +
      'I-LayerNorm, reductions) and **store** (DMA on-chip → DRAM). A fetch stage dispatches one instruction per cycle ' +
      'to the queue of its unit. Units synchronise through eight counting semaphores: an instruction starts when every ' +
      'semaphore in its `wait` mask is above zero (each is then decremented) and increments every semaphore in its ' +
      '`signal` mask when it completes. An instruction also holds every scratchpad and accumulator bank it touches ' +
      'from start to completion, so two units never use one bank at the same time.',
  );
  L.push('');
  L.push(
    'Memories: DRAM (bytes), the scratchpad `spad` (bytes; int8, int16 and int32 elements, little-endian) and the ' +
      'accumulator buffer `acc` (int32 words, word addressed). Operand strides count elements (words in `acc`), except ' +
      'the DMA and GEMM B strides, which count bytes (words for a DMA to `acc`).',
  );
  L.push('');
  L.push(
    'Requant tables are arrays of (m int32, c int32) pairs in the scratchpad: one pair (per tensor) or one per column ' +
      '(per channel); the value is clamp(RNE(z·m / 2^c)). A multiplier of exactly ±2^31 is stored as (±2^30, c − 1), which is the same ratio.',
  );
  L.push('');
  L.push('## Encoding');
  L.push('');
  L.push(
    `Every instruction is one ${INSTRUCTION_BITS}-bit word (${INSTRUCTION_BITS / 8} bytes, little-endian). Bits 0..${OPCODE_BITS - 1} hold the opcode; ` +
      `the fields follow from bit ${OPCODE_BITS} upward in the order listed below; bits above the last field are reserved and must be zero. ` +
      "Signed fields are two's complement. A word with an unknown opcode, non-zero reserved bits, an out-of-range enum or a broken operand rule is malformed.",
  );
  L.push('');
  L.push('## Program container');
  L.push('');
  L.push(
    `Magic \`${MAGIC}\`, version ${CONTAINER_VERSION}, instruction width, total length, the instruction words, the DRAM image ` +
      '(segments of address, length, bytes), a symbol table (region labels and constants) and a CRC-32 of everything before it. ' +
      'A truncated, padded or corrupted file is rejected with a message saying which check failed (see isa/container.ts).',
  );
  L.push('');
  L.push('## Assembly language');
  L.push('');
  L.push(
    'One statement per line: `[label:] mnemonic key=value, key=value ...` or a directive. Comments start with `;` or `//`. ' +
      'Values are expressions over numbers (decimal, `0x` hex, `0b` binary, `_` separators), constants and labels with `+ - * |` ' +
      'and parentheses. Enum operands take their names (`space=acc`, `dtype=i16`); semaphore masks take `s0|s3` or `none`. Operands with a default may be left out.',
  );
  L.push('');
  L.push('| directive | meaning |');
  L.push('|---|---|');
  L.push("| `.equ NAME, expr` | a constant (kept in the container's symbol table) |");
  L.push('| `.data @addr, type, v, v, ...` | values into the DRAM image (`i8 u8 i16 u16 i32 u32`) |');
  L.push('| `.rand @addr, type, count=N, seed=S[, min=a, max=b]` | N pseudo-random values (mulberry32; isa/asm/prng.ts) |');
  L.push("| `.bytes @addr, 0xHEX` | raw bytes (the disassembler's form) |");
  L.push('| `label:` | starts a program region (reports group cycles by region) |');
  L.push('');
  L.push(
    'Every error gives `file:line:column`, the message and the offending text; all errors of a file are reported together. ' +
      'The disassembler prints canonical text (defaults omitted, data as `.bytes`) that assembles back to the identical container.',
  );
  L.push('');
  L.push('## Instructions');
  L.push('');
  L.push('| mnemonic | opcode | unit | bits used |');
  L.push('|---|---|---|---|');
  for (const s of INSTRUCTIONS) {
    const offs = fieldOffsets(s);
    const last = s.fields.length ? offs[offs.length - 1]! + s.fields[s.fields.length - 1]!.bits : OPCODE_BITS;
    L.push(`| \`${s.mnemonic}\` | ${s.opcode} | ${s.unit === 'operand' ? '`unit` operand' : s.unit} | ${last} |`);
  }
  for (const s of INSTRUCTIONS) {
    L.push('');
    L.push(`### ${s.mnemonic} (opcode ${s.opcode})`);
    L.push('');
    L.push(s.doc);
    L.push('');
    L.push('| field | bits | offset | kind | default | meaning |');
    L.push('|---|---|---|---|---|---|');
    const offs = fieldOffsets(s);
    s.fields.forEach((f, i) => L.push(`| \`${f.name}\` | ${f.bits} | ${offs[i]} | ${kindOf(f)} | ${defaultOf(f)} | ${f.doc} |`));
  }
  L.push('');
  return L.join('\n');
}
