/**
 * The library API of ivit-hw: the stable entry points another program imports (`import { ... } from 'ivit-hw'`).
 * Everything here is a curated re-export of the layers below, plus a few one-call helpers that chain them the
 * way the `ivit` command does. Anything not exported here is internal and may change. docs/api.md has an example.
 */
import { assemble as assembleText, type AssembledProgram } from '../isa/asm/assembler.js';
import type { ProgramImage } from '../isa/container.js';
import { type AcceleratorConfig, DEFAULT_CONFIG, numericsOf } from '../sim/config.js';
import { runProgram, type RunResult } from '../sim/run.js';
import { graphFromModel } from '../programs/graph/build.js';
import { type CompiledProgram, compileGraph } from '../programs/compiler/compile.js';
import { type EndToEnd, type EndToEndOptions, runEndToEnd } from '../programs/flows/end-to-end.js';
import { type GoldenOptions, type GoldenRun, runGolden } from '../verify/golden/run-golden.js';
import type { NumericsConfig } from '../verify/golden/numerics-config.js';
import type { QuantModel } from '../verify/golden/qmodel.js';
import type { GeneratedUnit } from '../rtl-gen/design.js';
import { type UnitOptions, UNITS, findUnit } from '../rtl-gen/units/index.js';
import { type EmittedFile, unitSources, writeUnit } from '../rtl-gen/emit.js';
import { type UnitDescriptor, describeUnit } from '../rtl-gen/descriptor.js';

// ---- the ISA: assembly text ⇄ program images ⇄ container bytes
export { AssemblyError, type AssembledProgram, type Diagnostic, formatDiagnostic } from '../isa/asm/assembler.js';
export { type ProgramImage, type DramSegment, type ProgramSymbol, ContainerError, instructionCount, readContainer, writeContainer } from '../isa/container.js';
export { decodeAll, disassemble, formatInstruction } from '../isa/disasm.js';
export type { Instruction } from '../isa/encoding.js';
export type { Mnemonic } from '../isa/table.js';

/**
 * Assemble ivit assembly text into a program image (instruction words and the DRAM image).
 * @param source the assembly text
 * @param file a name for diagnostics (file:line:column in AssemblyError messages)
 * @throws AssemblyError with every diagnostic when the text does not assemble
 */
export function assemble(source: string, file = '<input>'): AssembledProgram {
  return assembleText(source, file);
}

// ---- the accelerator configuration and the simulator
export {
  type AcceleratorConfig,
  type Dataflow,
  DEFAULT_CONFIG,
  ConfigError,
  applyOverrides,
  configFromJson,
  loadConfigFile,
  numericsOf,
} from '../sim/config.js';
export type { RunResult } from '../sim/run.js';
export type { SimOptions, SimRun, ExecutedInstruction } from '../sim/engine.js';
export type { SimReport } from '../sim/report/stats.js';
export { SimFault } from '../sim/fault.js';

export interface SimulateOptions {
  /** the machine; DEFAULT_CONFIG when absent */
  config?: AcceleratorConfig;
  /** timing only: no values (addresses, deadlocks and limits are still checked) */
  timingOnly?: boolean;
  /** called every 256 completed instructions */
  onProgress?: (completed: number, total: number) => void;
}

/**
 * Run a program image on the cycle-level simulator: cycles, utilisation, stalls, and (unless timing only) the
 * machine's final state with DRAM (`result.run.state.dram`).
 * @throws SimFault when the program faults (bad address, deadlock, cycle limit)
 */
export function simulate(image: ProgramImage, opts: SimulateOptions = {}): RunResult {
  return runProgram(image, {
    config: opts.config ?? DEFAULT_CONFIG,
    timingOnly: opts.timingOnly ?? false,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

// ---- models: the zoo, synthetic models, quantised model files, images
export { type VitConfig, ZOO, ZOO_NAMES, ModelConfigError, zooConfig } from '../verify/golden/zoo.js';
export type { QuantModel, QLinear, QLayerNorm, QBlock, BlockScales, ModelScales, Preprocess, Provenance } from '../verify/golden/qmodel.js';
export { decodeModel, encodeModel, readImage, readModel, writeImage, writeModel } from '../verify/model/qmodel-file.js';
export { type SyntheticOptions, generateSyntheticModel, syntheticImage } from '../verify/model/synthetic.js';
export { SafetensorsError } from '../verify/model/safetensors.js';

// ---- the golden integer model
export {
  type NumericsConfig,
  type NumericsPresetName,
  type GeluSigmaRule,
  type SqrtRule,
  NUMERICS_PRESETS,
  PYTORCH_NUMERICS,
  TVM_NUMERICS,
} from '../verify/golden/numerics-config.js';
export type { GoldenOptions, GoldenRun } from '../verify/golden/run-golden.js';
export { argmax } from '../verify/golden/run-golden.js';
export { tensorHash } from '../verify/golden/tensor-hash.js';

/**
 * The golden model's forward pass of one image: int32 logits, argmax, checksum and (with `layerHashes: true`)
 * the hash of every named intermediate. `numerics` defaults to the PyTorch preset of the default machine.
 */
export function goldenForward(model: QuantModel, image: Int8Array, numerics: NumericsConfig = numericsOf(DEFAULT_CONFIG), opts: GoldenOptions = {}): GoldenRun {
  return runGolden(model, image, numerics, opts);
}

// ---- the compiler and the end-to-end flow
export type { CompiledProgram, CompileOptions, TensorLocation } from '../programs/compiler/compile.js';
export { CompileError } from '../programs/compiler/errors.js';
export type { EndToEnd, EndToEndOptions } from '../programs/flows/end-to-end.js';
export type { LayerComparison } from '../programs/flows/readback.js';
export { readTensor } from '../programs/flows/readback.js';

/**
 * Compile a quantised model (and optionally its input image) to an ISA program for a machine. The program image
 * carries the weights, constants and input in its DRAM image; `tensors` says where each layer's output lands.
 * @throws CompileError when the model does not fit the machine
 */
export function compileModel(model: QuantModel, config: AcceleratorConfig = DEFAULT_CONFIG, opts: { image?: Int8Array } = {}): CompiledProgram {
  return compileGraph(graphFromModel(model, numericsOf(config)), config, opts.image ? { image: opts.image } : {});
}

/**
 * Compile, simulate with values and compare every layer with the golden model (what `ivit run` does):
 * `check.bitExact` is the verdict.
 */
export function runModel(model: QuantModel, image: Int8Array, config: AcceleratorConfig = DEFAULT_CONFIG, opts: EndToEndOptions = {}): EndToEnd {
  return runEndToEnd(model, image, config, opts);
}

// ---- Verilog generation for the shift/divide unit's datapaths
export type { GeneratedUnit, StreamPort, UnitName } from '../rtl-gen/design.js';
export type { UnitOptions, UnitEntry } from '../rtl-gen/units/index.js';
export { UNITS } from '../rtl-gen/units/index.js';
export type { EmittedFile } from '../rtl-gen/emit.js';
export type { UnitDescriptor } from '../rtl-gen/descriptor.js';
export { buildTestbench, testbenchName } from '../rtl-gen/testbench.js';

/** A generated unit with what to do with it: its Verilog sources, its descriptor, and a writer for all of it. */
export interface RtlUnit {
  unit: GeneratedUnit;
  /** Verilog file name → text, dependencies first */
  sources: Map<string, string>;
  /** ports, latency, initiation interval and parameters, as `ivit rtl` writes to <top>.json */
  descriptor: UnitDescriptor;
  /** write the modules, the stream test bench and the descriptor into `dir` (created if missing) */
  write(dir: string): EmittedFile[];
}

/**
 * Generate one of the catalogue's units (`UNITS`: shiftmax, shiftgelu, layernorm, requant, shift-exp-lane,
 * gelu-divider) with the given options, as `ivit rtl <unit>` does.
 * @throws RangeError for an unknown unit or an option the unit rejects
 */
export function generateRtl(name: string, options: UnitOptions = {}): RtlUnit {
  const entry = findUnit(name);
  if (!entry) throw new RangeError(`unknown unit '${name}': one of ${UNITS.map((u) => u.name).join(', ')}`);
  const unit = entry.build(options);
  return {
    unit,
    sources: unitSources(unit),
    descriptor: describeUnit(unit, entry.maxRowLength),
    write: (dir) => writeUnit(unit, dir, entry.maxRowLength),
  };
}
