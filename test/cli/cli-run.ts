/** Run the real `ivit` binary in a child process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = resolve(REPO, 'bin', 'ivit.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** @param killAfterMs a hung command is killed after this long (a safety net, not a check: tests set their own timeouts) */
export function ivit(args: string[], env: Record<string, string> = {}, killAfterMs = 300000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env }, timeout: killAfterMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, one line on stderr, no stack trace. */
export function isCleanUserError(r: CliResult): boolean {
  const lines = r.stderr.trim().split('\n');
  return r.code === 2 && lines.length >= 1 && !/\n\s+at /.test(r.stderr) && !r.stderr.includes('internal error');
}
