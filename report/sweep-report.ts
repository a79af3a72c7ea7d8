/**
 * The HTML report of a sweep CSV (`ivit sweep -o sweep.csv`): latency against area for every design point,
 * the Pareto front marked and joined, the dominated points greyed, and the front's points as a table.
 */
import { parse } from 'csv-parse/sync';
import { paretoFront } from './pareto.js';
import { SWEEP_COLUMNS } from '../programs/flows/sweep-point.js';
import { type Page, pageHtml } from './page.js';
import { ReportInputError, readReportInput } from './run-file.js';

export interface SweepPointRecord {
  label: string;
  model: string;
  cycles: number;
  ms: number;
  areaLut: number;
  areaFf: number;
  areaDsp: number;
  macUtilisation: number;
  areaBasis: string;
}

export interface SweepTable {
  points: SweepPointRecord[];
  /** rows with an error or without latency or area: listed, not plotted */
  skipped: Array<{ label: string; reason: string }>;
}

// every column the sweep writes but the error column (empty when the point succeeded)
const REQUIRED = SWEEP_COLUMNS.filter((c) => c !== 'error');

export function parseSweepCsv(text: string, file: string): SweepTable {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (e) {
    throw new ReportInputError(`${file}: not a CSV file (${(e as Error).message})`);
  }
  if (records.length === 0) throw new ReportInputError(`${file}: no rows (ivit sweep -o FILE.csv writes one per configuration)`);
  const missing = REQUIRED.filter((c) => !(c in records[0]!));
  if (missing.length) throw new ReportInputError(`${file}: not a sweep CSV with area columns: no column ${missing.map((m) => `"${m}"`).join(', ')}`);
  const points: SweepPointRecord[] = [];
  const skipped: SweepTable['skipped'] = [];
  records.forEach((r, i) => {
    const label = `${r.rows}×${r.cols} ${r.dataflow}, ${r.sduLanes} lanes, ${r.dmaBytesPerCycle} B/cycle`;
    const num = (k: string): number => (r[k] === '' || r[k] === undefined ? NaN : Number(r[k]));
    if (r.error) return skipped.push({ label, reason: r.error });
    const p = {
      cycles: num('cycles'),
      ms: num('ms'),
      areaLut: num('areaLut'),
      areaFf: num('areaFf'),
      areaDsp: num('areaDsp'),
      macUtilisation: num('macUtilisation'),
    };
    const bad = Object.entries(p).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      if (r[bad[0]] === '') return skipped.push({ label, reason: `no ${bad[0]}` });
      throw new ReportInputError(`${file}: line ${i + 2}: ${bad[0]} is not a number: "${r[bad[0]]}"`);
    }
    points.push({ label, model: r.model!, areaBasis: r.areaBasis!, ...p });
  });
  return { points, skipped };
}

export function readSweepCsv(file: string): SweepTable {
  return parseSweepCsv(readReportInput(file), file);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function sweepReportHtml(t: SweepTable, source: string): string {
  const front = paretoFront(t.points.map((p) => ({ x: p.areaLut, y: p.cycles })));
  const onFront = t.points.filter((_, i) => front.has(i)).sort((a, b) => a.areaLut - b.areaLut);
  const dominated = t.points.filter((_, i) => !front.has(i));
  const datum = (p: SweepPointRecord): Record<string, unknown> => ({ name: p.label, value: [p.areaLut, p.cycles] });
  const models = [...new Set(t.points.map((p) => p.model))];
  const bases = [...new Set(t.points.map((p) => p.areaBasis))];
  const page: Page = {
    title: `ivit sweep report${models.length ? `: ${models.join(', ')}` : ''}`,
    facts: [
      ['source', source],
      [
        'design points',
        `${t.points.length} plotted, ${onFront.length} on the Pareto front, ${dominated.length} dominated${t.skipped.length ? `, ${t.skipped.length} failed or incomplete` : ''}`,
      ],
      ['area', bases.length ? `${bases[0]}${bases.length > 1 ? ' (the first point; each row of the CSV states its own in areaBasis)' : ''}` : '-'],
    ],
    sections: [
      {
        id: 'pareto',
        title: 'Latency against area',
        caption:
          'Each point is one configuration: its area (LUT4) and its latency (cycles). Points no other point beats in both are the Pareto front (joined); the others are dominated (grey).',
        height: 480,
        option: {
          tooltip: { trigger: 'item' },
          legend: { top: 0 },
          grid: { left: 90, right: 30, top: 40, bottom: 50 },
          xAxis: { type: 'value', name: 'area (LUT4)', nameLocation: 'middle', nameGap: 28, scale: true },
          yAxis: { type: 'value', name: 'cycles', scale: true },
          series: [
            { name: 'Pareto front', type: 'line', step: false, symbolSize: 11, data: onFront.map(datum), itemStyle: { color: '#d62728' } },
            { name: 'dominated', type: 'scatter', symbolSize: 8, data: dominated.map(datum), itemStyle: { color: '#aaaaaa' } },
          ],
        },
      },
      {
        title: 'Every design point',
        caption: 'Sorted by area; "front" marks the Pareto-optimal points, "dominated by" names a front point that beats it in both figures.',
        header: ['configuration', 'cycles', 'ms', 'MAC utilisation', 'LUT4', 'FF', 'DSP', 'Pareto'],
        rows: [...t.points.keys()]
          .sort((a, b) => t.points[a]!.areaLut - t.points[b]!.areaLut || t.points[a]!.cycles - t.points[b]!.cycles)
          .map((i) => {
            const p = t.points[i]!;
            const by = onFront.find((q) => q.areaLut <= p.areaLut && q.cycles <= p.cycles && (q.areaLut < p.areaLut || q.cycles < p.cycles));
            const mark = front.has(i) ? 'front' : `dominated by ${by ? by.label : '?'}`;
            return [p.label, int(p.cycles), p.ms.toFixed(3), `${(100 * p.macUtilisation).toFixed(1)}%`, int(p.areaLut), int(p.areaFf), int(p.areaDsp), mark];
          }),
        numeric: [1, 2, 3, 4, 5, 6],
      },
      ...(t.skipped.length ? [{ title: 'Not plotted', header: ['configuration', 'reason'], rows: t.skipped.map((s) => [s.label, s.reason]) }] : []),
    ],
  };
  return pageHtml(page);
}
