/**
 * Tiling and on-chip memory plan. The scratchpad holds three pools: weight tiles (W output channels × K),
 * row tiles (T tokens × a full row of any activation), and tables (a layer's per-channel requant pairs,
 * LayerNorm pairs and biases, per-tensor pairs). Tables live apart from the weights so that a weight slot is
 * free for the next prefetch as soon as the array is done with it, not when the SDU has requantised. The accumulator buffer is a pool of C tiles (T × W results plus
 * the bias slice they start from). Slots are rounded to whole banks where they are at least a bank, so two
 * slots never share a bank lock. T is the largest row tile that fits, then balanced over the tokens.
 */
import type { AcceleratorConfig } from '../../sim/config.js';
import { CompileError } from './errors.js';
import type { GraphNode, VitGraph } from '../graph/graph.js';
import { vitShape } from '../../verify/golden/zoo.js';

export interface MemoryPlan {
  /** token rows per row tile, and the tiles' first rows */
  rowTile: number;
  rowTiles: Array<{ r0: number; rows: number }>;
  /** query rows per attention tile */
  attnTile: number;
  spad: { weight: PoolSpec; row: PoolSpec; table: PoolSpec };
  acc: PoolSpec;
  /** a layer's whole bias row, loaded once per row tile (absent on small accumulators: then each C tile carries its bias slice) */
  bias: PoolSpec | undefined;
  /** output channels per weight tile for an input width K and a tile of `rows` rows */
  colTile(k: number, rows: number): number;
  /** why the plan has these tiles and slots, one line each, naming the resource that limits each choice */
  reasons: string[];
}

export interface PoolSpec {
  base: number;
  slotSize: number;
  count: number;
}

const MAX_ROW_TILE = 64;

/**
 * The longest row tile the plan tries. A weight-stationary fold cannot start before the previous one has had 2R
 * cycles to refill the shadow weights, so a tile shorter than 2R rows leaves the array idle (R = 32 and 50-row
 * tiles: 64 cycles a fold for 50 rows); on tall arrays the limit grows to the shortest balanced tile of ≥ 2R rows.
 */
export function maxRowTile(tokens: number, cfg: AcceleratorConfig): number {
  if (cfg.array.dataflow !== 'ws') return MAX_ROW_TILE;
  const refill = 2 * cfg.array.rows;
  const balanced = Math.ceil(tokens / Math.max(1, Math.floor(tokens / refill)));
  return Math.min(tokens, Math.max(MAX_ROW_TILE, balanced));
}
const ROW_SLOTS = 10;
const MIN_ROW_SLOTS = 6;
const WEIGHT_SLOTS = 4;
const TABLE_SLOTS = 6;
/** weight and table pools to try, largest first: fewer prefetch slots before a shorter row tile */
const SMALLER_POOLS: ReadonlyArray<{ weight: number; table: number }> = [
  { weight: WEIGHT_SLOTS, table: 10 },
  { weight: WEIGHT_SLOTS, table: TABLE_SLOTS },
  { weight: 3, table: 4 },
  { weight: 3, table: 3 },
];
const ACC_SLOTS_MAX = 8;
const ACC_SLOTS_MIN = 3;

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;
const pow2AtLeast = (v: number): number => {
  let p = 64;
  while (p < v) p *= 2;
  return p;
};
/**
 * Buffers attention keeps alive at once (lower-attention.ts): K and V of up to two heads, the probabilities of up
 * to three skewed tiles, and Q, logits and output of the tile at hand. A plan with fewer is not tried (one that
 * passes can still run out, and the compiler then takes the next plan).
 */
function attentionBuffers(heads: number, tasks: number): number {
  return 2 * Math.min(2, heads) + Math.min(3, tasks) + 3;
}

/**
 * Every plan that fits the memories, best first: fewest row tiles (largest T), then most row slots, then the
 * largest prefetch pools. The lowering takes the first one whose schedule does not run out of slots.
 */
export function* planCandidates(g: VitGraph, cfg: AcceleratorConfig): Generator<MemoryPlan> {
  const { tokens, headDim, patchVector } = vitShape(g.config);
  const c = g.config.embedDim;
  const hidden = g.config.mlpDim;
  const classes = g.config.numClasses;
  const heads = g.config.heads;
  const spadBank = cfg.scratchpad.bytes / cfg.scratchpad.banks;
  const accBank = cfg.accumulator.words / cfg.accumulator.banks;
  const kMax = Math.max(patchVector, c, hidden);

  // Accumulator: bank-sized C slots (at least 3: one filling, one draining, one spare). When there are banks to
  // spare, the two top banks hold bias rows (one per layer and row tile, alternating banks so that loading the
  // next layer's bias never waits for the GEMMs reading the current one).
  const maxOut = Math.max(hidden, 3 * c, classes, c);
  const biasBanks = cfg.accumulator.banks >= 6 && accBank >= maxOut ? 2 : 0;
  const accCount = Math.max(ACC_SLOTS_MIN, Math.min(ACC_SLOTS_MAX, cfg.accumulator.banks - biasBanks));
  const cWords = cfg.accumulator.words - biasBanks * accBank;
  const evenSplit = Math.floor(cWords / accCount);
  const accSlot = evenSplit >= accBank ? evenSplit - (evenSplit % accBank) : evenSplit;
  const bias: PoolSpec | undefined = biasBanks ? { base: cWords, slotSize: accBank, count: biasBanks } : undefined;
  // the smallest GEMM tile: one row × one channel plus its bias; attention needs one query row of logits
  if (accSlot < Math.max(2, tokens)) {
    throw new CompileError(
      `accumulator buffer too small for the minimum tile: ${accCount} slots of ${accSlot} words, but one attention row needs ${tokens} words (${accCount * tokens} words in all)`,
    );
  }
  const attnTile = Math.max(1, Math.min(MAX_ROW_TILE, Math.floor(accSlot / tokens)));

  // a whole per-channel requant table of the widest layer, or a LayerNorm's pairs and biases
  // (one slot also holds every per-tensor pair of the model, resident for the whole program)
  const tableBytes = roundUp(Math.max(12 * c, 8 * Math.max(hidden, 3 * c, classes, c), 8 * residentPairCount(g.nodes), 64), 64);
  const weightSlotMin = kMax; // one output channel
  const rowBytes = (t: number, ta: number): number =>
    Math.max(t * hidden, t * 3 * c, t * 2 * c, t * patchVector, 4 * classes, tokens * headDim, ta * tokens * 2, ta * headDim * 2);
  // a slot of at least half a bank takes whole banks; a smaller one a power-of-two share of a bank, so that no
  // slot straddles a bank boundary and two slots never contend for one bank lock
  const fit = (bytes: number): number => {
    if (bytes > spadBank / 2) return roundUp(bytes, spadBank);
    let share = spadBank;
    while (share / 2 >= bytes && share / 2 >= 64) share /= 2;
    return share;
  };
  // the largest attention buffer: K or V of a head, a tile of int16 probabilities, int8 logits, or the output
  const attentionBytes = (ta: number): number => Math.max(tokens * headDim, ta * tokens * 2, ta * headDim * 4);
  // row slots: a bank each where the scratchpad has room (a large scratchpad has large banks, and row slots sharing
  // one bank would serialise the array, the SDU and the DMA on its lock), else bank shares, else packed
  type RowAlignment = 'bank' | 'share' | 'packed';
  const rowSlotBytes = (bytes: number, align: RowAlignment): number =>
    align === 'bank' ? roundUp(bytes, spadBank) : align === 'share' ? fit(bytes) : roundUp(bytes, 64);
  const fewest = Math.ceil(tokens / maxRowTile(tokens, cfg));
  const longest = Math.ceil(tokens / fewest); // the longest balanced tile
  const kib = (b: number): string =>
    b >= 1 << 20 && b % (1 << 20) === 0 ? `${b / (1 << 20)} MiB` : b >= 1024 ? `${b % 1024 === 0 ? b / 1024 : (b / 1024).toFixed(1)} KiB` : `${b} B`;
  // the least scratchpad a row tile of t tokens needs: the fewest slots, packed, the smallest prefetch pools
  const leastFor = (t: number): number =>
    3 * fit(Math.max(weightSlotMin, spadBank)) + MIN_ROW_SLOTS * roundUp(rowBytes(t, Math.min(attnTile, t)), 64) + 3 * tableBytes;
  const planReasons = (p: {
    t: number;
    rowSlots: number;
    rowSlot: number;
    align: RowAlignment;
    weightSlot: number;
    colTile: (k: number, rows: number) => number;
  }): string[] => {
    const R = cfg.array.rows;
    const tiles = Math.ceil(tokens / p.t);
    const lines: string[] = [];
    const tileLine = `row tiles: ${tiles} of ${p.t} tokens`;
    if (p.t >= longest)
      lines.push(
        `${tileLine}: the longest balanced tile the plan takes (${longest} tokens${cfg.array.dataflow === 'ws' && longest > MAX_ROW_TILE ? `, the shortest balanced tile of at least 2R = ${2 * R}` : ''})`,
      );
    else {
      const need = leastFor(longest);
      lines.push(
        need > cfg.scratchpad.bytes
          ? `${tileLine}: scratchpad: ${kib(cfg.scratchpad.bytes)} holds row tiles of ${p.t}; ${longest} need at least ${kib(need)}`
          : p.align !== 'packed'
            ? `${tileLine}: tiles of ${longest} fit ${kib(cfg.scratchpad.bytes)} only as packed slots sharing bank locks; bank-aligned slots come first`
            : `${tileLine}: longer tiles leave attention too few buffers or row slots in ${kib(cfg.scratchpad.bytes)}`,
      );
    }
    if (cfg.array.dataflow === 'ws' && p.t < 2 * R)
      lines.push(
        `array: a tile of ${p.t} rows is shorter than 2R = ${2 * R}: each weight-stationary fold waits ${2 * R} cycles for ${p.t} rows (${((100 * p.t) / (2 * R)).toFixed(0)}% streaming at best)`,
      );
    const alignText =
      p.align === 'bank'
        ? 'a bank each (no two share a bank lock)'
        : p.align === 'share'
          ? 'power-of-two shares of a bank'
          : `packed: a bank-aligned slot of ${kib(roundUp(rowBytes(p.t, Math.min(attnTile, p.t)), spadBank))} does not fit ${p.rowSlots}× in the scratchpad, so slots share bank locks`;
    lines.push(`row slots: ${p.rowSlots} × ${kib(p.rowSlot)}, ${alignText}`);
    const widths = [...new Set([c, hidden])];
    for (const k of widths) {
      const w = p.colTile(k, p.t);
      const byWeights = Math.floor(p.weightSlot / k);
      lines.push(
        `column tiles at K = ${k}: ${w} channels, limited by ${byWeights <= Math.floor(accSlot / (p.t + (bias ? 0 : 1))) ? `the weight slot (${kib(p.weightSlot)} / K)` : `the accumulator slot (${accSlot} words / ${p.t + (bias ? 0 : 1)} rows)`}`,
      );
    }
    return lines;
  };
  const tryPlan = (t: number, rowSlots: number, align: RowAlignment, pools: { weight: number; table: number }): MemoryPlan | undefined => {
    const ta = Math.min(attnTile, t);
    const weightSlot = fit(Math.max(weightSlotMin, spadBank));
    const rowSlot = rowSlotBytes(rowBytes(t, ta), align);
    const tableSlot = tableBytes;
    const total = pools.weight * weightSlot + rowSlots * rowSlot + pools.table * tableSlot;
    if (total > cfg.scratchpad.bytes) return undefined;
    // attention runs on the row slots (carved into shares when they are few): it needs ATTENTION_BUFFERS
    if (rowSlots * Math.max(1, Math.floor(rowSlot / pow2AtLeast(attentionBytes(ta)))) < attentionBuffers(heads, heads * Math.ceil(tokens / ta)))
      return undefined;
    const weightBase = 0;
    const rowBase = pools.weight * weightSlot;
    const tableBase = rowBase + rowSlots * rowSlot;
    const balanced = t;
    const colTile = (k: number, rows: number): number => {
      const byWeights = Math.floor(weightSlot / k);
      const byAcc = Math.floor(accSlot / (rows + (bias ? 0 : 1)));
      const w = Math.min(byWeights, byAcc);
      return w >= 16 ? w - (w % 16) : w;
    };
    const reasons = planReasons({ t, rowSlots, rowSlot, align, weightSlot, colTile });
    const rowTiles: MemoryPlan['rowTiles'] = [];
    for (let r0 = 0; r0 < tokens; r0 += balanced) rowTiles.push({ r0, rows: Math.min(balanced, tokens - r0) });
    return {
      rowTile: balanced,
      rowTiles,
      attnTile: ta,
      spad: {
        weight: { base: weightBase, slotSize: weightSlot, count: pools.weight },
        row: { base: rowBase, slotSize: rowSlot, count: rowSlots },
        table: { base: tableBase, slotSize: tableSlot, count: pools.table },
      },
      acc: { base: 0, slotSize: accSlot, count: accCount },
      bias,
      colTile,
      reasons,
    };
  };
  // balanced row tiles: the fewest tiles (largest T ≤ maxRowTile) whose slots fit, bank-aligned slots before
  // packed ones; first only tiles of at least 2R rows (WS: shorter ones idle the array), then any
  let yielded = false;
  const longEnough = cfg.array.dataflow === 'ws' ? Math.floor(tokens / (2 * cfg.array.rows)) : 0;
  const passes: Array<[number, number]> =
    longEnough >= fewest
      ? [
          [fewest, longEnough],
          [fewest, tokens],
        ]
      : [[fewest, tokens]];
  for (const [firstCount, lastCount] of passes)
    for (const align of ['bank', 'share', 'packed'] as const) {
      for (let count = firstCount; count <= lastCount; count++) {
        for (let slots = ROW_SLOTS; slots >= MIN_ROW_SLOTS; slots--) {
          for (const pools of SMALLER_POOLS) {
            const p = tryPlan(Math.ceil(tokens / count), slots, align, pools);
            if (p) {
              yielded = true;
              yield p;
            }
          }
        }
      }
    }
  if (yielded) return;
  const minWeightSlot = fit(Math.max(weightSlotMin, spadBank));
  const minRowSlot = roundUp(rowBytes(1, 1), 64);
  const minBuffers = attentionBuffers(heads, heads * tokens);
  const minRows = Math.max(MIN_ROW_SLOTS * minRowSlot, minBuffers * pow2AtLeast(attentionBytes(1)));
  const need = 3 * minWeightSlot + minRows + 3 * tableBytes;
  throw new CompileError(
    `scratchpad too small for the minimum tile: ${g.config.name} needs at least ${need} bytes ` +
      `(3 weight slots of ${minWeightSlot} B, ${minRows} B of one-token row slots (${MIN_ROW_SLOTS} rows, ${minBuffers} attention buffers), ` +
      `3 table slots of ${tableBytes} B); the scratchpad has ${cfg.scratchpad.bytes} bytes`,
  );
}

/** How many per-tensor pairs the lowering of these nodes asks for (must match the pairs() calls). */
export function residentPairCount(nodes: readonly GraphNode[]): number {
  let n = 0;
  for (const node of nodes) {
    if (node.op === 'residual' || node.op === 'attention_scores') n += 2;
    else if (node.op === 'shiftgelu' || (node.op === 'linear' && !node.requant)) n += 1;
  }
  return n;
}
