import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG, applyOverrides, configFromJson, loadConfigFile } from '../../sim/config.js';
import { REPO_ROOT } from './helpers.js';

describe('accelerator configuration', () => {
  it('sim/configs/default.json is the built-in default', () => {
    assert.deepEqual(JSON.parse(readFileSync(`${REPO_ROOT}sim/configs/default.json`, 'utf8')), DEFAULT_CONFIG);
    assert.deepEqual(loadConfigFile(`${REPO_ROOT}sim/configs/default.json`), DEFAULT_CONFIG);
  });

  it('a partial JSON fills in defaults; CLI overrides apply on top', () => {
    const c = configFromJson({ array: { rows: 8 }, sdu: { lanes: 4 } });
    assert.equal(c.array.rows, 8);
    assert.equal(c.array.cols, DEFAULT_CONFIG.array.cols);
    const o = applyOverrides(c, ['array.dataflow=os', 'clockMHz=250.5', 'numerics.sqrt=floor']);
    assert.equal(o.array.dataflow, 'os');
    assert.equal(o.clockMHz, 250.5);
    assert.equal(o.numerics.sqrt, 'floor');
    assert.equal(c.array.dataflow, 'ws', 'overrides do not mutate their input');
  });

  it('rejects unknown keys, wrong kinds and bad values, naming them', () => {
    assert.throws(() => configFromJson({ array: { rowz: 3 } }), /config\.array: unknown key "rowz"/);
    assert.throws(() => configFromJson({ clockMHz: '500' }), /config\.clockMHz: must be a number/);
    assert.throws(() => configFromJson({ scratchpad: { bytes: 1000, banks: 3 } }), /multiple of scratchpad\.banks/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['array.dataflow=xs']), /array\.dataflow must be "ws" or "os"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['dma.speed=3']), /unknown key "dma\.speed"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['sdu.lanes=many']), ConfigError);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['numerics.preset=float']), /numerics\.preset must be one of pytorch, tvm/);
  });
});
