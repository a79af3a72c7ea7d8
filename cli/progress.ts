/**
 * Progress of a long command (sweep, eval): RunProgress's bar on a terminal; plain lines on stderr otherwise
 * (a log file, GNU parallel, a Slurm or Kubernetes job), one per phase and one per tenth of a phase's work,
 * so that a batch log shows where a run is without a line per item.
 */
import { RunProgress } from './commands/run.js';

export class CommandProgress {
  private readonly bar: RunProgress | undefined;
  private label = '';
  private lastTenth = -1;

  constructor(
    private readonly name: string,
    phases: number,
    tty = process.stderr.isTTY === true,
  ) {
    this.bar = tty ? new RunProgress(phases, true) : undefined;
  }

  step(label: string): void {
    this.label = label;
    this.lastTenth = -1;
    if (this.bar) this.bar.step(label);
    else process.stderr.write(`${this.name}: ${label}\n`);
  }

  /** `lines: false` updates the bar only (where the caller writes its own line per item). */
  progress(done: number, total: number, opts: { lines?: boolean } = {}): void {
    if (this.bar) return this.bar.progress(done, total);
    if (opts.lines === false) return;
    const tenth = total > 0 ? Math.floor((10 * done) / total) : 10;
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    process.stderr.write(`${this.name}: ${this.label}: ${done}/${total}\n`);
  }

  /** A line that stays (on a terminal the bar is redrawn below it by the next update). */
  note(text: string): void {
    if (this.bar) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${this.name}: ${text}\n`);
  }

  finish(): void {
    this.bar?.finish();
  }
}
