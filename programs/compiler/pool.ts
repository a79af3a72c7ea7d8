/**
 * A pool of equal on-chip slots with explicit lifetimes. Allocation takes the slot freed longest ago, so a
 * new writer rarely has to wait for the readers of the slot's previous contents (the synchroniser adds that
 * wait when it is needed).
 */
import { CompileError } from './errors.js';

/** The schedule keeps more buffers alive than the pool has slots: the compiler then tries a smaller plan. */
export class SlotsExhausted extends CompileError {
  constructor(message: string) {
    super(message);
    this.name = 'SlotsExhausted';
  }
}

export class SlotPool {
  private readonly free: number[] = [];
  private readonly live = new Set<number>();

  constructor(
    readonly name: string,
    readonly base: number,
    readonly slotSize: number,
    readonly count: number,
    addresses?: readonly number[],
  ) {
    if (addresses) this.free.push(...addresses);
    else for (let i = 0; i < count; i++) this.free.push(base + i * slotSize);
  }

  /** A pool over the given slot addresses (e.g. smaller slots carved out of another pool's). */
  static over(name: string, addresses: readonly number[], slotSize: number): SlotPool {
    return new SlotPool(name, addresses[0] ?? 0, slotSize, addresses.length, addresses);
  }

  /** Every free slot, allocated at once (returned with release). */
  takeAll(what: string): number[] {
    const out: number[] = [];
    while (this.free.length) out.push(this.alloc(what));
    return out;
  }

  alloc(what: string): number {
    const a = this.free.shift();
    if (a === undefined) {
      throw new SlotsExhausted(`out of ${this.name} slots (${this.count} of ${this.slotSize}) for ${what}: the tiling keeps too many tiles alive`);
    }
    this.live.add(a);
    return a;
  }

  release(addr: number): void {
    if (!this.live.delete(addr)) throw new Error(`${this.name}: slot 0x${addr.toString(16)} released twice`);
    this.free.push(addr);
  }

  get end(): number {
    return this.base + this.count * this.slotSize;
  }
}
