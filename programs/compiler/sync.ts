/**
 * Synchronisation: turns the data dependencies of an in-order instruction list into semaphore waits and
 * signals. Dependencies are found from what each instruction really touches (the simulator's own footprint
 * of the encoded fields), so a lowering bug can cost speed but never a race.
 *
 * Scheme: one counting semaphore per ordered pair of units (producer → consumer). Each unit runs its queue in
 * order, one instruction at a time, so its instructions complete in program order: a consumer only needs the
 * *latest* producer instruction it depends on, and the j-th wait on a pair's semaphore matches the j-th signal.
 * Vector clocks record what each unit already knows to be complete (also transitively), so most dependencies
 * need no semaphore at all. The ISA has 8 semaphores for 12 ordered pairs: the 4 pairs without one are
 * relayed by a NOP on a third unit (wait on producer → relay, signal relay → consumer), inserted just before
 * the consumer. Every dependency points backwards in program order, so the in-order fetch cannot deadlock.
 */
import { type Instruction, checkedInstruction, unitOf } from '../../isa/encoding.js';
import { BY_MNEMONIC, type Fields, type Mnemonic, UNITS, type UnitName } from '../../isa/table.js';
import type { AcceleratorConfig } from '../../sim/config.js';
import type { Access } from '../../sim/footprint.js';
import { footprintOf } from '../../sim/instructions/index.js';

/** Semaphore of each ordered pair that has one. */
const PAIRS: ReadonlyArray<[UnitName, UnitName]> = [
  ['load', 'compute'],
  ['load', 'sdu'],
  ['compute', 'sdu'],
  ['sdu', 'compute'],
  ['sdu', 'store'],
  ['store', 'load'],
  ['compute', 'load'],
  ['sdu', 'load'],
];

const UNIT_INDEX = Object.fromEntries(UNITS.map((u, i) => [u, i])) as Readonly<Record<UnitName, number>>;

function semaphoreOf(from: UnitName, to: UnitName): number | undefined {
  const i = PAIRS.findIndex(([a, b]) => a === from && b === to);
  return i < 0 ? undefined : i;
}

/** The unit that relays from → to when the pair has no semaphore of its own. */
function relayUnit(from: UnitName, to: UnitName): UnitName {
  for (const via of UNITS) {
    if (via !== from && via !== to && semaphoreOf(from, via) !== undefined && semaphoreOf(via, to) !== undefined) return via;
  }
  throw new Error(`no relay unit for ${from} → ${to}`);
}

/** An instruction's fields before synchronisation: all but the semaphore masks. */
export type UnsyncedFields<M extends Mnemonic> = Omit<Fields<M>, 'wait' | 'signal'>;

/** An instruction before synchronisation, with the region label that starts at it (if any). */
export type PlainInstruction = {
  [M in Mnemonic]: {
    mnemonic: M;
    fields: UnsyncedFields<M>;
    region?: string;
    /** the graph node the instruction implements (an index the caller defines), kept for the reports */
    node: number;
  };
}[Mnemonic];

/** The instruction with empty semaphore masks (checked against the table). */
export function unsynced(p: { mnemonic: Mnemonic; fields: object }): Instruction {
  return checkedInstruction(BY_MNEMONIC.get(p.mnemonic)!, { ...(p.fields as Record<string, number | string>), wait: 0, signal: 0 });
}

/** The synchroniser owns the semaphore masks until the program is encoded. */
const masks = (ins: Instruction): { wait: number; signal: number } => ins.fields as { wait: number; signal: number };

interface Rec {
  space: Access['space'];
  lo: number;
  hi: number;
  write: boolean;
  unit: number;
  seq: number;
}

export interface SyncedProgram {
  instructions: Instruction[];
  /** graph node of each instruction (a relay NOP takes its consumer's) */
  nodes: number[];
  /** region name → first PC */
  regions: Array<{ name: string; pc: number }>;
  relays: number;
}

/** Add wait/signal masks (and relay NOPs) so that the units respect every data dependency. */
export function synchronise(list: readonly PlainInstruction[], cfg: AcceleratorConfig): SyncedProgram {
  const out: Array<{ ins: Instruction; unit: number; seq: number; node: number }> = [];
  let currentNode = 0;
  const regions: SyncedProgram['regions'] = [];
  const seqCount = [0, 0, 0, 0];
  // known[u][v]: the highest sequence number of unit v that unit u knows to be complete
  const known = UNITS.map(() => [-1, -1, -1, -1]);
  // vector clock of each unit's instructions, indexed by seq, for transitive knowledge
  const clocks: number[][][] = UNITS.map(() => []);
  // an instruction that must signal a pair's semaphore: keyed by unit and seq
  const pending = UNITS.map(() => new Map<number, Instruction>());
  const records = new RecordIndex();
  let relays = 0;

  const place = (ins: Instruction, waits: Array<{ from: number; seq: number }>): void => {
    const u = UNIT_INDEX[unitOf(ins)];
    // one wait per producer unit: its latest instruction (a semaphore bit can be waited on only once)
    const latest = new Map<number, number>();
    for (const w of waits) latest.set(w.from, Math.max(latest.get(w.from) ?? -1, w.seq));
    let wait = 0;
    for (const w of [...latest].map(([from, seq]) => ({ from, seq }))) {
      if (w.seq <= known[u]![w.from]!) continue; // already known complete (maybe through another unit)
      const s = semaphoreOf(UNITS[w.from]!, UNITS[u]!)!;
      wait |= 1 << s;
      const producer = pending[w.from]!.get(w.seq)!;
      masks(producer).signal |= 1 << s;
      const pc = clocks[w.from]![w.seq]!;
      for (let v = 0; v < 4; v++) known[u]![v] = Math.max(known[u]![v]!, pc[v]!);
      known[u]![w.from] = Math.max(known[u]![w.from]!, w.seq);
    }
    masks(ins).wait = wait;
    const seq = seqCount[u]!++;
    known[u]![u] = seq - 1;
    clocks[u]![seq] = [...known[u]!];
    clocks[u]![seq]![u] = seq;
    pending[u]!.set(seq, ins);
    out.push({ ins, unit: u, seq, node: currentNode });
  };

  for (const p of list) {
    const ins = unsynced(p);
    currentNode = p.node;
    const u = UNIT_INDEX[unitOf(ins)];
    const accesses = footprintOf(ins, cfg).accesses;
    // the latest conflicting instruction of every other unit
    const need = [-1, -1, -1, -1];
    for (const a of accesses) records.conflicts(a, u, need, known[u]!);
    if (p.region !== undefined) regions.push({ name: p.region, pc: out.length });
    const waits: Array<{ from: number; seq: number }> = [];
    for (let v = 0; v < 4; v++) {
      if (need[v]! <= known[u]![v]!) continue;
      if (semaphoreOf(UNITS[v]!, UNITS[u]!) !== undefined) {
        waits.push({ from: v, seq: need[v]! });
        continue;
      }
      const via = relayUnit(UNITS[v]!, UNITS[u]!);
      const nop = unsynced({ mnemonic: 'nop', fields: { unit: via } });
      place(nop, [{ from: v, seq: need[v]! }]);
      relays++;
      waits.push({ from: UNIT_INDEX[via], seq: seqCount[UNIT_INDEX[via]]! - 1 });
    }
    place(ins, waits);
    const seq = seqCount[u]! - 1;
    for (const a of accesses) records.add({ space: a.space, lo: a.lo, hi: a.hi, write: a.write, unit: u, seq }, known);
  }
  return { instructions: out.map((o) => o.ins), nodes: out.map((o) => o.node), regions, relays };
}

/**
 * Accesses by memory page, so that a new access is checked only against the accesses to the same pages.
 * A page list is pruned of the accesses every other unit already knows to be complete (no later instruction
 * can need to wait for them) whenever it grows.
 */
class RecordIndex {
  // per page: writes and reads apart, since a read only has to be checked against writes
  private readonly pages = new Map<string, { w: Rec[]; r: Rec[] }>();
  private static readonly PAGE: Readonly<Record<Access['space'], number>> = { spad: 4096, acc: 1024, dram: 65536 };

  private *keys(space: Access['space'], lo: number, hi: number): Generator<string> {
    const size = RecordIndex.PAGE[space];
    for (let p = Math.floor(lo / size); p <= Math.floor((hi - 1) / size); p++) yield `${space}${p}`;
  }

  conflicts(a: Access, u: number, need: number[], knownByU: readonly number[]): void {
    for (const key of this.keys(a.space, a.lo, a.hi)) {
      const page = this.pages.get(key);
      if (!page) continue;
      scan(page.w, a, u, need, knownByU);
      if (a.write) scan(page.r, a, u, need, knownByU);
    }
  }

  add(r: Rec, known: readonly (readonly number[])[]): void {
    for (const key of this.keys(r.space, r.lo, r.hi)) {
      let page = this.pages.get(key);
      if (!page) this.pages.set(key, (page = { w: [], r: [] }));
      const list = r.write ? page.w : page.r;
      list.push(r);
      if (list.length > 64) {
        const kept = list.filter((x) => !completeForAll(x, known));
        if (r.write) page.w = kept;
        else page.r = kept;
      }
    }
  }
}

function scan(list: readonly Rec[], a: Access, u: number, need: number[], knownByU: readonly number[]): void {
  for (const r of list) {
    if (r.unit === u || r.seq <= need[r.unit]! || r.seq <= knownByU[r.unit]!) continue;
    if (a.lo < r.hi && r.lo < a.hi) need[r.unit] = r.seq;
  }
}

function completeForAll(r: Rec, known: readonly (readonly number[])[]): boolean {
  for (let u = 0; u < 4; u++) if (u !== r.unit && known[u]![r.unit]! < r.seq) return false;
  return true;
}
