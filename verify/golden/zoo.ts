/** The model zoo: ViT/DeiT shapes at 224². Swin will add a second family. */

export interface VitConfig {
  family: 'vit';
  name: string;
  imageSize: number;
  patchSize: number;
  inChannels: number;
  embedDim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  numClasses: number;
}

const vit = (name: string, embedDim: number, depth: number, heads: number): VitConfig => ({
  family: 'vit',
  name,
  imageSize: 224,
  patchSize: 16,
  inChannels: 3,
  embedDim,
  depth,
  heads,
  mlpDim: 4 * embedDim,
  numClasses: 1000,
});

export const ZOO: Readonly<Record<string, VitConfig>> = Object.freeze({
  'vit-s-16': vit('vit-s-16', 384, 12, 6),
  'vit-b-16': vit('vit-b-16', 768, 12, 12),
  'deit-t': vit('deit-t', 192, 12, 3),
  'deit-s': vit('deit-s', 384, 12, 6),
  'deit-b': vit('deit-b', 768, 12, 12),
});

export const ZOO_NAMES = Object.keys(ZOO);

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

export function zooConfig(name: string): VitConfig {
  const c = ZOO[name.toLowerCase()];
  if (!c) throw new ModelConfigError(`unknown model "${name}" (expected one of ${ZOO_NAMES.join(', ')})`);
  return c;
}

/** Shapes derived from a config; rejects configurations the integer pipeline cannot run. */
export function vitShape(c: VitConfig): { patches: number; tokens: number; headDim: number; patchVector: number } {
  const ints: Array<[string, number]> = [
    ['imageSize', c.imageSize],
    ['patchSize', c.patchSize],
    ['inChannels', c.inChannels],
    ['embedDim', c.embedDim],
    ['depth', c.depth],
    ['heads', c.heads],
    ['mlpDim', c.mlpDim],
    ['numClasses', c.numClasses],
  ];
  for (const [k, v] of ints) if (!Number.isSafeInteger(v) || v < 1) throw new ModelConfigError(`${c.name}: ${k} must be a positive integer, got ${v}`);
  if (c.imageSize % c.patchSize !== 0) throw new ModelConfigError(`${c.name}: image size ${c.imageSize} is not a multiple of patch size ${c.patchSize}`);
  if (c.embedDim % c.heads !== 0) throw new ModelConfigError(`${c.name}: width ${c.embedDim} is not divisible by ${c.heads} heads`);
  const side = c.imageSize / c.patchSize;
  return { patches: side * side, tokens: side * side + 1, headDim: c.embedDim / c.heads, patchVector: c.inChannels * c.patchSize * c.patchSize };
}

/** Swin Transformer (hierarchical, windowed attention). Stage s has width embedDim·2^s at resolution (imageSize/patchSize)/2^s. */
export interface SwinConfig {
  family: 'swin';
  name: string;
  imageSize: number;
  patchSize: number;
  inChannels: number;
  embedDim: number;
  depths: readonly number[];
  heads: readonly number[];
  windowSize: number;
  mlpRatio: number;
  numClasses: number;
}

const swin = (name: string, embedDim: number, depths: number[], heads: number[]): SwinConfig => ({
  family: 'swin',
  name,
  imageSize: 224,
  patchSize: 4,
  inChannels: 3,
  embedDim,
  depths: Object.freeze(depths),
  heads: Object.freeze(heads),
  windowSize: 7,
  mlpRatio: 4,
  numClasses: 1000,
});

export const SWIN_ZOO: Readonly<Record<string, SwinConfig>> = Object.freeze({
  'swin-t': swin('swin-t', 96, [2, 2, 6, 2], [3, 6, 12, 24]),
  'swin-s': swin('swin-s', 96, [2, 2, 18, 2], [3, 6, 12, 24]),
  'swin-b': swin('swin-b', 128, [2, 2, 18, 2], [4, 8, 16, 32]),
});

export const SWIN_ZOO_NAMES = Object.keys(SWIN_ZOO);

export function isSwinName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SWIN_ZOO, name.toLowerCase());
}

export function swinConfig(name: string): SwinConfig {
  const c = SWIN_ZOO[name.toLowerCase()];
  if (!c) throw new ModelConfigError(`unknown Swin model "${name}" (expected one of ${SWIN_ZOO_NAMES.join(', ')})`);
  return c;
}

export interface SwinStageShape {
  /** Tokens per side at this stage (before its blocks; patch merging happens between stages). */
  side: number;
  dim: number;
  heads: number;
  headDim: number;
  depth: number;
  /** Effective window side: min(windowSize, side), as the reference implementation clamps it. */
  window: number;
  windowTokens: number;
  windows: number;
  /** Cyclic shift of the odd blocks; 0 when one window covers the stage. */
  shift: number;
  mlpDim: number;
}

/** Per-stage shapes derived once from a config; rejects configurations the windowed pipeline cannot run. */
export function swinShape(c: SwinConfig): { stages: SwinStageShape[]; patchVector: number; finalDim: number } {
  const ints: Array<[string, number]> = [
    ['imageSize', c.imageSize],
    ['patchSize', c.patchSize],
    ['inChannels', c.inChannels],
    ['embedDim', c.embedDim],
    ['windowSize', c.windowSize],
    ['mlpRatio', c.mlpRatio],
    ['numClasses', c.numClasses],
  ];
  for (const [k, v] of ints) if (!Number.isSafeInteger(v) || v < 1) throw new ModelConfigError(`${c.name}: ${k} must be a positive integer, got ${v}`);
  if (c.depths.length === 0 || c.depths.length !== c.heads.length)
    throw new ModelConfigError(`${c.name}: depths (${c.depths.length}) and heads (${c.heads.length}) must name the same number of stages`);
  if (c.imageSize % c.patchSize !== 0) throw new ModelConfigError(`${c.name}: image size ${c.imageSize} is not a multiple of patch size ${c.patchSize}`);
  const stages: SwinStageShape[] = [];
  let side = c.imageSize / c.patchSize;
  for (let s = 0; s < c.depths.length; s++) {
    const depth = c.depths[s]!;
    const heads = c.heads[s]!;
    const dim = c.embedDim * 2 ** s;
    if (!Number.isSafeInteger(depth) || depth < 1) throw new ModelConfigError(`${c.name}: stage ${s} depth must be a positive integer, got ${depth}`);
    if (!Number.isSafeInteger(heads) || heads < 1 || dim % heads !== 0)
      throw new ModelConfigError(`${c.name}: stage ${s} width ${dim} is not divisible by ${heads} heads`);
    if (s > 0) {
      if (side % 2 !== 0) throw new ModelConfigError(`${c.name}: stage ${s} patch merging needs an even side, got ${side}`);
      side /= 2;
    }
    const window = Math.min(c.windowSize, side);
    if (side % window !== 0) throw new ModelConfigError(`${c.name}: stage ${s} side ${side} is not a multiple of window ${window}`);
    const shift = window < side ? Math.floor(window / 2) : 0;
    stages.push({
      side,
      dim,
      heads,
      headDim: dim / heads,
      depth,
      window,
      windowTokens: window * window,
      windows: (side / window) ** 2,
      shift,
      mlpDim: c.mlpRatio * dim,
    });
  }
  return { stages, patchVector: c.inChannels * c.patchSize * c.patchSize, finalDim: stages[stages.length - 1]!.dim };
}
