/** `ivit run`, `ivit compile` and `ivit sweep` from the command line: verdict, files, rows, the exit-2 error contract. */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCleanUserError, ivit } from '../cli/cli-run.js';

describe('ivit run / compile / sweep', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-compiler-'));

  it('ivit run --model deit-t is bit-exact and writes the reports', () => {
    const r = ivit(['run', '--model', 'deit-t', '--report', join(dir, 'rep'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { bitExact: boolean; logitsMatch: boolean; cycles: number; macUtilisation: number; mismatchedLayers: string[] };
    assert.equal(j.bitExact, true);
    assert.equal(j.logitsMatch, true);
    assert.deepEqual(j.mismatchedLayers, []);
    assert.ok(j.cycles > 0 && j.macUtilisation > 0);
    for (const f of ['COMPUTE_REPORT.csv', 'BANDWIDTH_REPORT.csv', 'OPERATOR_REPORT.csv', 'LAYER_REPORT.csv', 'report.json', 'run.json'])
      assert.ok(existsSync(join(dir, 'rep', f)), f);
    const ops = readFileSync(join(dir, 'rep', 'OPERATOR_REPORT.csv'), 'utf8');
    for (const c of ['gemm', 'shiftmax', 'shiftgelu', 'layernorm', 'requant', 'residual']) assert.match(ops, new RegExp(`^${c}, [1-9]`, 'm'));
  });

  it('ivit run --numerics fqvit is --set numerics.preset=fqvit: same machine header and cycles; a bad preset is a clean user error', () => {
    const timing = (extra: string[]) => {
      const r = ivit(['run', '--model', 'deit-t', '--timing-only', '--json', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { cycles: number; machine: { numerics: string }; operators: Record<string, { count: number }> };
      return { cycles: j.cycles, numerics: j.machine.numerics, lis: j.operators['lis']!.count };
    };
    const flag = timing(['--numerics', 'fqvit']);
    assert.deepEqual(flag, timing(['--set', 'numerics.preset=fqvit']));
    assert.equal(flag.numerics, 'fqvit/pts-floor', "the header names the PTS root, not I-LayerNorm's");
    assert.ok(flag.lis > 0, 'the fqvit program runs lis instructions');
    assert.notEqual(flag.cycles, timing([]).cycles);
    const bad = ivit(['run', '--model', 'deit-t', '--timing-only', '--numerics', 'ivit']);
    assert.ok(isCleanUserError(bad), bad.stderr);
    assert.match(bad.stderr, /--numerics must be one of pytorch, tvm, fqvit, .*got "ivit"/);
  });

  it('ivit compile writes a container and assembly that assembles back to the same container', () => {
    const r = ivit(['compile', '--model', 'deit-t', '--shape-only', '-o', join(dir, 'p.ivp'), '--asm', join(dir, 'p.s')]);
    assert.equal(r.code, 0, r.stderr);
    const a = ivit(['asm', join(dir, 'p.s'), '-o', join(dir, 'p2.ivp')]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(readFileSync(join(dir, 'p.ivp')), readFileSync(join(dir, 'p2.ivp')));
  });

  it('ivit sweep gives one CSV row per configuration', () => {
    const r = ivit(['sweep', '--model', 'deit-t', '--rows', '8,16', '--dataflow', 'ws,os', '--jobs', '2', '--area', 'none']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^model,rows,cols,dataflow,sduLanes,dmaBytesPerCycle,cycles/);
    const cycles = lines.slice(1).map((l) => Number(l.split(',')[6]));
    assert.ok(
      cycles.every((c) => c > 0),
      lines.join('\n'),
    );
    assert.ok(lines.slice(1).some((l) => /,8,16,ws,/.test(l)) && lines.slice(1).some((l) => /,16,16,os,/.test(l)));
  });

  it('a sweep point that fails has its error in its row and no figures, and the sweep exits non-zero; -o says what it wrote', () => {
    const out = join(dir, 'failed.csv');
    const r = ivit(['sweep', '--model', 'deit-t', '--set', 'scratchpad.bytes=65536', '--jobs', '1', '--area', 'none', '-o', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ivit sweep: wrote 1 CSV rows to .*failed\.csv/);
    assert.match(r.stderr, /16×16 ws, 16 lanes, 32 B\/cycle failed: scratchpad too small for the minimum tile/);
    const [header, row] = readFileSync(out, 'utf8').trim().split('\n');
    assert.match(
      header!,
      /,cycles,ms,macUtilisation,peUtilisation,sduExposedFraction,instructions,areaLut,areaFf,areaDsp,areaSduLut,areaArrayLut,areaBasis,error$/,
    );
    assert.match(
      row!,
      /^deit-t,16,16,ws,16,32,,,,,,,,,,,,,"scratchpad too small for the minimum tile: .*"$/,
      'empty figures (no area with --area none), the error quoted (it holds commas)',
    );
  });

  it('an unknown model, a too-small scratchpad and an invalid sweep value are clean user errors (exit 2)', () => {
    const unknown = ivit(['run', '--model', 'nosuch-model']);
    assert.ok(isCleanUserError(unknown), unknown.stderr);
    assert.match(unknown.stderr, /unknown model "nosuch-model"/);
    const small = ivit(['compile', '--model', 'deit-t', '--shape-only', '--set', 'scratchpad.bytes=4096', '-o', join(dir, 'x.ivp')]);
    assert.ok(isCleanUserError(small), small.stderr);
    assert.match(small.stderr, /scratchpad too small for the minimum tile/);
    const sweep = ivit(['sweep', '--model', 'deit-t', '--rows', '0']);
    assert.ok(isCleanUserError(sweep), sweep.stderr);
  });
});
