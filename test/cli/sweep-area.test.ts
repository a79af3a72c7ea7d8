/**
 * `ivit sweep` area columns: the SDU units a configuration instantiates, synthesised with yosys (one lane here,
 * to keep the test to about half a minute), cached per unit configuration, the array scaled from one PE; a
 * second sweep reads everything from the cache; the lane model; the --area flag's errors.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { machineUnits } from '../../programs/flows/sdu-units.js';
import { type CachedSynthesis, scaleLanes } from '../../programs/flows/area.js';
import { spawnSync } from 'node:child_process';
import { REPO, isCleanUserError, ivit } from './cli-run.js';

const BIN = join(REPO, 'bin', 'ivit.js');

type Row = Record<string, string>;

describe('ivit sweep: area columns (yosys synth_ice40, cached)', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-sweep-area-'));
  const cache = join(dir, 'cache');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['sweep', '--model', 'deit-t', '--rows', '8,16', '--cols', '8', '--dataflow', 'ws,os', '--lanes', '1', '--jobs', '2', '--area-cache', cache];
  let first: { csv: string; rows: Row[] } | undefined;

  it('a configuration instantiates the four SDU datapaths, at its lanes and numerics', () => {
    const m = applyOverrides(DEFAULT_CONFIG, ['sdu.lanes=8', 'numerics.sqrt=floor']);
    const units = machineUnits(m);
    assert.deepEqual(
      units.map((u) => u.entry.name),
      ['shiftmax', 'shiftgelu', 'layernorm', 'requant'],
    );
    assert.ok(units.every((u) => u.options.lanes === 8));
    assert.equal(units.find((u) => u.entry.name === 'layernorm')!.options.variant, 'floor');
  });

  it('a preset that replaces an SDU unit is refused, naming it, rather than given I-ViT units (fqvit, an I-BERT swap); requant alone still follows it', () => {
    const fq = applyOverrides(DEFAULT_CONFIG, ['numerics.preset=fqvit']);
    assert.throws(() => machineUnits(fq), /numerics preset fqvit replaces shiftmax \(numerics.attention = lis\), layernorm \(numerics.layerNorm = pts\)/);
    const gelu = applyOverrides(DEFAULT_CONFIG, ['numerics.geluUnit=ibert']);
    assert.throws(() => machineUnits(gelu), /replaces shiftgelu \(numerics.geluUnit = ibert\)/);
    const requant = ivit(['rtl', 'requant', '--set', 'numerics.preset=fqvit', '-o', join(dir, 'rq')]);
    assert.equal(requant.code, 0, requant.stderr);
    const smx = ivit(['rtl', 'shiftmax', '--set', 'numerics.preset=fqvit', '-o', join(dir, 'smx')]);
    assert.ok(isCleanUserError(smx), smx.stderr);
    assert.match(smx.stderr, /replaces shiftmax .*ivit rtl lis/);
  });

  it('beyond 2 lanes the area is the 1-lane figure plus the per-lane increment; 1 and 2 lanes are the synthesised figures', () => {
    const one = { lut: 803, ff: 326, dsp: 0 };
    const two = { lut: 1503, ff: 451, dsp: 1 };
    assert.deepEqual(scaleLanes(one, two, 1), one);
    assert.deepEqual(scaleLanes(one, two, 2), two);
    assert.deepEqual(scaleLanes(one, two, 4), { lut: 803 + 3 * 700, ff: 326 + 3 * 125, dsp: 3 });
  });

  it('every row has LUT/FF/DSP figures: the SDU from the cached syntheses, the array as rows × cols PEs, and says which part is modelled', () => {
    // six syntheses on a shared 2-core machine (the overlapping LayerNorm alone takes 70–100 s of yosys)
    const r = ivit([...args, '-o', join(dir, 'a.csv')], {}, 580_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /area: 6 unit configurations, 0 from the cache, 6 synthesised/);
    // off a terminal the progress is plain lines: one per synthesised unit, one per tenth of the timing points
    assert.match(r.stderr, /^ivit sweep: area: synthesised requant 1 lane in [\d.]+ s \(\d\/6\)$/m);
    assert.match(r.stderr, /^ivit sweep: timing: compile and simulate each configuration: 4\/4$/m);
    const csv = readFileSync(join(dir, 'a.csv'), 'utf8');
    const rows = parse(csv, { columns: true }) as Row[];
    first = { csv, rows };
    assert.equal(rows.length, 4);
    const entries = readdirSync(cache).map((f) => JSON.parse(readFileSync(join(cache, f), 'utf8')) as CachedSynthesis);
    assert.equal(entries.length, 6, 'four SDU units at 1 lane and the ws and os PEs');
    const sduLut = entries.filter((e) => e.unit !== 'mac-pe').reduce((s, e) => s + e.lut, 0);
    for (const row of rows) {
      const pe = entries.find((e) => e.unit === 'mac-pe' && e.params.dataflow === row.dataflow)!;
      const pes = Number(row.rows) * Number(row.cols);
      assert.equal(Number(row.areaSduLut), sduLut);
      assert.equal(Number(row.areaArrayLut), pes * pe.lut);
      assert.equal(Number(row.areaLut), sduLut + pes * pe.lut);
      assert.ok(Number(row.areaFf) > 0 && Number(row.areaDsp) === 0, 'HX8K has no DSPs');
      assert.match(row.areaBasis!, /^sdu: yosys [\d.]+ synth_ice40 .* at 1 lane \(measured\); array: one int8 (ws|os) MAC PE .*\(modelled/);
    }
    assert.ok(Number(rows[2]!.areaLut) > Number(rows[0]!.areaLut), 'a 16×8 array is larger than an 8×8 one');
  });

  it('the cached figures are the ones `ivit synth` gives for the same unit', () => {
    const r = ivit(['synth', 'shiftmax', '--family', 'ice40', '--seeds', '0', '--lanes', '1']);
    assert.equal(r.code, 0, r.stderr);
    const synth = JSON.parse(r.stdout) as { lut: number; ff: number; top: string };
    const cached = readdirSync(cache)
      .map((f) => JSON.parse(readFileSync(join(cache, f), 'utf8')) as CachedSynthesis)
      .find((e) => e.top === synth.top);
    assert.ok(cached, `no cache entry for ${synth.top}`);
    assert.deepEqual([cached.lut, cached.ff], [synth.lut, synth.ff]);
  });

  it('a second sweep synthesises nothing and writes the same CSV', () => {
    assert.ok(first, 'the first sweep ran');
    const r = ivit([...args, '-o', join(dir, 'b.csv')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /area: 6 unit configurations, 6 from the cache, 0 synthesised/);
    assert.equal(readFileSync(join(dir, 'b.csv'), 'utf8'), first.csv);
  });

  it("on a terminal the progress is ivit run's bar", () => {
    // script(1) gives the command a pseudo-terminal, so stderr.isTTY holds as in an interactive shell
    const cmd = [process.execPath, BIN, ...args, '-o', join(dir, 'c.csv')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    assert.equal(r.status, 0, r.stdout);
    const redraw = '\r\u001b[K'; // RunProgress redraws its line in place: carriage return, erase line
    assert.ok(r.stdout.includes(`${redraw}[###`), r.stdout);
    assert.match(r.stdout, /\[#+-*\] timing: compile and simulate each configuration 4\/4 \([\d.]+ s\)/);
    assert.doesNotMatch(r.stdout, /^ivit sweep: timing/m, 'no plain progress lines on a terminal');
    assert.equal(readFileSync(join(dir, 'c.csv'), 'utf8'), first!.csv);
  });

  it('--area none leaves the area columns empty; a bad --area, or --area synth without yosys, is a clean user error', () => {
    const none = ivit(['sweep', '--model', 'deit-t', '--rows', '8', '--cols', '8', '--lanes', '1', '--area', 'none']);
    assert.equal(none.code, 0, none.stderr);
    const [row] = parse(none.stdout, { columns: true }) as Row[];
    assert.equal(row!.areaLut, '');
    assert.equal(row!.areaBasis, '');
    assert.ok(Number(row!.cycles) > 0);
    const bad = ivit(['sweep', '--model', 'deit-t', '--area', 'place-and-route']);
    assert.ok(isCleanUserError(bad), bad.stderr);
    assert.match(bad.stderr, /--area must be synth or none/);
    const noYosys = ivit(['sweep', '--model', 'deit-t', '--area', 'synth'], { PATH: dir });
    assert.ok(isCleanUserError(noYosys), noYosys.stderr);
    assert.match(noYosys.stderr, /--area synth needs yosys on the PATH/);
    const byDefault = ivit(['sweep', '--model', 'deit-t', '--rows', '8', '--cols', '8', '--lanes', '1'], { PATH: dir });
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /no yosys on the PATH: the area columns stay empty/);
  });
});
