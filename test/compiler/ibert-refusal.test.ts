/**
 * I-BERT's softmax and GELU exist in the golden model only: building a graph or compiling a program under
 * numerics.attention / geluUnit = ibert is refused in one line, never silently lowered to Shiftmax / ShiftGELU.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, numericsOf } from '../../sim/config.js';
import { ZOO } from '../../verify/golden/zoo.js';
import { NumericsInputError } from '../../verify/golden/intmath.js';
import { generateSyntheticModel } from '../../verify/model/synthetic.js';
import { graphFromConfig, graphFromModel } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';

const base = numericsOf(DEFAULT_CONFIG);
const ibertSoftmax: NumericsConfig = { ...base, attention: 'ibert' };
const ibertGelu: NumericsConfig = { ...base, geluUnit: 'ibert' };

function refused(message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof NumericsInputError && message.test(e.message) && !e.message.includes('\n');
}

describe('compiler: I-BERT numerics are refused (no accelerator unit yet)', () => {
  const cfg = ZOO['deit-t']!;
  it('graphFromConfig refuses attention = ibert and geluUnit = ibert, naming each', () => {
    assert.throws(() => graphFromConfig(cfg, ibertSoftmax), refused(/^numerics\.attention = ibert \(I-BERT softmax\): the accelerator has no I-BERT unit yet/));
    assert.throws(() => graphFromConfig(cfg, ibertGelu), refused(/^numerics\.geluUnit = ibert \(I-BERT GELU\): the accelerator has no I-BERT unit yet/));
    assert.throws(() => graphFromConfig(cfg, { ...ibertSoftmax, geluUnit: 'ibert' }), refused(/attention = ibert .* and numerics\.geluUnit = ibert/));
  });
  it('graphFromModel refuses before deriving constants', () => {
    const model = generateSyntheticModel({ ...cfg, depth: 1 }, 11);
    assert.throws(() => graphFromModel(model, ibertGelu), refused(/geluUnit = ibert/));
  });
  it('compileGraph refuses a graph whose numerics name an I-BERT unit', () => {
    const graph = graphFromConfig(cfg, base);
    assert.doesNotThrow(() => compileGraph(graph, DEFAULT_CONFIG), 'the same graph under Shiftmax compiles');
    assert.throws(() => compileGraph({ ...graph, numerics: ibertSoftmax }, DEFAULT_CONFIG), refused(/attention = ibert/));
  });
});
