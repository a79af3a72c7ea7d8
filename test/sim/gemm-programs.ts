/** Random GEMM programs for the property tests: shapes, tilings, operand layouts, and their golden result. */
import fc from 'fast-check';
import { matmulABt } from '../../verify/golden/ops/matmul.js';
import { readI16, readI32, readI8 } from './helpers.js';

export interface GemmCase {
  m: number;
  n: number;
  k: number;
  tm: number;
  tn: number;
  tk: number;
  wide: boolean; // int16 A
  transposedB: boolean; // B stored [k×n] and read with bstride=1, bstep=n
  bias: boolean;
  seed: number;
}

export const gemmCase: fc.Arbitrary<GemmCase> = fc.record({
  m: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.integer({ min: 1, max: 40 }),
  tm: fc.integer({ min: 3, max: 40 }),
  tn: fc.integer({ min: 3, max: 40 }),
  tk: fc.integer({ min: 3, max: 40 }),
  wide: fc.boolean(),
  transposedB: fc.boolean(),
  bias: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

/** The program text: load A, B, bias; one gemm per (row tile, column tile, depth tile); store C. */
export function gemmProgram(c: GemmCase): string {
  const es = c.wide ? 2 : 1;
  const L: string[] = [
    `.equ M, ${c.m}`,
    `.equ N, ${c.n}`,
    `.equ K, ${c.k}`,
    '.equ A_DRAM, 0x0',
    '.equ B_DRAM, 0x4000',
    '.equ BIAS_DRAM, 0x6000',
    '.equ C_DRAM, 0x8000',
    '.equ A_SP, 0x00000',
    '.equ B_SP, 0x10000',
    '.equ C_ACC, 0x0',
    '.equ BIAS_ACC, 0x2000',
    `.rand @A_DRAM, ${c.wide ? 'i16' : 'i8'}, count=M*K, seed=${c.seed}`,
    `.rand @B_DRAM, i8, count=N*K, seed=${c.seed + 1}`,
    `.rand @BIAS_DRAM, i32, count=N, seed=${c.seed + 2}, min=-100000, max=100000`,
    `load dram=A_DRAM, dstride=${es}*K, local=A_SP, lstride=${es}*K, rows=M, bytes=${es}*K`,
    'load dram=B_DRAM, dstride=1, local=B_SP, lstride=1, rows=1, bytes=N*K',
    'load dram=BIAS_DRAM, dstride=4, space=acc, local=BIAS_ACC, lstride=1, rows=N, bytes=4, signal=s0',
  ];
  let first = true;
  const gemms: string[] = [];
  for (let i0 = 0; i0 < c.m; i0 += c.tm) {
    for (let j0 = 0; j0 < c.n; j0 += c.tn) {
      for (let k0 = 0; k0 < c.k; k0 += c.tk) {
        const [m, n, k] = [Math.min(c.tm, c.m - i0), Math.min(c.tn, c.n - j0), Math.min(c.tk, c.k - k0)];
        const b = c.transposedB ? `b=B_SP+${k0 * c.n + j0}, bstride=1, bstep=N` : `b=B_SP+${j0 * c.k + k0}, bstride=K`;
        const init = k0 > 0 ? 'init=acc' : c.bias ? `init=bias, bias=BIAS_ACC+${j0}` : 'init=zero';
        gemms.push(
          `gemm ${first ? 'wait=s0, ' : ''}a=A_SP+${(i0 * c.k + k0) * es}, astride=K, atype=${c.wide ? 'i16' : 'i8'}, ${b}, c=C_ACC+${i0 * c.n + j0}, cstride=N, ${init}, m=${m}, n=${n}, k=${k}`,
        );
        first = false;
      }
    }
  }
  gemms[gemms.length - 1] += ', signal=s1';
  L.push(...gemms, 'store wait=s1, dram=C_DRAM, dstride=4*N, space=acc, local=C_ACC, lstride=N, rows=M, bytes=4*N');
  return L.join('\n');
}

export function goldenGemm(c: GemmCase, init: Uint8Array): Int32Array {
  const a = c.wide ? readI16(init, 0x0, c.m * c.k) : readI8(init, 0x0, c.m * c.k);
  const raw = readI8(init, 0x4000, c.n * c.k);
  let b: ArrayLike<number> = raw;
  if (c.transposedB) {
    // stored [k×n]: B[j][q] = raw[q·n + j]
    const t = new Int8Array(c.n * c.k);
    for (let j = 0; j < c.n; j++) for (let q = 0; q < c.k; q++) t[j * c.k + q] = raw[q * c.n + j]!;
    b = t;
  }
  return matmulABt(a as number[], b as Int8Array, c.m, c.n, c.k, c.bias ? readI32(init, 0x6000, c.n) : undefined, 32, 'test');
}
