/** Reports (terminal, JSON, SCALE-Sim CSVs, trace events) and the CLI commands. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { BANDWIDTH_HEADER, COMPUTE_HEADER, DETAILED_ACCESS_HEADER, scaleSimReportFiles } from '../../sim/report/csv.js';
import { traceEvents } from '../../sim/report/trace.js';
import { terminalSummary } from '../../sim/report/terminal.js';
import { REPO_ROOT, assembleExample } from './helpers.js';

const cfg = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=1048576']);

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`${REPO_ROOT}bin/ivit.js`, ...args], { encoding: 'utf8', cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('simulator reports', () => {
  it("SCALE-Sim CSVs have SCALE-Sim's columns and line format, one row per region in execution order", () => {
    const p = assembleExample('gemm-requant.s');
    const { run, report } = runProgram(p, { config: cfg });
    const files = new Map(scaleSimReportFiles(run, report, cfg));
    const parse = (name: string): string[][] =>
      files
        .get(name)!
        .trim()
        .split('\n')
        .map((l) => {
          assert.ok(l.endsWith(','), `${name}: SCALE-Sim lines end with a comma: ${l}`);
          return l.slice(0, -1).split(', ');
        });
    const compute = parse('COMPUTE_REPORT.csv');
    assert.deepEqual(compute[0], COMPUTE_HEADER);
    assert.deepEqual(COMPUTE_HEADER, ['LayerID', 'Total Cycles', 'Stall Cycles', 'Overall Util %', 'Mapping Efficiency %', 'Compute Util %']);
    assert.deepEqual(
      compute.slice(1).map((r) => r[0]),
      report.regions.map((_, i) => String(i)),
    );
    const bw = parse('BANDWIDTH_REPORT.csv');
    assert.deepEqual(bw[0], BANDWIDTH_HEADER);
    assert.deepEqual(BANDWIDTH_HEADER, [
      'LayerID',
      'Avg IFMAP SRAM BW',
      'Avg FILTER SRAM BW',
      'Avg OFMAP SRAM BW',
      'Avg IFMAP DRAM BW',
      'Avg FILTER DRAM BW',
      'Avg OFMAP DRAM BW',
    ]);
    const detail = parse('DETAILED_ACCESS_REPORT.csv');
    assert.deepEqual(detail[0], DETAILED_ACCESS_HEADER);
    assert.equal(detail[0]!.length, 19);
    assert.deepEqual(detail[0]!.slice(1, 4), ['SRAM IFMAP Start Cycle', 'SRAM IFMAP Stop Cycle', 'SRAM IFMAP Reads']);
    assert.deepEqual(detail[0]!.slice(16), ['DRAM OFMAP Start Cycle', 'DRAM OFMAP Stop Cycle', 'DRAM OFMAP Writes']);
    const names = files
      .get('SCALESIM_LAYERS.csv')!
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(', ')[1]);
    assert.deepEqual(
      names,
      report.regions.map((r) => r.name),
    );
    assert.deepEqual(names, ['setup', 'tile0', 'tile1']);
    // the weights are loaded in 'setup', a layer without compute: all its cycles are array stalls
    const setup = compute[1]!;
    assert.equal(setup[1], setup[2]);
    assert.ok(Number(bw[1]![4]) + Number(bw[1]![5]) > 0);
    const sdu = files.get('SDU_REPORT.csv')!.trim().split('\n');
    assert.deepEqual(
      sdu.slice(1).map((l) => l.split(', ').slice(0, 3).join()),
      ['1,tile0,requant', '2,tile1,requant'],
    );
  });

  it('cycles, ms, utilisations, stall causes and timing-only mode are consistent', () => {
    const p = assembleExample('layernorm.s');
    const full = runProgram(p, { config: cfg });
    const timing = runProgram(p, { config: cfg, timingOnly: true });
    assert.equal(timing.report.totalCycles, full.report.totalCycles);
    assert.equal(timing.run.state, undefined);
    const r = full.report;
    assert.equal(r.totalCycles, Math.max(...full.run.executed.map((x) => x.end)));
    assert.ok(Math.abs(r.timeMs - r.totalCycles / (cfg.clockMHz * 1000)) < 1e-12);
    assert.ok(r.stalls['bank-conflict'] > 0, "the store of x' and the LayerNorm share a bank");
    assert.ok(r.stalls['wait-load'] > 0);
    assert.ok(r.sdu.utilisation > 0 && r.sdu.utilisation <= 1);
    assert.equal(
      r.sdu.busyCycles,
      full.run.executed.filter((x) => x.unit === 'sdu').reduce((a, x) => a + x.end - x.start, 0),
    );
    assert.equal(r.classes.layernorm!.count, 1);
    const text = terminalSummary(r);
    assert.match(text, /total\s+[\d,]+ cycles = [\d.]+ ms/);
    assert.match(text, /bank-conflict/);
  });

  it('PE utilisation is MACs over the ideal, activity counts int16 passes; exposed SDU cycles match a per-cycle count', () => {
    const p = assembleExample('attention-head.s');
    const { run, report } = runProgram(p, { config: cfg });
    assert.equal(report.peUtilisation, report.macs / (256 * report.totalCycles));
    assert.ok(report.peActivity > report.peUtilisation, 'P·V streams int16 probabilities in two passes');
    const busy = (unit: string): Uint8Array => {
      const m = new Uint8Array(report.totalCycles);
      for (const x of run.executed) if (x.unit === unit) m.fill(1, x.start, x.end);
      return m;
    };
    const sdu = busy('sdu');
    const array = busy('compute');
    let exposed = 0;
    for (let t = 0; t < report.totalCycles; t++) if (sdu[t] && !array[t]) exposed++;
    assert.equal(report.sdu.exposedCycles, exposed);
    assert.ok(exposed > 0);
  });

  it('the trace has one track per unit and one event per instruction at the configured clock', () => {
    const p = assembleExample('attention-head.s');
    const res = runProgram(p, { config: cfg });
    const t = traceEvents(res.run, p, cfg);
    const threads = t.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    assert.deepEqual(threads, ['load', 'compute', 'sdu', 'store']);
    const xs = t.traceEvents.filter((e) => e.ph === 'X' && e.cat !== 'stall');
    assert.equal(xs.length, p.instructions.length);
    // stall slices add up to the stall cycles of the report
    const stallUs = t.traceEvents.filter((e) => e.cat === 'stall').reduce((a, e) => a + e.dur!, 0);
    const stallCycles = Object.values(res.report.stalls).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(stallUs * cfg.clockMHz - stallCycles) < 1e-6, `${stallUs * cfg.clockMHz} vs ${stallCycles}`);
    for (const e of xs) {
      const x = res.run.executed[e.args!.pc as number]!;
      assert.equal(e.ts, x.start / cfg.clockMHz);
      assert.equal(e.dur, (x.end - x.start) / cfg.clockMHz);
    }
    JSON.parse(JSON.stringify(t));
  });
});

describe('CLI: ivit asm, disasm, sim', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ivit-sim-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('asm → disasm → asm gives the same container, and sim writes reports and a trace', () => {
    const bin = join(dir, 'g.ivp');
    let r = cli('asm', 'programs/examples/gemm-requant.s', '-o', bin);
    assert.equal(r.status, 0, r.stderr);
    r = cli('disasm', bin, '-o', join(dir, 'g.s'));
    assert.equal(r.status, 0, r.stderr);
    r = cli('asm', join(dir, 'g.s'), '-o', join(dir, 'g2.ivp'));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(bin).equals(readFileSync(join(dir, 'g2.ivp'))));
    r = cli(
      'sim',
      bin,
      '--report',
      join(dir, 'rep'),
      '--trace',
      join(dir, 'trace.json'),
      '--set',
      'dram.bytes=1048576',
      '--dump',
      `0x5000:3072:${join(dir, 'out.bin')}`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /PE utilisation/);
    for (const f of ['COMPUTE_REPORT.csv', 'BANDWIDTH_REPORT.csv', 'report.json']) assert.ok(existsSync(join(dir, 'rep', f)), f);
    assert.ok(JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')).traceEvents.length > 10);
    assert.equal(readFileSync(join(dir, 'out.bin')).length, 3072);
    const json = cli('sim', 'programs/examples/mlp-gelu.s', '--json', '--timing-only', '--rows', '8', '--cols', '8', '--dataflow', 'os');
    assert.equal(json.status, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).machine.array, '8x8');
  });

  it('bad input exits 2 with a clear message', () => {
    const bad = join(dir, 'bad.s');
    writeFileSync(bad, 'nop unit=load\n  gemm m=1 x\n');
    let r = cli('asm', bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.s:2:12: syntax error/);
    r = cli('sim', 'programs/examples/gemm-requant.s', '--set', 'array.rows=0');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /array\.rows must be an integer in \[1, 1024\], got 0/);
    const corrupt = join(dir, 'c.ivp');
    assert.equal(cli('asm', 'programs/examples/layernorm.s', '-o', corrupt).status, 0);
    const bytes = readFileSync(corrupt);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(corrupt, bytes);
    r = cli('sim', corrupt);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /checksum mismatch/);
    writeFileSync(bad, 'nop unit=compute, wait=s3\n');
    r = cli('sim', bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /deadlock fault at cycle \d+, pc 0 \(nop wait=s3, unit=compute\)/);
  });
});
