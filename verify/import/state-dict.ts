/**
 * PyTorch state dicts saved as safetensors, in torchvision's VisionTransformer naming or in timm/DeiT
 * naming (the published DeiT checkpoints), read into a FloatVit. The naming is detected from the keys;
 * the configuration is inferred from the shapes, except the number of heads, which a state dict does not
 * show: it comes from the `config` metadata (num_heads) or the caller (--heads).
 *
 * Semantics pinned against torchvision 0.14 (models/vision_transformer.py) and timm's VisionTransformer:
 * the position embedding is added to every token, the class token included; MultiheadAttention's
 * in_proj_weight rows are [W_q; W_k; W_v], each split into heads of head_dim consecutive rows, which is
 * the golden qkv layout (q, k, v × heads × head dim), the same as timm's fused qkv Linear; LayerNorm eps is
 * 1e-6 in both unless the metadata says otherwise (the integer LayerNorm has no eps; it is kept for the
 * float reference pass).
 */
import type { Preprocess } from '../golden/qmodel.js';
import type { VitConfig } from '../golden/zoo.js';
import { type Safetensors, type Tensor, decodeSafetensors } from '../model/safetensors.js';
import { CheckpointError, type FloatLayerNorm, type FloatLinear, type FloatVit, checkFloatVit } from './float-model.js';

export type StateDictNaming = 'torchvision' | 'timm';

/** Where each part of the model lives in a naming scheme; a list gives accepted alternatives. */
interface Scheme {
  patch: string;
  cls: string;
  pos: string;
  block: (i: number) => { norm1: string; qkvWeight: string; qkvBias: string; proj: string; norm2: string; fc1: string[]; fc2: string[] };
  blockIndex: RegExp;
  norm: string;
  head: string;
}

const SCHEMES: Record<StateDictNaming, Scheme> = {
  torchvision: {
    patch: 'conv_proj',
    cls: 'class_token',
    pos: 'encoder.pos_embedding',
    block: (i) => {
      const p = `encoder.layers.encoder_layer_${i}`;
      return {
        norm1: `${p}.ln_1`,
        qkvWeight: `${p}.self_attention.in_proj_weight`,
        qkvBias: `${p}.self_attention.in_proj_bias`,
        proj: `${p}.self_attention.out_proj`,
        norm2: `${p}.ln_2`,
        // MLPBlock's modules are mlp.0 / mlp.3 since torchvision 0.13, linear_1 / linear_2 before
        fc1: [`${p}.mlp.0`, `${p}.mlp.linear_1`],
        fc2: [`${p}.mlp.3`, `${p}.mlp.linear_2`],
      };
    },
    blockIndex: /^encoder\.layers\.encoder_layer_(\d+)\./,
    norm: 'encoder.ln',
    head: 'heads.head',
  },
  timm: {
    patch: 'patch_embed.proj',
    cls: 'cls_token',
    pos: 'pos_embed',
    block: (i) => {
      const p = `blocks.${i}`;
      return {
        norm1: `${p}.norm1`,
        qkvWeight: `${p}.attn.qkv.weight`,
        qkvBias: `${p}.attn.qkv.bias`,
        proj: `${p}.attn.proj`,
        norm2: `${p}.norm2`,
        fc1: [`${p}.mlp.fc1`],
        fc2: [`${p}.mlp.fc2`],
      };
    },
    blockIndex: /^blocks\.(\d+)\./,
    norm: 'norm',
    head: 'head',
  },
};

/** Keys that identify each scheme (any one is enough). */
const SIGNATURES: Record<StateDictNaming, RegExp> = {
  torchvision: /^(conv_proj\.|class_token$|encoder\.(pos_embedding$|layers\.|ln\.)|heads\.)/,
  timm: /^(patch_embed\.|cls_token$|pos_embed$|blocks\.\d+\.)/,
};

export function detectNaming(keys: readonly string[], source: string): StateDictNaming {
  const hits = (Object.keys(SIGNATURES) as StateDictNaming[]).filter((n) => keys.some((k) => SIGNATURES[n].test(k)));
  if (hits.length === 1) return hits[0]!;
  const sample = keys
    .slice(0, 4)
    .map((k) => `"${k}"`)
    .join(', ');
  if (hits.length === 0) {
    throw new CheckpointError(
      `${source}: unknown naming scheme (keys ${sample}${keys.length > 4 ? ', ...' : ''}): expected torchvision (conv_proj.weight, encoder.layers.encoder_layer_N...) or timm/DeiT (patch_embed.proj.weight, blocks.N...)`,
    );
  }
  throw new CheckpointError(`${source}: keys of both torchvision and timm naming (${sample}...): give --format`);
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** IEEE half → float (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + f) * 2 ** (e - 25);
}

/** A float tensor's values as float32 (F64 rounded to nearest, F16 and BF16 exact). */
export function floatValues(t: Tensor, name: string, source: string): Float32Array {
  if (!FLOAT_DTYPES.has(t.dtype)) throw new CheckpointError(`${source}: tensor "${name}" has non-float dtype ${t.dtype}`);
  let out: Float32Array;
  if (t.dtype === 'F32') out = Float32Array.from(t.data as Float32Array);
  else if (t.dtype === 'F64') out = Float32Array.from(t.data as Float64Array);
  else if (t.dtype === 'BF16') {
    const bits = Uint32Array.from(t.data as Uint16Array, (h) => h << 16);
    out = new Float32Array(bits.buffer);
  } else out = Float32Array.from(t.data as Uint16Array, halfToFloat);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new CheckpointError(`${source}: tensor "${name}"[${bad}] = ${out[bad]} is not finite`);
  return out;
}

type Json = Record<string, unknown>;

function metadataJson(st: Safetensors, key: string, source: string): Json | undefined {
  const raw = st.metadata[key];
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new CheckpointError(`${source}: metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CheckpointError(`${source}: metadata "${key}" is not a JSON object`);
  return v as Json;
}

/** preprocess metadata {"mean": m | [m, ...], "std": ...}: a single value applies to every channel. */
export function preprocessFromJson(p: Json, channels: number, where: string): Preprocess {
  const vec = (key: 'mean' | 'std'): number[] => {
    const v = p[key];
    const a = typeof v === 'number' ? [v] : v;
    if (
      !Array.isArray(a) ||
      !(a.length === 1 || a.length === channels) ||
      !a.every((x) => typeof x === 'number' && Number.isFinite(x) && (key === 'mean' || x > 0))
    ) {
      throw new CheckpointError(`${where}.${key} must be a number or ${channels} numbers${key === 'std' ? ' above 0' : ''}, got ${JSON.stringify(v)}`);
    }
    return a.length === channels ? (a as number[]) : Array.from({ length: channels }, () => a[0] as number);
  };
  return { mean: vec('mean'), std: vec('std') };
}

/** A config value from the metadata under any of its spellings (torchvision's and ours). */
function configValue(cfg: Json | undefined, keys: readonly string[]): number | undefined {
  if (!cfg) return undefined;
  for (const k of keys) if (cfg[k] !== undefined) return cfg[k] as number;
  return undefined;
}

export interface StateDictOptions {
  /** force a naming scheme instead of detecting it */
  naming?: StateDictNaming;
  /** the number of attention heads, when the metadata has none (or to check it) */
  heads?: number;
  /** the model's name in its config */
  name: string;
}

export interface StateDictImport {
  model: FloatVit;
  naming: StateDictNaming;
  headsFrom: 'metadata' | 'option';
}

/** Read a state dict (safetensors bytes) into a FloatVit; every problem is a CheckpointError naming the tensor. */
export function readStateDict(buf: Buffer, source: string, opts: StateDictOptions): StateDictImport {
  const st = decodeSafetensors(buf, source);
  const keys = [...st.tensors.keys()];
  const naming = opts.naming ?? detectNaming(keys, source);
  const scheme = SCHEMES[naming];
  if (st.tensors.has('dist_token') || st.tensors.has('head_dist.weight')) {
    throw new CheckpointError(`${source}: distilled DeiT (dist_token, head_dist) is not supported: the integer model has one class token and one head`);
  }
  const used = new Set<string>();
  const fail = (msg: string): never => {
    throw new CheckpointError(`${source}: ${msg}`);
  };
  const raw = (name: string): Tensor => {
    const t = st.tensors.get(name);
    if (!t) return fail(`tensor "${name}" is missing (${naming} naming)`);
    return t;
  };
  const pick = (names: readonly string[], suffix: string): string => {
    const present = names.filter((n) => st.tensors.has(`${n}.${suffix}`));
    if (present.length > 1) fail(`both "${present[0]}.${suffix}" and "${present[1]}.${suffix}" are present`);
    return present[0] ?? names[0]!;
  };
  const get = (name: string, shape: readonly number[]): Float32Array => {
    const t = raw(name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    used.add(name);
    return floatValues(t, name, source);
  };

  // The configuration, from the shapes of a few anchor tensors.
  const conv = raw(`${scheme.patch}.weight`);
  if (conv.shape.length !== 4 || conv.shape[2] !== conv.shape[3])
    fail(`tensor "${scheme.patch}.weight" has shape [${conv.shape.join(', ')}], expected [width, in-channels, patch, patch]`);
  const [width, inChannels, patch] = conv.shape as [number, number, number];
  const posT = raw(scheme.pos);
  if (posT.shape.length !== 3 || posT.shape[0] !== 1 || posT.shape[2] !== width)
    fail(`tensor "${scheme.pos}" has shape [${posT.shape.join(', ')}], expected [1, tokens, ${width}]`);
  const tokens = posT.shape[1]!;
  const side = Math.round(Math.sqrt(tokens - 1));
  if (tokens < 2 || side * side !== tokens - 1) fail(`tensor "${scheme.pos}" has ${tokens} tokens: not a class token plus a square grid of patches`);
  const blockIds = new Set<number>();
  for (const k of keys) {
    const m = scheme.blockIndex.exec(k);
    if (m) blockIds.add(Number(m[1]));
  }
  const depth = blockIds.size === 0 ? 0 : Math.max(...blockIds) + 1;
  if (depth === 0) fail(`no transformer blocks (no "${scheme.block(0).norm1}.weight")`);
  const fc1Name = pick(scheme.block(0).fc1, 'weight');
  const fc1T = raw(`${fc1Name}.weight`);
  if (fc1T.shape.length !== 2) fail(`tensor "${fc1Name}.weight" has shape [${fc1T.shape.join(', ')}], expected [mlp dim, ${width}]`);
  const mlpDim = fc1T.shape[0]!;
  const headT = raw(`${scheme.head}.weight`);
  if (headT.shape.length !== 2) fail(`tensor "${scheme.head}.weight" has shape [${headT.shape.join(', ')}], expected [classes, ${width}]`);
  const numClasses = headT.shape[0]!;

  const meta = metadataJson(st, 'config', source);
  const metaHeads = configValue(meta, ['num_heads', 'heads']);
  if (metaHeads !== undefined && !(Number.isSafeInteger(metaHeads) && metaHeads > 0))
    fail(`metadata config.num_heads = ${JSON.stringify(metaHeads)} is not a positive integer`);
  if (opts.heads !== undefined && metaHeads !== undefined && opts.heads !== metaHeads)
    fail(`--heads ${opts.heads} disagrees with the metadata's config.num_heads = ${metaHeads}`);
  const heads = opts.heads ?? metaHeads;
  if (heads === undefined) fail('the number of attention heads is not in the checkpoint (no metadata config.num_heads): give --heads');
  const config: VitConfig = {
    family: 'vit',
    name: opts.name,
    imageSize: side * patch,
    patchSize: patch,
    inChannels,
    embedDim: width,
    depth,
    heads: heads!,
    mlpDim,
    numClasses,
  };
  // Where the metadata states a dimension, it must agree with the tensors.
  const stated: Array<[string[], number]> = [
    [['hidden_dim', 'embedDim', 'embed_dim'], width],
    [['patch_size', 'patchSize'], patch],
    [['image_size', 'imageSize', 'img_size'], config.imageSize],
    [['num_layers', 'depth'], depth],
    [['mlp_dim', 'mlpDim'], mlpDim],
    [['num_classes', 'numClasses'], numClasses],
    [['in_channels', 'inChannels', 'in_chans'], inChannels],
  ];
  for (const [names, actual] of stated) {
    const v = configValue(meta, names);
    if (v !== undefined && v !== actual)
      fail(`metadata config.${names.find((n) => meta![n] !== undefined)} = ${JSON.stringify(v)} disagrees with the tensors (${actual})`);
  }
  const eps = configValue(meta, ['norm_eps', 'eps', 'layer_norm_eps']) ?? 1e-6;
  if (!(typeof eps === 'number' && eps >= 0 && Number.isFinite(eps))) fail(`metadata config.norm_eps = ${JSON.stringify(eps)} is not a non-negative number`);

  const linear = (prefix: string, outF: number, inF: number, weightShape?: number[]): FloatLinear => ({
    outFeatures: outF,
    inFeatures: inF,
    weight: get(`${prefix}.weight`, weightShape ?? [outF, inF]),
    bias: get(`${prefix}.bias`, [outF]),
  });
  const layerNorm = (prefix: string): FloatLayerNorm => ({ gamma: get(`${prefix}.weight`, [width]), beta: get(`${prefix}.bias`, [width]), eps });
  const model: FloatVit = {
    config,
    patch: linear(scheme.patch, width, inChannels * patch * patch, [width, inChannels, patch, patch]),
    cls: get(scheme.cls, [1, 1, width]),
    pos: get(scheme.pos, [1, tokens, width]),
    blocks: Array.from({ length: depth }, (_, i) => {
      const n = scheme.block(i);
      return {
        norm1: layerNorm(n.norm1),
        qkv: { outFeatures: 3 * width, inFeatures: width, weight: get(n.qkvWeight, [3 * width, width]), bias: get(n.qkvBias, [3 * width]) },
        proj: linear(n.proj, width, width),
        norm2: layerNorm(n.norm2),
        fc1: linear(pick(n.fc1, 'weight'), mlpDim, width),
        fc2: linear(pick(n.fc2, 'weight'), width, mlpDim),
      };
    }),
    norm: layerNorm(scheme.norm),
    head: linear(scheme.head, numClasses, width),
  };
  const extra = keys.filter((k) => !used.has(k));
  if (extra.length > 0) fail(`unexpected tensor "${extra[0]}"${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}: not part of a ${naming} ViT`);
  const pre = metadataJson(st, 'preprocess', source);
  if (pre) model.preprocess = preprocessFromJson(pre, inChannels, `${source}: metadata preprocess`);
  checkFloatVit(model, source);
  return { model, naming, headsFrom: opts.heads !== undefined ? 'option' : 'metadata' };
}
