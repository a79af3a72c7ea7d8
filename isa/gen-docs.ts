/** Writes docs/isa.md from the instruction table. Run from the repository root: node dist/isa/gen-docs.js */
import { writeFileSync } from 'node:fs';
import { isaMarkdown } from './docs.js';

writeFileSync('docs/isa.md', isaMarkdown());
process.stdout.write('docs/isa.md written\n');
