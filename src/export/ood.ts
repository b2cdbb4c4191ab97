import { reconstructionErrors } from '../metrics/reconstruction.js';
import { quantileSorted } from '../util/quantile.js';
import { check } from '../util/errors.js';

/**
 * Out-of-distribution scores: how unlike the spectra a model knows a new
 * spectrum is, so that its latent coordinates and descriptor estimates can
 * be trusted less.
 *
 * The score of current models (`HeldOutOodReference`, metric
 * "reconstruction+latent") combines two measures, each read as a percentile
 * of the same measure on the run's *held-out* rows (validation and test
 * spectra, which the networks never trained on):
 * - the reconstruction error (MSE in normalized units): a spectrum with a
 *   feature no calculated spectrum has reconstructs badly;
 * - the latent distance: the Mahalanobis distance of the latent vector from
 *   the training latents' mean under their covariance. A spectrum can
 *   reconstruct tolerably and still land where no training spectrum lies.
 * combined = max(reconstruction percentile, latent percentile), and
 * `ood_percentile` is the percentile of `combined` among the held-out rows'
 * own combined values: uniform on held-out spectra, so ood_flag (percentile
 * above 99) marks 1% of them by construction.
 *
 * Why held-out rows: a network reconstructs its own training spectra better
 * than any other spectrum of the same kind, so a reference from the training
 * rows is too tight: it flags ordinary new spectra, and how many it flags
 * depends on how far each seed happened to overfit. Held-out rows measure
 * what the model does with a spectrum it has not seen, the question asked of
 * every new spectrum. When the training config augments spectra (modelling
 * calculation vs measurement), the held-out rows are augmented the same way
 * (with a fixed seed) before they are scored: the model was trained to treat
 * those perturbations as the same compound, so they are part of what is "in
 * distribution".
 *
 * Models written before this reference existed carry `ReconstructionOodReference`
 * (the training rows' reconstruction MSE) and keep being scored by it.
 */

/** A sorted sample of reference scores (all values, or evenly spaced quantiles) and their 99th percentile. */
export interface ScoreDistribution {
  /** Number of reference spectra summarized. */
  n: number;
  /** Sorted sample: sample[j] is the j/(k-1) quantile of the reference scores (k = sample.length). */
  sample: number[];
  /** 99th percentile of the reference scores. */
  p99: number;
}

/** The reference of models written before held-out references: the training spectra's reconstruction MSE. */
export interface ReconstructionOodReference extends ScoreDistribution {
  /** What the sample measures: mean squared reconstruction error per spectrum, in normalized units. */
  metric: 'reconstruction-mse';
}
/** Older name of {@link ReconstructionOodReference}. */
export type OodReference = ReconstructionOodReference;

/** Gaussian summary of the training latents: what the latent distance is measured against. */
export interface LatentGaussian {
  /** Mean latent vector (length d). */
  mean: number[];
  /**
   * Whitening matrix W = L^-1 (d x d, row-major, lower triangular) for the
   * Cholesky factor L of the covariance: distance = |W (z - mean)|.
   */
  whiten: number[];
}

/** The held-out reference of a model: see the module comment. */
export interface HeldOutOodReference {
  metric: 'reconstruction+latent';
  /** Rows the distributions come from: "held-out" (validation and test), or "training" when a run held nothing out. */
  rows: 'held-out' | 'training';
  /** Whether those rows were perturbed with the training augmentation before scoring. */
  augmented: boolean;
  /** Training latents' mean and whitening matrix. */
  latent: LatentGaussian;
  /** Reference reconstruction MSEs. */
  reconstruction: ScoreDistribution;
  /** Reference latent (Mahalanobis) distances. */
  distance: ScoreDistribution;
  /** Reference combined scores, max(reconstruction percentile, latent percentile). */
  combined: ScoreDistribution;
  /** A spectrum is flagged when its ood_percentile exceeds this (99). */
  threshold: number;
}

export type AnyOodReference = ReconstructionOodReference | HeldOutOodReference;

/** Percentile above which a spectrum is flagged out of distribution. */
export const OOD_THRESHOLD = 99;

/** Per-row mean squared difference of two n x m row-major arrays: what the OOD reference ranks. */
export function reconstructionMse(x: ArrayLike<number>, xhat: ArrayLike<number>, n: number, m: number): Float64Array {
  return reconstructionErrors(x, xhat, n, m).msePerSpectrum;
}

/**
 * The sorted sample (all values, or `maxSample` evenly spaced quantiles) and
 * 99th percentile of reference scores.
 * @param what the score's name, for the error on a non-finite value
 */
export function scoreDistribution(scores: ArrayLike<number>, what: string, maxSample = 1000): ScoreDistribution {
  check(scores.length >= 2, `OOD reference needs at least 2 spectra, got ${scores.length}`);
  const sorted = Float64Array.from(scores).sort();
  for (const v of sorted) check(Number.isFinite(v), `OOD reference: ${what} is not finite (NaN or Infinity)`);
  const k = Math.min(sorted.length, Math.max(2, maxSample));
  const sample = k === sorted.length ? Array.from(sorted) : Array.from({ length: k }, (_, j) => quantileSorted(sorted, j / (k - 1)));
  return { n: sorted.length, sample, p99: quantileSorted(sorted, 0.99) };
}

/**
 * Summarizes the training MSEs (the reference of older models).
 *
 * @param mse reconstruction MSE of each training spectrum (must be finite)
 * @param maxSample largest number of stored values; beyond it, evenly spaced quantiles are stored
 */
export function buildOodReference(mse: ArrayLike<number>, maxSample = 1000): ReconstructionOodReference {
  return { metric: 'reconstruction-mse', ...scoreDistribution(mse, 'a reconstruction error', maxSample) };
}

/**
 * Percentile (0..100) of `value` within a reference distribution: the
 * interpolated empirical CDF of the stored sample, so the reference
 * p-quantile maps back to p. NaN stays NaN.
 */
export function oodPercentile(ref: Pick<ScoreDistribution, 'sample'>, value: number): number {
  const s = ref.sample;
  const k = s.length;
  if (!Number.isFinite(value)) return value === Infinity ? 100 : NaN;
  if (value < s[0]) return 0;
  if (value >= s[k - 1]) return 100;
  let lo = 0;
  let hi = k - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid] <= value) lo = mid;
    else hi = mid;
  }
  const frac = s[hi] > s[lo] ? (value - s[lo]) / (s[hi] - s[lo]) : 0;
  return (100 * (lo + frac)) / (k - 1);
}

/** True when the score exceeds the reference's 99th percentile (NaN counts as out). */
export function isOutOfDistribution(ref: Pick<ScoreDistribution, 'p99'>, value: number): boolean {
  return !(value <= ref.p99);
}

/**
 * Mean and whitening matrix of n x d latents (row-major). The covariance gets
 * a ridge of 1e-6 times its mean variance (and an absolute 1e-12), so a
 * collapsed axis still gives a finite, if large, distance.
 */
export function fitLatentGaussian(z: ArrayLike<number>, n: number, d: number): LatentGaussian {
  check(n >= 2, `a latent reference needs at least 2 spectra, got ${n}`);
  check(z.length === n * d, `latent reference: ${z.length} values for ${n} x ${d}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mean[a] += z[i * d + a];
  for (let a = 0; a < d; a++) mean[a] /= n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = z[i * d + a] - mean[a];
      for (let b = 0; b <= a; b++) cov[a * d + b] += da * (z[i * d + b] - mean[b]);
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a] / (n - 1);
  const ridge = 1e-6 * (trace / d) + 1e-12;
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] = cov[a * d + b] / (n - 1) + (a === b ? ridge : 0);
  // Cholesky L (lower), then W = L^-1 by forward substitution.
  const L = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = cov[a * d + b];
      for (let c = 0; c < b; c++) s -= L[a * d + c] * L[b * d + c];
      L[a * d + b] = a === b ? Math.sqrt(Math.max(s, ridge)) : s / L[b * d + b];
    }
  }
  const W = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let a = col; a < d; a++) {
      let s = a === col ? 1 : 0;
      for (let c = col; c < a; c++) s -= L[a * d + c] * W[c * d + col];
      W[a * d + col] = s / L[a * d + a];
    }
  }
  return { mean: Array.from(mean), whiten: Array.from(W) };
}

/** Mahalanobis distance of each of n latent rows (n x d, row-major) under `g`. */
export function latentDistances(g: LatentGaussian, z: ArrayLike<number>, n: number, d: number): Float64Array {
  check(g.mean.length === d, `latent reference is for ${g.mean.length} axes, got ${d}`);
  const out = new Float64Array(n);
  const u = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) u[a] = z[i * d + a] - g.mean[a];
    let s = 0;
    for (let a = 0; a < d; a++) {
      let w = 0;
      for (let b = 0; b <= a; b++) w += g.whiten[a * d + b] * u[b];
      s += w * w;
    }
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** The OOD scores of n spectra under one reference. */
export interface OodScores {
  /** Reconstruction MSE (as given). */
  mse: Float64Array;
  /** Latent Mahalanobis distance (NaN under a reconstruction-only reference). */
  distance: Float64Array;
  /** Percentile of the MSE among the reference rows. */
  reconstructionPercentile: Float64Array;
  /** Percentile of the latent distance among the reference rows (NaN under a reconstruction-only reference). */
  latentPercentile: Float64Array;
  /** The OOD percentile: of the combined score among the reference rows (of the MSE for older references). */
  percentile: Float64Array;
  /** 1 when out of distribution, else 0. */
  flag: Float64Array;
}

/** Combined score of one spectrum: the worse of its two reference percentiles. */
function combinedOf(reconstructionPercentile: number, latentPercentile: number): number {
  return Number.isNaN(reconstructionPercentile) || Number.isNaN(latentPercentile) ? NaN : Math.max(reconstructionPercentile, latentPercentile);
}

/**
 * Builds a held-out reference.
 *
 * @param trainLatent n x d latents of the training rows (the Gaussian is fitted on them)
 * @param reference latents and reconstruction MSEs of the reference rows (held-out, possibly augmented)
 */
export function buildHeldOutOod(
  trainLatent: { z: ArrayLike<number>; n: number },
  reference: { z: ArrayLike<number>; mse: ArrayLike<number>; n: number },
  d: number,
  opts: { rows: HeldOutOodReference['rows']; augmented: boolean; maxSample?: number },
): HeldOutOodReference {
  const latent = fitLatentGaussian(trainLatent.z, trainLatent.n, d);
  const reconstruction = scoreDistribution(reference.mse, 'a reconstruction error', opts.maxSample);
  const dist = latentDistances(latent, reference.z, reference.n, d);
  const distance = scoreDistribution(dist, 'a latent distance', opts.maxSample);
  const combined = Float64Array.from({ length: reference.n }, (_, i) =>
    combinedOf(oodPercentile(reconstruction, reference.mse[i]), oodPercentile(distance, dist[i])),
  );
  return {
    metric: 'reconstruction+latent',
    rows: opts.rows,
    augmented: opts.augmented,
    latent,
    reconstruction,
    distance,
    combined: scoreDistribution(combined, 'a combined score', opts.maxSample),
    threshold: OOD_THRESHOLD,
  };
}

/**
 * Scores n spectra, given their reconstruction MSEs and latents (n x d),
 * under either kind of reference.
 */
export function scoreOod(ref: AnyOodReference, mse: Float64Array, z: ArrayLike<number>, n: number, d: number): OodScores {
  const s: OodScores = {
    mse,
    distance: new Float64Array(n).fill(NaN),
    reconstructionPercentile: new Float64Array(n),
    latentPercentile: new Float64Array(n).fill(NaN),
    percentile: new Float64Array(n),
    flag: new Float64Array(n),
  };
  if (ref.metric === 'reconstruction-mse') {
    for (let i = 0; i < n; i++) {
      s.reconstructionPercentile[i] = s.percentile[i] = oodPercentile(ref, mse[i]);
      s.flag[i] = isOutOfDistribution(ref, mse[i]) ? 1 : 0;
    }
    return s;
  }
  s.distance = latentDistances(ref.latent, z, n, d);
  for (let i = 0; i < n; i++) {
    s.reconstructionPercentile[i] = oodPercentile(ref.reconstruction, mse[i]);
    s.latentPercentile[i] = oodPercentile(ref.distance, s.distance[i]);
    const c = combinedOf(s.reconstructionPercentile[i], s.latentPercentile[i]);
    s.percentile[i] = oodPercentile(ref.combined, c);
    s.flag[i] = s.percentile[i] <= ref.threshold ? 0 : 1;
  }
  return s;
}
