/**
 * The array from the command line: `ivit rtl array|ws-array|os-array` takes rows, cols and dataflow from the
 * configuration, `--vectors N` writes seeded gemms with the golden accumulator image and arrayTiming()'s cycles,
 * and `ivit rtl check DIR` runs them; a corrupted expectation (one word, or the cycle count) fails.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ivit, isCleanUserError } from '../cli/cli-run.js';

describe('ivit rtl array / ivit rtl check (the systolic array)', function () {
  this.timeout(300000);
  const root = mkdtempSync(join(tmpdir(), 'ivit-rtl-array-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const os = join(root, 'os');

  before(() => {
    const cfg = join(root, 'accel.json');
    writeFileSync(cfg, JSON.stringify({ array: { rows: 4, cols: 3, dataflow: 'os' } }));
    const r = ivit(['rtl', 'array', '--config', cfg, '-o', os, '--vectors', '4', '--seed', '9']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ivit_array_os_4x3: .*\(4×3, os\)$/m);
  });

  for (const sim of ['icarus', 'verilator'] as const) {
    it(`the configuration's 4×3 output-stationary array passes its gemms under ${sim}`, () => {
      const r = ivit(['rtl', 'check', os, '--sim', sim]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `^PASS ivit_array_os_4x3 under ${sim}: 4 gemms \\(seed 9\\), [\\d,]+ accumulator words equal to the golden matmul, [\\d,]+ cycles equal to arrayTiming\\(\\)$`,
          'm',
        ),
      );
    });
  }

  it('ws-array fixes the dataflow whatever the configuration says', () => {
    const ws = join(root, 'ws');
    const r = ivit(['rtl', 'ws-array', '--set', 'array.rows=3', '--set', 'array.cols=3', '--set', 'array.dataflow=os', '-o', ws, '--vectors', '2']);
    assert.equal(r.code, 0, r.stderr);
    const c = ivit(['rtl', 'check', ws, '--sim', 'verilator']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /^PASS ivit_array_ws_3x3 under verilator: 2 gemms/m);
  });

  it('fails on one corrupted accumulator word, naming the gemm and the word', () => {
    const dir = join(root, 'bad-word');
    cpSync(os, dir, { recursive: true });
    const file = join(dir, 'gemm-1', 'expected.hex');
    const words = readFileSync(file, 'utf8').trim().split('\n');
    words[10] = (((Number.parseInt(words[10]!, 16) ^ 1) >>> 0) as number).toString(16).padStart(8, '0');
    writeFileSync(file, words.join('\n') + '\n');
    const r = ivit(['rtl', 'check', dir, '--sim', 'verilator']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL ivit_array_os_4x3 under verilator: gemm-1 \(.*\): accumulator word 10 differs from expected\.hex$/m);
  });

  it('fails when the cycle count differs from the expected one', () => {
    const dir = join(root, 'bad-cycles');
    cpSync(os, dir, { recursive: true });
    const file = join(dir, 'array-vectors.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as { gemms: Array<{ expectedCycles: number }> };
    m.gemms[2]!.expectedCycles += 1;
    writeFileSync(file, JSON.stringify(m));
    const r = ivit(['rtl', 'check', dir, '--sim', 'verilator']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL ivit_array_os_4x3 under verilator: gemm-2 \(.*\): \d+ cycles, arrayTiming\(\) \d+$/m);
  });

  it('rejects stream-unit flags and a one-row output-stationary array with a one-line error', () => {
    for (const args of [
      ['rtl', 'os-array', '--lanes', '4', '-o', join(root, 'x')],
      ['rtl', 'os-array', '--set', 'array.rows=1', '-o', join(root, 'y')],
    ]) {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
    }
  });
});
