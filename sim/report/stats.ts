/** Aggregates an executed run into the figures every report format shows. */
import { type AcceleratorConfig, numericsOf, unitOverrides } from '../config.js';
import { type ExecutedInstruction, STALL_CAUSES, type SimRun, type StallCause } from '../engine.js';
import type { ProgramImage } from '../../isa/container.js';
import { UNITS, type UnitName, perUnit } from '../../isa/table.js';
import type { ReportClass } from '../instructions/index.js';

/** The classes reports group instructions by (each instruction's record names its class). */
export type InstructionClass = ReportClass;

export interface ClassStats {
  count: number;
  busyCycles: number;
  stallCycles: number;
  sduElements: number;
  sduLaneOps: number;
  sduLaneSlots: number;
  /** on-chip traffic: words for gemm (SCALE-Sim's counts), bytes for the SDU classes */
  ifmapSram: number;
  filterSram: number;
  ofmapSram: number;
}

export interface RegionStats {
  name: string;
  firstPc: number;
  lastPc: number;
  startCycle: number;
  endCycle: number;
  cycles: number;
  instructions: number;
  macs: number;
  peOps: number;
  /** Σ mapping efficiency × folds, and folds: the average is their ratio */
  mappingFolds: number;
  folds: number;
  peUtilisation: number;
  dram: { ifmap: number; filter: number; ofmap: number };
  /** first start and last end cycle of the region's gemms and of its DRAM traffic by role (null: none) */
  spans: Record<TrafficRole, Span | null>;
  classes: Partial<Record<InstructionClass, ClassStats>>;
  stalls: Partial<Record<StallCause, number>>;
}

export interface Span {
  start: number;
  end: number;
}

export type TrafficRole = 'gemm' | 'ifmapDram' | 'filterDram' | 'ofmapDram';

function widen(spans: Record<TrafficRole, Span | null>, role: TrafficRole, x: ExecutedInstruction): void {
  const s = spans[role];
  spans[role] = s ? { start: Math.min(s.start, x.start), end: Math.max(s.end, x.end) } : { start: x.start, end: x.end };
}

export interface SimReport {
  machine: {
    array: string;
    dataflow: string;
    clockMHz: number;
    sduLanes: number;
    dmaBytesPerCycle: number;
    dmaLatency: number;
    scratchpad: string;
    accumulator: string;
    numerics: string;
  };
  mode: { values: boolean; detailedArray: boolean };
  totalCycles: number;
  timeMs: number;
  instructions: number;
  macs: number;
  peOps: number;
  /** MACs / (R·C·total cycles): the fraction of the ideal MACs/PEs cycles (targets.md) */
  peUtilisation: number;
  /** PE-operations (int16 A counts its two passes) / (R·C·total cycles): how busy the PEs were */
  peActivity: number;
  classes: Partial<Record<InstructionClass, { count: number; busyCycles: number }>>;
  units: Record<UnitName, { busyCycles: number; utilisation: number; stallCycles: number }>;
  /**
   * laneUtilisation: useful lane-operations (elements × passes) / (lanes × busy cycles); exposedCycles: cycles in
   * which the SDU is busy and the array is not (nonlinear work not hidden behind the array)
   */
  sdu: { busyCycles: number; utilisation: number; elements: number; laneUtilisation: number; exposedCycles: number };
  dma: { bytesRead: number; bytesWritten: number; avgBytesPerCycle: number; channelUtilisation: number };
  stalls: Record<StallCause, number>;
  regions: RegionStats[];
}

function emptyClass(): ClassStats {
  return { count: 0, busyCycles: 0, stallCycles: 0, sduElements: 0, sduLaneOps: 0, sduLaneSlots: 0, ifmapSram: 0, filterSram: 0, ofmapSram: 0 };
}

/** The region (label) each PC belongs to: from one label to the next. */
export function regionNames(image: ProgramImage, count: number): string[] {
  const labels = image.symbols.filter((s) => s.kind === 'region').sort((a, b) => a.value - b.value);
  const out = new Array<string>(count);
  let li = -1;
  for (let pc = 0; pc < count; pc++) {
    while (li + 1 < labels.length && labels[li + 1]!.value <= pc) li++;
    out[pc] = li >= 0 ? labels[li]!.name : labels.length ? '(start)' : 'program';
  }
  return out;
}

function overlaps(a: { lo: number; hi: number }, b: { lo: number; hi: number }): boolean {
  return a.lo < b.hi && b.lo < a.hi;
}

/** Cycles covered by unit `a`'s instructions and not by unit `b`'s (each unit runs one instruction at a time). */
export function exposedCycles(xs: readonly ExecutedInstruction[], a: UnitName, b: UnitName): number {
  const ia = xs
    .filter((x) => x.unit === a)
    .map((x) => [x.start, x.end] as const)
    .sort((p, q) => p[0] - q[0]);
  const ib = xs
    .filter((x) => x.unit === b)
    .map((x) => [x.start, x.end] as const)
    .sort((p, q) => p[0] - q[0]);
  let exposed = 0;
  let j = 0;
  for (const [s0, e0] of ia) {
    let covered = 0;
    while (j < ib.length && ib[j]![1] <= s0) j++;
    for (let k = j; k < ib.length && ib[k]![0] < e0; k++) covered += Math.min(e0, ib[k]![1]) - Math.max(s0, ib[k]![0]);
    exposed += e0 - s0 - covered;
  }
  return exposed;
}

export function buildReport(run: SimRun, image: ProgramImage, cfg: AcceleratorConfig, mode: SimReport['mode']): SimReport {
  const names = regionNames(image, run.executed.length);
  const R = cfg.array.rows;
  const C = cfg.array.cols;
  const regions = new Map<string, RegionStats>();
  const byRegion = new Map<string, ExecutedInstruction[]>();
  run.executed.forEach((x, pc) => {
    const name = names[pc]!;
    if (!byRegion.has(name)) byRegion.set(name, []);
    byRegion.get(name)!.push(x);
  });
  const stalls = Object.fromEntries(STALL_CAUSES.map((c) => [c, 0])) as Record<StallCause, number>;
  const unitStalls = perUnit(0);
  const classes: SimReport['classes'] = {};
  let macs = 0;
  let peOps = 0;
  let sduElements = 0;
  let sduLaneOps = 0;
  let bytesRead = 0;
  let bytesWritten = 0;

  for (const [name, xs] of byRegion) {
    const r: RegionStats = {
      name,
      firstPc: xs[0]!.pc,
      lastPc: xs[xs.length - 1]!.pc,
      startCycle: Infinity,
      endCycle: 0,
      cycles: 0,
      instructions: xs.length,
      macs: 0,
      peOps: 0,
      mappingFolds: 0,
      folds: 0,
      peUtilisation: 0,
      dram: { ifmap: 0, filter: 0, ofmap: 0 },
      spans: { gemm: null, ifmapDram: null, filterDram: null, ofmapDram: null },
      classes: {},
      stalls: {},
    };
    const filterRanges = xs.filter((x) => x.ins.mnemonic === 'gemm').map((x) => x.footprint.accesses.find((a) => a.what === 'B')!);
    for (const x of xs) {
      r.startCycle = Math.min(r.startCycle, x.start);
      r.endCycle = Math.max(r.endCycle, x.end);
      const k = x.reportClass;
      const cs = (r.classes[k] ??= emptyClass());
      cs.count++;
      cs.busyCycles += x.cost.cycles;
      cs.ifmapSram += x.footprint.traffic.ifmapSram;
      cs.filterSram += x.footprint.traffic.filterSram;
      cs.ofmapSram += x.footprint.traffic.ofmapSram;
      cs.sduElements += x.cost.sduElements ?? 0;
      cs.sduLaneOps += x.cost.sduLaneOps ?? 0;
      cs.sduLaneSlots += x.cost.sduLaneSlots ?? 0;
      const g = (classes[k] ??= { count: 0, busyCycles: 0 });
      g.count++;
      g.busyCycles += x.cost.cycles;
      for (const [cause, v] of Object.entries(x.stalls) as [StallCause, number][]) {
        cs.stallCycles += v;
        r.stalls[cause] = (r.stalls[cause] ?? 0) + v;
        stalls[cause] += v;
        unitStalls[x.unit] += v;
      }
      if (x.ins.mnemonic === 'gemm' && x.cost.array) {
        const f = x.ins.fields;
        r.macs += f.m * f.n * f.k;
        r.peOps += x.cost.array.peOps;
        r.mappingFolds += x.cost.array.mappingEfficiency * x.cost.array.folds;
        r.folds += x.cost.array.folds;
        widen(r.spans, 'gemm', x);
      }
      if (x.ins.mnemonic === 'load') {
        const onChip = x.footprint.accesses.find((a) => a.what === 'on-chip side')!;
        const isFilter = onChip.space === 'spad' && filterRanges.some((b) => overlaps(onChip, b));
        if (isFilter) r.dram.filter += x.footprint.traffic.dramRead;
        else r.dram.ifmap += x.footprint.traffic.dramRead;
        widen(r.spans, isFilter ? 'filterDram' : 'ifmapDram', x);
        bytesRead += x.footprint.traffic.dramRead;
      }
      if (x.ins.mnemonic === 'store') {
        r.dram.ofmap += x.footprint.traffic.dramWrite;
        widen(r.spans, 'ofmapDram', x);
        bytesWritten += x.footprint.traffic.dramWrite;
      }
      sduElements += x.cost.sduElements ?? 0;
      sduLaneOps += x.cost.sduLaneOps ?? 0;
    }
    r.cycles = r.endCycle - r.startCycle;
    r.peUtilisation = r.cycles > 0 ? r.macs / (R * C * r.cycles) : 0;
    macs += r.macs;
    peOps += r.peOps;
    regions.set(name, r);
  }
  const total = run.cycles;
  const units = Object.fromEntries(
    UNITS.map((u) => [
      u,
      {
        busyCycles: run.unitBusy[u],
        utilisation: total ? run.unitBusy[u] / total : 0,
        stallCycles: unitStalls[u],
      },
    ]),
  ) as SimReport['units'];
  return {
    machine: {
      array: `${R}x${C}`,
      dataflow: cfg.array.dataflow,
      clockMHz: cfg.clockMHz,
      sduLanes: cfg.sdu.lanes,
      dmaBytesPerCycle: cfg.dma.bytesPerCycle,
      dmaLatency: cfg.dma.latency,
      scratchpad: `${cfg.scratchpad.bytes} B in ${cfg.scratchpad.banks} banks`,
      accumulator: `${cfg.accumulator.words} words in ${cfg.accumulator.banks} banks`,
      numerics: numericsLabel(cfg),
    },
    mode,
    totalCycles: total,
    timeMs: total / (cfg.clockMHz * 1000),
    instructions: run.executed.length,
    macs,
    peOps,
    peUtilisation: total ? macs / (R * C * total) : 0,
    peActivity: total ? peOps / (R * C * total) : 0,
    classes,
    units,
    sdu: {
      busyCycles: run.unitBusy.sdu,
      utilisation: total ? run.unitBusy.sdu / total : 0,
      elements: sduElements,
      laneUtilisation: run.unitBusy.sdu ? sduLaneOps / (cfg.sdu.lanes * run.unitBusy.sdu) : 0,
      exposedCycles: exposedCycles(run.executed, 'sdu', 'compute'),
    },
    dma: {
      bytesRead,
      bytesWritten,
      avgBytesPerCycle: total ? (bytesRead + bytesWritten) / total : 0,
      channelUtilisation: total ? run.dmaChannelBusy / total : 0,
    },
    stalls,
    regions: [...regions.values()],
  };
}

/** The preset and the square root its LayerNorm uses (PTS has its own: `pts.sqrt`), e.g. "pytorch/newton10", "fqvit/pts-floor". */
function numericsLabel(cfg: AcceleratorConfig): string {
  const n = numericsOf(cfg);
  const root = n.layerNorm === 'pts' ? `pts-${n.pts.sqrt}` : n.sqrt;
  const swaps = Object.entries(unitOverrides(cfg)).map(([k, v]) => `/${k}=${v}`);
  return `${cfg.numerics.preset}/${root}${cfg.numerics.geluSigma === 'saturate' ? '/gelu-sigma-saturate' : ''}${swaps.join('')}`;
}
