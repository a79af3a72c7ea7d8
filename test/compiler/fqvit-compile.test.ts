/**
 * The FQ-ViT datapath through the compiler: LIS codes from the SDU, log-attention × V in the array's shift mode,
 * PTS LayerNorm after a per-channel requant, and a timed run of DeiT-T next to I-ViT's in the same process.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { decodeAll } from '../../isa/disasm.js';
import { ZOO } from '../../verify/golden/zoo.js';
import { generateSyntheticModel } from '../../verify/model/synthetic.js';
import { graphFromConfig, graphFromModel } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { runProgram } from '../../sim/run.js';

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

  it('a model with values refuses the fqvit datapath with one clear line until the model file carries its constants', () => {
    const model = generateSyntheticModel({ ...ZOO['deit-t']!, depth: 1 }, 1);
    assert.throws(() => graphFromModel(model, numericsOf(fq)), /compiles shape-only graphs \(timing\) until the golden forward pass/);
  });
});
