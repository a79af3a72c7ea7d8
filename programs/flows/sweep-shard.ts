/**
 * Sharded sweeps: a shard's CSV is the unsharded sweep's CSV of its slice of the configurations (shard.ts),
 * under one comment line that names the shard and the whole sweep:
 *
 *   # ivit-sweep-shard {"format":1,"shard":2,"of":4,"first":2,"count":2,"total":8,"fingerprint":"…"}
 *
 * The fingerprint is a hash of everything that decides the rows (the model, the full list of configurations,
 * the area mode, the columns), so shards of different sweeps never merge. Merging checks the shards make one
 * whole sweep and writes the header once, then each shard's rows in shard order: byte for byte the CSV the
 * unsharded sweep writes.
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { AcceleratorConfig } from '../../sim/config.js';
import { type ShardRange, shardSetProblem } from './shard.js';
import { SWEEP_COLUMNS } from './sweep-point.js';

const MARK = '# ivit-sweep-shard ';
const FORMAT = 1;

export interface SweepShardHeader extends ShardRange {
  format: number;
  /** 1-based, as --shard gives it */
  shard: number;
  of: number;
  total: number;
  fingerprint: string;
}

/** Bad shard files: the CLI reports these as one line, exit 2. */
export class SweepMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepMergeError';
  }
}

export function sweepFingerprint(model: string, configs: readonly AcceleratorConfig[], area: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ model, configs, area, columns: SWEEP_COLUMNS }))
    .digest('hex')
    .slice(0, 32);
}

export function shardCsv(header: Omit<SweepShardHeader, 'format'>, csv: string): string {
  const h: SweepShardHeader = { format: FORMAT, ...header };
  return `${MARK}${JSON.stringify(h)}\n${csv}`;
}

interface ParsedShard extends SweepShardHeader {
  name: string;
  columns: string;
  body: string;
}

function parseShard(name: string, text: string): ParsedShard {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (!first.startsWith(MARK)) throw new SweepMergeError(`${name}: not a sweep shard (no "${MARK.trim()}" first line; run ivit sweep --shard I/N)`);
  let h: SweepShardHeader;
  try {
    h = JSON.parse(first.slice(MARK.length)) as SweepShardHeader;
  } catch {
    throw new SweepMergeError(`${name}: the shard line is not valid JSON`);
  }
  const ints = [h.shard, h.of, h.first, h.count, h.total];
  if (h.format !== FORMAT || !ints.every((v) => Number.isInteger(v)) || typeof h.fingerprint !== 'string')
    throw new SweepMergeError(`${name}: the shard line is not an ivit sweep shard of format ${FORMAT}`);
  const csv = text.slice(nl + 1);
  const cut = csv.indexOf('\n');
  if (cut < 0) throw new SweepMergeError(`${name}: no CSV header after the shard line`);
  const columns = csv.slice(0, cut);
  const body = csv.slice(cut + 1);
  let records: unknown[];
  try {
    records = parse(body, { relax_column_count: true }) as unknown[];
  } catch (e) {
    throw new SweepMergeError(`${name}: malformed CSV: ${(e as Error).message.split('\n')[0]}`);
  }
  if (records.length !== h.count) throw new SweepMergeError(`${name}: ${records.length} rows, its shard line says ${h.count} (a truncated file?)`);
  return { ...h, name, columns, body };
}

/** One CSV from the shards' texts, equal to the unsharded sweep's; a SweepMergeError when they do not make one sweep. */
export function mergeSweepShards(files: ReadonlyArray<{ name: string; text: string }>): string {
  const shards = files.map((f) => parseShard(f.name, f.text));
  if (shards.length === 0) throw new SweepMergeError('no shard files given');
  const a = shards[0]!;
  const other = shards.find((s) => s.fingerprint !== a.fingerprint);
  if (other) throw new SweepMergeError(`${other.name} and ${a.name} are shards of different sweeps (other model, configuration lists or --area)`);
  const problem = shardSetProblem(shards.map((s) => ({ index: s.shard, of: s.of, first: s.first, count: s.count, total: s.total, name: s.name })));
  if (problem) throw new SweepMergeError(problem);
  const columns = shards.find((s) => s.columns !== a.columns);
  if (columns) throw new SweepMergeError(`${columns.name} and ${a.name} have different CSV columns`);
  return `${a.columns}\n${[...shards]
    .sort((x, y) => x.shard - y.shard)
    .map((s) => s.body)
    .join('')}`;
}
