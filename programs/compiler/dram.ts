/** The DRAM image: a bump allocator for weights, tables, the input image and every activation tensor. */
import type { DramSegment } from '../../isa/container.js';

const ALIGN = 64;

export class DramImage {
  private next = 0;
  readonly segments: DramSegment[] = [];

  /** Reserve `bytes` (zero-initialised in the simulator, not stored in the program). */
  reserve(bytes: number): number {
    const addr = this.next;
    this.next += Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    return addr;
  }

  /** Place initial contents; returns their address. */
  place(bytes: Uint8Array): number {
    const addr = this.reserve(bytes.length);
    this.segments.push({ addr, bytes });
    return addr;
  }

  /** The segments with touching neighbours merged (the canonical form the assembler also produces). */
  merged(): DramSegment[] {
    const out: DramSegment[] = [];
    let run: { addr: number; parts: Uint8Array[]; end: number } | undefined;
    const flush = (): void => {
      if (!run) return;
      const bytes = new Uint8Array(run.end - run.addr);
      let at = 0;
      for (const p of run.parts) {
        bytes.set(p, at);
        at += p.length;
      }
      out.push({ addr: run.addr, bytes });
    };
    for (const s of [...this.segments].sort((a, b) => a.addr - b.addr)) {
      if (run && run.end === s.addr) {
        run.parts.push(s.bytes);
        run.end += s.bytes.length;
        continue;
      }
      flush();
      run = { addr: s.addr, parts: [s.bytes], end: s.addr + s.bytes.length };
    }
    flush();
    return out;
  }

  /** Bytes of DRAM the program needs. */
  get size(): number {
    return this.next;
  }
}

/** Little-endian bytes of typed integers. */
export function bytesOfInts(values: ArrayLike<number>, bytesPer: 1 | 2 | 4): Uint8Array {
  const out = new Uint8Array(values.length * bytesPer);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (bytesPer === 1) view.setInt8(i, v);
    else if (bytesPer === 2) view.setInt16(2 * i, v, true);
    else view.setInt32(4 * i, v, true);
  }
  return out;
}
