/**
 * The MAC PE the sweep's array area is scaled from (rtl-gen/units/mac-pe.ts): lint-clean, and a real
 * int8 × int8 → int32 MAC in both dataflows, checked cycle by cycle under iverilog against the same
 * arithmetic in TypeScript on seeded random operands (the extremes included).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAC_PE_DEFAULTS, type PeDataflow, buildMacPe } from '../../rtl-gen/units/mac-pe.js';
import { unitSources } from '../../rtl-gen/emit.js';
import { lintUnit } from '../../verify/rtl/lint.js';
import { mulberry32 } from '../../isa/asm/prng.js';

/** The assembler's mulberry32, scaled to [0, 1), so a failure repeats. */
function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

const wrap32 = (v: number): number => v | 0;

interface Step {
  inputs: Record<string, number>;
  /** the output to check after this cycle's edge */
  expect: number;
}

/** Cycle-by-cycle stimulus and the expected registered sum, from the PE's definition. */
function stimulus(dataflow: PeDataflow, cycles: number): Step[] {
  const r = rng(dataflow === 'ws' ? 1 : 2);
  const i8 = (): number => {
    const x = r();
    return x < 0.05 ? -128 : x < 0.1 ? 127 : Math.floor(r() * 256) - 128;
  };
  const i32 = (): number => wrap32(Math.floor(r() * 2 ** 32));
  const steps: Step[] = [];
  let w = 0;
  let acc = 0;
  for (let c = 0; c < cycles; c++) {
    if (dataflow === 'ws') {
      const load = c === 0 || r() < 0.2 ? 1 : 0;
      const wIn = i8();
      const a = i8();
      const psum = i32();
      // psum_out uses the weight held before this edge; the load takes effect after it
      const expect = c === 0 ? NaN : wrap32(psum + a * w);
      if (load) w = wIn;
      steps.push({ inputs: { a_in: a, w_in: wIn, w_load: load, psum_in: psum }, expect });
    } else {
      const clear = c === 0 || r() < 0.15 ? 1 : 0;
      const drain = !clear && r() < 0.1 ? 1 : 0;
      const a = i8();
      const b = i8();
      const accIn = i32();
      acc = clear ? a * b : drain ? accIn : wrap32(acc + a * b);
      steps.push({ inputs: { a_in: a, b_in: b, clear, drain, acc_in: accIn }, expect: acc });
    }
  }
  return steps;
}

function bench(dataflow: PeDataflow, top: string, steps: Step[]): string {
  const ins = Object.keys(steps[0]!.inputs);
  const width = (n: string): number => (n === 'psum_in' || n === 'acc_in' ? 32 : n === 'w_load' || n === 'clear' || n === 'drain' ? 1 : 8);
  const out = dataflow === 'ws' ? 'psum_out' : 'acc_out';
  const lines = [
    '`timescale 1ns/1ps',
    'module tb;',
    '  reg clk = 0;',
    ...ins.map((n) => `  reg [${width(n) - 1}:0] ${n} = 0;`),
    `  wire [31:0] ${out};`,
    `  ${top} dut (.clk(clk), ${ins.map((n) => `.${n}(${n})`).join(', ')}, .${out}(${out}), .a_out()${dataflow === 'ws' ? ', .w_out()' : ', .b_out()'});`,
    '  initial begin',
  ];
  for (const s of steps) {
    for (const n of ins) lines.push(`    ${n} = ${width(n)}'d${(s.inputs[n]! >>> 0) % 2 ** width(n)};`);
    lines.push('    #1 clk = 1; #1 clk = 0;');
    if (!Number.isNaN(s.expect)) lines.push(`    $display("%0d", $signed(${out}));`);
  }
  lines.push('    $finish;', '  end', 'endmodule');
  return lines.join('\n');
}

describe('rtl: the array MAC PE (area basis of the sweep)', function () {
  this.timeout(120_000);
  for (const dataflow of ['ws', 'os'] as const) {
    const u = buildMacPe({ ...MAC_PE_DEFAULTS, dataflow });
    it(`${dataflow}: clean under verilator --lint-only -Wall`, () => assert.deepEqual(lintUnit(u), []));
    it(`${dataflow}: iverilog gives the int8 × int8 → int32 MAC on 300 random cycles`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'ivit-mac-pe-'));
      try {
        const files = [...unitSources(u)].map(([name, text]) => {
          writeFileSync(join(dir, name), text);
          return join(dir, name);
        });
        const steps = stimulus(dataflow, 300);
        writeFileSync(join(dir, 'tb.v'), bench(dataflow, u.top, steps));
        const c = spawnSync('iverilog', ['-g2012', '-o', join(dir, 'sim'), join(dir, 'tb.v'), ...files], { encoding: 'utf8' });
        assert.equal(c.status, 0, c.stderr);
        const run = spawnSync('vvp', ['-n', join(dir, 'sim')], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        const got = run.stdout
          .trim()
          .split('\n')
          .filter((l) => /^-?\d+$/.test(l))
          .map(Number);
        const want = steps.filter((s) => !Number.isNaN(s.expect)).map((s) => s.expect);
        assert.equal(got.length, want.length);
        assert.deepEqual(got, want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
