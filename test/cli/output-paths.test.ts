import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../sim/helpers.js';

/** Run ivit with a hang detector: an output path problem must come back at once, not spin. */
function ivitQuick(args: string[]): { code: number | null; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/ivit.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 60000,
  });
  return { code: r.status, stderr: r.stderr, timedOut: r.error !== undefined };
}

describe('output paths: every problem is one line and exit 2, before any work', function () {
  this.timeout(300000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-out-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const example = join(REPO_ROOT, 'programs/examples/gemm-requant.s');
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');

  const cases: Array<[string, string[], RegExp]> = [
    [
      'rtl into /proc (where a recursive mkdir never returns)',
      ['rtl', 'shiftmax', '-o', '/proc/ivit-nope'],
      /output directory \/proc\/ivit-nope: cannot create \/proc\/ivit-nope \(ENOENT\)/,
    ],
    ['rtl under a file', ['rtl', 'shiftmax', '-o', '/dev/null/x'], /output directory \/dev\/null\/x: \/dev\/null is not a directory/],
    [
      'asm into a missing directory',
      ['asm', example, '-o', join(dir, 'missing', 'x.ivp')],
      /output file .*missing\/x\.ivp: its directory .*missing does not exist/,
    ],
    ['asm onto a directory', ['asm', example, '-o', dir], /output file .* is a directory/],
    ['compile under a file', ['compile', '--model', 'deit-t', '-o', join(aFile, 'x.ivp')], /a-file is not a directory/],
    ['run --report under a file', ['run', '--model', 'deit-t', '--report', join(aFile, 'r')], /output directory .*a-file\/r: .*a-file is not a directory/],
    [
      'run --trace into a missing directory',
      ['run', '--model', 'deit-t', '--timing-only', '--trace', join(dir, 'missing', 't.json')],
      /its directory .*missing does not exist/,
    ],
    ['disasm of a missing file', ['disasm', join(dir, 'none.ivp')], /none\.ivp/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = ivitQuick(args);
      assert.equal(r.timedOut, false, 'it returned');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
      assert.match(r.stderr, message);
    });
  }

  it('a missing output directory is created, parents included', () => {
    const out = join(dir, 'new', 'deeper', 'smx');
    const r = ivitQuick(['rtl', 'requant', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(out));
  });
});
