/**
 * Which generated units an accelerator configuration instantiates, with which options: the SDU's four row
 * datapaths (the units of the catalogue with a `fromMachine` mapping), each at the configuration's lane count
 * and numerics (`ivit rtl --config`, `ivit synth --config` and the sweep's area columns read this); and the
 * systolic array of its array.rows × array.cols and dataflow (`ivit rtl array --config`).
 */
import { type AcceleratorConfig, ConfigError, numericsOf } from '../../sim/config.js';
import { type ArrayOptions, type ArrayUnitEntry, UNITS, type UnitEntry, type UnitOptions } from '../../rtl-gen/units/index.js';

/**
 * Which of the catalogue's multi-lane SDU units the numerics replaces, and with what: the generated SDU is I-ViT's
 * (Shiftmax, ShiftGELU, I-LayerNorm, requant); FQ-ViT's LIS lane and PTS unit, SULQ's lane and I-BERT's units are
 * not generated as part of a configured SDU yet, so a configuration that uses them must not get I-ViT's units.
 */
function replacedUnits(machine: AcceleratorConfig): Map<string, string> {
  const n = numericsOf(machine);
  const replaced = new Map<string, string>();
  if (n.attention !== 'shiftmax') replaced.set('shiftmax', `numerics.attention = ${n.attention}`);
  if (n.geluUnit !== 'shiftgelu') replaced.set('shiftgelu', `numerics.geluUnit = ${n.geluUnit}`);
  if (n.layerNorm !== 'ilayernorm') replaced.set('layernorm', `numerics.layerNorm = ${n.layerNorm}`);
  return replaced;
}

function refuseReplaced(machine: AcceleratorConfig, names: readonly string[]): void {
  const replaced = replacedUnits(machine);
  const hit = names.filter((u) => replaced.has(u)).map((u) => `${u} (${replaced.get(u)!})`);
  if (hit.length > 0)
    throw new ConfigError(
      `numerics preset ${machine.numerics.preset} replaces ${hit.join(', ')}: its own units are generated one by one (ivit rtl lis, ivit rtl pts-layernorm, ivit rtl sulq-lane), not yet as a configured SDU (ivit sweep: --area none)`,
    );
}

/** The options the configuration implies for one unit, or undefined when the unit is not an SDU datapath. */
export function unitOptionsFromMachine(entry: UnitEntry, machine: AcceleratorConfig): UnitOptions | undefined {
  if (entry.fromMachine) refuseReplaced(machine, [entry.name]);
  return entry.fromMachine?.({ lanes: machine.sdu.lanes, form: machine.sdu.form, numerics: numericsOf(machine) });
}

export interface MachineUnit {
  entry: UnitEntry;
  options: UnitOptions;
}

/** Every SDU unit the configuration instantiates (shiftmax, shiftgelu, layernorm, requant), in catalogue order. */
export function machineUnits(machine: AcceleratorConfig): MachineUnit[] {
  refuseReplaced(
    machine,
    UNITS.filter((e) => e.fromMachine).map((e) => e.name),
  );
  return UNITS.flatMap((entry) => {
    const options = unitOptionsFromMachine(entry, machine);
    return options ? [{ entry, options }] : [];
  });
}

/** The array an `array` / `ws-array` / `os-array` entry generates for the configuration: its rows, cols and dataflow (the name's, if it fixes one). */
export function arrayOptionsFromMachine(entry: ArrayUnitEntry, machine: AcceleratorConfig): ArrayOptions {
  const dataflow = entry.dataflow ?? machine.array.dataflow;
  // input-stationary exists only as SCALE-Sim's timing model (array.model scalesim): there is no IS array to generate
  if (dataflow === 'is') throw new ConfigError('array.dataflow "is" has no generated array (only ws and os; is is a timing model of array.model scalesim)');
  return { rows: machine.array.rows, cols: machine.array.cols, dataflow };
}
