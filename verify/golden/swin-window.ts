/**
 * Swin window geometry (numerics.md, "Swin window geometry"): the index arithmetic of windowed attention, shifted
 * windows and patch merging as pure integer functions, one home for the golden model and the compiler's DMA
 * addressing. Tokens of a stage are a side×side grid in row-major order (token t = row·side + col).
 *
 * A token order is a gather: `order[k]` is the input token that lands at output position k, so
 * `out[k] = in[order[k]]` (applyOrder). Orders compose and invert (composeOrders, invertOrder).
 */

/** A gather permutation of tokens: output position k takes input token order[k]. */
export type TokenOrder = Int32Array;

function checkPositive(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`swin-window: ${name} must be a positive integer, got ${v}`);
}

function checkGrid(side: number, window: number): void {
  checkPositive('side', side);
  checkPositive('window', window);
  if (side % window !== 0) throw new RangeError(`swin-window: side ${side} is not a multiple of window ${window}`);
}

function checkShift(window: number, shift: number): void {
  if (!Number.isSafeInteger(shift) || shift < 0 || shift >= window)
    throw new RangeError(`swin-window: shift must be an integer in [0, window ${window}), got ${shift}`);
}

/** Non-negative remainder (JS % keeps the sign of the dividend). */
const mod = (a: number, n: number): number => ((a % n) + n) % n;

/**
 * The relative-position index of a window×window window: entry [i·w² + j] (query token i, key token j, both
 * row-major in the window) is the row of the (2w−1)² bias table, (Δrow + w−1)·(2w−1) + (Δcol + w−1) with
 * Δ = coord(i) − coord(j), as the Swin reference builds relative_position_index.
 */
export function relativePositionIndex(window: number): Int32Array {
  checkPositive('window', window);
  const n = window * window;
  const span = 2 * window - 1;
  const index = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = Math.floor(i / window);
    const ci = i % window;
    for (let j = 0; j < n; j++) {
      const rj = Math.floor(j / window);
      const cj = j % window;
      index[i * n + j] = (ri - rj + window - 1) * span + (ci - cj + window - 1);
    }
  }
  return index;
}

/**
 * torch.roll(x, shifts=(−shift, −shift), dims=(H, W)) as a gather: output token (i, j) is input token
 * ((i + shift) mod side, (j + shift) mod side). The block's shift before windowed attention.
 */
export function cyclicShiftOrder(side: number, shift: number): TokenOrder {
  return rollOrder(side, shift);
}

/** The inverse roll, torch.roll by (+shift, +shift): output (i, j) is input ((i − shift) mod side, (j − shift) mod side). */
export function cyclicUnshiftOrder(side: number, shift: number): TokenOrder {
  return rollOrder(side, -shift);
}

function rollOrder(side: number, offset: number): TokenOrder {
  checkPositive('side', side);
  if (!Number.isSafeInteger(offset)) throw new RangeError(`swin-window: shift must be an integer, got ${offset}`);
  const order = new Int32Array(side * side);
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) order[i * side + j] = mod(i + offset, side) * side + mod(j + offset, side);
  return order;
}

/**
 * The reference's window_partition as a gather: windows in row-major order over the (side/window)² window grid,
 * tokens row-major within each window. Output position (windowIndex·w² + r·w + c) takes grid token
 * (windowRow·w + r, windowCol·w + c).
 */
export function windowPartitionOrder(side: number, window: number): TokenOrder {
  checkGrid(side, window);
  const perSide = side / window;
  const n = window * window;
  const order = new Int32Array(side * side);
  for (let wr = 0; wr < perSide; wr++)
    for (let wc = 0; wc < perSide; wc++)
      for (let r = 0; r < window; r++)
        for (let c = 0; c < window; c++) order[(wr * perSide + wc) * n + r * window + c] = (wr * window + r) * side + wc * window + c;
  return order;
}

/** window_reverse as a gather: the window-major sequence back to the row-major grid (the inverse of windowPartitionOrder). */
export function windowReverseOrder(side: number, window: number): TokenOrder {
  return invertOrder(windowPartitionOrder(side, window));
}

/** The inverse permutation: invertOrder(o)[o[k]] = k. Rejects an order that is not a permutation. */
export function invertOrder(order: TokenOrder): TokenOrder {
  const inv = new Int32Array(order.length).fill(-1);
  for (let k = 0; k < order.length; k++) {
    const t = order[k]!;
    if (t < 0 || t >= order.length || inv[t] !== -1) throw new RangeError(`swin-window: order is not a permutation (entry ${k} = ${t})`);
    inv[t] = k;
  }
  return inv;
}

/** Gather `first`, then gather `second` from its result, as one order: composeOrders(a, b)[k] = a[b[k]]. */
export function composeOrders(first: TokenOrder, second: TokenOrder): TokenOrder {
  if (first.length !== second.length) throw new RangeError(`swin-window: cannot compose orders of ${first.length} and ${second.length} tokens`);
  const out = new Int32Array(second.length);
  for (let k = 0; k < second.length; k++) out[k] = first[second[k]!]!;
  return out;
}

/** out[k] = values[order[k]], for any per-token array (token ids, rows of a tensor by reference). */
export function applyOrder<T>(order: TokenOrder, values: ArrayLike<T>): T[] {
  if (order.length !== values.length) throw new RangeError(`swin-window: order of ${order.length} tokens applied to ${values.length} values`);
  return Array.from(order, (t) => values[t]!);
}

/**
 * The gather that feeds a block's windowed attention: cyclic shift (when shift > 0), then window partition.
 * Output position windowIndex·w² + t takes grid token shiftedWindowOrder[...]; its inverse writes the attention
 * output back to the row-major grid (window_reverse, then the inverse roll).
 */
export function shiftedWindowOrder(side: number, window: number, shift: number): TokenOrder {
  checkGrid(side, window);
  checkShift(window, shift);
  return composeOrders(cyclicShiftOrder(side, shift), windowPartitionOrder(side, window));
}

/** Region of one coordinate of the shifted grid: the reference's slices (0, −w), (−w, −s), (−s, None). */
function region(coord: number, side: number, window: number, shift: number): number {
  if (coord < side - window) return 0;
  if (coord < side - shift) return 1;
  return 2;
}

/**
 * The shifted-window attention mask's region ids, per window (window-major as windowPartitionOrder), per token
 * (row-major in the window): 3·rowRegion + colRegion, each region from the slices (0, −w), (−w, −s), (−s, None)
 * of the shifted grid, as the reference fills img_mask. Shift 0 (the reference builds no mask) gives all zeros.
 */
export function shiftedWindowMaskRegions(side: number, window: number, shift: number): Uint8Array[] {
  checkGrid(side, window);
  checkShift(window, shift);
  const perSide = side / window;
  const windows: Uint8Array[] = [];
  for (let wr = 0; wr < perSide; wr++)
    for (let wc = 0; wc < perSide; wc++) {
      const ids = new Uint8Array(window * window);
      if (shift > 0)
        for (let r = 0; r < window; r++)
          for (let c = 0; c < window; c++)
            ids[r * window + c] = 3 * region(wr * window + r, side, window, shift) + region(wc * window + c, side, window, shift);
      windows.push(ids);
    }
  return windows;
}

/**
 * Per window, a w²×w² matrix (entry [i·w² + j], query i, key j) of 1 where the two tokens' regions differ: the
 * pairs the reference masks with −100, whose logits the integer model saturates to the lower clamp before Shiftmax.
 * All zero when shift is 0.
 */
export function maskedPairs(side: number, window: number, shift: number): Uint8Array[] {
  const n = window * window;
  return shiftedWindowMaskRegions(side, window, shift).map((ids) => {
    const m = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = ids[i] !== ids[j] ? 1 : 0;
    return m;
  });
}

/**
 * PatchMerging's 2×2 gather: for output token (i, j) of the (side/2)² grid (row-major), entries [k·4 + q] are the
 * input tokens in the reference's concat order x0 = (2i, 2j), x1 = (2i+1, 2j), x2 = (2i, 2j+1), x3 = (2i+1, 2j+1)
 * (x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2] over (H, W)); the merged vector is their channels concatenated.
 */
export function patchMergeOrder(side: number): Int32Array {
  checkPositive('side', side);
  if (side % 2 !== 0) throw new RangeError(`swin-window: patch merging needs an even side, got ${side}`);
  const half = side / 2;
  const order = new Int32Array(half * half * 4);
  const offsets: ReadonlyArray<readonly [number, number]> = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  for (let i = 0; i < half; i++)
    for (let j = 0; j < half; j++)
      offsets.forEach(([dr, dc], q) => {
        order[(i * half + j) * 4 + q] = (2 * i + dr) * side + 2 * j + dc;
      });
  return order;
}
