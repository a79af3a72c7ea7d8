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
