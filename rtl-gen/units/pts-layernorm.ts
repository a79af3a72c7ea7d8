/**
 * FQ-ViT LayerNorm with power-of-two scales (PTS; numerics.md §9, golden op verify/golden/ops/pts-layernorm.ts).
 * The token's C channels are streamed twice:
 *   pass 1 (sums): x̃ = q << α_c (α_c ∈ 0..3, a 2-bit shift mux, no multiplier), Σx̃, Σx̃² and C;
 *   D = C·Σx̃² − (Σx̃)² (one register); std = max(1, ⌊√D⌋) by digit recurrence (blocks/seq-isqrt.ts);
 *   factor = ⌊(2^31 − 1)/std⌋ on the sequential divider;
 *   pass 2 (norm, with the per-channel M_c (signed), N_c, B_c): y = (C·x̃ − Σx̃)·factor,
 *   out = sat(RNE((M_c·y + B_c·2^31) / 2^(N_c + 31))) by a variable shift with round bit and sticky.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { buildSeqDivider, seqDividerLatency } from '../blocks/seq-divider.js';
import { buildSeqIsqrt, seqIsqrtLatency } from '../blocks/seq-isqrt.js';
import { type GeneratedUnit, rowFramingPorts } from '../design.js';
import { ptsLayerNormTiming } from '../timing.js';
import { delayControl, lane, maskedSum } from './row-control.js';
import { nextState, registerRowOutputs } from './row-output.js';

export interface PtsLayerNormUnitParams {
  lanes: number;
  /** q, signed */
  inputBits: number;
  maxChannels: number;
  /** B_c, signed */
  biasBits: number;
  /** out, signed and saturated */
  outputBits: number;
}

export const PTS_LAYERNORM_DEFAULTS: PtsLayerNormUnitParams = { lanes: 1, inputBits: 8, maxChannels: 1024, biasBits: 32, outputBits: 8 };

const ALPHA_BITS = 2;
const M_BITS = 9; // sign·M_c, |M_c| ≤ 255
const N_BITS = 5; // N_c ≤ 31
const RECIP_SHIFT = 31;

export function ptsLayerNormWidths(p: PtsLayerNormUnitParams): {
  countBits: number;
  xtBits: number;
  sumBits: number;
  sumSqBits: number;
  dBits: number;
  rootBits: number;
  yBits: number;
  accBits: number;
} {
  const countBits = bitsFor(p.maxChannels);
  const xtBits = p.inputBits + 3; // |x̃| ≤ 2^(inputBits − 1 + 3), signed
  const sumBits = xtBits + countBits;
  const sumSqBits = 2 * (xtBits - 1) + 1 + countBits;
  const dBits = countBits + sumSqBits; // 0 ≤ D ≤ C·Σx̃²
  const rootBits = Math.ceil(dBits / 2);
  // |C·x̃ − Σx̃| ≤ √(C − 1)·√D and factor ≤ 2^31/⌊√D⌋ < 1.74·2^31/√D (worst at D = 3): |y| < √C·1.74·2^31
  const yBits = RECIP_SHIFT + Math.ceil(countBits / 2) + 2;
  const accBits = Math.max(M_BITS + yBits, p.biasBits + RECIP_SHIFT) + 1;
  return { countBits, xtBits, sumBits, sumSqBits, dBits, rootBits, yBits, accBits };
}

export function buildPtsLayerNormUnit(p: PtsLayerNormUnitParams): GeneratedUnit {
  const L = p.lanes;
  const w = ptsLayerNormWidths(p);
  const top = `ivit_pts_layernorm_l${L}_i${p.inputBits}_c${p.maxChannels}_b${p.biasBits}_o${p.outputBits}`;
  const divider = buildSeqDivider({ numBits: 31, denBits: w.rootBits, quotBits: 31 });
  const isqrt = buildSeqIsqrt(w.dBits);
  const m = new ModuleBuilder(top, [
    `FQ-ViT PTS LayerNorm row unit, ${L} lane(s), int${p.inputBits} input with per-channel shift α_c, C ≤ ${p.maxChannels}.`,
    'Stream the row twice (sums, norm; M_c, N_c, B_c are read in the norm pass); in_ready drops between passes.',
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the row (both passes)');
  const inKeep = m.input('in_keep', L, false, 'lane j holds a channel');
  const inX = m.input('in_x', L * p.inputBits, false, 'q, lane 0 in the low bits');
  const inAlpha = m.input('in_alpha', L * ALPHA_BITS, false, 'α_c (both passes)');
  const inM = m.input('in_m', L * M_BITS, false, 'sign·M_c (norm pass)');
  const inN = m.input('in_n', L * N_BITS, false, 'N_c (norm pass)');
  const inB = m.input('in_b', L * p.biasBits, false, 'B_c (norm pass)');

  const S = { sum: 0, dCalc: 1, sqrtStart: 2, sqrtWait: 3, recipStart: 4, recipWait: 5, norm: 6, flush: 7 };
  const sb = 3;
  const state = m.reg('state', sb, { reset: S.sum });
  const is = (s: number): Expr => m.eq(state, lit(s, sb));
  const inReady = m.wire('in_ready_w', m.or(is(S.sum), is(S.norm)));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const lastBeat = m.wire('last_beat', m.and(accept, inLast));
  const firstBeat = m.reg('first_beat', 1, { reset: 1 });
  m.next(firstBeat, m.mux(accept, m.and(is(S.norm), inLast), firstBeat));
  const keepBits = Array.from({ length: L }, (_, j) => m.bit(inKeep, j));
  // x̃ = q << α: a 4-way mux per lane
  const xts = Array.from({ length: L }, (_, j) => {
    const q = m.extend(lane(m, inX, j, p.inputBits, true), w.xtBits);
    const a = lane(m, inAlpha, j, ALPHA_BITS, false);
    const shifted = [0, 1, 2, 3].map((s) => m.truncate(m.shlConst(q, s), w.xtBits, true));
    return m.wire(`xt${j}`, m.mux(m.bit(a, 1), m.mux(m.bit(a, 0), shifted[3]!, shifted[2]!), m.mux(m.bit(a, 0), shifted[1]!, shifted[0]!)));
  });

  // pass 1: Σx̃, Σx̃², C
  const sumPass = m.wire('sum_beat', m.and(accept, is(S.sum)));
  const restart = m.wire('restart', m.and(sumPass, firstBeat));
  let beatSum: Expr = lit(0, w.sumBits, true);
  let beatCount: Expr = lit(0, w.countBits);
  xts.forEach((x, j) => {
    beatSum = m.add(beatSum, m.mux(keepBits[j]!, x, lit(0, w.xtBits, true)), w.sumBits);
    beatCount = m.add(beatCount, keepBits[j]!, w.countBits);
  });
  const squares = xts.map((x) => m.truncate(m.mul(x, x), 2 * (w.xtBits - 1) + 1, false));
  const beatSq = maskedSum(m, squares, inKeep, w.sumSqBits);
  const sum = m.reg('sum_x', w.sumBits, { signed: true });
  m.next(sum, m.add(m.mux(restart, lit(0, w.sumBits, true), sum), beatSum, w.sumBits), sumPass);
  const sumSq = m.reg('sum_sq', w.sumSqBits);
  m.next(sumSq, m.add(m.mux(restart, lit(0, w.sumSqBits), sumSq), beatSq, w.sumSqBits), sumPass);
  const count = m.reg('count', w.countBits);
  m.next(count, m.add(m.mux(restart, lit(0, w.countBits), count), beatCount, w.countBits), sumPass);

  // D = C·Σx̃² − (Σx̃)² ≥ 0
  const cSq = m.mul(count, sumSq, w.dBits + 1);
  const sq = m.mul(sum, sum, w.dBits + 1);
  const dReg = m.reg('d', w.dBits);
  m.next(dReg, m.asUnsigned(m.truncate(m.sub(cSq, sq, w.dBits + 2), w.dBits, false)), is(S.dCalc));

  // std = max(1, ⌊√D⌋); factor = ⌊(2^31 − 1)/std⌋
  const root = m.instance(isqrt, 'isqrt', { start: is(S.sqrtStart), value: dReg });
  const sqrtDone = m.wire('sqrt_done', m.and(is(S.sqrtWait), root.done!));
  const stdReg = m.reg('std', w.rootBits);
  m.next(stdReg, m.mux(m.eq(root.root!, lit(0, w.rootBits)), lit(1, w.rootBits), root.root!), sqrtDone);
  const div = m.instance(divider, 'div', { start: is(S.recipStart), num: lit((1n << 31n) - 1n, 31), den: stdReg }, { rem: 'only the quotient is used' });
  const recipDone = m.wire('recip_done', m.and(is(S.recipWait), div.done!));
  const factor = m.reg('factor', 31);
  m.next(factor, m.truncate(div.quot!, 31, false), recipDone);

  // pass 2: y = (C·x̃ − Σx̃)·factor (registered), then the rounding shift and the clamp (registered)
  const normPass = m.wire('norm_beat', m.and(accept, is(S.norm)));
  const cxBits = w.xtBits + w.countBits + 1;
  const ys = xts.map((x, j) => {
    const cx = m.sub(m.mul(x, count, cxBits), sum, cxBits);
    return m.delay(`y${j}`, m.truncate(m.mul(cx, factor), w.yBits, true));
  });
  const ms = Array.from({ length: L }, (_, j) => m.delay(`m${j}`, lane(m, inM, j, M_BITS, true)));
  const ns = Array.from({ length: L }, (_, j) => m.delay(`n${j}`, lane(m, inN, j, N_BITS, false)));
  const bs = Array.from({ length: L }, (_, j) => m.delay(`b${j}`, lane(m, inB, j, p.biasBits, true)));
  const prodKeep = m.delay('prod_keep', inKeep);
  const prodCtl = delayControl(m, 'prod_ctl', normPass, inLast, 1);
  const outs = ys.map((y, j) => {
    const acc = m.wire(`acc${j}`, m.add(m.mul(ms[j]!, y, M_BITS + w.yBits), m.shlConst(bs[j]!, RECIP_SHIFT), w.accBits));
    // s − 1 = N + 30: t = ⌊acc / 2^(s−1)⌋ holds the quotient and the round bit; sticky = the bits below
    const sm1 = m.add(ns[j]!, lit(RECIP_SHIFT - 1, 5), 6);
    const t = m.wire(`t${j}`, m.shrVar(acc, sm1));
    const low = m.wire(`low${j}`, m.shlVar(acc, m.sub(lit(w.accBits, bitsFor(w.accBits)), sm1, bitsFor(w.accBits) + 1), w.accBits), {
      discards: 'only whether the bits below the round bit are zero',
    });
    const qv = m.shrConst(t, 1);
    const up = m.and(m.bit(t, 0), m.or(m.any(low), m.bit(qv, 0)));
    const rounded = m.add(qv, up, w.accBits);
    return m.mux(m.bit(prodKeep, j), m.asUnsigned(m.saturateSigned(rounded, p.outputBits)), lit(0, p.outputBits));
  });
  const out = registerRowOutputs(m, outs, prodKeep, prodCtl, inReady, `int${p.outputBits} per lane`);

  // transitions, the first that holds wins
  m.next(
    state,
    nextState(m, state, [
      [m.and(is(S.sum), lastBeat), S.dCalc],
      [is(S.dCalc), S.sqrtStart],
      [is(S.sqrtStart), S.sqrtWait],
      [sqrtDone, S.recipStart],
      [is(S.recipStart), S.recipWait],
      [recipDone, S.norm],
      [m.and(is(S.norm), lastBeat), S.flush],
      [m.and(is(S.flush), m.and(out.valid, out.last)), S.sum],
    ]),
  );

  return {
    unit: 'pts-layernorm',
    top,
    modules: [divider, isqrt, m],
    params: { ...p },
    inputs: [
      ...rowFramingPorts('in', L, 'a channel'),
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'q' },
      { name: 'in_alpha', laneBits: ALPHA_BITS, lanes: L, signed: false, doc: 'α_c' },
      { name: 'in_m', laneBits: M_BITS, lanes: L, signed: true, doc: 'sign·M_c' },
      { name: 'in_n', laneBits: N_BITS, lanes: L, signed: false, doc: 'N_c' },
      { name: 'in_b', laneBits: p.biasBits, lanes: L, signed: true, doc: 'B_c' },
    ],
    outputs: [...rowFramingPorts('out', L, 'a channel'), { name: 'out_y', laneBits: p.outputBits, lanes: L, signed: true, doc: 'normalised, scaled, biased' }],
    handshake: 'ready',
    passes: 2,
    timing: (rowLength) => ptsLayerNormTiming({ rowLength, lanes: L, dBits: w.dBits }),
    timingDoc:
      `2 passes of ⌈C/${L}⌉ beats; one cycle for D; the square root takes ${seqIsqrtLatency(w.dBits) + 1} cycles (digit recurrence), ` +
      `the reciprocal ${seqDividerLatency(31) + 1} (start + 31 quotient bits + done); product and output registers in the norm pass.`,
  };
}
