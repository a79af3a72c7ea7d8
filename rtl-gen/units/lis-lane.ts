/**
 * FQ-ViT Log-Int-Softmax (LIS) lane (numerics.md §9; FQ-ViT `QIntSoftmax` with `log_i_softmax`): one element per
 * cycle, with the layer's i-exp constants (|x0|, b_int, c_int) and the row sum Σ taken per beat.
 *   i-exp (I-BERT): Δ' = max(Δ, n·x0); q = ⌊Δ'/x0⌋ (5 restoring steps, q ≤ n = 30); r = Δ' − x0·q ∈ (x0, 0];
 *                   z = r(r + b) + c; E = max(0, z)·2^(n − q);
 *   log code:       v = RNE(Σ/E) and code = log_round(v) (⌊log2 v⌋, plus one when the bit below the leading one
 *                   is set) without a divider: code ≥ k ⇔ v ≥ T_k (T_1 = 2, T_k = 3·2^(k−2)), and with the tie of
 *                   RNE, v ≥ T ⇔ 2Σ > (2T − 1)·E, or 2Σ = (2T − 1)·E with T even. So code ≥ 1 ⇔ 2Σ ≥ 3E, and for k ≥ 2
 *                   code ≥ k ⇔ 2Σ ≥ (3·2^(k−1) − 1)·E, strictly for k = 2 (T = 3 is odd). 2^b comparators side by side give a thermometer code; its
 *                   count is the code, and a set top bit (code ≥ 2^b, or E = 0) is the mask.
 * The constant multiples (3·2^(k−1) − 1)·E are two shifted copies of E minus E: adders, no multiplier.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import type { GeneratedUnit } from '../design.js';
import { LIS_LANE_REGISTERS, lisLaneTiming } from '../timing.js';

export interface LisLaneParams {
  /** Δ = x − row max, signed (int8 logits: 9 bits) */
  deltaBits: number;
  /** |x0| = |⌊−ln2/S⌋| */
  x0Bits: number;
  /** b_int = ⌊(b/a)/S⌋ */
  bBits: number;
  /** c_int = ⌊(1/a)/S²⌋ */
  cBits: number;
  /** I-BERT's shift constant (FQ-ViT: 30) */
  n: number;
  /** code bits (FQ-ViT: 4) */
  codeBits: number;
  /** the most elements a row may have (sets Σ's width) */
  maxRowLength: number;
}

/** Int8 logits, |x0| ≤ 255 (scales down to ln2/256), so b_int < 2^10 and c_int < 2^19 (with a margin bit each). */
export const LIS_LANE_DEFAULTS: LisLaneParams = { deltaBits: 9, x0Bits: 8, bBits: 11, cBits: 20, n: 30, codeBits: 4, maxRowLength: 1024 };

/** Widths derived from the parameters. */
export function lisLaneWidths(p: LisLaneParams): { qBits: number; zBits: number; expBits: number; sumBits: number; levels: number } {
  const qBits = bitsFor(p.n);
  // z = r(r + b) + c with −|x0| < r ≤ 0: r(r + b) ∈ (−2^(x0Bits + bBits), 2^(2·x0Bits)); z ≥ 0 is kept
  const zBits = Math.max(p.cBits, 2 * p.x0Bits) + 1;
  const expBits = zBits + p.n;
  const sumBits = expBits + bitsFor(p.maxRowLength - 1);
  return { qBits, zBits, expBits, sumBits, levels: 2 ** p.codeBits };
}

export function buildLisLaneUnit(p: LisLaneParams): GeneratedUnit {
  if (p.n < 1 || p.n > 31) throw new RangeError(`lis: n = ${p.n} must be in 1..31`);
  const w = lisLaneWidths(p);
  const top = `ivit_lis_lane_d${p.deltaBits}_x${p.x0Bits}_b${p.bBits}_c${p.cBits}_n${p.n}_q${p.codeBits}_r${p.maxRowLength}`;
  const m = new ModuleBuilder(top, [
    `FQ-ViT Log-Int-Softmax lane: I-BERT i-exp (n = ${p.n}) and the ${p.codeBits}-bit log2 code of RNE(Σ/E) by ${w.levels} threshold comparisons.`,
    `One element per cycle, latency ${LIS_LANE_REGISTERS} cycles; |x0|, b_int, c_int and the row sum Σ travel with each element.`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered (always taken)');
  const inDelta = m.input('in_delta', p.deltaBits, false, 'Δ = x − row max ≤ 0, signed');
  const inX0 = m.input('in_x0_mag', p.x0Bits, false, '|x0| ≥ 1');
  const inB = m.input('in_b', p.bBits, false, 'b_int ≥ 0');
  const inC = m.input('in_c', p.cBits, false, 'c_int ≥ 0');
  const inSum = m.input('in_sum', w.sumBits, false, 'Σ, the row sum of E');

  // stage 0: input registers
  const v0 = m.flag('valid_s0', inValid);
  const delta = m.delay('delta_s0', m.asSigned(inDelta));
  const x0 = m.delay('x0_s0', inX0);
  const b0 = m.delay('b_s0', inB);
  const c0 = m.delay('c_s0', inC);
  const sum0 = m.delay('sum_s0', inSum);

  // stage 1: |Δ'| = min(|Δ|, n·|x0|); q = ⌊|Δ'|/|x0|⌋ (q ≤ n < 2^qBits), rem = |Δ'| − q·|x0| = −r
  const magBits = p.deltaBits;
  const mag = m.wire('delta_mag', m.asUnsigned(m.truncate(m.sub(lit(0, 1), delta, p.deltaBits + 1), magBits, false)), {
    discards: 'top bit: |Δ| ≤ 2^(deltaBits − 1)',
  });
  const limit = m.wire('clamp_mag', m.mul(x0, lit(p.n, bitsFor(p.n)), p.x0Bits + bitsFor(p.n)));
  const clamped = m.wire('delta_clamped', m.mux(m.gt(mag, limit), m.truncate(limit, Math.min(limit.width, magBits), false), mag), {
    discards: 'the clamp is at most |Δ|, which fits magBits',
  });
  let rem: Expr = m.extend(clamped, Math.max(magBits, p.x0Bits));
  const qBitsOut: Expr[] = [];
  for (let i = w.qBits - 1; i >= 0; i--) {
    const step = m.subtractIfFits(`qstep${i}`, rem, m.shlConst(x0, i), rem.width);
    qBitsOut.push(step.fits);
    rem = step.result;
  }
  const v1 = m.flag('valid_s1', v0);
  const q1 = m.delay('q_s1', m.concat(qBitsOut));
  const rem1 = m.delay('rem_s1', m.truncate(rem, p.x0Bits, false));
  const b1 = m.delay('b_s1', b0);
  const c1 = m.delay('c_s1', c0);
  const sum1 = m.delay('sum_s1', sum0);

  // stage 2: z = r(r + b) + c = rem·(rem − b) + c; keep max(0, z)
  const zw = w.zBits + 1;
  const prod = m.mul(rem1, m.sub(rem1, b1), zw);
  const z = m.wire('z', m.add(prod, c1, zw));
  const zPos = m.mux(m.msb(z), lit(0, w.zBits), m.truncate(z, w.zBits, false));
  const v2 = m.flag('valid_s2', v1);
  const z2 = m.delay('zpos_s2', zPos);
  const shift2 = m.delay('shift_s2', m.truncate(m.sub(lit(p.n, w.qBits), q1, w.qBits + 1), w.qBits, false));
  const sum2 = m.delay('sum_s2', sum1);

  // stage 3: E = max(0, z)·2^(n − q)
  const v3 = m.flag('valid_s3', v2);
  const e3 = m.delay('e_s3', m.shlVar(z2, shift2, w.expBits));
  const sum3 = m.delay('sum_s3', sum2);

  // stage 4: thermometer code: bit k−1 = [2Σ ≥ (2T_k − 1)·E] (strict for k = 2)
  const twoSum = m.shlConst(sum3, 1);
  const therm: Expr[] = [];
  for (let k = 1; k <= w.levels; k++) {
    const tw = w.expBits + k + 1;
    // (2T_k − 1)·E: 3·E for k = 1 (T_1 = 2), else (3·2^(k−1) − 1)·E = 2^k·E + 2^(k−1)·E − E
    const multiple = k === 1 ? m.add(m.shlConst(e3, 1), e3, tw) : m.sub(m.add(m.shlConst(e3, k), m.shlConst(e3, k - 1), tw), e3, tw + 1);
    const scaled = m.wire(`thr${k}`, m.asUnsigned(m.truncate(multiple, tw, false)), { discards: 'the multiple is ≥ 0' });
    therm.push(k === 2 ? m.gt(twoSum, scaled) : m.ge(twoSum, scaled));
  }
  const v4 = m.flag('valid_s4', v3);
  const t4 = m.delay('therm_s4', m.concat([...therm].reverse()));
  const e4 = m.delay('e_s4', e3);

  // stage 5: code = count of thresholds passed (the thermometer is monotone), mask = the top one
  const cw = p.codeBits + 1;
  let count: Expr = lit(0, cw);
  for (let k = 0; k < w.levels - 1; k++) count = m.add(count, m.bit(t4, k), cw);
  const v5 = m.flag('valid_s5', v4);
  // a masked element reports code 2^b − 1 (FQ-ViT's clamp); only the mask matters downstream
  const masked = m.bit(t4, w.levels - 1);
  const code5 = m.delay('code_s5', m.mux(masked, lit(w.levels - 1, p.codeBits), m.truncate(count, p.codeBits, false)));
  const mask5 = m.delay('mask_s5', masked);
  const e5 = m.delay('e_s5', e4);

  m.output('out_valid', v5, 'a result');
  m.output('out_e', e5, `E, ${w.expBits} bits`);
  m.output('out_code', code5, `log2 code, clamped to ${w.levels - 1}`);
  m.output('out_mask', mask5, 'the probability is 0 (code ≥ 2^b or E = 0)');
  return {
    unit: 'lis',
    top,
    modules: [m],
    params: { ...p },
    inputs: [
      { name: 'in_delta', laneBits: p.deltaBits, lanes: 1, signed: true, doc: 'Δ' },
      { name: 'in_x0_mag', laneBits: p.x0Bits, lanes: 1, signed: false, doc: '|x0|' },
      { name: 'in_b', laneBits: p.bBits, lanes: 1, signed: false, doc: 'b_int' },
      { name: 'in_c', laneBits: p.cBits, lanes: 1, signed: false, doc: 'c_int' },
      { name: 'in_sum', laneBits: w.sumBits, lanes: 1, signed: false, doc: 'Σ' },
    ],
    outputs: [
      { name: 'out_e', laneBits: w.expBits, lanes: 1, signed: false, doc: 'E' },
      { name: 'out_code', laneBits: p.codeBits, lanes: 1, signed: false, doc: 'code' },
      { name: 'out_mask', laneBits: 1, lanes: 1, signed: false, doc: 'masked' },
    ],
    handshake: 'always',
    passes: 1,
    timing: (rowLength) => lisLaneTiming({ rowLength, lanes: 1 }),
    timingDoc: `${LIS_LANE_REGISTERS} registers: inputs, divide (q, r), polynomial, shift, ${w.levels} threshold comparisons, count; one element per cycle`,
  };
}
