/**
 * The machine's memories: DRAM (bytes), the scratchpad (bytes) and the accumulator buffer (int32 words). The
 * scratchpad and the accumulator buffer live in one WebAssembly memory, followed by a workspace, so that the
 * datapath kernels (exec/wasm-kernels.ts) work on them in place; the views below are rebuilt when it grows.
 */
import type { AcceleratorConfig } from './config.js';
import type { DramSegment } from '../isa/container.js';
import { ExecError } from './fault.js';
import { type SimKernels, instantiateSimKernels } from './exec/wasm-kernels.js';

const PAGE = 65536;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align16 = (v: number): number => Math.ceil(v / 16) * 16;

interface Views {
  spad: Uint8Array;
  spadI8: Int8Array;
  spadView: DataView;
  spadI16: Int16Array | undefined;
  spadI32: Int32Array | undefined;
  acc: Int32Array;
}

export class MachineState {
  readonly dram: Uint8Array;
  /** byte offsets in the machine memory: the scratchpad starts at 0 */
  readonly accBase: number;
  private readonly workspaceBase: number;
  private readonly memory: WebAssembly.Memory;
  private readonly spadBytes: number;
  private readonly accWords: number;
  private views: Views;
  /** the in-place datapath kernels, or null (the instructions then take their JavaScript paths) */
  readonly kernels: SimKernels | null;

  /** `inPlaceKernels: false` keeps every instruction on its JavaScript path (tests compare both paths). */
  constructor(cfg: AcceleratorConfig, opts: { inPlaceKernels?: boolean } = {}) {
    this.dram = new Uint8Array(cfg.dram.bytes);
    this.spadBytes = cfg.scratchpad.bytes;
    this.accWords = cfg.accumulator.words;
    this.accBase = align16(this.spadBytes);
    this.workspaceBase = align16(this.accBase + 4 * this.accWords);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((this.workspaceBase + (1 << 20)) / PAGE) });
    this.views = this.makeViews();
    this.kernels = LITTLE_ENDIAN && opts.inPlaceKernels !== false ? instantiateSimKernels(this.memory) : null;
  }

  private makeViews(): Views {
    const buf = this.memory.buffer;
    return {
      spad: new Uint8Array(buf, 0, this.spadBytes),
      spadI8: new Int8Array(buf, 0, this.spadBytes),
      spadView: new DataView(buf, 0, this.spadBytes),
      // whole-scratchpad int16 / int32 views for aligned rows (the host is little-endian, like the scratchpad)
      spadI16: LITTLE_ENDIAN ? new Int16Array(buf, 0, this.spadBytes >> 1) : undefined,
      spadI32: LITTLE_ENDIAN ? new Int32Array(buf, 0, this.spadBytes >> 2) : undefined,
      acc: new Int32Array(buf, this.accBase, this.accWords),
    };
  }

  get spad(): Uint8Array {
    return this.views.spad;
  }
  get spadI8(): Int8Array {
    return this.views.spadI8;
  }
  get spadView(): DataView {
    return this.views.spadView;
  }
  get spadI16(): Int16Array | undefined {
    return this.views.spadI16;
  }
  get spadI32(): Int32Array | undefined {
    return this.views.spadI32;
  }
  get acc(): Int32Array {
    return this.views.acc;
  }

  /** The byte offset of a workspace of at least `bytes` bytes past the accumulator buffer (growing the memory). */
  workspace(bytes: number): number {
    const need = this.workspaceBase + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.views = this.makeViews();
    }
    return this.workspaceBase;
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
