/**
 * Sequential radix-2 restoring divider: one quotient bit per cycle, one subtractor. Used once per row
 * (Shiftmax's reciprocal) or a dozen times per row (I-LayerNorm's mean, Newton steps and reciprocal),
 * where a pipelined divider would be idle almost all the time (targets.md).
 *
 * Contract: num / den < 2^quotBits (the caller proves it from the numerics), den ≥ 1.
 * Timing: `start` is sampled at a rising edge; `done` is high (one cycle) quotBits + 1 cycles later, and
 * `quot`/`rem` stay valid from then until the next start.
 */
import { type Expr, ModuleBuilder, bitsFor, lit } from '../hdl/module.js';

export interface SeqDividerParams {
  numBits: number;
  denBits: number;
  /** the most quotient bits (the quotient register's width) */
  quotBits: number;
  /**
   * Quotient-bit counts a `sel` input chooses between at each start (each ≤ quotBits): a division whose bound
   * is num / den < 2^c takes c + 1 cycles instead of quotBits + 1. Absent: always quotBits, no `sel` port.
   */
  choices?: readonly number[];
}

export function seqDividerName(p: SeqDividerParams): string {
  return `ivit_seq_div_n${p.numBits}_d${p.denBits}_q${p.quotBits}${p.choices ? `_v${p.choices.join('_')}` : ''}`;
}

/** Cycles from the start edge to the edge that sees `done` (the figure timing.ts uses). */
export function seqDividerLatency(quotBits: number): number {
  return quotBits + 1;
}

export function buildSeqDivider(p: SeqDividerParams): ModuleBuilder {
  if (p.quotBits > p.numBits) throw new RangeError('quotient wider than the numerator');
  const choices = p.choices ?? [p.quotBits];
  for (const c of choices) if (!Number.isInteger(c) || c < 1 || c > p.quotBits) throw new RangeError(`quotient-bit choice ${c} must be in 1..${p.quotBits}`);
  const m = new ModuleBuilder(seqDividerName(p), [
    `Sequential restoring divider: ${p.numBits}-bit numerator / ${p.denBits}-bit divisor, ${p.quotBits} quotient bits.`,
    p.choices
      ? `Requires num / den < 2^c for the c that sel chooses, and den ≥ 1. done pulses c + 1 cycles after start.`
      : `Requires num / den < 2^${p.quotBits} and den ≥ 1. done pulses ${seqDividerLatency(p.quotBits)} cycles after start.`,
  ]);
  const start = m.input('start', 1, false, 'load num and den and begin');
  const num = m.input('num', p.numBits, false, 'numerator');
  const den = m.input('den', p.denBits, false, 'divisor (≥ 1)');
  const sel = p.choices
    ? m.input('sel', bitsFor(choices.length - 1), false, `quotient bits of this division: ${choices.map((c, i) => `${i} → ${c}`).join(', ')}`)
    : undefined;
  const dw = p.denBits;
  const qw = p.quotBits;
  const denReg = m.reg('den_q', dw);
  m.next(denReg, den, start);
  const remReg = m.reg('rem_q', dw);
  // numerator bits still to bring down, shifted out at the top while quotient bits enter at the bottom
  const shiftReg = m.reg('nq_q', qw);
  const countBits = bitsFor(qw);
  const count = m.reg('count_q', countBits, { reset: 0 });
  const busy = m.ne(count, lit(0, countBits));
  // One step: bring down the next numerator bit, subtract the divisor when it fits.
  const trial = m.wire('trial', m.concat([remReg, m.msb(shiftReg)]));
  // trial < 2·den, so the result (trial − den when it fits, else trial < den) is below den
  const { fits, result: remStep } = m.subtractIfFits('step', trial, denReg, dw);
  const shiftStep = qw > 1 ? m.concat([m.slice(shiftReg, qw - 2, 0), fits]) : fits;
  // For c quotient bits: num >> c < den fits the remainder register, and num's low c bits go to the top of
  // the shift register (the bits below them, zero, end above the quotient after c steps).
  const loads = choices.map((c) => {
    const high = p.numBits > c ? m.slice(num, p.numBits - 1, c) : lit(0, 1);
    const rem =
      high.width > dw
        ? m.truncate(m.wire('num_high', high, { discards: 'bits above the divisor width: zero by the contract' }), dw, false)
        : m.extend(high, dw);
    const low = m.slice(num, c - 1, 0);
    const shift = c < qw ? m.concat([low, lit(0, qw - c)]) : low;
    return { rem, shift, count: lit(c, countBits) };
  });
  const pickLoad = (f: (l: (typeof loads)[number]) => Expr): Expr => {
    let e = f(loads[loads.length - 1]!);
    for (let i = loads.length - 2; i >= 0; i--) e = m.mux(m.eq(sel!, lit(i, sel!.width)), f(loads[i]!), e);
    return e;
  };
  m.next(
    remReg,
    m.mux(
      start,
      pickLoad((l) => l.rem),
      remStep,
    ),
    m.or(start, busy),
  );
  m.next(
    shiftReg,
    m.mux(
      start,
      pickLoad((l) => l.shift),
      shiftStep,
    ),
    m.or(start, busy),
  );
  const countNext = m.mux(
    start,
    pickLoad((l) => l.count),
    m.sub(count, lit(1, 1), countBits),
  );
  m.next(count, m.truncate(countNext, countBits, false), m.or(start, busy));
  const done = m.flag('done_q', m.and(busy, m.eq(count, lit(1, countBits))));
  m.output('done', done, 'quotient ready (one-cycle pulse)');
  m.output('quot', shiftReg, 'quotient, valid from done until the next start');
  m.output('rem', remReg, 'remainder, valid from done until the next start');
  return m;
}
