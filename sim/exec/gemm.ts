/**
 * GEMM values: C = init + A·Bᵀ over operands gathered once into contiguous typed arrays, by the golden model's
 * WebAssembly kernels where available, else a tight typed-array loop.
 * Same semantics as verify/golden/ops/matmul.ts (int32 accumulator, checked), which the tests compare against.
 */
import type { Fields } from '../../isa/table.js';
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { WASM_I16_MAX_DEPTH, WASM_MAX_DEPTH, gemmInt16Int8Wasm, gemmInt8Wasm } from '../../verify/golden/ops/gemm-wasm.js';
import { detailedArray } from '../array/detailed.js';
import type { ArrayGeometry } from '../array/shape.js';
import type { DataflowName } from '../array/timing.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** B[j][q] at b + j·bstride + q·bstep, gathered into a contiguous n×k Int8Array. */
export function gatherB(st: MachineState, f: Fields<'gemm'>): Int8Array {
  const n = f.n;
  const k = f.k;
  const out = new Int8Array(n * k);
  const src = st.spadI8;
  for (let j = 0; j < n; j++) {
    const base = f.b + j * f.bstride;
    if (f.bstep === 1) out.set(src.subarray(base, base + k), j * k);
    else for (let q = 0; q < k; q++) out[j * k + q] = src[base + q * f.bstep]!;
  }
  return out;
}

/** A[i][q], contiguous m×k: an Int8Array for int8 A, an Int16Array for int16 A. */
export function gatherA(st: MachineState, f: Fields<'gemm'>): Int8Array | Int16Array {
  const m = f.m;
  const k = f.k;
  const out = f.atype === 'i8' ? new Int8Array(m * k) : new Int16Array(m * k);
  for (let i = 0; i < m; i++) {
    if (f.atype === 'i8') {
      const base = f.a + i * f.astride;
      out.set(st.spadI8.subarray(base, base + k), i * k);
    } else {
      const base = f.a + 2 * i * f.astride;
      for (let q = 0; q < k; q++) out[i * k + q] = st.spadView.getInt16(base + 2 * q, true);
    }
  }
  return out;
}

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;
const INIT_CODE = { zero: 0, acc: 1, bias: 2 } as const;

/**
 * The GEMM in place in the machine memory (exec/wasm/sim-kernels.wat): operands staged with the kernel's
 * padding in the workspace, the sums added to their init and checked in int32 on the way into the accumulators.
 * False when the kernels are absent or the depth is past their exact range.
 */
function executeGemmInPlace(st: MachineState, f: Fields<'gemm'>): boolean {
  const kernels = st.kernels;
  const wide = f.atype === 'i16' ? 1 : 0;
  if (!kernels || f.k > (wide ? WASM_I16_MAX_DEPTH : WASM_MAX_DEPTH)) return false;
  const { m, n, k } = f;
  const dp = roundUp(Math.max(k, 1), wide ? 8 : 16);
  const mp = roundUp(m, 2);
  const np = roundUp(n, 4);
  let ws: number;
  try {
    ws = st.workspace(roundUp(mp * dp * (wide + 1), 16) + roundUp(np * dp, 16) + 4 * mp * np);
  } catch (e) {
    if (e instanceof RangeError) return false; // the memory cannot grow that far: the typed-array path
    throw e;
  }
  const bad = kernels.gemm(
    f.a,
    f.astride * (wide + 1),
    wide,
    f.b,
    f.bstride,
    f.bstep,
    st.accBase + 4 * f.c,
    4 * f.cstride,
    INIT_CODE[f.init],
    st.accBase + 4 * f.bias,
    m,
    n,
    k,
    mp,
    np,
    dp,
    ws,
  );
  if (bad >= 0) {
    const i = Math.floor(bad / n);
    const j = bad - i * n;
    const raw = new Int32Array(st.acc.buffer, ws + roundUp(mp * dp * (wide + 1), 16) + roundUp(np * dp, 16), mp * np)[i * np + j]!;
    const init = f.init === 'acc' ? st.acc[f.c + i * f.cstride + j]! : st.acc[f.bias + j]!;
    throw new ExecError('value', `accumulator C[${i}][${j}] = ${init + raw} overflows int32`);
  }
  return true;
}

/**
 * FQ-ViT's log-attention × V (amode=shift): C[i][j] = init + Σ_q ⌊B[j][q]·2^F / 2^A[i][q]⌋ over A[i][q] ≥ 0, the
 * golden lisAttnV. Each PE shifts instead of multiplying; A = −1 (probability 0) contributes nothing.
 */
function executeGemmShift(st: MachineState, f: Fields<'gemm'>): void {
  const { m, n, k } = f;
  const A = gatherA(st, f);
  const B = gatherB(st, f);
  const acc = st.acc;
  const up = 2 ** f.fbits;
  for (let i = 0; i < m; i++) {
    const cOff = f.c + i * f.cstride;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) {
        const code = A[i * k + q]!;
        if (code < 0) continue;
        s += Math.floor((B[j * k + q]! * up) / 2 ** code); // |B·2^F| < 2^38: exact quotient of exact doubles
      }
      const init = f.init === 'zero' ? 0 : f.init === 'acc' ? acc[cOff + j]! : acc[f.bias + j]!;
      const v = init + s;
      if (v < INT32_MIN || v > INT32_MAX) throw new ExecError('value', `accumulator C[${i}][${j}] = ${v} overflows int32`);
      acc[cOff + j] = v;
    }
  }
}

export function executeGemm(st: MachineState, f: Fields<'gemm'>): void {
  if (f.amode === 'shift') return executeGemmShift(st, f);
  if (executeGemmInPlace(st, f)) return;
  const m = f.m;
  const n = f.n;
  const k = f.k;
  const A = gatherA(st, f);
  const B = gatherB(st, f);
  const acc = st.acc;
  // The golden model's WebAssembly SIMD kernels give the raw products fastest; they decline (false) when absent
  // or when the depth could overflow their int32 lanes, and the loop below takes over.
  const raw = new Int32Array(m * n);
  const viaWasm = A instanceof Int8Array ? gemmInt8Wasm(A, B, m, n, k, raw) : gemmInt16Int8Wasm(A, B, m, n, k, raw);
  if (viaWasm) {
    for (let i = 0; i < m; i++) {
      const cOff = f.c + i * f.cstride;
      if (f.init === 'zero') {
        acc.set(raw.subarray(i * n, (i + 1) * n), cOff); // the kernel's int32 sums are the accumulators
        continue;
      }
      for (let j = 0; j < n; j++) {
        const init = f.init === 'acc' ? acc[cOff + j]! : acc[f.bias + j]!;
        const v = init + raw[i * n + j]!;
        if (v < INT32_MIN || v > INT32_MAX) throw new ExecError('value', `accumulator C[${i}][${j}] = ${v} overflows int32`);
        acc[cOff + j] = v;
      }
    }
    return;
  }
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const aOff = i * k;
    const cOff = f.c + i * f.cstride;
    for (let j = 0; j < n; j++) {
      const bOff = j * k;
      // |a·b| ≤ 2^22 and k < 2^16: every partial sum is an exact double
      let s0 = 0;
      let s1 = 0;
      let q = 0;
      for (; q < k4; q += 4) {
        s0 += A[aOff + q]! * B[bOff + q]! + A[aOff + q + 2]! * B[bOff + q + 2]!;
        s1 += A[aOff + q + 1]! * B[bOff + q + 1]! + A[aOff + q + 3]! * B[bOff + q + 3]!;
      }
      for (; q < k; q++) s0 += A[aOff + q]! * B[bOff + q]!;
      const init = f.init === 'zero' ? 0 : f.init === 'acc' ? acc[cOff + j]! : acc[f.bias + j]!;
      const v = init + s0 + s1;
      if (v < INT32_MIN || v > INT32_MAX) {
        throw new ExecError('value', `accumulator C[${i}][${j}] = ${v} overflows int32`);
      }
      acc[cOff + j] = v;
    }
  }
}

/**
 * The same GEMM computed by the PE-by-PE array model (detailed mode): the values come out of the simulated PE
 * registers, so a run with --detailed-array checks the register-level dataflow against the golden model too.
 */
export function executeGemmDetailed(st: MachineState, f: Fields<'gemm'>, geometry: ArrayGeometry, dataflow: DataflowName): void {
  // the PE model multiplies; a shift-mode PE has the same registers and timing, so its values come from the shift loop
  if (f.amode === 'shift') return executeGemmShift(st, f);
  const m = f.m;
  const n = f.n;
  const k = f.k;
  const A = gatherA(st, f);
  const B = gatherB(st, f);
  const d = detailedArray(geometry, { m, n, k, passes: f.atype === 'i16' ? 2 : 1 }, { a: (i, q) => A[i * k + q]!, b: (j, q) => B[j * k + q]! }, dataflow);
  const acc = st.acc;
  for (let i = 0; i < m; i++) {
    const cOff = f.c + i * f.cstride;
    for (let j = 0; j < n; j++) {
      const init = f.init === 'zero' ? 0 : f.init === 'acc' ? acc[cOff + j]! : acc[f.bias + j]!;
      const v = init + d.values[i * n + j]!;
      if (v < INT32_MIN || v > INT32_MAX) throw new ExecError('value', `accumulator C[${i}][${j}] = ${v} overflows int32`);
      acc[cOff + j] = v;
    }
  }
}
