// The cells of the non-linear-unit ablation (docs/ablation.md), each from one ivit command:
//   accuracy: `ivit eval` of the trained Fashion-MNIST model on its test images, one unit swapped into a preset
//             (--numerics P --set numerics.attention=…); golden model on every image; the unswapped I-ViT run
//             also runs the PyTorch columns (the FP32 ceiling, int64 = golden on every image);
//   synth:    the unit's iCE40 HX8K row (LUT4, FF, Fmax) and ECP5 DSP count: read from docs/rtl.md's synthesis
//             table (the committed results of `ivit synth`), or with --synth re-run with `ivit synth`;
//   sdu:      `ivit run --model deit-s --timing-only` on the default machine with the unit swapped in: the
//             unit's SDU busy cycles, the SDU cycles exposed (busy while the array idles) and the total.
// Rows measured now replace theirs in verify/checkpoints/ablation.json; the other rows are kept.
// Usage: node scripts/ablation.mjs [--rows id,id] [--limit N] [--synth] [--reuse] [--model FILE] [--workers N]
//   --reuse: an eval whose exact command left its report in .cache/ablation/ is not run again
//   --skip-eval: run no evaluation (with --reuse, the reports already in .cache/ablation/ still count); an accuracy
//     cell without one says it was not measured
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CELLS = 'verify/checkpoints/ablation.json';
const MODEL = 'verify/checkpoints/fashion-vit-int8.safetensors';
const FLOAT = 'verify/checkpoints/fashion-vit.safetensors';
/** the eval reports, kept for --reuse (like scripts/accuracy.sh's .cache/accuracy/) */
const REPORTS = '.cache/ablation';
/** the accuracy columns: the preset each one swaps a unit into */
const COLUMN_PRESETS = { w8a8: 'pytorch', w4a4: 'isvit-w4a4', w3a3: 'isvit-w3a3' };
/** which numerics key a row's unit sits on, per group */
const GROUP_KEY = { softmax: 'attention', gelu: 'geluUnit', layernorm: 'layerNorm' };
/** the operator classes of `ivit run --json` that are no softmax-type unit (a new attention unit's class counts) */
const NOT_ATTENTION = new Set(['gemm', 'shiftgelu', 'layernorm', 'requant', 'residual', 'dma', 'sync']);
const OPERATORS_OF = {
  softmax: (ops) => Object.keys(ops).filter((k) => !NOT_ATTENTION.has(k)),
  gelu: (ops) => Object.keys(ops).filter((k) => k.includes('gelu')),
  layernorm: (ops) => Object.keys(ops).filter((k) => k.includes('layernorm')),
};

/**
 * The rows. unit: the method's value of its group's key. synth: the docs/rtl.md row (unit, options) and the
 * `ivit synth` arguments that make it. machine: extra --set keys of the DeiT-S run. sduPreset: the preset whose
 * run times the unit when the I-ViT preset cannot hold it.
 */
const ROWS = [
  {
    id: 'shiftmax',
    group: 'softmax',
    label: 'Shiftmax (I-ViT)',
    unit: 'shiftmax',
    baseline: true,
    synth: { unit: 'shiftmax', options: 'L=1, pytorch, exp stages 4', args: [] },
  },
  {
    id: 'lis',
    group: 'softmax',
    label: 'LIS 4-bit (FQ-ViT)',
    unit: 'lis',
    synth: { unit: 'lis', options: 'L=1, fqvit (n = 30, 4-bit codes, Σ 61 bits)', args: [] },
    note: "attention·V as Σ V >> code; the code width is the model file's (4); the rest of the model is I-ViT's (I-LayerNorm, ShiftGELU).",
  },
  {
    id: 'sulq',
    group: 'softmax',
    label: 'SULQ (I&S-ViT)',
    unit: 'sulq',
    sduPreset: 'isvit-w4a4',
    synth: { unit: 'sulq-lane', options: 'L=1, isvit (η = 0.01, 4-bit codes, f = 15)', args: [] },
    note: "the RTL is the SULQ decode lane only (code by threshold comparisons, V << s), without the i-exp in front of it, so its LUTs are not a whole softmax unit's; its DeiT-S cycles are the isvit-w4a4 preset's run (SULQ is a 3/4-bit method).",
  },
  { id: 'ibert-softmax', group: 'softmax', label: 'I-BERT softmax', unit: 'ibert', synth: null },
  {
    id: 'float-softmax',
    group: 'softmax',
    label: 'exact float softmax (ceiling)',
    ceiling: true,
    note: 'no variant with only the softmax in float exists: the ceiling is the FP32 model itself (every operation float), the FP32 column of the I-ViT eval run.',
  },
  {
    id: 'shiftgelu',
    group: 'gelu',
    label: 'ShiftGELU (I-ViT)',
    unit: 'shiftgelu',
    synth: { unit: 'shiftgelu', options: 'L=1, pytorch, σ reference, exp stages 4, 1 q-bit/stage', args: [] },
  },
  { id: 'ibert-gelu', group: 'gelu', label: 'I-BERT GELU (i-erf)', unit: 'ibert', synth: null },
  {
    id: 'ilayernorm',
    group: 'layernorm',
    label: 'I-LayerNorm (I-ViT), overlap form (default)',
    unit: 'ilayernorm',
    synth: { unit: 'layernorm', options: 'L=1, newton10, form overlap', args: ['--form', 'overlap'] },
  },
  {
    id: 'ilayernorm-serial',
    group: 'layernorm',
    label: 'I-LayerNorm (I-ViT), serial form',
    unit: 'ilayernorm',
    machine: ['sdu.form=serial'],
    synth: { unit: 'layernorm', options: 'L=1, newton10', args: ['--form', 'serial'] },
    note: 'the same arithmetic as the overlap form (same accuracy), one row at a time: the smaller unit.',
  },
  {
    id: 'pts',
    group: 'layernorm',
    label: 'PTS LayerNorm (FQ-ViT)',
    unit: 'pts',
    synth: { unit: 'pts-layernorm', options: 'L=1, floor, C ≤ 1024', args: [], seeds: 0 },
    note: 'accuracy with the square root numerics.sqrt names (the preset default newton10 on this commit); the RTL unit has the floor root; it does not fit the HX8K (no Fmax).',
  },
];

function parseArgs(argv) {
  const o = { rows: null, limit: null, synth: false, reuse: false, skipEval: false, model: MODEL, workers: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--rows') o.rows = value().split(',');
    else if (a === '--limit') o.limit = value();
    else if (a === '--model') o.model = value();
    else if (a === '--workers') o.workers = value();
    else if (a === '--synth') o.synth = true;
    else if (a === '--reuse') o.reuse = true;
    else if (a === '--skip-eval') o.skipEval = true;
    else fail(`unknown option ${a} (--rows id,id | --limit N | --synth | --reuse | --skip-eval | --model FILE | --workers N)`);
  }
  if (o.rows) for (const id of o.rows) if (!ROWS.some((r) => r.id === id)) fail(`--rows: no row "${id}" (rows: ${ROWS.map((r) => r.id).join(', ')})`);
  if (o.limit !== null && !/^[1-9]\d*$/.test(o.limit)) fail(`--limit must be a positive integer, got "${o.limit}"`);
  if (!existsSync(o.model)) fail(`--model ${o.model}: no such file`);
  return o;
}

function fail(msg) {
  process.stderr.write(`ablation: ${msg}\n`);
  process.exit(2);
}

const quote = (a) => (/^[\w./=,:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const commandText = (args) => ['ivit', ...args].map(quote).join(' ');
const lastLine = (text) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('ivit eval: '))
    .pop() ?? '';

function ivit(args) {
  process.stderr.write(`ablation: ${commandText(args)}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['bin/ivit.js', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
}

/** The numerics presets and units of the built project (dist), so a preset or unit added later is picked up. */
async function numericsCatalogue() {
  const m = await import(new URL('../dist/verify/golden/numerics-config.js', import.meta.url).href);
  return {
    presets: m.NUMERICS_PRESETS,
    units: { attention: m.ATTENTION_UNITS, geluUnit: m.GELU_UNITS, layerNorm: m.LAYERNORM_UNITS },
  };
}

/** The --set keys that put a row's unit into a preset, or why it cannot. */
function numericsArgs(row, preset, cat) {
  if (!(preset in cat.presets)) return { missing: `preset ${preset} missing` };
  const key = GROUP_KEY[row.group];
  if (!cat.units[key].includes(row.unit)) return { missing: `numerics.${key} = ${row.unit} missing (units: ${cat.units[key].join(', ')})` };
  const own = cat.presets[preset][key] === row.unit;
  const swap = own ? [] : ['--set', `numerics.${key}=${row.unit}`];
  // ivit eval takes --numerics P; ivit run takes the preset as a machine key
  return {
    preset,
    args: ['--numerics', preset, ...swap],
    runArgs: ['--set', `numerics.preset=${preset}`, ...swap],
    key: `${preset}/${own ? '' : `${key}=${row.unit}`}`,
  };
}

/**
 * The model file a column's preset evaluates: the committed I-ViT model for pytorch (or --model); for another
 * preset (the isvit-* presets fold their SOS scales into the weights at import) the float checkpoint imported
 * with --numerics P, once per run. Returns the file and the import command, or why there is none.
 */
const importArgs = (preset, file) => ['import', '--checkpoint', FLOAT, '--out', file, '--name', 'fashion-vit', '--calib', '512', '--numerics', preset];
const columnModelCommand = (preset) => commandText(importArgs(preset, `fashion-vit-${preset}.safetensors`));

function columnModel(preset, opts, tmp, imports) {
  if (preset === 'pytorch') return { file: opts.model, command: null };
  if (imports.has(preset)) return imports.get(preset);
  const file = join(tmp, `fashion-vit-${preset}.safetensors`);
  const r = ivit(importArgs(preset, file));
  const command = columnModelCommand(preset);
  const m = r.status === 0 ? { file, command } : { error: `import failed: ${lastLine(r.stderr)}`, command };
  imports.set(preset, m);
  return m;
}

function evalCell(nargs, opts, tmp, cache, withTorch) {
  if (cache.has(nargs.key)) return cache.get(nargs.key);
  const slug = `${nargs.key}${opts.limit ? `-limit${opts.limit}` : ''}`.replace(/[^\w.-]+/g, '_');
  const out = join(REPORTS, `eval-${slug}.json`);
  const evalArgs = (file) => [
    'eval',
    '--model',
    file,
    '--data',
    'fashion-mnist',
    ...nargs.args,
    ...(withTorch ? ['--float', FLOAT] : []),
    ...(opts.limit ? ['--limit', opts.limit] : []),
    ...(opts.workers ? ['--workers', opts.workers] : []),
  ];
  const imported = nargs.preset === 'pytorch' ? null : columnModelCommand(nargs.preset);
  const shown = commandText(evalArgs(imported ? `fashion-vit-${nargs.preset}.safetensors` : opts.model));
  const command = imported ? `${imported} && ${shown}` : shown;
  // --reuse: the report an earlier run of exactly this command left in .cache/ablation/
  const reused = opts.reuse && existsSync(out) && existsSync(`${out}.command`) && readFileSync(`${out}.command`, 'utf8') === command;
  let seconds = null;
  if (!reused && opts.skipEval) return { none: 'not measured yet', command };
  if (!reused) {
    const model = columnModel(nargs.preset, opts, tmp, cache.imports);
    if (model.error) return model;
    rmSync(out, { force: true });
    const r = ivit([...evalArgs(model.file), '--json-out', out]);
    seconds = Math.round(r.seconds);
    if (!existsSync(out)) {
      const cell = { error: `eval failed: ${lastLine(r.stderr)}`, command };
      cache.set(nargs.key, cell);
      return cell;
    }
    writeFileSync(`${out}.command`, command);
  }
  const rep = JSON.parse(readFileSync(out, 'utf8'));
  const g = rep.columns.golden;
  const i64 = rep.int64VsGolden;
  // what evalVerified (verify/eval/evaluate.ts) checks: int64 = golden on every image, the simulator sample bit-exact
  const verified =
    ('unavailable' in i64 || i64.imagesEqual === i64.images) && (rep.simulator === null || rep.simulator.bitExact === rep.simulator.images.length);
  const cell = {
    correct: g.correct,
    images: rep.count,
    verified,
    int64: 'unavailable' in i64 ? i64.unavailable : `${i64.imagesEqual} / ${i64.images} images equal`,
    ...('correct' in rep.columns.fp32 ? { fp32: { correct: rep.columns.fp32.correct, images: rep.count } } : {}),
    goldenSeconds: Math.round(rep.throughput.goldenSeconds),
    ...(seconds !== null ? { seconds } : { reused: `.cache/ablation/eval-${slug}.json` }),
    command,
  };
  cache.set(nargs.key, cell);
  return cell;
}

function accuracyCells(row, opts, cat, tmp, cache) {
  const cells = {};
  for (const [col, preset] of Object.entries(COLUMN_PRESETS)) {
    if (row.ceiling) continue;
    const n = numericsArgs(row, preset, cat);
    // the unswapped I-ViT preset also runs the PyTorch columns: the FP32 ceiling and int64 = golden
    cells[col] = n.missing ? n : evalCell(n, opts, tmp, cache, preset === 'pytorch' && n.args.length === 2);
  }
  if (row.ceiling) {
    const n = numericsArgs({ group: 'softmax', unit: 'shiftmax' }, 'pytorch', cat);
    const base = evalCell(n, opts, tmp, cache, true);
    cells.w8a8 = base.fp32
      ? { ...base.fp32, command: base.command }
      : base.none
        ? base
        : { error: `no FP32 column (${base.error ?? base.int64})`, command: base.command };
    cells.w4a4 = { none: 'the same FP32 model' };
    cells.w3a3 = { none: 'the same FP32 model' };
  }
  return cells;
}

function sduCell(row, cat, opts) {
  if (row.ceiling) return { none: 'no integer unit' };
  const n = numericsArgs(row, row.sduPreset ?? 'pytorch', cat);
  if (n.missing) return n;
  const args = ['run', '--model', 'deit-s', '--timing-only', ...n.runArgs, ...(row.machine ?? []).flatMap((s) => ['--set', s]), '--json'];
  const command = commandText(args);
  // --reuse: the JSON an earlier run of exactly this command left in .cache/ablation/
  const out = join(REPORTS, `run-${`${n.key}-${(row.machine ?? []).join('-')}`.replace(/[^\w.-]+/g, '_')}.json`);
  const reused = opts.reuse && existsSync(out) && existsSync(`${out}.command`) && readFileSync(`${out}.command`, 'utf8') === command;
  const r = reused ? { status: 0, stdout: readFileSync(out, 'utf8'), stderr: '' } : ivit(args);
  if (!reused && r.status === 0) {
    writeFileSync(out, r.stdout);
    writeFileSync(`${out}.command`, command);
  }
  if (r.status !== 0) {
    const why = lastLine(r.stderr).replace(/^ivit: error: /, '');
    if (/no I-BERT unit/.test(why)) return { refused: 'accelerator has no I-BERT unit (ivit run refuses it)', message: why, command };
    return /accelerator|golden model only|simulator has no/.test(why)
      ? { refused: `ivit run refuses it: ${why}`, command }
      : { error: `run failed: ${why}`, command };
  }
  const rep = JSON.parse(r.stdout);
  const classes = OPERATORS_OF[row.group](rep.operators);
  return {
    unitBusy: classes.reduce((a, k) => a + rep.operators[k].busyCycles, 0),
    classes,
    exposed: Math.round(rep.sduExposedFraction * rep.cycles),
    cycles: rep.cycles,
    command,
  };
}

/** Cells of a docs/rtl.md row: `| unit | options | family / device | LUT | FF | carry | DSP | BRAM | Fmax … |`. */
function rtlRow(lines, unit, options, family) {
  const prefix = `| ${unit} | ${options} | ${family}`;
  const line = lines.find((l) => l.startsWith(prefix));
  if (!line) return null;
  const c = line.split('|').map((s) => s.trim());
  return { lut: Number(c[4]), ff: Number(c[5]), dsp: Number(c[7]), fmax: c[9] };
}

function synthFromDocs(row) {
  const where = `docs/rtl.md row "${row.synth.unit} | ${row.synth.options}"`;
  const lines = readFileSync('docs/rtl.md', 'utf8').split('\n');
  const ice = rtlRow(lines, row.synth.unit, row.synth.options, 'ice40 / hx8k');
  if (!ice) return { missing: `no ${where} (iCE40)` };
  const ecp5 = rtlRow(lines, row.synth.unit, row.synth.options, 'ecp5 /');
  const median = /^[\d.]+/.exec(ice.fmax);
  return {
    lut: ice.lut,
    ff: ice.ff,
    dsp: ecp5 ? ecp5.dsp : 'ECP5 not run',
    fmax: median ? Number(median[0]) : ice.fmax.replace(/\|/g, '/'),
    command: `# ${where} (ivit synth ${row.synth.unit} ${[...row.synth.args, '--family', 'ice40', '--seeds', String(row.synth.seeds ?? 3), '--freq', '100'].join(' ')})`,
  };
}

function synthRun(row) {
  const run = (family, seeds) => {
    const args = ['synth', row.synth.unit, ...row.synth.args, '--family', family, '--seeds', String(seeds), '--freq', '100', '--format', 'json'];
    const r = ivit(args);
    return { r, command: commandText(args), row: r.status === 0 ? JSON.parse(r.stdout) : null };
  };
  const ice = run('ice40', row.synth.seeds ?? 3);
  if (!ice.row) return { error: `synth failed: ${lastLine(ice.r.stderr)}`, command: ice.command };
  const ecp5 = run('ecp5', 0);
  const fmax = ice.row.fmaxMedianMhz ?? (ice.row.fmaxSeeds.length ? 'no seed placed' : 'no place and route (--seeds 0)');
  return { lut: ice.row.lut, ff: ice.row.ff, dsp: ecp5.row ? ecp5.row.dsp : 'ECP5 failed', fmax, command: `${ice.command} && ${ecp5.command}` };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cat = await numericsCatalogue();
  const chosen = ROWS.filter((r) => !opts.rows || opts.rows.includes(r.id));
  const tmp = mkdtempSync(join(tmpdir(), 'ablation-'));
  mkdirSync(REPORTS, { recursive: true });
  const cache = new Map();
  cache.imports = new Map();
  const t0 = Date.now();
  const started = new Date(t0).toISOString();
  const measured = new Map();
  // written after every row, so an interrupted run keeps the rows it finished (its run entry says which)
  const save = () => {
    // read again: another run of this script (other --rows) may have written its rows meanwhile
    const now = existsSync(CELLS) ? JSON.parse(readFileSync(CELLS, 'utf8')) : { rows: [] };
    const oldRows = new Map(now.rows.map((r) => [r.id, r]));
    const rows = ROWS.map((r) => measured.get(r.id) ?? oldRows.get(r.id)).filter((r) => r !== undefined);
    const run = {
      started,
      rows: chosen.filter((r) => measured.has(r.id)).map((r) => r.id),
      seconds: Math.round((Date.now() - t0) / 1000),
      at: new Date().toISOString(),
      ...(opts.limit ? { limit: Number(opts.limit) } : {}),
      synth: opts.synth ? 'ivit synth' : 'docs/rtl.md',
      ...(opts.skipEval ? { evaluations: 'skipped' } : {}),
      ...(opts.reuse ? { reuse: true } : {}),
    };
    const out = {
      comment: 'cells of docs/ablation.md, written by scripts/ablation.sh (scripts/ablation.mjs); render with scripts/ablation-table.mjs',
      runs: [...(now.runs ?? []).filter((r) => r.started !== started), run],
      rows,
    };
    writeFileSync(CELLS, `${JSON.stringify(out, null, 1)}\n`);
    return run;
  };
  try {
    for (const row of chosen) {
      const cells = {
        id: row.id,
        group: row.group,
        label: row.label,
        ...(row.baseline ? { baseline: true } : {}),
        ...(row.note ? { note: row.note } : {}),
        accuracy: accuracyCells(row, opts, cat, tmp, cache),
        synth: row.ceiling ? { none: 'no integer unit' } : row.synth === null ? { none: 'no RTL unit yet' } : opts.synth ? synthRun(row) : synthFromDocs(row),
        sdu: sduCell(row, cat, opts),
        measuredAt: new Date().toISOString(),
      };
      measured.set(row.id, cells);
      save();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const run = save();
  process.stderr.write(`ablation: ${chosen.length} rows in ${run.seconds} s; wrote ${CELLS}\n`);
}

await main();
