/** fast-check generators of valid instructions and programs, derived from the instruction table. */
import fc from 'fast-check';
import { type FieldValue, INSTRUCTIONS, type InstructionSpec, enumValues, fieldRange } from '../../isa/table.js';
import { type Instruction, checkedInstruction, fieldProblems } from '../../isa/encoding.js';

export function instructionOf(spec: InstructionSpec): fc.Arbitrary<Instruction> {
  const rec: Record<string, fc.Arbitrary<FieldValue>> = {};
  for (const f of spec.fields) {
    if (f.kind === 'enum') {
      rec[f.name] = fc.constantFrom(...enumValues(f));
      continue;
    }
    const { lo, hi } = fieldRange(f);
    // bias towards small values so that operand rules (non-zero dims, x0 < 0 ...) hold often
    rec[f.name] = fc.oneof(fc.integer({ min: lo, max: hi }), fc.integer({ min: Math.max(lo, -64), max: Math.min(hi, 64) }));
  }
  return fc
    .record(rec)
    .filter((fields) => fieldProblems(spec, fields).length === 0)
    .map((fields) => checkedInstruction(spec, { ...fields }));
}

export const anyInstruction: fc.Arbitrary<Instruction> = fc.constantFrom(...(INSTRUCTIONS as readonly InstructionSpec[])).chain(instructionOf);
