/** The human summary printed after a run (chalk colours; plain text when the terminal has none). */
import chalk from 'chalk';
import type { SimReport } from './stats.js';

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

export function terminalSummary(r: SimReport): string {
  const L: string[] = [];
  const m = r.machine;
  L.push(
    chalk.bold(
      `ivit sim: ${m.array} ${m.dataflow.toUpperCase()} array, ${m.sduLanes}-lane SDU, DMA ${m.dmaBytesPerCycle} B/cycle (+${m.dmaLatency}), ${m.clockMHz} MHz, numerics ${m.numerics}${r.mode.values ? '' : ', timing only'}`,
    ),
  );
  L.push(`  ${chalk.cyan('total')}        ${int(r.totalCycles)} cycles = ${r.timeMs.toFixed(4)} ms, ${int(r.instructions)} instructions`);
  L.push(`  ${chalk.cyan('array')}        ${int(r.macs)} MACs, PE utilisation ${chalk.bold(pct(r.peUtilisation))} (PEs active ${pct(r.peActivity)})`);
  L.push(
    `  ${chalk.cyan('sdu')}          busy ${pct(r.sdu.utilisation)} of the run, lane utilisation ${pct(r.sdu.laneUtilisation)}, ${int(r.sdu.elements)} elements, ${int(r.sdu.exposedCycles)} cycles exposed (array idle)`,
  );
  L.push(
    `  ${chalk.cyan('dma')}          ${int(r.dma.bytesRead)} B in, ${int(r.dma.bytesWritten)} B out, ${r.dma.avgBytesPerCycle.toFixed(2)} B/cycle, channel busy ${pct(r.dma.channelUtilisation)}`,
  );
  L.push(chalk.bold('  units        busy cycles   utilisation   stall cycles'));
  for (const [u, s] of Object.entries(r.units))
    L.push(`    ${u.padEnd(10)} ${int(s.busyCycles).padStart(12)}   ${pct(s.utilisation).padStart(11)}   ${int(s.stallCycles).padStart(12)}`);
  L.push(chalk.bold('  classes      count   busy cycles'));
  for (const [k, s] of Object.entries(r.classes)) L.push(`    ${k.padEnd(10)} ${int(s!.count).padStart(6)} ${int(s!.busyCycles).padStart(13)}`);
  const stalls = Object.entries(r.stalls).filter(([, v]) => v > 0);
  L.push(chalk.bold('  stalls by cause') + (stalls.length ? '' : ' none'));
  for (const [k, v] of stalls) L.push(`    ${k.padEnd(14)} ${chalk.yellow(int(v))}`);
  if (r.regions.length > 1 || r.regions[0]?.name !== 'program') {
    L.push(chalk.bold('  regions             cycles        MACs   PE util'));
    for (const g of r.regions)
      L.push(`    ${g.name.padEnd(16)} ${int(g.cycles).padStart(9)} ${int(g.macs).padStart(11)}   ${pct(g.peUtilisation).padStart(7)}`);
  }
  return L.join('\n') + '\n';
}
