#!/usr/bin/env node
// Simulator speed on a large tiled GEMM (a Linear layer as a compiler would emit it: double-buffered weight
// tiles, per-tile requant and store). Reports simulated cycles per second and MACs per second, with values
// (bit-exact) and timing only, median of N runs. Usage: node scripts/bench-sim.mjs [runs] [M] [K] [N]
// Needs a build: npx tsc -p .
import { assemble } from '../dist/isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../dist/sim/config.js';
import { runProgram } from '../dist/sim/run.js';
import { wasmGemmAvailable } from '../dist/verify/golden/ops/gemm-wasm.js';
import { requantOne } from '../dist/verify/golden/ops/requant.js';
import os from 'node:os';

const [runs, M, K, N] = [3, 512, 768, 2048].map((d, i) => Number(process.argv[2 + i] ?? d));
function program(TN) {
  const tiles = N / TN;
  const L = [
    `.equ M, ${M}`,
    `.equ K, ${K}`,
    `.equ N, ${N}`,
    `.equ TN, ${TN}`,
    '.equ A_DRAM, 0x0',
    `.equ W_DRAM, ${M * K}`,
    `.equ Q_DRAM, ${M * K + N * K}`,
    `.equ OUT_DRAM, ${M * K + N * K + 64}`,
    '.equ A_SP, 0x0',
    '.equ W0_SP, 0x100000',
    '.equ W1_SP, 0x140000',
    '.equ O0_SP, 0x180000',
    '.equ O1_SP, 0x1A0000',
    '.equ Q_SP, 0x1C0000',
    '.equ C0_ACC, 0x0',
    '.equ C1_ACC, 0x10000',
    '.rand @A_DRAM, i8, count=M*K, seed=1',
    '.rand @W_DRAM, i8, count=N*K, seed=2',
    '.data @Q_DRAM, i32, 1073741824, 43',
    'load dram=Q_DRAM, dstride=8, local=Q_SP, lstride=8, rows=1, bytes=8',
    'load dram=A_DRAM, dstride=K, local=A_SP, lstride=K, rows=M, bytes=K, signal=s6',
  ];
  for (let t = 0; t < tiles; t++) {
    const b = t % 2;
    L.push(`tile${t}:`);
    L.push(`load ${t >= 2 ? 'wait=s1, ' : ''}dram=W_DRAM+${t * TN * K}, dstride=K, local=W${b}_SP, lstride=K, rows=TN, bytes=K, signal=s0`);
    L.push(
      `gemm wait=s0${t === 0 ? '|s6' : ''}${t >= 2 ? '|s3' : ''}, a=A_SP, astride=K, b=W${b}_SP, bstride=K, c=C${b}_ACC, cstride=TN, m=M, n=TN, k=K, signal=s1|s2`,
    );
    L.push(`requant wait=s2${t >= 2 ? '|s5' : ''}, s=C${b}_ACC, sstride=TN, d=O${b}_SP, dstride=TN, rows=M, cols=TN, qtab=Q_SP, signal=s3|s4`);
    L.push(`store wait=s4, dram=OUT_DRAM+${t * TN}, dstride=N, local=O${b}_SP, lstride=TN, rows=M, bytes=TN, signal=s5`);
  }
  return L.join('\n');
}

const config = applyOverrides(DEFAULT_CONFIG, [
  'scratchpad.bytes=2097152',
  'scratchpad.banks=32',
  'accumulator.words=131072',
  'accumulator.banks=2',
  'dram.bytes=8388608',
]);
const image = assemble(program(128), 'bench'); // 128 output channels per tile
/** A few outputs recomputed with a plain dot product and the golden requant: the run really computed them. */
function spotCheck(dram) {
  const dramA = 0;
  const dramW = M * K;
  const out = M * K + N * K + 64;
  const i8 = (a) => (dram[a] << 24) >> 24;
  for (const [i, j] of [
    [0, 0],
    [M - 1, N - 1],
    [M >> 1, 777 % N],
    [3, N >> 1],
  ]) {
    let acc = 0;
    for (let q = 0; q < K; q++) acc += i8(dramA + i * K + q) * i8(dramW + j * K + q);
    const want = requantOne(acc, { m: 1073741824, c: 43 }, 8, 'half-even');
    if (i8(out + i * N + j) !== want) throw new Error(`spot check failed at [${i}][${j}]: ${i8(out + i * N + j)} != ${want}`);
  }
}
/** Wall and process CPU seconds of one call: CPU time is the steadier figure on a shared, loaded machine. */
function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const timingOnly of [false, true]) {
  const times = [];
  const cpus = [];
  let report;
  for (let r = 0; r < runs; r++) {
    const t = timed(() => runProgram(image, { config, timingOnly }).report);
    report = t.value;
    times.push(t.wall);
    cpus.push(t.cpu);
  }
  const s = median(times);
  const cpu = median(cpus);
  if (!timingOnly) spotCheck(runProgram(image, { config }).run.state.dram);
  rows.push({ mode: timingOnly ? 'timing only' : 'values (bit-exact)', s, cpu, report });
}
const r0 = rows[0].report;
console.log(
  `GEMM ${M}×${K} · ${N}×${K}ᵀ = ${(r0.macs / 1e9).toFixed(3)} GMAC, ${image.instructions.length} instructions, ${r0.machine.array} ${r0.machine.dataflow}, ` +
    `${r0.totalCycles.toLocaleString('en-US')} cycles (${r0.timeMs.toFixed(3)} ms at ${r0.machine.clockMHz} MHz), PE utilisation ${(100 * r0.peUtilisation).toFixed(1)}%`,
);
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load average ${os.loadavg()[0].toFixed(2)}, WebAssembly GEMM kernel: ${wasmGemmAvailable() ? 'yes' : 'no'}, median of ${runs}`,
);
console.log('');
console.log('| mode | wall (ms) | CPU (ms) | simulated cycles/s (wall) | simulated MACs/s (wall) |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.mode} | ${(1000 * r.s).toFixed(2)} | ${(1000 * r.cpu).toFixed(2)} | ${(r.report.totalCycles / r.s).toExponential(2)} | ${(r.report.macs / r.s).toExponential(2)} |`,
  );
}

// Instruction-bound: the same layer in 16-channel tiles (4 instructions per tile), timing only.
const fine = assemble(program(16), 'bench-fine');
const fineTimes = [];
const fineCpus = [];
let fineReport;
for (let r = 0; r < runs; r++) {
  const t = timed(() => runProgram(fine, { config, timingOnly: true }).report);
  fineReport = t.value;
  fineTimes.push(t.wall);
  fineCpus.push(t.cpu);
}
const fineS = median(fineTimes);
const fineCpu = median(fineCpus);
console.log('');
console.log(
  `The same layer in 16-channel tiles: ${fine.instructions.length} instructions, ${fineReport.totalCycles.toLocaleString('en-US')} cycles, PE utilisation ${(100 * fineReport.peUtilisation).toFixed(1)}%; ` +
    `timing only ${(1000 * fineS).toFixed(2)} ms wall, ${(1000 * fineCpu).toFixed(2)} ms CPU = ${(fine.instructions.length / fineS).toExponential(2)} instructions/s (wall)`,
);

// The SDU side: one DeiT-S block's nonlinear work (6 heads of 197×197 Shiftmax, ShiftGELU over 197×1536 with
// its requant fused, two LayerNorms over 197×384 with per-channel requant fused, requant of 197×1536).
function sduProgram() {
  const T = 197;
  const L = [
    `.equ T, ${T}`,
    '.rand @0x0, i8, count=6*T*T, seed=3',
    `.rand @0x40000, i8, count=T*1536, seed=4`,
    `.rand @0x90000, i16, count=T*384, seed=5, min=-3000, max=3000`,
    '.data @0xF0000, i32, 1073741824, 40',
    '.rand @0xF0100, i32, count=384, seed=6, min=-1000000, max=1000000',
    'load dram=0x0, dstride=T, local=0x0, lstride=T, rows=6*T, bytes=T',
    'load dram=0x40000, dstride=1536, local=0x40000, lstride=1536, rows=T, bytes=1536',
    'load dram=0x90000, dstride=768, local=0x90000, lstride=768, rows=T, bytes=768',
    'load dram=0xF0000, dstride=8, local=0xF0000, lstride=8, rows=1, bytes=8',
    'load dram=0xF0100, dstride=1536, local=0xF0100, lstride=1536, rows=1, bytes=1536, signal=s0',
    'shiftmax wait=s0, s=0x0, sstride=T, d=0x100000, dstride=T, dtype=i16, rows=6*T, cols=T, x0=-20',
    'shiftgelu s=0x40000, sstride=1536, d=0x180000, dstride=1536, dtype=i8, rows=T, cols=1536, x0=-12, qmode=tensor, qtab=0xF0000',
    'layernorm s=0x90000, sstride=384, d=0x200000, dstride=384, dspace=spad, dtype=i8, rows=T, cols=384, bmode=table, btab=0xF0100, qmode=tensor, qtab=0xF0000',
    'layernorm s=0x90000, sstride=384, d=0x220000, dstride=384, dspace=spad, dtype=i8, rows=T, cols=384, bmode=table, btab=0xF0100, qmode=tensor, qtab=0xF0000',
    'requant sspace=spad, stype=i8, s=0x40000, sstride=1536, d=0x240000, dstride=1536, rows=T, cols=1536, qtab=0xF0000',
  ];
  return L.join('\n');
}
const sduImage = assemble(sduProgram(), 'bench-sdu');
const sduConfig = applyOverrides(config, ['scratchpad.bytes=4194304']);
const sduTimes = [];
const sduCpus = [];
let sduReport;
for (let r = 0; r < runs; r++) {
  const t = timed(() => runProgram(sduImage, { config: sduConfig }).report);
  sduReport = t.value;
  sduTimes.push(t.wall);
  sduCpus.push(t.cpu);
}
const sduS = median(sduTimes);
const sduCpu = median(sduCpus);
console.log('');
console.log(
  `SDU work of one DeiT-S block: ${sduReport.sdu.elements.toLocaleString('en-US')} elements, ${sduReport.totalCycles.toLocaleString('en-US')} cycles on ${sduReport.machine.sduLanes} lanes`,
);
console.log('');
console.log('| mode | wall (ms) | CPU (ms) | simulated cycles/s (wall) | SDU elements/s (wall) |');
console.log('|---|---|---|---|---|');
console.log(
  `| values (bit-exact) | ${(1000 * sduS).toFixed(2)} | ${(1000 * sduCpu).toFixed(2)} | ${(sduReport.totalCycles / sduS).toExponential(2)} | ${(sduReport.sdu.elements / sduS).toExponential(2)} |`,
);
