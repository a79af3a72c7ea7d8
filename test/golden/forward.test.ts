import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import { runGolden } from '../../verify/golden/run-golden.js';
import { numericsConfig, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { type VitConfig, ZOO, ZOO_NAMES, vitShape, zooConfig, ModelConfigError } from '../../verify/golden/zoo.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { constantsResolver, vitForward } from '../../verify/golden/vit-forward.js';
import { WidthOverflowError } from '../../verify/golden/intmath.js';

export function smallConfig(p: Partial<VitConfig> = {}): VitConfig {
  return { family: 'vit', name: 'tiny', imageSize: 32, patchSize: 8, inChannels: 3, embedDim: 32, depth: 2, heads: 2, mlpDim: 128, numClasses: 10, ...p };
}

describe('golden forward pass', () => {
  it('the zoo has the five models with their published shapes', () => {
    assert.deepEqual(ZOO_NAMES, ['vit-s-16', 'vit-b-16', 'deit-t', 'deit-s', 'deit-b']);
    assert.deepEqual([ZOO['deit-t']!.embedDim, ZOO['deit-s']!.embedDim, ZOO['deit-b']!.embedDim], [192, 384, 768]);
    assert.deepEqual(vitShape(zooConfig('DeiT-S')), { patches: 196, tokens: 197, headDim: 64, patchVector: 768 });
    assert.throws(() => zooConfig('resnet-50'), ModelConfigError);
    assert.throws(() => vitShape(smallConfig({ embedDim: 30, heads: 4 })), /not divisible by 4 heads/);
    assert.throws(() => vitShape(smallConfig({ imageSize: 30 })), /not a multiple of patch size/);
  });

  it('random small ViT configurations run and are deterministic (same seed → same logits and layer hashes)', () => {
    fc.assert(
      fc.property(
        fc.record({
          heads: fc.integer({ min: 1, max: 4 }),
          headDim: fc.constantFrom(4, 8, 16),
          depth: fc.integer({ min: 1, max: 3 }),
          side: fc.integer({ min: 1, max: 4 }),
          patch: fc.constantFrom(2, 4, 8),
          mlpRatio: fc.integer({ min: 1, max: 4 }),
          classes: fc.integer({ min: 2, max: 20 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (r) => {
          const width = r.heads * r.headDim;
          const cfg = smallConfig({
            embedDim: width,
            heads: r.heads,
            depth: r.depth,
            imageSize: r.side * r.patch,
            patchSize: r.patch,
            mlpDim: width * r.mlpRatio,
            numClasses: r.classes,
          });
          const a = runGolden(generateSyntheticModel(cfg, r.seed), syntheticImage(cfg, r.seed), PYTORCH_NUMERICS, { layerHashes: true });
          const b = runGolden(generateSyntheticModel(cfg, r.seed), syntheticImage(cfg, r.seed), PYTORCH_NUMERICS, { layerHashes: true });
          assert.equal(a.checksum, b.checksum);
          assert.deepEqual(a.layerHashes, b.layerHashes);
          assert.equal(a.layerHashes.length, 2 + 12 * r.depth + 3);
          assert.equal(a.logits.length, r.classes);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('different seeds give different models and logits', () => {
    const cfg = smallConfig();
    const a = runGolden(generateSyntheticModel(cfg, 1), syntheticImage(cfg, 1), PYTORCH_NUMERICS);
    const b = runGolden(generateSyntheticModel(cfg, 2), syntheticImage(cfg, 1), PYTORCH_NUMERICS);
    assert.notEqual(a.checksum, b.checksum);
  });

  it('calibrated activations use their range: no layer is all zeros or all saturated', () => {
    const cfg = smallConfig({ depth: 2 });
    const model = generateSyntheticModel(cfg, 7);
    const seen = new Map<string, { zeros: number; sat: number; n: number }>();
    vitForward(model, syntheticImage(cfg, 7), PYTORCH_NUMERICS, constantsResolver(deriveModelConstants(model, PYTORCH_NUMERICS)), (name, data) => {
      let zeros = 0;
      let sat = 0;
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 0) zeros++;
        if (data[i] === 127 || data[i] === -128 || data[i] === 32767 || data[i] === -32768) sat++;
      }
      seen.set(name, { zeros, sat, n: data.length });
    });
    for (const [name, s] of seen) {
      if (name.endsWith('attn.probs')) continue; // probabilities are legitimately often tiny
      assert.ok(s.zeros < s.n, `${name} is all zeros`);
      assert.ok(s.sat < s.n / 4, `${name}: ${s.sat} of ${s.n} saturated`);
    }
  });

  it('numerics variants change the result but still run: TVM constants, floor square root', () => {
    const cfg = smallConfig();
    const model = generateSyntheticModel(cfg, 3);
    const img = syntheticImage(cfg, 3);
    const base = runGolden(model, img, PYTORCH_NUMERICS, { layerHashes: true });
    const floorSqrt = runGolden(model, img, numericsConfig('pytorch', { sqrt: 'floor' }), { layerHashes: true });
    assert.equal(floorSqrt.layerHashes[0]!.hash, base.layerHashes[0]!.hash); // the patch embedding has no LayerNorm
    assert.equal(floorSqrt.layerHashes.length, base.layerHashes.length); // (the square roots of a 16-bit stream have converged: often identical)
    // TVM's uint32 variance sum overflows on a 16-bit residual stream (numerics.md §5): caught, not wrapped
    assert.throws(
      () => runGolden(model, img, numericsConfig('tvm')),
      /layernorm variance at block0\.ln1 \[token \d+\]: value \d+ overflows its declared unsigned 32-bit width/,
    );
    const tvmWide = runGolden(model, img, numericsConfig('tvm', { lnVarianceBits: 48 }), { layerHashes: true });
    assert.notDeepEqual(tvmWide.layerHashes, base.layerHashes);
  });

  it('a value leaving its declared width stops the pass with the op, the layer and the value', () => {
    const cfg = smallConfig();
    const model = generateSyntheticModel(cfg, 4);
    model.blocks[1]!.qkv.bias[5] = 2 ** 31 - 1; // the accumulator of block 1's qkv, column 5, overflows int32
    assert.throws(
      () => runGolden(model, syntheticImage(cfg, 4), PYTORCH_NUMERICS),
      (e: unknown) =>
        e instanceof WidthOverflowError &&
        /^matmul accumulator at block1\.qkv \[row \d+, col 5\]: value \d+ overflows its declared signed 32-bit width$/.test(e.message),
    );
  });

  it('reports progress once per named layer, ending at the layer count', () => {
    const cfg = smallConfig({ depth: 3 });
    const seen: number[] = [];
    const r = runGolden(generateSyntheticModel(cfg, 6), syntheticImage(cfg, 6), PYTORCH_NUMERICS, {
      layerHashes: true,
      onProgress: (done, total) => {
        assert.equal(total, 2 + 12 * 3 + 3);
        seen.push(done);
      },
    });
    assert.deepEqual(
      seen,
      Array.from({ length: r.layerHashes.length }, (_, i) => i + 1),
    );
  });

  it('an image of the wrong size is rejected', () => {
    const cfg = smallConfig();
    assert.throws(() => runGolden(generateSyntheticModel(cfg, 1), new Int8Array(10), PYTORCH_NUMERICS), /image has 10 values, expected 3×32×32/);
  });
});
