/**
 * The simulator's WebAssembly datapath kernels (exec/wasm/sim-kernels.wat): requant, the residual add and the
 * GEMM work in place in the machine memory, which is a WebAssembly memory for that reason. Bound to one
 * MachineState's memory; absent (null) when the kernels are missing, disabled by IVIT_NO_WASM or the host lacks
 * SIMD, and then the instructions take their JavaScript paths (the tests compare both with the golden ops).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gemmModule, instantiateGemm } from '../../verify/golden/ops/gemm-wasm.js';

export interface SimKernels {
  requant(
    src: number,
    srcRow: number,
    srcW: number,
    dst: number,
    dstRow: number,
    dstW: number,
    rows: number,
    cols: number,
    tab: number,
    tabStep: number,
    bits: number,
    up: number,
  ): void;
  resadd(
    x: number,
    xRow: number,
    xW: number,
    tx: number,
    txStep: number,
    y: number,
    yRow: number,
    yW: number,
    ty: number,
    tyStep: number,
    dst: number,
    dstRow: number,
    dstW: number,
    rows: number,
    cols: number,
    bits: number,
    up: number,
  ): void;
  /** −1, or i·n + j of the first accumulator sum outside int32 */
  gemm(
    a: number,
    aRow: number,
    wide: number,
    b: number,
    bRow: number,
    bStep: number,
    c: number,
    cRow: number,
    init: number,
    bias: number,
    m: number,
    n: number,
    k: number,
    mp: number,
    np: number,
    dp: number,
    ws: number,
  ): number;
}

const WASM_PATH = fileURLToPath(new URL('./wasm/sim-kernels.wasm', import.meta.url));
let compiled: WebAssembly.Module | null | undefined;

function kernelsModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (gemmModule() && existsSync(WASM_PATH)) {
    try {
      compiled = new WebAssembly.Module(readFileSync(WASM_PATH));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The kernels working in `memory`, or null when they are unavailable. */
export function instantiateSimKernels(memory: WebAssembly.Memory): SimKernels | null {
  const mod = kernelsModule();
  const gemm = mod ? instantiateGemm(memory) : null;
  if (!mod || !gemm) return null;
  return new WebAssembly.Instance(mod, { env: { memory }, gemm: { gemm: gemm.gemm, gemm_i16_i8: gemm.gemm_i16_i8 } }).exports as unknown as SimKernels;
}
