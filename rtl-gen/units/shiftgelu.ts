/**
 * ShiftGELU row unit (numerics.md §4). The row (a token's hidden features) is streamed twice:
 *   pass 1 (max): the row max M; then E_M = ShiftExp(−M), saturated at 2^31 − 1, once per row on a small
 *   sequential divider (−M can be positive, so q may be negative and E_M may shift left past n);
 *   pass 2 (per element, one per cycle per lane): E_j on a shift-exp lane, D = min(E_j + E_M, 2^31 − 1),
 *   F = ⌊(2^31 − 1)/D⌋ on the pipelined triangular divider, σ = (E·F) >> (32 − k), out = x·σ.
 * E·F is formed as (mantissa·F) << shift, E = mantissa·2^shift with mantissa ≤ 2|x0|: a 9-bit × 31-bit
 * multiplier instead of 31 × 31.
 * Flavours (numerics.md §3 step 5, §4, §10): PyTorch q = ⌊P/x0⌋, E = (r − 2·x0)·2^(n−1−q); TVM q = trunc(P/x0),
 * E = ((r >> 1) − x0)·2^(n−q). They differ only where q and E are formed (the exp lane and E_M); the
 * pipeline, and so the latency and II, is the same.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { buildShiftExpLane } from '../blocks/shift-exp-lane.js';
import { buildSeqDivider, seqDividerLatency } from '../blocks/seq-divider.js';
import { buildRecipPipe, recipPipeLatency } from '../blocks/recip-pipe.js';
import { type GeneratedUnit, rowFramingPorts } from '../design.js';
import { DEFAULT_PIPELINE, shiftGeluTiming } from '../timing.js';
import { constMultiply, delayControl, lane, maskedBeatMax } from './row-control.js';
import type { Flavour } from '../../verify/golden/constants.js';
import { type GeluSigmaRule, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';

export interface ShiftGeluUnitParams {
  lanes: number;
  n: number;
  k: number;
  flavour: Flavour;
  inputBits: number;
  /** reference: σ from the exact E_j (uint(k), |x0| < 2^x0Bits with x0Bits + n ≤ 32); saturate: σ ≤ 2^(k−1) − 1 */
  sigmaRule: GeluSigmaRule;
  x0Bits: number;
  expStages: number;
  /** quotient bits per register in the per-element divider */
  divBitsPerStage: number;
}

/** The default numerics preset's ShiftGELU (widths from verify/golden/numerics-config.ts). */
export const SHIFTGELU_DEFAULTS: ShiftGeluUnitParams = {
  lanes: 1,
  n: PYTORCH_NUMERICS.gelu.n,
  k: PYTORCH_NUMERICS.gelu.k,
  flavour: PYTORCH_NUMERICS.flavour,
  inputBits: PYTORCH_NUMERICS.activationBits,
  sigmaRule: PYTORCH_NUMERICS.geluSigma,
  // |x0| ≤ 511: the whole range where the reference's E_j fits uint32 (S ≳ 0.00115)
  x0Bits: 9,
  expStages: DEFAULT_PIPELINE.expStages,
  divBitsPerStage: DEFAULT_PIPELINE.geluDividerBitsPerStage,
};

const INT31_MAX = (1n << 31n) - 1n;

export function buildShiftGeluUnit(p: ShiftGeluUnitParams): GeneratedUnit {
  const eBits = p.x0Bits + p.n; // E ≤ |x0|·2^n
  if (p.sigmaRule === 'reference' && eBits > PYTORCH_NUMERICS.expBits)
    throw new RangeError(
      `shiftgelu: |x0| < 2^${p.x0Bits} with n = ${p.n} gives E_j past ${PYTORCH_NUMERICS.expBits} bits (the reference rule keeps E_j exact)`,
    );
  if (eBits > 40) throw new RangeError(`shiftgelu: |x0| < 2^${p.x0Bits} with n = ${p.n} gives E past 40 bits`);
  if (p.n - 1 >= 32 - p.k) throw new RangeError(`shiftgelu: n − 1 = ${p.n - 1} must be below 32 − k = ${32 - p.k}`);
  const L = p.lanes;
  const top = `ivit_shiftgelu_l${L}_n${p.n}_k${p.k}_i${p.inputBits}_x${p.x0Bits}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_${p.sigmaRule === 'saturate' ? 'ss' : 'sr'}_e${p.expStages}_d${p.divBitsPerStage}`;
  const qBits = bitsFor(p.n);
  // E·F ≤ 2^31 − 1 while D is not saturated; when it is, F = 1 and E·F = E < 2^eBits
  const prodBits = Math.max(31, eBits);
  const sigmaBits = p.sigmaRule === 'saturate' ? p.k - 1 : prodBits - (32 - p.k); // uint7, or uint8 for eBits = 32
  const outBits = p.inputBits + sigmaBits; // int8 × uint8 → int16 (int8 × uint7 → int15 when saturating)
  const expLane = buildShiftExpLane({
    deltaBits: p.inputBits + 1,
    x0Bits: p.x0Bits,
    n: p.n,
    flavour: p.flavour,
    stages: p.expStages,
    tagBits: p.inputBits + 1,
    mantissaOutputs: true,
  });
  const mantBits = p.x0Bits + 1;
  const tagBits = mantBits + qBits + p.inputBits + 1;
  const recip = buildRecipPipe({ bitsPerStage: p.divBitsPerStage, tagBits });
  const lr = recipPipeLatency({ bitsPerStage: p.divBitsPerStage, tagBits });
  // E_M's divide: |P| / |x0| with |P| ≤ 1.4375·2^inputBits
  const pBits = p.inputBits + 2;
  const emDivider = buildSeqDivider({ numBits: pBits, denBits: p.x0Bits, quotBits: pBits });
  const le = expLane.latency;

  const m = new ModuleBuilder(top, [
    `ShiftGELU row unit, ${L} lane(s), n = ${p.n}, k = ${p.k}, ${p.flavour} flavour, int${p.inputBits} input, 1 ≤ |x0| < 2^${p.x0Bits} (x0 from S·1.702),`,
    `σ ${p.sigmaRule === 'saturate' ? `saturated at ${2 ** (p.k - 1) - 1}` : 'from the exact E_j (the reference rule)'}.`,
    'Stream each row twice (max pass, element pass); in_ready drops between them. Output x·σ, scale S·2^−(k−1).',
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the row (both passes)');
  const inKeep = m.input('in_keep', L, false, 'lane j holds an element');
  const inX = m.input('in_x', L * p.inputBits, false, 'x, lane 0 in the low bits');
  const cfgX0 = m.input('cfg_x0_mag', p.x0Bits, false, '|x0| ≥ 1, sampled at the first beat of the row');

  const S = { max: 0, emStart: 1, emWait: 2, elems: 3, flush: 4 };
  const state = m.reg('state', 3, { reset: S.max });
  const is = (s: number): Expr => m.eq(state, lit(s, 3));
  const inReady = m.wire('in_ready_w', m.or(is(S.max), is(S.elems)));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const lastBeat = m.wire('last_beat', m.and(accept, inLast));
  const firstBeat = m.reg('first_beat', 1, { reset: 1 });
  m.next(firstBeat, m.mux(accept, m.and(is(S.elems), inLast), firstBeat));
  const takeCfg = m.wire('take_cfg', m.and(m.and(accept, is(S.max)), firstBeat));
  const x0Mag = m.delay('x0_mag', cfgX0, takeCfg);
  const clampMag = m.delay('clamp_mag', constMultiply(m, cfgX0, p.n, p.x0Bits + qBits), takeCfg);

  // pass 1: row max
  const xs = Array.from({ length: L }, (_, j) => lane(m, inX, j, p.inputBits, true));
  const rowMax = m.reg('row_max', p.inputBits, { signed: true });
  const beatMax = maskedBeatMax(m, xs, inKeep, p.inputBits);
  m.next(rowMax, m.mux(firstBeat, beatMax, m.max(rowMax, beatMax)), m.and(accept, is(S.max)));

  // E_M = ShiftExp(−M), saturated at 2^31 − 1
  const negMax = m.sub(lit(0, 1), rowMax, p.inputBits + 1);
  const pw = p.inputBits + 3;
  const negMaxW = m.wire('neg_max', negMax);
  const pVal = m.wire('p_em', m.sub(m.add(negMaxW, m.shrConst(negMaxW, 1), pw), m.shrConst(negMaxW, 4), pw));
  const pPos = m.wire('p_pos', m.gt(pVal, lit(0, 1, false)));
  const pMag = m.wire('p_mag', m.truncate(m.mux(pPos, pVal, m.sub(lit(0, 1), pVal, pw)), pBits, false));
  const emNum = m.mux(pPos, pMag, m.truncate(m.min(pMag, clampMag), pBits, false));
  const emDiv = m.instance(emDivider, 'em_div', { start: is(S.emStart), num: m.named(emNum, 'em_num'), den: x0Mag });
  const bigQ = emDiv.quot!;
  const rho = emDiv.rem!;
  const sw = bitsFor(p.n + (1 << pBits) + 1) + 1; // signed shift width
  const { base, shift, forceX0 } =
    p.flavour === 'tvm' ? tvmExpMaxTerms(m, p, pPos, bigQ, rho, x0Mag, sw) : pytorchExpMaxTerms(m, p, pPos, bigQ, rho, x0Mag, sw);
  // one register between the divider's outputs and the wide shift + saturation (E_M is once per row)
  const emForm = m.flag('em_form', m.and(is(S.emWait), emDiv.done!));
  const baseQ = m.delay('em_base_q', base);
  const shiftQ = m.delay('em_shift_q', shift);
  const tooFar = m.wire('em_too_far', m.ge(m.asSigned(shiftQ), lit(31, sw, true)));
  const wideBits = p.x0Bits + 1 + 31;
  const shifted = m.wire('em_shifted', m.shlVar(baseQ, m.slice(shiftQ, 4, 0), wideBits));
  const emSat = m.mux(m.or(tooFar, m.gt(shifted, lit(INT31_MAX, 31))), lit(INT31_MAX, 31), m.truncate(shifted, 31, false));
  const emValue = forceX0 ? m.mux(m.delay('em_q_is_n_q', forceX0), m.extend(x0Mag, 31), emSat) : emSat;
  const expMax = m.reg('exp_max', 31);
  const emDone = m.wire('em_done', emForm);
  m.next(expMax, emValue, emDone);

  // pass 2: per element
  const toLanes = m.wire('to_lanes', m.and(accept, is(S.elems)));
  const outs: Expr[] = [];
  const keepOut: Expr[] = [];
  for (let j = 0; j < L; j++) {
    const delta = m.sub(xs[j]!, rowMax, p.inputBits + 1);
    const o = m.instance(expLane.module, `exp_lane${j}`, {
      delta,
      x0_mag: x0Mag,
      clamp_mag: clampMag,
      tag_in: m.concat([m.bit(inKeep, j), m.asUnsigned(xs[j]!)]),
    });
    // D = min(E + E_M, 2^31 − 1), registered
    const dSum = m.add(o.e!, expMax, Math.max(eBits, 31) + 1);
    const d = m.delay(`den${j}`, m.saturateUnsigned(dSum, INT31_MAX, 31));
    const side = m.delay(`side${j}`, m.concat([o.mant!, o.mshift!, o.tag_out!]));
    const r = m.instance(recip, `recip${j}`, { den: d, tag_in: side });
    const tagOut = m.named(r.tag_out!, `recip${j}_side`);
    const mant = m.slice(tagOut, tagBits - 1, tagBits - mantBits);
    // σ = ((mant·F) << mshift) >> (32 − k); mant·F ≤ E·F < 2^prodBits
    // mant·F in two registered halves (a 10 × 31 LUT multiplier in one cycle would set the clock)
    const lowBits = Math.ceil(mantBits / 2);
    const ppLo = m.delay(`pp_lo${j}`, m.mul(m.slice(mant, lowBits - 1, 0), r.quot!, prodBits));
    const ppHi = m.delay(`pp_hi${j}`, m.mul(m.slice(mant, mantBits - 1, lowBits), r.quot!, prodBits - lowBits));
    const side1 = m.delay(`side_pp${j}`, m.slice(tagOut, tagBits - mantBits - 1, 0));
    const prod = m.delay(`prod${j}`, m.add(ppLo, m.shlConst(ppHi, lowBits), prodBits));
    const side2 = m.delay(`side_prod${j}`, side1);
    const mshiftQ = m.slice(side2, side2.width - 1, p.inputBits + 1);
    const sr = m.sub(lit(32 - p.k, qBits + 1), mshiftQ, qBits + 2);
    const sigmaWide = m.wire(`sigma_wide${j}`, m.shrVar(prod, m.truncate(sr, qBits + 1, false)), {
      discards: `σ < 2^${prodBits - (32 - p.k)}: E·F < 2^${prodBits}`,
    });
    const sigmaExact = m.slice(sigmaWide, prodBits - (32 - p.k) - 1, 0);
    // saturating E_j at 2^31 − 1 first gives exactly min(σ, 2^(k−1) − 1): D is the same, and F = 1 wherever E_j > 2^31 − 1
    const sigmaMax = 2 ** (p.k - 1) - 1;
    const sigmaValue = p.sigmaRule === 'saturate' ? m.truncate(m.min(sigmaExact, lit(sigmaMax, sigmaExact.width)), sigmaBits, false) : sigmaExact;
    const sigma = m.delay(`sigma${j}`, sigmaValue);
    const keepXQ = m.delay(`keep_x${j}`, m.slice(side2, p.inputBits, 0));
    const xq = m.slice(keepXQ, p.inputBits - 1, 0, true);
    const keepQ = m.bit(keepXQ, p.inputBits);
    const y = m.mul(xq, sigma, outBits);
    outs.push(m.mux(keepQ, m.asUnsigned(y), lit(0, outBits)));
    keepOut.push(keepQ);
  }
  const pipe = le + 1 + lr + 3; // lane, D register, divider, partial products, product, σ
  const ctl = delayControl(m, 'elem_ctl', toLanes, inLast, pipe);
  const outY = m.delay('out_y_q', m.concat([...outs].reverse()));
  const outKeep = m.delay('out_keep_q', m.concat([...keepOut].reverse()));
  const outLast = m.delay('out_last_q', ctl.data);
  const outValid = m.flag('out_valid_q', ctl.valid);

  const next = (cond: Expr, to: number, otherwise: Expr): Expr => m.mux(cond, lit(to, 3), otherwise);
  let ns: Expr = state;
  ns = next(m.and(is(S.flush), m.and(outValid, outLast)), S.max, ns);
  ns = next(m.and(is(S.elems), lastBeat), S.flush, ns);
  ns = next(emDone, S.elems, ns);
  ns = next(is(S.emStart), S.emWait, ns);
  ns = next(m.and(is(S.max), lastBeat), S.emStart, ns);
  m.next(state, ns);

  m.output('in_ready', inReady, 'the unit takes a beat this cycle');
  m.output('out_valid', outValid, 'a beat of results');
  m.output('out_last', outLast, 'last beat of the row');
  m.output('out_keep', outKeep, 'lanes holding an element');
  m.output('out_y', outY, `x·σ, int${outBits} per lane, scale S·2^−${sigmaBits}`);

  const emCycles = seqDividerLatency(pBits) + 2; // start cycle, divide, the form register
  return {
    unit: 'shiftgelu',
    top,
    modules: [expLane.module, recip, emDivider, m],
    params: { ...p },
    inputs: [
      ...rowFramingPorts('in', L),
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'x' },
      { name: 'cfg_x0_mag', laneBits: p.x0Bits, lanes: 1, signed: false, doc: '|x0|' },
    ],
    outputs: [...rowFramingPorts('out', L), { name: 'out_y', laneBits: outBits, lanes: L, signed: true, doc: 'x·σ' }],
    handshake: 'ready',
    passes: 2,
    timing: (rowLength) => shiftGeluTiming({ rowLength, lanes: L, emCycles, elementPipe: pipe + 1 }),
    timingDoc:
      `2 passes of ⌈N/${L}⌉ beats; E_M takes ${emCycles} cycles (start + ${pBits}-bit sequential divide + done + one register); ` +
      `each element goes through the exp lane (${le}), the D register, the ${lr}-register divider (${p.divBitsPerStage} quotient bits per register), ` +
      'two partial-product registers, the σ register and the output register. The next row starts the cycle after the last output.',
  };
}

/** E_M as base·2^shift (the shift signed; `forceX0`: E_M = |x0| regardless), from the divider's outputs. */
interface ExpMaxTerms {
  base: Expr;
  shift: Expr;
  forceX0?: Expr;
}

/**
 * PyTorch: with Q = ⌊num/|x0|⌋ and ρ = num mod |x0| (num = |P|, clamped at n·|x0| when P ≤ 0),
 * P > 0: q = ⌊P/x0⌋ = −(Q + [ρ ≠ 0]), r = P − x0·q = ρ ≠ 0 ? ρ − |x0| : 0, so base = r − 2·x0 = ρ ≠ 0 ? |x0| + ρ : 2|x0|;
 * P ≤ 0: q = Q ≤ n, r = −ρ, base = 2|x0| − ρ. Shift n − 1 − q; q = n (shift −1) gives E = |x0|.
 */
function pytorchExpMaxTerms(m: ModuleBuilder, p: ShiftGeluUnitParams, pPos: Expr, bigQ: Expr, rho: Expr, x0Mag: Expr, sw: number): ExpMaxTerms {
  const rhoNz = m.any(rho);
  const twoB = m.shlConst(x0Mag, 1);
  const basePos = m.mux(rhoNz, m.add(x0Mag, rho, p.x0Bits + 1), twoB);
  const baseNeg = m.sub(twoB, rho, p.x0Bits + 2);
  const base = m.wire('em_base', m.truncate(m.mux(pPos, m.asSigned(m.extend(basePos, p.x0Bits + 2)), baseNeg), p.x0Bits + 1, false));
  const shiftPos = m.add(m.add(lit(p.n - 1, sw, true), m.asSigned(m.extend(bigQ, sw)), sw), m.asSigned(m.extend(rhoNz, 2)), sw);
  const shiftNeg = m.sub(lit(p.n - 1, sw, true), m.asSigned(m.extend(bigQ, sw)), sw);
  const shift = m.wire('em_shift', m.mux(pPos, shiftPos, shiftNeg));
  const qIsN = m.and(m.not(pPos), m.eq(bigQ, lit(p.n, bigQ.width)));
  return { base, shift, forceX0: qIsN };
}

/**
 * TVM: q = trunc(P/x0) rounds toward zero, so for P > 0 it is −Q (not −(Q + [ρ ≠ 0]) as the floor gives) and
 * r = P − x0·q = ρ ≥ 0: base = (r >> 1) − x0 = |x0| + ⌊ρ/2⌋, shift = n − q = n + Q.
 * P ≤ 0: q = Q ≤ n, r = −ρ, r >> 1 = −⌈ρ/2⌉: base = |x0| − ⌈ρ/2⌉ ≥ 1, shift = n − Q ≥ 0 (q = n: r = 0, E = |x0|).
 */
function tvmExpMaxTerms(m: ModuleBuilder, p: ShiftGeluUnitParams, pPos: Expr, bigQ: Expr, rho: Expr, x0Mag: Expr, sw: number): ExpMaxTerms {
  const halfFloor = m.shrConst(rho, 1);
  const halfCeil = m.shrConst(m.add(rho, lit(1, 1)), 1);
  const basePos = m.add(x0Mag, halfFloor, p.x0Bits + 1);
  const baseNeg = m.wire('em_base_neg', m.sub(x0Mag, halfCeil, p.x0Bits + 1), { discards: 'top bit: 1 ≤ |x0| − ⌈ρ/2⌉ ≤ |x0|' });
  const base = m.wire('em_base', m.mux(pPos, basePos, m.truncate(baseNeg, p.x0Bits, false)));
  const qSigned = m.asSigned(m.extend(bigQ, sw));
  const shiftPos = m.add(lit(p.n, sw, true), qSigned, sw);
  const shiftNeg = m.sub(lit(p.n, sw, true), qSigned, sw);
  const shift = m.wire('em_shift', m.mux(pPos, shiftPos, shiftNeg));
  return { base, shift };
}
