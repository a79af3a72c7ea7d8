/** The JSON descriptor of a generated unit: ports, parameters, latency and initiation interval. */
import type { GeneratedUnit, ParamValue } from './design.js';
import { portWidth } from './design.js';
import { testbenchName } from './testbench.js';

export interface UnitDescriptor {
  unit: string;
  top: string;
  testbench: string;
  modules: string[];
  parameters: Record<string, ParamValue>;
  ports: Array<{ name: string; direction: 'input' | 'output'; width: number; doc: string }>;
  stream: {
    handshake: 'ready' | 'always';
    passes: number;
    inputs: Array<{ name: string; lanes: number; laneBits: number; signed: boolean }>;
    outputs: Array<{ name: string; lanes: number; laneBits: number; signed: boolean }>;
  };
  timing: {
    doc: string;
    /** latency and II for some row lengths (the formulas are in rtl-gen/timing.ts) */
    examples: Array<{ rowLength: number; latency: number; initiationInterval: number }>;
  };
}

export function describeUnit(u: GeneratedUnit, maxRowLength: number): UnitDescriptor {
  const top = u.modules[u.modules.length - 1]!;
  const lengths = [...new Set([1, 8, 64, 197, 384, 768, 3072, maxRowLength])].filter((n) => n <= Math.max(maxRowLength, 768)).sort((a, b) => a - b);
  return {
    unit: u.unit,
    top: u.top,
    testbench: testbenchName(u),
    modules: u.modules.map((m) => m.name),
    parameters: u.params,
    ports: top.ports.map((p) => ({ name: p.name, direction: p.dir, width: p.width, doc: p.doc })),
    stream: {
      handshake: u.handshake,
      passes: u.passes,
      inputs: u.inputs.map((p) => ({ name: p.name, lanes: p.lanes, laneBits: p.laneBits, signed: p.signed })),
      outputs: u.outputs.map((p) => ({ name: p.name, lanes: p.lanes, laneBits: p.laneBits, signed: p.signed })),
    },
    timing: {
      doc: u.timingDoc,
      examples: lengths.map((n) => ({ rowLength: n, ...u.timing(n) })),
    },
  };
}

export { portWidth };
