import { z } from 'zod';
import type { Rng } from '../util/random.js';
import { interpolateInto } from './grid.js';
import { applyNormalization, invertNormalization, isInvertible, type NormalizationParams } from './normalize.js';
import { broadenSpectrum } from './preprocess/broaden.js';

/**
 * Training augmentations that model what differs between a calculation and
 * a measurement of the same compound: a residual energy-calibration error,
 * a resolution broader than assumed, noise, a smooth background left by an
 * imperfect pre-edge subtraction, and an edge-step normalization error.
 * They act on the spectra before the intensity normalization (edge-step
 * units after XAS normalization), and the intensity normalization is applied
 * again afterwards, so the network always sees inputs normalized as at
 * inference. All draws come from the trainer's seeded generator, so a run
 * (and a resumed run) stays reproducible. Every default is 0 (off).
 */
export const AugmentSchema = z.strictObject({
  /** Std (eV) of a random energy offset per spectrum: calibration error left after the measured shift. Typical 0.2-0.5. */
  energyShift: z.number().min(0).default(0),
  /** Largest extra Gaussian FWHM (eV), drawn uniformly in [0, broaden] per spectrum: resolution broader than assumed. Typical 0.5-2. */
  broaden: z.number().min(0).default(0),
  /** Std of additive Gaussian noise per point, in edge-step units (after XAS normalization). Typical 0.005-0.02. */
  noise: z.number().min(0).default(0),
  /** Std of a random linear background, as its value at the grid ends (a pre-edge slope left over). Typical 0.02-0.05. */
  slope: z.number().min(0).default(0),
  /** Std of a random quadratic background, as its value at the grid ends relative to the middle. Typical 0.01-0.03. */
  curvature: z.number().min(0).default(0),
  /** Std of a relative scale error per spectrum (edge-step normalization error): x exp(N(0, scale)), about x (1 + N(0, scale)) and never a sign flip. Typical 0.03-0.05. */
  scale: z.number().min(0).default(0),
  /** Fraction of spectra augmented (the others pass unchanged, so clean calculations stay in view). */
  probability: z.number().min(0).max(1).default(1),
});
export type AugmentConfig = z.infer<typeof AugmentSchema>;

/** The per-batch hook the trainer calls on its n x m input batch (row-major, normalized units), in place. */
export type AugmentHook = (x: Float32Array, rows: number, m: number, rng: Rng) => void;

/** Whether any augmentation is switched on. */
export function augmentsAnything(a: AugmentConfig): boolean {
  return a.probability > 0 && (a.energyShift > 0 || a.broaden > 0 || a.noise > 0 || a.slope > 0 || a.curvature > 0 || a.scale > 0);
}

/**
 * The hook for a grid and an intensity normalization, or undefined when
 * nothing is switched on (so a run without augmentation draws exactly the
 * random numbers it drew before augmentation existed).
 */
export function buildAugmentation(a: AugmentConfig, energies: Float64Array, normalization: NormalizationParams): AugmentHook | undefined {
  if (!augmentsAnything(a)) return undefined;
  const m = energies.length;
  const mid = 0.5 * (energies[0] + energies[m - 1]);
  const half = 0.5 * (energies[m - 1] - energies[0]) || 1;
  const t = Float64Array.from(energies, (e) => (e - mid) / half);
  const shifted = new Float64Array(m);
  const row = new Float64Array(m);
  // Per-spectrum normalizations (minmax, area) are invariant to what is undone here, so their rows are perturbed as they are and normalized again.
  const invertible = isInvertible(normalization);
  return (x, rows, width, rng) => {
    if (width !== m) throw new Error(`augmentation built for ${m} grid points, batch has ${width}`);
    const raw = invertible ? invertNormalization(normalization, x, rows, m) : x.slice();
    for (let r = 0; r < rows; r++) {
      if (a.probability < 1 && rng.uniform() >= a.probability) continue;
      const off = r * m;
      for (let c = 0; c < m; c++) row[c] = raw[off + c];
      let y: Float64Array = row;
      if (a.broaden > 0) {
        const fwhm = a.broaden * rng.uniform();
        // below a few hundredths of an eV the kernel changes nothing measurable
        if (fwhm > 0.01) y = broadenSpectrum(energies, y, { kind: 'gaussian', fwhm });
      }
      if (a.energyShift > 0) {
        const d = a.energyShift * rng.normal();
        for (let c = 0; c < m; c++) shifted[c] = energies[c] - d;
        const out = new Float64Array(m);
        interpolateInto(energies, y, shifted, out);
        y = out;
      }
      const slope = a.slope > 0 ? a.slope * rng.normal() : 0;
      const curv = a.curvature > 0 ? a.curvature * rng.normal() : 0;
      const scale = a.scale > 0 ? Math.exp(a.scale * rng.normal()) : 1;
      for (let c = 0; c < m; c++) {
        let v = (y[c] + slope * t[c] + curv * t[c] * t[c]) * scale;
        if (a.noise > 0) v += a.noise * rng.normal();
        raw[off + c] = v;
      }
    }
    x.set(applyNormalization(normalization, raw, rows, m));
  };
}
