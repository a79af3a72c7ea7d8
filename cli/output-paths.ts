/**
 * Output paths: a directory the user names is created one level at a time (Node's recursive mkdir never returns
 * under /proc), and any file-system error on the way, for reading or writing, is the user's one-line error.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';

/** An error thrown by node:fs (it has a code such as ENOENT and names the path). */
export function isFileSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Create `dir` and its missing parents, or say in one line why it cannot be (not a directory, no permission...). */
export function ensureOutputDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      if (isFileSystemError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR') && dirname(at) !== at) {
        missing.unshift(at);
        at = dirname(at);
        continue;
      }
      throw new UserError(`output directory ${dir}: ${isFileSystemError(e) ? e.message : String(e)}`);
    }
    if (!isDir) throw new UserError(`output directory ${dir}: ${at} is not a directory`);
    break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new UserError(`output directory ${dir}: cannot create ${d} (${isFileSystemError(e) ? e.code : String(e)})`);
    }
  }
}

/** Before any work: the file's directory must exist and be a directory, and the path must not be a directory. */
export function checkOutputFile(file: string): void {
  const dir = dirname(resolve(file));
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new UserError(
      `output file ${file}: its directory ${dir} ${isFileSystemError(e) && e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${isFileSystemError(e) ? e.code : String(e)})`}`,
    );
  }
  if (!st.isDirectory()) throw new UserError(`output file ${file}: ${dir} is not a directory`);
  try {
    if (statSync(file).isDirectory()) throw new UserError(`output file ${file} is a directory`);
  } catch (e) {
    if (e instanceof UserError) throw e;
  }
}
