/**
 * The instruction table's types, checked by the compiler: each `@ts-expect-error` below must be an error, or the
 * build fails ("unused directive"). So a behaviour table without a record for every mnemonic, a field an
 * instruction does not have, or an enum value outside its names cannot compile.
 */
import { strict as assert } from 'node:assert';
import type { Fields, Mnemonic } from '../../isa/table.js';
import { makeInstruction } from '../../isa/encoding.js';
import { BEHAVIOURS } from '../../sim/instructions/index.js';
import type { BehaviourTable } from '../../sim/instructions/behaviour.js';

describe('instruction table types', () => {
  it('every mnemonic needs its record; fields and enum values are checked by the compiler', () => {
    const { gemm: _gemm, ...withoutGemm } = BEHAVIOURS;
    // @ts-expect-error: a table without gemm's record is not a BehaviourTable
    const incomplete: BehaviourTable = withoutGemm;
    // @ts-expect-error: 'fma' is not a mnemonic
    const notAnInstruction: Mnemonic = 'fma';
    // @ts-expect-error: gemm's init is 'zero' | 'acc' | 'bias', not a number
    const badInit: Fields<'gemm'>['init'] = 2;
    // @ts-expect-error: requant has no field x0
    const noSuchField: Fields<'requant'>['x0'] = 0;
    const init: Fields<'gemm'>['init'] = 'bias';
    const nop = makeInstruction('nop', { wait: 0, signal: 1, unit: 'sdu' });
    assert.equal(nop.fields.unit, 'sdu');
    assert.equal(init, 'bias');
    void [incomplete, notAnInstruction, badInit, noSuchField];
  });
});
