#!/usr/bin/env node
// Simulator speed on a large tiled GEMM (a Linear layer as a compiler would emit it: double-buffered weight
// tiles, per-tile requant and store). Reports simulated cycles per second and MACs per second, with values
// (bit-exact) and timing only, median of N runs. Usage: node scripts/bench-sim.mjs [runs] [M] [K] [N]
// Needs a build: npx tsc -p .
import { assemble } from '../dist/isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../dist/sim/config.js';
import { runProgram } from '../dist/sim/run.js';
import { wasmGemmAvailable } from '../dist/verify/golden/ops/gemm-wasm.js';
import os from 'node:os';

const [runs, M, K, N] = [3, 512, 768, 2048].map((d, i) => Number(process.argv[2 + i] ?? d));
const TN = 128; // output channels per tile
const tiles = N / TN;

function program() {
  const L = [
    `.equ M, ${M}`, `.equ K, ${K}`, `.equ N, ${N}`, `.equ TN, ${TN}`,
    '.equ A_DRAM, 0x0', `.equ W_DRAM, ${M * K}`, `.equ Q_DRAM, ${M * K + N * K}`, `.equ OUT_DRAM, ${M * K + N * K + 64}`,
    '.equ A_SP, 0x0', '.equ W0_SP, 0x100000', '.equ W1_SP, 0x140000', '.equ O0_SP, 0x180000', '.equ O1_SP, 0x1A0000', '.equ Q_SP, 0x1C0000',
    '.equ C0_ACC, 0x0', '.equ C1_ACC, 0x10000',
    '.rand @A_DRAM, i8, count=M*K, seed=1', '.rand @W_DRAM, i8, count=N*K, seed=2', '.data @Q_DRAM, i32, 1073741824, 43',
    'load dram=Q_DRAM, dstride=8, local=Q_SP, lstride=8, rows=1, bytes=8',
    'load dram=A_DRAM, dstride=K, local=A_SP, lstride=K, rows=M, bytes=K, signal=s6',
  ];
  for (let t = 0; t < tiles; t++) {
    const b = t % 2;
    L.push(`tile${t}:`);
    L.push(`load ${t >= 2 ? 'wait=s1, ' : ''}dram=W_DRAM+${t * TN * K}, dstride=K, local=W${b}_SP, lstride=K, rows=TN, bytes=K, signal=s0`);
    L.push(`gemm wait=s0${t === 0 ? '|s6' : ''}${t >= 2 ? '|s3' : ''}, a=A_SP, astride=K, b=W${b}_SP, bstride=K, c=C${b}_ACC, cstride=TN, m=M, n=TN, k=K, signal=s1|s2`);
    L.push(`requant wait=s2${t >= 2 ? '|s5' : ''}, s=C${b}_ACC, sstride=TN, d=O${b}_SP, dstride=TN, rows=M, cols=TN, qtab=Q_SP, signal=s3|s4`);
    L.push(`store wait=s4, dram=OUT_DRAM+${t * TN}, dstride=N, local=O${b}_SP, lstride=TN, rows=M, bytes=TN, signal=s5`);
  }
  return L.join('\n');
}

const config = applyOverrides(DEFAULT_CONFIG, ['scratchpad.bytes=2097152', 'scratchpad.banks=32', 'accumulator.words=131072', 'accumulator.banks=2', 'dram.bytes=8388608']);
const image = assemble(program(), 'bench');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const timingOnly of [false, true]) {
  const times = [];
  let report;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    report = runProgram(image, { config, timingOnly }).report;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const s = median(times);
  rows.push({ mode: timingOnly ? 'timing only' : 'values (bit-exact)', s, report });
}
const r0 = rows[0].report;
console.log(`GEMM ${M}×${K} · ${N}×${K}ᵀ = ${(r0.macs / 1e9).toFixed(3)} GMAC, ${image.instructions.length} instructions, ${r0.machine.array} ${r0.machine.dataflow}, `
  + `${r0.totalCycles.toLocaleString('en-US')} cycles (${r0.timeMs.toFixed(3)} ms at ${r0.machine.clockMHz} MHz), PE utilisation ${(100 * r0.peUtilisation).toFixed(1)}%`);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load average ${os.loadavg()[0].toFixed(2)}, WebAssembly GEMM kernel: ${wasmGemmAvailable() ? 'yes' : 'no'}, median of ${runs}`);
console.log('');
console.log('| mode | wall (s) | simulated cycles/s | simulated MACs/s |');
console.log('|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.mode} | ${r.s.toFixed(3)} | ${(r.report.totalCycles / r.s).toExponential(2)} | ${(r.report.macs / r.s).toExponential(2)} |`);
}
