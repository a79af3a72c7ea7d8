/** `--shard I/N` (1-based: I in 1..N), shared by ivit sweep and ivit eval; docs/scale-out.md. */
import type { Shard } from '../programs/flows/shard.js';
import { UserError } from './errors.js';

export const SHARD_HELP = 'run only the I-th of N deterministic slices (1-based, 1 ≤ I ≤ N); join the outputs with the merge subcommand';

export function parseShard(v: string | undefined): Shard | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new UserError(`--shard must be I/N with whole numbers, 1 ≤ I ≤ N (e.g. 1/4), got "${v}"`);
  const index = Number(m[1]);
  const of = Number(m[2]);
  if (of < 1 || of > 100000) throw new UserError(`--shard ${v}: N must be in 1..100000`);
  if (index < 1 || index > of) throw new UserError(`--shard ${v}: I must be in 1..${of} (shards are numbered from 1)`);
  return { index, of };
}
