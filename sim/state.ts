/** The machine's memories: DRAM (bytes), the scratchpad (bytes) and the accumulator buffer (int32 words). */
import type { AcceleratorConfig } from './config.js';
import type { DramSegment } from '../isa/container.js';
import { ExecError } from './fault.js';

export class MachineState {
  readonly dram: Uint8Array;
  readonly spad: Uint8Array;
  readonly spadI8: Int8Array;
  readonly spadView: DataView;
  /** whole-scratchpad int16 / int32 views, used for aligned rows (the host is little-endian, like the scratchpad) */
  readonly spadI16: Int16Array | undefined;
  readonly spadI32: Int32Array | undefined;
  readonly acc: Int32Array;

  constructor(cfg: AcceleratorConfig) {
    this.dram = new Uint8Array(cfg.dram.bytes);
    this.spad = new Uint8Array(cfg.scratchpad.bytes);
    this.spadI8 = new Int8Array(this.spad.buffer);
    this.spadView = new DataView(this.spad.buffer);
    const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    this.spadI16 = littleEndian ? new Int16Array(this.spad.buffer) : undefined;
    this.spadI32 = littleEndian ? new Int32Array(this.spad.buffer) : undefined;
    this.acc = new Int32Array(cfg.accumulator.words);
  }

  loadImage(segments: readonly DramSegment[]): void {
    for (const s of segments) {
      if (s.addr + s.bytes.length > this.dram.length) {
        throw new ExecError(
          'address',
          `DRAM image segment 0x${s.addr.toString(16)}..0x${(s.addr + s.bytes.length).toString(16)} does not fit the ${this.dram.length}-byte DRAM`,
        );
      }
      this.dram.set(s.bytes, s.addr);
    }
  }
}
