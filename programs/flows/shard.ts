/**
 * Deterministic slices of a list for scale-out: shard I of N (1-based, 1 ≤ I ≤ N) holds the contiguous items
 * ⌊(I − 1)·total/N⌋ .. ⌊I·total/N⌋ − 1, so the shards in index order are the whole list in its own order and
 * joining their outputs end to end gives the unsharded output. A shard may be empty (N > total).
 */

export interface Shard {
  /** 1-based */
  index: number;
  of: number;
}

export interface ShardRange {
  /** 0-based index of the shard's first item in the whole list */
  first: number;
  count: number;
}

export function shardRange(total: number, s: Shard): ShardRange {
  const first = Math.floor(((s.index - 1) * total) / s.of);
  const end = Math.floor((s.index * total) / s.of);
  return { first, count: end - first };
}

/** Why a set of shard descriptions does not make one whole run, or undefined when it does. */
export function shardSetProblem(shards: ReadonlyArray<Shard & ShardRange & { total: number; name: string }>): string | undefined {
  if (shards.length === 0) return 'no shards given';
  const { of, total } = shards[0]!;
  const other = shards.find((s) => s.of !== of || s.total !== total);
  if (other) return `${other.name} is shard ${other.index}/${other.of} of ${other.total} items, ${shards[0]!.name} is ${shards[0]!.index}/${of} of ${total}`;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const dup = seen.get(s.index);
    if (dup !== undefined) return `${s.name} and ${dup} are both shard ${s.index}/${of} (overlapping shards)`;
    seen.set(s.index, s.name);
    const want = shardRange(total, s);
    if (s.first !== want.first || s.count !== want.count)
      return `${s.name}: shard ${s.index}/${of} should hold items ${want.first}..${want.first + want.count - 1}, it holds ${s.count} from ${s.first}`;
  }
  const missing = Array.from({ length: of }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) return `missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${of}`;
  return undefined;
}
