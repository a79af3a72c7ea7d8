import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, applyOverrides, configFromJson, loadConfigFile, numericsOf } from '../../sim/config.js';
import { FQVIT_NUMERICS, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { REPO_ROOT } from './helpers.js';
import { sduCost } from '../../sim/timing/units.js';
import {
  layerNormOverlapTiming,
  layerNormTiming,
  overlapRowSchedule,
  shiftmaxOverlapTiming,
  shiftmaxTiming,
  threePassRowSchedule,
} from '../../rtl-gen/timing.js';

describe('accelerator configuration', () => {
  it('`ivit config` prints the built-in default, and the file it prints loads back as the same machine', () => {
    const r = spawnSync(process.execPath, [`${REPO_ROOT}bin/ivit.js`, 'config'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), DEFAULT_CONFIG);
    const dir = mkdtempSync(join(tmpdir(), 'ivit-config-'));
    const file = join(dir, 'accel.json');
    writeFileSync(file, r.stdout);
    assert.deepEqual(loadConfigFile(file), DEFAULT_CONFIG);
    const o = spawnSync(process.execPath, [`${REPO_ROOT}bin/ivit.js`, 'config', '--config', file, '--rows', '32', '--set', 'sdu.lanes=64'], {
      encoding: 'utf8',
    });
    assert.equal(o.status, 0, o.stderr);
    const c = JSON.parse(o.stdout) as typeof DEFAULT_CONFIG;
    assert.equal(c.array.rows, 32);
    assert.equal(c.sdu.lanes, 64);
    rmSync(dir, { recursive: true, force: true });
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
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['array.dataflow=xs']), /array\.dataflow must be "ws", "os" or "is"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['array.model=fast']), /array\.model must be "overlap" or "scalesim", got "fast"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['array.dataflow=is']), /"is" \(input-stationary\) exists only in the SCALE-Sim timing model/);
    assert.equal(applyOverrides(DEFAULT_CONFIG, ['array.dataflow=is', 'array.model=scalesim']).array.dataflow, 'is');
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['dma.speed=3']), /unknown key "dma\.speed"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['sdu.lanes=many']), ConfigError);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['numerics.preset=float']), /numerics\.preset must be one of pytorch, tvm/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['sdu.form=pipelined']), /sdu\.form must be one of overlap, serial, got "pipelined"/);
    assert.equal(applyOverrides(DEFAULT_CONFIG, ['sdu.form=serial']).sdu.form, 'serial');
  });

  it("numerics.attention / geluUnit / layerNorm swap one unit of the preset ('preset' keeps the preset's), and refuse a unit that does not exist", () => {
    assert.deepEqual(numericsOf(DEFAULT_CONFIG), PYTORCH_NUMERICS, "the default machine keeps the pytorch preset's units");
    assert.deepEqual(numericsOf(applyOverrides(DEFAULT_CONFIG, ['numerics.preset=fqvit'])), FQVIT_NUMERICS);
    const swapped = numericsOf(applyOverrides(DEFAULT_CONFIG, ['numerics.attention=ibert', 'numerics.layerNorm=pts']));
    assert.deepEqual(swapped, { ...PYTORCH_NUMERICS, attention: 'ibert', layerNorm: 'pts' });
    const back = numericsOf(applyOverrides(DEFAULT_CONFIG, ['numerics.preset=fqvit', 'numerics.attention=shiftmax']));
    assert.deepEqual(back, { ...FQVIT_NUMERICS, attention: 'shiftmax' }, 'a unit named over a preset replaces that unit only');
    assert.equal(numericsOf(applyOverrides(DEFAULT_CONFIG, ['numerics.geluUnit=ibert'])).geluUnit, 'ibert');
    assert.throws(
      () => applyOverrides(DEFAULT_CONFIG, ['numerics.attention=softmax']),
      /numerics\.attention must be one of preset, shiftmax, lis, .*got "softmax"/,
    );
    assert.throws(() => configFromJson({ numerics: { layerNorm: 'rms' } }), /numerics\.layerNorm must be one of preset, ilayernorm, pts.*got "rms"/);
    assert.throws(() => applyOverrides(DEFAULT_CONFIG, ['numerics.geluUnit=erf']), /numerics\.geluUnit must be one of preset, shiftgelu, ibert.*got "erf"/);
  });

  it('sdu.form sets the LayerNorm cost: overlapping rows (the default) are cheaper than one row at a time, which keeps (R − 1)·(latency + 1) + latency', () => {
    const rows = 197;
    const overlap = sduCost('layernorm', rows, 192, 16, false, DEFAULT_CONFIG.sdu.form);
    const serial = sduCost('layernorm', rows, 192, 16, false, 'serial');
    const one = layerNormTiming({ rowLength: 192, lanes: 16 });
    assert.equal(serial.cycles, (rows - 1) * (one.latency + 1) + one.latency);
    const t = layerNormOverlapTiming({ rowLength: 192, lanes: 16 });
    assert.equal(overlap.cycles, overlapRowSchedule(rows, t.overlap!.beats, t.overlap!.engine).ends[rows - 1]);
    assert.ok(overlap.cycles < serial.cycles);
  });

  it('sdu.form sets the Shiftmax cost too: overlapping rows run the three-pass schedule, one row at a time keeps (R − 1)·(latency + 1) + latency', () => {
    const rows = 197 * 3; // DeiT-T: 3 heads of 197 query rows of 197 scores
    const overlap = sduCost('shiftmax', rows, 197, 16, false, DEFAULT_CONFIG.sdu.form);
    const serial = sduCost('shiftmax', rows, 197, 16, false, 'serial');
    const one = shiftmaxTiming({ rowLength: 197, lanes: 16 });
    assert.equal(serial.cycles, (rows - 1) * (one.latency + 1) + one.latency);
    const t = shiftmaxOverlapTiming({ rowLength: 197, lanes: 16 });
    assert.ok(t.overlap?.passes === 3);
    assert.equal(overlap.cycles, threePassRowSchedule(rows, t.overlap.beats, t.overlap.engine, t.overlap.tail).ends[rows - 1]);
    assert.ok(overlap.cycles < serial.cycles);
    // both forms stream each row three times through the lanes
    assert.equal(overlap.sduLaneOps, serial.sduLaneOps);
  });
});
