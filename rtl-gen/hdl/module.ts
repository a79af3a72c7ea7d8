/**
 * The hardware-description mechanism every generator uses: a module builder that holds ports, wires,
 * registers and instances, builds width-explicit expressions, and emits one Verilog-2005 module.
 *
 * Why width-explicit: `verilator --lint-only -Wall` rejects every implicit extension or truncation, and an
 * implicit one is also where bit-exactness bugs hide. Every operation here states its result width and
 * extends its operands to it, so the emitted Verilog never relies on context-determined widths.
 * Every value is an unsigned bit vector in Verilog; signedness is a property the builder tracks and applies
 * through explicit sign extension, `$signed` compares and `>>>`.
 */

/** A value of a known width: an expression text plus how to read its bits. */
export interface Expr {
  readonly code: string;
  readonly width: number;
  readonly signed: boolean;
  /** a plain identifier (can be indexed in Verilog-2005); composite expressions cannot */
  readonly name?: string;
}

/** A named value (port, wire or register): it can be sliced. */
export interface Signal extends Expr {
  readonly name: string;
}

export type PortDirection = 'input' | 'output';

interface PortDecl {
  name: string;
  dir: PortDirection;
  width: number;
  signed: boolean;
  doc: string;
}

interface WireDecl {
  name: string;
  width: number;
  value: Expr | undefined;
  /** why some bits are deliberately unused (emits a scoped lint waiver) */
  discards?: string;
}

interface RegDecl {
  name: string;
  width: number;
  next?: Expr;
  enable?: Expr;
  /** synchronous reset value; control registers only (data registers need none) */
  reset?: bigint;
  discards?: string;
}

interface InstanceDecl {
  module: string;
  name: string;
  connections: Array<[string, string]>;
}

/** The interface of a finished module, used to instantiate it. */
export interface ModuleInterface {
  readonly name: string;
  readonly ports: ReadonlyArray<{ name: string; dir: PortDirection; width: number; signed: boolean; doc: string }>;
}

export function bitsFor(maxValue: bigint | number): number {
  let v = BigInt(maxValue);
  if (v < 0n) throw new RangeError(`bitsFor(${v}): negative`);
  let n = 1;
  while (v > 1n) {
    v >>= 1n;
    n++;
  }
  return n;
}

function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** A constant of the given width (two's complement for negative values). */
export function lit(value: bigint | number, width: number, signed = false): Expr {
  const v = BigInt(value);
  const lo = signed ? -(1n << BigInt(width - 1)) : 0n;
  const hi = signed ? (1n << BigInt(width - 1)) - 1n : mask(width);
  if (v < lo || v > hi) throw new RangeError(`constant ${v} does not fit ${signed ? 'signed' : 'unsigned'} ${width} bits`);
  const bits = v & mask(width);
  return { code: `${width}'h${bits.toString(16)}`, width, signed };
}

export class ModuleBuilder implements ModuleInterface {
  readonly ports: PortDecl[] = [];
  private readonly wires: WireDecl[] = [];
  private readonly regs: RegDecl[] = [];
  private readonly instances: InstanceDecl[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly headerLines: string[];
  readonly clk: Signal;
  readonly rst: Signal;

  constructor(
    readonly name: string,
    doc: string[],
    opts: { clock?: boolean; reset?: boolean } = {},
  ) {
    this.headerLines = doc;
    const none: Signal = { code: '', width: 1, signed: false, name: '' };
    this.clk = (opts.clock ?? true) ? this.input('clk', 1, false, 'clock, rising edge') : none;
    this.rst = (opts.reset ?? true) ? this.input('rst', 1, false, 'synchronous reset, active high (control state only)') : none;
  }

  // ---- declarations -------------------------------------------------------------------------------

  private claim(name: string): string {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad Verilog name '${name}'`);
    if (this.names.has(name)) throw new Error(`duplicate name '${name}' in module ${this.name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh deterministic name: prefix, then prefix_1, prefix_2, ... in creation order. */
  fresh(prefix: string): string {
    if (!this.names.has(prefix)) return prefix;
    let i = this.counters.get(prefix) ?? 1;
    while (this.names.has(`${prefix}_${i}`)) i++;
    this.counters.set(prefix, i + 1);
    return `${prefix}_${i}`;
  }

  input(name: string, width: number, signed: boolean, doc: string): Signal {
    this.ports.push({ name: this.claim(name), dir: 'input', width, signed, doc });
    return { code: name, name, width, signed };
  }

  /** An output driven by `value` (same width). */
  output(name: string, value: Expr, doc: string): void {
    this.ports.push({ name: this.claim(name), dir: 'output', width: value.width, signed: value.signed, doc });
    this.wires.push({ name: `__port_${name}`, width: value.width, value: { ...value, code: value.code } });
  }

  /** Name an expression (a continuous assignment). */
  wire(prefix: string, value: Expr, opts: { discards?: string } = {}): Signal {
    const name = this.claim(this.fresh(prefix));
    const decl: WireDecl = { name, width: value.width, value };
    if (opts.discards !== undefined) decl.discards = opts.discards;
    this.wires.push(decl);
    return { code: name, name, width: value.width, signed: value.signed };
  }

  /** A wire declared now and driven later with `drive` (for loops through registers). */
  forward(prefix: string, width: number, signed = false): Signal {
    const name = this.claim(this.fresh(prefix));
    this.wires.push({ name, width, value: undefined });
    return { code: name, name, width, signed };
  }

  drive(target: Signal, value: Expr): void {
    const w = this.wires.find((d) => d.name === target.name);
    if (!w || w.value !== undefined) throw new Error(`${target.name} is not an undriven forward wire`);
    if (value.width !== w.width) throw new Error(`drive ${target.name}: width ${value.width} ≠ ${w.width}`);
    w.value = value;
  }

  /** A register; its next value is given later with `next` (so feedback loops can be written). */
  reg(prefix: string, width: number, opts: { signed?: boolean; reset?: bigint | number; discards?: string } = {}): Signal {
    const name = this.claim(this.fresh(prefix));
    const decl: RegDecl = { name, width };
    if (opts.reset !== undefined) decl.reset = BigInt(opts.reset);
    if (opts.discards !== undefined) decl.discards = opts.discards;
    this.regs.push(decl);
    return { code: name, name, width, signed: opts.signed ?? false };
  }

  /** Set a register's next value, loaded when `enable` is 1 (every cycle when omitted). */
  next(r: Signal, value: Expr, enable?: Expr): void {
    const d = this.regs.find((x) => x.name === r.name);
    if (!d) throw new Error(`${r.name} is not a register of ${this.name}`);
    if (d.next) throw new Error(`register ${r.name} already has a next value`);
    if (value.width !== d.width) throw new Error(`register ${r.name}: next value width ${value.width} ≠ ${d.width}`);
    if (enable && enable.width !== 1) throw new Error(`register ${r.name}: enable must be 1 bit`);
    d.next = value;
    if (enable) d.enable = enable;
  }

  /** Register a value (one pipeline cut). Data registers carry no reset. */
  delay(prefix: string, value: Expr, enable?: Expr): Signal {
    const r = this.reg(prefix, value.width, { signed: value.signed });
    this.next(r, value, enable);
    return r;
  }

  /** A control bit register with reset 0. */
  flag(prefix: string, value: Expr): Signal {
    const r = this.reg(prefix, 1, { reset: 0 });
    this.next(r, value);
    return r;
  }

  /** Instantiate a finished module; returns its outputs as wires named <inst>_<port>. */
  instance(mod: ModuleInterface, prefix: string, inputs: Record<string, Expr>, unusedOutputs: Record<string, string> = {}): Record<string, Signal> {
    const inst = this.claim(this.fresh(prefix));
    const connections: Array<[string, string]> = [];
    const outs: Record<string, Signal> = {};
    for (const p of mod.ports) {
      if (p.dir === 'input') {
        const src = p.name === 'clk' ? this.clk : p.name === 'rst' ? this.rst : inputs[p.name];
        if (!src) throw new Error(`instance ${inst} of ${mod.name}: input ${p.name} not connected`);
        if (src.width !== p.width) throw new Error(`instance ${inst}.${p.name}: width ${src.width} ≠ ${p.width}`);
        connections.push([p.name, src.code]);
      } else {
        const w = this.forward(`${inst}_${p.name}`, p.width, p.signed);
        const decl = this.wires.find((d) => d.name === w.name)!;
        decl.value = { code: '', width: p.width, signed: false }; // driven by the instance
        const why = unusedOutputs[p.name];
        if (why !== undefined) decl.discards = why;
        connections.push([p.name, w.code]);
        outs[p.name] = w;
      }
    }
    for (const k of Object.keys(inputs)) {
      if (!mod.ports.some((p) => p.name === k && p.dir === 'input')) throw new Error(`${mod.name} has no input ${k}`);
    }
    this.instances.push({ module: mod.name, name: inst, connections });
    return outs;
  }

  // ---- expressions --------------------------------------------------------------------------------

  /** A named version of e (so it can be sliced); signals are returned as they are. */
  named(e: Expr, prefix = 't'): Signal {
    return e.name !== undefined ? (e as Signal) : this.wire(prefix, e);
  }

  slice(e: Expr, hi: number, lo: number, signed = false): Expr {
    if (hi < lo || lo < 0 || hi >= e.width) throw new RangeError(`slice [${hi}:${lo}] of a ${e.width}-bit value`);
    if (hi === e.width - 1 && lo === 0) return { ...e, signed };
    // Verilog-2005 cannot index an expression: name it, and say that only these bits are wanted
    const s = e.name !== undefined ? (e as Signal) : this.wire('t', e, { discards: `only bits [${hi}:${lo}] of this value are needed` });
    return { code: hi === lo ? `${s.code}[${hi}]` : `${s.code}[${hi}:${lo}]`, width: hi - lo + 1, signed };
  }

  bit(e: Expr, i: number): Expr {
    return this.slice(e, i, i);
  }

  msb(e: Expr): Expr {
    return this.bit(e, e.width - 1);
  }

  /** Extend (by the value's own signedness) or keep; never truncates. */
  extend(e: Expr, width: number): Expr {
    if (width < e.width) throw new RangeError(`extend a ${e.width}-bit value to ${width} bits would truncate`);
    if (width === e.width) return e;
    const pad = width - e.width;
    const fill = e.signed ? `{${pad}{${this.msb(e).code}}}` : `{${pad}{1'b0}}`;
    return { code: `{${fill}, ${e.code}}`, width, signed: e.signed };
  }

  /** Keep the low `width` bits: only where the value provably fits (the caller states why). */
  truncate(e: Expr, width: number, signed = e.signed): Expr {
    return this.slice(e, width - 1, 0, signed);
  }

  asSigned(e: Expr): Expr {
    return { ...e, signed: true };
  }

  asUnsigned(e: Expr): Expr {
    return { ...e, signed: false };
  }

  concat(parts: Expr[]): Expr {
    if (parts.length === 1) return parts[0]!;
    return { code: `{${parts.map((p) => p.code).join(', ')}}`, width: parts.reduce((s, p) => s + p.width, 0), signed: false };
  }

  /** +, − and · are computed modulo 2^width: wider operands lose only bits that cannot reach the result. */
  private binary(op: string, a: Expr, b: Expr, width: number, signed: boolean): Expr {
    const fit = (e: Expr): Expr => (e.width > width ? this.truncate(e, width) : this.extend(e, width));
    const x = fit(a);
    const y = fit(b);
    return { code: `(${x.code} ${op} ${y.code})`, width, signed };
  }

  /** a + b at `width` bits (default: wide enough to never overflow). */
  add(a: Expr, b: Expr, width?: number): Expr {
    const signed = a.signed || b.signed;
    const w = width ?? Math.max(a.width + (signed && !a.signed ? 1 : 0), b.width + (signed && !b.signed ? 1 : 0)) + 1;
    return this.binary('+', this.signedIfNeeded(a, signed), this.signedIfNeeded(b, signed), w, signed);
  }

  /** a − b at `width` bits (default: the signed width that never overflows). */
  sub(a: Expr, b: Expr, width?: number): Expr {
    const w = width ?? Math.max(a.width + (a.signed ? 0 : 1), b.width + (b.signed ? 0 : 1)) + 1;
    return this.binary('-', this.signedIfNeeded(a, true), this.signedIfNeeded(b, true), w, true);
  }

  /** An unsigned value used in a signed operation gets one zero bit on top. */
  private signedIfNeeded(e: Expr, signed: boolean): Expr {
    if (!signed || e.signed) return e;
    return { ...this.extend(e, e.width + 1), signed: true };
  }

  /** a · b at a.width + b.width bits (exact). */
  mul(a: Expr, b: Expr, width?: number): Expr {
    const signed = a.signed || b.signed;
    const sa = this.signedIfNeeded(a, signed);
    const sb = this.signedIfNeeded(b, signed);
    const w = width ?? sa.width + sb.width;
    return this.binary('*', sa, sb, w, signed);
  }

  and(a: Expr, b: Expr): Expr {
    this.sameWidth(a, b, '&');
    return { code: `(${a.code} & ${b.code})`, width: a.width, signed: false };
  }

  or(a: Expr, b: Expr): Expr {
    this.sameWidth(a, b, '|');
    return { code: `(${a.code} | ${b.code})`, width: a.width, signed: false };
  }

  xor(a: Expr, b: Expr): Expr {
    this.sameWidth(a, b, '^');
    return { code: `(${a.code} ^ ${b.code})`, width: a.width, signed: false };
  }

  not(a: Expr): Expr {
    return { code: `(~${a.code})`, width: a.width, signed: false };
  }

  /** 1 when any bit is set. */
  any(a: Expr): Expr {
    return a.width === 1 ? a : { code: `(|${a.code})`, width: 1, signed: false };
  }

  /** XOR of all bits. */
  parity(a: Expr): Expr {
    return a.width === 1 ? a : { code: `(^${a.code})`, width: 1, signed: false };
  }

  all(a: Expr): Expr {
    return a.width === 1 ? a : { code: `(&${a.code})`, width: 1, signed: false };
  }

  private sameWidth(a: Expr, b: Expr, op: string): void {
    if (a.width !== b.width) throw new Error(`${op}: widths ${a.width} and ${b.width} differ`);
  }

  private compare(op: string, a: Expr, b: Expr): Expr {
    const signed = a.signed || b.signed;
    const sa = this.signedIfNeeded(a, signed);
    const sb = this.signedIfNeeded(b, signed);
    const w = Math.max(sa.width, sb.width);
    const x = this.extend(sa, w);
    const y = this.extend(sb, w);
    const code = signed ? `($signed(${x.code}) ${op} $signed(${y.code}))` : `(${x.code} ${op} ${y.code})`;
    return { code, width: 1, signed: false };
  }

  lt(a: Expr, b: Expr): Expr {
    return this.compare('<', a, b);
  }
  le(a: Expr, b: Expr): Expr {
    return this.compare('<=', a, b);
  }
  gt(a: Expr, b: Expr): Expr {
    return this.compare('>', a, b);
  }
  ge(a: Expr, b: Expr): Expr {
    return this.compare('>=', a, b);
  }
  eq(a: Expr, b: Expr): Expr {
    return this.compare('==', a, b);
  }
  ne(a: Expr, b: Expr): Expr {
    return this.compare('!=', a, b);
  }

  /** cond ? a : b; both arms are extended to the wider one. */
  mux(cond: Expr, a: Expr, b: Expr): Expr {
    if (cond.width !== 1) throw new Error('mux condition must be 1 bit');
    const signed = a.signed || b.signed;
    const sa = this.signedIfNeeded(a, signed && !a.signed && b.signed);
    const sb = this.signedIfNeeded(b, signed && !b.signed && a.signed);
    const w = Math.max(sa.width, sb.width);
    return { code: `(${cond.code} ? ${this.extend(sa, w).code} : ${this.extend(sb, w).code})`, width: w, signed };
  }

  /** Logical shift left by a constant, growing the width. */
  shlConst(a: Expr, s: number): Expr {
    if (s === 0) return a;
    return { code: `{${a.code}, ${s}'h0}`, width: a.width + s, signed: a.signed };
  }

  /** Floor shift right by a constant (arithmetic for signed values), shrinking the width. */
  shrConst(a: Expr, s: number): Expr {
    if (s === 0) return a;
    if (s >= a.width) return a.signed ? this.msb(a) : lit(0, 1);
    return this.slice(a, a.width - 1, s, a.signed);
  }

  /** Left shift by a variable amount into `width` bits (the caller guarantees no set bit is lost). */
  shlVar(a: Expr, amount: Expr, width: number): Expr {
    const x = this.extend(this.asUnsigned(a), width);
    return { code: `(${x.code} << ${amount.code})`, width, signed: false };
  }

  /** Right shift by a variable amount (floor shift for signed values). */
  shrVar(a: Expr, amount: Expr): Expr {
    const code = a.signed ? `($signed(${a.code}) >>> ${amount.code})` : `(${a.code} >> ${amount.code})`;
    return { code, width: a.width, signed: a.signed };
  }

  /**
   * The restoring-division step on unsigned values: fits = a ≥ b, result = fits ? a − b : a, in
   * `resultWidth` bits (the caller knows the result's bound). One subtractor whose borrow is the
   * comparison: on iCE40 about half the cells of a separate compare and subtract.
   */
  subtractIfFits(prefix: string, a: Expr, b: Expr, resultWidth: number, alsoRequire?: Expr): { fits: Signal; result: Expr } {
    const w = Math.max(a.width, b.width) + 1;
    const diff = this.wire(`${prefix}_diff`, this.asUnsigned(this.sub(this.asUnsigned(a), this.asUnsigned(b), w)), {
      discards: 'the low bits are used only when a ≥ b, and then the difference is below the result bound',
    });
    // alsoRequire: a condition folded into the same select (one mux level instead of two)
    const noBorrow = this.not(this.msb(diff));
    const fits = this.wire(`${prefix}_fits`, alsoRequire ? this.and(alsoRequire, noBorrow) : noBorrow);
    const keep = a.width > resultWidth ? this.truncate(a, resultWidth, false) : this.extend(this.asUnsigned(a), resultWidth);
    return { fits, result: this.mux(fits, this.truncate(diff, resultWidth, false), keep) };
  }

  /** min(a, b) for unsigned or signed values. */
  min(a: Expr, b: Expr): Expr {
    return this.mux(this.lt(a, b), a, b);
  }

  max(a: Expr, b: Expr): Expr {
    return this.mux(this.gt(a, b), a, b);
  }

  /** Saturate an unsigned value to `maxValue` and `width` bits. */
  saturateUnsigned(a: Expr, maxValue: bigint, width: number): Expr {
    const limit = lit(maxValue, bitsFor(maxValue));
    if (a.width <= width && maxValue >= mask(a.width)) return this.extend(a, width);
    const over = this.gt(a, limit);
    return this.mux(over, lit(maxValue, width), this.truncate(a, width));
  }

  /** Clamp a signed value into the signed `width`-bit range. */
  saturateSigned(a: Expr, width: number): Expr {
    if (a.width <= width) return this.extend(a, width);
    const hi = lit((1n << BigInt(width - 1)) - 1n, width, true);
    const lo = lit(-(1n << BigInt(width - 1)), width, true);
    const tooHigh = this.gt(a, hi);
    const tooLow = this.lt(a, lo);
    return this.mux(tooHigh, hi, this.mux(tooLow, lo, this.truncate(a, width, true)));
  }

  // ---- emission -----------------------------------------------------------------------------------

  emit(): string {
    for (const r of this.regs) if (!r.next) throw new Error(`register ${r.name} in ${this.name} has no next value`);
    for (const w of this.wires) if (w.value === undefined) throw new Error(`wire ${w.name} in ${this.name} is never driven`);
    const lines: string[] = [];
    lines.push('// Generated by ivit rtl-gen. Do not edit: regenerate with `ivit rtl`.');
    for (const h of this.headerLines) lines.push(`// ${h}`);
    lines.push('`default_nettype none');
    lines.push(`module ${this.name} (`);
    this.ports.forEach((p, i) => {
      const range = p.width > 1 ? `[${p.width - 1}:0] ` : '';
      const kind = p.dir === 'input' ? 'input  wire' : 'output wire';
      lines.push(`  ${kind} ${range}${p.name}${i < this.ports.length - 1 ? ',' : ''} // ${p.doc}`);
    });
    lines.push(');');
    const rangeOf = (w: number): string => (w > 1 ? `[${w - 1}:0] ` : '');
    const waived = (discards: string | undefined, decl: string): string[] =>
      discards === undefined ? [decl] : [`  // ${discards}`, '  /* verilator lint_off UNUSEDSIGNAL */', decl, '  /* verilator lint_on UNUSEDSIGNAL */'];
    for (const r of this.regs) lines.push(...waived(r.discards, `  reg  ${rangeOf(r.width)}${r.name};`));
    for (const w of this.wires) {
      if (w.name.startsWith('__port_')) continue;
      lines.push(...waived(w.discards, `  wire ${rangeOf(w.width)}${w.name};`));
    }
    for (const w of this.wires) {
      if (w.value!.code === '') continue; // driven by an instance
      const target = w.name.startsWith('__port_') ? w.name.slice('__port_'.length) : w.name;
      lines.push(`  assign ${target} = ${w.value!.code};`);
    }
    for (const inst of this.instances) {
      lines.push(`  ${inst.module} ${inst.name} (`);
      inst.connections.forEach(([p, s], i) => lines.push(`    .${p}(${s})${i < inst.connections.length - 1 ? ',' : ''}`));
      lines.push('  );');
    }
    for (const r of this.regs) {
      const d = r.next!.code;
      const load = r.enable ? `if (${r.enable.code}) ${r.name} <= ${d};` : `${r.name} <= ${d};`;
      if (r.reset !== undefined) {
        lines.push(`  always @(posedge clk) if (rst) ${r.name} <= ${lit(r.reset, r.width).code}; else ${load}`);
      } else {
        lines.push(`  always @(posedge clk) ${load}`);
      }
    }
    lines.push('endmodule');
    lines.push('`default_nettype wire');
    return lines.join('\n') + '\n';
  }
}
