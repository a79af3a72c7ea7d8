/**
 * Cycle co-simulation of the generated arrays (rtl-gen/array/ws-array.ts, os-array.ts): one test bench per
 * dataflow, geometry and simulator (built once, cached by verify/rtl/simulate.ts), behavioural scratchpad and
 * accumulator memories around the core, one gemm instruction per run. A run returns the RTL's cycle count and the
 * accumulator words; `checkGemm` compares them with the golden matmul, arrayTiming() and detailedArray() of the
 * same dataflow.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWsArray } from '../../rtl-gen/array/ws-array.js';
import { buildOsArray } from '../../rtl-gen/array/os-array.js';
import { ARRAY_AW, type GeneratedArray } from '../../rtl-gen/array/gemm-io.js';
import type { ArrayGeometry } from '../../sim/array/shape.js';
import { type DataflowName, arrayTiming } from '../../sim/array/timing.js';
import { detailedArray } from '../../sim/array/detailed.js';
import { matmulABt } from '../golden/ops/matmul.js';
import { mulberry32 } from '../../isa/asm/prng.js';
import { type SimBuild, type Simulator, buildSources } from './simulate.js';

const SPAD_BITS = 20; // the bench's scratchpad: 1 MiB
const ACC_BITS = 18; // the bench's accumulator: 256 Ki words

/** The generated array of a dataflow at a geometry. */
export function buildArray(g: ArrayGeometry, dataflow: DataflowName): GeneratedArray {
  return dataflow === 'ws' ? buildWsArray(g) : buildOsArray(g);
}

/** A compiled bench: the array it wraps and the simulator build. */
export interface ArrayBench {
  geometry: ArrayGeometry;
  dataflow: DataflowName;
  sim: SimBuild;
}

export function buildArrayBench(g: ArrayGeometry, dataflow: DataflowName, simulator: Simulator): ArrayBench {
  const arr = buildArray(g, dataflow);
  const files = new Map(arr.files);
  files.set(`${ARRAY_BENCH_TOP}.v`, arrayBenchText(arr.top, g));
  return { geometry: g, dataflow, sim: buildSources(files, ARRAY_BENCH_TOP, simulator, arr.top) };
}

/** The bench's module name. */
export const ARRAY_BENCH_TOP = 'ivit_array_tb';

/**
 * The bench around an array core: it reads instr.txt (the gemm fields, then the accumulator range to dump),
 * spad.hex and acc.hex, pulses start, and on done writes array.out (`C <cycles>`, then the words).
 */
export function arrayBenchText(top: string, g: ArrayGeometry): string {
  const R = g.rows;
  const C = g.cols;
  const AW = ARRAY_AW;
  return `\`timescale 1ns/1ps
module ivit_array_tb;
  reg clk = 1'b0;
  reg start = 1'b0;
  reg [7:0] spad [0:${(1 << SPAD_BITS) - 1}];
  reg [31:0] acc [0:${(1 << ACC_BITS) - 1}];
  reg [23:0] f_a, f_b, f_c, f_bias;
  reg [15:0] f_astride, f_bstride, f_bstep, f_cstride, f_m, f_n, f_k;
  reg f_a16;
  reg [1:0] f_init;
  integer lo, hi, fd, x, rc;
  wire busy, done;
  wire [31:0] cycles;
  wire [${R * AW - 1}:0] a_addr;
  wire [${R * 8 - 1}:0] a_data;
  wire [${C * AW - 1}:0] b_addr, acc_raddr, acc_waddr;
  wire [${C * 8 - 1}:0] b_data;
  wire [${C * 32 - 1}:0] acc_rdata, acc_wdata;
  wire [${C - 1}:0] acc_we;
  ${top} dut (.clk(clk), .start(start), .f_a(f_a), .f_astride(f_astride), .f_a16(f_a16), .f_b(f_b), .f_bstride(f_bstride),
    .f_bstep(f_bstep), .f_c(f_c), .f_cstride(f_cstride), .f_init(f_init), .f_bias(f_bias), .f_m(f_m), .f_n(f_n), .f_k(f_k),
    .busy(busy), .done(done), .cycles(cycles), .a_addr(a_addr), .a_data(a_data), .b_addr(b_addr), .b_data(b_data),
    .acc_raddr(acc_raddr), .acc_rdata(acc_rdata), .acc_we(acc_we), .acc_waddr(acc_waddr), .acc_wdata(acc_wdata));
  genvar gi;
  generate
    for (gi = 0; gi < ${R}; gi = gi + 1) begin : ga
      assign a_data[gi*8 +: 8] = spad[a_addr[gi*${AW} +: ${SPAD_BITS}]];
    end
    for (gi = 0; gi < ${C}; gi = gi + 1) begin : gb
      assign b_data[gi*8 +: 8] = spad[b_addr[gi*${AW} +: ${SPAD_BITS}]];
      assign acc_rdata[gi*32 +: 32] = acc[acc_raddr[gi*${AW} +: ${ACC_BITS}]];
      always @(posedge clk) if (acc_we[gi]) acc[acc_waddr[gi*${AW} +: ${ACC_BITS}]] <= acc_wdata[gi*32 +: 32];
    end
  endgenerate
  always #1 clk = ~clk;
  always @(posedge clk) if (done) begin
    fd = $fopen("array.out", "w");
    $fwrite(fd, "C %0d\\n", cycles);
    for (x = lo; x < hi; x = x + 1) $fwrite(fd, "%h\\n", acc[x]);
    $fclose(fd);
    $finish;
  end
  initial begin
    fd = $fopen("instr.txt", "r");
    rc = $fscanf(fd, "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d", f_a, f_astride, f_a16, f_b, f_bstride, f_bstep, f_c, f_cstride,
      f_init, f_bias, f_m, f_n, f_k, lo, hi);
    $fclose(fd);
    $readmemh("spad.hex", spad);
    $readmemh("acc.hex", acc);
    @(negedge clk) start = 1'b1;
    @(negedge clk) start = 1'b0;
  end
endmodule
`;
}

/** One gemm instruction as the bench runs it, with the operands placed in its memories. */
export interface ArrayGemm {
  m: number;
  n: number;
  k: number;
  a16: boolean;
  /** A[i][q] row-major m×k (int8 or int16), B[j][q] row-major n×k (int8) */
  A: Int8Array | Int16Array;
  B: Int8Array;
  /** 'transposed' stores B with bstride 1 and bstep = n (a transposed operand such as V) */
  bLayout: 'rows' | 'transposed';
  init: 'zero' | 'acc' | 'bias';
  /** the initial C (init=acc, m×n) or bias row (init=bias, n) */
  initValues?: Int32Array;
  /** extra row padding of A and C (strides above k and n) */
  pad: number;
}

/** A gemm's shape and options, and the seed of its operands. */
export interface GemmDraw {
  m: number;
  n: number;
  k: number;
  a16: boolean;
  init: 'zero' | 'acc' | 'bias';
  bLayout: 'rows' | 'transposed';
  pad: number;
  seed: number;
}

/** Operands from the drawn seed: full-range int8 / int16 values (extremes included). */
export function gemmOf(d: GemmDraw): ArrayGemm {
  const next = mulberry32(d.seed);
  const pick = (lo: number, span: number): number => {
    const x = next();
    return x % 16 === 0 ? lo : x % 16 === 1 ? lo + span - 1 : lo + (x % span);
  };
  const A = d.a16 ? Int16Array.from({ length: d.m * d.k }, () => pick(-32768, 65536)) : Int8Array.from({ length: d.m * d.k }, () => pick(-128, 256));
  const B = Int8Array.from({ length: d.n * d.k }, () => pick(-128, 256));
  const initValues = d.init === 'zero' ? undefined : Int32Array.from({ length: d.init === 'acc' ? d.m * d.n : d.n }, () => pick(-1 << 20, 1 << 21));
  return { m: d.m, n: d.n, k: d.k, a16: d.a16, A, B, bLayout: d.bLayout, init: d.init, pad: d.pad, ...(initValues ? { initValues } : {}) };
}

export interface ArrayRun {
  cycles: number;
  /** C[m×n] read back from the accumulator */
  c: Int32Array;
}

const hex8 = (v: number): string => (v & 0xff).toString(16).padStart(2, '0');
const hex32 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** The bench's input files for one gemm (file name → text), and where C and the poisoned region lie. */
export interface ArrayBenchInput {
  files: Map<string, string>;
  accWords: Int32Array;
  cAddr: number;
  cstride: number;
}

export function arrayBenchInput(g: ArrayGemm): ArrayBenchInput {
  const astride = g.k + g.pad;
  const esize = g.a16 ? 2 : 1;
  const aAddr = 16;
  const bAddr = aAddr + g.m * astride * esize + 32;
  const bstride = g.bLayout === 'rows' ? g.k + g.pad : 1;
  const bstep = g.bLayout === 'rows' ? 1 : g.n + g.pad;
  const cAddr = 8;
  const cstride = g.n + g.pad;
  const biasAddr = cAddr + g.m * cstride + 8;
  const spad = new Map<number, number>();
  for (let i = 0; i < g.m; i++) {
    for (let q = 0; q < g.k; q++) {
      const v = g.A[i * g.k + q]!;
      const at = aAddr + (i * astride + q) * esize;
      spad.set(at, v & 0xff);
      if (g.a16) spad.set(at + 1, (v >> 8) & 0xff);
    }
  }
  for (let j = 0; j < g.n; j++) for (let q = 0; q < g.k; q++) spad.set(bAddr + j * bstride + q * bstep, g.B[j * g.k + q]!);
  const spadTop = Math.max(...spad.keys()) + 1;
  if (spadTop > 1 << SPAD_BITS) throw new RangeError(`operands need ${spadTop} scratchpad bytes, the bench has ${1 << SPAD_BITS}`);
  const accWords = new Int32Array(biasAddr + g.n + 8);
  // Poison the whole region so a write outside C or a missed write shows.
  accWords.fill(0x5a5a5a5a);
  if (g.init === 'acc') for (let i = 0; i < g.m; i++) for (let j = 0; j < g.n; j++) accWords[cAddr + i * cstride + j] = g.initValues![i * g.n + j]!;
  if (g.init === 'bias') for (let j = 0; j < g.n; j++) accWords[biasAddr + j] = g.initValues![j]!;
  if (accWords.length > 1 << ACC_BITS) throw new RangeError(`C needs ${accWords.length} accumulator words, the bench has ${1 << ACC_BITS}`);
  const spadLines: string[] = [];
  let next = -1;
  for (let at = 0; at < spadTop; at++) {
    const v = spad.get(at);
    if (v === undefined) continue;
    if (at !== next) spadLines.push(`@${at.toString(16)}`);
    spadLines.push(hex8(v));
    next = at + 1;
  }
  const init = { zero: 0, acc: 1, bias: 2 }[g.init];
  const fields = [aAddr, astride, g.a16 ? 1 : 0, bAddr, bstride, bstep, cAddr, cstride, init, biasAddr, g.m, g.n, g.k, 0, accWords.length];
  const files = new Map([
    ['spad.hex', spadLines.join('\n') + '\n'],
    ['acc.hex', Array.from(accWords, hex32).join('\n') + '\n'],
    ['instr.txt', fields.join(' ') + '\n'],
  ]);
  return { files, accWords, cAddr, cstride };
}

/** Read the bench's array.out in `dir`: the cycle count and C, checking that no word outside C changed. */
export function readArrayOut(dir: string, g: ArrayGemm, input: ArrayBenchInput): ArrayRun {
  const { accWords, cAddr, cstride } = input;
  const lines = readFileSync(join(dir, 'array.out'), 'utf8').trim().split('\n');
  const head = /^C (\d+)$/.exec(lines[0] ?? '');
  if (!head) throw new Error(`array bench: no cycle count in its output (${lines[0] ?? 'empty'})`);
  const words = lines.slice(1).map((h) => {
    if (/[xz]/i.test(h)) throw new Error(`array bench: X/Z in the accumulator (${h})`);
    return Number.parseInt(h, 16) | 0;
  });
  if (words.length !== accWords.length) throw new Error(`array bench: ${words.length} accumulator words back, expected ${accWords.length}`);
  // Every word outside C must be untouched.
  const c = new Int32Array(g.m * g.n);
  const inC = new Uint8Array(accWords.length);
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      c[i * g.n + j] = words[cAddr + i * cstride + j]!;
      inC[cAddr + i * cstride + j] = 1;
    }
  }
  for (let x = 0; x < words.length; x++) {
    if (!inC[x] && words[x] !== accWords[x]) throw new Error(`array bench: accumulator word ${x} outside C changed to ${words[x]}`);
  }
  return { cycles: Number(head[1]), c };
}

export function runArrayGemm(bench: ArrayBench, g: ArrayGemm): ArrayRun {
  const input = arrayBenchInput(g);
  const work = mkdtempSync(join(tmpdir(), 'ivit-array-run-'));
  try {
    for (const [name, text] of input.files) writeFileSync(join(work, name), text);
    execFileSync(bench.sim.run.file, bench.sim.run.args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return readArrayOut(work, g, input);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The golden C: init + A·Bᵀ (verify/golden/ops/matmul.ts), int32-checked. */
export function goldenGemm(g: ArrayGemm): Int32Array {
  const raw = matmulABt(g.A, g.B, g.m, g.n, g.k, g.init === 'bias' ? g.initValues : undefined, 32, 'array co-simulation');
  if (g.init !== 'acc') return raw;
  const out = new Int32Array(g.m * g.n);
  for (let x = 0; x < out.length; x++) out[x] = raw[x]! + g.initValues![x]!;
  return out;
}

export interface ArrayCheck {
  rtlCycles: number;
  closedForm: number;
  /** the detailed model's cycles (absent when skipped for size) */
  detailed?: number;
  /** first differing element, or -1 */
  firstValueMismatch: number;
}

export function checkGemm(bench: ArrayBench, g: ArrayGemm, withDetailed: boolean): ArrayCheck {
  const rtl = runArrayGemm(bench, g);
  const want = goldenGemm(g);
  let firstValueMismatch = -1;
  for (let x = 0; x < want.length; x++) {
    if (rtl.c[x] !== want[x]) {
      firstValueMismatch = x;
      break;
    }
  }
  const shape = { m: g.m, n: g.n, k: g.k, passes: g.a16 ? 2 : 1 };
  const { geometry, dataflow } = bench;
  const closedForm = arrayTiming(geometry, shape, dataflow).cycles;
  const detailed = withDetailed ? detailedArray(geometry, shape, { a: () => 1, b: () => 1 }, dataflow).cycles : undefined;
  return { rtlCycles: rtl.cycles, closedForm, ...(detailed === undefined ? {} : { detailed }), firstValueMismatch };
}

/** `verilator --lint-only -Wall` over the generated array core; returns the warnings (empty when clean). */
export function lintArray(g: ArrayGeometry, dataflow: DataflowName): string {
  return lintGeneratedArray(buildArray(g, dataflow));
}

export function lintGeneratedArray(arr: GeneratedArray): string {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-array-lint-'));
  try {
    const files = [...arr.files].map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', arr.top, ...files], { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.status === 0 ? '' : `exit ${r.status}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
