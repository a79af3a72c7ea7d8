/**
 * Sequential radix-2 restoring divider: one quotient bit per cycle, one subtractor. Used once per row
 * (Shiftmax's reciprocal) or a dozen times per row (I-LayerNorm's mean, Newton steps and reciprocal),
 * where a pipelined divider would be idle almost all the time (targets.md).
 *
 * Contract: num / den < 2^quotBits (the caller proves it from the numerics), den ≥ 1.
 * Timing: `start` is sampled at a rising edge; `done` is high (one cycle) quotBits + 1 cycles later, and
 * `quot`/`rem` stay valid from then until the next start.
 */
import { ModuleBuilder, bitsFor, lit } from '../hdl/module.js';

export interface SeqDividerParams {
  numBits: number;
  denBits: number;
  quotBits: number;
}

export function seqDividerName(p: SeqDividerParams): string {
  return `ivit_seq_div_n${p.numBits}_d${p.denBits}_q${p.quotBits}`;
}

/** Cycles from the start edge to the edge that sees `done` (the figure timing.ts uses). */
export function seqDividerLatency(quotBits: number): number {
  return quotBits + 1;
}

export function buildSeqDivider(p: SeqDividerParams): ModuleBuilder {
  if (p.quotBits > p.numBits) throw new RangeError('quotient wider than the numerator');
  const m = new ModuleBuilder(seqDividerName(p), [
    `Sequential restoring divider: ${p.numBits}-bit numerator / ${p.denBits}-bit divisor, ${p.quotBits} quotient bits.`,
    `Requires num / den < 2^${p.quotBits} and den ≥ 1. done pulses ${seqDividerLatency(p.quotBits)} cycles after start.`,
  ]);
  const start = m.input('start', 1, false, 'load num and den and begin');
  const num = m.input('num', p.numBits, false, 'numerator');
  const den = m.input('den', p.denBits, false, 'divisor (≥ 1)');
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
  // num >> quotBits < den, so it fits the remainder register
  const high = p.numBits > qw ? m.slice(num, p.numBits - 1, qw) : lit(0, 1);
  const remLoad =
    high.width > dw ? m.truncate(m.wire('num_high', high, { discards: 'bits above the divisor width: zero by the contract' }), dw, false) : m.extend(high, dw);
  m.next(remReg, m.mux(start, remLoad, remStep), m.or(start, busy));
  m.next(shiftReg, m.mux(start, m.slice(num, qw - 1, 0), shiftStep), m.or(start, busy));
  const countNext = m.mux(start, lit(qw, countBits), m.sub(count, lit(1, 1), countBits));
  m.next(count, m.truncate(countNext, countBits, false), m.or(start, busy));
  const done = m.flag('done_q', m.and(busy, m.eq(count, lit(1, countBits))));
  m.output('done', done, 'quotient ready (one-cycle pulse)');
  m.output('quot', shiftReg, 'quotient, valid from done until the next start');
  m.output('rem', remReg, 'remainder, valid from done until the next start');
  return m;
}
