/**
 * The PyTorch columns of an evaluation (verify/torch/eval_reference.py, run by /usr/bin/python3): the FP32
 * model, the float32 fake-quant pass, the exact int64 pass. The prepared inputs, pixels and labels go to
 * Python as binary files, so both languages see the same int8 inputs; the results come back the same way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalSet } from './eval-data.js';

/** Debian's python with python3-torch (IVIT_PYTHON overrides, e.g. to test a python without torch). */
export function pythonPath(): string {
  return process.env.IVIT_PYTHON ?? '/usr/bin/python3';
}

const script = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'verify', 'torch', 'eval_reference.py');

/** A bad model, checkpoint or input file that the Python side refused; the message names it. */
export class TorchEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchEvalError';
  }
}

export type TorchColumn = 'fp32' | 'fakequant' | 'int64';

export interface TorchResults {
  /** argmax per image; absent when no float checkpoint was given */
  fp32Argmax?: Int32Array;
  /** absent when the preset has no fake-quant pass (fakeQuantOmitted says why) */
  fakeQuantArgmax?: Int32Array;
  fakeQuantOmitted?: string;
  /** [count × numClasses], the exact integer pass's logits */
  int64Logits: BigInt64Array;
  /** the FP32 correct count Python computed from the labels it was handed (a check of the plumbing) */
  fp32Correct?: number;
  environment: { torch: string; python: string; device: string };
  /** the normalisation fashion_data.py applied for the FP32 model */
  normalise: { mean: number; std: number };
  seconds: Partial<Record<TorchColumn, number>>;
}

/** Why the PyTorch columns cannot run here, or null when they can. */
export function torchUnavailable(): string | null {
  const r = spawnSync(pythonPath(), ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `unavailable (${pythonPath()} missing)`;
  return r.status === 0 ? null : 'unavailable (python3-torch missing)';
}

/** The presets eval_reference.py runs: `fqvit` and the isvit ones run the int64 pass only (no fake-quant pass of theirs). */
export type TorchNumerics = 'pytorch' | 'fqvit' | 'isvit-w4a4' | 'isvit-w3a3';

export interface TorchOptions {
  floatCheckpoint?: string;
  numerics: TorchNumerics;
  threads: number;
  onProgress?: (column: TorchColumn, done: number, total: number) => void;
}

export async function runTorchColumns(modelPath: string, numClasses: number, set: EvalSet, opts: TorchOptions): Promise<TorchResults> {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-eval-'));
  try {
    writeFileSync(join(dir, 'inputs.i8'), set.inputs);
    writeFileSync(join(dir, 'pixels.u8'), set.pixels);
    writeFileSync(join(dir, 'labels.u8'), set.labels);
    const args = [
      script,
      '--model',
      modelPath,
      '--dir',
      dir,
      '--count',
      String(set.count),
      '--numerics',
      opts.numerics,
      ...(opts.floatCheckpoint ? ['--float', opts.floatCheckpoint] : []),
    ];
    const env = { ...process.env, IVIT_TORCH_THREADS: process.env.IVIT_TORCH_THREADS ?? String(opts.threads) };
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
      const child = spawn(pythonPath(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let pending = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        pending += b.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const p = parseJsonLine(line);
          if (p && typeof p.column === 'string' && typeof p.done === 'number' && typeof p.total === 'number')
            opts.onProgress?.(p.column as TorchColumn, p.done, p.total);
          else err += `${line}\n`;
        }
      });
      child.on('error', reject);
      child.on('close', (c) => resolvePromise({ code: c, stdout: out, stderr: err + pending }));
    });
    if (code !== 0) {
      const last = stderr.trim().split('\n').pop() ?? '';
      const msg = parseJsonLine(last);
      if (code === 2 && msg && typeof msg.error === 'string') throw new TorchEvalError(msg.error);
      throw new Error(`${script} exited with ${code}: ${stderr.trim().slice(-1500)}`);
    }
    const summary = JSON.parse(stdout) as {
      torch: string;
      python: string;
      device: string;
      normalise: { mean: number; std: number };
      seconds: Partial<Record<TorchColumn, number>>;
      fp32Correct?: number;
      fakeQuantOmitted?: string;
    };
    const read = (name: string): Buffer => readFileSync(join(dir, name));
    const i32 = (name: string): Int32Array => {
      const b = read(name);
      return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const logitsBuf = read('int64-logits.i64');
    const int64Logits = new BigInt64Array(logitsBuf.buffer.slice(logitsBuf.byteOffset, logitsBuf.byteOffset + logitsBuf.byteLength));
    if (int64Logits.length !== set.count * numClasses)
      throw new Error(`int64 logits: ${int64Logits.length} values for ${set.count} images × ${numClasses} classes`);
    return {
      ...(opts.floatCheckpoint ? { fp32Argmax: i32('fp32-argmax.i32') } : {}),
      ...(summary.fakeQuantOmitted !== undefined ? { fakeQuantOmitted: summary.fakeQuantOmitted } : { fakeQuantArgmax: i32('fakequant-argmax.i32') }),
      int64Logits,
      ...(summary.fp32Correct !== undefined ? { fp32Correct: summary.fp32Correct } : {}),
      environment: { torch: summary.torch, python: summary.python, device: summary.device },
      normalise: summary.normalise,
      seconds: summary.seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
