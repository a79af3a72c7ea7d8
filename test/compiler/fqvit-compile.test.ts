/**
 * The FQ-ViT datapath through the compiler: LIS codes from the SDU, log-attention × V in the array's shift mode,
 * PTS LayerNorm after a per-channel requant, a timed run of DeiT-T next to I-ViT's in the same process, and a reduced
 * model with the FQ-ViT fields bit-exact end to end against the golden model on two machines.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { decodeAll } from '../../isa/disasm.js';
import { ZOO } from '../../verify/golden/zoo.js';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import { graphFromConfig, graphFromModel } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { runProgram } from '../../sim/run.js';
import { runEndToEnd } from '../../programs/flows/end-to-end.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { tinyVitModel } from '../support/tiny-vit.js';

const fq = applyOverrides(DEFAULT_CONFIG, ['numerics.preset=fqvit']);

describe('compiler: the fqvit datapath (LIS, shift-mode P·V, PTS LayerNorm)', () => {
  it('DeiT-T lowers every softmax to lis, every P·V to a shift-mode gemm and every LayerNorm to requant + PTS', () => {
    const cfg = ZOO['deit-t']!;
    const numerics = numericsOf(fq);
    const p = compileGraph(graphFromConfig(cfg, numerics), fq);
    const ins = decodeAll(p.image);
    const lis = ins.filter((i) => i.mnemonic === 'lis');
    const tokens = p.graph.tokens;
    const rowsCoded = lis.reduce((s, i) => s + (i.mnemonic === 'lis' ? i.fields.rows : 0), 0);
    assert.equal(rowsCoded, cfg.depth * cfg.heads * tokens, 'one LIS row per head, token and block');
    assert.ok(lis.every((i) => i.mnemonic === 'lis' && i.fields.bits === numerics.lis.bits && i.fields.cols === tokens));
    assert.equal(ins.filter((i) => i.mnemonic === 'shiftmax').length, 0);
    const shiftGemms = ins.filter((i) => i.mnemonic === 'gemm' && i.fields.amode === 'shift');
    assert.equal(shiftGemms.length, lis.length, 'one P·V per LIS tile');
    assert.ok(shiftGemms.every((i) => i.mnemonic === 'gemm' && i.fields.fbits === numerics.lis.vFracBits && i.fields.atype === 'i8'));
    const lns = ins.filter((i) => i.mnemonic === 'layernorm');
    assert.ok(lns.length > 0 && lns.every((i) => i.mnemonic === 'layernorm' && i.fields.lnmode === 'pts' && i.fields.stype === 'i8'));
    lns.forEach((ln) => {
      const at = ins.indexOf(ln);
      const before = ins
        .slice(0, at)
        .reverse()
        .find((i) => i.mnemonic === 'requant');
      assert.ok(before && before.mnemonic === 'requant' && before.fields.qmode === 'channel', 'a per-channel requant feeds each PTS LayerNorm');
    });
  });

  it('timed in the same process: the single-pass shift P·V takes fewer array cycles than I-ViT’s int16 P·V', () => {
    const cfg = ZOO['deit-t']!;
    const attention = (preset: 'pytorch' | 'fqvit'): number => {
      const m = applyOverrides(DEFAULT_CONFIG, [`numerics.preset=${preset}`]);
      const p = compileGraph(graphFromConfig(cfg, numericsOf(m)), m);
      const { report } = runProgram(p.image, { config: p.config, timingOnly: true });
      return report.regions.filter((r) => r.name.endsWith('attention')).reduce((s, r) => s + r.cycles, 0);
    };
    const ivit = attention('pytorch');
    const fqvit = attention('fqvit');
    assert.ok(fqvit < ivit, `attention regions: fqvit ${fqvit} cycles, I-ViT ${ivit}`);
  });

  it('a model with the FQ-ViT fields compiles with its LIS and PTS constants, simulates bit-exact on every layer, and times as its shape-only graph', () => {
    const { config, model } = tinyVitModel();
    const numerics = numericsOf(fq);
    const k = deriveModelConstants(model, numerics);
    const g = graphFromModel(model, numerics);
    const lis = g.nodes.find((n) => n.op === 'lis' && n.layer === 'block1');
    assert.deepEqual(lis && lis.op === 'lis' ? { ...lis.constants, bits: lis.bits } : undefined, {
      x0: k.blocks[1]!.lis!.x0,
      b: k.blocks[1]!.lis!.b,
      c: k.blocks[1]!.lis!.c,
      bits: 4,
    });
    const norm = g.nodes.find((n) => n.out === 'norm');
    assert.ok(norm && norm.op === 'layernorm' && norm.pts?.channels && norm.pts.alpha);
    const triples = norm.pts.channels;
    assert.deepEqual([triples[3], triples[4], triples[5]], [k.normPts!.m[1], k.normPts!.n[1], k.normPts!.b[1]]);
    assert.deepEqual(Array.from(norm.pts.alpha), Array.from(model.norm.pts!.alpha));
    const machines = [fq, applyOverrides(fq, ['array.rows=4', 'array.cols=8', 'sdu.lanes=4', 'array.dataflow=os'])];
    for (const m of machines) {
      const e = runEndToEnd(model, syntheticImage(config, 7), m);
      assert.ok(e.check, 'values were checked');
      assert.equal(e.check.layers.length, 2 + 12 * config.depth + 3);
      assert.deepEqual(
        e.check.layers.filter((l) => !l.match).map((l) => l.name),
        [],
      );
      assert.ok(e.check.bitExact && e.check.logitsMatch);
      const shapes = runProgram(compileGraph(graphFromConfig(config, numerics), m).image, { config: m, timingOnly: true });
      assert.equal(e.result.report.totalCycles, shapes.report.totalCycles, 'the shape-only graph gives the same schedule');
    }
  });

  it('a model file without the FQ-ViT fields is refused with one line naming the LayerNorm; --timing-only still runs it shape-only', () => {
    const model = generateSyntheticModel({ ...ZOO['deit-t']!, depth: 1 }, 1);
    delete model.fqvit;
    delete model.blocks[0]!.norm1.pts;
    assert.throws(() => graphFromModel(model, numericsOf(fq)), /block0\.ln1: the model carries no FQ-ViT PTS scales/);
    assert.ok(runEndToEnd(model, syntheticImage(model.config, 1), fq, { timingOnly: true }).result.report.totalCycles > 0);
  });
});
