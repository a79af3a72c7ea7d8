/**
 * The FQ-ViT fields of a model (docs/numerics.md "FQ-ViT"; docs/model-format.md "fqvit"): per LayerNorm site the PTS
 * base scale s and α_c, fitted with ptfCalibrate to the real LayerNorm inputs (the 16-bit residual times its scale)
 * that the calibration batch produces in the I-ViT forward pass, and the LIS code width. The output scale of each
 * PTS LayerNorm is the site's I-ViT one (a1, a2, headIn: the calibrated range of the LayerNorm's output), so one
 * model file carries both presets. The final norm sees only the class token, as the head does.
 */
import type { QLayerNorm, QuantModel } from '../golden/qmodel.js';
import { ptfCalibrate } from './ptf.js';

/** The observer signature of forwardInLockstep. */
export type BatchObserver = (image: number, name: string, data: ArrayLike<number>, shape: readonly number[]) => void;

interface Site {
  ln: QLayerNorm;
  /** the residual scale of the LayerNorm input, read once calibration has fixed it */
  scale: () => number;
  /** per image: the int16 residual rows reaching the LayerNorm */
  inputs: Int16Array[];
  /** only the class token (row 0) reaches it */
  clsOnly: boolean;
}

export interface PtsCalibrator {
  /** pass to forwardInLockstep (it keeps the LayerNorm inputs) */
  observe: BatchObserver;
  /** after the pass: write every LayerNorm's `pts` and the model's `fqvit` fields */
  finish(lisBits: number): void;
}

/** Collect the LayerNorm inputs of a calibrating forward pass of `model`, then fit their PTS scales. */
export function ptsCalibrator(model: QuantModel): PtsCalibrator {
  const depth = model.blocks.length;
  const residualScale = (b: number): (() => number) => (b < 0 ? () => model.scales.embed : () => model.blocks[b]!.scales.res2);
  // the observed tensor that is each LayerNorm's input: embed → block0.ln1, blockb.res1 → blockb.ln2, blockb.res2 → the next ln1 or the norm
  const sites = new Map<string, Site>();
  const input = (ln: QLayerNorm, scale: () => number, clsOnly: boolean): Site => ({ ln, scale, inputs: [], clsOnly });
  sites.set('embed', input(model.blocks[0]?.norm1 ?? model.norm, residualScale(-1), depth === 0));
  model.blocks.forEach((blk, b) => {
    sites.set(
      `block${b}.res1`,
      input(blk.norm2, () => blk.scales.res1, false),
    );
    const last = b === depth - 1;
    sites.set(`block${b}.res2`, input(last ? model.norm : model.blocks[b + 1]!.norm1, residualScale(b), last));
  });
  const c = model.config.embedDim;
  return {
    observe(image, name, data) {
      const site = sites.get(name);
      if (site) site.inputs[image] = Int16Array.from(site.clsOnly ? Array.prototype.slice.call(data, 0, c) : data);
    },
    finish(lisBits) {
      for (const [name, site] of sites) {
        if (site.inputs.length === 0) throw new Error(`ptsCalibrator: no LayerNorm input ${name} was observed`);
        const s = site.scale();
        const total = site.inputs.reduce((a, x) => a + x.length, 0);
        const real = new Float64Array(total);
        let o = 0;
        for (const x of site.inputs) for (let i = 0; i < x.length; i++) real[o++] = x[i]! * s;
        const fit = ptfCalibrate(real, c);
        site.ln.pts = { scale: fit.scale, alpha: fit.alpha };
      }
      model.fqvit = { lisBits };
    },
  };
}
