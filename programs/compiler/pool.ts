/**
 * A pool of equal on-chip slots with explicit lifetimes. Allocation takes the slot freed longest ago, so a
 * new writer rarely has to wait for the readers of the slot's previous contents (the synchroniser adds that
 * wait when it is needed).
 */
import { CompileError } from './errors.js';

export class SlotPool {
  private readonly free: number[] = [];
  private readonly live = new Set<number>();

  constructor(
    readonly name: string,
    readonly base: number,
    readonly slotSize: number,
    readonly count: number,
  ) {
    for (let i = 0; i < count; i++) this.free.push(base + i * slotSize);
  }

  alloc(what: string): number {
    const a = this.free.shift();
    if (a === undefined) {
      throw new CompileError(`out of ${this.name} slots (${this.count} of ${this.slotSize}) for ${what}: the tiling keeps too many tiles alive`);
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
