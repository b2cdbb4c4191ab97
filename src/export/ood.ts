import { reconstructionErrors } from '../metrics/reconstruction.js';
import { quantileSorted } from '../util/quantile.js';
import { check } from '../util/errors.js';

/**
 * Out-of-distribution score from reconstruction error: a spectrum the
 * autoencoder reconstructs much worse than the training spectra lies outside
 * what the model learned (e.g. an experimental spectrum with a feature no
 * simulated one has), so its latent coordinates and descriptor estimates
 * deserve less trust. The reference is the training set's per-spectrum MSE
 * distribution, stored as a sorted sample (all values, or evenly spaced
 * quantiles when there are many).
 */
export interface OodReference {
  /** What the sample measures: mean squared reconstruction error per spectrum, in normalized units. */
  metric: 'reconstruction-mse';
  /** Number of training spectra the reference summarizes. */
  n: number;
  /** Sorted sample: sample[j] is the j/(k-1) quantile of the training MSE (k = sample.length). */
  sample: number[];
  /** 99th percentile of the training MSE; spectra above it are flagged. */
  p99: number;
}

/** Per-row mean squared difference of two n x m row-major arrays: what the OOD reference ranks. */
export function reconstructionMse(x: ArrayLike<number>, xhat: ArrayLike<number>, n: number, m: number): Float64Array {
  return reconstructionErrors(x, xhat, n, m).msePerSpectrum;
}

/**
 * Summarizes the training MSEs.
 *
 * @param mse reconstruction MSE of each training spectrum (must be finite)
 * @param maxSample largest number of stored values; beyond it, evenly spaced quantiles are stored
 */
export function buildOodReference(mse: ArrayLike<number>, maxSample = 1000): OodReference {
  return { metric: 'reconstruction-mse', ...scoreDistribution(mse, 'a reconstruction error', maxSample) };
}

/**
 * The sorted sample (all values, or `maxSample` evenly spaced quantiles) and
 * 99th percentile of reference scores.
 * @param what the score's name, for the error on a non-finite value
 */
export function scoreDistribution(scores: ArrayLike<number>, what: string, maxSample = 1000): ScoreDistribution & { n: number } {
  check(scores.length >= 2, `OOD reference needs at least 2 spectra, got ${scores.length}`);
  const sorted = Float64Array.from(scores).sort();
  for (const v of sorted) check(Number.isFinite(v), `OOD reference: ${what} is not finite (NaN or Infinity)`);
  const k = Math.min(sorted.length, Math.max(2, maxSample));
  const sample = k === sorted.length ? Array.from(sorted) : Array.from({ length: k }, (_, j) => quantileSorted(sorted, j / (k - 1)));
  return { n: sorted.length, sample, p99: quantileSorted(sorted, 0.99) };
}

/** What percentiles are read against: a sorted sample of reference scores and their 99th percentile (any OOD metric). */
export interface ScoreDistribution {
  sample: number[];
  p99: number;
}

/**
 * Percentile (0..100) of `mse` (or any score of the reference's metric)
 * within the reference distribution: the interpolated empirical CDF of the
 * stored sample, so the reference p-quantile maps back to p. NaN stays NaN.
 */
export function oodPercentile(ref: ScoreDistribution, mse: number): number {
  const s = ref.sample;
  const k = s.length;
  if (!Number.isFinite(mse)) return mse === Infinity ? 100 : NaN;
  if (mse < s[0]) return 0;
  if (mse >= s[k - 1]) return 100;
  let lo = 0;
  let hi = k - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid] <= mse) lo = mid;
    else hi = mid;
  }
  const frac = s[hi] > s[lo] ? (mse - s[lo]) / (s[hi] - s[lo]) : 0;
  return (100 * (lo + frac)) / (k - 1);
}

/** True when the score exceeds the reference's 99th percentile (e.g. reconstructs worse than 99% of the training spectra). */
export function isOutOfDistribution(ref: ScoreDistribution, mse: number): boolean {
  return !(mse <= ref.p99);
}
