/**
 * The HTML report of one run: cycles per layer by busy class and stall cause, each unit's activity over time,
 * a roofline per layer, the array/SDU overlap, and the operator table, under a header naming the machine and
 * the numerics preset.
 */
import { STALL_CAUSES } from '../sim/engine.js';
import { UNITS } from '../isa/table.js';
import type { RegionStats } from '../sim/report/stats.js';
import type { RunReportFile } from './run-file.js';
import { type ChartSection, type Page, type TableSection, pageHtml } from './page.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (f: number): string => `${(100 * f).toFixed(1)}%`;

/** The classes a region's busy cycles are split by, in the simulator report's naming. */
const BUSY_CLASSES = ['gemm', 'dma', 'requant', 'resadd', 'layernorm', 'shiftmax', 'lis', 'shiftgelu', 'reduce', 'sync'] as const;
// busy classes in cool colours, stall causes in warm ones, so the two stacks read apart at a glance
const BUSY_COLOURS = ['#1f4e9c', '#5b8fd6', '#2a9d8f', '#76c7b7', '#6a4c93', '#9d8ac7', '#3d7a3d', '#8cc084', '#9aa5b1'];
const STALL_COLOURS = ['#d62728', '#ff7f0e', '#f2b134', '#c2185b', '#8c564b', '#e377c2', '#bcbd22'];

/** Log-axis bounds on powers of ten around the values. */
function decades(lo: number, hi: number): { min: number; max: number } {
  return { min: 10 ** Math.floor(Math.log10(lo)), max: 10 ** Math.ceil(Math.log10(hi)) };
}

export function machineLine(r: RunReportFile): string {
  const c = r.config;
  return [
    `${c.array.rows}×${c.array.cols} ${c.array.dataflow.toUpperCase()} array at ${c.clockMHz} MHz`,
    `${c.sdu.lanes} SDU lanes`,
    `DMA ${c.dma.bytesPerCycle} B/cycle, latency ${c.dma.latency} cycles`,
    `scratchpad ${r.machine.scratchpad}`,
    `accumulator ${r.machine.accumulator}`,
  ].join(' · ');
}

function layerChart(r: RunReportFile): ChartSection {
  const regions = r.regions;
  const names = regions.map((g) => g.name);
  const busyClasses = BUSY_CLASSES.filter((c) => regions.some((g) => (g.classes[c]?.busyCycles ?? 0) > 0));
  const causes = STALL_CAUSES.filter((c) => regions.some((g) => (g.stalls[c] ?? 0) > 0));
  const series = [
    ...busyClasses.map((c) => ({
      name: `busy: ${c}`,
      type: 'bar',
      stack: 'busy',
      itemStyle: { color: BUSY_COLOURS[BUSY_CLASSES.indexOf(c)] },
      data: regions.map((g) => g.classes[c]?.busyCycles ?? 0),
    })),
    ...causes.map((c) => ({
      name: `stall: ${c}`,
      type: 'bar',
      stack: 'stall',
      itemStyle: { color: STALL_COLOURS[STALL_CAUSES.indexOf(c)] },
      data: regions.map((g) => g.stalls[c] ?? 0),
    })),
    { name: 'elapsed', type: 'line', data: regions.map((g) => g.cycles), symbol: 'diamond', symbolSize: 7, lineStyle: { color: '#000', width: 1 } },
  ];
  return {
    id: 'layers',
    title: 'Cycles per layer',
    caption:
      'Left bar of each layer: unit-cycles busy, by instruction class; right bar: unit-cycles stalled, by cause; the line: the layer’s elapsed cycles. The four units run concurrently, so a bar can exceed the line.',
    height: 480,
    option: {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 70, right: 20, top: 40, bottom: 110 },
      xAxis: { type: 'category', data: names, axisLabel: { rotate: 60, fontSize: 10, interval: 0 } },
      yAxis: { type: 'value', name: 'cycles' },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }],
      series,
    },
  };
}

function activityChart(r: RunReportFile): ChartSection {
  const a = r.activity;
  const x = (i: number): number => i * a.binCycles;
  const series = UNITS.flatMap((u) => [
    { name: `${u} busy`, type: 'line', step: 'end', showSymbol: false, data: a.busy[u].map((v, i) => [x(i), +(100 * v).toFixed(2)]) },
    {
      name: `${u} stalled`,
      type: 'line',
      step: 'end',
      showSymbol: false,
      lineStyle: { type: 'dashed' },
      data: a.stall[u].map((v, i) => [x(i), +(100 * v).toFixed(2)]),
    },
  ]);
  const selected = Object.fromEntries(UNITS.map((u) => [`${u} stalled`, false]));
  return {
    id: 'activity',
    title: 'Unit activity over time',
    caption: `Percentage of each ${int(a.binCycles)}-cycle bin that each unit was busy (solid) or stalled with an instruction waiting at its head (dashed; off by default, click the legend). The same slices as the Perfetto trace (--trace).`,
    option: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, selected },
      grid: { left: 60, right: 20, top: 50, bottom: 60 },
      xAxis: { type: 'value', name: 'cycle', nameLocation: 'middle', nameGap: 28, max: a.bins * a.binCycles },
      yAxis: { type: 'value', name: '% of bin', min: 0, max: 100 },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }],
      series,
    },
  };
}

const dramBytes = (g: RegionStats): number => g.dram.ifmap + g.dram.filter + g.dram.ofmap;

function rooflineChart(r: RunReportFile): ChartSection {
  const peak = r.config.array.rows * r.config.array.cols; // MACs per cycle
  const bw = r.config.dma.bytesPerCycle;
  const plotted = r.regions.filter((g) => g.macs > 0 && dramBytes(g) > 0 && g.cycles > 0);
  const left = r.regions.length - plotted.length;
  const pts = plotted.map((g) => ({ name: g.name, value: [g.macs / dramBytes(g), g.macs / g.cycles] }));
  const xs = pts.map((p) => p.value[0]!);
  const ridge = peak / bw;
  const { min: lo, max: hi } = decades(Math.min(ridge, ...xs) / 2, Math.max(ridge, ...xs) * 2);
  const ys = decades(Math.min(peak, ...pts.map((p) => p.value[1]!)) / 2, peak * 1.5);
  return {
    id: 'roofline',
    title: 'Roofline per layer',
    caption: `Each point is a layer: MACs per DRAM byte against MACs per cycle achieved. Roofs: the array’s ${peak} MACs/cycle and the DRAM channel’s ${bw} B/cycle (ridge at ${ridge.toFixed(1)} MACs/byte).${left ? ` ${left} layer(s) without MACs or without DRAM traffic are not plotted.` : ''}`,
    height: 460,
    option: {
      tooltip: { trigger: 'item' },
      legend: { top: 0 },
      grid: { left: 70, right: 30, top: 40, bottom: 50 },
      xAxis: { type: 'log', name: 'MACs per DRAM byte', nameLocation: 'middle', nameGap: 28, min: lo, max: hi },
      yAxis: { type: 'log', name: 'MACs per cycle', min: ys.min, max: ys.max },
      series: [
        { name: 'layers', type: 'scatter', symbolSize: 9, data: pts },
        {
          name: 'compute roof',
          type: 'line',
          showSymbol: false,
          data: [
            [ridge, peak],
            [hi, peak],
          ],
        },
        {
          name: 'bandwidth roof',
          type: 'line',
          showSymbol: false,
          data: [
            [Math.max(lo, ys.min / bw), Math.max(lo, ys.min / bw) * bw],
            [ridge, peak],
          ],
        },
      ],
    },
  };
}

function overlapChart(r: RunReportFile): ChartSection {
  const a = r.activity;
  const x = (i: number): number => i * a.binCycles;
  const area = (name: string, data: number[]): Record<string, unknown> => ({
    name,
    type: 'line',
    stack: 'overlap',
    areaStyle: {},
    step: 'end',
    showSymbol: false,
    data: data.map((v, i) => [x(i), +(100 * v).toFixed(2)]),
  });
  const total = Math.max(1, r.totalCycles);
  const exposed = r.sdu.exposedCycles;
  return {
    id: 'overlap',
    title: 'Array and SDU overlap',
    caption: `Per bin: the array and the SDU busy together, the array alone, the SDU alone (exposed: nonlinear work not hidden behind the array). Over the run the SDU is exposed for ${int(exposed)} cycles, ${pct(exposed / total)} of ${int(total)}.`,
    option: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 60 },
      xAxis: { type: 'value', name: 'cycle', nameLocation: 'middle', nameGap: 28, max: a.bins * a.binCycles },
      yAxis: { type: 'value', name: '% of bin', min: 0, max: 100 },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }],
      series: [area('array and SDU', a.arrayAndSdu), area('array alone', a.arrayAlone), area('SDU alone (exposed)', a.sduAlone)],
    },
  };
}

function operatorTable(r: RunReportFile): TableSection {
  const stalls = (s: Partial<Record<string, number>>): string =>
    Object.entries(s)
      .filter(([, v]) => (v ?? 0) > 0)
      .map(([k, v]) => `${k} ${int(v!)}`)
      .join(', ') || '-';
  if (r.compiler) {
    const rows = Object.entries(r.compiler.operators)
      .filter(([, o]) => o.count > 0)
      .map(([c, o]) => [c, int(o.count), int(o.busyCycles), c === 'dma' || c === 'sync' ? '-' : pct(o.utilisation), stalls(o.stalls)]);
    return {
      title: 'Operators',
      caption: 'Utilisation: GEMM, useful PE-cycles over PEs × busy cycles; SDU operators, useful lane-operations over lanes × busy cycles.',
      header: ['operator', 'count', 'busy cycles', 'utilisation', 'stalls by cause'],
      rows,
      numeric: [1, 2, 3],
    };
  }
  return {
    title: 'Instruction classes',
    caption: 'A program run with ivit sim: the classes of its instructions (ivit run adds the compiler’s operator table).',
    header: ['class', 'count', 'busy cycles'],
    rows: Object.entries(r.classes).map(([c, o]) => [c, int(o!.count), int(o!.busyCycles)]),
    numeric: [1, 2],
  };
}

export function runReportHtml(r: RunReportFile): string {
  const util = r.compiler ? r.compiler.macUtilisation : r.peUtilisation;
  const facts: Array<[string, string]> = [
    ['machine', machineLine(r)],
    ['numerics', `${r.config.numerics.preset} (${r.machine.numerics})`],
    ['cycles', `${int(r.totalCycles)} (${r.timeMs.toFixed(3)} ms at ${r.config.clockMHz} MHz), ${int(r.instructions)} instructions`],
    ['MAC utilisation', `${pct(util)} of the ideal MACs/PEs cycles`],
    ['SDU exposed', `${int(r.sdu.exposedCycles)} cycles (${pct(r.sdu.exposedCycles / Math.max(1, r.totalCycles))})`],
    [
      'values',
      r.mode.values
        ? r.bitExact === undefined || r.bitExact === null
          ? 'simulated'
          : r.bitExact
            ? 'bit-exact against the golden model'
            : 'NOT bit-exact'
        : 'timing only',
    ],
  ];
  const title = `ivit run report${r.model ? `: ${r.model}` : ''}`;
  const page: Page = { title, facts, sections: [layerChart(r), activityChart(r), rooflineChart(r), overlapChart(r), operatorTable(r)] };
  return pageHtml(page);
}
