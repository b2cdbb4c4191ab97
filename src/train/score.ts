import { column, maxAxisCorrelation } from '../metrics/axes.js';
import { spearman } from '../metrics/correlation.js';
import { shapiroWilk } from '../metrics/normality.js';

/**
 * Validation metrics of one epoch and the single score that picks the best
 * epoch (and, across trials, the best model).
 *
 *   score = mean_i rho_i
 *           - max(0, maxInterAxis - INTER_AXIS_TOLERANCE)
 *           - RECONSTRUCTION_WEIGHT * min(1, mse / variance)
 *
 * rho_i: Spearman correlation of latent axis i with descriptor i over the
 *   validation rows where descriptor i is known (signed: the rank loss asks
 *   for a positive correlation, so a reversed axis scores badly; an
 *   undefined correlation, e.g. a constant axis, counts as 0). A descriptor
 *   whose validation labels cannot be ranked (fewer than 3, or all equal, as
 *   in a tiny split) says nothing about the model and is left out of the
 *   mean (mean_i rho_i = 0 when none can be ranked).
 * maxInterAxis: the largest |Spearman| between any two latent axes
 *   (constrained or free). Axes that copy each other are what a
 *   physically organised latent space must avoid; correlations up to the
 *   tolerance are free because real descriptors are themselves correlated.
 * mse / variance: validation reconstruction MSE relative to the total
 *   variance of the validation spectra (1 - R^2), capped at 1, with a small
 *   weight: it breaks ties in favour of models that also reconstruct well.
 *
 * The score lies in [-2.05, 1]; a perfect ordering of uncorrelated axes with
 * perfect reconstruction scores 1.
 *
 * Without constrained descriptors (k = 0: an unconstrained adversarial
 * autoencoder) there is no Spearman term, and what makes a model good is
 * that it reconstructs and that its latent space is the Gaussian the prior
 * asks for (so sweeps, interpolation and sampling stay on the data):
 *
 *   score = 1 - min(1, mse / variance) - (1 - mean_a W_a) - max(0, maxInterAxis - INTER_AXIS_TOLERANCE)
 *
 * W_a: Shapiro-Wilk W of latent axis a on the validation rows (1 for a
 * perfectly normal sample; typical trained axes give 0.95-0.99). The score
 * lies in [-2, 1].
 */

/** Inter-axis |Spearman| below this costs nothing. */
export const INTER_AXIS_TOLERANCE = 0.3;
/** Weight of the relative reconstruction error in the score. */
export const RECONSTRUCTION_WEIGHT = 0.05;

export interface ValidationMetrics {
  /** Spearman(axis i, descriptor i) per constrained descriptor (NaN when undefined). */
  spearman: number[];
  /** Largest |Spearman| over all pairs of latent axes (0 with a single axis). */
  maxInterAxis: number;
  /** Mean squared reconstruction error (decoder(encoder(x)) vs x, inference mode). */
  reconstructionMse: number;
  /** Reconstruction MSE divided by the variance of the validation spectra. */
  relativeMse: number;
  /** Mean Shapiro-Wilk W of the latent axes on the validation rows (NaN with fewer than 3 rows). */
  normality: number;
  /** The combined score (higher is better). */
  score: number;
}

/**
 * @param latent n x nStyle latents, row-major
 * @param nStyle latent width
 * @param y n x k descriptors, row-major, NaN = missing
 * @param k number of constrained descriptors (axis i <-> descriptor i)
 * @param reconstructionMse validation reconstruction MSE
 * @param variance total variance of the validation spectra (mean squared deviation from the per-channel mean)
 */
export function validationMetrics(
  latent: Float32Array,
  nStyle: number,
  y: ArrayLike<number>,
  k: number,
  reconstructionMse: number,
  variance: number,
): ValidationMetrics {
  const n = latent.length / nStyle;
  const rho: number[] = [];
  const ranked: number[] = [];
  for (let j = 0; j < k; j++) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = y[i * k + j];
      if (Number.isFinite(v)) {
        xs.push(latent[i * nStyle + j]);
        ys.push(v);
      }
    }
    rho.push(xs.length >= 3 ? spearman(xs, ys) : NaN);
    if (xs.length >= 3 && ys.some((v) => v !== ys[0])) ranked.push(rho[j]);
  }
  const maxInter = maxAxisCorrelation(latent, n, nStyle).maxAbs;
  const relativeMse = variance > 0 ? reconstructionMse / variance : reconstructionMse > 0 ? Infinity : 0;
  const meanRho = ranked.reduce((s, r) => s + (Number.isFinite(r) ? r : 0), 0) / Math.max(ranked.length, 1);
  const rel = Math.min(1, Number.isFinite(relativeMse) ? relativeMse : 1);
  const normality = meanShapiroW(latent, n, nStyle);
  const interPenalty = Math.max(0, maxInter - INTER_AXIS_TOLERANCE);
  const score =
    k > 0
      ? meanRho - interPenalty - RECONSTRUCTION_WEIGHT * rel
      : 1 - rel - (1 - (Number.isFinite(normality) ? normality : 0)) - interPenalty;
  return { spearman: rho, maxInterAxis: maxInter, reconstructionMse, relativeMse, normality, score };
}

/** Mean Shapiro-Wilk W over the latent axes (a constant axis counts as W = 0). */
function meanShapiroW(latent: Float32Array, n: number, d: number): number {
  if (n < 3) return NaN;
  let s = 0;
  for (let a = 0; a < d; a++) {
    const w = shapiroWilk(column(latent, n, d, a)).w;
    s += Number.isFinite(w) ? w : 0;
  }
  return s / d;
}

/** Mean squared deviation of n x m row-major spectra from their per-channel mean. */
export function totalVariance(x: Float32Array, n: number, m: number): number {
  if (n === 0) return 0;
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += x[i * m + j];
  for (let j = 0; j < m; j++) mean[j] /= n;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const d = x[i * m + j] - mean[j];
      s += d * d;
    }
  }
  return s / (n * m);
}
