#!/usr/bin/env node
/**
 * Synthesis of a generated array core (rtl-gen/array/ws-array.ts or os-array.ts, memories outside):
 * yosys 0.23 synth_ice40 / synth_ecp5 / synth_xilinx + stat, and for iCE40 nextpnr-ice40 (hx8k, ct256) on a
 * registered-I/O wrapper (inputs from a serial shift chain, outputs XOR-reduced into a register) over seeds 1..3.
 * Usage: node scripts/synth-array.mjs <ice40|ecp5|xilinx> <RxC> [seeds, iCE40 only, default 3] [dataflow ws|os, default ws]
 * Prints one JSON line: cell counts (LUT, FF, carry, DSP, BRAM) and the post-route Fmax per seed and median.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArray } from '../dist/verify/rtl/array-bench.js';
import { CELL_CLASSES } from '../dist/rtl-gen/synth/run.js';

const [family, geo, seedArg, dataflow = 'ws'] = process.argv.slice(2);
const [R, C] = geo.split('x').map(Number);
const arr = buildArray({ rows: R, cols: C }, dataflow);
const dir = mkdtempSync(join(tmpdir(), 'ivit-synth-array-'));
const files = [...arr.files].map(([name, text]) => (writeFileSync(join(dir, name), text), join(dir, name)));
const text = [...arr.files.values()].join('\n');
const ports = [...text.matchAll(/^\s*(input|output)\s+(?:wire|reg)\s+(?:\[(\d+):0\]\s+)?(\w+)/gm)].map((x) => ({
  dir: x[1],
  width: x[2] ? Number(x[2]) + 1 : 1,
  name: x[3],
}));
const ins = ports.filter((p) => p.dir === 'input' && p.name !== 'clk');
const outs = ports.filter((p) => p.dir === 'output');
const inBits = ins.reduce((s, p) => s + p.width, 0);
const outBits = outs.reduce((s, p) => s + p.width, 0);
let at = 0;
const conn = ins.map((p) => `.${p.name}(chain[${(at += p.width) - 1}:${at - p.width}])`);
const wrap = `module wrap (input wire clk, input wire serial_in, output reg serial_out);
  reg [${inBits - 1}:0] chain;
  reg [${outBits - 1}:0] capture;
  wire [${outBits - 1}:0] gathered;
  always @(posedge clk) begin chain <= {chain[${inBits - 2}:0], serial_in}; capture <= gathered; serial_out <= ^capture; end
  ${arr.top} dut (.clk(clk), ${conn.join(', ')}, ${outs.map((p, i) => `.${p.name}(o${i})`).join(', ')});
${outs.map((p, i) => `  wire [${p.width - 1}:0] o${i};`).join('\n')}
  assign gathered = {${outs.map((_, i) => `o${i}`).join(', ')}};
endmodule
`;
writeFileSync(join(dir, 'wrap.v'), wrap);
const synth = { ice40: `synth_ice40 -top ${arr.top}`, ecp5: `synth_ecp5 -top ${arr.top}`, xilinx: `synth_xilinx -top ${arr.top}` }[family];
const t0 = Date.now();
execFileSync('yosys', ['-q', '-p', `read_verilog ${files.join(' ')}; ${synth}; tee -q -o ${join(dir, 'stat.json')} stat -json`], {
  cwd: dir,
  maxBuffer: 256 << 20,
});
const cells = JSON.parse(readFileSync(join(dir, 'stat.json'), 'utf8')).design.num_cells_by_type;
const cls = CELL_CLASSES[family];
const count = (re) => Object.entries(cells).reduce((s, [k, v]) => (re.test(k) ? s + v : s), 0);
const row = {
  family,
  dataflow,
  geometry: geo,
  top: arr.top,
  lut: count(cls.lut),
  ff: count(cls.ff),
  carry: count(cls.carry),
  dsp: count(cls.dsp),
  bram: count(cls.bram),
  yosysSeconds: (Date.now() - t0) / 1000,
};
if (family === 'ice40') {
  execFileSync('yosys', ['-q', '-p', `read_verilog ${files.join(' ')} ${join(dir, 'wrap.v')}; synth_ice40 -top wrap -json ${join(dir, 'wrap.json')}`], {
    cwd: dir,
    maxBuffer: 256 << 20,
  });
  const fmax = [];
  for (let seed = 1; seed <= Number(seedArg ?? 3); seed++) {
    const r = spawnSync(
      'nextpnr-ice40',
      [
        '--hx8k',
        '--package',
        'ct256',
        '--json',
        join(dir, 'wrap.json'),
        '--pcf-allow-unconstrained',
        '--freq',
        '100',
        '--seed',
        String(seed),
        '--timing-allow-fail',
        '--asc',
        join(dir, 'out.asc'),
      ],
      { encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    const log = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) {
      row.pnrError =
        log
          .split('\n')
          .filter((l) => /ERROR/.test(l))
          .join(' ') || `exit ${r.status}`;
      break;
    }
    const m = [...log.matchAll(/Max frequency for clock\s+'[^']*':\s+([\d.]+) MHz/g)];
    fmax.push(Number(m[m.length - 1][1]));
    const lc = /ICESTORM_LC:\s+(\d+)\/\s*(\d+)/.exec(log);
    if (lc) row.placedLc = `${lc[1]}/${lc[2]}`;
  }
  row.fmaxSeeds = fmax;
  row.fmaxMedianMhz = fmax.length ? [...fmax].sort((a, b) => a - b)[Math.floor(fmax.length / 2)] : null;
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(row) + '\n');
