import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MalformedInstructionError, decodeInstruction, encodeInstruction, makeInstruction } from '../../isa/encoding.js';
import { BY_MNEMONIC, INSTRUCTIONS, INSTRUCTION_BITS, INSTRUCTION_BYTES, fieldOffsets } from '../../isa/table.js';
import { anyInstruction } from './arbitraries.js';

describe('instruction encoding', () => {
  it('every instruction fits the word and opcodes are unique', () => {
    const ops = new Set<number>();
    for (const s of INSTRUCTIONS) {
      const offs = fieldOffsets(s);
      const last = offs.length ? offs[offs.length - 1]! + s.fields[s.fields.length - 1]!.bits : 0;
      assert.ok(last <= INSTRUCTION_BITS, `${s.mnemonic} uses ${last} bits`);
      assert.ok(!ops.has(s.opcode), `opcode ${s.opcode} twice`);
      ops.add(s.opcode);
      assert.equal(new Set(s.fields.map((f) => f.name)).size, s.fields.length, `${s.mnemonic} repeats a field name`);
    }
  });

  it('decode(encode(i)) = i for random valid instructions', () => {
    fc.assert(
      fc.property(anyInstruction, (ins) => {
        const word = encodeInstruction(ins);
        assert.equal(word.length, INSTRUCTION_BYTES);
        const back = decodeInstruction(word);
        assert.equal(back.spec, ins.spec);
        assert.deepEqual(back.fields, ins.fields);
      }),
      { numRuns: 2000 },
    );
  });

  it('random words never crash the decoder: a valid instruction that re-encodes identically, or MalformedInstructionError', () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: INSTRUCTION_BYTES, maxLength: INSTRUCTION_BYTES }), fc.integer({ min: 0, max: 9 }), (bytes, op) => {
        // half of the words get a known opcode so that field checks are exercised too
        const w = Uint8Array.from(bytes);
        if (op < 5) w[0] = (w[0]! & 0xc0) | op;
        try {
          const ins = decodeInstruction(w);
          valid++;
          assert.deepEqual(encodeInstruction(ins), w);
        } catch (e) {
          if (!(e instanceof MalformedInstructionError)) throw e;
          assert.ok(e.message.length > 0);
        }
      }),
      { numRuns: 5000 },
    );
    void valid;
  });

  it('reserved bits, unknown opcodes, bad enums and broken operand rules are malformed', () => {
    const nop = encodeInstruction(makeInstruction('nop', { wait: 0, signal: 0, unit: 'sdu' }));
    const reserved = Uint8Array.from(nop);
    reserved[31] = 0x80;
    assert.throws(() => decodeInstruction(reserved), /reserved bits/);
    const unknown = new Uint8Array(INSTRUCTION_BYTES);
    unknown[0] = 63;
    assert.throws(() => decodeInstruction(unknown), /unknown opcode 63/);
    assert.throws(() => decodeInstruction(new Uint8Array(10)), /truncated/);
    const fields = {
      wait: 0,
      signal: 0,
      a: 0,
      astride: 1,
      atype: 'i8',
      b: 0,
      bstride: 1,
      bstep: 1,
      c: 0,
      cstride: 1,
      init: 'zero',
      bias: 0,
      m: 1,
      n: 1,
      k: 0,
      amode: 'mul',
      fbits: 0,
    } as const;
    assert.throws(() => makeInstruction('gemm', fields), /k must be at least 1/);
    const rq = {
      wait: 0,
      signal: 0,
      sspace: 'acc',
      s: 0,
      sstride: 1,
      stype: 'i8',
      dspace: 'spad',
      d: 0,
      dstride: 1,
      dtype: 'i8',
      rows: 1,
      cols: 1,
      qmode: 'tensor',
      qtab: 0,
    } as const;
    assert.throws(() => makeInstruction('requant', rq), /accumulator buffer holds only i32/);
    assert.throws(() => makeInstruction('requant', { ...rq, sspace: 'spad', qmode: 'none' }), /qmode=none: this instruction always requantises/);
    // an enum code past the last name is malformed, not read as some value
    const word = encodeInstruction(makeInstruction('gemm', { ...fields, k: 1 }));
    const initAt = fieldOffsets(BY_MNEMONIC.get('gemm')!)[BY_MNEMONIC.get('gemm')!.fields.findIndex((f) => f.name === 'init')]!;
    const bad = Uint8Array.from(word);
    for (const bit of [initAt, initAt + 1]) bad[bit >> 3]! |= 1 << (bit & 7); // init = 0b11
    assert.throws(() => decodeInstruction(bad), /init = 3 does not fit its 2-bit field \(0\.\.2\)/);
  });
});
