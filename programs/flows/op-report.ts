/**
 * The compiler's view of a run: cycles per operator class (GEMM, Shiftmax, ShiftGELU, LayerNorm, requant,
 * residual, DMA) and per model layer (each graph node), stalls by cause, utilisation, and the cycles the
 * non-linear unit is exposed (busy while the array is idle). The instruction → node map comes from the
 * compiler, so a layer's figures are exact even though the pipelined schedule interleaves layers.
 */
import type { SimRun, StallCause } from '../../sim/engine.js';
import type { AcceleratorConfig } from '../../sim/config.js';
import type { CompiledProgram } from '../compiler/compile.js';
import type { ReportClass } from '../../sim/instructions/index.js';
import { csvText } from '../../sim/report/csv.js';

export type OperatorClass = 'gemm' | 'shiftmax' | 'lis' | 'shiftgelu' | 'layernorm' | 'requant' | 'residual' | 'dma' | 'sync';
export const OPERATOR_CLASSES: readonly OperatorClass[] = ['gemm', 'shiftmax', 'lis', 'shiftgelu', 'layernorm', 'requant', 'residual', 'dma', 'sync'];

/** The operator table's class of each report class (residual adds by their operator's name; reductions are requant-like). */
const CLASS_OF: Readonly<Record<ReportClass, OperatorClass>> = {
  sync: 'sync',
  dma: 'dma',
  gemm: 'gemm',
  requant: 'requant',
  resadd: 'residual',
  shiftmax: 'shiftmax',
  lis: 'lis',
  shiftgelu: 'shiftgelu',
  layernorm: 'layernorm',
  reduce: 'requant',
};

export interface OperatorRow {
  count: number;
  busyCycles: number;
  stalls: Partial<Record<StallCause, number>>;
  /** GEMM: useful PE-cycles / (PEs × busy); SDU classes: useful lane-operations / (lanes × busy) */
  utilisation: number;
}

export interface LayerRow {
  /** the graph node's output tensor, e.g. block3.fc1 */
  name: string;
  op: string;
  macs: number;
  arrayCycles: number;
  sduCycles: number;
  dmaCycles: number;
  stallCycles: number;
  stalls: Partial<Record<StallCause, number>>;
  /** the array's useful PE-cycles / (PEs × this layer's GEMM cycles) */
  arrayUtilisation: number;
  firstCycle: number;
  lastCycle: number;
}

export interface CompilerReport {
  totalCycles: number;
  macs: number;
  /** MACs / (PEs × total cycles): the ideal-cycles ratio the targets are stated in */
  macUtilisation: number;
  /** PE-cycles doing useful work (int16 operands count their two passes) / (PEs × total cycles) */
  peUtilisation: number;
  arrayBusyCycles: number;
  sduBusyCycles: number;
  /** cycles the SDU is busy while the array is idle */
  sduExposedCycles: number;
  sduExposedFraction: number;
  /** cycles neither the array nor the SDU is busy */
  idleCycles: number;
  operators: Record<OperatorClass, OperatorRow>;
  layers: LayerRow[];
  /** the compiler's choices for this machine and why (the plan's reasons, then the schedule's) */
  plan: string[];
}

interface Span {
  start: number;
  end: number;
}

/** Total length of the union of intervals. */
function unionLength(spans: Span[]): number {
  const s = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = -1;
  let curEnd = -1;
  for (const x of s) {
    if (x.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = x.start;
      curEnd = x.end;
    } else curEnd = Math.max(curEnd, x.end);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

export function compilerReport(program: CompiledProgram, run: SimRun, cfg: AcceleratorConfig): CompilerReport {
  const pes = cfg.array.rows * cfg.array.cols;
  const lanes = cfg.sdu.lanes;
  const operators = Object.fromEntries(OPERATOR_CLASSES.map((c) => [c, { count: 0, busyCycles: 0, stalls: {}, utilisation: 0 }])) as Record<
    OperatorClass,
    OperatorRow
  >;
  const useful = Object.fromEntries(OPERATOR_CLASSES.map((c) => [c, 0])) as Record<OperatorClass, number>;
  const nodes = program.graph.nodes;
  const layers: LayerRow[] = nodes.map((n) => ({
    name: n.out,
    op: n.op,
    macs: 0,
    arrayCycles: 0,
    sduCycles: 0,
    dmaCycles: 0,
    stallCycles: 0,
    stalls: {},
    arrayUtilisation: 0,
    firstCycle: Infinity,
    lastCycle: 0,
  }));
  const layerPeOps = new Array<number>(nodes.length).fill(0);
  const arraySpans: Span[] = [];
  const sduSpans: Span[] = [];
  let macs = 0;
  let peOps = 0;
  run.executed.forEach((x, pc) => {
    const cls = CLASS_OF[x.reportClass];
    const row = operators[cls];
    const cycles = x.end - x.start;
    row.count++;
    row.busyCycles += cycles;
    let stall = 0;
    const layer = layers[program.instructionNodes[pc]!]!;
    for (const [k, v] of Object.entries(x.stalls) as [StallCause, number][]) {
      row.stalls[k] = (row.stalls[k] ?? 0) + v;
      layer.stalls[k] = (layer.stalls[k] ?? 0) + v;
      stall += v;
    }
    layer.stallCycles += stall;
    layer.firstCycle = Math.min(layer.firstCycle, x.start);
    layer.lastCycle = Math.max(layer.lastCycle, x.end);
    if (x.ins.mnemonic === 'gemm') {
      const f = x.ins.fields;
      const m = f.m * f.n * f.k;
      macs += m;
      peOps += x.cost.array?.peOps ?? m;
      useful.gemm += x.cost.array?.peOps ?? m;
      layerPeOps[program.instructionNodes[pc]!]! += x.cost.array?.peOps ?? m;
      layer.macs += m;
      layer.arrayCycles += cycles;
      arraySpans.push({ start: x.start, end: x.end });
    } else if (x.unit === 'sdu' && cls !== 'sync') {
      useful[cls] += x.cost.sduLaneOps ?? 0;
      layer.sduCycles += cycles;
      sduSpans.push({ start: x.start, end: x.end });
    } else if (cls === 'dma') layer.dmaCycles += cycles;
  });
  layers.forEach((l, i) => {
    l.arrayUtilisation = l.arrayCycles ? layerPeOps[i]! / (pes * l.arrayCycles) : 0;
  });
  for (const c of OPERATOR_CLASSES) {
    const r = operators[c];
    if (c === 'gemm') r.utilisation = r.busyCycles ? useful.gemm / (pes * r.busyCycles) : 0;
    else if (c !== 'dma' && c !== 'sync') r.utilisation = r.busyCycles ? useful[c] / (lanes * r.busyCycles) : 0;
  }
  const total = run.cycles;
  const arrayBusy = unionLength(arraySpans);
  const sduBusy = unionLength(sduSpans);
  const both = unionLength([...arraySpans, ...sduSpans]);
  const exposed = both - arrayBusy;
  return {
    totalCycles: total,
    macs,
    macUtilisation: total ? macs / (pes * total) : 0,
    peUtilisation: total ? peOps / (pes * total) : 0,
    arrayBusyCycles: arrayBusy,
    sduBusyCycles: sduBusy,
    sduExposedCycles: exposed,
    sduExposedFraction: total ? exposed / total : 0,
    idleCycles: total - both,
    operators,
    plan: [
      ...program.plan.reasons,
      program.pipelined
        ? 'schedule: row chains software-pipelined over the row tiles'
        : 'schedule: row chains not software-pipelined (too few row slots for the pipelined schedule)',
      ...(total && exposed / total > 0.05 ? [`SDU: exposed ${pct(exposed / total)} of the run (${lanes} lanes)`] : []),
    ],
    layers: layers.filter((l) => l.lastCycle > 0),
  };
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/** The operator-class and per-layer tables as text. */
export function compilerReportText(r: CompilerReport, opts: { layers?: boolean } = {}): string {
  const L: string[] = [];
  L.push(`  MACs ${int(r.macs)}: ${pct(r.macUtilisation)} of the ideal MACs/PEs cycles (PE utilisation incl. int16 passes ${pct(r.peUtilisation)})`);
  L.push(
    `  array busy ${int(r.arrayBusyCycles)}, SDU busy ${int(r.sduBusyCycles)}, SDU exposed ${int(r.sduExposedCycles)} (${pct(r.sduExposedFraction)} of ${int(r.totalCycles)}), both idle ${int(r.idleCycles)}`,
  );
  L.push('  plan');
  for (const line of r.plan) L.push(`    ${line}`);
  L.push('  operator      count   busy cycles   util    stalls by cause');
  for (const c of OPERATOR_CLASSES) {
    const o = r.operators[c];
    if (!o.count) continue;
    const stalls =
      Object.entries(o.stalls)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(', ') || '-';
    const util = c === 'dma' || c === 'sync' ? '     -' : pct(o.utilisation).padStart(6);
    L.push(`    ${c.padEnd(10)} ${int(o.count).padStart(6)} ${int(o.busyCycles).padStart(13)} ${util}   ${stalls}`);
  }
  if (opts.layers) {
    L.push('  layer                      array cycles  array util   SDU cycles   stall cycles          MACs');
    for (const l of r.layers)
      L.push(
        `    ${l.name.padEnd(24)} ${int(l.arrayCycles).padStart(12)} ${(l.arrayCycles ? pct(l.arrayUtilisation) : '-').padStart(11)} ${int(l.sduCycles).padStart(12)} ${int(l.stallCycles).padStart(14)} ${int(l.macs).padStart(13)}`,
      );
  }
  return `${L.join('\n')}\n`;
}

/** OPERATOR_REPORT.csv and LAYER_REPORT.csv. */
export function compilerReportCsv(r: CompilerReport): { operators: string; layers: string } {
  const causes = [...new Set(OPERATOR_CLASSES.flatMap((c) => Object.keys(r.operators[c].stalls)))].sort();
  const ops: Array<Array<string | number>> = [['Operator', 'Count', 'Busy Cycles', 'Util %', ...causes.map((c) => `Stall ${c}`)]];
  for (const c of OPERATOR_CLASSES) {
    const o = r.operators[c];
    ops.push([c, o.count, o.busyCycles, (100 * o.utilisation).toFixed(2), ...causes.map((k) => o.stalls[k as StallCause] ?? 0)]);
  }
  const layerCauses = [...new Set(r.layers.flatMap((l) => Object.keys(l.stalls)))].sort();
  const layers: Array<Array<string | number>> = [
    [
      'Layer',
      'Op',
      'MACs',
      'Array Cycles',
      'Array Util %',
      'SDU Cycles',
      'DMA Cycles',
      'Stall Cycles',
      ...layerCauses.map((c) => `Stall ${c}`),
      'First Cycle',
      'Last Cycle',
    ],
  ];
  for (const l of r.layers) {
    layers.push([
      l.name,
      l.op,
      l.macs,
      l.arrayCycles,
      (100 * l.arrayUtilisation).toFixed(2),
      l.sduCycles,
      l.dmaCycles,
      l.stallCycles,
      ...layerCauses.map((c) => l.stalls[c as StallCause] ?? 0),
      l.firstCycle,
      l.lastCycle,
    ]);
  }
  return { operators: csvText(ops), layers: csvText(layers) };
}
