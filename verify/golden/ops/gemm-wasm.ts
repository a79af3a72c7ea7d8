/**
 * The int8 GEMM kernel in WebAssembly SIMD (ops/wasm/gemm-i8.wat, assembled at build time). It computes
 * exactly what the JavaScript kernel does (the tests compare them on random shapes); it only runs faster.
 * Operands are copied into the module's memory with rows and depth zero-padded to the kernel's blocking.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The kernel's functions; every address is a byte offset into the memory the instance was given. */
export interface GemmFunctions {
  gemm: (a: number, b: number, rows: number, cols: number, dp: number, out: number) => void;
  gemm_i16_i8: (a: number, b: number, rows: number, cols: number, dp: number, out: number) => void;
}

interface GemmKernel extends GemmFunctions {
  memory: WebAssembly.Memory;
}

const WASM_PATH = fileURLToPath(new URL('./wasm/gemm-i8.wasm', import.meta.url));
/** Products are ≤ 2^14, so an int32 lane sum of up to 2^17 − 1 terms cannot overflow. */
export const WASM_MAX_DEPTH = 131071;
/** int16 × int8 products are < 2^22: up to 511 terms stay inside int32. */
export const WASM_I16_MAX_DEPTH = 511;

let compiled: WebAssembly.Module | null | undefined;
let kernel: GemmKernel | null | undefined;

/** The compiled kernel module, or null when it is missing, disabled (IVIT_NO_WASM) or the host lacks SIMD. */
export function gemmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (process.env.IVIT_NO_WASM || !existsSync(WASM_PATH)) return compiled;
  try {
    compiled = new WebAssembly.Module(readFileSync(WASM_PATH));
  } catch {
    compiled = null; // no SIMD support: the JavaScript kernel is used
  }
  return compiled;
}

/** An instance of the kernel working in `memory` (the simulator's machine memory, for one). */
export function instantiateGemm(memory: WebAssembly.Memory): GemmFunctions | null {
  const mod = gemmModule();
  if (!mod) return null;
  return new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as GemmFunctions;
}

/** The golden model's own instance, with a memory of its own that grows to the largest operands seen. */
function load(): GemmKernel | null {
  if (kernel !== undefined) return kernel;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const fns = instantiateGemm(memory);
  kernel = fns ? { gemm: fns.gemm, gemm_i16_i8: fns.gemm_i16_i8, memory } : null;
  return kernel;
}

export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

/**
 * out[i·cols + j] = Σ_k a[i·depth + k] · b[j·depth + k] (no bias). Returns false when the kernel is not
 * available or the shape is outside its range; the caller then uses the JavaScript kernel.
 */
export function gemmInt8Wasm(a: Int8Array, b: Int8Array, rows: number, cols: number, depth: number, out: Int32Array): boolean {
  const k = load();
  if (!k || depth > WASM_MAX_DEPTH || rows === 0 || cols === 0) return false;
  const dp = roundUp(Math.max(depth, 1), 16);
  const rp = roundUp(rows, 2);
  const cp = roundUp(cols, 4);
  const aBytes = rp * dp;
  const bBytes = cp * dp;
  const outBytes = rp * cp * 4;
  const need = aBytes + bBytes + outBytes;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Int8Array(k.memory.buffer);
  const aOff = 0;
  const bOff = aBytes;
  const outOff = aBytes + bBytes; // 16-byte aligned since dp is a multiple of 16
  stage(mem, aOff, a, rows, rp, depth, dp);
  stage(mem, bOff, b, cols, cp, depth, dp);
  k.gemm(aOff, bOff, rp, cp, dp, outOff);
  const c = new Int32Array(k.memory.buffer, outOff, rp * cp);
  if (cp === cols) out.set(c.subarray(0, rows * cols));
  else for (let i = 0; i < rows; i++) out.set(c.subarray(i * cp, i * cp + cols), i * cols);
  return true;
}

/** Copy a [n × depth] matrix into [nPad × dp] with zero padding. */
function stage(mem: Int8Array, off: number, src: Int8Array, n: number, nPad: number, depth: number, dp: number): void {
  if (dp === depth) mem.set(src.subarray(0, n * depth), off);
  else
    for (let r = 0; r < n; r++) {
      mem.set(src.subarray(r * depth, (r + 1) * depth), off + r * dp);
      mem.fill(0, off + r * dp + depth, off + (r + 1) * dp);
    }
  mem.fill(0, off + n * dp, off + nPad * dp);
}

/** The same for an int16 left operand (values in [−2^15, 2^15)) and an int8 right operand. */
export function gemmInt16Int8Wasm(a: Int16Array, b: Int8Array, rows: number, cols: number, depth: number, out: Int32Array): boolean {
  const k = load();
  if (!k || depth > WASM_I16_MAX_DEPTH || rows === 0 || cols === 0) return false;
  const dp = roundUp(Math.max(depth, 1), 8);
  const rp = roundUp(rows, 2);
  const cp = roundUp(cols, 4);
  const aBytes = roundUp(rp * dp * 2, 16);
  const bBytes = roundUp(cp * dp, 16);
  const need = aBytes + bBytes + rp * cp * 4;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  const a16 = new Int16Array(k.memory.buffer, 0, rp * dp);
  for (let r = 0; r < rows; r++) {
    a16.set(a.subarray(r * depth, (r + 1) * depth), r * dp);
    a16.fill(0, r * dp + depth, (r + 1) * dp);
  }
  a16.fill(0, rows * dp, rp * dp);
  stage(new Int8Array(k.memory.buffer), aBytes, b, cols, cp, depth, dp);
  const outOff = aBytes + bBytes;
  k.gemm_i16_i8(0, aBytes, rp, cp, dp, outOff);
  const c = new Int32Array(k.memory.buffer, outOff, rp * cp);
  if (cp === cols) out.set(c.subarray(0, rows * cols));
  else for (let i = 0; i < rows; i++) out.set(c.subarray(i * cp, i * cp + cols), i * cols);
  return true;
}
