/**
 * Swin window geometry (verify/golden/swin-window.ts): round trips, the relative-position index's range and
 * symmetry, region and mask counts derived from the slices, a tiny case written out by hand, and (where
 * /usr/bin/python3 has torch, or IVIT_REQUIRE_TORCH=1) a comparison with torch.roll, the reference's
 * window_partition, relative_position_index, attention-mask and PatchMerging constructions run in Python.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import {
  applyOrder,
  composeOrders,
  cyclicShiftOrder,
  cyclicUnshiftOrder,
  invertOrder,
  maskedPairs,
  patchMergeOrder,
  relativePositionIndex,
  shiftedWindowMaskRegions,
  shiftedWindowOrder,
  windowPartitionOrder,
  windowReverseOrder,
} from '../../verify/golden/swin-window.js';
import { SWIN_ZOO_NAMES, swinConfig, swinShape } from '../../verify/golden/zoo.js';

const identity = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const list = (a: ArrayLike<number>): number[] => Array.from(a);

describe('Swin window geometry', () => {
  it('the hand-checked case: side 4, window 2, shift 1', () => {
    assert.deepEqual(list(cyclicShiftOrder(4, 1)), [5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0]);
    assert.deepEqual(list(cyclicUnshiftOrder(4, 1)), [15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10]);
    assert.deepEqual(list(windowPartitionOrder(4, 2)), [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
    assert.deepEqual(list(shiftedWindowOrder(4, 2, 1)), [5, 6, 9, 10, 7, 4, 11, 8, 13, 14, 1, 2, 15, 12, 3, 0]);
    assert.deepEqual(shiftedWindowMaskRegions(4, 2, 1).map(list), [
      [0, 0, 0, 0],
      [1, 2, 1, 2],
      [3, 3, 6, 6],
      [4, 5, 7, 8],
    ]);
    const m = maskedPairs(4, 2, 1).map(list);
    assert.deepEqual(m[0], new Array(16).fill(0));
    assert.deepEqual(m[1], [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0]);
    assert.deepEqual(m[2], [0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);
    assert.deepEqual(m[3], [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0]);
    assert.deepEqual(list(relativePositionIndex(2)), [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]);
    assert.deepEqual(list(patchMergeOrder(4)), [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]);
  });

  it('shift then unshift, and partition then reverse, are the identity; composed orders invert', () => {
    for (const [side, window] of [
      [4, 2],
      [8, 4],
      [14, 7],
      [56, 7],
      [7, 7],
    ] as const) {
      const n = side * side;
      assert.deepEqual(list(composeOrders(windowPartitionOrder(side, window), windowReverseOrder(side, window))), identity(n));
      assert.deepEqual(list(composeOrders(windowReverseOrder(side, window), windowPartitionOrder(side, window))), identity(n));
      for (let shift = 0; shift < window; shift++) {
        assert.deepEqual(list(composeOrders(cyclicShiftOrder(side, shift), cyclicUnshiftOrder(side, shift))), identity(n), `side ${side} shift ${shift}`);
        assert.deepEqual(list(invertOrder(cyclicShiftOrder(side, shift))), list(cyclicUnshiftOrder(side, shift)));
        const gather = shiftedWindowOrder(side, window, shift);
        assert.deepEqual(list(composeOrders(gather, invertOrder(gather))), identity(n));
      }
      assert.deepEqual(list(cyclicShiftOrder(side, 0)), identity(n));
      assert.deepEqual(list(cyclicShiftOrder(side, side)), identity(n));
    }
    assert.deepEqual(applyOrder(cyclicShiftOrder(4, 1), 'abcdefghijklmnop'.split('')).join(''), 'fghejklinopmbcda');
  });

  it('the relative-position index covers (2w−1)² rows, is centred on the diagonal and antisymmetric about the centre', () => {
    for (const w of [1, 2, 3, 7]) {
      const n = w * w;
      const span = 2 * w - 1;
      const centre = (w - 1) * span + (w - 1);
      const idx = relativePositionIndex(w);
      assert.equal(idx.length, n * n);
      const seen = new Set<number>();
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const v = idx[i * n + j]!;
          assert.ok(v >= 0 && v < span * span, `w ${w}: index ${v} out of range`);
          seen.add(v);
          if (i === j) assert.equal(v, centre);
          // swapping query and key negates both offsets: the entry mirrors through the centre
          assert.equal(idx[j * n + i]!, 2 * centre - v);
        }
      assert.equal(seen.size, span * span, `w ${w}: every table row is used`);
    }
  });

  it('shifted Swin-T stage 1 (side 56, window 7, shift 3): 9 regions, 49 windows of 1, 14 of 2, the corner of 4', () => {
    const stage = swinShape(swinConfig('swin-t')).stages[0]!;
    assert.deepEqual([stage.side, stage.window, stage.shift], [56, 7, 3]);
    const regions = shiftedWindowMaskRegions(stage.side, stage.window, stage.shift);
    assert.equal(regions.length, 64);
    const all = new Set<number>();
    const perWindow = regions.map((ids) => {
      ids.forEach((v) => all.add(v));
      return new Set(ids).size;
    });
    assert.deepEqual(
      [...all].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    // only the last window row and column straddle the slices at side − w and side − s
    assert.equal(perWindow.filter((c) => c === 1).length, 49);
    assert.equal(perWindow.filter((c) => c === 2).length, 14);
    assert.equal(perWindow.filter((c) => c === 4).length, 1);
    assert.equal(perWindow[63], 4);
    const masked = maskedPairs(stage.side, stage.window, stage.shift).map((m) => m.reduce((a, b) => a + b, 0));
    // an edge window splits 49 tokens 28 / 21: 2·28·21 masked pairs; the corner 16/12/12/9: 49² − (16² + 12² + 12² + 9²)
    assert.equal(masked[7], 2 * 28 * 21);
    assert.equal(masked[56], 2 * 28 * 21);
    assert.equal(masked[63], 49 * 49 - (16 * 16 + 12 * 12 + 12 * 12 + 9 * 9));
    assert.equal(masked[0], 0);
    assert.ok(
      maskedPairs(56, 7, 0).every((m) => m.every((v) => v === 0)),
      'shift 0 masks nothing',
    );
    assert.ok(maskedPairs(7, 7, 0).every((m) => m.every((v) => v === 0)));
  });

  it('patch merging takes each input token exactly once, in the order x0 (2i,2j), x1 (2i+1,2j), x2 (2i,2j+1), x3 (2i+1,2j+1)', () => {
    const order = patchMergeOrder(56);
    assert.equal(order.length, 28 * 28 * 4);
    assert.deepEqual(
      list(order).sort((a, b) => a - b),
      identity(56 * 56),
    );
    const k = 5 * 28 + 9;
    assert.deepEqual(list(order.subarray(k * 4, k * 4 + 4)), [10 * 56 + 18, 11 * 56 + 18, 10 * 56 + 19, 11 * 56 + 19]);
  });

  it('every zoo Swin stage has a geometry: gathers of side² tokens, one mask per window, a merge gather between stages', () => {
    for (const name of SWIN_ZOO_NAMES) {
      const { stages } = swinShape(swinConfig(name));
      stages.forEach((st, s) => {
        assert.equal(shiftedWindowOrder(st.side, st.window, st.shift).length, st.side * st.side, `${name} stage ${s}`);
        const regions = shiftedWindowMaskRegions(st.side, st.window, st.shift);
        assert.equal(regions.length, st.windows, `${name} stage ${s}`);
        assert.ok(regions.every((ids) => ids.length === st.windowTokens));
        if (s + 1 < stages.length) assert.equal(patchMergeOrder(st.side).length, stages[s + 1]!.side ** 2 * 4, `${name} stage ${s} merge`);
      });
    }
  });

  it('rejects bad geometry with a message naming the value', () => {
    assert.throws(() => windowPartitionOrder(10, 7), /side 10 is not a multiple of window 7/);
    assert.throws(() => shiftedWindowMaskRegions(14, 7, 7), /shift must be an integer in \[0, window 7\), got 7/);
    assert.throws(() => patchMergeOrder(7), /even side, got 7/);
    assert.throws(() => relativePositionIndex(0), /window must be a positive integer, got 0/);
    assert.throws(() => invertOrder(Int32Array.from([0, 0])), /not a permutation/);
  });
});

const PYTHON = '/usr/bin/python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchAvailable && process.env.IVIT_REQUIRE_TORCH !== '1')
  process.stderr.write(`note: ${PYTHON} has no torch; the Swin window-geometry torch comparison is not registered\n`);

/** The reference constructions (Swin Transformer's SwinTransformerBlock / WindowAttention / PatchMerging), on token ids. */
const REFERENCE = `
import json, sys, torch
def window_partition(x, w):
    B, H, W, C = x.shape
    x = x.view(B, H // w, w, W // w, w, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, w, w, C)
def relative_position_index(w):
    coords = torch.stack(torch.meshgrid([torch.arange(w), torch.arange(w)], indexing='ij'))
    flat = torch.flatten(coords, 1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += w - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    return rel.sum(-1)
def mask(side, w, s):
    img = torch.zeros((1, side, side, 1))
    sl = (slice(0, -w), slice(-w, -s), slice(-s, None))
    cnt = 0
    for h in sl:
        for v in sl:
            img[:, h, v, :] = cnt
            cnt += 1
    mw = window_partition(img, w).view(-1, w * w)
    am = mw.unsqueeze(1) - mw.unsqueeze(2)
    return mw.long(), am.masked_fill(am != 0, float(-100.0)).masked_fill(am == 0, float(0.0))
out = []
for side, w, s in json.load(sys.stdin):
    ids = torch.arange(side * side).view(1, side, side, 1)
    shifted = torch.roll(ids, shifts=(-s, -s), dims=(1, 2))
    r = {'shift': shifted.flatten().tolist(),
         'unshift': torch.roll(ids, shifts=(s, s), dims=(1, 2)).flatten().tolist(),
         'partition': window_partition(ids, w).flatten().tolist(),
         'shiftedWindows': window_partition(shifted, w).flatten().tolist(),
         'index': relative_position_index(w).flatten().tolist()}
    if s > 0:
        regions, am = mask(side, w, s)
        r['regions'] = regions.flatten().tolist()
        r['masked'] = (am == -100.0).long().flatten().tolist()
    if side % 2 == 0:
        x = ids
        merged = torch.cat([x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :], x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]], -1)
        r['merge'] = merged.flatten().tolist()
    out.append(r)
print(json.dumps(out))
`;

interface ReferenceGeometry {
  shift: number[];
  unshift: number[];
  partition: number[];
  shiftedWindows: number[];
  index: number[];
  regions?: number[];
  masked?: number[];
  merge?: number[];
}

if (torchAvailable || process.env.IVIT_REQUIRE_TORCH === '1') {
  describe('Swin window geometry against the torch reference constructions', function () {
    this.timeout(120_000);
    const cases: Array<[number, number, number]> = [
      [4, 2, 1],
      [8, 4, 2],
      [14, 7, 3],
      [28, 7, 3],
      [56, 7, 3],
      [7, 7, 0],
    ];
    it('torch.roll, window_partition, relative_position_index, the mask and PatchMerging agree entry for entry', () => {
      assert.ok(torchAvailable, `${PYTHON} cannot import torch (IVIT_REQUIRE_TORCH=1)`);
      const r = spawnSync(PYTHON, ['-c', REFERENCE], { encoding: 'utf8', input: JSON.stringify(cases), maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, `python reference failed (${r.status}): ${r.stderr.slice(-2000)}`);
      const ref = JSON.parse(r.stdout) as ReferenceGeometry[];
      assert.equal(ref.length, cases.length);
      cases.forEach(([side, w, s], c) => {
        const at = `side ${side} window ${w} shift ${s}`;
        const g = ref[c]!;
        assert.deepEqual(list(cyclicShiftOrder(side, s)), g.shift, `${at}: roll −shift`);
        assert.deepEqual(list(cyclicUnshiftOrder(side, s)), g.unshift, `${at}: roll +shift`);
        assert.deepEqual(list(windowPartitionOrder(side, w)), g.partition, `${at}: window_partition`);
        assert.deepEqual(list(shiftedWindowOrder(side, w, s)), g.shiftedWindows, `${at}: roll then window_partition`);
        assert.deepEqual(list(relativePositionIndex(w)), g.index, `${at}: relative_position_index`);
        if (s > 0) {
          assert.deepEqual(shiftedWindowMaskRegions(side, w, s).flatMap(list), g.regions, `${at}: region ids`);
          assert.deepEqual(maskedPairs(side, w, s).flatMap(list), g.masked, `${at}: masked pairs`);
        }
        if (side % 2 === 0) assert.deepEqual(list(patchMergeOrder(side)), g.merge, `${at}: PatchMerging concat order`);
      });
    });
  });
}
