/**
 * A ViT recovered from an ONNX file as torch.onnx.export writes it (torch 1.13, opsets 13–17) for a
 * torchvision or timm VisionTransformer. The graph is first evaluated (onnx-graph.ts), which folds every
 * constant computation; then the data path is matched from the image to the logits:
 *
 *   Conv (patch embedding) → layout ops → Concat [class token, patches] → Add position embedding →
 *   per block: LayerNorm (LayerNormalization, or ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add) →
 *   qkv linear (MatMul + Add, or Gemm) → attention core (Slice/Split/Gather/Reshape/Transpose, a 1/√d
 *   Div or Mul, MatMul, Softmax, MatMul) → output linear → Add residual → LayerNorm → linear → GELU
 *   (Div √2, Erf, Add 1, Mul x, Mul 0.5) → linear → Add residual →
 *   final LayerNorm and Gather/Slice of token 0 (either order) → head linear → the graph output.
 *
 * Layout ops (Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Identity, Cast) on the data path are
 * stepped over. The head count comes from the attention scale (d = 1/scale²). Because stepping over layout
 * ops could hide a permutation, the recovered model is then checked against the graph itself: the float
 * pass of the recovered ViT must reproduce the graph's logits on a test input.
 */
import { type VitConfig, vitShape } from '../golden/zoo.js';
import { CheckpointError, type FloatBlock, type FloatLayerNorm, type FloatLinear, type FloatVit, checkFloatVit } from './float-model.js';
import { floatForward } from './float-forward.js';
import { type EvaluatedGraph, type Value, evaluateGraph } from './onnx-graph.js';
import { type OnnxModelProto, type OnnxNodeProto, decodeOnnxModel, int64 } from './onnx-proto.js';
import { preprocessFromJson } from './state-dict.js';

const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Cast']);
const ATTENTION_CORE_OPS = new Set([...LAYOUT_OPS, 'Slice', 'Split', 'Gather', 'Div', 'Mul', 'MatMul', 'Softmax']);
export const ONNX_OPSETS = { min: 13, max: 17 };

interface Linear {
  out: string;
  linear: FloatLinear;
}
interface LayerNormMatch {
  out: string;
  ln: FloatLayerNorm;
  form: 'LayerNormalization' | 'decomposed';
}

class Matcher {
  constructor(
    private readonly g: EvaluatedGraph,
    private readonly source: string,
  ) {}

  node(i: number): OnnxNodeProto {
    return this.g.nodes[i]!.node;
  }

  fail(at: number | string, msg: string): never {
    if (typeof at === 'number') {
      const n = this.node(at);
      throw new CheckpointError(`${this.source}: ONNX node "${n.name}" (${n.op_type}) ${msg}`);
    }
    throw new CheckpointError(`${this.source}: ONNX value "${at}" ${msg}`);
  }

  isConst(name: string): boolean {
    return this.g.constants.has(name);
  }

  val(name: string): Value {
    return this.g.values.get(name)!;
  }

  consumers(v: string): number[] {
    return this.g.consumers.get(v) ?? [];
  }

  /** The one dynamic consumer of v. */
  sole(v: string, what: string): number {
    const cs = this.consumers(v);
    if (cs.length !== 1) {
      const p = this.g.producer.get(v);
      const msg = `feeds ${cs.length === 0 ? 'no node' : `${cs.length} nodes (${cs.map((c) => `"${this.node(c).name}"`).join(', ')})`}; expected ${what}`;
      return p === undefined ? this.fail(v, msg) : this.fail(p, `: its output ${msg}`);
    }
    return cs[0]!;
  }

  /** Step over layout ops from v; the value reached and its one consumer. */
  follow(v: string, what: string): { value: string; node: number } {
    for (;;) {
      const c = this.sole(v, what);
      const n = this.node(c);
      if (!LAYOUT_OPS.has(n.op_type)) return { value: v, node: c };
      v = n.output[0]!;
    }
  }

  /** The other (dynamic or constant) input of a two-input node, given one of them. */
  other(nodeIdx: number, v: string): string {
    const n = this.node(nodeIdx);
    if (n.input.length !== 2) this.fail(nodeIdx, `has ${n.input.length} inputs, expected 2`);
    if (n.input[0] === v) return n.input[1]!;
    if (n.input[1] === v) return n.input[0]!;
    return this.fail(nodeIdx, 'does not read the expected value');
  }

  /** A scalar constant operand (a single value of any shape). */
  scalar(nodeIdx: number, name: string, what: string): number {
    if (!this.isConst(name)) this.fail(nodeIdx, `has a data operand where ${what} (a constant) belongs`);
    const v = this.val(name);
    if (v.data.length !== 1) this.fail(nodeIdx, `has a ${v.data.length}-element operand where ${what} (a scalar) belongs`);
    return v.data[0]!;
  }

  vector(nodeIdx: number, name: string, n: number, what: string): Float32Array {
    if (!this.isConst(name)) this.fail(nodeIdx, `has a data operand where ${what} belongs`);
    const v = this.val(name);
    if (v.data.length !== n) this.fail(nodeIdx, `has ${what} of shape [${v.dims.join(', ')}], expected ${n} values`);
    return Float32Array.from(v.data);
  }

  expectOp(nodeIdx: number, ops: readonly string[], what: string): OnnxNodeProto {
    const n = this.node(nodeIdx);
    if (!ops.includes(n.op_type)) this.fail(nodeIdx, `is where ${what} (${ops.join(' or ')}) belongs`);
    return n;
  }

  attrInt(n: OnnxNodeProto, name: string, dflt: number): number {
    const a = n.attribute.find((x) => x.name === name);
    return a ? int64(a.i) : dflt;
  }

  attrInts(n: OnnxNodeProto, name: string): number[] | undefined {
    return n.attribute.find((x) => x.name === name)?.ints.map(int64);
  }

  attrFloat(n: OnnxNodeProto, name: string, dflt: number): number {
    const a = n.attribute.find((x) => x.name === name);
    return a ? a.f : dflt;
  }

  /** A linear layer at node i (MatMul with a constant [in, out] weight, then an optional bias Add; or Gemm). */
  linearAt(i: number, input: string, what: string): Linear {
    const n = this.expectOp(i, ['MatMul', 'Gemm'], what);
    if (n.input[0] !== input || !this.isConst(n.input[1]!)) this.fail(i, `is where ${what} (data × constant weight) belongs`);
    const w = this.val(n.input[1]!);
    if (w.dims.length !== 2) this.fail(i, `has a weight of shape [${w.dims.join(', ')}] for ${what}`);
    let transposed = false; // true: stored [out, in]
    if (n.op_type === 'Gemm') {
      if (this.attrInt(n, 'transA', 0) !== 0 || this.attrFloat(n, 'alpha', 1) !== 1 || this.attrFloat(n, 'beta', 1) !== 1)
        this.fail(i, 'is a Gemm with transA, alpha or beta, which a linear layer does not use');
      transposed = this.attrInt(n, 'transB', 0) === 1;
    }
    const [inF, outF] = transposed ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
    const weight = new Float32Array(outF * inF);
    for (let o = 0; o < outF; o++) for (let k = 0; k < inF; k++) weight[o * inF + k] = transposed ? w.data[o * inF + k]! : w.data[k * outF + o]!;
    let out = n.output[0]!;
    let bias: Float32Array = new Float32Array(outF);
    if (n.op_type === 'Gemm' && n.input[2]) bias = this.vector(i, n.input[2], outF, `the bias of ${what}`);
    else if (n.op_type === 'MatMul') {
      const cs = this.consumers(out);
      if (cs.length === 1 && this.node(cs[0]!).op_type === 'Add' && this.isConst(this.other(cs[0]!, out))) {
        bias = this.vector(cs[0]!, this.other(cs[0]!, out), outF, `the bias of ${what}`);
        out = this.node(cs[0]!).output[0]!;
      }
    }
    return { out, linear: { outFeatures: outF, inFeatures: inF, weight, bias } };
  }

  linearFrom(v: string, what: string): Linear {
    const f = this.follow(v, what);
    return this.linearAt(f.node, f.value, what);
  }

  /** LayerNorm of v over the last axis, in either form; v may have other consumers (the residual). */
  layerNormFrom(v: string, width: number, what: string): LayerNormMatch {
    const cs = this.consumers(v);
    const ln = cs.find((c) => this.node(c).op_type === 'LayerNormalization');
    if (ln !== undefined) {
      const n = this.node(ln);
      if (this.attrInt(n, 'axis', -1) !== -1 && this.attrInt(n, 'axis', -1) !== this.val(v).dims.length - 1)
        this.fail(ln, 'normalises over more than the last axis');
      const gamma = this.vector(ln, n.input[1]!, width, `the weight of ${what}`);
      const beta = n.input[2] ? this.vector(ln, n.input[2], width, `the bias of ${what}`) : new Float32Array(width);
      return { out: n.output[0]!, ln: { gamma, beta, eps: this.attrFloat(n, 'epsilon', 1e-5) }, form: 'LayerNormalization' };
    }
    const rm = cs.find((c) => this.node(c).op_type === 'ReduceMean');
    const sub = cs.find((c) => this.node(c).op_type === 'Sub');
    if (rm === undefined || sub === undefined) {
      return this.fail(cs[0] ?? this.g.producer.get(v) ?? v, `is where ${what} (LayerNormalization, or ReduceMean and Sub) belongs`);
    }
    const lastAxis = (i: number): void => {
      const axes = this.attrInts(this.node(i), 'axes');
      const rank = this.val(this.node(i).input[0]!).dims.length;
      if (!axes || axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) this.fail(i, 'reduces over another axis than the last');
    };
    lastAxis(rm);
    const mean = this.node(rm).output[0]!;
    const subN = this.node(sub);
    if (subN.input[0] !== v || subN.input[1] !== mean) this.fail(sub, `is not x − mean(x) of ${what}`);
    const d = subN.output[0]!;
    const dcs = this.consumers(d);
    const pow = dcs.find((c) => this.node(c).op_type === 'Pow');
    const div = dcs.find((c) => this.node(c).op_type === 'Div');
    if (pow === undefined || div === undefined || dcs.length !== 2) this.fail(sub, `: its output feeds ${dcs.length} nodes; expected Pow and Div of ${what}`);
    if (this.scalar(pow!, this.node(pow!).input[1]!, 'the exponent 2') !== 2) this.fail(pow!, 'is not a square');
    const rm2 = this.sole(this.node(pow!).output[0]!, `the variance of ${what}`);
    this.expectOp(rm2, ['ReduceMean'], `the variance of ${what}`);
    lastAxis(rm2);
    const addEps = this.sole(this.node(rm2).output[0]!, `+ eps of ${what}`);
    this.expectOp(addEps, ['Add'], `+ eps of ${what}`);
    const eps = this.scalar(addEps, this.other(addEps, this.node(rm2).output[0]!), 'eps');
    const sqrt = this.sole(this.node(addEps).output[0]!, `the square root of ${what}`);
    this.expectOp(sqrt, ['Sqrt'], `the square root of ${what}`);
    const divN = this.node(div!);
    if (divN.input[0] !== d || divN.input[1] !== this.node(sqrt).output[0]) this.fail(div!, `is not (x − mean) / √(var + eps) of ${what}`);
    const mul = this.sole(divN.output[0]!, `the weight of ${what}`);
    this.expectOp(mul, ['Mul'], `the weight of ${what}`);
    const gamma = this.vector(mul, this.other(mul, divN.output[0]!), width, `the weight of ${what}`);
    const add = this.sole(this.node(mul).output[0]!, `the bias of ${what}`);
    this.expectOp(add, ['Add'], `the bias of ${what}`);
    const beta = this.vector(add, this.other(add, this.node(mul).output[0]!), width, `the bias of ${what}`);
    return { out: this.node(add).output[0]!, ln: { gamma, beta, eps }, form: 'decomposed' };
  }

  /** Exact GELU: x · 0.5 · (1 + erf(x / √2)), as torch exports nn.GELU(). */
  geluFrom(v: string, what: string): string {
    const cs = this.consumers(v);
    const scale = cs.find((c) => ['Div', 'Mul'].includes(this.node(c).op_type) && this.isConst(this.other(c, v)));
    const mulX = cs.find((c) => c !== scale && this.node(c).op_type === 'Mul');
    if (scale === undefined || mulX === undefined || cs.length !== 2) {
      const tanh = cs.some((c) => this.node(c).op_type === 'Pow' || this.node(c).op_type === 'Tanh');
      return this.fail(
        cs[0] ?? v,
        tanh
          ? `: ${what} is the tanh approximation of GELU, which is not supported (only the exact erf GELU)`
          : `is where ${what} (x / √2 → Erf → + 1 → · x → · 0.5) belongs`,
      );
    }
    const c = this.scalar(scale, this.other(scale, v), '√2');
    const inv = this.node(scale).op_type === 'Div' ? c : 1 / c;
    if (Math.abs(inv - Math.SQRT2) > 1e-6) this.fail(scale, `divides by ${inv}, not √2, in ${what}`);
    const erfN = this.sole(this.node(scale).output[0]!, `the Erf of ${what}`);
    this.expectOp(erfN, ['Erf'], `the Erf of ${what}`);
    const add1 = this.sole(this.node(erfN).output[0]!, `1 + erf of ${what}`);
    this.expectOp(add1, ['Add'], `1 + erf of ${what}`);
    if (this.scalar(add1, this.other(add1, this.node(erfN).output[0]!), '1') !== 1) this.fail(add1, `does not add 1 in ${what}`);
    if (this.other(mulX, v) !== this.node(add1).output[0]) this.fail(mulX, `is not x · (1 + erf) in ${what}`);
    const half = this.sole(this.node(mulX).output[0]!, `· 0.5 of ${what}`);
    this.expectOp(half, ['Mul'], `· 0.5 of ${what}`);
    if (this.scalar(half, this.other(half, this.node(mulX).output[0]!), '0.5') !== 0.5) this.fail(half, `does not halve in ${what}`);
    return this.node(half).output[0]!;
  }

  /** The attention core from the qkv output to the output projection; returns the head dim and the projection. */
  attentionFrom(qkv: string, width: number, b: number): { headDim: number; proj: Linear } {
    const what = `block ${b} attention`;
    const seen = new Set<number>();
    const queue = [qkv];
    let projNode: number | undefined;
    let projInput = '';
    let matmuls = 0;
    let softmaxes = 0;
    let headDim: number | undefined;
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const c of this.consumers(v)) {
        if (seen.has(c)) continue;
        const n = this.node(c);
        const weighted = (n.op_type === 'MatMul' || n.op_type === 'Gemm') && this.isConst(n.input[1]!);
        if (weighted) {
          if (projNode !== undefined && projNode !== c) this.fail(c, `is a second linear layer after the ${what}`);
          projNode = c;
          projInput = v;
          continue;
        }
        seen.add(c);
        if (!ATTENTION_CORE_OPS.has(n.op_type)) this.fail(c, `is not part of a supported ${what} (reshapes, slices, the 1/√d scale, MatMul, Softmax)`);
        if (n.op_type === 'MatMul') matmuls++;
        if (n.op_type === 'Softmax') softmaxes++;
        if (n.op_type === 'Div' || n.op_type === 'Mul') {
          const k = this.scalar(c, this.other(c, v), 'the attention scale');
          const d = n.op_type === 'Div' ? k * k : 1 / (k * k);
          const rounded = Math.round(d);
          if (!(Math.abs(d - rounded) <= 1e-3 * rounded) || rounded < 1 || width % rounded !== 0)
            this.fail(c, `scales the ${what} by ${k}, which is not 1/√d for a head dim d dividing ${width}`);
          if (headDim !== undefined && headDim !== rounded) this.fail(c, `scales the ${what} a second time`);
          headDim = rounded;
        }
        for (const o of n.output) if (o) queue.push(o);
      }
    }
    if (projNode === undefined) return this.fail(qkv, `reaches no output projection in the ${what}`);
    if (matmuls !== 2 || softmaxes !== 1) this.fail(projNode, `ends a ${what} with ${matmuls} MatMul and ${softmaxes} Softmax nodes (expected 2 and 1)`);
    if (headDim === undefined) this.fail(projNode, `ends a ${what} without the 1/√d scale`);
    return { headDim: headDim!, proj: this.linearAt(projNode, projInput, `the ${what} output projection`) };
  }

  /** The residual Add of `branch` (after layout ops) and `skip`. */
  residual(branch: string, skip: string, what: string): string {
    const f = this.follow(branch, what);
    const n = this.expectOp(f.node, ['Add'], what);
    if (this.other(f.node, f.value) !== skip) this.fail(f.node, `does not add the block's input in ${what}`);
    return n.output[0]!;
  }
}

export interface OnnxOptions {
  heads?: number;
  name: string;
}

export interface OnnxImport {
  model: FloatVit;
  opset: number;
  producer: string;
  layerNorm: 'LayerNormalization' | 'decomposed';
  /** max |logit difference| between the graph and the recovered model on the test input */
  checkError: number;
}

/** A deterministic, image-like test input in [−2, 2]. */
function testInput(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 2 * Math.sin(i * 0.7071 + Math.cos(i * 0.013) * 3));
}

function stringMetadata(m: OnnxModelProto, key: string, source: string): Record<string, unknown> | undefined {
  const e = m.metadata_props.find((p) => p.key === key);
  if (!e) return undefined;
  try {
    const v = JSON.parse(e.value) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CheckpointError(`${source}: ONNX metadata "${key}" is not a JSON object`);
}

/** Read an ONNX file (bytes) into a FloatVit. */
export function readOnnx(bytes: Uint8Array, source: string, opts: OnnxOptions): OnnxImport {
  let m: OnnxModelProto;
  try {
    m = decodeOnnxModel(bytes);
  } catch (e) {
    throw new CheckpointError(`${source}: not a readable ONNX model (truncated or corrupt: ${(e as Error).message})`);
  }
  const graph = m.graph;
  if (!graph || graph.node.length === 0) throw new CheckpointError(`${source}: not an ONNX model with a graph`);
  const opsetEntry = m.opset_import.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = int64(opsetEntry?.version);
  if (opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max)
    throw new CheckpointError(`${source}: ONNX opset ${opset}; the importer reads opsets ${ONNX_OPSETS.min}–${ONNX_OPSETS.max}`);
  const inits = new Set(graph.initializer.map((t) => t.name));
  const input = graph.input.find((i) => !inits.has(i.name));
  const dims = input?.type?.tensor_type?.shape?.dim.map((d) => (d.dim_param ? -1 : int64(d.dim_value))) ?? [];
  if (dims.length !== 4 || dims.slice(1).some((d) => d < 1) || dims[2] !== dims[3]) {
    throw new CheckpointError(
      `${source}: the ONNX graph's input "${input?.name ?? '?'}" has shape [${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}]; expected [batch, channels, size, size] with a fixed square size`,
    );
  }
  const [, inChannels, imageSize] = dims as [number, number, number];
  const inputDims = [1, inChannels, imageSize, imageSize];
  const x = testInput(inChannels * imageSize * imageSize);
  const g = evaluateGraph(graph, { dims: inputDims, data: x, kind: 'float' }, opset, source);
  const mt = new Matcher(g, source);

  // Patch embedding, class token, position embedding.
  const convAt = mt.follow(g.input, 'the patch embedding (Conv)');
  const conv = mt.expectOp(convAt.node, ['Conv'], 'the patch embedding');
  if (!mt.isConst(conv.input[1]!)) mt.fail(convAt.node, 'has a data weight');
  const w = mt.val(conv.input[1]!);
  const [width, wIn, patch] = w.dims as [number, number, number, number];
  if (w.dims.length !== 4 || w.dims[2] !== w.dims[3] || wIn !== inChannels)
    mt.fail(convAt.node, `has weight shape [${w.dims.join(', ')}], not [width, ${inChannels}, patch, patch]`);
  const strides = mt.attrInts(conv, 'strides') ?? [1, 1];
  if (strides[0] !== patch || strides[1] !== patch)
    mt.fail(convAt.node, `has stride [${strides.join(', ')}] for a ${patch}×${patch} kernel (a patch embedding has stride = kernel)`);
  if (imageSize % patch !== 0) mt.fail(convAt.node, `has patch ${patch}, which does not divide the image size ${imageSize}`);
  const patchLinear: FloatLinear = {
    outFeatures: width,
    inFeatures: inChannels * patch * patch,
    weight: Float32Array.from(w.data),
    bias: conv.input[2] ? mt.vector(convAt.node, conv.input[2], width, 'the patch embedding bias') : new Float32Array(width),
  };
  const concatAt = mt.follow(conv.output[0]!, 'the class token Concat');
  const concat = mt.expectOp(concatAt.node, ['Concat'], 'the class token Concat');
  if (concat.input.length !== 2 || concat.input[1] !== concatAt.value || !mt.isConst(concat.input[0]!))
    mt.fail(concatAt.node, 'is not Concat(class token, patch tokens)');
  const side = imageSize / patch;
  const tokens = side * side + 1;
  const cls = mt.val(concat.input[0]!);
  if (cls.data.length !== width) mt.fail(concatAt.node, `has a class token of shape [${cls.dims.join(', ')}], expected [1, 1, ${width}]`);
  const posAt = mt.follow(concat.output[0]!, 'the position embedding Add');
  mt.expectOp(posAt.node, ['Add'], 'the position embedding Add');
  const pos = mt.vector(posAt.node, mt.other(posAt.node, posAt.value), tokens * width, 'the position embedding');
  let x0 = mt.node(posAt.node).output[0]!;

  // Blocks, until the stream reaches the final norm and the class-token selection.
  const blocks: FloatBlock[] = [];
  let headDim: number | undefined;
  const forms = new Set<string>();
  const isSelect = (i: number): boolean => ['Gather', 'Slice'].includes(mt.node(i).op_type);
  const selectsToken0 = (i: number, v: string): string => {
    const n = mt.node(i);
    if (n.op_type === 'Gather') {
      const axis = mt.attrInt(n, 'axis', 0);
      if (!(axis === 1 || axis === -2) || mt.scalar(i, n.input[1]!, 'the token index') !== 0) mt.fail(i, 'does not select token 0 (the class token)');
    } else {
      const st = mt.val(n.input[1]!).data;
      const en = mt.val(n.input[2]!).data;
      const ax = n.input[3] ? mt.val(n.input[3]).data : Float64Array.of(0);
      if (st.length !== 1 || st[0] !== 0 || en[0] !== 1 || !(ax[0] === 1 || ax[0] === -2)) mt.fail(i, 'does not select token 0 (the class token)');
    }
    if (n.input[0] !== v) mt.fail(i, 'selects from the wrong value');
    return n.output[0]!;
  };
  let final: { norm: FloatLayerNorm; cls: string } | undefined;
  while (!final) {
    const b = blocks.length;
    const cs = mt.consumers(x0);
    const direct = cs.find(isSelect);
    if (direct !== undefined) {
      // select the class token, then norm it
      const sel = selectsToken0(direct, x0);
      const ln = mt.layerNormFrom(sel, width, 'the final norm');
      forms.add(ln.form);
      final = { norm: ln.ln, cls: ln.out };
      break;
    }
    const ln1 = mt.layerNormFrom(x0, width, `block ${b} norm1`);
    forms.add(ln1.form);
    const after = mt.follow(ln1.out, `block ${b} qkv or the class-token selection`);
    if (isSelect(after.node)) {
      final = { norm: ln1.ln, cls: selectsToken0(after.node, after.value) };
      break;
    }
    if (!['MatMul', 'Gemm'].includes(mt.node(after.node).op_type))
      mt.fail(after.node, `is where block ${b}'s qkv projection or, after the last block, the class-token selection (Gather/Slice of token 0) belongs`);
    const qkv = mt.linearAt(after.node, after.value, `block ${b} qkv`);
    if (qkv.linear.outFeatures !== 3 * width)
      mt.fail(
        after.node,
        `is block ${b}'s qkv projection with ${qkv.linear.outFeatures} outputs, expected ${3 * width} (separate q, k, v projections are not supported)`,
      );
    const att = mt.attentionFrom(qkv.out, width, b);
    if (headDim !== undefined && att.headDim !== headDim) mt.fail(qkv.out, `has head dim ${att.headDim} in block ${b}, ${headDim} before`);
    headDim = att.headDim;
    const res1 = mt.residual(att.proj.out, x0, `block ${b} first residual`);
    const ln2 = mt.layerNormFrom(res1, width, `block ${b} norm2`);
    forms.add(ln2.form);
    const fc1 = mt.linearFrom(ln2.out, `block ${b} fc1`);
    const gelu = mt.geluFrom(fc1.out, `block ${b} GELU`);
    const fc2 = mt.linearFrom(gelu, `block ${b} fc2`);
    const res2 = mt.residual(fc2.out, res1, `block ${b} second residual`);
    blocks.push({ norm1: ln1.ln, qkv: qkv.linear, proj: att.proj.linear, norm2: ln2.ln, fc1: fc1.linear, fc2: fc2.linear });
    x0 = res2;
  }
  if (blocks.length === 0) throw new CheckpointError(`${source}: the ONNX graph has no transformer blocks`);
  const head = mt.linearFrom(final.cls, 'the classifier head');
  let out = head.out;
  while (out !== g.output) {
    const c = mt.sole(out, 'the graph output');
    if (!LAYOUT_OPS.has(mt.node(c).op_type)) mt.fail(c, 'follows the classifier head (the head must give the graph output)');
    out = mt.node(c).output[0]!;
  }

  const meta = stringMetadata(m, 'config', source);
  const metaHeads = meta?.num_heads ?? meta?.heads;
  const graphHeads = width / headDim!;
  if (opts.heads !== undefined && opts.heads !== graphHeads)
    throw new CheckpointError(`${source}: --heads ${opts.heads} disagrees with the graph's attention (head dim ${headDim}, so ${graphHeads} heads)`);
  if (metaHeads !== undefined && metaHeads !== graphHeads)
    throw new CheckpointError(
      `${source}: ONNX metadata config.num_heads = ${JSON.stringify(metaHeads)} disagrees with the graph's attention (${graphHeads} heads)`,
    );
  const config: VitConfig = {
    family: 'vit',
    name: opts.name,
    imageSize,
    patchSize: patch,
    inChannels,
    embedDim: width,
    depth: blocks.length,
    heads: graphHeads,
    mlpDim: blocks[0]!.fc1.outFeatures,
    numClasses: head.linear.outFeatures,
  };
  vitShape(config);
  const model: FloatVit = { config, patch: patchLinear, cls: Float32Array.from(cls.data), pos, blocks, norm: final.norm, head: head.linear };
  const pre = stringMetadata(m, 'preprocess', source);
  if (pre) model.preprocess = preprocessFromJson(pre, inChannels, `${source}: ONNX metadata preprocess`);
  checkFloatVit(model, source);

  // The recovered model must compute what the graph computes.
  const want = g.values.get(g.output)!.data;
  const got = floatForward(model, x);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(want[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  if (want.length !== got.length || !(err <= 1e-6 * scale)) {
    throw new CheckpointError(
      `${source}: the ViT matched in the ONNX graph does not reproduce the graph's logits (max difference ${err.toExponential(2)}): an unsupported variant of the structure`,
    );
  }
  return {
    model,
    opset,
    producer: `${m.producer_name} ${m.producer_version}`.trim(),
    layerNorm: forms.size === 1 ? ([...forms][0] as OnnxImport['layerNorm']) : 'decomposed',
    checkError: err,
  };
}
