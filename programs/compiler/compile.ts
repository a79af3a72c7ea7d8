/**
 * Graph → program: plan the memories, lower each group of operators (row chains, attention, head), add the
 * semaphores, encode. The result carries the container image, where every tensor lives in DRAM (so a run can
 * read each layer back), and which graph node each instruction implements (for the per-layer reports).
 */
import { encodeInstruction } from '../../isa/encoding.js';
import { INSTRUCTION_BYTES } from '../../isa/table.js';
import type { ProgramImage, ProgramSymbol } from '../../isa/container.js';
import type { AcceleratorConfig } from '../../sim/config.js';
import { DTYPE_BYTES, type DType, type GraphNode, type VitGraph, matrixOf } from '../graph/graph.js';
import { requireAcceleratorNumerics } from '../graph/accelerator-numerics.js';
import { LowerCtx } from './context.js';
import { bytesOfInts } from './dram.js';
import { CompileError } from './errors.js';
import { lowerAttention } from './lower-attention.js';
import { lowerHead } from './lower-head.js';
import { type RowNode, isRowNode, lowerRowChain } from './lower-rows.js';
import { type MemoryPlan, planCandidates, residentPairCount } from './plan.js';
import { SlotsExhausted } from './pool.js';
import { synchronise } from './sync.js';
import { hoistConstantLoads } from './hoist.js';

export interface TensorLocation {
  name: string;
  addr: number;
  shape: readonly number[];
  dtype: DType;
}

export interface CompiledProgram {
  image: ProgramImage;
  /** the machine the program was compiled for (DRAM enlarged when the model needs more) */
  config: AcceleratorConfig;
  graph: VitGraph;
  plan: MemoryPlan;
  /** whether the row chains are software-pipelined over tiles (false: the plan had too few row slots) */
  pipelined: boolean;
  /** every activation tensor, in forward order, where the program leaves it in DRAM */
  tensors: TensorLocation[];
  /** graph node index of each instruction */
  instructionNodes: number[];
  relays: number;
  /** a note for the user, e.g. that DRAM was enlarged */
  notes: string[];
}

export interface CompileOptions {
  /** the int8 input image [channels × H × W]; zeros when absent */
  image?: Int8Array;
}

const MIB = 1 << 20;

const MAX_PLAN_ATTEMPTS = 40;

/**
 * Compile with the best plan whose schedule fits: first a software-pipelined schedule with row tiles that keep
 * the array streaming (≥ 2R rows under weight-stationary, where a fold needs 2R cycles to swap weights), then
 * the unpipelined one, then shorter tiles.
 */
export function compileGraph(graph: VitGraph, cfgIn: AcceleratorConfig, opts: CompileOptions = {}): CompiledProgram {
  requireAcceleratorNumerics(graph.numerics); // a graph assembled elsewhere must not reach the lowering either
  const plans = [...planCandidates(graph, cfgIn)];
  const streaming = Math.min(graph.tokens, cfgIn.array.dataflow === 'ws' ? 2 * cfgIn.array.rows : 1);
  const long = plans.filter((p) => p.rowTile >= streaming);
  const short = plans.filter((p) => p.rowTile < streaming);
  const order: Array<[MemoryPlan, boolean]> = [
    ...long.map((p): [MemoryPlan, boolean] => [p, true]),
    ...long.map((p): [MemoryPlan, boolean] => [p, false]),
    ...short.map((p): [MemoryPlan, boolean] => [p, true]),
    ...short.map((p): [MemoryPlan, boolean] => [p, false]),
  ];
  let last: SlotsExhausted | undefined;
  for (const [plan, pipelined] of order.slice(0, MAX_PLAN_ATTEMPTS)) {
    try {
      return compileWithPlan(graph, cfgIn, plan, pipelined, opts);
    } catch (e) {
      if (!(e instanceof SlotsExhausted)) throw e;
      last = e;
    }
  }
  throw new CompileError(`no tiling of ${graph.config.name} fits this machine's scratchpad and accumulator (${last?.message ?? 'no plan'})`);
}

function compileWithPlan(graph: VitGraph, cfgIn: AcceleratorConfig, plan: MemoryPlan, pipelined: boolean, opts: CompileOptions): CompiledProgram {
  const ctx = new LowerCtx(graph, cfgIn, plan, pipelined);
  const notes: string[] = [];
  const cfgModel = graph.config;
  const imageBytes = cfgModel.inChannels * cfgModel.imageSize * cfgModel.imageSize;
  if (opts.image && opts.image.length !== imageBytes) throw new CompileError(`image has ${opts.image.length} values, expected ${imageBytes}`);
  ctx.tensorAddr.set('image', ctx.constant(opts.image ? new Uint8Array(opts.image.buffer, opts.image.byteOffset, opts.image.length) : undefined, imageBytes));
  // the class token is a model constant: it starts out as row 0 of the patch tensor, the program writes the rest
  const patch = ctx.tensor('patch');
  const embedNode = graph.nodes[0];
  if (embedNode?.op !== 'patch_embed') throw new Error('the graph must start with the patch embedding');
  const { rows: tokens, cols: width } = matrixOf(patch);
  const patchInit = new Uint8Array(tokens * width * DTYPE_BYTES[patch.dtype]);
  if (embedNode.cls) patchInit.set(bytesOfInts(embedNode.cls, 2), 0);
  ctx.tensorAddr.set('patch', ctx.dram.place(patchInit));
  ctx.initResidentPairs(residentPairCount(graph.nodes));

  lowerGroups(ctx, graph.nodes);

  let config = cfgIn;
  if (ctx.dram.size > cfgIn.dram.bytes) {
    const bytes = Math.ceil(ctx.dram.size / MIB) * MIB;
    if (bytes > 2 ** 32) throw new CompileError(`${graph.config.name} needs ${bytes} bytes of DRAM, more than the 4 GiB the ISA addresses`);
    notes.push(`DRAM enlarged from ${cfgIn.dram.bytes / MIB} MiB to ${bytes / MIB} MiB to hold ${graph.config.name}`);
    config = { ...cfgIn, dram: { bytes } };
  }
  const synced = synchronise(hoistConstantLoads(ctx.emit.list, config), config);
  const words = new Uint8Array(synced.instructions.length * INSTRUCTION_BYTES);
  synced.instructions.forEach((ins, i) => words.set(encodeInstruction(ins), i * INSTRUCTION_BYTES));
  const symbols: ProgramSymbol[] = [];
  const seen = new Set<string>();
  for (const r of synced.regions) {
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    symbols.push({ name: r.name, kind: 'region', value: r.pc });
  }
  const tensors: TensorLocation[] = [...graph.tensors.values()].map((t) => ({ name: t.name, addr: ctx.addrOf(t.name), shape: t.shape, dtype: t.dtype }));
  return {
    image: { words, dram: ctx.dram.merged(), symbols },
    config,
    graph,
    plan,
    pipelined,
    tensors,
    instructionNodes: synced.nodes,
    relays: synced.relays,
    notes,
  };
}

/** Split the node list into row chains, attention groups and the head, and lower each. */
function lowerGroups(ctx: LowerCtx, nodes: readonly GraphNode[]): void {
  let i = 0;
  while (i < nodes.length) {
    const n = nodes[i]!;
    if (isRowNode(n)) {
      const chain: RowNode[] = [];
      const ids: number[] = [];
      while (i < nodes.length && isRowNode(nodes[i]!)) {
        chain.push(nodes[i] as RowNode);
        ids.push(i);
        i++;
      }
      lowerRowChain(ctx, chain, ids);
      continue;
    }
    const [a, b, c] = [nodes[i], nodes[i + 1], nodes[i + 2]];
    if (a?.op === 'attention_scores' && (b?.op === 'shiftmax' || b?.op === 'lis') && c?.op === 'attention_context') {
      lowerAttention(ctx, a, b, c, [i, i + 1, i + 2]);
      i += 3;
      continue;
    }
    if (a?.op === 'layernorm' && a.rows === 'cls' && b?.op === 'linear' && !b.requant && c?.op === 'requant') {
      lowerHead(ctx, a, b, c, [i, i + 1, i + 2]);
      i += 3;
      continue;
    }
    throw new CompileError(`no lowering for node ${n.out} (${n.op}) in this position`);
  }
}
