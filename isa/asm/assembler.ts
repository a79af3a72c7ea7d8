/**
 * The assembler: text → program image. Every problem is collected as a diagnostic with file:line:column and the
 * offending text, and all of them are reported together in one AssemblyError.
 */
import { asmLexer } from './lexer.js';
import { lineParser, numberValue } from './parser.js';
import type { Expr, Item, Line, Pos } from './ast.js';
import { BY_MNEMONIC, type FieldSpec, type FieldValue, INSTRUCTION_BYTES, SEMAPHORES, enumValues, fieldRange } from '../table.js';
import { type Instruction, checkedInstruction, encodeInstruction, fieldProblems } from '../encoding.js';
import type { DramSegment, ProgramImage, ProgramSymbol } from '../container.js';
import { randomInts } from './prng.js';

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  text: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message} (at "${d.text.length > 40 ? `${d.text.slice(0, 37)}...` : d.text}")`;
}

export class AssemblyError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    super(`${diagnostics.length} assembly error${diagnostics.length === 1 ? '' : 's'}:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    this.name = 'AssemblyError';
  }
}

export interface AssembledProgram extends ProgramImage {
  instructions: Instruction[];
  /** source line of each instruction (for faults and listings) */
  sourceLines: number[];
}

const DATA_TYPES: Record<string, { bytes: number; lo: number; hi: number }> = {
  i8: { bytes: 1, lo: -128, hi: 127 },
  u8: { bytes: 1, lo: 0, hi: 255 },
  i16: { bytes: 2, lo: -32768, hi: 32767 },
  u16: { bytes: 2, lo: 0, hi: 65535 },
  i32: { bytes: 4, lo: -2147483648, hi: 2147483647 },
  u32: { bytes: 4, lo: 0, hi: 4294967295 },
};

const MAX_DATA_BYTES = 1 << 28;

interface Chunk {
  addr: number;
  bytes: Uint8Array;
  pos: Pos;
}

class Session {
  readonly diags: Diagnostic[] = [];
  constructor(readonly file: string) {}

  error(pos: Pos | undefined, message: string, lineNo = 0): void {
    this.diags.push({ file: this.file, line: pos?.line || lineNo, column: pos?.column || 1, text: pos?.text ?? '', message });
  }
}

/** Parse every line on its own, so that one bad line never hides the errors of the next. */
function parseLines(text: string, s: Session): Line[] {
  const out: Line[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const src = lines[i]!;
    const lex = asmLexer.tokenize(src);
    if (lex.errors.length) {
      for (const e of lex.errors) {
        const col = e.column ?? 1;
        s.error({ line: i + 1, column: col, text: src.slice(col - 1, col - 1 + Math.max(1, e.length)) }, `unexpected character "${src.charAt(col - 1)}"`);
      }
      continue;
    }
    if (lex.tokens.length === 0) continue;
    for (const t of lex.tokens) t.startLine = i + 1;
    lineParser.input = lex.tokens;
    const ast = lineParser.line();
    if (lineParser.errors.length) {
      for (const e of lineParser.errors) {
        const t = e.token;
        const real = t && Number.isFinite(t.startColumn) && t.tokenType.name !== 'EOF';
        const pos: Pos = real ? { line: i + 1, column: t.startColumn!, text: t.image } : { line: i + 1, column: src.trimEnd().length + 1, text: src.trim() };
        s.error(
          pos,
          real
            ? `syntax error: unexpected "${t.image}" (${describeExpectation(e.message)})`
            : `syntax error: the line ends too early (${describeExpectation(e.message)})`,
        );
      }
      continue;
    }
    out.push(ast);
  }
  return out;
}

function describeExpectation(msg: string): string {
  const one = msg
    .replace(/\s+/g, ' ')
    .replace(/<\[?(\w+)\]?>/g, '$1')
    .trim();
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
}

type Resolver = (name: string, pos: Pos) => number | undefined;

function evaluate(e: Expr, resolve: Resolver, s: Session): number | undefined {
  switch (e.kind) {
    case 'num':
      if (!Number.isSafeInteger(e.value)) {
        s.error(e.pos, 'number is not an integer below 2^53');
        return undefined;
      }
      return e.value;
    case 'ident':
      return resolve(e.name, e.pos);
    case 'neg': {
      const v = evaluate(e.arg, resolve, s);
      return v === undefined ? undefined : -v + 0;
    }
    case 'bin': {
      const a = evaluate(e.left, resolve, s);
      const b = evaluate(e.right, resolve, s);
      if (a === undefined || b === undefined) return undefined;
      let v: number;
      if (e.op === '|') {
        if (a < 0 || b < 0) {
          s.error(e.pos, '"|" needs non-negative operands');
          return undefined;
        }
        v = Number(BigInt(a) | BigInt(b));
      } else v = e.op === '+' ? a + b : e.op === '-' ? a - b : a * b;
      if (!Number.isSafeInteger(v)) {
        s.error(e.pos, 'expression value is not an integer below 2^53');
        return undefined;
      }
      return v;
    }
  }
}

export function assemble(text: string, file = '<input>'): AssembledProgram {
  const s = new Session(file);
  const lines = parseLines(text, s);

  // Pass 1: instruction addresses of labels.
  const labels = new Map<string, { pc: number; pos: Pos }>();
  let pc = 0;
  for (const l of lines) {
    if (l.label) {
      if (labels.has(l.label.name)) s.error(l.label.pos, `label "${l.label.name}" is already defined on line ${labels.get(l.label.name)!.pos.line}`);
      else labels.set(l.label.name, { pc, pos: l.label.pos });
    }
    if (l.instruction) pc++;
  }

  // Pass 2: constants, in file order; each may use labels and earlier constants.
  const consts = new Map<string, number>();
  const constOrder: string[] = [];
  const generalResolver: Resolver = (name, pos) => {
    const c = consts.get(name);
    if (c !== undefined) return c;
    const lab = labels.get(name);
    if (lab) return lab.pc;
    s.error(pos, `unknown symbol "${name}"`);
    return undefined;
  };
  for (const l of lines) {
    if (l.directive?.name !== '.equ') continue;
    const d = l.directive;
    const [nameItem, valueItem, ...rest] = d.items;
    if (!nameItem || nameItem.kind !== 'plain' || nameItem.expr.kind !== 'ident' || !valueItem || valueItem.kind !== 'plain' || rest.length) {
      s.error(d.pos, '.equ needs a name and a value: .equ NAME, expression');
      continue;
    }
    const name = nameItem.expr.name;
    if (consts.has(name) || labels.has(name)) {
      s.error(nameItem.pos, `symbol "${name}" is already defined`);
      continue;
    }
    const v = evaluate(valueItem.expr, generalResolver, s);
    if (v !== undefined) {
      consts.set(name, v);
      constOrder.push(name);
    }
  }

  // Pass 3: instructions and data.
  const instructions: Instruction[] = [];
  const sourceLines: number[] = [];
  const chunks: Chunk[] = [];
  for (const l of lines) {
    if (l.instruction) {
      const ins = assembleInstruction(l.instruction, generalResolver, (name) => consts.has(name) || labels.has(name), s);
      if (ins) {
        instructions.push(ins);
        sourceLines.push(l.instruction.pos.line);
      } else {
        instructions.push(undefined as unknown as Instruction); // keeps PCs aligned; an error is already recorded
        sourceLines.push(l.instruction.pos.line);
      }
    }
    if (l.directive && l.directive.name !== '.equ') {
      const c = assembleData(l.directive, generalResolver, s);
      if (c) chunks.push(c);
    }
  }
  const dram = coalesce(chunks, s);
  if (s.diags.length) throw new AssemblyError(s.diags);

  const words = new Uint8Array(instructions.length * INSTRUCTION_BYTES);
  instructions.forEach((ins, i) => words.set(encodeInstruction(ins), i * INSTRUCTION_BYTES));
  const symbols: ProgramSymbol[] = [
    ...constOrder.map((name) => ({ name, kind: 'const' as const, value: consts.get(name)! })),
    ...[...labels.entries()].map(([name, v]) => ({ name, kind: 'region' as const, value: v.pc })).sort((a, b) => a.value - b.value),
  ];
  return { words, dram, symbols, instructions, sourceLines };
}

function fieldResolver(f: FieldSpec, general: Resolver, known: (name: string) => boolean, s: Session): Resolver {
  return (name, pos) => {
    if (f.kind === 'enum') {
      const i = enumValues(f).indexOf(name);
      if (i >= 0) return i;
      if (!known(name)) {
        s.error(pos, `${f.name} must be one of ${enumValues(f).join(', ')}; got "${name}"`);
        return undefined;
      }
    }
    if (f.kind === 'mask') {
      if (name === 'none') return 0;
      const m = /^s([0-9]+)$/.exec(name);
      if (m && Number(m[1]) < SEMAPHORES) return 2 ** Number(m[1]);
      if (!known(name)) {
        s.error(pos, `${f.name} takes semaphores s0..s${SEMAPHORES - 1} joined by "|", or none; got "${name}"`);
        return undefined;
      }
    }
    return general(name, pos);
  };
}

function assembleInstruction(ins: NonNullable<Line['instruction']>, general: Resolver, known: (name: string) => boolean, s: Session): Instruction | undefined {
  const spec = BY_MNEMONIC.get(ins.mnemonic);
  if (!spec) {
    s.error(ins.pos, `unknown instruction "${ins.mnemonic}" (expected one of ${[...BY_MNEMONIC.keys()].join(', ')})`);
    return undefined;
  }
  const fields: Record<string, FieldValue> = {};
  let ok = true;
  const seen = new Set<string>();
  for (const op of ins.operands) {
    const f = spec.fields.find((x) => x.name === op.key);
    if (!f) {
      s.error(op.pos, `${spec.mnemonic} has no operand "${op.key}" (operands: ${spec.fields.map((x) => x.name).join(', ')})`);
      ok = false;
      continue;
    }
    if (seen.has(op.key)) {
      s.error(op.pos, `operand "${op.key}" is given twice`);
      ok = false;
      continue;
    }
    seen.add(op.key);
    const v = evaluate(op.expr, fieldResolver(f, general, known, s), s);
    if (v === undefined) {
      ok = false;
      continue;
    }
    const { lo, hi } = fieldRange(f);
    if (v < lo || v > hi) {
      s.error(
        op.pos,
        f.kind === 'enum' ? `${op.key} must be one of ${enumValues(f).join(', ')}` : `${op.key} = ${v} does not fit its ${f.bits}-bit field (${lo}..${hi})`,
      );
      ok = false;
      continue;
    }
    fields[op.key] = f.kind === 'enum' ? enumValues(f)[v]! : v; // an enum operand evaluates to its index
  }
  for (const f of spec.fields) {
    if (fields[f.name] !== undefined || seen.has(f.name)) continue;
    if (f.default !== undefined) fields[f.name] = f.default;
    else {
      s.error(ins.pos, `${spec.mnemonic} needs operand "${f.name}" (${f.doc})`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const problems = fieldProblems(spec, fields);
  if (problems.length) {
    for (const p of problems) s.error(ins.pos, `${spec.mnemonic}: ${p}`);
    return undefined;
  }
  return checkedInstruction(spec, fields);
}

function assembleData(d: NonNullable<Line['directive']>, general: Resolver, s: Session): Chunk | undefined {
  if (!['.data', '.rand', '.bytes'].includes(d.name)) {
    s.error(d.pos, `unknown directive "${d.name}" (expected .equ, .data, .rand, .bytes)`);
    return undefined;
  }
  const at = d.items[0];
  if (!at || at.kind !== 'at') {
    s.error(d.pos, `${d.name} needs a DRAM address first: ${d.name} @address, ...`);
    return undefined;
  }
  const addr = evaluate(at.expr, general, s);
  if (addr === undefined) return undefined;
  if (addr < 0 || addr >= 2 ** 32) {
    s.error(at.pos, `DRAM address ${addr} is outside 0..2^32−1`);
    return undefined;
  }
  const rest = d.items.slice(1);
  if (d.name === '.bytes') return bytesDirective(d, addr, rest, s);
  const typeItem = rest[0];
  const typeName = typeItem && typeItem.kind === 'plain' && typeItem.expr.kind === 'ident' ? typeItem.expr.name : undefined;
  const type = typeName ? DATA_TYPES[typeName] : undefined;
  if (!type) {
    s.error(typeItem?.pos ?? d.pos, `${d.name} needs an element type after the address (${Object.keys(DATA_TYPES).join(', ')})`);
    return undefined;
  }
  let values: number[];
  if (d.name === '.data') {
    values = [];
    for (const it of rest.slice(1)) {
      if (it.kind !== 'plain') {
        s.error(it.pos, '.data takes plain values after the type');
        return undefined;
      }
      const v = evaluate(it.expr, general, s);
      if (v === undefined) return undefined;
      if (v < type.lo || v > type.hi) {
        s.error(it.pos, `${v} does not fit ${typeName} (${type.lo}..${type.hi})`);
        return undefined;
      }
      values.push(v);
    }
    if (values.length === 0) {
      s.error(d.pos, '.data needs at least one value');
      return undefined;
    }
  } else {
    const keyed = new Map<string, number>();
    for (const it of rest.slice(1)) {
      if (it.kind !== 'keyed' || !['count', 'seed', 'min', 'max'].includes(it.key) || keyed.has(it.key)) {
        s.error(it.pos, '.rand takes count=, seed= and optionally min=, max= (each once)');
        return undefined;
      }
      const v = evaluate(it.expr, general, s);
      if (v === undefined) return undefined;
      keyed.set(it.key, v);
    }
    const count = keyed.get('count');
    const seed = keyed.get('seed');
    const min = keyed.get('min') ?? type.lo;
    const max = keyed.get('max') ?? type.hi;
    if (count === undefined || seed === undefined) {
      s.error(d.pos, '.rand needs count= and seed=');
      return undefined;
    }
    if (count < 1 || count * type.bytes > MAX_DATA_BYTES) {
      s.error(d.pos, `.rand count ${count} must be in 1..${MAX_DATA_BYTES / type.bytes}`);
      return undefined;
    }
    if (min < type.lo || max > type.hi || min > max) {
      s.error(d.pos, `.rand range ${min}..${max} must lie inside ${typeName} (${type.lo}..${type.hi}) with min ≤ max`);
      return undefined;
    }
    values = randomInts(count, seed, min, max);
  }
  const bytes = new Uint8Array(values.length * type.bytes);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    if (type.bytes === 1) view.setUint8(i, v & 0xff);
    else if (type.bytes === 2) view.setUint16(2 * i, v & 0xffff, true);
    else view.setUint32(4 * i, v >>> 0, true);
  });
  return { addr, bytes, pos: d.pos };
}

function bytesDirective(d: NonNullable<Line['directive']>, addr: number, rest: Item[], s: Session): Chunk | undefined {
  const it = rest[0];
  if (rest.length !== 1 || !it || it.kind !== 'plain' || it.expr.kind !== 'num' || !/^0[xX][0-9a-fA-F]+$/.test(it.expr.pos.text)) {
    s.error(it?.pos ?? d.pos, '.bytes takes one hexadecimal blob: .bytes @address, 0x0a0bff...');
    return undefined;
  }
  const hex = it.expr.pos.text.slice(2);
  if (hex.length % 2 !== 0) {
    s.error(it.pos, '.bytes blob needs an even number of hex digits');
    return undefined;
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return { addr, bytes, pos: d.pos };
}

/** Sort data by address, reject overlaps, and merge touching pieces into segments. */
function coalesce(chunks: Chunk[], s: Session): DramSegment[] {
  const sorted = [...chunks].sort((a, b) => a.addr - b.addr);
  const out: { addr: number; parts: Uint8Array[]; end: number }[] = [];
  let prev: Chunk | undefined;
  for (const c of sorted) {
    if (c.addr + c.bytes.length > 2 ** 32) {
      s.error(c.pos, 'data runs past the 4 GiB DRAM address space');
      continue;
    }
    if (prev && c.addr < prev.addr + prev.bytes.length) {
      s.error(c.pos, `data at 0x${c.addr.toString(16)} overlaps data from line ${prev.pos.line}`);
      continue;
    }
    const last = out[out.length - 1];
    if (last && last.end === c.addr) {
      last.parts.push(c.bytes);
      last.end += c.bytes.length;
    } else out.push({ addr: c.addr, parts: [c.bytes], end: c.addr + c.bytes.length });
    prev = c;
  }
  return out.map((o) => {
    const bytes = new Uint8Array(o.end - o.addr);
    let at = 0;
    for (const p of o.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { addr: o.addr, bytes };
  });
}

export { numberValue };
