/**
 * Latency and initiation interval of each generated shift/divide-unit (SDU) datapath: the one set of
 * figures that the RTL generator's descriptors report, its test benches measure, and the simulator's
 * SDU timing model reads. Owned by rtl-gen: when a generator's pipeline changes, this file changes with it
 * (test/rtl checks every formula against the cycle counts measured in simulation).
 *
 * Conventions: a beat carries `lanes` elements; the test bench offers a beat every cycle the unit is ready.
 * latency = cycle of the row's last output beat − cycle its first input beat was taken.
 * initiationInterval = cycles between the first input beats of two successive rows.
 */

import { PYTORCH_NUMERICS } from '../verify/golden/numerics-config.js';

export type SduUnitKind = 'shiftmax' | 'shiftgelu' | 'layernorm' | 'requant';

/**
 * How a row unit sequences its rows: 'overlap' (the default) starts the next row while the previous one is in
 * flight (II below latency); 'serial' takes one row at a time (II = latency + 1), the smaller unit.
 */
export const SDU_FORMS = ['overlap', 'serial'] as const;
export type SduForm = (typeof SDU_FORMS)[number];

export interface SduUnitTiming {
  /** cycles from the first element of a row entering to the last result leaving */
  latency: number;
  /** cycles between the starts of two successive rows (the row's issue cost); for an overlapping unit, in the steady state */
  initiationInterval: number;
  /**
   * an overlapping unit's stage figures: a run of rows follows overlapRowSchedule (two passes, I-LayerNorm) or
   * threePassRowSchedule (three passes, Shiftmax; `tail` cycles from the last norm beat to the last output)
   */
  overlap?: { passes: 2; beats: number; engine: number } | { passes: 3; beats: number; engine: number; tail: number };
}

/** Cycles from the first beat of a run of `rows` rows to the last output: the row schedule of an overlapping unit, else (rows − 1)·II + latency. */
export function sduRunCycles(t: SduUnitTiming, rows: number): number {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows ${rows} must be a positive integer`);
  if (t.overlap?.passes === 2) return overlapRowSchedule(rows, t.overlap.beats, t.overlap.engine).ends[rows - 1]!;
  if (t.overlap?.passes === 3) return threePassRowSchedule(rows, t.overlap.beats, t.overlap.engine, t.overlap.tail).ends[rows - 1]!;
  return (rows - 1) * t.initiationInterval + t.latency;
}

export interface SduTimingQuery {
  unit: SduUnitKind;
  /** elements per row (tokens for Shiftmax, hidden features for ShiftGELU, channels for LayerNorm) */
  rowLength: number;
  /** parallel lanes */
  lanes: number;
  /** LayerNorm and Shiftmax: the row sequencing (default overlap) */
  form?: SduForm;
}

/** Default pipelining of the generated units (the generators read these too). */
export const DEFAULT_PIPELINE = {
  /** registers inside a shift-exp lane */
  expStages: 4,
  /** ShiftGELU's per-element divider: quotient bits between two registers */
  geluDividerBitsPerStage: 1,
  /** ShiftGELU's E_M: start cycle + 10 quotient bits (|P| of an int8 row max) + done + one register */
  geluEmCycles: 13,
  /** I-LayerNorm's shared sequential divider: quotient bits per division (C ≤ 1024, int16 input) */
  layerNormQuotBits: 31,
  /** I-LayerNorm's variance width for C ≤ 1024 and int16 input: 2·16 + 11 */
  layerNormVarBits: 43,
  requantStages: 3,
} as const;

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Radix-2 sequential divider: `done` is seen quotBits + 1 cycles after the start edge. */
export function sequentialDividerCycles(quotientBits: number): number {
  return quotientBits + 1;
}

function checkRow(rowLength: number, lanes: number): number {
  if (!Number.isInteger(rowLength) || rowLength < 1) throw new RangeError(`row length ${rowLength} must be a positive integer`);
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes ${lanes} must be a positive integer`);
  return ceilDiv(rowLength, lanes);
}

/**
 * Shiftmax: max pass (B beats) + one cycle for the registered beat max, exp pass (B), exp-lane drain (le) +
 * the lane-sum register, divider start cycle + divide, state change, norm pass (B), lane drain (le), product
 * and output registers. The next row is taken one cycle after the last output.
 */
export function shiftmaxTiming(q: { rowLength: number; lanes: number; expLatency?: number; quotBits?: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const le = q.expLatency ?? DEFAULT_PIPELINE.expStages;
  const qb = q.quotBits ?? 31 - PYTORCH_NUMERICS.softmax.n; // the reciprocal has 31 − n quotient bits
  const latency = 3 * beats + 2 * le + qb + 5;
  return { latency, initiationInterval: latency + 1 };
}

/**
 * Cycles the overlapping Shiftmax unit's reciprocal takes, from the row's last exp beat to F in the divider
 * (units/shiftmax-overlap.ts): the exp-lane drain (le), the lane-sum register, the accumulate (the divider starts
 * the cycle after), and the divide from its start to done (quotBits + 1).
 */
export function shiftmaxReciprocalWait(q: { expLatency?: number; quotBits?: number }): number {
  const le = q.expLatency ?? DEFAULT_PIPELINE.expStages;
  const qb = q.quotBits ?? 31 - PYTORCH_NUMERICS.softmax.n;
  return le + 2 + sequentialDividerCycles(qb);
}

/**
 * Row schedule of a three-pass unit whose rows overlap (max → exp → reciprocal → norm), fed in the order
 * E(t − 1), M(t), N(t − 2) in slot t (M0, E0, M1, E1, M2, N0, …), every pass B beats, one beat per cycle when
 * taken. Cycle numbers from the first beat of M0; for row r (m, e, n the first beats of its passes, h the cycle
 * its reciprocal is handed to the norm stage, `wait` the reciprocal's cycles after the last exp beat):
 *   m_r = the stream's next cycle                    (the exp pass of row r − 1 is in, just before it)
 *   e_r = max(next cycle, m_r + B + 1, h_{r−1})    (the last beat max landed; the waiting row handed over)
 *   h_r = max(e_r + B − 1 + wait, n_{r−1} + B)      (F ready; the previous norm pass in)
 *   n_r = max(next cycle, h_r + 1); the row's last output leaves `tail` cycles after its last norm beat.
 * Steady state: rows start max(3B, B + wait − 1) apart (the three passes, or an exp pass and its reciprocal).
 */
export function threePassRowSchedule(rows: number, beats: number, wait: number, tail: number): { starts: number[]; ends: number[] } {
  const m: number[] = [];
  const e: number[] = [];
  const n: number[] = [];
  const ends: number[] = [];
  const hands: number[] = [];
  let free = 0;
  const take = (at: number): number => {
    free = at + beats;
    return at;
  };
  const hand = (r: number): number => {
    hands[r] ??= Math.max(e[r]! + beats - 1 + wait, r > 0 ? n[r - 1]! + beats : -Infinity);
    return hands[r];
  };
  for (let t = 0; t < rows + 2; t++) {
    const r = t - 1;
    if (r >= 0 && r < rows) e.push(take(Math.max(free, m[r]! + beats + 1, r > 0 ? hand(r - 1) : -Infinity)));
    if (t < rows) m.push(take(free));
    const q = t - 2;
    if (q >= 0) {
      n.push(take(Math.max(free, hand(q) + 1)));
      ends.push(n[q]! + beats - 1 + tail);
    }
  }
  return { starts: m, ends };
}

/**
 * The overlapping Shiftmax unit: latency of a row on an idle unit (the same as the one-row unit's: max pass, the
 * landing cycle, exp pass, the reciprocal wait, norm pass, lane drain, product and output registers); II in the
 * steady state max(3B, B + wait − 1). A run of rows takes threePassRowSchedule's end of the last row.
 */
export function shiftmaxOverlapTiming(q: { rowLength: number; lanes: number; expLatency?: number; quotBits?: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const le = q.expLatency ?? DEFAULT_PIPELINE.expStages;
  const wait = shiftmaxReciprocalWait(q);
  const tail = le + 2;
  return {
    latency: 3 * beats + wait + tail,
    initiationInterval: Math.max(3 * beats, beats + wait - 1),
    overlap: { passes: 3, beats, engine: wait, tail },
  };
}

/** Requant: a 3-register pipeline taking one beat per cycle. */
export function requantTiming(q: { rowLength: number; lanes: number; stages?: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const stages = q.stages ?? DEFAULT_PIPELINE.requantStages;
  return { latency: beats - 1 + stages, initiationInterval: beats };
}

/**
 * Timing of one row through one unit with the default pipelining (the generated configuration that
 * `ivit rtl <unit> --lanes L` emits).
 */
export function sduRowTiming(q: SduTimingQuery): SduUnitTiming {
  switch (q.unit) {
    case 'requant':
      return requantTiming(q);
    case 'shiftmax':
      return (q.form ?? 'overlap') === 'overlap' ? shiftmaxOverlapTiming(q) : shiftmaxTiming(q);
    case 'shiftgelu':
      return shiftGeluTiming(q);
    case 'layernorm':
      return (q.form ?? 'overlap') === 'overlap' ? layerNormOverlapTiming(q) : layerNormTiming(q);
  }
}

/**
 * ShiftGELU: max pass (B), E_M on the small sequential divider (emCycles: start, quotient bits, done),
 * element pass (B) through the element pipeline (exp lane, D register, pipelined divider, product and
 * output registers). The next row is taken one cycle after the last output.
 */
export function shiftGeluTiming(q: { rowLength: number; lanes: number; emCycles?: number; elementPipe?: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const em = q.emCycles ?? DEFAULT_PIPELINE.geluEmCycles;
  const pipe = q.elementPipe ?? DEFAULT_PIPELINE.expStages + 5 + Math.ceil(31 / DEFAULT_PIPELINE.geluDividerBitsPerStage);
  const latency = 2 * beats + em + pipe - 1;
  return { latency, initiationInterval: latency + 1 };
}

/**
 * I-LayerNorm: sum pass (B), mean divide (start + q + 1), variance pass (B) + square register, std,
 * reciprocal divide (start + q + 1), norm pass (B) + product and output registers. Each divide on the
 * shared sequential divider costs q + 2 cycles (start cycle, q quotient bits, done); the Newton replay is
 * ten of them, the floor square root ⌈varBits/2⌉ + 2.
 */
export function layerNormTiming(q: { rowLength: number; lanes: number; quotBits?: number; sqrt?: 'newton10' | 'floor'; varBits?: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const qb = q.quotBits ?? DEFAULT_PIPELINE.layerNormQuotBits;
  const divide = sequentialDividerCycles(qb) + 1;
  const sqrt = (q.sqrt ?? 'newton10') === 'floor' ? Math.ceil((q.varBits ?? DEFAULT_PIPELINE.layerNormVarBits) / 2) + 2 : 10 * divide;
  const latency = 3 * beats + 2 * divide + sqrt + 2;
  return { latency, initiationInterval: latency + 1 };
}

/**
 * Quotient bits of each divide of the overlapping I-LayerNorm engine, from the bounds the numerics give:
 * |Σx|/C ≤ 2^(inputBits − 1), so μ needs inputBits; every Newton k after the first step is ≥ ⌊√V⌋ (the integer
 * Newton step never goes below the floor root), so V/k < ⌊√V⌋ + 3 ≤ 2^(⌈varBits/2⌉ + 1); F = ⌊(2^31 − 1)/std⌋ needs 31.
 */
export function layerNormOverlapDivideBits(q: { inputBits: number; varBits: number }): { mean: number; newton: number; recip: number } {
  return { mean: q.inputBits, newton: Math.ceil(q.varBits / 2) + 1, recip: 31 };
}

/** Cycles of the overlapping I-LayerNorm engine's loop, capture to capture (units/layernorm-overlap.ts). */
export function layerNormOverlapEngineCycles(q: { inputBits?: number; sqrt?: 'newton10' | 'floor'; varBits?: number }): number {
  const varBits = q.varBits ?? DEFAULT_PIPELINE.layerNormVarBits;
  const bits = layerNormOverlapDivideBits({ inputBits: q.inputBits ?? 16, varBits });
  const divide = (qb: number): number => sequentialDividerCycles(qb) + 1;
  // floor: the digit-recurrence root (start, ⌈varBits/2⌉ root bits, done); Newton: one shift step + nine divides
  const std = (q.sqrt ?? 'newton10') === 'floor' ? Math.ceil(varBits / 2) + 2 : 1 + 9 * divide(bits.newton);
  // capture, μ divide, C·μ, V, std, F divide, hand-over
  return 1 + divide(bits.mean) + 2 + std + divide(bits.recip) + 1;
}

/**
 * Row schedule of a two-pass unit whose rows overlap in three stages (stats pass → engine → norm pass), fed in
 * the order S0, S1, N0, S2, N1, …, N(last), every pass B beats, one beat per cycle when taken. Cycle numbers
 * from the first beat of S0; for row r, with h the hand-over of the engine's result to the norm stage:
 *   capture_r = max(s_r + B + 1, h_{r−1} + 1)      (the sums final two cycles after the last stats beat; engine free)
 *   h_r = max(capture_r + engine − 1, n_{r−1} + B)  (the norm stage free after the previous norm pass)
 *   s_r = max(end of the previous item + 1, capture_{r−1}), n_r = max(end of the previous item + 1, h_r + 1)
 * and the row's last output leaves two registers after its last norm beat: end_r = n_r + B + 1.
 * Steady state: rows start max(engine, 2B) apart (the engine loop, or the two passes that stream per row).
 */
export function overlapRowSchedule(rows: number, beats: number, engine: number): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let streamFree = 0; // first cycle the input stream can take the next item
  let prevCapture = -Infinity;
  let prevHand = -Infinity;
  let prevNorm = -Infinity;
  const hands: number[] = [];
  const captures: number[] = [];
  const takeNorm = (r: number): void => {
    const n = Math.max(streamFree, hands[r]! + 1);
    streamFree = n + beats;
    prevNorm = n;
    ends.push(n + beats + 1);
  };
  for (let r = 0; r < rows; r++) {
    const s = Math.max(streamFree, prevCapture);
    streamFree = s + beats;
    starts.push(s);
    const capture = Math.max(s + beats + 1, prevHand + 1);
    captures.push(capture);
    // the engine's hand-over of row r waits for the norm pass of row r − 1, which the stream offers after S_r
    if (r > 0) takeNorm(r - 1);
    const hand = Math.max(capture + engine - 1, prevNorm + beats);
    hands.push(hand);
    prevCapture = capture;
    prevHand = hand;
  }
  takeNorm(rows - 1);
  return { starts, ends };
}

/**
 * The overlapping I-LayerNorm unit: latency of a row on an idle unit (stats pass, the sums two cycles later,
 * the engine, norm pass, product and output registers); II in the steady state max(engine, 2B). A run of rows
 * takes overlapRowSchedule's end of the last row (sduRunCycles), which the first rows' start-up keeps apart
 * from (rows − 1)·II + latency.
 */
export function layerNormOverlapTiming(q: {
  rowLength: number;
  lanes: number;
  inputBits?: number;
  sqrt?: 'newton10' | 'floor';
  varBits?: number;
}): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const engine = layerNormOverlapEngineCycles(q);
  return { latency: 2 * beats + engine + 2, initiationInterval: Math.max(engine, 2 * beats), overlap: { passes: 2, beats, engine } };
}

/** Registers of the FQ-ViT LIS lane: inputs, divide (q, r), polynomial, shift, threshold comparisons, count. */
export const LIS_LANE_REGISTERS = 6;

/**
 * FQ-ViT LIS lane (i-exp and log2 code of one element per cycle per lane): a pipeline of LIS_LANE_REGISTERS
 * registers taking one beat per cycle. A row is streamed twice through it in the SDU (E for Σ, then the codes);
 * this is one pass.
 */
export function lisLaneTiming(q: { rowLength: number; lanes: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  return { latency: beats - 1 + LIS_LANE_REGISTERS, initiationInterval: beats };
}

/** Registers of the I&S-ViT SULQ decode lane: inputs, threshold comparisons, code and shift, V << s. */
export const SULQ_LANE_REGISTERS = 4;

/** SULQ decode lane (code, shift and V << s of one element per cycle per lane): one pass, one beat per cycle. */
export function sulqLaneTiming(q: { rowLength: number; lanes: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  return { latency: beats - 1 + SULQ_LANE_REGISTERS, initiationInterval: beats };
}

/**
 * FQ-ViT PTS LayerNorm: sum pass (B), D register, square root (start + ⌈dBits/2⌉ + 1), reciprocal
 * (start + 31 quotient bits + done), norm pass (B) + product and output registers. The next row is taken
 * one cycle after the last output.
 */
export function ptsLayerNormTiming(q: { rowLength: number; lanes: number; dBits: number }): SduUnitTiming {
  const beats = checkRow(q.rowLength, q.lanes);
  const sqrt = Math.ceil(q.dBits / 2) + 2;
  const recip = sequentialDividerCycles(31) + 1;
  const latency = 2 * beats + 1 + sqrt + recip + 1;
  return { latency, initiationInterval: latency + 1 };
}
