/**
 * The hand-written example programs run bit-exact: after each, DRAM holds exactly what the golden ops compute
 * from the same inputs (read back from the program's own DRAM image, run independently of the simulator).
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { matmulABt } from '../../verify/golden/ops/matmul.js';
import { requantOne, residualOne } from '../../verify/golden/ops/requant.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { assembleExample, initialDram, readDyadicTable, readI16, readI32, readI8, symbol } from './helpers.js';

// a 1 MiB DRAM keeps each run cheap; the examples use the first 32 KiB
const cfg = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=1048576']);
const numerics = numericsOf(cfg);
const tie = numerics.requantTie;

function simulateExample(name: string) {
  const p = assembleExample(name);
  const { run, report } = runProgram(p, { config: cfg });
  return { p, dram: run.state!.dram, init: initialDram(p, cfg.dram.bytes), report, sym: (s: string) => symbol(p, s) };
}

function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: element ${i} is ${actual[i]}, golden says ${expected[i]}`);
  }
}

function transpose(v: ArrayLike<number>, rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

describe('example programs are bit-exact against the golden model', () => {
  it('gemm-requant.s: tiled Linear with per-channel requant', () => {
    const { dram, init, sym, report } = simulateExample('gemm-requant.s');
    const [M, N, K] = [sym('M'), sym('N'), sym('K')];
    const a = readI8(init, sym('A_DRAM'), M * K);
    const w = readI8(init, sym('W_DRAM'), N * K);
    const bias = readI32(init, sym('BIAS_DRAM'), N);
    const table = readDyadicTable(init, sym('Q_DRAM'), N);
    const acc = matmulABt(a, w, M, N, K, bias, 32, 'test');
    const expected = Array.from(acc, (z, i) => requantOne(z, table[i % N]!, 8, tie));
    assertSameArray(readI8(dram, sym('OUT_DRAM'), M * N), expected, 'OUT');
    assert.ok(
      expected.some((v) => v !== 0 && v !== 127 && v !== -128),
      'the example exercises unsaturated values',
    );
    assert.equal(report.macs, M * N * K);
  });

  it('attention-head.s: Q·Kᵀ, requant, Shiftmax, P·V (int16 × int8), requant', () => {
    const { dram, init, sym } = simulateExample('attention-head.s');
    const [N, D, X0] = [sym('N'), sym('D'), sym('X0')];
    const q = readI8(init, sym('Q_DRAM'), N * D);
    const k = readI8(init, sym('K_DRAM'), N * D);
    const v = readI8(init, sym('V_DRAM'), N * D);
    const [q1, q2] = readDyadicTable(init, sym('QT_DRAM'), 2);
    const logits = Array.from(matmulABt(q, k, N, N, D, undefined, 32, 'test'), (z) => requantOne(z, q1!, 8, tie));
    const probs: number[] = [];
    for (let r = 0; r < N; r++) {
      probs.push(
        ...shiftmaxRow(logits.slice(r * N, (r + 1) * N), { x0: X0, n: 15, k: 16, flavour: numerics.flavour, inputBits: 8, expBits: numerics.expBits }, 'test')
          .out,
      );
    }
    const ctx = matmulABt(probs, transpose(v, N, D), N, D, N, undefined, 32, 'test');
    const expected = Array.from(ctx, (z) => requantOne(z, q2!, 8, tie));
    assertSameArray(readI8(dram, sym('OUT_DRAM'), N * D), expected, 'OUT');
    assert.ok(new Set(expected).size > 10, 'the example exercises many output values');
  });

  it('mlp-gelu.s: fc1, requant, ShiftGELU with fused requant, fc2, requant to int16', () => {
    const { dram, init, sym } = simulateExample('mlp-gelu.s');
    const [T, C, H, X0] = [sym('T'), sym('C'), sym('H'), sym('X0')];
    const x = readI8(init, sym('X_DRAM'), T * C);
    const w1 = readI8(init, sym('W1_DRAM'), H * C);
    const b1 = readI32(init, sym('B1_DRAM'), H);
    const w2 = readI8(init, sym('W2_DRAM'), C * H);
    const b2 = readI32(init, sym('B2_DRAM'), C);
    const [qh, qg, qo] = readDyadicTable(init, sym('QT_DRAM'), 3);
    const h8 = Array.from(matmulABt(x, w1, T, H, C, b1, 32, 'test'), (z) => requantOne(z, qh!, 8, tie));
    const g8: number[] = [];
    for (let r = 0; r < T; r++) {
      const g = shiftGeluRow(
        h8.slice(r * H, (r + 1) * H),
        { x0: X0, n: 23, k: 8, flavour: numerics.flavour, inputBits: 8, sigmaRule: 'reference', expBits: 32 },
        'test',
      ).out;
      g8.push(...g.map((z) => requantOne(z, qg!, 8, tie)));
    }
    const expected = Array.from(matmulABt(g8, w2, T, C, H, b2, 32, 'test'), (z) => requantOne(z, qo!, 16, tie));
    assertSameArray(readI16(dram, sym('OUT_DRAM'), T * C), expected, 'OUT');
    assert.ok(new Set(expected).size > 20);
  });

  it('layernorm.s: residual add then I-LayerNorm with fused per-channel requant', () => {
    const { dram, init, sym } = simulateExample('layernorm.s');
    const [T, C] = [sym('T'), sym('C')];
    const x = readI16(init, sym('X_DRAM'), T * C);
    const br = readI32(init, sym('BR_DRAM'), T * C);
    const [qx, qy] = readDyadicTable(init, sym('QR_DRAM'), 2);
    const lnb = readI32(init, sym('LNB_DRAM'), C);
    const qln = readDyadicTable(init, sym('QLN_DRAM'), C);
    const x2 = br.map((z, i) => residualOne(z, qx!, x[i]!, qy!, 16, tie));
    assertSameArray(readI16(dram, sym('X2_DRAM'), T * C), x2, "x'");
    const y: number[] = [];
    for (let r = 0; r < T; r++) {
      const out = layerNormRow(
        x2.slice(r * C, (r + 1) * C),
        lnb,
        {
          sqrt: numerics.sqrt,
          mean: numerics.lnMean,
          halve: numerics.lnHalve,
          inputBits: 16,
          varianceBits: numerics.lnVarianceBits,
          outputBits: numerics.lnOutputBits,
        },
        'test',
      ).out;
      y.push(...out.map((z, c) => requantOne(z, qln[c]!, 8, tie)));
    }
    assertSameArray(readI8(dram, sym('Y_DRAM'), T * C), y, 'y');
    assert.ok(new Set(y).size > 20);
  });

  it('every example also runs on an output-stationary 8×8 array with the same values', () => {
    const os = applyOverrides(cfg, ['array.dataflow=os', 'array.rows=8', 'array.cols=8', 'sdu.lanes=4']);
    for (const name of ['gemm-requant.s', 'attention-head.s', 'mlp-gelu.s', 'layernorm.s']) {
      const p = assembleExample(name);
      const a = runProgram(p, { config: cfg }).run.state!.dram;
      const b = runProgram(p, { config: os });
      assert.ok(Buffer.from(a).equals(Buffer.from(b.run.state!.dram)), `${name}: DRAM differs between the two machines`);
      assert.ok(b.report.totalCycles > 0);
    }
  });

  it('with --detailed-array (PE-by-PE model, 4×4 array, both dataflows) every example gives the same cycles and values', () => {
    for (const df of ['ws', 'os']) {
      const small = applyOverrides(cfg, ['array.rows=4', 'array.cols=4', `array.dataflow=${df}`]);
      for (const name of ['gemm-requant.s', 'attention-head.s', 'mlp-gelu.s']) {
        const p = assembleExample(name);
        const fast = runProgram(p, { config: small });
        const detailed = runProgram(p, { config: small, detailedArray: true });
        assert.equal(detailed.report.totalCycles, fast.report.totalCycles, `${name} ${df}`);
        assert.ok(Buffer.from(detailed.run.state!.dram).equals(Buffer.from(fast.run.state!.dram)), `${name} ${df}: DRAM differs`);
      }
    }
  });
});
