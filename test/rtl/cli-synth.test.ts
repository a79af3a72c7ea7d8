/**
 * `ivit synth`: whether timing was met at --freq (JSON, CSV and text), the logs kept with --out, the progress
 * line on a terminal, and synthesize()'s three-argument form that the sweep's area column calls with seeds 0.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, ivit, isCleanUserError } from '../cli/cli-run.js';
import { CSV_HEADER, csvRow, synthesize } from '../../rtl-gen/synth/run.js';
import { findUnit } from '../../rtl-gen/units/index.js';

interface Row {
  top: string;
  lut: number;
  fmaxSeeds: number[];
  fmaxMedianMhz: number | null;
  targetMhz: number;
  timingMet: boolean | null;
  seedsMet: number | null;
}

const UNIT = ['synth', 'shift-exp-lane', '--family', 'ice40'];

describe('ivit synth: timing against --freq, logs, progress', function () {
  this.timeout(300000);
  const root = mkdtempSync(join(tmpdir(), 'ivit-synth-cli-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('--out keeps the yosys log, one nextpnr log per seed and the row; the row says whether the median Fmax meets --freq', () => {
    const out = join(root, 'logs');
    const r = ivit([...UNIT, '--seeds', '2', '--freq', '100', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');
    const row = JSON.parse(r.stdout) as Row;
    assert.equal(row.targetMhz, 100);
    assert.equal(row.fmaxSeeds.length, 2);
    assert.equal(row.timingMet, row.fmaxMedianMhz! >= 100);
    assert.equal(row.seedsMet, row.fmaxSeeds.filter((f) => f >= 100).length);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'synth.json'), 'utf8')), row);
    assert.match(readFileSync(join(out, 'yosys.log'), 'utf8'), /synth_ice40 -top ivit_exp_lane_unit/);
    assert.match(readFileSync(join(out, 'yosys-wrapper.log'), 'utf8'), /synth_ice40 -top \S+ -json/);
    row.fmaxSeeds.forEach((fmax, i) => {
      const log = readFileSync(join(out, `nextpnr-seed${i + 1}.log`), 'utf8');
      const figures = [...log.matchAll(/Max frequency for clock\s+'[^']*':\s+([\d.]+) MHz/g)];
      assert.equal(Number(figures[figures.length - 1]![1]), fmax, `seed ${i + 1}: the log's last Fmax is the row's`);
    });
    assert.ok(!existsSync(join(out, 'nextpnr-seed3.log')));
  });

  it('an unreachable --freq is not met, a low one is, in JSON, CSV and text', () => {
    const slow = JSON.parse(ivit([...UNIT, '--seeds', '1', '--freq', '2000']).stdout) as Row;
    assert.equal(slow.timingMet, false);
    assert.equal(slow.seedsMet, 0);
    const easy = ivit([...UNIT, '--seeds', '1', '--freq', '5', '--format', 'csv']);
    assert.equal(easy.code, 0, easy.stderr);
    const [header, line] = easy.stdout.trim().split('\n');
    assert.equal(header, CSV_HEADER);
    // the device and the seed list are quoted; neither holds a comma here
    const cells = line!.replace(/"/g, '').split(',');
    const col = (name: string): string => cells[header!.split(',').indexOf(name)]!;
    assert.equal(header!.split(',').length, cells.length);
    assert.equal(col('target_mhz'), '5');
    assert.equal(col('timing_met'), 'true');
    assert.equal(col('seeds_met'), '1');
    const text = ivit([...UNIT, '--seeds', '1', '--freq', '2000', '--format', 'text']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /target 2000 MHz: timing NOT met \(0 of 1 seeds reach it\)/);
  });

  it('without place and route (ECP5) the target is recorded and timing is not checked (null, empty CSV cells)', () => {
    const r = ivit(['synth', 'shift-exp-lane', '--family', 'ecp5', '--format', 'text']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /timing: not checked against 100 MHz \(no place and route for ecp5\)/);
    const row = JSON.parse(ivit(['synth', 'shift-exp-lane', '--family', 'ecp5', '--freq', '50']).stdout) as Row;
    assert.equal(row.targetMhz, 50);
    assert.equal(row.timingMet, null);
    assert.equal(row.seedsMet, null);
  });

  it("synthesize(u, maxRowLength, { family, seeds: 0 }) still gives the cell counts (the sweep's area column)", () => {
    const entry = findUnit('shift-exp-lane')!;
    const row = synthesize(entry.build({}), entry.maxRowLength, { family: 'ice40', seeds: 0 });
    assert.ok(row.lut > 0 && row.ff > 0, JSON.stringify(row));
    assert.equal(row.timingMet, null);
    assert.equal(csvRow(row).split(',').length, CSV_HEADER.split(',').length);
  });

  it('on a terminal, several seeds show one redrawn progress line on stderr (yosys, then each nextpnr seed)', () => {
    // `script` runs the command on a pseudo-terminal; its output is the terminal's (stdout and stderr together)
    const cmd = `${process.execPath} ${join(REPO, 'bin', 'ivit.js')} ${[...UNIT, '--seeds', '2', '--format', 'text'].join(' ')}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    const screen = r.stdout;
    for (const phase of ['yosys: ivit_exp_lane_unit', 'nextpnr: seed 1/2 at 100 MHz', 'nextpnr: seed 2/2 at 100 MHz'])
      assert.ok(screen.includes(`\r\x1b[K[`) && screen.includes(phase), `${phase} in ${JSON.stringify(screen)}`);
    // the line is cleared before the result, which starts on a clean line
    assert.ok(screen.includes('\r\x1b[Kivit_exp_lane_unit_d9_x8_n15_pt_e4: ice40, hx8k'), JSON.stringify(screen));
  });

  it('bad input is a one-line user error with exit 2', () => {
    for (const args of [
      [...UNIT, '--freq', '0'],
      [...UNIT, '--freq', 'fast'],
      [...UNIT, '--format', 'xml'],
      [...UNIT, '--out', join(REPO, 'package.json', 'logs')], // under a file
    ]) {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    }
  });
});
