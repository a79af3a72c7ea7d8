/** The evaluation report as text: the accuracy table, the agreement counts, per-class accuracy, throughput. */
import { COLUMN_TITLES, type Column, type ColumnName, type EvalReport } from './evaluate.js';

const COLUMNS: ColumnName[] = ['fp32', 'fakeQuant', 'golden'];
const pct = (v: number): string => `${(100 * v).toFixed(2)} %`;

function cell(c: Column): string {
  return 'unavailable' in c ? c.unavailable : `${pct(c.top1)} (${c.correct})`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')}`.trimEnd());
}

export function evalReportText(r: EvalReport): string {
  const out: string[] = [];
  out.push(
    `ivit eval: ${r.model} (${r.modelName}) on ${r.data} ${r.split}, ${r.count} images, numerics ${r.numerics ?? 'pytorch'}${r.floatCheckpoint ? `; FP32 from ${r.floatCheckpoint}` : ''}`,
  );
  out.push(
    ...table([
      ['top-1', ...COLUMNS.map((c) => COLUMN_TITLES[c])],
      ['all', ...COLUMNS.map((c) => cell(r.columns[c]))],
    ]),
  );
  const g = r.columns.golden;
  const fp = r.columns.fp32;
  if (!('unavailable' in g) && !('unavailable' in fp)) out.push(`  integer − FP32: ${((g.top1 - fp.top1) * 100).toFixed(2)} pt`);
  const iv = r.int64VsGolden;
  out.push(
    'unavailable' in iv
      ? `  PyTorch int64 = golden: ${iv.unavailable}`
      : `  PyTorch int64 = golden: ${iv.imagesEqual} / ${iv.images} images with every logit equal (${iv.logitsEqual} / ${iv.logitsCompared} logits)${iv.firstDiffering.length ? `; first differing images ${iv.firstDiffering.join(', ')}` : ''}`,
  );
  const agree = (a: EvalReport['argmaxAgreement']['fp32VsGolden']): string =>
    'unavailable' in a ? a.unavailable : `${a.agree} / ${a.of} (${pct(a.agree / a.of)})`;
  out.push(
    `  argmax agreement with the integer model: FP32 ${agree(r.argmaxAgreement.fp32VsGolden)}; fake-quant ${agree(r.argmaxAgreement.fakeQuantVsGolden)}`,
  );
  if (r.simulator) {
    const s = r.simulator;
    const bad = s.images.filter((i) => !(i.bitExact && i.poolLogitsMatch)).map((i) => i.index);
    out.push(
      `  simulator: ${s.bitExact} / ${s.images.length} sampled images bit-exact (logits and all ${s.images[0]?.layers ?? 0} layer hashes)${bad.length ? `; MISMATCH on images ${bad.join(', ')}` : ''}; ${(s.msPerImage / 1000).toFixed(2)} s per image (compile + simulate)`,
    );
  }
  out.push('  per class:');
  const avail = COLUMNS.filter((c) => !('unavailable' in r.columns[c]));
  out.push(
    ...table([
      ['class', 'images', ...avail.map((c) => COLUMN_TITLES[c])],
      ...r.classes.map((cl, i) => [
        `${i} ${cl.name}`,
        String(cl.images),
        ...avail.map((c) => {
          const col = r.columns[c] as Extract<Column, { perClass: number[] }>;
          return cl.images ? pct(col.perClass[i]! / cl.images) : '-';
        }),
      ]),
    ]).map((l) => `  ${l}`),
  );
  const t = r.throughput;
  const ts = Object.entries(t.torchSeconds)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
  out.push(
    `  golden: ${t.goldenImagesPerSecond.toFixed(1)} images/s on ${t.goldenWorkers} worker${t.goldenWorkers > 1 ? 's' : ''} (${t.goldenSeconds.toFixed(1)} s)${ts ? `; PyTorch: ${ts}` : ''}${r.environment.device ? ` [${r.environment.device}, torch ${r.environment.torch}]` : ''}`,
  );
  for (const n of r.notes) out.push(`  note: ${n}`);
  return `${out.join('\n')}\n`;
}
