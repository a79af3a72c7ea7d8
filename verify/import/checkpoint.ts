/** Read a float checkpoint of any supported kind (safetensors state dict, ONNX) into a FloatVit. */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { readFileBytes } from '../model/safetensors.js';
import { CheckpointError, type FloatVit } from './float-model.js';
import { readOnnx } from './onnx-vit.js';
import { type StateDictNaming, readStateDict } from './state-dict.js';

export type CheckpointFormat = 'auto' | StateDictNaming | 'onnx';
export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = ['auto', 'torchvision', 'timm', 'onnx'];

export interface CheckpointOptions {
  format: CheckpointFormat;
  heads?: number;
  /** the model's name (default: the file name without its extension) */
  name?: string;
}

export interface LoadedCheckpoint {
  model: FloatVit;
  /** what was read, for the report: e.g. "safetensors state dict, torchvision naming" */
  kind: string;
  /** short form for provenance: torchvision | timm | onnx */
  format: Exclude<CheckpointFormat, 'auto'>;
  headsFrom: string;
  sha256: string;
}

/** safetensors: an 8-byte length, then a JSON header starting with "{". */
function looksLikeSafetensors(b: Buffer): boolean {
  return b.length >= 9 && b[8] === 0x7b;
}

export function readCheckpoint(path: string, opts: CheckpointOptions): LoadedCheckpoint {
  const bytes = readFileBytes(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = opts.name ?? basename(path).replace(/\.[^.]*$/, '');
  const onnx = opts.format === 'onnx' || (opts.format === 'auto' && !looksLikeSafetensors(bytes) && (path.endsWith('.onnx') || bytes[0] === 0x08));
  if (onnx) {
    const r = readOnnx(bytes, path, { name, ...(opts.heads !== undefined ? { heads: opts.heads } : {}) });
    return {
      model: r.model,
      kind: `ONNX (${r.producer || 'unknown producer'}, opset ${r.opset}, ${r.layerNorm === 'decomposed' ? 'decomposed LayerNorm' : 'LayerNormalization'}; graph reproduced to ${r.checkError.toExponential(1)})`,
      format: 'onnx',
      headsFrom: 'the attention scale',
      sha256,
    };
  }
  if (opts.format === 'auto' && !looksLikeSafetensors(bytes)) {
    throw new CheckpointError(`${path}: neither a safetensors state dict nor an ONNX model (give --format if it is one)`);
  }
  const r = readStateDict(bytes, path, {
    name,
    ...(opts.format !== 'auto' ? { naming: opts.format as StateDictNaming } : {}),
    ...(opts.heads !== undefined ? { heads: opts.heads } : {}),
  });
  return {
    model: r.model,
    kind: `safetensors state dict, ${r.naming} naming`,
    format: r.naming,
    headsFrom: r.headsFrom === 'option' ? '--heads' : 'metadata config',
    sha256,
  };
}
