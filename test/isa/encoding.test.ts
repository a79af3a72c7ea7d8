import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MalformedInstructionError, decodeInstruction, encodeInstruction } from '../../isa/encoding.js';
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
    fc.assert(fc.property(anyInstruction, (ins) => {
      const word = encodeInstruction(ins);
      assert.equal(word.length, INSTRUCTION_BYTES);
      const back = decodeInstruction(word);
      assert.equal(back.spec, ins.spec);
      assert.deepEqual(back.fields, ins.fields);
    }), { numRuns: 2000 });
  });

  it('random words never crash the decoder: a valid instruction that re-encodes identically, or MalformedInstructionError', () => {
    let valid = 0;
    fc.assert(fc.property(fc.uint8Array({ minLength: INSTRUCTION_BYTES, maxLength: INSTRUCTION_BYTES }), fc.integer({ min: 0, max: 9 }), (bytes, op) => {
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
    }), { numRuns: 5000 });
    void valid;
  });

  it('reserved bits, unknown opcodes, bad enums and broken operand rules are malformed', () => {
    const nop = encodeInstruction({ spec: BY_MNEMONIC.get('nop')!, fields: { wait: 0, signal: 0, unit: 2 } });
    const reserved = Uint8Array.from(nop);
    reserved[31] = 0x80;
    assert.throws(() => decodeInstruction(reserved), /reserved bits/);
    const unknown = new Uint8Array(INSTRUCTION_BYTES);
    unknown[0] = 63;
    assert.throws(() => decodeInstruction(unknown), /unknown opcode 63/);
    assert.throws(() => decodeInstruction(new Uint8Array(10)), /truncated/);
    const gemm = BY_MNEMONIC.get('gemm')!;
    const fields = { wait: 0, signal: 0, a: 0, astride: 1, atype: 0, b: 0, bstride: 1, bstep: 1, c: 0, cstride: 1, init: 0, bias: 0, m: 1, n: 1, k: 0 };
    assert.throws(() => encodeInstruction({ spec: gemm, fields }), /k must be at least 1/);
    const requant = BY_MNEMONIC.get('requant')!;
    const rq = { wait: 0, signal: 0, sspace: 1, s: 0, sstride: 1, stype: 0, dspace: 0, d: 0, dstride: 1, dtype: 0, rows: 1, cols: 1, qmode: 0, qtab: 0 };
    assert.throws(() => encodeInstruction({ spec: requant, fields: rq }), /accumulator buffer holds only i32/);
  });
});
