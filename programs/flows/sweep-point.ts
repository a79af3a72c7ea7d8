/**
 * One design point of a sweep: compile the model's graph for a machine and simulate its timing. Shape-only
 * graphs suffice (the instruction stream does not depend on the weights), so no model is generated.
 */
import type { AcceleratorConfig } from '../../sim/config.js';
import { simulate } from '../../sim/engine.js';
import type { VitGraph } from '../graph/graph.js';
import { compileGraph } from '../compiler/compile.js';
import { compilerReport } from './op-report.js';
import { csvText } from '../../sim/report/csv.js';

export interface SweepRow {
  model: string;
  rows: number;
  cols: number;
  dataflow: string;
  sduLanes: number;
  dmaBytesPerCycle: number;
  /** the figures: absent when the point failed (so a failure never sorts as the best point) */
  cycles?: number;
  ms?: number;
  macUtilisation?: number;
  peUtilisation?: number;
  sduExposedFraction?: number;
  instructions?: number;
  /** iCE40 LUT4s, flip-flops and DSPs of the SDU plus the array (programs/flows/area.ts); absent with --area none */
  areaLut?: number;
  areaFf?: number;
  areaDsp?: number;
  /** the two parts of areaLut */
  areaSduLut?: number;
  areaArrayLut?: number;
  /** what of the area is measured (synthesised) and what modelled */
  areaBasis?: string;
  /** set when the point cannot be compiled or simulated */
  error?: string;
}

export function sweepPoint(graph: VitGraph, cfg: AcceleratorConfig): SweepRow {
  const base = {
    model: graph.config.name,
    rows: cfg.array.rows,
    cols: cfg.array.cols,
    dataflow: cfg.array.dataflow,
    sduLanes: cfg.sdu.lanes,
    dmaBytesPerCycle: cfg.dma.bytesPerCycle,
  };
  try {
    const program = compileGraph(graph, cfg);
    const run = simulate(program.image, { config: program.config, timingOnly: true });
    const r = compilerReport(program, run, program.config);
    return {
      ...base,
      cycles: run.cycles,
      ms: run.cycles / (cfg.clockMHz * 1000),
      macUtilisation: r.macUtilisation,
      peUtilisation: r.peUtilisation,
      sduExposedFraction: r.sduExposedFraction,
      instructions: run.executed.length,
    };
  } catch (e) {
    return { ...base, error: (e as Error).message };
  }
}

export const SWEEP_COLUMNS: ReadonlyArray<keyof SweepRow> = [
  'model',
  'rows',
  'cols',
  'dataflow',
  'sduLanes',
  'dmaBytesPerCycle',
  'cycles',
  'ms',
  'macUtilisation',
  'peUtilisation',
  'sduExposedFraction',
  'instructions',
  'areaLut',
  'areaFf',
  'areaDsp',
  'areaSduLut',
  'areaArrayLut',
  'areaBasis',
  'error',
];

export function sweepCsv(rows: readonly SweepRow[]): string {
  const cell = (v: string | number | undefined): string => (v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(6) : String(v));
  return csvText([[...SWEEP_COLUMNS], ...rows.map((r) => SWEEP_COLUMNS.map((k) => cell(r[k])))], ',');
}
