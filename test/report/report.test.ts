/**
 * `ivit run --report DIR` writes report.html, and it renders in a real browser: every chart drawn, no console
 * errors, no request beyond the file itself; the sweep report draws the Pareto front. Screenshots go to
 * out/test-artefacts/ for a person to look at.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, ivit, isCleanUserError } from '../cli/cli-run.js';
import { parse } from 'csv-parse/sync';
import { renderInChromium } from './browser.js';

const ARTEFACTS = join(REPO, 'out', 'test-artefacts');

describe('ivit report (HTML, in headless Chromium)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ivit-report-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ivit run --model deit-s --report DIR: report.html renders every chart, offline, without console errors', async () => {
    const out = join(dir, 'deit-s');
    const r = ivit(['run', '--model', 'deit-s', '--report', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bit-exact/i);
    const html = join(out, 'report.html');
    assert.ok(existsSync(html));
    const text = readFileSync(html, 'utf8');
    assert.doesNotMatch(text, /<script[^>]+src=|<link[^>]+href=\s*"?https?:/i, 'the page loads nothing from elsewhere');
    const page = await renderInChromium(html, join(ARTEFACTS, 'report-deit-s.png'));
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
    assert.deepEqual(
      page.charts.map((c) => c.id),
      ['layers', 'activity', 'roofline', 'overlap'],
    );
    for (const c of page.charts) {
      assert.ok(c.rendered, `${c.id} did not finish`);
      assert.ok(c.paths >= 20 && c.texts >= 5, `${c.id}: ${c.paths} paths, ${c.texts} texts`);
    }
    // the layer chart has a bar per layer and series: far more shapes than an empty frame
    assert.ok(page.charts[0]!.paths > 300, `layers: ${page.charts[0]!.paths} paths`);
    assert.equal(page.tables.length, 1);
    assert.ok(page.tables[0]! >= 6, `operator table rows: ${page.tables[0]}`);
    assert.match(page.headerText, /16×16 WS array at 500 MHz/);
    assert.match(page.headerText, /numerics\s+pytorch/);
    assert.match(page.headerText, /bit-exact against the golden model/);
    // ivit report rebuilds the same page from report.json
    const again = join(dir, 'again.html');
    const r2 = ivit(['report', out, '-o', again]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(readFileSync(again, 'utf8'), text);
  });

  it('ivit report sweep.csv: the Pareto front of latency against area, every point in the table, rendered', async function () {
    this.timeout(600_000);
    const csv = join(dir, 'sweep.csv');
    // one SDU lane keeps the cold synthesis to about half a minute (the cache is this test's own)
    const sweep = ['sweep', '--model', 'deit-t', '--rows', '8,16', '--cols', '8,16', '--lanes', '1', '--area-cache', join(dir, 'area'), '-o', csv];
    const r = ivit(sweep);
    assert.equal(r.code, 0, r.stderr);
    const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, 4);
    // the front by its definition: no other point at most as large and as slow, and better in one
    const pts = rows.map((x) => ({ area: Number(x.areaLut), cycles: Number(x.cycles) }));
    const onFront = pts.filter((p) => !pts.some((q) => q.area <= p.area && q.cycles <= p.cycles && (q.area < p.area || q.cycles < p.cycles))).length;
    const html = join(dir, 'sweep.html');
    const rep = ivit(['report', csv]);
    assert.equal(rep.code, 0, rep.stderr);
    const page = await renderInChromium(html, join(ARTEFACTS, 'sweep-pareto.png'));
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
    assert.deepEqual(
      page.charts.map((c) => [c.id, c.rendered]),
      [['pareto', true]],
    );
    assert.ok(page.charts[0]!.paths >= 10, `pareto: ${page.charts[0]!.paths} paths`);
    assert.match(page.headerText, new RegExp(`4 plotted, ${onFront} on the Pareto front, ${4 - onFront} dominated`));
    assert.deepEqual(page.tables, [4]);
    assert.match(page.headerText, /synth_ice40/);
  });

  it('bad input exits 2 with one line naming the file', () => {
    const notReport = join(dir, 'other.json');
    writeFileSync(notReport, '{"totalCycles": 5}');
    const badJson = join(dir, 'broken.json');
    writeFileSync(badJson, '{"totalCycles": ');
    const oldCsv = join(dir, 'old.csv');
    writeFileSync(oldCsv, 'model,rows,cols,dataflow,sduLanes,dmaBytesPerCycle,cycles\ndeit-t,16,16,ws,16,32,100\n');
    for (const [args, pattern] of [
      [['report', join(dir, 'missing')], /missing: cannot read \(ENOENT\)/],
      [['report', notReport], /other\.json: not a run report \("timeMs" is not a number\)/],
      [['report', badJson], /broken\.json: not JSON/],
      [['report', oldCsv], /old\.csv: not a sweep CSV with area columns: no column "ms"/],
      [['report', join(REPO, 'package.json'), '-o', join(dir, 'x.html')], /package\.json: not a run report/],
      [['report', join(REPO, 'README.md')], /README\.md: give a run's report directory or report\.json, or a sweep \.csv/],
    ] as const) {
      const r = ivit([...args]);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});
