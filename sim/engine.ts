/**
 * The event-driven core with exact cycle accounting. A fetch stage decodes one instruction per cycle into the
 * queue of its unit (load DMA, compute array, SDU, store DMA); each unit runs its queue in order, one instruction
 * at a time. An instruction starts when (1) every semaphore in its wait mask is > 0 (each is then decremented),
 * (2) every scratchpad / accumulator bank it touches is free (it then holds them until it completes), and (3) for
 * DMA, the shared DRAM channel is free. On completion it increments the semaphores in its signal mask. Time jumps
 * from event to event; between events every blocked unit accrues stall cycles under the cause that blocks it.
 */
import { type Instruction, MalformedInstructionError, decodeInstruction, unitOf } from '../isa/encoding.js';
import { INSTRUCTION_BYTES, SEMAPHORES, UNITS, type UnitName } from '../isa/table.js';
import { formatInstruction } from '../isa/disasm.js';
import type { ProgramImage } from '../isa/container.js';
import { type AcceleratorConfig, numericsOf } from './config.js';
import { MachineState } from './state.js';
import { ExecError, SimFault } from './fault.js';
import { type Footprint, banksOf, footprintOf } from './footprint.js';
import { type UnitCost, unitCost } from './timing/units.js';
import { executeDma } from './exec/dma.js';
import { executeGemm, executeGemmDetailed } from './exec/gemm.js';
import { executeSdu } from './exec/sdu.js';
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
  const cfg = opts.config;
  const numerics = numericsOf(cfg);
  const n = image.words.length / INSTRUCTION_BYTES;
  const state = opts.timingOnly ? undefined : new MachineState(cfg);
  if (state) {
    try {
      state.loadImage(image.dram);
    } catch (e) {
      throw new SimFault('address', (e as Error).message, 0, 0, 'program load');
    }
  }
  const decoded: (ExecutedInstruction | undefined)[] = new Array(n);
  const units = Object.fromEntries(UNITS.map((u) => [u, { queue: [], head: 0, running: -1 }])) as unknown as Record<UnitName, UnitState>;
  const sem = new Array<number>(SEMAPHORES).fill(0);
  const spadOwner = new Int32Array(cfg.scratchpad.banks).fill(-1);
  const accOwner = new Int32Array(cfg.accumulator.banks).fill(-1);
  const unitBusy: Record<UnitName, number> = { load: 0, compute: 0, sdu: 0, store: 0 };
  let channelFree = 0;
  let channelBusy = 0;
  let fetchPc = 0;
  let fetchReady = 0;
  let completed = 0;
  let lastEnd = 0;
  const running: ExecutedInstruction[] = [];

  // Decode once up front; a malformed word faults when the fetch stage reaches it.
  const words: (Instruction | MalformedInstructionError)[] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    try {
      words[pc] = decodeInstruction(image.words, pc * INSTRUCTION_BYTES);
    } catch (e) {
      if (!(e instanceof MalformedInstructionError)) throw e;
      words[pc] = e;
    }
  }
  // Which units signal each semaphore: a wait is attributed to them (the "waiting for DMA / SDU" causes).
  const signalers: Set<UnitName>[] = Array.from({ length: SEMAPHORES }, () => new Set<UnitName>());
  for (const w of words) {
    if (w instanceof MalformedInstructionError) continue;
    for (let s = 0; s < SEMAPHORES; s++) if (w.fields.signal! & (1 << s)) signalers[s]!.add(unitOf(w));
  }

  const describe = (pc: number): string => {
    const d = decoded[pc];
    return d ? formatInstruction(d.ins) : `word ${pc}`;
  };

  // Bank ranges per instruction, computed once at fetch: triples (0 spad / 1 acc, first bank, last bank).
  const bankRanges: Int32Array[] = new Array(n);
  const bankRangesOf = (x: ExecutedInstruction): Int32Array => {
    let r = bankRanges[x.pc];
    if (!r) {
      const list: number[] = [];
      for (const a of x.footprint.accesses) {
        if (a.space === 'dram') continue;
        const [b0, b1] = banksOf(a, cfg);
        list.push(a.space === 'spad' ? 0 : 1, b0, b1);
      }
      r = Int32Array.from(list);
      bankRanges[x.pc] = r;
    }
    return r;
  };
  const banksFree = (x: ExecutedInstruction): boolean => {
    const r = bankRangesOf(x);
    for (let i = 0; i < r.length; i += 3) {
      const owner = r[i] === 0 ? spadOwner : accOwner;
      for (let b = r[i + 1]!; b <= r[i + 2]!; b++) if (owner[b] !== -1 && owner[b] !== x.pc) return false;
    }
    return true;
  };
  const setBanks = (x: ExecutedInstruction, v: number): void => {
    const r = bankRangesOf(x);
    for (let i = 0; i < r.length; i += 3) {
      const owner = r[i] === 0 ? spadOwner : accOwner;
      for (let b = r[i + 1]!; b <= r[i + 2]!; b++) owner[b] = v;
    }
  };

  const waitCause = (mask: number): StallCause | undefined => {
    if (mask === 0) return undefined;
    let cause: StallCause | undefined;
    for (let s = 0; s < SEMAPHORES; s++) {
      if (!(mask & (1 << s)) || sem[s]! > 0) continue;
      const from = signalers[s]!;
      const c: StallCause = from.size === 1 ? (`wait-${[...from][0]}` as StallCause) : 'wait-mixed';
      if (cause && cause !== c) return 'wait-mixed';
      cause = c;
    }
    return cause;
  };

  /** Why the head of a unit's queue cannot start now, or undefined if it can. */
  const blocker = (x: ExecutedInstruction, t: number): StallCause | undefined => {
    const w = waitCause(x.ins.fields.wait!);
    if (w) return w;
    if (!banksFree(x)) return 'bank-conflict';
    if ((x.unit === 'load' || x.unit === 'store') && channelFree > t) return 'dma-channel';
    return undefined;
  };

  const fault = (kind: SimFault['kind'], detail: string, t: number, pc: number): SimFault => new SimFault(kind, detail, t, pc, describe(pc));

  /** Fetch the next instruction in cycle `at` if its queue has room; faults for malformed words and bad addresses. */
  const fetchOne = (at: number): boolean => {
    const ins = words[fetchPc]!;
    if (ins instanceof MalformedInstructionError) {
      throw new SimFault('malformed', ins.message, at, fetchPc, `word 0x${Buffer.from(image.words.subarray(fetchPc * INSTRUCTION_BYTES, (fetchPc + 1) * INSTRUCTION_BYTES)).toString('hex')}`);
    }
    const unit = unitOf(ins);
    const u = units[unit];
    if (u.queue.length - u.head >= cfg.queueDepth) return false;
    let footprint: Footprint;
    try {
      footprint = footprintOf(ins, cfg);
    } catch (e) {
      if (e instanceof ExecError) throw new SimFault('address', e.message, at, fetchPc, formatInstruction(ins));
      throw e;
    }
    decoded[fetchPc] = { pc: fetchPc, ins, unit, dispatch: at, start: -1, end: -1, cost: { cycles: 0, channelCycles: 0 }, footprint, stalls: {} };
    u.queue.push(fetchPc);
    fetchPc++;
    return true;
  };

  let t = 0;
  for (;;) {
    // 1. Completions at or before t.
    for (let i = running.length - 1; i >= 0; i--) {
      const x = running[i]!;
      if (x.end > t) continue;
      running.splice(i, 1);
      setBanks(x, -1);
      for (let s = 0; s < SEMAPHORES; s++) if (x.ins.fields.signal! & (1 << s)) sem[s]!++;
      units[x.unit].running = -1;
      completed++;
      if ((completed & 255) === 0 && opts.onProgress) opts.onProgress(completed, n);
    }
    // 2. Fetch: one instruction per cycle into its unit's queue, while that queue has room.
    let fetchedNow = false;
    if (fetchPc < n && fetchReady <= t && fetchOne(t)) {
      fetchReady = t + 1;
      fetchedNow = true;
    }
    // 3. Starts: each idle unit tries the head of its queue.
    for (const name of UNITS) {
      const u = units[name];
      if (u.running !== -1 || u.head >= u.queue.length) continue;
      const x = decoded[u.queue[u.head]!]!;
      if (blocker(x, t)) continue;
      for (let s = 0; s < SEMAPHORES; s++) if (x.ins.fields.wait! & (1 << s)) sem[s]!--;
      setBanks(x, x.pc);
      try {
        x.cost = unitCost(x.ins, cfg, opts.detailedArray ?? false);
        if (state && opts.detailedArray && x.ins.spec.mnemonic === 'gemm') {
          executeGemmDetailed(state, x.ins, { rows: cfg.array.rows, cols: cfg.array.cols }, cfg.array.dataflow);
        } else if (state) execute(state, x.ins, numerics, x.pc);
      } catch (e) {
        if (e instanceof ExecError) throw fault(e.kind, e.message, t, x.pc);
        if (e instanceof WidthOverflowError || e instanceof NumericsInputError || e instanceof RangeError) throw fault('value', e.message, t, x.pc);
        if (e instanceof ArrayProtocolError) throw fault('value', `detailed array model: ${e.message}`, t, x.pc);
        throw e;
      }
      x.start = t;
      x.end = t + x.cost.cycles;
      if (x.cost.channelCycles) {
        channelFree = t + x.cost.channelCycles;
        channelBusy += x.cost.channelCycles;
      }
      unitBusy[name] += x.cost.cycles;
      u.running = x.pc;
      u.head++;
      running.push(x);
      lastEnd = Math.max(lastEnd, x.end);
    }
    // 2b. The fetch stage's following cycles up to the next event are fetched now (nothing else changes before
    // that event), except an instruction that would become the head of an idle unit: it could start in its own
    // cycle, so fetching stops there and resumes with an event in that cycle.
    if (fetchedNow && !opts.unbatchedFetch) {
      let horizon = Infinity;
      for (const x of running) if (x.end < horizon) horizon = x.end;
      if (channelFree > t && channelFree < horizon) horizon = channelFree;
      let at = t + 1;
      while (fetchPc < n && at < horizon && at <= cfg.cycleLimit) {
        const w = words[fetchPc]!;
        if (!(w instanceof MalformedInstructionError)) {
          const u = units[unitOf(w)];
          if (u.running === -1 && u.queue.length === u.head) break;
        }
        if (!fetchOne(at)) break;
        at++;
      }
      fetchReady = at;
    }
    if (completed === n && fetchPc === n) break;
    // 4. The next event: a completion, the fetch stage's next slot, or the DRAM channel freeing up.
    let next = Infinity;
    for (const x of running) next = Math.min(next, x.end);
    if (fetchPc < n) {
      const w = words[fetchPc]!;
      const u = w instanceof MalformedInstructionError ? undefined : units[unitOf(w)];
      if (!u || u.queue.length - u.head < cfg.queueDepth) next = Math.min(next, Math.max(fetchReady, t + 1));
    }
    // Every idle unit's head is blocked now (it would have started otherwise): by what?
    const heads: ExecutedInstruction[] = [];
    const causes: StallCause[] = [];
    for (const name of UNITS) {
      const u = units[name];
      if (u.running !== -1 || u.head >= u.queue.length) continue;
      const x = decoded[u.queue[u.head]!]!;
      heads.push(x);
      causes.push(blocker(x, t)!);
    }
    if (channelFree > t && causes.includes('dma-channel')) next = Math.min(next, channelFree);
    if (next === Infinity) {
      const blocked = heads.map((x) => `${x.unit} pc ${x.pc} (${describe(x.pc)}) waits for ${waitList(x.ins.fields.wait!, sem)}`);
      const first = heads.reduce((a, b) => (a.pc <= b.pc ? a : b));
      // the fetch stage may have run ahead of t within this event: the deadlock is certain after its last fetch
      throw fault('deadlock', `no unit can proceed: ${blocked.join('; ')}`, Math.max(t, fetchReady - 1), first.pc);
    }
    // Stall accounting for [t, next).
    heads.forEach((x, i) => {
      const cause = causes[i]!;
      x.stalls[cause] = (x.stalls[cause] ?? 0) + (next - t);
    });
    if (next > cfg.cycleLimit) {
      const pc = running.length ? running[0]!.pc : heads.length ? heads[0]!.pc : Math.max(0, fetchPc - 1);
      throw fault('cycle-limit', `the run passes the cycle limit of ${cfg.cycleLimit}`, cfg.cycleLimit, pc);
    }
    t = next;
  }
  return { cycles: lastEnd, executed: decoded as ExecutedInstruction[], state, unitBusy, dmaChannelBusy: channelBusy };
}

function waitList(mask: number, sem: readonly number[]): string {
  const out: string[] = [];
  for (let s = 0; s < SEMAPHORES; s++) if (mask & (1 << s)) out.push(`s${s}=${sem[s]}`);
  return out.join(', ');
}

function execute(st: MachineState, ins: Instruction, numerics: ReturnType<typeof numericsOf>, pc: number): void {
  switch (ins.spec.unit === 'operand' ? 'nop' : ins.spec.mnemonic) {
    case 'nop':
      return;
    case 'load':
    case 'store':
      executeDma(st, ins);
      return;
    case 'gemm':
      executeGemm(st, ins);
      return;
    default:
      executeSdu(st, ins, numerics, `pc ${pc}`);
  }
}
