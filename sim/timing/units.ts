/**
 * The cost models the instruction records (sim/instructions/) are built from. The SDU figures come from rtl-gen/timing.ts (the latency and
 * initiation interval the generated datapaths have); the array's from sim/array/timing.ts or, in detailed mode,
 * from the PE-by-PE model, or from SCALE-Sim's count (sim/array/scalesim.ts); DMA from the configured latency and bandwidth.
 */
import { type AcceleratorConfig, ConfigError } from '../config.js';
import {
  type SduForm,
  type SduUnitKind,
  DEFAULT_PIPELINE,
  LIS_LANE_REGISTERS,
  ptsLayerNormTiming,
  sduRowTiming,
  sduRunCycles,
  sequentialDividerCycles,
} from '../../rtl-gen/timing.js';
import { PTS_LAYERNORM_DEFAULTS, ptsLayerNormWidths } from '../../rtl-gen/units/pts-layernorm.js';
import { type DataflowName, arrayTiming } from '../array/timing.js';
import { scaleSimTiming } from '../array/scalesim.js';
import { DETAILED_MAX_WORK, detailedArray } from '../array/detailed.js';
import type { ArrayTiming, GemmShape } from '../array/shape.js';
import { ceilDiv } from '../array/shape.js';
import { ExecError } from '../fault.js';

export interface UnitCost {
  /** cycles from start to completion */
  cycles: number;
  /** DMA: cycles the shared DRAM channel is occupied */
  channelCycles: number;
  /** GEMM: the array model's figures */
  array?: ArrayTiming;
  /** SDU: elements processed, lane-operations doing useful work, and lane slots the row beats occupy */
  sduElements?: number;
  sduLaneOps?: number;
  sduLaneSlots?: number;
}

/** The array's view of a GEMM (int16 A runs as two int8 passes; a shift-mode code, at most 8 bits, takes one). */
export function gemmShape(f: {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly atype: 'i8' | 'i16';
  readonly amode?: 'mul' | 'shift';
}): GemmShape {
  return { m: f.m, n: f.n, k: f.k, passes: f.atype === 'i16' && f.amode !== 'shift' ? 2 : 1 };
}

/** Passes each SDU row operation makes over its row (for the lane-occupancy figures). */
const SDU_PASSES: Record<SduUnitKind, number> = { requant: 1, shiftmax: 3, shiftgelu: 2, layernorm: 3 };

/**
 * `rows` row operations of `cols` elements on one SDU datapath, optionally followed by its fused requant stage.
 * A run takes the unit's run cycles (rtl-gen/timing.ts sduRunCycles): with overlapping rows the next row starts
 * while the previous is in flight, so a run is shorter than rows × latency.
 */
export function sduCost(kind: SduUnitKind, rows: number, cols: number, lanes: number, fused: boolean, form: SduForm = 'overlap'): UnitCost {
  const op = sduRowTiming({ unit: kind, rowLength: cols, lanes, form });
  const passes = op.overlap?.passes ?? SDU_PASSES[kind]; // a fused requant stage has lanes of its own: not counted here
  let cycles: number;
  if (!fused) cycles = sduRunCycles(op, rows);
  else {
    // the requant stage sits after the op's output and takes a beat per cycle, so it keeps up with rows at least
    // B beats apart; the slower stage sets the pace of a one-row-at-a-time unit
    const rq = sduRowTiming({ unit: 'requant', rowLength: cols, lanes });
    cycles = op.overlap ? sduRunCycles(op, rows) + rq.latency : (rows - 1) * Math.max(op.initiationInterval, rq.initiationInterval) + op.latency + rq.latency;
  }
  return {
    cycles,
    channelCycles: 0,
    sduElements: rows * cols,
    sduLaneOps: rows * passes * cols,
    sduLaneSlots: rows * passes * ceilDiv(cols, lanes) * lanes,
  };
}

/** A DMA of `bytes` holds the shared DRAM channel for the transfer, after the configured latency. */
export function dmaCost(bytes: number, cfg: AcceleratorConfig): UnitCost {
  const transfer = ceilDiv(bytes, cfg.dma.bytesPerCycle);
  return { cycles: cfg.dma.latency + transfer, channelCycles: transfer };
}

/** The dataflow of this machine's own array models (timing.ts, detailed.ts): input-stationary is SCALE-Sim's only. */
export function machineDataflow(cfg: AcceleratorConfig): DataflowName {
  const df = cfg.array.dataflow;
  if (df === 'is') throw new ConfigError('array.dataflow "is" exists only in the SCALE-Sim timing model (array.model "scalesim"), not in the PE-by-PE array');
  return df;
}

/**
 * A GEMM's time on the array: with array.model "overlap" the closed forms of this machine's array or, in detailed
 * mode, its PE-by-PE model; with "scalesim" SCALE-Sim v2's fold-by-fold count.
 */
export function gemmCost(shape: GemmShape, cfg: AcceleratorConfig, detailed: boolean): UnitCost {
  const g = { rows: cfg.array.rows, cols: cfg.array.cols };
  if (cfg.array.model === 'scalesim') {
    if (detailed)
      throw new ConfigError('the detailed PE-by-PE array model times this machine\'s overlapped folds: it does not combine with array.model "scalesim"');
    const t = scaleSimTiming(g, shape, cfg.array.dataflow);
    return { cycles: t.cycles, channelCycles: 0, array: t };
  }
  const dataflow = machineDataflow(cfg);
  const fast = arrayTiming(g, shape, dataflow);
  if (!detailed) return { cycles: fast.cycles, channelCycles: 0, array: fast };
  const work = shape.m * shape.n * shape.k * shape.passes * (cfg.array.rows + cfg.array.cols);
  if (work > DETAILED_MAX_WORK)
    throw new ExecError(
      'value',
      `gemm ${shape.m}×${shape.n}×${shape.k} is too large for the detailed PE-by-PE array model (limit ${DETAILED_MAX_WORK} PE-steps)`,
    );
  // timing from unit operands; with values, the gemm record runs the model again on the real operands
  const d = detailedArray(g, shape, { a: () => 1, b: () => 1 }, dataflow);
  return { cycles: d.cycles, channelCycles: 0, array: { ...fast, cycles: d.cycles } };
}

/**
 * FQ-ViT LIS rows on the SDU: a max pass (B beats), then the row twice through the LIS lanes (rtl-gen's lis lane,
 * LIS_LANE_REGISTERS deep): E_j for the sum, then E_j again against the sum's thresholds for the codes. One row at
 * a time, like Shiftmax. The lane is generated RTL; the row sequencing around it is this model's.
 */
export function lisCost(rows: number, cols: number, lanes: number): UnitCost {
  const beats = ceilDiv(cols, lanes);
  return oneRowAtATime(rows, cols, lanes, 3 * beats + 2 * LIS_LANE_REGISTERS + 1, 3);
}

/** A unit that takes the next row one cycle after the last output of the previous (II = latency + 1). */
function oneRowAtATime(rows: number, cols: number, lanes: number, latency: number, passes: number): UnitCost {
  return {
    cycles: (rows - 1) * (latency + 1) + latency,
    channelCycles: 0,
    sduElements: rows * cols,
    sduLaneOps: rows * passes * cols,
    sduLaneSlots: rows * passes * ceilDiv(cols, lanes) * lanes,
  };
}

/**
 * PTS LayerNorm rows: with the floor square root, the generated unit's timing (rtl-gen/units/pts-layernorm.ts,
 * co-simulated: sum pass, D, digit-recurrence root, reciprocal, output pass). The unit has no Newton replay; with
 * `sqrt: newton10` the root takes I-LayerNorm's ten divides on the same sequential divider instead.
 */
export function ptsLayerNormCost(rows: number, cols: number, lanes: number, sqrt: 'newton10' | 'floor'): UnitCost {
  const dBits = ptsLayerNormWidths(PTS_LAYERNORM_DEFAULTS).dBits;
  const unit = ptsLayerNormTiming({ rowLength: cols, lanes, dBits });
  const floorRoot = Math.ceil(dBits / 2) + 2;
  const newton = 10 * (sequentialDividerCycles(DEFAULT_PIPELINE.layerNormQuotBits) + 1);
  return oneRowAtATime(rows, cols, lanes, unit.latency + (sqrt === 'floor' ? 0 : newton - floorRoot), 2);
}
