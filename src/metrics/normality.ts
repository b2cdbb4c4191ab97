import { Rng } from '../util/random.js';
import { normalQuantile, normalSf } from './normal-distribution.js';

/**
 * Shapiro-Wilk test of normality, by Royston's algorithm (AS R94, Applied
 * Statistics 44, 1995), as scipy.stats.shapiro and R's shapiro.test compute
 * it. Used to check that latent axes follow the N(0, 1) prior the
 * adversarial term imposes.
 */

/** Result of {@link shapiroWilk}. */
export interface ShapiroWilk {
  /** The W statistic in (0, 1]; near 1 for normal data. */
  w: number;
  /** p-value of the null hypothesis "drawn from a normal distribution". */
  p: number;
  /** Number of values the statistic was computed on (after subsampling). */
  n: number;
  /** True when the input had more than {@link SHAPIRO_MAX_N} values and a subsample was used. */
  subsampled: boolean;
}

/** Largest sample size Royston's approximation is validated for. */
export const SHAPIRO_MAX_N = 5000;

function poly(c: number[], x: number): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i];
  return r;
}

/** The coefficients of the last n asked for, kept: the trainer tests samples of one size every epoch. */
let lastCoefficients: { n: number; a: Float64Array } | null = null;

function coefficientsFor(n: number): Float64Array {
  if (lastCoefficients?.n !== n) lastCoefficients = { n, a: shapiroWilkCoefficients(n) };
  return lastCoefficients.a;
}

/**
 * Royston's approximation of the Shapiro-Wilk coefficients a_1..a_{n/2}
 * (a_i multiplies x_(n+1-i) - x_(i)); their squares sum to 1/2.
 */
export function shapiroWilkCoefficients(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 3) throw new Error(`Shapiro-Wilk needs n >= 3 (got ${n})`);
  const nn2 = Math.floor(n / 2);
  const a = new Float64Array(nn2);
  if (n === 3) {
    a[0] = Math.SQRT1_2;
    return a;
  }
  // Royston's polynomials in 1/sqrt(n) for the two largest coefficients.
  const C1 = [0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056];
  const C2 = [0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633];
  const m = new Float64Array(nn2);
  let summ2 = 0;
  for (let i = 0; i < nn2; i++) {
    m[i] = normalQuantile((i + 1 - 0.375) / (n + 0.25));
    summ2 += m[i] * m[i];
  }
  summ2 *= 2;
  const ssumm2 = Math.sqrt(summ2);
  const rsn = 1 / Math.sqrt(n);
  const a1 = poly(C1, rsn) - m[0] / ssumm2;
  let i1: number;
  let fac: number;
  if (n > 5) {
    i1 = 2;
    const a2 = -m[1] / ssumm2 + poly(C2, rsn);
    fac = Math.sqrt((summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
    a[1] = a2;
  } else {
    i1 = 1;
    fac = Math.sqrt((summ2 - 2 * m[0] * m[0]) / (1 - 2 * a1 * a1));
  }
  a[0] = a1;
  for (let i = i1; i < nn2; i++) a[i] = -m[i] / fac;
  return a;
}

/**
 * Shapiro-Wilk W and p-value. Non-finite values are dropped. For more than
 * {@link SHAPIRO_MAX_N} values (beyond the approximation's validated range)
 * a deterministic subsample of SHAPIRO_MAX_N values, drawn with
 * Rng(`seed`), is tested instead and `subsampled` is set; note that at such
 * sizes the test rejects for departures too small to matter.
 * @param values sample to test
 * @param seed seed of the subsample for large inputs (default 0)
 */
export function shapiroWilk(values: ArrayLike<number>, seed = 0): ShapiroWilk {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) kept.push(values[i]);
  let x = Float64Array.from(kept);
  let subsampled = false;
  if (x.length > SHAPIRO_MAX_N) {
    const perm = new Rng(seed).permutation(x.length);
    x = Float64Array.from(perm.subarray(0, SHAPIRO_MAX_N), (i) => kept[i]);
    subsampled = true;
  }
  const n = x.length;
  if (n < 3) return { w: NaN, p: NaN, n, subsampled };
  // A typed array sorts numerically without a comparator (the trainer tests every axis every epoch).
  x.sort();
  const range = x[n - 1] - x[0];
  if (range === 0) return { w: NaN, p: NaN, n, subsampled };
  const a = coefficientsFor(n);
  // W as the squared correlation of the (antisymmetric) coefficient vector with the sorted data,
  // computed as 1 - (1 - W) to keep precision when W is close to 1.
  let sx = 0;
  for (let i = 0; i < n; i++) sx += x[i] / range;
  sx /= n;
  let ssa = 0;
  let ssx = 0;
  let sax = 0;
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    const ai = i < j ? -a[i] : i > j ? a[j] : 0;
    // sum of the coefficient vector is 0 (antisymmetric), so no centring term
    const xsx = x[i] / range - sx;
    ssa += ai * ai;
    ssx += xsx * xsx;
    sax += ai * xsx;
  }
  const ssassx = Math.sqrt(ssa * ssx);
  const w1 = ((ssassx - sax) * (ssassx + sax)) / (ssa * ssx);
  const w = 1 - w1;
  return { w, p: shapiroWilkPValue(w, n), n, subsampled };
}

/** Royston's normalizing transformation of W for sample size n (3 <= n <= 5000). */
export function shapiroWilkPValue(w: number, n: number): number {
  if (n === 3) {
    // Exact distribution for n = 3.
    const p = (6 / Math.PI) * (Math.asin(Math.sqrt(w)) - Math.PI / 3);
    return Math.min(1, Math.max(0, p));
  }
  // Royston's polynomials for the mean and log-sd of the transformed W: in n up to 11 (after the
  // gamma transformation), in ln(n) above.
  const C3 = [0.544, -0.39978, 0.025054, -6.714e-4];
  const C4 = [1.3822, -0.77857, 0.062767, -0.0020322];
  const C5 = [-1.5861, -0.31082, -0.083751, 0.0038915];
  const C6 = [-0.4803, -0.082676, 0.0030302];
  const G = [-2.273, 0.459];
  const w1 = 1 - w;
  if (w1 <= 0) return 1;
  let y = Math.log(w1);
  let mean: number;
  let sd: number;
  if (n <= 11) {
    const gamma = poly(G, n);
    if (y >= gamma) return 1e-99;
    y = -Math.log(gamma - y);
    mean = poly(C3, n);
    sd = Math.exp(poly(C4, n));
  } else {
    const ln = Math.log(n);
    mean = poly(C5, ln);
    sd = Math.exp(poly(C6, ln));
  }
  return normalSf((y - mean) / sd);
}
