/**
 * One shift-exp lane (numerics.md §3 steps 2–5): E from a non-positive Δ, with q = ⌊P/x0⌋ and r found by a
 * binary compare-subtract ladder against the run-time |x0| (no `/` or `%`: yosys 0.23 would build a full
 * divider for them, targets.md). One element per cycle; the latency is the number of pipeline registers.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { Stager, spreadCuts } from '../hdl/stager.js';
import type { Flavour } from '../../verify/golden/constants.js';

export interface ShiftExpLaneParams {
  /** width of the signed Δ input (9 for 8-bit logits: Δ ∈ [−255, 0]) */
  deltaBits: number;
  /** width of |x0| (the lane is exact for 1 ≤ |x0| < 2^x0Bits) */
  x0Bits: number;
  n: number;
  flavour: Flavour;
  /** pipeline registers inside the lane (0 = combinational) */
  stages: number;
  /** side-band bits carried along with the element */
  tagBits: number;
  /**
   * carry |x0| down the pipeline with each element (for a stand-alone lane whose |x0| may change every
   * cycle); the row units hold |x0| in a configuration register for the whole row and need no copies
   */
  carryConfig?: boolean;
  /**
   * also output E as mantissa · 2^shift (mantissa ≤ 2|x0|, shift < n): lets ShiftGELU form E·F with a
   * narrow mantissa × F multiplier and a shift instead of a full E × F product
   */
  mantissaOutputs?: boolean;
}

export interface ShiftExpLane {
  module: ModuleBuilder;
  latency: number;
  expBits: number;
  /** widths of the mantissa outputs (E = mant << mshift) */
  mantBits: number;
  mshiftBits: number;
  /** the cut points a register can take, in order */
  cutPoints: readonly string[];
}

export function expLaneName(p: ShiftExpLaneParams): string {
  return `ivit_shift_exp_d${p.deltaBits}_x${p.x0Bits}_n${p.n}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_s${p.stages}_t${p.tagBits}${p.carryConfig ? '_cc' : ''}${p.mantissaOutputs ? '_ms' : ''}`;
}

/** Width of the exp value: E ≤ |x0|·2^n. */
export function expBitsFor(x0Bits: number, n: number): number {
  return x0Bits + n;
}

export function buildShiftExpLane(p: ShiftExpLaneParams): ShiftExpLane {
  const qBits = bitsFor(p.n);
  const ladder = Array.from({ length: qBits }, (_, i) => `ladder${qBits - 1 - i}`);
  const cutPoints = ['clamp', ...ladder, 'exp'];
  const m = new ModuleBuilder(
    expLaneName(p),
    [
      `Shift-exp lane: E = exp(S·Δ)·|x0|·2^${p.n} by shifts (numerics.md §3 steps 2–5, ${p.flavour} flavour).`,
      `Δ: signed ${p.deltaBits} bits, must be ≤ 0. |x0| = x0_mag: ${p.x0Bits} bits, ≥ 1, held constant while elements are in flight.`,
      `q = ⌊P/x0⌋ by a ${qBits}-step binary compare-subtract ladder; latency ${p.stages} cycles, one element per cycle.`,
    ],
    { reset: false },
  );
  const delta = m.input('delta', p.deltaBits, true, 'Δ = x − row max (≤ 0)');
  const bIn = m.input('x0_mag', p.x0Bits, false, '|x0| (configuration, ≥ 1)');
  const nb = m.input('clamp_mag', p.x0Bits + qBits, false, 'n·|x0|, the clamp of −P (configuration)');
  const tagIn = m.input('tag_in', p.tagBits, false, 'side-band bits delayed with the element');
  const stager = new Stager(m, spreadCuts(cutPoints, p.stages));

  // P = Δ + (Δ >> 1) − (Δ >> 4), floor shifts; a = −P ≥ 0 fits deltaBits + 1 unsigned bits (|P| ≤ 1.4375·|Δ|).
  const pw = p.deltaBits + 2;
  const pSum = m.sub(m.add(delta, m.shrConst(delta, 1), pw), m.shrConst(delta, 4), pw);
  const aFull = m.wire('neg_p', m.sub(lit(0, pw, true), pSum, pw), { discards: 'top bit: −P ≥ 0 always' });
  const aw = p.deltaBits + 1;
  const a = m.truncate(aFull, aw, false);
  // The clamp P ≥ n·x0 only matters when a > n·|x0|, and then E = |x0| (q = n, r = 0): so instead of
  // muxing a, a flag forces that result at the end and the ladder's output is ignored.
  const over = m.wire('over', m.gt(a, nb));
  // |x0| as seen by the current stage: the configuration input, or the copy travelling with the element
  const carry = (l: Record<string, Expr>, b: Expr): Record<string, Expr> => (p.carryConfig ? { ...l, b } : l);
  let live: Record<string, Expr> = stager.cut('clamp', carry({ rem: a, over, tag: tagIn }, bIn));
  const bAt = (): Expr => (p.carryConfig ? live.b! : bIn);

  // Binary long division of a by |x0|: q ≤ n < 2^qBits, so qBits compare-subtract steps suffice.
  // Step i compares only rem's bits above i with |x0| (the trial |x0|·2^i has i zero low bits).
  let qSoFar: Expr | undefined;
  for (let i = qBits - 1; i >= 0; i--) {
    const rem = live.rem!;
    const b = bAt();
    let remNext: Expr;
    let ge: Expr;
    if (rem.width <= i) {
      ge = lit(0, 1); // cannot happen for the widths used (kept for small deltaBits)
      remNext = rem;
    } else {
      const hi = m.slice(rem, rem.width - 1, i);
      // after this step the remainder is below |x0|·2^i: the upper part narrows to x0Bits bits
      const step = m.subtractIfFits(`step${i}`, hi, b, Math.min(hi.width, p.x0Bits));
      ge = step.fits;
      const hiNext = step.result;
      remNext = m.wire(`rem${i}`, i === 0 ? hiNext : m.concat([hiNext, m.slice(rem, i - 1, 0)]));
    }
    qSoFar = qSoFar === undefined ? ge : m.concat([qSoFar, ge]);
    const cutLive: Record<string, Expr> = { rem: remNext, q: qSoFar, over: live.over!, tag: live.tag! };
    live = stager.cut(`ladder${i}`, carry(cutLive, b));
    qSoFar = live.q!;
  }
  const rem = m.wire('r_mag', live.rem!); // −r, in [0, |x0| − 1]
  const b = bAt();
  const q = m.wire('q', live.q!);
  const bw = p.x0Bits + 1;
  const expBits = expBitsFor(p.x0Bits, p.n);
  let e: Expr;
  let mantissa: Expr | undefined;
  let mantissaShift: Expr | undefined;
  if (p.flavour === 'tvm') {
    // E = ((r >> 1) − x0) << (n − q) = (|x0| − ⌈(−r)/2⌉) << (n − q)
    const half = m.shrConst(m.add(rem, lit(1, 1)), 1);
    const base = m.wire('base', m.sub(b, half, bw + 1), { discards: 'top bit: the base is positive' });
    const shift = m.wire('shift', m.sub(lit(p.n, qBits), q, qBits + 1), { discards: 'top bit: q ≤ n' });
    e = m.mux(live.over!, m.extend(b, expBits), m.shlVar(m.truncate(base, p.x0Bits, false), m.truncate(shift, qBits, false), expBits));
    if (p.mantissaOutputs) {
      mantissa = m.mux(live.over!, m.extend(b, bw), m.extend(m.truncate(base, p.x0Bits, false), bw));
      mantissaShift = m.mux(live.over!, lit(0, qBits), m.truncate(shift, qBits, false));
    }
  } else {
    // E = (r − 2·x0)·2^(n−1−q) = ((2|x0| − (−r))·2^(n−1)) >> q for q < n. The same shift gives
    // E = |x0| for q = n (r = 0 then: 2|x0|·2^(n−1) >> n), so no final mux is needed; a clamped
    // element (over) is steered into that case by forcing q = n, r = 0.
    const remF = m.wire('r_final', m.mux(live.over!, lit(0, rem.width), rem));
    const qF = m.wire('q_final', m.mux(live.over!, lit(p.n, qBits), q));
    const base = m.wire('base', m.sub(m.shlConst(b, 1), remF, bw + 1), { discards: 'top bit: the base is positive' });
    e = m.truncate(m.shrVar(m.shlConst(m.truncate(base, bw, false), p.n - 1), qF), expBits, false);
    if (p.mantissaOutputs) {
      const qIsN = m.wire('q_is_n', m.eq(qF, lit(p.n, qBits)));
      mantissa = m.mux(qIsN, m.extend(b, bw), m.truncate(base, bw, false));
      const shift = m.wire('shift', m.sub(lit(p.n - 1, qBits), qF, qBits + 1), { discards: 'top bit: the q = n case is muxed out' });
      mantissaShift = m.mux(qIsN, lit(0, qBits), m.truncate(shift, qBits, false));
    }
  }
  if (p.mantissaOutputs && (!mantissa || !mantissaShift)) throw new Error('exp lane: mantissa outputs missing');
  const outLive: Record<string, Expr> = { e: m.wire('e_comb', e), tag: live.tag! };
  if (mantissa && mantissaShift) Object.assign(outLive, { mant: m.wire('mant_comb', mantissa), mshift: m.wire('mshift_comb', mantissaShift) });
  live = stager.cut('exp', outLive);
  m.output('e', live.e!, `E, unsigned ${expBits} bits`);
  if (live.mant && live.mshift) {
    m.output('mant', live.mant, 'E = mant << mshift');
    m.output('mshift', live.mshift, 'E = mant << mshift');
  }
  m.output('tag_out', live.tag!, 'side-band bits');
  if (stager.latency !== p.stages) throw new Error(`exp lane: ${stager.latency} registers placed, ${p.stages} asked`);
  return { module: m, latency: stager.latency, expBits, mantBits: bw, mshiftBits: qBits, cutPoints };
}
