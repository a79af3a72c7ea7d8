/**
 * SCALE-Sim v2's three reports (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) in its own
 * format (`a, b, c,` lines, integer LayerID), loadable by its reader (scalesim/utilities/scalesim_report.py), with
 * its column definitions; and two files of ours beside them: SCALESIM_LAYERS.csv (which region each LayerID is,
 * its window) and SDU_REPORT.csv (the nonlinear classes per layer, which SCALE-Sim has no rows for).
 *
 * Layers are the program regions (labels) in execution order. Our regions overlap in time (the next layer's loads
 * run under this one's gemms), SCALE-Sim's run one after another; so each layer gets a window of the run: from
 * the end of the previous layer's window to the cycle by which this region and all before it have finished. The
 * windows partition [0, total): Total Cycles sums to the run's cycles. Within its window:
 *   Stall Cycles: cycles the array does no gemm (it waits for DMA or the SDU; ≤ Total Cycles);
 *   Overall Util %: MACs done in the window (each gemm's MACs spread evenly over its cycles) / (R·C·Total Cycles);
 *   Compute Util %: the same MACs / (R·C·(Total − Stall Cycles)), the utilisation while the array works;
 *   Mapping Efficiency %: the layer's gemms' mapped PEs over folds (sim/array/), SCALE-Sim's definition.
 * Bandwidths are words per cycle over the window: SRAM words as SCALE-Sim counts the array's operand entries
 * (scaleSimSramWords), DRAM words as bytes (SCALE-Sim's word_size is 1 byte); reads and writes are the layer's
 * own instructions', so every count column sums to the run's total.
 */
import type { AcceleratorConfig } from '../config.js';
import type { SimRun } from '../engine.js';
import type { InstructionClass, RegionStats, SimReport, Span } from './stats.js';

export const COMPUTE_HEADER = ['LayerID', 'Total Cycles', 'Stall Cycles', 'Overall Util %', 'Mapping Efficiency %', 'Compute Util %'];
export const BANDWIDTH_HEADER = [
  'LayerID',
  'Avg IFMAP SRAM BW',
  'Avg FILTER SRAM BW',
  'Avg OFMAP SRAM BW',
  'Avg IFMAP DRAM BW',
  'Avg FILTER DRAM BW',
  'Avg OFMAP DRAM BW',
];
export const DETAILED_ACCESS_HEADER = [
  'LayerID',
  ...['SRAM IFMAP', 'SRAM Filter', 'SRAM OFMAP', 'DRAM IFMAP', 'DRAM Filter', 'DRAM OFMAP'].flatMap((p) => [
    `${p} Start Cycle`,
    `${p} Stop Cycle`,
    `${p} ${p.endsWith('OFMAP') ? 'Writes' : 'Reads'}`,
  ]),
];
export const LAYERS_HEADER = ['LayerID', 'Layer', 'First PC', 'Last PC', 'Start Cycle', 'End Cycle', 'Window Start', 'Window End', 'MACs'];
export const SDU_HEADER = [
  'LayerID',
  'Layer',
  'Class',
  'Count',
  'Busy Cycles',
  'Stall Cycles',
  'Lane Util %',
  'Mapping Efficiency %',
  'SRAM In Bytes',
  'SRAM Table Bytes',
  'SRAM Out Bytes',
];

/** The SDU's classes: the nonlinear rows of SDU_REPORT.csv. */
export const NONLINEAR: readonly InstructionClass[] = ['requant', 'resadd', 'shiftmax', 'shiftgelu', 'layernorm', 'reduce', 'lis'];

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(4));
const pct = (a: number, b: number): string => num(b > 0 ? (100 * a) / b : 0);
const per = (a: number, b: number): string => num(b > 0 ? a / b : 0);
/**
 * The one CSV writer of the project (the compiler's reports, the sweep, our files beside SCALE-Sim's): RFC 4180
 * quoting (a cell with a comma, a quote or a line break is quoted, quotes doubled), one line per row, a final
 * newline. `separator` is ', ' for the report files and ',' for the sweep.
 */
export function csvText(rows: ReadonlyArray<ReadonlyArray<string | number>>, separator: ', ' | ',' = ', '): string {
  const field = (v: string | number): string => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(field).join(separator)).join('\n') + '\n';
}

/** SCALE-Sim's own line format (simulator.generate_reports): cells joined by ', ', each line ending in ','. */
function scaleSimText(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return rows.map((r) => `${r.join(', ')},`).join('\n') + '\n';
}

/** One layer: its region and its window of the run, with the array's work inside the window. */
export interface ScaleSimLayer {
  id: number;
  region: RegionStats;
  window: Span;
  /** cycles of the window in which the array runs a gemm */
  arrayBusy: number;
  /** MACs the array did inside the window */
  macs: number;
}

export function scaleSimLayers(run: SimRun, r: SimReport): ScaleSimLayer[] {
  const gemms = run.executed.filter((x) => x.ins.mnemonic === 'gemm' && x.end > x.start);
  let at = 0;
  return r.regions.map((region, id) => {
    const last = id === r.regions.length - 1;
    const window = { start: at, end: last ? Math.max(at, r.totalCycles) : Math.max(at, region.endCycle) };
    at = window.end;
    let macs = 0;
    const busy: Span[] = [];
    for (const x of gemms) {
      const lo = Math.max(x.start, window.start);
      const hi = Math.min(x.end, window.end);
      if (hi <= lo) continue;
      const f = x.ins.fields as { m: number; n: number; k: number };
      macs += (f.m * f.n * f.k * (hi - lo)) / (x.end - x.start);
      busy.push({ start: lo, end: hi });
    }
    return { id, region, window, arrayBusy: unionLength(busy), macs };
  });
}

function unionLength(spans: Span[]): number {
  spans.sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -Infinity;
  for (const s of spans) {
    if (s.end <= end) continue;
    total += s.end - Math.max(s.start, end);
    end = s.end;
  }
  return total;
}

const cyclesOf = (l: ScaleSimLayer): number => l.window.end - l.window.start;
const gemmClass = (l: ScaleSimLayer): { ifmapSram: number; filterSram: number; ofmapSram: number } =>
  l.region.classes.gemm ?? { ifmapSram: 0, filterSram: 0, ofmapSram: 0 };

export function computeReportCsv(layers: readonly ScaleSimLayer[], cfg: AcceleratorConfig): string {
  const pes = cfg.array.rows * cfg.array.cols;
  const rows = layers.map((l) => {
    const total = cyclesOf(l);
    const stall = total - l.arrayBusy;
    return [String(l.id), num(total), num(stall), pct(l.macs, pes * total), pct(l.region.mappingFolds, l.region.folds), pct(l.macs, pes * l.arrayBusy)];
  });
  return scaleSimText([COMPUTE_HEADER, ...rows]);
}

export function bandwidthReportCsv(layers: readonly ScaleSimLayer[]): string {
  const rows = layers.map((l) => {
    const t = cyclesOf(l);
    const g = gemmClass(l);
    const d = l.region.dram;
    return [String(l.id), per(g.ifmapSram, t), per(g.filterSram, t), per(g.ofmapSram, t), per(d.ifmap, t), per(d.filter, t), per(d.ofmap, t)];
  });
  return scaleSimText([BANDWIDTH_HEADER, ...rows]);
}

export function detailedAccessReportCsv(layers: readonly ScaleSimLayer[]): string {
  const span = (s: Span | null, count: number): string[] => (s ? [num(s.start), num(s.end - 1), num(count)] : ['0', '0', num(count)]);
  const rows = layers.map((l) => {
    const g = gemmClass(l);
    const sp = l.region.spans;
    const d = l.region.dram;
    return [
      String(l.id),
      ...span(sp.gemm, g.ifmapSram),
      ...span(sp.gemm, g.filterSram),
      ...span(sp.gemm, g.ofmapSram),
      ...span(sp.ifmapDram, d.ifmap),
      ...span(sp.filterDram, d.filter),
      ...span(sp.ofmapDram, d.ofmap),
    ];
  });
  return scaleSimText([DETAILED_ACCESS_HEADER, ...rows]);
}

/** Which region each LayerID is, and its window. */
export function layersCsv(layers: readonly ScaleSimLayer[]): string {
  return csvText([
    LAYERS_HEADER,
    ...layers.map((l) => [
      l.id,
      l.region.name,
      l.region.firstPc,
      l.region.lastPc,
      l.region.startCycle,
      l.region.endCycle,
      l.window.start,
      l.window.end,
      l.region.macs,
    ]),
  ]);
}

/**
 * The nonlinear rows: one per layer and SDU class. Lane Util % = useful lane-operations / (lanes × busy cycles);
 * Mapping Efficiency % = useful lane-operations / lane slots of the row beats. SRAM figures are bytes.
 */
export function sduReportCsv(layers: readonly ScaleSimLayer[], cfg: AcceleratorConfig): string {
  const rows: Array<Array<string | number>> = [SDU_HEADER];
  for (const l of layers)
    for (const k of NONLINEAR) {
      const c = l.region.classes[k];
      if (!c) continue;
      rows.push([
        l.id,
        l.region.name,
        k,
        c.count,
        c.busyCycles,
        c.stallCycles,
        pct(c.sduLaneOps, cfg.sdu.lanes * c.busyCycles),
        pct(c.sduLaneOps, c.sduLaneSlots),
        c.ifmapSram,
        c.filterSram,
        c.ofmapSram,
      ]);
    }
  return csvText(rows);
}

/** The five files, by name. */
export function scaleSimReportFiles(run: SimRun, r: SimReport, cfg: AcceleratorConfig): Array<[string, string]> {
  const layers = scaleSimLayers(run, r);
  return [
    ['COMPUTE_REPORT.csv', computeReportCsv(layers, cfg)],
    ['BANDWIDTH_REPORT.csv', bandwidthReportCsv(layers)],
    ['DETAILED_ACCESS_REPORT.csv', detailedAccessReportCsv(layers)],
    ['SCALESIM_LAYERS.csv', layersCsv(layers)],
    ['SDU_REPORT.csv', sduReportCsv(layers, cfg)],
  ];
}
