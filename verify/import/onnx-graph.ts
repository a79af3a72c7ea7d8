/**
 * An ONNX graph made concrete: initializers decoded, and every node evaluated (in float64, integers exact
 * below 2^53) on one input, for the op subset that torch.onnx.export writes for a ViT (opsets 13–17).
 * Each value records whether it is a constant (initializers, Constant nodes, shapes of the fixed-size
 * input, and anything computed only from those): the ViT matcher reads weights and shape arguments from
 * the constants and follows the data path through the rest. Evaluating the graph also checks it: the
 * importer compares the graph's own output with the float pass of the ViT it recovered.
 */
import { CheckpointError } from './float-model.js';
import { erf } from './float-forward.js';
import { type OnnxAttributeProto, type OnnxGraphProto, type OnnxNodeProto, type OnnxTensorProto, ONNX_DTYPE, int64 } from './onnx-proto.js';

export type ElemKind = 'float' | 'int' | 'bool';

export interface Value {
  dims: number[];
  data: Float64Array;
  kind: ElemKind;
}

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

const value = (dims: number[], data: Float64Array, kind: ElemKind): Value => ({ dims, data, kind });

/** A TensorProto's values (raw_data little-endian, or the typed repeated fields). */
export function tensorValue(t: OnnxTensorProto, where: string): Value {
  const dims = t.dims.map(int64);
  const n = size(dims);
  if (t.data_location === 1 || t.external_data.length > 0)
    throw new CheckpointError(`${where}: tensor "${t.name}" keeps its data in an external file, which is not supported`);
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const data = new Float64Array(n);
  const need = (bytes: number): void => {
    if (view && view.byteLength !== n * bytes)
      throw new CheckpointError(
        `${where}: tensor "${t.name}" has ${view.byteLength} bytes of data for shape [${dims.join(', ')}] (expected ${n * bytes}): truncated?`,
      );
  };
  const fromList = (list: ArrayLike<number>): void => {
    if (list.length !== n) throw new CheckpointError(`${where}: tensor "${t.name}" has ${list.length} values for shape [${dims.join(', ')}]`);
    for (let i = 0; i < n; i++) data[i] = list[i]!;
  };
  switch (t.data_type) {
    case ONNX_DTYPE.FLOAT:
      need(4);
      if (view) for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
      else fromList(t.float_data);
      return value(dims, data, 'float');
    case ONNX_DTYPE.DOUBLE:
      need(8);
      if (view) for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true);
      else fromList(t.double_data);
      return value(dims, data, 'float');
    case ONNX_DTYPE.INT64:
      need(8);
      if (view) for (let i = 0; i < n; i++) data[i] = Number(view.getBigInt64(8 * i, true));
      else fromList(t.int64_data.map(int64));
      return value(dims, data, 'int');
    case ONNX_DTYPE.INT32:
      need(4);
      if (view) for (let i = 0; i < n; i++) data[i] = view.getInt32(4 * i, true);
      else fromList(t.int32_data);
      return value(dims, data, 'int');
    case ONNX_DTYPE.BOOL:
    case ONNX_DTYPE.UINT8:
    case ONNX_DTYPE.INT8:
      need(1);
      if (view) for (let i = 0; i < n; i++) data[i] = t.data_type === ONNX_DTYPE.INT8 ? view.getInt8(i) : view.getUint8(i);
      else fromList(t.int32_data);
      return value(dims, data, t.data_type === ONNX_DTYPE.BOOL ? 'bool' : 'int');
    default:
      throw new CheckpointError(
        `${where}: tensor "${t.name}" has ONNX data type ${t.data_type}, which the importer does not read (float, double, int64, int32, bool)`,
      );
  }
}

/** Attribute access for one node; errors name the node. */
class Attrs {
  constructor(
    private readonly node: OnnxNodeProto,
    private readonly where: string,
  ) {}
  private find(name: string): OnnxAttributeProto | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }
  int(name: string, dflt?: number): number {
    const a = this.find(name);
    if (!a) {
      if (dflt === undefined) throw this.error(`has no attribute "${name}"`);
      return dflt;
    }
    return int64(a.i);
  }
  float(name: string, dflt: number): number {
    const a = this.find(name);
    return a ? a.f : dflt;
  }
  ints(name: string): number[] | undefined {
    const a = this.find(name);
    return a ? a.ints.map(int64) : undefined;
  }
  tensor(name: string): OnnxTensorProto | undefined {
    return this.find(name)?.t ?? undefined;
  }
  has(name: string): boolean {
    return this.find(name) !== undefined;
  }
  error(msg: string): CheckpointError {
    return new CheckpointError(`${this.where}: ONNX node "${this.node.name}" (${this.node.op_type}) ${msg}`);
  }
}

function broadcastDims(a: readonly number[], b: readonly number[], fail: () => never): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) fail();
    out.push(Math.max(x, y));
  }
  return out;
}

/** Offsets into `src` (dims padded on the left) for every element of `out`, with broadcasting. */
function broadcastIndex(src: readonly number[], out: readonly number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const pad = out.length - src.length;
  const srcStrides = strides(src);
  const outStrides = strides(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < out.length; d++) {
      const coord = Math.floor(rem / outStrides[d]!);
      rem -= coord * outStrides[d]!;
      const sd = d - pad;
      if (sd >= 0 && src[sd] !== 1) off += coord * srcStrides[sd]!;
    }
    idx[i] = off;
  }
  return idx;
}

function elementwise(inputs: readonly Value[], f: (...xs: number[]) => number, kind: ElemKind, fail: () => never): Value {
  let dims: number[] = [];
  for (const v of inputs) dims = broadcastDims(dims, v.dims, fail);
  const n = size(dims);
  const idx = inputs.map((v) => (size(v.dims) === n && v.dims.length === dims.length ? null : broadcastIndex(v.dims, dims)));
  const data = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.data[idx[k] ? idx[k]![i]! : i]!;
    data[i] = f(...args);
  }
  return value(dims, data, kind);
}

function normAxis(axis: number, rank: number, at: Attrs): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw at.error(`has axis ${axis} outside rank ${rank}`);
  return a;
}

function transpose(x: Value, perm: readonly number[]): Value {
  const dims = perm.map((p) => x.dims[p]!);
  const src = strides(x.dims);
  const outStrides = strides(dims);
  const n = size(dims);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < dims.length; d++) {
      const c = Math.floor(rem / outStrides[d]!);
      rem -= c * outStrides[d]!;
      off += c * src[perm[d]!]!;
    }
    data[i] = x.data[off]!;
  }
  return value(dims, data, x.kind);
}

/** Apply `f` to every 1-D lane along `axis` (softmax, reductions, layer norm). */
function lanes(x: Value, axis: number, f: (lane: Float64Array) => Float64Array, outLen?: number): Value {
  const outer = size(x.dims.slice(0, axis));
  const len = x.dims[axis]!;
  const inner = size(x.dims.slice(axis + 1));
  const m = outLen ?? len;
  const outDims = [...x.dims];
  outDims[axis] = m;
  const data = new Float64Array(outer * m * inner);
  const lane = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      for (let k = 0; k < len; k++) lane[k] = x.data[(o * len + k) * inner + j]!;
      const r = f(lane);
      for (let k = 0; k < m; k++) data[(o * m + k) * inner + j] = r[k]!;
    }
  }
  return value(outDims, data, x.kind);
}

function matmul(a: Value, b: Value, at: Attrs): Value {
  const a2 = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const b2 = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const M = a2[a2.length - 2]!;
  const K = a2[a2.length - 1]!;
  const N = b2[b2.length - 1]!;
  if (b2[b2.length - 2] !== K) throw at.error(`multiplies [${a.dims.join(', ')}] by [${b.dims.join(', ')}]`);
  const batch = broadcastDims(a2.slice(0, -2), b2.slice(0, -2), () => {
    throw at.error(`cannot broadcast [${a.dims.join(', ')}] with [${b.dims.join(', ')}]`);
  });
  const nb = size(batch);
  const ia = broadcastIndex(a2.slice(0, -2), batch);
  const ib = broadcastIndex(b2.slice(0, -2), batch);
  const data = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    const ao = ia[t]! * M * K;
    const bo = ib[t]! * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + i * K + k]! * b.data[bo + k * N + j]!;
        data[(t * M + i) * N + j] = s;
      }
    }
  }
  let dims = [...batch, M, N];
  if (a.dims.length === 1) dims = [...batch, N];
  if (b.dims.length === 1) dims = a.dims.length === 1 ? [...batch] : [...batch, M];
  return value(dims, data, 'float');
}

function conv2d(x: Value, w: Value, b: Value | undefined, at: Attrs): Value {
  if (x.dims.length !== 4 || w.dims.length !== 4) throw at.error('is not a 2-D convolution');
  if (at.int('group', 1) !== 1) throw at.error('is a grouped convolution');
  const [n, cin, h, wd] = x.dims as [number, number, number, number];
  const [cout, wcin, kh, kw] = w.dims as [number, number, number, number];
  if (wcin !== cin) throw at.error(`has ${wcin} weight channels for a ${cin}-channel input`);
  const strides2 = at.ints('strides') ?? [1, 1];
  const pads = at.ints('pads') ?? [0, 0, 0, 0];
  const dil = at.ints('dilations') ?? [1, 1];
  if (pads.some((p) => p !== 0) || dil.some((d) => d !== 1) || (at.has('auto_pad') && at.int('auto_pad', 0) !== 0))
    throw at.error('pads or dilates (a patch embedding does neither)');
  const [sh, sw] = strides2 as [number, number];
  const oh = Math.floor((h - kh) / sh) + 1;
  const ow = Math.floor((wd - kw) / sw) + 1;
  const data = new Float64Array(n * cout * oh * ow);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < cout; o++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let s = b ? b.data[o]! : 0;
          for (let c = 0; c < cin; c++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                s += x.data[((i * cin + c) * h + y * sh + ky) * wd + xx * sw + kx]! * w.data[((o * cin + c) * kh + ky) * kw + kx]!;
              }
            }
          }
          data[((i * cout + o) * oh + y) * ow + xx] = s;
        }
      }
    }
  }
  return value([n, cout, oh, ow], data, 'float');
}

function sliceValue(x: Value, starts: number[], ends: number[], axes: number[], steps: number[], at: Attrs): Value {
  const r = x.dims.length;
  const begin = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const count = [...x.dims];
  axes.forEach((ax0, i) => {
    const ax = normAxis(ax0, r, at);
    const dim = x.dims[ax]!;
    const st = steps[i] ?? 1;
    if (st === 0) throw at.error('has a zero slice step');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      count[ax] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      count[ax] = Math.max(0, Math.ceil((e - s) / st));
    }
    begin[ax] = s;
    step[ax] = st;
  });
  const src = strides(x.dims);
  const outStrides = strides(count);
  const n = size(count);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(rem / outStrides[d]!);
      rem -= c * outStrides[d]!;
      off += (begin[d]! + c * step[d]!) * src[d]!;
    }
    data[i] = x.data[off]!;
  }
  return value(count, data, x.kind);
}

/** One node's evaluation: its output values. */
function evaluate(node: OnnxNodeProto, ins: ReadonlyArray<Value | undefined>, opset: number, at: Attrs): Value[] {
  const need = (i: number): Value => {
    const v = ins[i];
    if (!v) throw at.error(`lacks input ${i}`);
    return v;
  };
  const ints = (v: Value): number[] => Array.from(v.data);
  const shapeFail = (): never => {
    throw at.error(`cannot broadcast ${ins.map((v) => `[${v?.dims.join(', ')}]`).join(' with ')}`);
  };
  const x = (): Value => need(0);
  switch (node.op_type) {
    case 'Identity':
      return [x()];
    case 'Constant': {
      const t = at.tensor('value');
      if (t) return [tensorValue(t, 'Constant')];
      if (at.has('value_float')) return [value([], Float64Array.of(at.float('value_float', 0)), 'float')];
      if (at.has('value_int')) return [value([], Float64Array.of(at.int('value_int')), 'int')];
      const vi = at.ints('value_ints');
      if (vi) return [value([vi.length], Float64Array.from(vi), 'int')];
      throw at.error('has no value attribute the importer reads');
    }
    case 'Cast': {
      const to = at.int('to');
      const v = x();
      if (to === ONNX_DTYPE.FLOAT || to === ONNX_DTYPE.DOUBLE || to === ONNX_DTYPE.FLOAT16) return [value(v.dims, v.data, 'float')];
      if (to === ONNX_DTYPE.BOOL)
        return [
          value(
            v.dims,
            v.data.map((e) => (e !== 0 ? 1 : 0)),
            'bool',
          ),
        ];
      return [
        value(
          v.dims,
          v.data.map((e) => Math.trunc(e)),
          'int',
        ),
      ];
    }
    case 'Add':
      return [elementwise([need(0), need(1)], (a, b) => a + b, need(0).kind, shapeFail)];
    case 'Sub':
      return [elementwise([need(0), need(1)], (a, b) => a - b, need(0).kind, shapeFail)];
    case 'Mul':
      return [elementwise([need(0), need(1)], (a, b) => a * b, need(0).kind, shapeFail)];
    case 'Div': {
      const kind = need(0).kind;
      return [elementwise([need(0), need(1)], kind === 'int' ? (a, b) => Math.trunc(a / b) : (a, b) => a / b, kind, shapeFail)];
    }
    case 'Pow':
      return [elementwise([need(0), need(1)], (a, b) => a ** b, need(0).kind, shapeFail)];
    case 'Sqrt':
      return [elementwise([x()], Math.sqrt, 'float', shapeFail)];
    case 'Erf':
      return [elementwise([x()], erf, 'float', shapeFail)];
    case 'Equal':
      return [elementwise([need(0), need(1)], (a, b) => (a === b ? 1 : 0), 'bool', shapeFail)];
    case 'Where':
      return [elementwise([need(0), need(1), need(2)], (c, a, b) => (c !== 0 ? a : b), need(1).kind, shapeFail)];
    case 'Softmax': {
      const v = x();
      const axis = normAxis(at.int('axis', -1), v.dims.length, at);
      if (axis !== v.dims.length - 1) throw at.error('is a softmax over a non-last axis');
      return [
        lanes(v, axis, (l) => {
          const m = Math.max(...l);
          const e = l.map((t) => Math.exp(t - m));
          const s = e.reduce((a, b) => a + b, 0);
          return e.map((t) => t / s);
        }),
      ];
    }
    case 'ReduceMean': {
      const v = x();
      const axesIn = opset >= 18 && ins[1] ? ints(need(1)) : at.ints('axes');
      const axes = (axesIn ?? v.dims.map((_, i) => i)).map((a) => normAxis(a, v.dims.length, at));
      if (axes.length !== 1) throw at.error('reduces over several axes');
      const r = lanes(v, axes[0]!, (l) => Float64Array.of(l.reduce((a, b) => a + b, 0) / l.length), 1);
      if (at.int('keepdims', 1) === 0) r.dims.splice(axes[0]!, 1);
      return [r];
    }
    case 'LayerNormalization': {
      const v = x();
      const axis = normAxis(at.int('axis', -1), v.dims.length, at);
      if (axis !== v.dims.length - 1) throw at.error('normalises over more than the last axis');
      const eps = at.float('epsilon', 1e-5);
      const g = need(1);
      const b = ins[2];
      return [
        lanes(v, axis, (l) => {
          const mean = l.reduce((a, c) => a + c, 0) / l.length;
          const varr = l.reduce((a, c) => a + (c - mean) ** 2, 0) / l.length;
          const inv = 1 / Math.sqrt(varr + eps);
          return l.map((t, i) => (t - mean) * inv * g.data[i]! + (b ? b.data[i]! : 0));
        }),
      ];
    }
    case 'MatMul':
      return [matmul(need(0), need(1), at)];
    case 'Gemm': {
      let a = need(0);
      let b = need(1);
      if (a.dims.length !== 2 || b.dims.length !== 2) throw at.error('is not a 2-D Gemm');
      if (at.int('transA', 0)) a = transpose(a, [1, 0]);
      if (at.int('transB', 0)) b = transpose(b, [1, 0]);
      const alpha = at.float('alpha', 1);
      const beta = at.float('beta', 1);
      const y = matmul(a, b, at);
      const scaled = value(
        y.dims,
        y.data.map((t) => t * alpha),
        'float',
      );
      return [ins[2] ? elementwise([scaled, ins[2]], (p, c) => p + beta * c, 'float', shapeFail) : scaled];
    }
    case 'Conv':
      return [conv2d(need(0), need(1), ins[2], at)];
    case 'Reshape': {
      const v = x();
      const shape = ints(need(1));
      const allowZero = at.int('allowzero', 0) === 1;
      const dims = shape.map((d, i) => (d === 0 && !allowZero ? v.dims[i]! : d));
      const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const out = dims.map((d) => (d === -1 ? size(v.dims) / known : d));
      if (size(out) !== size(v.dims) || !out.every((d) => Number.isInteger(d) && d >= 0))
        throw at.error(`cannot reshape [${v.dims.join(', ')}] to [${shape.join(', ')}]`);
      return [value(out, v.data, v.kind)];
    }
    case 'Flatten': {
      const v = x();
      const axis = at.int('axis', 1);
      const a = axis < 0 ? axis + v.dims.length : axis;
      return [value([size(v.dims.slice(0, a)), size(v.dims.slice(a))], v.data, v.kind)];
    }
    case 'Transpose': {
      const v = x();
      return [transpose(v, at.ints('perm') ?? v.dims.map((_, i) => v.dims.length - 1 - i))];
    }
    case 'Squeeze': {
      const v = x();
      const axes = (ins[1] ? ints(need(1)) : at.ints('axes'))?.map((a) => normAxis(a, v.dims.length, at));
      const dims = v.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
      return [value(dims, v.data, v.kind)];
    }
    case 'Unsqueeze': {
      const v = x();
      const axes0 = ins[1] ? ints(need(1)) : (at.ints('axes') ?? []);
      const rank = v.dims.length + axes0.length;
      const axes = axes0.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
      const dims = [...v.dims];
      for (const a of axes) dims.splice(a, 0, 1);
      return [value(dims, v.data, v.kind)];
    }
    case 'Concat': {
      const vs = ins.filter((v): v is Value => v !== undefined);
      const axis = normAxis(at.int('axis'), vs[0]!.dims.length, at);
      const dims = [...vs[0]!.dims];
      dims[axis] = vs.reduce((a, v) => a + v.dims[axis]!, 0);
      const outer = size(dims.slice(0, axis));
      const inner = size(dims.slice(axis + 1));
      const data = new Float64Array(size(dims));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const v of vs) {
          const chunk = v.dims[axis]! * inner;
          data.set(v.data.subarray(i * chunk, (i + 1) * chunk), o);
          o += chunk;
        }
      }
      return [value(dims, data, vs[0]!.kind)];
    }
    case 'Expand': {
      const v = x();
      const shape = ints(need(1));
      const ones = value(shape, new Float64Array(size(shape)).fill(0), v.kind);
      return [elementwise([v, ones], (a) => a, v.kind, shapeFail)];
    }
    case 'Shape': {
      const v = x();
      let start = at.int('start', 0);
      let end = at.int('end', v.dims.length);
      if (start < 0) start += v.dims.length;
      if (end < 0) end += v.dims.length;
      const d = v.dims.slice(start, end);
      return [value([d.length], Float64Array.from(d), 'int')];
    }
    case 'ConstantOfShape': {
      const shape = ints(x());
      const t = at.tensor('value');
      const fill = t ? tensorValue(t, 'ConstantOfShape') : value([1], Float64Array.of(0), 'float');
      return [value(shape, new Float64Array(size(shape)).fill(fill.data[0]!), fill.kind)];
    }
    case 'Gather': {
      const v = x();
      const idx = need(1);
      const axis = normAxis(at.int('axis', 0), v.dims.length, at);
      const outer = size(v.dims.slice(0, axis));
      const len = v.dims[axis]!;
      const inner = size(v.dims.slice(axis + 1));
      const dims = [...v.dims.slice(0, axis), ...idx.dims, ...v.dims.slice(axis + 1)];
      const data = new Float64Array(size(dims));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const k0 of idx.data) {
          const k = k0 < 0 ? k0 + len : k0;
          if (k < 0 || k >= len) throw at.error(`gathers index ${k0} of ${len}`);
          data.set(v.data.subarray((i * len + k) * inner, (i * len + k + 1) * inner), o);
          o += inner;
        }
      }
      return [value(dims, data, v.kind)];
    }
    case 'Slice': {
      const v = x();
      const starts = ints(need(1));
      const ends = ints(need(2));
      const axes = ins[3] ? ints(need(3)) : starts.map((_, i) => i);
      const steps = ins[4] ? ints(need(4)) : starts.map(() => 1);
      return [sliceValue(v, starts, ends, axes, steps, at)];
    }
    case 'Split': {
      const v = x();
      const axis = normAxis(at.int('axis', 0), v.dims.length, at);
      const parts = ins[1] ? ints(need(1)) : (at.ints('split') ?? Array.from({ length: node.output.length }, () => v.dims[axis]! / node.output.length));
      let start = 0;
      return parts.map((p) => {
        const r = sliceValue(v, [start], [start + p], [axis], [1], at);
        start += p;
        return r;
      });
    }
    default:
      throw at.error('is not supported');
  }
}

export interface GraphNode {
  node: OnnxNodeProto;
  /** which inputs are constants */
  constInputs: boolean[];
  /** all inputs are constant, so the node folds away */
  folded: boolean;
}

export interface EvaluatedGraph {
  values: Map<string, Value>;
  constants: Set<string>;
  nodes: GraphNode[];
  /** producer node index of each value */
  producer: Map<string, number>;
  /** dynamic (non-folded) consumer node indices of each value */
  consumers: Map<string, number[]>;
  input: string;
  output: string;
}

/** Evaluate every node of `graph` on `inputValue` for its single graph input. */
export function evaluateGraph(graph: OnnxGraphProto, inputValue: Value, opset: number, source: string): EvaluatedGraph {
  const values = new Map<string, Value>();
  const constants = new Set<string>();
  for (const t of graph.initializer) {
    values.set(t.name, tensorValue(t, source));
    constants.add(t.name);
  }
  if (graph.sparse_initializer.length > 0) throw new CheckpointError(`${source}: the ONNX graph has sparse initializers, which are not supported`);
  const inputs = graph.input.filter((i) => !values.has(i.name));
  if (inputs.length !== 1)
    throw new CheckpointError(`${source}: the ONNX graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a ViT has one, the image`);
  if (graph.output.length !== 1)
    throw new CheckpointError(`${source}: the ONNX graph has ${graph.output.length} outputs; a ViT classifier has one, the logits`);
  const input = inputs[0]!.name;
  values.set(input, inputValue);
  const nodes: GraphNode[] = [];
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  graph.node.forEach((node, idx) => {
    const at = new Attrs(node, source);
    if (node.domain && node.domain !== 'ai.onnx') throw at.error(`is in domain "${node.domain}", which is not supported`);
    const ins = node.input.map((name) => {
      if (name === '') return undefined;
      const v = values.get(name);
      if (!v) throw at.error(`reads "${name}", which no earlier node produces`);
      return v;
    });
    const constInputs = node.input.map((name) => name === '' || constants.has(name));
    // Shape reads only the (fixed) dimensions, so its output is a constant even of a data value.
    const folded = node.op_type === 'Shape' || node.op_type === 'Constant' || constInputs.every((c) => c);
    const outs = evaluate(node, ins, opset, at);
    node.output.forEach((name, i) => {
      if (name === '') return;
      const v = outs[i];
      if (!v) throw at.error(`has no output ${i}`);
      values.set(name, v);
      producer.set(name, idx);
      if (folded) constants.add(name);
    });
    if (!folded) {
      node.input.forEach((name, i) => {
        if (name === '' || constInputs[i]) return;
        const list = consumers.get(name) ?? [];
        list.push(idx);
        consumers.set(name, list);
      });
    }
    nodes.push({ node, constInputs, folded });
  });
  const output = graph.output[0]!.name;
  if (!values.has(output)) throw new CheckpointError(`${source}: the ONNX graph's output "${output}" is produced by no node`);
  return { values, constants, nodes, producer, consumers, input, output };
}
