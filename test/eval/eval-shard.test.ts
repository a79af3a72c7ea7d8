/**
 * `ivit eval --shard I/N` and `ivit eval merge` on the stand-in Fashion-MNIST model: three shards (under GNU
 * parallel) of a 12-image evaluation with a simulator sample, merged, give the unsharded report: every count,
 * top-1, per-class figure, int64 comparison, agreement and sampled image; only the wall-clock figures differ.
 * Merge refuses missing, overlapping and foreign shards; too many shards for the images is a clean error.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalReport } from '../../verify/eval/evaluate.js';
import { REPO, isCleanUserError, ivit } from '../cli/cli-run.js';
import { writeFashionTestModels } from './fashion-model.js';

const LIMIT = '12';

/** The report without what depends on the clock or the machine (throughput, environment, per-image milliseconds). */
function deterministic(r: EvalReport): unknown {
  const { throughput: _t, environment: _e, simulator, ...rest } = r;
  return {
    ...rest,
    simulator: simulator && { ...simulator, msPerImage: undefined, images: simulator.images.map((i) => ({ ...i, compileMs: 0, simulateMs: 0, goldenMs: 0 })) },
  };
}

describe('ivit eval --shard I/N and ivit eval merge', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-eval-shard-'));
  const model = join(dir, 'fashion.safetensors');
  writeFashionTestModels(model);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['eval', '--model', model, '--data', 'fashion-mnist', '--limit', LIMIT, '--sim-sample', '3', '--workers', '1'];
  const read = (f: string): EvalReport => JSON.parse(readFileSync(f, 'utf8')) as EvalReport;
  let full: EvalReport | undefined;

  it('the unsharded evaluation (the reference report)', () => {
    const r = ivit([...base, '--json-out', join(dir, 'full.json')]);
    assert.equal(r.code, 0, r.stderr);
    full = read(join(dir, 'full.json'));
    assert.equal(full.count, 12);
    assert.equal(full.shard, undefined);
  });

  it('three shards under GNU parallel: each holds its block of images; merged, they are the unsharded report', () => {
    assert.ok(full, 'the unsharded evaluation ran');
    const args = base.map((a) => `'${a}'`).join(' ');
    const p = spawnSync(
      'parallel',
      ['-j', '2', `${process.execPath} ${join(REPO, 'bin', 'ivit.js')} ${args} --shard {}/3 --json-out ${dir}/s{}.json > /dev/null`, ':::', '1', '2', '3'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(p.status, 0, p.stderr);
    const shards = [1, 2, 3].map((i) => read(join(dir, `s${i}.json`)));
    assert.deepEqual(
      shards.map((s) => [s.shard!.index, s.shard!.first, s.shard!.count, s.count]),
      [
        [1, 0, 4, 4],
        [2, 4, 4, 4],
        [3, 8, 4, 4],
      ],
    );
    assert.deepEqual(
      shards.map((s) => s.simulator!.images.map((i) => i.index)),
      [[0], [4], [8]],
      'the sample of the whole run, each image in its shard, with its global index',
    );
    const m = ivit(['eval', 'merge', '-o', join(dir, 'merged.json'), ...[3, 1, 2].map((i) => join(dir, `s${i}.json`))]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /fashion-mnist test, 12 images/);
    const merged = read(join(dir, 'merged.json'));
    assert.equal(merged.shard, undefined);
    assert.deepEqual(deterministic(merged), deterministic(full));
    assert.equal(merged.throughput.goldenWorkers, full.throughput.goldenWorkers);
  });

  it('merge refuses a missing, an overlapping, a foreign and a non-shard report: one line, exit 2', () => {
    const s = (i: number): string => join(dir, `s${i}.json`);
    const other = ivit([
      'eval',
      '--model',
      model,
      '--data',
      'fashion-mnist',
      '--limit',
      '9',
      '--sim-sample',
      '3',
      '--workers',
      '1',
      '--shard',
      '1/3',
      '--json-out',
      join(dir, 'o1.json'),
    ]);
    assert.equal(other.code, 0, other.stderr);
    const cases: Array<[string[], RegExp]> = [
      [[s(1), s(3)], /missing shard 2 of 3/],
      [[s(1), s(2), s(2), s(3)], /both shard 2\/3 \(overlapping shards\)/],
      [[join(dir, 'o1.json'), s(2), s(3)], /shards of different evaluations/],
      [[join(dir, 'full.json')], /full\.json: not a shard report/],
      [[model], /not JSON/],
    ];
    for (const [files, msg] of cases) {
      const r = ivit(['eval', 'merge', '-o', join(dir, 'bad.json'), ...files]);
      assert.ok(isCleanUserError(r) && r.stderr.trim().split('\n').length === 1, r.stderr);
      assert.match(r.stderr, msg);
    }
  });

  it('a bad --shard, or more shards than images, is a clean user error', () => {
    const zero = ivit([...base, '--shard', '0/3']);
    assert.ok(isCleanUserError(zero), zero.stderr);
    assert.match(zero.stderr, /I must be in 1\.\.3/);
    const many = ivit(['eval', '--model', model, '--data', 'fashion-mnist', '--limit', '2', '--shard', '1/3']);
    assert.ok(isCleanUserError(many), many.stderr);
    assert.match(many.stderr, /the evaluation has 2 images, fewer than the 3 shards/);
  });
});
