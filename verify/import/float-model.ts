/**
 * A float ViT/DeiT as a checkpoint holds it, in the golden model's layout: every weight float32, linear
 * weights [out × in], the patch convolution flattened (in-channel, ky, kx) like QuantModel.patch, qkv rows
 * ordered q, k, v × heads × head dim. The readers (state dicts, ONNX) produce it; calibration consumes it.
 */
import type { Preprocess } from '../golden/qmodel.js';
import { type VitConfig, vitShape } from '../golden/zoo.js';

export interface FloatLinear {
  outFeatures: number;
  inFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
}

export interface FloatLayerNorm {
  gamma: Float32Array;
  beta: Float32Array;
  eps: number;
}

export interface FloatBlock {
  norm1: FloatLayerNorm;
  qkv: FloatLinear;
  proj: FloatLinear;
  norm2: FloatLayerNorm;
  fc1: FloatLinear;
  fc2: FloatLinear;
}

export interface FloatVit {
  config: VitConfig;
  patch: FloatLinear;
  cls: Float32Array; // [C]
  pos: Float32Array; // [tokens × C]; added to the class token too
  blocks: FloatBlock[];
  norm: FloatLayerNorm;
  head: FloatLinear;
  /** the checkpoint's own input normalisation, when it records one */
  preprocess?: Preprocess;
}

/** The error of a checkpoint that cannot be imported; the message names the file and the tensor or node. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Check that every tensor of a FloatVit has the size its config gives (a reader's last line of defence). */
export function checkFloatVit(m: FloatVit, source: string): void {
  const c = m.config;
  const { tokens, patchVector } = vitShape(c);
  const fail = (what: string, n: number, want: number): never => {
    throw new CheckpointError(`${source}: ${what} has ${n} values, expected ${want}`);
  };
  const finite = (what: string, a: Float32Array): void => {
    const i = a.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new CheckpointError(`${source}: ${what}[${i}] = ${a[i]} is not finite`);
  };
  const lin = (what: string, l: FloatLinear, outF: number, inF: number): void => {
    finite(`${what} weight`, l.weight);
    finite(`${what} bias`, l.bias);
    if (l.outFeatures !== outF || l.inFeatures !== inF)
      throw new CheckpointError(`${source}: ${what} is ${l.outFeatures}×${l.inFeatures}, expected ${outF}×${inF}`);
    if (l.weight.length !== outF * inF) fail(`${what} weight`, l.weight.length, outF * inF);
    if (l.bias.length !== outF) fail(`${what} bias`, l.bias.length, outF);
  };
  const ln = (what: string, n: FloatLayerNorm): void => {
    finite(`${what} weight`, n.gamma);
    finite(`${what} bias`, n.beta);
    if (n.gamma.length !== c.embedDim) fail(`${what} weight`, n.gamma.length, c.embedDim);
    if (n.beta.length !== c.embedDim) fail(`${what} bias`, n.beta.length, c.embedDim);
  };
  lin('patch embedding', m.patch, c.embedDim, patchVector);
  if (m.cls.length !== c.embedDim) fail('class token', m.cls.length, c.embedDim);
  finite('class token', m.cls);
  finite('position embedding', m.pos);
  if (m.pos.length !== tokens * c.embedDim) fail('position embedding', m.pos.length, tokens * c.embedDim);
  if (m.blocks.length !== c.depth) throw new CheckpointError(`${source}: ${m.blocks.length} blocks, config says ${c.depth}`);
  m.blocks.forEach((b, i) => {
    ln(`block ${i} norm1`, b.norm1);
    lin(`block ${i} qkv`, b.qkv, 3 * c.embedDim, c.embedDim);
    lin(`block ${i} proj`, b.proj, c.embedDim, c.embedDim);
    ln(`block ${i} norm2`, b.norm2);
    lin(`block ${i} fc1`, b.fc1, c.mlpDim, c.embedDim);
    lin(`block ${i} fc2`, b.fc2, c.embedDim, c.mlpDim);
  });
  ln('final norm', m.norm);
  lin('head', m.head, c.numClasses, c.embedDim);
}
