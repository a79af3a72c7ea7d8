// Assemble the WebAssembly kernels (verify/**/*.wat, sim/**/*.wat) into dist/ next to the compiled TypeScript.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wabt = await wabtInit();
function* watFiles(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* watFiles(p);
    else if (name.endsWith('.wat')) yield p;
  }
}
for (const src of [...watFiles(join(root, 'verify')), ...watFiles(join(root, 'sim'))]) {
  const mod = wabt.parseWat(src, readFileSync(src, 'utf8'), { simd: true, bulk_memory: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  const out = join(root, 'dist', relative(root, src)).replace(/\.wat$/, '.wasm');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buffer);
  mod.destroy();
}
