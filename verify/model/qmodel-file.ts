/**
 * The quantised-model file: safetensors with the integer tensors (int8 weights, int32 biases, int16 class
 * token and position embedding), the float32 per-channel weight scales and LayerNorm γ/β as F32 tensors,
 * and in the metadata (JSON strings): the model config, every activation scale, and every derived integer
 * constant of the forward pass (for tools that do no float math). docs/model-format.md describes it.
 */
import type { Dyadic } from '../golden/constants.js';
import { deriveModelConstants, type ModelConstants, type ResidualDyadics } from '../golden/model-constants.js';
import { FQVIT_NUMERICS, ISVIT_W4A4_NUMERICS, type NumericsConfig, PYTORCH_NUMERICS } from '../golden/numerics-config.js';
import type { IsvitFields, SulqCalibration } from '../golden/qmodel.js';
import type { DyadicTable } from '../golden/ops/requant.js';
import { type VitConfig, vitShape } from '../golden/zoo.js';
import {
  BLOCK_SCALE_KEYS,
  type BlockScales,
  type ModelScales,
  type Preprocess,
  type Provenance,
  type PtsInputScales,
  type QLayerNorm,
  type QLinear,
  type QuantModel,
} from '../golden/qmodel.js';
import {
  SafetensorsError,
  type Tensor,
  type TypedTensorData,
  decodeSafetensors,
  encodeSafetensors,
  readFileBytes,
  readSafetensors,
  tensor,
  metadataJson,
} from './safetensors.js';
import { PTS_ALPHA_MAX } from '../golden/ops/pts-layernorm.js';
import { writeFileSync } from 'node:fs';

export const MODEL_FORMAT = 'ivit-qmodel';
export const MODEL_FORMAT_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function dyadicJson(t: DyadicTable): Json {
  if (!Array.isArray(t)) return { m: (t as Dyadic).m, c: (t as Dyadic).c };
  const tab = t as readonly Dyadic[];
  return { m: tab.map((d) => d.m), c: tab.map((d) => d.c) };
}

function residualJson(r: ResidualDyadics): Json {
  return { main: dyadicJson(r.main), skip: dyadicJson(r.skip) };
}

/** The derived constants as plain JSON (integers only). */
export function constantsJson(k: ModelConstants): Json {
  return {
    patch: dyadicJson(k.patch),
    embed: residualJson(k.embed),
    blocks: k.blocks.map((b) => ({
      ln1Bias: Array.from(b.ln1Bias),
      requant: Object.fromEntries(Object.entries(b.requant).map(([site, t]) => [site, dyadicJson(t)])),
      res1: residualJson(b.res1),
      res2: residualJson(b.res2),
      softmaxX0: b.softmaxX0,
      geluX0: b.geluX0,
      ln2Bias: Array.from(b.ln2Bias),
    })),
    normBias: Array.from(k.normBias),
    headIn: dyadicJson(k.headIn),
    logits: dyadicJson(k.logits),
  };
}

function linearTensors(prefix: string, l: QLinear, out: Record<string, Tensor>, weightShape?: number[]): void {
  out[`${prefix}.weight`] = tensor(l.weight, weightShape ?? [l.outFeatures, l.inFeatures]);
  out[`${prefix}.bias`] = tensor(l.bias, [l.outFeatures]);
  out[`${prefix}.weight_scale`] = tensor(l.weightScale, [l.outFeatures]);
}

function layerNormTensors(prefix: string, ln: QLayerNorm, out: Record<string, Tensor>): void {
  out[`${prefix}.gamma`] = tensor(ln.gamma, [ln.gamma.length]);
  out[`${prefix}.beta`] = tensor(ln.beta, [ln.beta.length]);
}

/** The tensor-name prefix of every LayerNorm, in forward order. */
function layerNormsByPrefix(model: QuantModel): Array<[string, QLayerNorm]> {
  return [
    ...model.blocks.flatMap((b, i): Array<[string, QLayerNorm]> => [
      [`blocks.${i}.norm1`, b.norm1],
      [`blocks.${i}.norm2`, b.norm2],
    ]),
    ['norm', model.norm],
  ];
}

/** The "fqvit" metadata: the LIS width and each LayerNorm's PTS input scales by tensor prefix (docs/model-format.md). */
function fqvitJson(model: QuantModel): Json | undefined {
  if (!model.fqvit) return undefined;
  const layerNorms: Record<string, Json> = {};
  for (const [prefix, ln] of layerNormsByPrefix(model)) {
    if (!ln.pts) throw new Error(`model has FQ-ViT fields but ${prefix} has no PTS scales`);
    layerNorms[prefix] = { scale: ln.pts.scale, alpha: Array.from(ln.pts.alpha) };
  }
  return { lisBits: model.fqvit.lisBits, layerNorms };
}

/** The "isvit" metadata (docs/model-format.md): widths, SULQ's η and range per block, SOS factors by LayerNorm prefix. */
function isvitJson(model: QuantModel): Json | undefined {
  const f = model.isvit;
  if (!f) return undefined;
  return {
    weightBits: f.weightBits,
    inputBits: f.inputBits,
    sulqBits: f.sulqBits,
    inputFracBits: f.inputFracBits,
    sulq: f.sulq.map((s) => ({ eta: s.eta, pMin: s.pMin, pMax: s.pMax })),
    sos: Object.fromEntries(Object.entries(f.sos).map(([k, r]) => [k, Array.from(r)])),
  };
}

/** The numerics an isvit model's fields describe (the isvit preset with its widths), to check they give constants. */
export function isvitNumericsOf(f: IsvitFields): NumericsConfig {
  return {
    ...ISVIT_W4A4_NUMERICS,
    lowBit: { weightBits: f.weightBits, inputBits: f.inputBits },
    sulq: { ...ISVIT_W4A4_NUMERICS.sulq, bits: f.sulqBits },
    softmax: { ...ISVIT_W4A4_NUMERICS.softmax, k: f.inputFracBits + 1 },
  };
}

/** Encode a model (its constants derived with the PyTorch numerics and stored alongside). */
export function encodeModel(model: QuantModel): Buffer {
  const c = model.config;
  const { tokens } = vitShape(c);
  const t: Record<string, Tensor> = {};
  linearTensors('patch_embed.proj', model.patch, t, [c.embedDim, c.inChannels, c.patchSize, c.patchSize]);
  t['cls_token'] = tensor(model.cls, [c.embedDim]);
  t['pos_embed'] = tensor(model.pos, [tokens, c.embedDim]);
  model.blocks.forEach((b, i) => {
    const p = `blocks.${i}`;
    layerNormTensors(`${p}.norm1`, b.norm1, t);
    linearTensors(`${p}.attn.qkv`, b.qkv, t);
    linearTensors(`${p}.attn.proj`, b.proj, t);
    layerNormTensors(`${p}.norm2`, b.norm2, t);
    linearTensors(`${p}.mlp.fc1`, b.fc1, t);
    linearTensors(`${p}.mlp.fc2`, b.fc2, t);
  });
  layerNormTensors('norm', model.norm, t);
  linearTensors('head', model.head, t);
  const scales = { ...model.scales, blocks: model.blocks.map((b) => b.scales) };
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: String(MODEL_FORMAT_VERSION),
    config: JSON.stringify(c),
    scales: JSON.stringify(scales),
    constants_numerics: 'pytorch',
    constants: JSON.stringify(constantsJson(deriveModelConstants(model, PYTORCH_NUMERICS))),
    provenance: JSON.stringify(model.provenance),
  };
  if (model.preprocess) metadata.preprocess = JSON.stringify(model.preprocess);
  const fq = fqvitJson(model);
  if (fq !== undefined) metadata.fqvit = JSON.stringify(fq);
  const is = isvitJson(model);
  if (is !== undefined) metadata.isvit = JSON.stringify(is);
  return encodeSafetensors(t, metadata);
}

export function writeModel(path: string, model: QuantModel): void {
  writeFileSync(path, encodeModel(model));
}

/** Where a reader's warnings go: Node's process warnings (stderr, once per message) unless the caller says otherwise. */
export type Warn = (message: string) => void;
const processWarning: Warn = (message) => process.emitWarning(message, 'IvitModelFileWarning');

/**
 * Decode and validate a model file: the tensor digests, shapes, dtypes, scales, and the stored constants against
 * re-derived ones. A file without digests (another tool wrote it) loads, with a warning that corruption of its
 * tensor data cannot be detected.
 */
export function decodeModel(buf: Buffer, source: string, warn: Warn = processWarning): QuantModel {
  const st = decodeSafetensors(buf, source);
  if (st.digests === 'absent') warn(`${source}: the model file records no tensor digests (written by another tool?): a corrupted tensor cannot be detected`);
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  const md = st.metadata;
  if (md.format !== MODEL_FORMAT) fail(`not an I-ViT quantised model (metadata format is ${JSON.stringify(md.format)}, expected "${MODEL_FORMAT}")`);
  if (md.version !== String(MODEL_FORMAT_VERSION)) fail(`model format version ${md.version} is not supported (this tool reads ${MODEL_FORMAT_VERSION})`);
  const parse = (key: string): unknown => metadataJson(md, key, fail);
  const config = parse('config') as VitConfig;
  if (typeof config !== 'object' || config === null || config.family !== 'vit') fail('metadata "config" is not a ViT configuration');
  let shape: ReturnType<typeof vitShape>;
  try {
    shape = vitShape(config);
  } catch (e) {
    return fail((e as Error).message);
  }
  const c = config.embedDim;
  const get = <T extends TypedTensorData>(name: string, dtype: string, dims: number[]): T => {
    const t = st.tensors.get(name);
    if (!t) return fail(`tensor "${name}" is missing`);
    if (t.dtype !== dtype) fail(`tensor "${name}" is ${t.dtype}, expected ${dtype}`);
    if (t.shape.length !== dims.length || t.shape.some((d, i) => d !== dims[i]))
      fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${dims.join(', ')}]`);
    return t.data as T;
  };
  const scaleVector = (name: string, n: number): Float32Array => {
    const v = get<Float32Array>(name, 'F32', [n]);
    v.forEach((s, i) => {
      if (!(Number.isFinite(s) && s > 0)) fail(`tensor "${name}"[${i}] = ${s} is not a positive finite scale`);
    });
    return v;
  };
  const linear = (prefix: string, outF: number, inF: number, weightShape?: number[]): QLinear => ({
    outFeatures: outF,
    inFeatures: inF,
    weight: get<Int8Array>(`${prefix}.weight`, 'I8', weightShape ?? [outF, inF]),
    bias: get<Int32Array>(`${prefix}.bias`, 'I32', [outF]),
    weightScale: scaleVector(`${prefix}.weight_scale`, outF),
  });
  const layerNorm = (prefix: string): QLayerNorm => {
    const gamma = get<Float32Array>(`${prefix}.gamma`, 'F32', [c]);
    gamma.forEach((g, i) => {
      if (!Number.isFinite(g) || g === 0) fail(`tensor "${prefix}.gamma"[${i}] = ${g} must be finite and non-zero`);
    });
    const beta = get<Float32Array>(`${prefix}.beta`, 'F32', [c]);
    beta.forEach((b, i) => {
      if (!Number.isFinite(b)) fail(`tensor "${prefix}.beta"[${i}] = ${b} is not finite`);
    });
    return { gamma, beta };
  };
  const scales = parse('scales') as ModelScales & { blocks: BlockScales[] };
  const checkScale = (where: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || Math.fround(v) !== v)
      fail(`scale ${where} = ${JSON.stringify(v)} is not a positive float32`);
    return v as number;
  };
  if (typeof scales !== 'object' || scales === null || !Array.isArray(scales.blocks) || scales.blocks.length !== config.depth) {
    fail(`metadata "scales" must hold the model scales and one entry per block (${config.depth})`);
  }
  const modelScales: ModelScales = {
    input: checkScale('input', scales.input),
    patch: checkScale('patch', scales.patch),
    pos: checkScale('pos', scales.pos),
    embed: checkScale('embed', scales.embed),
    headIn: checkScale('headIn', scales.headIn),
    logits: checkScale('logits', scales.logits),
  };
  const model: QuantModel = {
    config,
    patch: linear('patch_embed.proj', c, shape.patchVector, [c, config.inChannels, config.patchSize, config.patchSize]),
    cls: get<Int16Array>('cls_token', 'I16', [c]),
    pos: get<Int16Array>('pos_embed', 'I16', [shape.tokens, c]),
    blocks: scales.blocks.map((bs, i) => {
      const p = `blocks.${i}`;
      const blockScales = {} as BlockScales;
      for (const key of BLOCK_SCALE_KEYS) blockScales[key] = checkScale(`blocks[${i}].${key}`, bs?.[key]);
      return {
        norm1: layerNorm(`${p}.norm1`),
        qkv: linear(`${p}.attn.qkv`, 3 * c, c),
        proj: linear(`${p}.attn.proj`, c, c),
        norm2: layerNorm(`${p}.norm2`),
        fc1: linear(`${p}.mlp.fc1`, config.mlpDim, c),
        fc2: linear(`${p}.mlp.fc2`, c, config.mlpDim),
        scales: blockScales,
      };
    }),
    norm: layerNorm('norm'),
    head: linear('head', config.numClasses, c),
    scales: modelScales,
    provenance: md.provenance === undefined ? {} : checkProvenance(parse('provenance'), fail),
  };
  if (md.preprocess !== undefined) model.preprocess = checkPreprocess(parse('preprocess'), config.inChannels, fail);
  if (md.fqvit !== undefined) readFqvit(parse('fqvit'), model, fail);
  if (md.isvit !== undefined) readIsvit(parse('isvit'), model, fail);
  // The stored integer constants must be exactly what the scales give.
  let derived: string;
  try {
    derived = JSON.stringify(constantsJson(deriveModelConstants(model, PYTORCH_NUMERICS)));
  } catch (e) {
    return fail(`the scales give no valid constants: ${(e as Error).message}`);
  }
  if (md.constants !== undefined && JSON.stringify(parse('constants')) !== derived) {
    fail('metadata "constants" disagree with the constants derived from the scales (file edited or corrupt)');
  }
  if (model.fqvit) {
    try {
      deriveModelConstants(model, FQVIT_NUMERICS);
    } catch (e) {
      return fail(`the FQ-ViT fields give no valid constants: ${(e as Error).message}`);
    }
  }
  if (model.isvit) {
    try {
      deriveModelConstants(model, isvitNumericsOf(model.isvit));
    } catch (e) {
      return fail(`the I&S-ViT fields give no valid constants: ${(e as Error).message}`);
    }
  }
  return model;
}

/**
 * `isvit`: {"weightBits", "inputBits", "sulqBits": 2…8, "inputFracBits": 1…30, "sulq": [{"eta", "pMin", "pMax"}] one
 * per block, "sos": {"blocks.i.norm1" | "blocks.i.norm2": [C positive numbers]}}.
 */
function readIsvit(v: unknown, model: QuantModel, fail: (msg: string) => never): void {
  const f = v as Record<string, unknown> | null;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) fail('metadata "isvit" is not an object');
  const int = (key: string, lo: number, hi: number): number => {
    const x = f[key];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi)
      fail(`metadata "isvit".${key} must be an integer ${lo}…${hi}, got ${JSON.stringify(x)}`);
    return x;
  };
  const weightBits = int('weightBits', 2, 8);
  const inputBits = int('inputBits', 2, 8);
  const sulqBits = int('sulqBits', 2, 8);
  const inputFracBits = int('inputFracBits', 1, 30);
  const sulqIn = f.sulq;
  if (!Array.isArray(sulqIn) || sulqIn.length !== model.blocks.length) fail(`metadata "isvit".sulq must hold one entry per block (${model.blocks.length})`);
  const sulq = (sulqIn as unknown[]).map((e, i): SulqCalibration => {
    const o = e as Record<string, unknown> | null;
    const where = `metadata "isvit".sulq[${i}]`;
    if (typeof o !== 'object' || o === null) fail(`${where} is not an object`);
    const { eta, pMin, pMax } = o;
    if (typeof eta !== 'number' || !(eta > 0 && eta <= 1)) fail(`${where}.eta = ${JSON.stringify(eta)} is not in (0, 1]`);
    if (typeof pMin !== 'number' || typeof pMax !== 'number' || !Number.isInteger(pMin) || !Number.isInteger(pMax))
      fail(`${where}: pMin and pMax must be integers`);
    return { eta: eta as number, pMin: pMin as number, pMax: pMax as number };
  });
  const sosIn = f.sos as Record<string, unknown> | null;
  if (typeof sosIn !== 'object' || sosIn === null || Array.isArray(sosIn)) fail('metadata "isvit".sos is not an object');
  const c = model.config.embedDim;
  const known = new Set(model.blocks.flatMap((_, i) => [`blocks.${i}.norm1`, `blocks.${i}.norm2`]));
  const sos: Record<string, Float32Array> = {};
  for (const [k, r] of Object.entries(sosIn)) {
    if (!known.has(k)) fail(`metadata "isvit".sos has "${k}", which is no block LayerNorm of this model`);
    if (!Array.isArray(r) || r.length !== c || !r.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x)))
      fail(`metadata "isvit".sos["${k}"] must be ${c} positive numbers`);
    sos[k] = Float32Array.from(r as number[]);
  }
  model.isvit = { weightBits, inputBits, sulqBits, inputFracBits, sulq, sos };
}

/** `fqvit`: {"lisBits": 1…8, "layerNorms": {prefix: {"scale": float32 > 0, "alpha": [C integers 0…3]}}}, every LayerNorm. */
function readFqvit(v: unknown, model: QuantModel, fail: (msg: string) => never): void {
  const f = v as { lisBits?: unknown; layerNorms?: unknown } | null;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) fail('metadata "fqvit" is not an object');
  const bits = f.lisBits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 1 || bits > 8)
    fail(`metadata "fqvit".lisBits must be an integer 1…8, got ${JSON.stringify(bits)}`);
  const lns = f.layerNorms as Record<string, unknown> | null;
  if (typeof lns !== 'object' || lns === null || Array.isArray(lns)) fail('metadata "fqvit".layerNorms is not an object');
  const c = model.config.embedDim;
  const all = layerNormsByPrefix(model);
  const known = new Set(all.map(([p]) => p));
  for (const k of Object.keys(lns)) if (!known.has(k)) fail(`metadata "fqvit".layerNorms has "${k}", which is no LayerNorm of this model`);
  for (const [prefix, ln] of all) {
    const e = lns[prefix] as { scale?: unknown; alpha?: unknown } | undefined;
    const where = `metadata "fqvit".layerNorms["${prefix}"]`;
    if (typeof e !== 'object' || e === null) fail(`${where} is missing`);
    const s = e.scale;
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s) || Math.fround(s) !== s)
      fail(`${where}.scale = ${JSON.stringify(s)} is not a positive float32`);
    const a = e.alpha;
    if (!Array.isArray(a) || a.length !== c || !a.every((x) => Number.isInteger(x) && x >= 0 && x <= PTS_ALPHA_MAX)) {
      fail(`${where}.alpha must be ${c} integers 0…${PTS_ALPHA_MAX} (one per channel)`);
    }
    const pts: PtsInputScales = { scale: s as number, alpha: Uint8Array.from(a as number[]) };
    ln.pts = pts;
  }
  model.fqvit = { lisBits: bits as number };
}

/** `preprocess`: {"mean": [..], "std": [..]}, one finite entry per input channel, every std positive. */
function checkPreprocess(v: unknown, channels: number, fail: (msg: string) => never): Preprocess {
  const p = v as Partial<Preprocess> | null;
  const vector = (key: 'mean' | 'std'): number[] => {
    const a = p?.[key];
    if (!Array.isArray(a) || a.length !== channels || !a.every((x) => typeof x === 'number' && Number.isFinite(x) && (key === 'mean' || x > 0))) {
      fail(
        `metadata "preprocess".${key} must be ${channels} finite numbers${key === 'std' ? ' above 0' : ''} (one per input channel), got ${JSON.stringify(a)}`,
      );
    }
    return a as number[];
  };
  if (typeof p !== 'object' || p === null || Array.isArray(p)) fail('metadata "preprocess" is not an object');
  return { mean: vector('mean'), std: vector('std') };
}

/** `provenance`: an object of strings and numbers; checkpoint a string, checkpointSha256 64 hex digits. */
function checkProvenance(v: unknown, fail: (msg: string) => never): Provenance {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('metadata "provenance" is not an object');
  const p = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(p)) if (typeof x !== 'string' && typeof x !== 'number') fail(`metadata "provenance".${k} is not a string or number`);
  if (p.checkpoint !== undefined && typeof p.checkpoint !== 'string') fail('metadata "provenance".checkpoint is not a string');
  if (p.checkpointSha256 !== undefined && !(typeof p.checkpointSha256 === 'string' && /^[0-9a-f]{64}$/.test(p.checkpointSha256))) {
    fail(`metadata "provenance".checkpointSha256 is not 64 lower-case hex digits: ${JSON.stringify(p.checkpointSha256)}`);
  }
  return p as Provenance;
}

export function readModel(path: string, warn: Warn = processWarning): QuantModel {
  return decodeModel(readFileBytes(path), path, warn);
}

/** An input image file: one I8 tensor "image" [channels × H × W] and its scale in the metadata. */
export function writeImage(path: string, image: Int8Array, config: Pick<VitConfig, 'inChannels' | 'imageSize'>, scale: number): void {
  writeFileSync(
    path,
    encodeSafetensors(
      { image: tensor(image, [config.inChannels, config.imageSize, config.imageSize]) },
      { format: 'ivit-image', version: '1', scale: String(scale) },
    ),
  );
}

export function readImage(path: string, config: VitConfig): Int8Array {
  const st = readSafetensors(path);
  const t = st.tensors.get('image');
  const dims = [config.inChannels, config.imageSize, config.imageSize];
  if (!t || t.dtype !== 'I8' || t.shape.join() !== dims.join()) {
    throw new SafetensorsError(`${path}: expected an I8 tensor "image" of shape [${dims.join(', ')}]`);
  }
  return t.data as Int8Array;
}
