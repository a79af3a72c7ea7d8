/** The machine's memories: DRAM (bytes), the scratchpad (bytes) and the accumulator buffer (int32 words). */
import type { AcceleratorConfig } from './config.js';
import type { DramSegment } from '../isa/container.js';
import { ExecError } from './fault.js';

export class MachineState {
  readonly dram: Uint8Array;
  readonly spad: Uint8Array;
  readonly spadI8: Int8Array;
  readonly spadView: DataView;
  readonly acc: Int32Array;

  constructor(cfg: AcceleratorConfig) {
    this.dram = new Uint8Array(cfg.dram.bytes);
    this.spad = new Uint8Array(cfg.scratchpad.bytes);
    this.spadI8 = new Int8Array(this.spad.buffer);
    this.spadView = new DataView(this.spad.buffer);
    this.acc = new Int32Array(cfg.accumulator.words);
  }

  loadImage(segments: readonly DramSegment[]): void {
    for (const s of segments) {
      if (s.addr + s.bytes.length > this.dram.length) {
        throw new ExecError('address', `DRAM image segment 0x${s.addr.toString(16)}..0x${(s.addr + s.bytes.length).toString(16)} does not fit the ${this.dram.length}-byte DRAM`);
      }
      this.dram.set(s.bytes, s.addr);
    }
  }
}
