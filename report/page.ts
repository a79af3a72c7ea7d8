/**
 * The self-contained HTML page the reports are: ECharts inlined from its npm package (no CDN, works offline),
 * the charts' option objects as JSON, HTML tables, and a few lines that render each chart with the SVG renderer
 * and mark it `data-rendered` once ECharts says it finished (the browser test waits for that).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** An ECharts option object (plain JSON: no functions, so it can be embedded as data). */
export type ChartOption = Record<string, unknown>;

export interface ChartSection {
  id: string;
  title: string;
  /** one or two sentences under the title: what is plotted and how to read it */
  caption: string;
  option: ChartOption;
  height?: number;
}

export interface TableSection {
  title: string;
  caption?: string;
  header: string[];
  rows: Array<Array<string | number>>;
  /** columns (by index) to right-align: the numeric ones */
  numeric?: number[];
}

export interface Page {
  title: string;
  /** key facts under the title, one line each: the machine, the numerics preset, the headline figures */
  facts: Array<[string, string]>;
  sections: Array<ChartSection | TableSection>;
}

let echartsSource: string | undefined;

function echartsScript(): string {
  if (echartsSource === undefined) {
    const require = createRequire(import.meta.url);
    echartsSource = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  }
  return echartsSource;
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON that is safe inside a <script> element (no `</script>`, no HTML comment openers). */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const isChart = (s: ChartSection | TableSection): s is ChartSection => 'option' in s;

function tableHtml(t: TableSection): string {
  const num = new Set(t.numeric ?? []);
  const cell = (v: string | number, i: number, tag: 'td' | 'th'): string => `<${tag}${num.has(i) ? ' class="num"' : ''}>${escapeHtml(String(v))}</${tag}>`;
  return [
    `<section class="table"><h2>${escapeHtml(t.title)}</h2>`,
    t.caption ? `<p>${escapeHtml(t.caption)}</p>` : '',
    '<table><thead><tr>',
    t.header.map((h, i) => cell(h, i, 'th')).join(''),
    '</tr></thead><tbody>',
    t.rows.map((r) => `<tr>${r.map((v, i) => cell(v, i, 'td')).join('')}</tr>`).join('\n'),
    '</tbody></table></section>',
  ].join('');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
p { margin: 2px 0 8px; color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.chart { width: 100%; border: 1px solid #e4e4e4; border-radius: 4px; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; }
th { background: #f5f5f5; } .num { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 32px; color: #888; font-size: 12px; }
`;

// Renders every chart; a chart whose option fails to render logs the error (the browser test fails on it).
const BOOT = `
for (const c of IVIT_CHARTS) {
  const el = document.getElementById(c.id);
  const chart = echarts.init(el, null, { renderer: 'svg' });
  chart.on('finished', () => { el.dataset.rendered = '1'; });
  chart.setOption(c.option);
  window.addEventListener('resize', () => chart.resize());
}
`;

export function pageHtml(p: Page): string {
  const charts = p.sections.filter(isChart).map((c) => ({ id: c.id, option: { animation: false, ...c.option } }));
  const body = p.sections
    .map((s) =>
      isChart(s)
        ? `<section><h2>${escapeHtml(s.title)}</h2><p>${escapeHtml(s.caption)}</p><div class="chart" id="${escapeHtml(s.id)}" style="height:${s.height ?? 420}px"></div></section>`
        : tableHtml(s),
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(p.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style>
<script>${echartsScript()}</script></head>
<body><h1>${escapeHtml(p.title)}</h1>
<dl class="facts">${p.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${body}
<footer>Written by ivit report. Charts: Apache ECharts, bundled into this file.</footer>
<script>const IVIT_CHARTS = ${scriptJson(charts)};${BOOT}</script>
</body></html>
`;
}
