/**
 * The quantised Swin model file (docs/model-format.md, "Swin model files"): safetensors as the ViT file (qmodel-file.ts), with
 * metadata format "ivit-qswin". Tensors follow the reference Swin's names: patch_embed.proj, patch_embed.norm,
 * layers.S.blocks.B.{norm1, attn.qkv, attn.relative_position_bias_table (I8 [(2w−1)², heads]), attn.proj, norm2,
 * mlp.fc1, mlp.fc2}, layers.S.downsample.{norm, reduction} (no bias tensor: the reduction has none), norm, head.
 * The metadata holds the config, every activation scale and the provenance; integer constants are derived on load.
 */
import { writeFileSync } from 'node:fs';
import { BLOCK_SCALE_KEYS, type BlockScales, type QLayerNorm, type QLinear } from '../golden/qmodel.js';
import type { PatchMergeScales, QSwinModel, QSwinStage, SwinModelScales } from '../golden/qswin.js';
import { type SwinConfig, swinShape } from '../golden/zoo.js';
import {
  SafetensorsError,
  type Tensor,
  type TypedTensorData,
  decodeSafetensors,
  encodeSafetensors,
  metadataJson,
  readFileBytes,
  tensor,
} from './safetensors.js';

const SWIN_MODEL_FORMAT = 'ivit-qswin';
const SWIN_MODEL_FORMAT_VERSION = 1;

const MODEL_SCALE_KEYS: ReadonlyArray<keyof SwinModelScales> = ['input', 'patch', 'embed', 'headIn', 'logits'];
const MERGE_SCALE_KEYS: ReadonlyArray<keyof PatchMergeScales> = ['normOut', 'reductionOut'];

interface ScalesJson extends SwinModelScales {
  stages: Array<{ blocks: BlockScales[]; merge?: PatchMergeScales }>;
}

function linearTensors(prefix: string, l: QLinear, out: Record<string, Tensor>, withBias = true, weightShape?: number[]): void {
  out[`${prefix}.weight`] = tensor(l.weight, weightShape ?? [l.outFeatures, l.inFeatures]);
  if (withBias) out[`${prefix}.bias`] = tensor(l.bias, [l.outFeatures]);
  out[`${prefix}.weight_scale`] = tensor(l.weightScale, [l.outFeatures]);
}

function layerNormTensors(prefix: string, ln: QLayerNorm, out: Record<string, Tensor>): void {
  out[`${prefix}.gamma`] = tensor(ln.gamma, [ln.gamma.length]);
  out[`${prefix}.beta`] = tensor(ln.beta, [ln.beta.length]);
}

export function encodeSwinModel(model: QSwinModel): Buffer {
  const c = model.config;
  const shape = swinShape(c);
  const t: Record<string, Tensor> = {};
  linearTensors('patch_embed.proj', model.patchEmbed, t, true, [c.embedDim, c.inChannels, c.patchSize, c.patchSize]);
  layerNormTensors('patch_embed.norm', model.patchNorm, t);
  model.stages.forEach((st, s) => {
    const sh = shape.stages[s]!;
    st.blocks.forEach((b, i) => {
      const p = `layers.${s}.blocks.${i}`;
      layerNormTensors(`${p}.norm1`, b.norm1, t);
      linearTensors(`${p}.attn.qkv`, b.qkv, t);
      t[`${p}.attn.relative_position_bias_table`] = tensor(b.relativeBias.table, [(2 * sh.window - 1) ** 2, sh.heads]);
      linearTensors(`${p}.attn.proj`, b.proj, t);
      layerNormTensors(`${p}.norm2`, b.norm2, t);
      linearTensors(`${p}.mlp.fc1`, b.fc1, t);
      linearTensors(`${p}.mlp.fc2`, b.fc2, t);
    });
    if (st.merge) {
      if (st.merge.reduction.bias.some((v) => v !== 0)) throw new SafetensorsError(`layers.${s}.downsample.reduction: a patch merge has no bias`);
      layerNormTensors(`layers.${s}.downsample.norm`, st.merge.norm, t);
      linearTensors(`layers.${s}.downsample.reduction`, st.merge.reduction, t, false);
    }
  });
  layerNormTensors('norm', model.norm, t);
  linearTensors('head', model.head, t);
  const scales: ScalesJson = {
    ...model.scales,
    stages: model.stages.map((st) => ({ blocks: st.blocks.map((b) => b.scales), ...(st.merge ? { merge: st.merge.scales } : {}) })),
  };
  return encodeSafetensors(t, {
    format: SWIN_MODEL_FORMAT,
    version: String(SWIN_MODEL_FORMAT_VERSION),
    config: JSON.stringify(c),
    scales: JSON.stringify(scales),
    provenance: JSON.stringify(model.provenance),
  });
}

export function writeSwinModel(path: string, model: QSwinModel): void {
  writeFileSync(path, encodeSwinModel(model));
}

/** Decode and validate a Swin model file: format, config, every tensor's dtype and shape, every scale a positive float32. */
export function decodeSwinModel(buf: Buffer, source: string): QSwinModel {
  const st = decodeSafetensors(buf, source);
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  const md = st.metadata;
  if (md.format !== SWIN_MODEL_FORMAT)
    fail(`not an I-ViT quantised Swin model (metadata format is ${JSON.stringify(md.format)}, expected "${SWIN_MODEL_FORMAT}")`);
  if (md.version !== String(SWIN_MODEL_FORMAT_VERSION))
    fail(`Swin model format version ${md.version} is not supported (this tool reads ${SWIN_MODEL_FORMAT_VERSION})`);
  const parse = (key: string): unknown => metadataJson(md, key, fail);
  const config = parse('config') as SwinConfig;
  if (typeof config !== 'object' || config === null || config.family !== 'swin') fail('metadata "config" is not a Swin configuration');
  let shape: ReturnType<typeof swinShape>;
  try {
    shape = swinShape(config);
  } catch (e) {
    return fail((e as Error).message);
  }
  const get = <T extends TypedTensorData>(name: string, dtype: string, dims: number[]): T => {
    const t = st.tensors.get(name);
    if (!t) return fail(`tensor "${name}" is missing`);
    if (t.dtype !== dtype) fail(`tensor "${name}" is ${t.dtype}, expected ${dtype}`);
    if (t.shape.length !== dims.length || t.shape.some((d, i) => d !== dims[i]))
      fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${dims.join(', ')}]`);
    return t.data as T;
  };
  const linear = (prefix: string, outF: number, inF: number, withBias = true, weightShape?: number[]): QLinear => {
    const weightScale = get<Float32Array>(`${prefix}.weight_scale`, 'F32', [outF]);
    weightScale.forEach((s, i) => {
      if (!(Number.isFinite(s) && s > 0)) fail(`tensor "${prefix}.weight_scale"[${i}] = ${s} is not a positive finite scale`);
    });
    return {
      outFeatures: outF,
      inFeatures: inF,
      weight: get<Int8Array>(`${prefix}.weight`, 'I8', weightShape ?? [outF, inF]),
      bias: withBias ? get<Int32Array>(`${prefix}.bias`, 'I32', [outF]) : new Int32Array(outF),
      weightScale,
    };
  };
  const layerNorm = (prefix: string, c: number): QLayerNorm => {
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
  const checkScale = (where: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || Math.fround(v) !== v)
      fail(`scale ${where} = ${JSON.stringify(v)} is not a positive float32`);
    return v as number;
  };
  const scales = parse('scales') as Partial<ScalesJson> | null;
  if (typeof scales !== 'object' || scales === null || !Array.isArray(scales.stages) || scales.stages.length !== shape.stages.length) {
    fail(`metadata "scales" must hold the model scales and one entry per stage (${shape.stages.length})`);
  }
  const pick = <K extends string>(keys: readonly K[], from: unknown, where: string): Record<K, number> =>
    Object.fromEntries(keys.map((k) => [k, checkScale(`${where}${k}`, (from as Record<string, unknown> | undefined)?.[k])])) as Record<K, number>;
  const stages = shape.stages.map((sh, s): QSwinStage => {
    const ss = scales!.stages![s];
    if (!ss || !Array.isArray(ss.blocks) || ss.blocks.length !== sh.depth) fail(`metadata "scales".stages[${s}] must hold ${sh.depth} block entries`);
    const c = sh.dim;
    const blocks = ss!.blocks.map((bs, i) => {
      const p = `layers.${s}.blocks.${i}`;
      return {
        norm1: layerNorm(`${p}.norm1`, c),
        qkv: linear(`${p}.attn.qkv`, 3 * c, c),
        relativeBias: { table: get<Int8Array>(`${p}.attn.relative_position_bias_table`, 'I8', [(2 * sh.window - 1) ** 2, sh.heads]) },
        proj: linear(`${p}.attn.proj`, c, c),
        norm2: layerNorm(`${p}.norm2`, c),
        fc1: linear(`${p}.mlp.fc1`, sh.mlpDim, c),
        fc2: linear(`${p}.mlp.fc2`, c, sh.mlpDim),
        scales: pick(BLOCK_SCALE_KEYS, bs, `stages[${s}].blocks[${i}].`) as BlockScales,
      };
    });
    if (s === shape.stages.length - 1) return { blocks };
    const p = `layers.${s}.downsample`;
    return {
      blocks,
      merge: {
        norm: layerNorm(`${p}.norm`, 4 * c),
        reduction: linear(`${p}.reduction`, 2 * c, 4 * c, false),
        scales: pick(MERGE_SCALE_KEYS, ss!.merge, `stages[${s}].merge.`),
      },
    };
  });
  const provenance = md.provenance === undefined ? {} : parse('provenance');
  if (typeof provenance !== 'object' || provenance === null || Array.isArray(provenance)) fail('metadata "provenance" is not an object');
  return {
    family: 'swin',
    config,
    patchEmbed: linear('patch_embed.proj', config.embedDim, shape.patchVector, true, [config.embedDim, config.inChannels, config.patchSize, config.patchSize]),
    patchNorm: layerNorm('patch_embed.norm', config.embedDim),
    stages,
    norm: layerNorm('norm', shape.finalDim),
    head: linear('head', config.numClasses, shape.finalDim),
    scales: pick(MODEL_SCALE_KEYS, scales, '') as SwinModelScales,
    provenance: provenance as QSwinModel['provenance'],
  };
}

/** Whether a file is a Swin model file (its metadata format), so a tool can pick the reader. */
export function isSwinModelFile(path: string): boolean {
  try {
    return decodeSafetensors(readFileBytes(path), path).metadata.format === SWIN_MODEL_FORMAT;
  } catch {
    return false; // not readable as safetensors: the ViT reader reports why
  }
}

export function readSwinModel(path: string): QSwinModel {
  return decodeSwinModel(readFileBytes(path), path);
}
