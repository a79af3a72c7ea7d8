import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { AssemblyError, assemble } from '../../isa/asm/assembler.js';
import { disassemble, formatInstruction } from '../../isa/disasm.js';
import { encodeInstruction } from '../../isa/encoding.js';
import { INSTRUCTION_BYTES } from '../../isa/table.js';
import { writeContainer } from '../../isa/container.js';
import { anyInstruction } from './arbitraries.js';
import { REPO_ROOT } from '../sim/helpers.js';

function errorsOf(text: string): AssemblyError {
  try {
    assemble(text, 't.s');
  } catch (e) {
    if (e instanceof AssemblyError) return e;
    throw e;
  }
  assert.fail('expected an AssemblyError');
}

const EXAMPLES = readdirSync(`${REPO_ROOT}programs/examples`).filter((f) => f.endsWith('.s'));

describe('assembler', () => {
  it('asm → binary → disasm → asm round-trips exactly on the examples', () => {
    assert.ok(EXAMPLES.length >= 4);
    for (const f of EXAMPLES) {
      const p = assemble(readFileSync(`${REPO_ROOT}programs/examples/${f}`, 'utf8'), f);
      const text = disassemble(p);
      const q = assemble(text, `${f} (disassembled)`);
      assert.deepEqual(writeContainer(q), writeContainer(p), `${f}: container differs after the round trip`);
      assert.equal(disassemble(q), text);
    }
  });

  it('round-trips random programs (instructions, labels, constants, data)', () => {
    const program = fc.record({
      instructions: fc.array(anyInstruction, { minLength: 0, maxLength: 12 }),
      labels: fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/)), { maxLength: 4 }),
      consts: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), fc.integer({ min: -1e12, max: 1e12 })), { maxLength: 4 }),
      data: fc.array(fc.tuple(fc.integer({ min: 0, max: 1 << 20 }), fc.uint8Array({ minLength: 1, maxLength: 70 })), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(program, (prog) => {
        const used = new Set<string>();
        const lines: string[] = [];
        for (const [name, v] of prog.consts)
          if (!used.has(name)) {
            used.add(name);
            lines.push(`.equ ${name}, ${v}`);
          }
        let end = -1;
        for (const [addr, bytes] of [...prog.data].sort((a, b) => a[0] - b[0])) {
          if (addr < end) continue;
          lines.push(`.bytes @${addr}, 0x${Buffer.from(bytes).toString('hex')}`);
          end = addr + bytes.length;
        }
        for (let pc = 0; pc <= prog.instructions.length; pc++) {
          for (const [at, name] of prog.labels)
            if (Math.min(at, prog.instructions.length) === pc && !used.has(name)) {
              used.add(name);
              lines.push(`${name}:`);
            }
          if (pc < prog.instructions.length) lines.push(`  ${formatInstruction(prog.instructions[pc]!)}`);
        }
        const p = assemble(lines.join('\n'));
        prog.instructions.forEach((ins, i) => assert.deepEqual(p.words.subarray(i * INSTRUCTION_BYTES, (i + 1) * INSTRUCTION_BYTES), encodeInstruction(ins)));
        const text = disassemble(p);
        const q = assemble(text);
        assert.deepEqual(writeContainer(q), writeContainer(p));
        assert.equal(disassemble(q), text);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts expressions, enum names, semaphore sets and omitted defaults', () => {
    const p = assemble(
      '.equ B, 0x100\n nop unit=sdu, wait=s1|s7, signal=none\n load dram=B*2+(3-1), dstride=0b1_0, local=B|1, lstride=1, rows=1, bytes=4, space=acc // comment\n',
    );
    const [nop, load] = p.instructions;
    assert.deepEqual(nop!.fields, { wait: 0x82, signal: 0, unit: 'sdu' });
    assert.ok(load!.mnemonic === 'load');
    assert.equal(load.fields.dram, 0x202);
    assert.equal(load.fields.dstride, 2);
    assert.equal(load.fields.local, 0x101);
    assert.equal(load.fields.space, 'acc');
  });

  it('reports every error at once with file:line:column and the offending text', () => {
    const e = errorsOf(
      [
        'ok: nop unit=load',
        '  gemm a=1 b=2',
        '  load dram=, rows=1',
        '  bogus x=1',
        '  nop unit=dsp',
        '  nop unit=load, unit=sdu',
        '  load dram=1, dstride=1, local=0, lstride=1, rows=0, bytes=3, space=acc',
        '.data @0, i8, 300',
        '  nop unit=load, wait=UNDEFINED',
        'ok: nop unit=sdu',
        '  nop unit=load $',
        '  shiftmax s=0, sstride=1, d=0, dstride=1, rows=1, cols=1, x0=5',
      ].join('\n'),
    );
    const where = e.diagnostics.map((d) => `${d.line}:${d.column}`);
    assert.deepEqual(where, ['2:12', '3:13', '4:3', '5:12', '6:18', '7:3', '7:3', '8:15', '9:23', '10:1', '11:17', '12:3']);
    const msg = e.message;
    assert.match(msg, /t\.s:2:12: syntax error: unexpected "b"/);
    assert.match(msg, /t\.s:4:3: unknown instruction "bogus" .*\(at "bogus"\)/);
    assert.match(msg, /t\.s:5:12: unit must be one of load, compute, sdu, store; got "dsp" \(at "dsp"\)/);
    assert.match(msg, /operand "unit" is given twice/);
    assert.match(msg, /rows must be at least 1/);
    assert.match(msg, /bytes \(3\) must be a multiple of 4/);
    assert.match(msg, /300 does not fit i8/);
    assert.match(msg, /t\.s:9:23: wait takes semaphores s0\.\.s7 joined by "\|", or none; got "UNDEFINED" \(at "UNDEFINED"\)/);
    assert.throws(() => assemble('load dram=NOPE, dstride=1, local=0, lstride=1, rows=1, bytes=1', 'u.s'), /u\.s:1:11: unknown symbol "NOPE"/);
    assert.match(msg, /label "ok" is already defined on line 1/);
    assert.match(msg, /unexpected character "\$"/);
    assert.match(msg, /x0 must be negative, got 5/);
  });

  it('random and mutated text never crashes: it assembles or gives positioned errors', () => {
    const base = readFileSync(`${REPO_ROOT}programs/examples/attention-head.s`, 'utf8');
    const alphabet = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_.,:;=@|+-*()x \n\t$#"\\/'.split(''));
    const mutated = fc
      .tuple(fc.integer({ min: 0, max: base.length }), fc.integer({ min: 0, max: 30 }), fc.string({ unit: alphabet, maxLength: 20 }))
      .map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(Math.min(base.length, at + del)));
    const random = fc.string({ unit: alphabet, maxLength: 200 });
    const lineCount = (t: string): number => t.split('\n').length;
    fc.assert(
      fc.property(fc.oneof(mutated, random, fc.string({ maxLength: 100 })), (text) => {
        try {
          assemble(text, 'fuzz.s');
        } catch (e) {
          if (!(e instanceof AssemblyError)) throw e;
          assert.ok(e.diagnostics.length > 0);
          for (const d of e.diagnostics) {
            assert.equal(d.file, 'fuzz.s');
            assert.ok(d.line >= 1 && d.line <= lineCount(text), `line ${d.line}`);
            assert.ok(d.column >= 1, `column ${d.column}`);
            assert.ok(d.message.length > 0);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
