/**
 * SCALE-Sim-compatible CSV reports. One row per program region (label) for its GEMM work, plus one row per
 * region and nonlinear instruction class (requant, resadd, shiftmax, shiftgelu, layernorm, reduce), named
 * `<region>/<class>`. For the nonlinear rows the "PE" figures are the SDU's lanes: Overall Util = useful
 * lane-operations / (lanes × (busy + stall cycles)), Mapping Efficiency = useful lane-operations / lane slots of
 * the row beats, Compute Util = useful lane-operations / (lanes × busy cycles). Bandwidths are bytes per cycle:
 * SRAM figures over the class's busy cycles, DRAM figures over the region's span (on the region's first row).
 */
import type { AcceleratorConfig } from '../config.js';
import type { InstructionClass, SimReport } from './stats.js';

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

const NONLINEAR: readonly InstructionClass[] = ['requant', 'resadd', 'shiftmax', 'shiftgelu', 'layernorm', 'reduce'];

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(4));
const pct = (a: number, b: number): string => num(b > 0 ? (100 * a) / b : 0);
const per = (a: number, b: number): string => num(b > 0 ? a / b : 0);
/**
 * The one CSV writer of the project (the SCALE-Sim reports, the compiler's reports, the sweep): RFC 4180 quoting
 * (a cell with a comma, a quote or a line break is quoted, quotes doubled), one line per row, a final newline.
 * `separator` is ', ' for the SCALE-Sim-style reports (their published format) and ',' for the sweep.
 */
export function csvText(rows: ReadonlyArray<ReadonlyArray<string | number>>, separator: ', ' | ',' = ', '): string {
  const field = (v: string | number): string => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(field).join(separator)).join('\n') + '\n';
}

export function computeReportCsv(r: SimReport, cfg: AcceleratorConfig): string {
  const pes = cfg.array.rows * cfg.array.cols;
  const lanes = cfg.sdu.lanes;
  const rows: string[][] = [COMPUTE_HEADER];
  for (const g of r.regions) {
    const gemm = g.classes.gemm;
    if (gemm) {
      rows.push([
        g.name,
        num(g.cycles),
        num(gemm.stallCycles),
        pct(g.peOps, pes * g.cycles),
        pct(g.mappingFolds, g.folds),
        pct(g.peOps, pes * gemm.busyCycles),
      ]);
    }
    for (const k of NONLINEAR) {
      const c = g.classes[k];
      if (!c) continue;
      rows.push([
        `${g.name}/${k}`,
        num(c.busyCycles),
        num(c.stallCycles),
        pct(c.sduLaneOps, lanes * (c.busyCycles + c.stallCycles)),
        pct(c.sduLaneOps, c.sduLaneSlots),
        pct(c.sduLaneOps, lanes * c.busyCycles),
      ]);
    }
  }
  return csvText(rows);
}

export function bandwidthReportCsv(r: SimReport): string {
  const rows: string[][] = [BANDWIDTH_HEADER];
  for (const g of r.regions) {
    let first = true;
    const dram = (): string[] => {
      if (!first) return ['0', '0', '0'];
      first = false;
      return [per(g.dram.ifmap, g.cycles), per(g.dram.filter, g.cycles), per(g.dram.ofmap, g.cycles)];
    };
    const gemm = g.classes.gemm;
    if (gemm) rows.push([g.name, per(gemm.ifmapSram, gemm.busyCycles), per(gemm.filterSram, gemm.busyCycles), per(gemm.ofmapSram, gemm.busyCycles), ...dram()]);
    for (const k of NONLINEAR) {
      const c = g.classes[k];
      if (!c) continue;
      rows.push([`${g.name}/${k}`, per(c.ifmapSram, c.busyCycles), per(c.filterSram, c.busyCycles), per(c.ofmapSram, c.busyCycles), ...dram()]);
    }
    if (first) rows.push([`${g.name}/dma`, '0', '0', '0', ...dram()]);
  }
  return csvText(rows);
}
