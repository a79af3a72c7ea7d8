/**
 * The event-driven core with exact cycle accounting. A fetch stage decodes one instruction per cycle into the
 * queue of its unit (load DMA, compute array, SDU, store DMA); each unit runs its queue in order, one instruction
 * at a time. An instruction starts when (1) every semaphore in its wait mask is > 0 (each is then decremented),
 * (2) every scratchpad / accumulator bank it touches is free (it then holds them until it completes), and (3) for
 * DMA, the shared DRAM channel is free. On completion it increments the semaphores in its signal mask. Time jumps
 * from event to event; between events every blocked unit accrues stall cycles under the cause that blocks it.
 */
import { type Instruction, MalformedInstructionError, decodeInstruction, unitOf } from '../isa/encoding.js';
import { INSTRUCTION_BYTES, SEMAPHORES, UNITS, type UnitName, perUnit } from '../isa/table.js';
import { formatInstruction } from '../isa/disasm.js';
import type { ProgramImage } from '../isa/container.js';
import type { NumericsConfig } from '../verify/golden/numerics-config.js';
import { type AcceleratorConfig, numericsOf } from './config.js';
import { MachineState } from './state.js';
import { ExecError, SimFault } from './fault.js';
import { type Footprint, banksOf } from './footprint.js';
import type { UnitCost } from './timing/units.js';
import { type ReportClass, costOf, executeInstruction, footprintOf, reportClassOf } from './instructions/index.js';
import { ArrayProtocolError } from './array/detailed.js';
import { WidthOverflowError, NumericsInputError } from '../verify/golden/intmath.js';

export type StallCause = 'wait-load' | 'wait-compute' | 'wait-sdu' | 'wait-store' | 'wait-mixed' | 'bank-conflict' | 'dma-channel';
export const STALL_CAUSES: readonly StallCause[] = ['wait-load', 'wait-compute', 'wait-sdu', 'wait-store', 'wait-mixed', 'bank-conflict', 'dma-channel'];

export interface SimOptions {
  config: AcceleratorConfig;
  /** skip every value computation (timing, faults for addresses, deadlocks and limits still apply) */
  timingOnly?: boolean;
  /** GEMM timing and values from the PE-by-PE array model (small shapes only) */
  detailedArray?: boolean;
  /** fetch strictly one instruction per event cycle (the reference the batched fetch is tested against) */
  unbatchedFetch?: boolean;
  /** called every 256 completed instructions (a progress display; it must not touch the run) */
  onProgress?: (completed: number, total: number) => void;
}

/** Everything the reports need about one executed instruction. */
export interface ExecutedInstruction {
  pc: number;
  ins: Instruction;
  unit: UnitName;
  reportClass: ReportClass;
  dispatch: number;
  start: number;
  end: number;
  cost: UnitCost;
  footprint: Footprint;
  /** stall cycles accrued while this instruction was at the head of its queue, by cause */
  stalls: Partial<Record<StallCause, number>>;
}

export interface SimRun {
  cycles: number;
  executed: ExecutedInstruction[];
  state: MachineState | undefined;
  unitBusy: Record<UnitName, number>;
  dmaChannelBusy: number;
}

interface UnitState {
  queue: number[];
  head: number; // index into queue of the next instruction to start
  running: number; // pc, or -1
}

export function simulate(image: ProgramImage, opts: SimOptions): SimRun {
  return new Machine(image, opts).run();
}

/**
 * The machine in time. Each event cycle runs retire (completions), fetch (one instruction into its queue),
 * issue (each idle unit starts its head if nothing blocks it), then advance (to the next event, charging the
 * wait to whatever blocks each head).
 */
class Machine {
  private readonly cfg: AcceleratorConfig;
  private readonly numerics: NumericsConfig;
  private readonly n: number;
  private readonly state: MachineState | undefined;
  /** every word decoded up front; a malformed one faults when the fetch stage reaches it */
  private readonly words: (Instruction | MalformedInstructionError)[];
  /** which units signal each semaphore: a wait is attributed to them (the "waiting for DMA / SDU" causes) */
  private readonly signalers: Set<UnitName>[];
  private readonly decoded: (ExecutedInstruction | undefined)[];
  /** bank ranges per instruction, computed once: triples (0 spad / 1 acc, first bank, last bank) */
  private readonly bankRanges: Int32Array[];
  private readonly units: Record<UnitName, UnitState>;
  private readonly sem = new Array<number>(SEMAPHORES).fill(0);
  private readonly spadOwner: Int32Array;
  private readonly accOwner: Int32Array;
  private readonly unitBusy = perUnit(0);
  private readonly running: ExecutedInstruction[] = [];
  private t = 0;
  private channelFree = 0;
  private channelBusy = 0;
  private fetchPc = 0;
  private fetchReady = 0;
  private completed = 0;
  private lastEnd = 0;

  constructor(
    private readonly image: ProgramImage,
    private readonly opts: SimOptions,
  ) {
    const cfg = (this.cfg = opts.config);
    this.numerics = numericsOf(cfg);
    this.n = image.words.length / INSTRUCTION_BYTES;
    this.state = opts.timingOnly ? undefined : new MachineState(cfg);
    if (this.state) {
      try {
        this.state.loadImage(image.dram);
      } catch (e) {
        throw new SimFault('address', (e as Error).message, 0, 0, 'program load');
      }
    }
    this.decoded = new Array(this.n);
    this.bankRanges = new Array(this.n);
    this.units = Object.fromEntries(UNITS.map((u) => [u, { queue: [], head: 0, running: -1 }])) as unknown as Record<UnitName, UnitState>;
    this.spadOwner = new Int32Array(cfg.scratchpad.banks).fill(-1);
    this.accOwner = new Int32Array(cfg.accumulator.banks).fill(-1);
    this.words = new Array(this.n);
    for (let pc = 0; pc < this.n; pc++) {
      try {
        this.words[pc] = decodeInstruction(image.words, pc * INSTRUCTION_BYTES);
      } catch (e) {
        if (!(e instanceof MalformedInstructionError)) throw e;
        this.words[pc] = e;
      }
    }
    this.signalers = Array.from({ length: SEMAPHORES }, () => new Set<UnitName>());
    for (const w of this.words) {
      if (w instanceof MalformedInstructionError) continue;
      for (let s = 0; s < SEMAPHORES; s++) if (w.fields.signal & (1 << s)) this.signalers[s]!.add(unitOf(w));
    }
  }

  run(): SimRun {
    for (;;) {
      this.retire();
      const fetchedNow = this.fetch();
      this.issue();
      if (fetchedNow && !this.opts.unbatchedFetch) this.fetchAhead();
      if (this.completed === this.n && this.fetchPc === this.n) break;
      this.advance();
    }
    return {
      cycles: this.lastEnd,
      executed: this.decoded as ExecutedInstruction[],
      state: this.state,
      unitBusy: this.unitBusy,
      dmaChannelBusy: this.channelBusy,
    };
  }

  /** Completions at or before t: free the banks, signal, free the unit. */
  private retire(): void {
    const { running, t } = this;
    for (let i = running.length - 1; i >= 0; i--) {
      const x = running[i]!;
      if (x.end > t) continue;
      running.splice(i, 1);
      this.setBanks(x, -1);
      for (let s = 0; s < SEMAPHORES; s++) if (x.ins.fields.signal & (1 << s)) this.sem[s]!++;
      this.units[x.unit].running = -1;
      this.completed++;
      if ((this.completed & 255) === 0 && this.opts.onProgress) this.opts.onProgress(this.completed, this.n);
    }
  }

  /** One instruction per cycle into its unit's queue, while that queue has room. */
  private fetch(): boolean {
    if (this.fetchPc < this.n && this.fetchReady <= this.t && this.fetchOne(this.t)) {
      this.fetchReady = this.t + 1;
      return true;
    }
    return false;
  }

  /**
   * The fetch stage's following cycles up to the next event are fetched now (nothing else changes before that
   * event), except an instruction that would become the head of an idle unit: it could start in its own cycle,
   * so fetching stops there and resumes with an event in that cycle.
   */
  private fetchAhead(): void {
    let horizon = Infinity;
    for (const x of this.running) if (x.end < horizon) horizon = x.end;
    if (this.channelFree > this.t && this.channelFree < horizon) horizon = this.channelFree;
    let at = this.t + 1;
    while (this.fetchPc < this.n && at < horizon && at <= this.cfg.cycleLimit) {
      const w = this.words[this.fetchPc]!;
      if (!(w instanceof MalformedInstructionError)) {
        const u = this.units[unitOf(w)];
        if (u.running === -1 && u.queue.length === u.head) break;
      }
      if (!this.fetchOne(at)) break;
      at++;
    }
    this.fetchReady = at;
  }

  /** Fetch the next instruction in cycle `at` if its queue has room; faults for malformed words and bad addresses. */
  private fetchOne(at: number): boolean {
    const pc = this.fetchPc;
    const ins = this.words[pc]!;
    if (ins instanceof MalformedInstructionError) {
      const word = Buffer.from(this.image.words.subarray(pc * INSTRUCTION_BYTES, (pc + 1) * INSTRUCTION_BYTES)).toString('hex');
      throw new SimFault('malformed', ins.message, at, pc, `word 0x${word}`);
    }
    const unit = unitOf(ins);
    const u = this.units[unit];
    if (u.queue.length - u.head >= this.cfg.queueDepth) return false;
    let footprint: Footprint;
    try {
      footprint = footprintOf(ins, this.cfg);
    } catch (e) {
      if (e instanceof ExecError) throw new SimFault('address', e.message, at, pc, formatInstruction(ins));
      throw e;
    }
    this.decoded[pc] = {
      pc,
      ins,
      unit,
      reportClass: reportClassOf(ins),
      dispatch: at,
      start: -1,
      end: -1,
      cost: { cycles: 0, channelCycles: 0 },
      footprint,
      stalls: {},
    };
    u.queue.push(pc);
    this.fetchPc++;
    return true;
  }

  /** Each idle unit starts the head of its queue unless something blocks it. */
  private issue(): void {
    const t = this.t;
    for (const name of UNITS) {
      const u = this.units[name];
      if (u.running !== -1 || u.head >= u.queue.length) continue;
      const x = this.decoded[u.queue[u.head]!]!;
      if (this.blocker(x)) continue;
      for (let s = 0; s < SEMAPHORES; s++) if (x.ins.fields.wait & (1 << s)) this.sem[s]!--;
      this.setBanks(x, x.pc);
      this.start(x);
      x.start = t;
      x.end = t + x.cost.cycles;
      if (x.cost.channelCycles) {
        this.channelFree = t + x.cost.channelCycles;
        this.channelBusy += x.cost.channelCycles;
      }
      this.unitBusy[name] += x.cost.cycles;
      u.running = x.pc;
      u.head++;
      this.running.push(x);
      this.lastEnd = Math.max(this.lastEnd, x.end);
    }
  }

  /** Its cost and, with values, its effect; errors become faults naming the cycle and the PC. */
  private start(x: ExecutedInstruction): void {
    const detailedArray = this.opts.detailedArray ?? false;
    try {
      x.cost = costOf(x.ins, this.cfg, detailedArray);
      if (this.state) executeInstruction(this.state, x.ins, { config: this.cfg, numerics: this.numerics, detailedArray, site: `pc ${x.pc}` });
    } catch (e) {
      if (e instanceof ExecError) throw this.fault(e.kind, e.message, x.pc);
      if (e instanceof WidthOverflowError || e instanceof NumericsInputError || e instanceof RangeError) throw this.fault('value', e.message, x.pc);
      if (e instanceof ArrayProtocolError) throw this.fault('value', `detailed array model: ${e.message}`, x.pc);
      throw e;
    }
  }

  /** Time moves to the next event; every blocked head is charged the wait under its cause. */
  private advance(): void {
    const { t, cfg } = this;
    // the next event: a completion, the fetch stage's next slot, or the DRAM channel freeing up
    let next = Infinity;
    for (const x of this.running) next = Math.min(next, x.end);
    if (this.fetchPc < this.n) {
      const w = this.words[this.fetchPc]!;
      const u = w instanceof MalformedInstructionError ? undefined : this.units[unitOf(w)];
      if (!u || u.queue.length - u.head < cfg.queueDepth) next = Math.min(next, Math.max(this.fetchReady, t + 1));
    }
    // every idle unit's head is blocked now (it would have started otherwise): by what?
    const heads: ExecutedInstruction[] = [];
    const causes: StallCause[] = [];
    for (const name of UNITS) {
      const u = this.units[name];
      if (u.running !== -1 || u.head >= u.queue.length) continue;
      const x = this.decoded[u.queue[u.head]!]!;
      heads.push(x);
      causes.push(this.blocker(x)!);
    }
    if (this.channelFree > t && causes.includes('dma-channel')) next = Math.min(next, this.channelFree);
    if (next === Infinity) {
      const blocked = heads.map((x) => `${x.unit} pc ${x.pc} (${this.describe(x.pc)}) waits for ${waitList(x.ins.fields.wait, this.sem)}`);
      const first = heads.reduce((a, b) => (a.pc <= b.pc ? a : b));
      // the fetch stage may have run ahead of t within this event: the deadlock is certain after its last fetch
      throw new SimFault('deadlock', `no unit can proceed: ${blocked.join('; ')}`, Math.max(t, this.fetchReady - 1), first.pc, this.describe(first.pc));
    }
    heads.forEach((x, i) => {
      const cause = causes[i]!;
      x.stalls[cause] = (x.stalls[cause] ?? 0) + (next - t);
    });
    if (next > cfg.cycleLimit) {
      const pc = this.running.length ? this.running[0]!.pc : heads.length ? heads[0]!.pc : Math.max(0, this.fetchPc - 1);
      throw new SimFault('cycle-limit', `the run passes the cycle limit of ${cfg.cycleLimit}`, cfg.cycleLimit, pc, this.describe(pc));
    }
    this.t = next;
  }

  /** Why the head of a unit's queue cannot start now, or undefined if it can. */
  private blocker(x: ExecutedInstruction): StallCause | undefined {
    const w = this.waitCause(x.ins.fields.wait);
    if (w) return w;
    if (!this.banksFree(x)) return 'bank-conflict';
    if ((x.unit === 'load' || x.unit === 'store') && this.channelFree > this.t) return 'dma-channel';
    return undefined;
  }

  private waitCause(mask: number): StallCause | undefined {
    if (mask === 0) return undefined;
    let cause: StallCause | undefined;
    for (let s = 0; s < SEMAPHORES; s++) {
      if (!(mask & (1 << s)) || this.sem[s]! > 0) continue;
      const from = this.signalers[s]!;
      const c: StallCause = from.size === 1 ? (`wait-${[...from][0]}` as StallCause) : 'wait-mixed';
      if (cause && cause !== c) return 'wait-mixed';
      cause = c;
    }
    return cause;
  }

  private bankRangesOf(x: ExecutedInstruction): Int32Array {
    let r = this.bankRanges[x.pc];
    if (!r) {
      const list: number[] = [];
      for (const a of x.footprint.accesses) {
        if (a.space === 'dram') continue;
        const [b0, b1] = banksOf(a, this.cfg);
        list.push(a.space === 'spad' ? 0 : 1, b0, b1);
      }
      r = Int32Array.from(list);
      this.bankRanges[x.pc] = r;
    }
    return r;
  }

  private banksFree(x: ExecutedInstruction): boolean {
    const r = this.bankRangesOf(x);
    for (let i = 0; i < r.length; i += 3) {
      const owner = r[i] === 0 ? this.spadOwner : this.accOwner;
      for (let b = r[i + 1]!; b <= r[i + 2]!; b++) if (owner[b] !== -1 && owner[b] !== x.pc) return false;
    }
    return true;
  }

  private setBanks(x: ExecutedInstruction, v: number): void {
    const r = this.bankRangesOf(x);
    for (let i = 0; i < r.length; i += 3) {
      const owner = r[i] === 0 ? this.spadOwner : this.accOwner;
      for (let b = r[i + 1]!; b <= r[i + 2]!; b++) owner[b] = v;
    }
  }

  private describe(pc: number): string {
    const d = this.decoded[pc];
    return d ? formatInstruction(d.ins) : `word ${pc}`;
  }

  private fault(kind: SimFault['kind'], detail: string, pc: number): SimFault {
    return new SimFault(kind, detail, this.t, pc, this.describe(pc));
  }
}

function waitList(mask: number, sem: readonly number[]): string {
  const out: string[] = [];
  for (let s = 0; s < SEMAPHORES; s++) if (mask & (1 << s)) out.push(`s${s}=${sem[s]}`);
  return out.join(', ');
}
