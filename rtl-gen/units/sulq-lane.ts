/**
 * I&S-ViT SULQ decode lane (docs/numerics.md "I&S-ViT: the shift-uniform-log2 quantiser (SULQ)"; I&S-ViT
 * `LogSqrt2Quantizer.forward`): one attention probability P (Shiftmax's output at 2^−f) and one V per cycle.
 *   code:   c = #{i : P ≥ T_i}, N comparisons of P against the layer's thresholds (a thermometer code);
 *   decode: s = shifts[c] = RNE(u_min + c·Δ) + f, a priority mux over the thermometer;
 *   term:   V << s, the lane's share of attention·V = 2^−f·(Σ_j V_j << s_j − H·Σ_j V_j).
 * The thresholds and shifts are the golden op's (`sulqConstants`), fixed when the lane is generated; the
 * accumulator sums the terms and subtracts H·ΣV once per column of V.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import type { GeneratedUnit } from '../design.js';
import { SULQ_LANE_REGISTERS, sulqLaneTiming } from '../timing.js';
import { type SulqGrid, sulqConstants, sulqParams } from '../../verify/golden/ops/sulq.js';

export interface SulqLaneParams {
  /** the shift η (rounded to the input grid: H = RNE(η·2^f)) */
  eta: number;
  /** code bits b (I&S-ViT: 3, 4) */
  bits: number;
  /** f: P at scale 2^−f (Shiftmax with k = 16: 15) */
  inputFracBits: number;
  grid: SulqGrid;
  /** width of V (signed) */
  vBits: number;
}

/** η = 0.01 (the published search's usual pick for attention), 4-bit codes, Shiftmax's 2^−15 grid, int8 V. */
export const SULQ_LANE_DEFAULTS: SulqLaneParams = { eta: 0.01, bits: 4, inputFracBits: 15, grid: 'forward', vBits: 8 };

/** Widths derived from the parameters, and the golden constants the lane hard-wires. */
export function sulqLaneWidths(p: SulqLaneParams) {
  const k = sulqConstants(p.eta, p.bits, p.inputFracBits, p.grid);
  const q = sulqParams(k);
  const maxShift = Math.max(...k.shifts);
  return { constants: k, inputBits: q.inputBits, codeBits: q.codeBits, shiftBits: bitsFor(maxShift), termBits: p.vBits + maxShift };
}

export function buildSulqLaneUnit(p: SulqLaneParams): GeneratedUnit {
  const w = sulqLaneWidths(p);
  const k = w.constants;
  const etaTag = `h${k.eta}`;
  const top = `ivit_sulq_lane_${etaTag}_b${p.bits}_f${p.inputFracBits}_${p.grid === 'forward' ? 'fw' : 'cal'}_v${p.vBits}`;
  const m = new ModuleBuilder(top, [
    `I&S-ViT SULQ decode lane: ${k.levels} threshold comparisons give the code of P (scale 2^-${p.inputFracBits}), the code's shift s, and V << s.`,
    `eta = ${p.eta} (H = ${k.eta}), b = ${p.bits}, ${p.grid} grid; one element per cycle, latency ${SULQ_LANE_REGISTERS} cycles.`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered (always taken)');
  const inP = m.input('in_p', w.inputBits, false, `P, the probability at 2^-${p.inputFracBits}`);
  const inV = m.input('in_v', p.vBits, false, 'V, signed');

  // stage 0: input registers
  const v0 = m.flag('valid_s0', inValid);
  const p0 = m.delay('p_s0', inP);
  const x0 = m.delay('v_s0', m.asSigned(inV));

  // stage 1: thermometer bit i − 1 = [P ≥ T_i]
  const therm = k.thresholds.map((t) => m.ge(p0, lit(t, w.inputBits)));
  const v1 = m.flag('valid_s1', v0);
  const t1 = m.delay('therm_s1', m.concat([...therm].reverse()));
  const x1 = m.delay('v_s1', x0);

  // stage 2: code = count of thresholds passed; shift = shifts[code] by the highest bit set (the thermometer is monotone)
  let count: Expr = lit(0, w.codeBits);
  for (let i = 0; i < k.levels; i++) count = m.truncate(m.add(count, m.bit(t1, i), w.codeBits + 1), w.codeBits, false);
  let shift: Expr = lit(k.shifts[0]!, w.shiftBits);
  for (let i = 1; i <= k.levels; i++) shift = m.mux(m.bit(t1, i - 1), lit(k.shifts[i]!, w.shiftBits), shift);
  const v2 = m.flag('valid_s2', v1);
  const code2 = m.delay('code_s2', m.wire('code', count, { discards: `the count is at most ${k.levels}` }));
  const shift2 = m.delay('shift_s2', shift);
  const x2 = m.delay('v_s2', x1);

  // stage 3: V << s, two's complement in termBits (sign-extended first, so the shift keeps the sign)
  const wide = m.asUnsigned(m.extend(x2, w.termBits));
  const v3 = m.flag('valid_s3', v2);
  const term3 = m.delay('term_s3', m.asSigned(m.shlVar(wide, shift2, w.termBits)));
  const code3 = m.delay('code_s3', code2);
  const shift3 = m.delay('shift_s3', shift2);

  m.output('out_valid', v3, 'a result');
  m.output('out_code', code3, `SULQ code 0 … ${k.levels}`);
  m.output('out_shift', shift3, 'the decoded shift s = RNE(u_min + code·Δ) + f');
  m.output('out_term', term3, `V << s, signed ${w.termBits} bits`);
  return {
    unit: 'sulq-lane',
    top,
    modules: [m],
    params: { ...p, h: k.eta, levels: k.levels },
    inputs: [
      { name: 'in_p', laneBits: w.inputBits, lanes: 1, signed: false, doc: 'P' },
      { name: 'in_v', laneBits: p.vBits, lanes: 1, signed: true, doc: 'V' },
    ],
    outputs: [
      { name: 'out_code', laneBits: w.codeBits, lanes: 1, signed: false, doc: 'code' },
      { name: 'out_shift', laneBits: w.shiftBits, lanes: 1, signed: false, doc: 'shift' },
      { name: 'out_term', laneBits: w.termBits, lanes: 1, signed: true, doc: 'V << shift' },
    ],
    handshake: 'always',
    passes: 1,
    timing: (rowLength) => sulqLaneTiming({ rowLength, lanes: 1 }),
    timingDoc: `${SULQ_LANE_REGISTERS} registers: inputs, ${k.levels} threshold comparisons, code count and shift mux, V << s; one element per cycle`,
  };
}
