import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { isaMarkdown } from '../../isa/docs.js';
import { INSTRUCTIONS } from '../../isa/table.js';
import { REPO_ROOT } from '../sim/helpers.js';

describe('docs/isa.md', () => {
  it('is current with the instruction table (regenerate: node dist/isa/gen-docs.js)', () => {
    const committed = readFileSync(`${REPO_ROOT}docs/isa.md`, 'utf8');
    assert.equal(committed, isaMarkdown());
    for (const s of INSTRUCTIONS) assert.ok(committed.includes(`### ${s.mnemonic} (opcode ${s.opcode})`));
  });
});
