/**
 * Resolve "--model <zoo name | file>" to a quantised model: a zoo name gives the seeded synthetic model
 * (cached on disk, keyed by name, seed and generator version), anything else is read as a model file.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZOO, zooConfig } from '../golden/zoo.js';
import type { QuantModel } from '../golden/qmodel.js';
import { readModel, writeModel } from './qmodel-file.js';
import { generateSyntheticModel } from './synthetic.js';

/** Bump when the generator's output changes, so stale cached models are not reused. */
export const GENERATOR_VERSION = 3; // 2: model files carry tensor digests; 3: and the FQ-ViT fields

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function modelCacheDir(): string {
  return process.env.IVIT_CACHE ?? join(repoRoot, '.cache', 'models');
}

export function isZooName(spec: string): boolean {
  return Object.hasOwn(ZOO, spec.toLowerCase());
}

export interface LoadedModel {
  model: QuantModel;
  /** where it came from, for reports */
  source: string;
}

export function loadModel(spec: string, seed: number, opts: { cache?: boolean } = {}): LoadedModel {
  if (!isZooName(spec)) {
    if (!existsSync(spec)) zooConfig(spec); // throws "unknown model ..." naming the zoo
    return { model: readModel(spec), source: spec };
  }
  const config = zooConfig(spec);
  if (opts.cache === false) return { model: generateSyntheticModel(config, seed), source: `${config.name} (synthetic, seed ${seed})` };
  const file = join(modelCacheDir(), `${config.name}-seed${seed}-g${GENERATOR_VERSION}.safetensors`);
  if (existsSync(file)) return { model: readModel(file), source: `${config.name} (synthetic, seed ${seed}, cached)` };
  const model = generateSyntheticModel(config, seed);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeModel(tmp, model);
  renameSync(tmp, file); // atomic: parallel runs never see a half-written file
  return { model, source: `${config.name} (synthetic, seed ${seed})` };
}
