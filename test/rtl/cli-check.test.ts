/**
 * The generated test bench driven from the command line: `ivit rtl <unit> -o DIR --vectors N` writes the
 * golden-model stimulus and expectation, `ivit rtl check DIR [--sim verilator]` runs the bench and compares.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ivit, isCleanUserError } from '../cli/cli-run.js';

const TOP = 'ivit_shiftmax_ov_l2_n15_k16_i8_x8_pt_e4'; // the default form: rows overlap, passes interleaved in vectors.in

describe('ivit rtl --vectors / ivit rtl check', function () {
  this.timeout(300000);
  const root = mkdtempSync(join(tmpdir(), 'ivit-rtl-check-'));
  const smx = join(root, 'smx');
  after(() => rmSync(root, { recursive: true, force: true }));

  before(() => {
    const r = ivit(['rtl', 'shiftmax', '--lanes', '2', '-o', smx, '--vectors', '40', '--seed', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote \S+vectors\.in \(\d+ input beats: 40 rows, seed 5\)/);
    assert.match(r.stdout, /wrote \S+vectors\.expected \(\d+ output beats from the golden model\)/);
  });

  /** A copy of the generated directory to corrupt, so each case starts from the good one. */
  function copyOf(name: string): string {
    const dir = join(root, name);
    cpSync(smx, dir, { recursive: true });
    return dir;
  }

  for (const sim of ['icarus', 'verilator'] as const) {
    it(`passes under ${sim}: every vector's output beats equal the golden model's`, () => {
      const r = ivit(['rtl', 'check', smx, ...(sim === 'verilator' ? ['--sim', 'verilator'] : [])]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const beats = readFileSync(join(smx, 'vectors.expected'), 'utf8').trim().split('\n').length;
      const m =
        /^PASS tb_(\S+) under (\w+): 40 vectors \(rows\), ([\d,]+) output beats, ([\d,]+) values equal to the golden model \(seed 5, [\d,]+ cycles\)$/m.exec(
          r.stdout,
        );
      assert.ok(m, r.stdout);
      assert.equal(m[1], TOP);
      assert.equal(m[2], sim);
      assert.equal(Number(m[3]!.replace(/,/g, '')), beats);
      assert.equal(Number(m[4]!.replace(/,/g, '')), 2 * beats); // two lanes of out_p per beat
      // the bench's own log is there to read, with every output beat
      const out = readFileSync(join(smx, 'vectors.out'), 'utf8');
      assert.equal(out.split('\n').filter((l) => l.startsWith('O ')).length, beats);
    });
  }

  it('fails with exit 1 naming the first mismatch when the expectation is corrupted', () => {
    const dir = copyOf('bad-expected');
    const file = join(dir, 'vectors.expected');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // line 8 (index 7): fields out_last out_keep out_p; lane 0 of out_p is its low 15 bits
    const fields = lines[7]!.split(' ');
    const word = BigInt(`0x${fields[2]}`);
    const lane0 = word & 0x7fffn;
    const wrong = lane0 ^ 1n;
    fields[2] = ((word & ~0x7fffn) | wrong).toString(16);
    lines[7] = fields.join(' ');
    writeFileSync(file, lines.join('\n') + '\n');
    const manifest = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as { outputBeatsPerVector: number[] };
    let vector = 0;
    let beat = 7;
    while (beat >= manifest.outputBeatsPerVector[vector]!) beat -= manifest.outputBeatsPerVector[vector++]!;
    for (const sim of ['icarus', 'verilator']) {
      const r = ivit(['rtl', 'check', dir, '--sim', sim]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(
        r.stdout.trim(),
        `FAIL tb_${TOP} under ${sim}: 1 value differs; first at vector ${vector} (row), output beat ${beat} (line 8 of vectors.expected), out_p[0]: expected ${wrong}, got ${lane0}`,
      );
    }
  });

  it('fails when the bench is fed other input (the check really simulates)', () => {
    const dir = copyOf('bad-input');
    const file = join(dir, 'vectors.in');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // every beat: in_last in_keep in_pass in_x cfg_x0_mag; a different |x0| on the whole run changes every output
    writeFileSync(file, lines.map((l) => l.replace(/ [0-9a-f]+$/, (x0) => ` ${(((parseInt(x0, 16) % 200) + 7) % 255 || 1).toString(16)}`)).join('\n') + '\n');
    const r = ivit(['rtl', 'check', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^FAIL tb_\S+ under icarus: [\d,]+ values differ; first at vector \d+ \(row\), output beat \d+ \(line \d+ of vectors\.expected\), out_p\[\d\]: expected \d+, got \d+$/m,
    );
  });

  it('fails when the bench writes fewer output beats than expected', () => {
    const dir = copyOf('short');
    const file = join(dir, 'vectors.expected');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, [...lines, lines[lines.length - 1]!].join('\n') + '\n');
    const r = ivit(['rtl', 'check', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`; ${lines.length + 1} output beats expected, ${lines.length} written; first at past the last vector .*expected \\d+, got no beat$`, 'm'),
    );
  });

  it('the same seed gives the same vectors, another seed other vectors; element units count beats', () => {
    const again = ivit(['rtl', 'shiftmax', '--lanes', '2', '-o', join(root, 'again'), '--vectors', '40', '--seed', '5']);
    const other = ivit(['rtl', 'shiftmax', '--lanes', '2', '-o', join(root, 'other'), '--vectors', '40', '--seed', '6']);
    assert.equal(again.code + other.code, 0, again.stderr + other.stderr);
    const read = (d: string): string => readFileSync(join(root, d, 'vectors.in'), 'utf8');
    assert.equal(read('again'), read('smx'));
    assert.notEqual(read('other'), read('smx'));
    const rq = ivit(['rtl', 'requant', '--lanes', '3', '-o', join(root, 'rq'), '--vectors', '25']);
    assert.equal(rq.code, 0, rq.stderr);
    const r = ivit(['rtl', 'check', join(root, 'rq')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS tb_ivit_requant_l3\S+ under icarus: 25 vectors \(beats\), 25 output beats, 75 values equal/m);
  });

  it('bad input is a one-line user error with exit 2', () => {
    const cases: string[][] = [
      ['rtl', 'check', join(root, 'missing')],
      ['rtl', 'check', root], // a directory without vectors.json
      ['rtl', 'check', smx, '--sim', 'modelsim'],
      ['rtl', 'shiftmax', '-o', join(root, 'v0'), '--vectors', '0'],
      ['rtl', 'shiftmax', '-o', join(root, 'vx'), '--vectors', 'many'],
      ['rtl', 'shiftmax', '--vectors', '3'], // no -o
    ];
    for (const args of cases) {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const noVectors = ivit(['rtl', 'check', root]);
    assert.match(noVectors.stderr, /no vectors\.json \(write the vectors with: ivit rtl <unit> -o \S+ --vectors N\)/);
    const broken = copyOf('no-bench');
    rmSync(join(broken, `tb_${TOP}.v`));
    const r = ivit(['rtl', 'check', broken]);
    assert.ok(isCleanUserError(r), r.stderr);
    assert.match(r.stderr, new RegExp(`tb_${TOP}\\.v is missing`));
  });

  it('ivit rtl --help describes --vectors and the check command', () => {
    const r = ivit(['rtl', '--help']);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.ok(help.includes('--vectors <N>'), help);
    assert.ok(help.includes('check [options] <dir>'), help);
    const sub = ivit(['rtl', 'check', '--help']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stdout.replace(/\s+/g, ' '), /--sim <simulator> icarus \| verilator/);
  });
});
