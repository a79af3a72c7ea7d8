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
