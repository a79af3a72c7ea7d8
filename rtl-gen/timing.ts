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

export interface SduUnitTiming {
  /** cycles from the first element of a row entering to the last result leaving */
  latency: number;
  /** cycles between the starts of two successive rows (the row's issue cost) */
  initiationInterval: number;
}

export interface SduTimingQuery {
  unit: SduUnitKind;
  /** elements per row (tokens for Shiftmax, hidden features for ShiftGELU, channels for LayerNorm) */
  rowLength: number;
  /** parallel lanes */
  lanes: number;
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
      return shiftmaxTiming(q);
    case 'shiftgelu':
      return shiftGeluTiming(q);
    case 'layernorm':
      return layerNormTiming(q);
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
