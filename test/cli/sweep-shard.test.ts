/**
 * Scale-out of `ivit sweep` (docs/scale-out.md): the shard slices cover the list exactly; four shards run under
 * GNU parallel and merged give the unsharded CSV byte for byte; merge refuses missing, overlapping and foreign
 * shards; bad --shard values are one-line errors; the Slurm and Kubernetes manifests parse and, run the way
 * their schedulers run them (each array index / completion index), call `ivit sweep --shard I/N` for I = 1..N.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { shardRange, shardSetProblem } from '../../programs/flows/shard.js';
import { REPO, isCleanUserError, ivit } from './cli-run.js';

const BIN = join(REPO, 'bin', 'ivit.js');
// six points: 3 array heights × 2 dataflows; one SDU lane, so the area needs only the 1-lane syntheses (cached in the repository's .cache)
const SWEEP = ['sweep', '--model', 'deit-t', '--rows', '8,16,32', '--cols', '8', '--dataflow', 'ws,os', '--lanes', '1', '--jobs', '1'];
const CACHE = ['--area-cache', join(REPO, '.cache', 'area')];

describe('ivit sweep --shard I/N and ivit sweep merge', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-sweep-shard-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let unsharded = '';

  it('shard I of N holds items ⌊(I−1)·T/N⌋ .. ⌊I·T/N⌋ − 1: in shard order they are the whole list, once each', () => {
    for (let total = 0; total <= 20; total++)
      for (let of = 1; of <= 25; of++) {
        const items = Array.from({ length: of }, (_, i) => shardRange(total, { index: i + 1, of })).flatMap((r) =>
          Array.from({ length: r.count }, (_, k) => r.first + k),
        );
        assert.deepEqual(
          items,
          Array.from({ length: total }, (_, i) => i),
          `${total} items in ${of} shards`,
        );
      }
    const set = (idx: number[]): Array<{ index: number; of: number; first: number; count: number; total: number; name: string }> =>
      idx.map((index) => ({ index, of: 3, ...shardRange(7, { index, of: 3 }), total: 7, name: `s${index}` }));
    assert.equal(shardSetProblem(set([3, 1, 2])), undefined);
    assert.match(shardSetProblem(set([1, 3]))!, /missing shard 2 of 3/);
    assert.match(shardSetProblem(set([1, 2, 2, 3]))!, /both shard 2\/3 \(overlapping/);
  });

  it('the unsharded sweep (the reference CSV)', () => {
    const r = ivit([...SWEEP, ...CACHE, '-o', join(dir, 'all.csv')]);
    assert.equal(r.code, 0, r.stderr);
    unsharded = readFileSync(join(dir, 'all.csv'), 'utf8');
    assert.equal(unsharded.trim().split('\n').length, 7);
  });

  it('four shards under GNU parallel, merged, are the unsharded CSV byte for byte', () => {
    assert.ok(unsharded, 'the unsharded sweep ran');
    const args = [...SWEEP, ...CACHE].map((a) => `'${a}'`).join(' ');
    const p = spawnSync('parallel', [`${process.execPath} ${BIN} ${args} --shard {}/4 -o ${dir}/s{}.csv`, ':::', '1', '2', '3', '4'], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /^ivit sweep: shard 3\/4: configurations 4\.\.4 of 6$/m, 'each shard says which slice it runs');
    for (const i of [1, 2, 3, 4])
      assert.match(readFileSync(join(dir, `s${i}.csv`), 'utf8'), new RegExp(`^# ivit-sweep-shard \\{"format":1,"shard":${i},"of":4,`));
    const m = ivit(['sweep', 'merge', '-o', join(dir, 'merged.csv'), ...[4, 2, 3, 1].map((i) => join(dir, `s${i}.csv`))]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(readFileSync(join(dir, 'merged.csv'), 'utf8'), unsharded);
  });

  it('merge refuses a missing, an overlapping, a foreign and a non-shard file: one line, exit 2', () => {
    const s = (i: number): string => join(dir, `s${i}.csv`);
    const other = ivit([...SWEEP.map((a) => (a === '8,16,32' ? '8,16' : a)), ...CACHE, '--shard', '1/4', '-o', join(dir, 'other1.csv')]);
    assert.equal(other.code, 0, other.stderr);
    const cases: Array<[string[], RegExp]> = [
      [[s(1), s(2), s(4)], /missing shard 3 of 4/],
      [[s(1), s(2), s(2), s(3), s(4)], /both shard 2\/4 \(overlapping shards\)/],
      [[join(dir, 'other1.csv'), s(2), s(3), s(4)], /shards of different sweeps/],
      [[join(dir, 'all.csv')], /all\.csv: not a sweep shard/],
      [[join(dir, 'nope.csv')], /nope\.csv: cannot read \(ENOENT\)/],
    ];
    for (const [files, msg] of cases) {
      const r = ivit(['sweep', 'merge', '-o', join(dir, 'bad.csv'), ...files]);
      assert.ok(isCleanUserError(r) && r.stderr.trim().split('\n').length === 1, r.stderr);
      assert.match(r.stderr, msg);
    }
    // a truncated shard (a row lost) is refused too
    const lines = readFileSync(s(3), 'utf8').split('\n');
    writeFileSync(join(dir, 'cut3.csv'), `${lines.slice(0, -2).join('\n')}\n`);
    const cut = ivit(['sweep', 'merge', '-o', join(dir, 'bad.csv'), s(1), s(2), join(dir, 'cut3.csv'), s(4)]);
    assert.ok(isCleanUserError(cut), cut.stderr);
    assert.match(cut.stderr, /cut3\.csv: \d+ rows, its shard line says \d+/);
  });

  it('bad --shard values are one-line errors with exit 2', () => {
    for (const [v, msg] of [
      ['0/4', /I must be in 1\.\.4 \(shards are numbered from 1\)/],
      ['5/4', /I must be in 1\.\.4/],
      ['1/0', /N must be in 1\.\.100000/],
      ['2', /--shard must be I\/N/],
      ['a/b', /--shard must be I\/N/],
    ] as const) {
      const r = ivit(['sweep', '--model', 'deit-t', '--area', 'none', '--shard', v]);
      assert.ok(isCleanUserError(r) && r.stderr.trim().split('\n').length === 1, `${v}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    const json = ivit(['sweep', '--model', 'deit-t', '--area', 'none', '--shard', '1/2', '--json']);
    assert.ok(isCleanUserError(json), json.stderr);
  });

  describe('the scale-out manifests (docs/scale-out/)', () => {
    // a stand-in `ivit` on the PATH that records its arguments: the manifests' own shell arithmetic is what is tested here
    const shim = join(dir, 'bin');
    const record = join(dir, 'calls.txt');
    before(() => {
      mkdirSync(shim, { recursive: true });
      writeFileSync(join(shim, 'ivit'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${record}'\n`);
      chmodSync(join(shim, 'ivit'), 0o755);
    });
    const shardArgs = (): string[] =>
      readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => /--shard (\S+) -o (\S+)/.exec(l)!.slice(1, 3).join(' '));

    it('the Slurm job array: bash -n, #SBATCH --array=1-N, and task I runs ivit sweep --shard I/N', () => {
      const file = join(REPO, 'docs', 'scale-out', 'slurm-sweep.sbatch');
      const text = readFileSync(file, 'utf8');
      const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
      assert.equal(syntax.status, 0, syntax.stderr);
      const directives = text.split('\n').filter((l) => l.startsWith('#SBATCH '));
      const array = directives.map((l) => /^#SBATCH --array=1-(\d+)$/.exec(l)).find((m) => m);
      assert.ok(array, directives.join('\n'));
      const n = Number(array[1]);
      assert.match(text, new RegExp(`^N=${n}\\b`, 'm'));
      assert.ok(directives.some((l) => /^#SBATCH --output=\S*%A_%a/.test(l)));
      assert.match(text, /ivit sweep .*\\\n.*\\\n\s*--shard "\$\{SLURM_ARRAY_TASK_ID\}\/\$\{N\}"/);
      writeFileSync(record, '');
      for (let task = 1; task <= n; task++) {
        const r = spawnSync('bash', [file], {
          encoding: 'utf8',
          env: { PATH: `${shim}:/usr/bin:/bin`, SLURM_ARRAY_TASK_ID: String(task), SLURM_CPUS_PER_TASK: '4', IVIT_SWEEP_OUT: join(dir, 'slurm') },
        });
        assert.equal(r.status, 0, r.stderr);
      }
      assert.deepEqual(
        shardArgs(),
        Array.from({ length: n }, (_, i) => `${i + 1}/${n} ${join(dir, 'slurm')}/shard-${i + 1}.csv`),
      );
    });

    it('the Kubernetes Indexed Job: kind Job, completionMode Indexed, completions = parallelism = N, pod k runs --shard k+1/N', () => {
      const job = parseYaml(readFileSync(join(REPO, 'docs', 'scale-out', 'k8s-sweep-job.yaml'), 'utf8')) as {
        apiVersion: string;
        kind: string;
        spec: {
          completionMode: string;
          completions: number;
          parallelism: number;
          template: { spec: { restartPolicy: string; containers: Array<{ command: string[]; env: Array<{ name: string; value: string }> }> } };
        };
      };
      assert.equal(job.apiVersion, 'batch/v1');
      assert.equal(job.kind, 'Job');
      assert.equal(job.spec.completionMode, 'Indexed');
      const n = job.spec.completions;
      assert.ok(Number.isInteger(n) && n > 1);
      assert.equal(job.spec.parallelism, n);
      assert.equal(job.spec.template.spec.restartPolicy, 'Never');
      const [c] = job.spec.template.spec.containers;
      const env = Object.fromEntries(c!.env.map((e) => [e.name, e.value]));
      assert.equal(env.SHARDS, String(n));
      assert.deepEqual(c!.command.slice(0, 2), ['sh', '-c']);
      assert.match(c!.command[2]!, /^ivit sweep .*--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/\$SHARDS"/);
      writeFileSync(record, '');
      for (let k = 0; k < n; k++) {
        const r = spawnSync('sh', ['-c', c!.command[2]!], {
          encoding: 'utf8',
          env: { PATH: `${shim}:/usr/bin:/bin`, JOB_COMPLETION_INDEX: String(k), ...env, OUT: join(dir, 'k8s') },
        });
        assert.equal(r.status, 0, r.stderr);
      }
      assert.deepEqual(
        shardArgs(),
        Array.from({ length: n }, (_, i) => `${i + 1}/${n} ${join(dir, 'k8s')}/shard-${i + 1}.csv`),
      );
    });
  });
});
