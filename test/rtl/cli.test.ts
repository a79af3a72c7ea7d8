import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ivit, isCleanUserError } from '../cli/cli-run.js';
import { sduRowTiming } from '../../rtl-gen/timing.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';

describe('ivit rtl / ivit synth (through the CLI)', function () {
  this.timeout(300000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-rtl-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const form of ['overlap', 'serial'] as const) {
    it(`ivit rtl shiftmax --lanes 2 --form ${form} writes modules, a bench that runs under Icarus, and a descriptor equal to sduRowTiming`, () => {
      const out = join(dir, `smx-${form}`);
      const r = ivit(['rtl', 'shiftmax', '--lanes', '2', ...(form === 'serial' ? ['--form', 'serial'] : []), '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const files = readdirSync(out).sort();
      const top = `ivit_shiftmax_${form === 'overlap' ? 'ov_' : ''}l2_n15_k16_i8_x8_pt_e4`;
      assert.ok(files.includes(`${top}.v`) && files.includes(`tb_${top}.v`) && files.includes(`${top}.json`), files.join(' '));
      const desc = JSON.parse(readFileSync(join(out, `${top}.json`), 'utf8')) as {
        ports: Array<{ name: string; width: number }>;
        timing: { examples: Array<{ rowLength: number; latency: number; initiationInterval: number }> };
      };
      assert.deepEqual(
        desc.ports.find((p) => p.name === 'in_x'),
        { name: 'in_x', direction: 'input', width: 16, doc: 'logits, lane 0 in the low bits' },
      );
      for (const e of desc.timing.examples) {
        const { latency, initiationInterval } = sduRowTiming({ unit: 'shiftmax', rowLength: e.rowLength, lanes: 2, form });
        assert.deepEqual({ latency: e.latency, initiationInterval: e.initiationInterval }, { latency, initiationInterval });
      }
      // run the written bench on one row (3 passes of 2 beats: [5, -3], [7, pad]) with |x0| = 10; the overlap form
      // tags each pass (in_pass 0, 1, 2), and a single row's passes go in order
      const beat = (last: number, keep: number, x: number[], pass: number): string =>
        `${last} ${keep.toString(16)} ${form === 'overlap' ? `${pass} ` : ''}${(((x[1]! & 255) << 8) | (x[0]! & 255)).toString(16)} a`;
      const pass = (code: number): string[] => [beat(0, 3, [5, -3], code), beat(1, 1, [7, 0], code)];
      writeFileSync(join(out, 'vectors.in'), [...pass(0), ...pass(1), ...pass(2)].join('\n') + '\n');
      const verilog = readdirSync(out)
        .filter((f) => f.endsWith('.v'))
        .map((f) => join(out, f));
      execFileSync('iverilog', ['-g2005', '-o', join(out, 'sim.vvp'), '-s', `tb_${top}`, ...verilog]);
      execFileSync('vvp', ['-n', join(out, 'sim.vvp')], { cwd: out });
      const lines = readFileSync(join(out, 'vectors.out'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('O '));
      const want = shiftmaxRow([5, -3, 7], { x0: -10, n: 15, k: 16, flavour: 'pytorch', inputBits: 8, expBits: 32 }, 'cli test').out;
      const got = lines.flatMap((l) => {
        const word = BigInt(`0x${l.split(' ')[4]}`);
        return [Number(word & 0x7fffn), Number((word >> 15n) & 0x7fffn)];
      });
      assert.deepEqual(got.slice(0, 3), want);
    });
  }

  it("ivit rtl --config/--set: the SDU unit takes the machine's lanes and numerics preset; explicit options win", () => {
    const cfg = join(dir, 'accel.json');
    writeFileSync(cfg, JSON.stringify({ sdu: { lanes: 4 }, numerics: { preset: 'tvm' } }));
    const fromFile = ivit(['rtl', 'shiftmax', '--config', cfg, '-o', join(dir, 'cfg1')]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /^ivit_shiftmax_ov_l4_n16_k8_i8_x8_tvm_e4:/, "lanes 4, the TVM preset's n = 16, k = 8 and the default overlap form");
    const explicit = ivit(['rtl', 'shiftmax', '--config', cfg, '--lanes', '2', '--variant', 'pytorch', '--n', '15', '--k', '16', '-o', join(dir, 'cfg2')]);
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.match(explicit.stdout, /^ivit_shiftmax_ov_l2_n15_k16_i8_x8_pt_e4:/);
    const ln = ivit(['rtl', 'layernorm', '--set', 'numerics.sqrt=floor', '--set', 'sdu.lanes=2', '-o', join(dir, 'cfg3')]);
    assert.equal(ln.code, 0, ln.stderr);
    assert.match(ln.stdout, /floor/i);
    assert.match(ln.stdout, /_l2_/);
    const tooWide = ivit(['rtl', 'requant', '--set', 'sdu.lanes=128', '-o', join(dir, 'cfg4')]);
    assert.ok(isCleanUserError(tooWide), tooWide.stderr);
    assert.match(tooWide.stderr, /sdu\.lanes = 128: the generator builds at most 64 lanes/);
  });

  it('ivit rtl shiftgelu --variant tvm: the descriptor reports the flavour and sduRowTiming, and the bench computes TVM (not PyTorch) values under Icarus', () => {
    const out = join(dir, 'gelu-tvm');
    const r = ivit(['rtl', 'shiftgelu', '--variant', 'tvm', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const top = 'ivit_shiftgelu_l1_n23_k8_i8_x9_tvm_sr_e4_d1';
    const desc = JSON.parse(readFileSync(join(out, `${top}.json`), 'utf8')) as {
      parameters: Record<string, unknown>;
      timing: { examples: Array<{ rowLength: number; latency: number; initiationInterval: number }> };
    };
    assert.equal(desc.parameters.flavour, 'tvm');
    for (const e of desc.timing.examples) {
      assert.deepEqual({ latency: e.latency, initiationInterval: e.initiationInterval }, sduRowTiming({ unit: 'shiftgelu', rowLength: e.rowLength, lanes: 1 }));
    }
    // one row with a negative max (E_M from a positive argument, where trunc q ≠ floor q), |x0| = 10, 2 passes
    const row = [-3, -5, -20];
    const pass = row.map((x, i) => `${i === row.length - 1 ? 1 : 0} 1 ${(x & 255).toString(16)} a`);
    writeFileSync(join(out, 'vectors.in'), [...pass, ...pass].join('\n') + '\n');
    const verilog = readdirSync(out)
      .filter((f) => f.endsWith('.v'))
      .map((f) => join(out, f));
    execFileSync('iverilog', ['-g2005', '-o', join(out, 'sim.vvp'), '-s', `tb_${top}`, ...verilog]);
    execFileSync('vvp', ['-n', join(out, 'sim.vvp')], { cwd: out });
    const got = readFileSync(join(out, 'vectors.out'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('O '))
      .map((l) => BigInt.asIntN(15, BigInt(`0x${l.split(' ')[4]}`)))
      .map(Number);
    const golden = { x0: -10, n: 23, k: 8, inputBits: 8, sigmaRule: 'reference' as const, expBits: 32 };
    assert.deepEqual(got, shiftGeluRow(row, { ...golden, flavour: 'tvm' }, 'cli test').out);
    assert.deepEqual(got, [-165, -270, -360]);
    assert.notDeepEqual(got, shiftGeluRow(row, { ...golden, flavour: 'pytorch' }, 'cli test').out);
  });

  it("ivit rtl --help lists every unit's variants under --variant", () => {
    const r = ivit(['rtl', '--help']);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const v of ['shiftmax: pytorch|tvm', 'shiftgelu: pytorch|tvm', 'layernorm: newton10|floor', 'requant: half-even|half-up'])
      assert.ok(help.includes(v), `${v} in ${help}`);
  });

  it('ivit synth shift-exp-lane --family ecp5 prints one JSON row with cell counts', () => {
    const r = ivit(['synth', 'shift-exp-lane', '--family', 'ecp5']);
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(r.stdout) as { unit: string; family: string; lut: number; ff: number; fmaxMedianMhz: number | null };
    assert.equal(row.unit, 'shift-exp-lane');
    assert.equal(row.family, 'ecp5');
    assert.ok(row.lut > 50 && row.lut < 1000 && row.ff > 20, JSON.stringify(row));
    assert.equal(row.fmaxMedianMhz, null); // no place and route for ECP5 here
  });

  it('bad input is a one-line user error with exit 2', () => {
    for (const args of [
      ['rtl', 'softmax', '-o', dir],
      ['rtl', 'shiftmax', '--lanes', '0', '-o', dir],
      ['rtl', 'layernorm', '--variant', 'sqrt', '-o', dir],
      ['rtl', 'shiftgelu', '--variant', 'swin', '-o', dir],
      ['synth', 'shiftmax', '--family', 'gowin'],
      ['synth', 'shiftmax', '--family', 'ecp5', '--device', 'up5k'],
    ]) {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    }
  });
});
