import { check } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Forward } from './decode.js';
import { topWindows, type EnergyWindow } from './windows.js';

/**
 * Peak-masking relevance: which energies each latent axis reads. A window
 * slides over the energy grid; inside it every spectrum is replaced by the
 * straight line joining the spectrum's values just outside the window
 * ('interpolate', the default: removes a peak while keeping the edge step
 * and baseline) or by the dataset-mean spectrum ('mean': removes the
 * spectrum's individuality there). The masked spectra are re-encoded, and
 * the mean |shift| of each latent coordinate is the relevance of that window
 * position for that axis.
 */

/** How the masked region is filled. */
export type MaskFill = 'interpolate' | 'mean';

/** Options of {@link maskingRelevance}. */
export interface RelevanceOptions {
  /** Energy grid of the spectra (length m). */
  energies: ArrayLike<number>;
  /** Window width in abscissa units (eV); default 5. Ignored when `windowPoints` is given. */
  window?: number;
  /** Window width in grid points (overrides `window`). */
  windowPoints?: number;
  /** Grid points between successive window positions (default 1). */
  stride?: number;
  /** Fill of the masked region (default 'interpolate'). */
  fill?: MaskFill;
  /**
   * Most spectra used (default 1000): a fixed-seed random subset keeps the
   * cost (positions x spectra encodings) bounded; relevance is a mean, so
   * 1000 spectra pin it down to a few percent.
   */
  maxSpectra?: number;
  /** Seed of that subset (default 0). */
  seed?: number;
  /** Names of the latent axes (default z0, z1, ...). */
  axisNames?: string[];
}

/**
 * The default masking window for an abscissa: 5 eV for XAS energies (about
 * a core-hole lifetime broadening), 2% of the span for diffraction axes
 * (2-theta or q), where 5 units would cover most of the pattern.
 */
export function defaultRelevanceWindow(axisKind: 'energy' | 'twotheta' | 'q', energies: ArrayLike<number>): number {
  if (axisKind === 'energy') return 5;
  return (energies[energies.length - 1] - energies[0]) / 50;
}

/** Relevance curves of every latent axis. */
export interface RelevanceResult {
  /** Number of window positions. */
  positions: number;
  /** Latent dimension. */
  d: number;
  axisNames: string[];
  /** Energy at the centre of each window position. */
  centers: Float64Array;
  /** First and last grid index masked at each position. */
  startIndex: Int32Array;
  endIndex: Int32Array;
  /** positions x d: mean |z_masked - z| per window position and axis. */
  shift: Float64Array;
  /** positions x d: shift divided by the axis' standard deviation over the (subset of the) data, so axes compare. */
  relativeShift: Float64Array;
  /** Per axis: energy of the window centre moving it most. */
  peakEnergy: Float64Array;
  /** Per axis: best non-overlapping windows of the relevance curve. */
  topWindows: EnergyWindow[][];
  fill: MaskFill;
  /** Width actually used, in grid points. */
  windowPoints: number;
  /** Spectra used. */
  spectraUsed: number;
}

/**
 * Computes peak-masking relevance.
 * @param encode the encoder's forward pass (m spectrum points -> d latent coordinates)
 * @param d latent dimension
 * @param spectra n x m spectra, row-major, already preprocessed as the encoder expects
 * @param n number of spectra
 * @param opts see {@link RelevanceOptions}
 */
export function maskingRelevance(encode: Forward, d: number, spectra: Float32Array, n: number, opts: RelevanceOptions): RelevanceResult {
  const energies = Float64Array.from(opts.energies);
  const m = energies.length;
  check(m >= 3, `relevance needs at least 3 energy points, got ${m}`);
  check(spectra.length === n * m, `spectra hold ${spectra.length} values, expected ${n} x ${m}`);
  check(n >= 1, 'relevance needs at least one spectrum', '--data');
  const fill = opts.fill ?? 'interpolate';
  let w: number;
  if (opts.windowPoints !== undefined) {
    w = opts.windowPoints;
  } else {
    const width = opts.window ?? 5;
    check(width > 0, `window must be positive, got ${width}`, '--window');
    const step = (energies[m - 1] - energies[0]) / (m - 1);
    w = Math.max(1, Math.round(width / step) + 1);
  }
  check(Number.isInteger(w) && w >= 1 && w <= m - 2, `window must cover 1..${m - 2} grid points, got ${w}`, '--window');
  const stride = opts.stride ?? 1;
  check(Number.isInteger(stride) && stride >= 1, `stride must be an integer >= 1, got ${stride}`, '--stride');

  // fixed-seed subset
  const maxSpectra = opts.maxSpectra ?? 1000;
  let rows: Int32Array;
  if (n > maxSpectra) rows = new Rng(opts.seed ?? 0).permutation(n).slice(0, maxSpectra).sort();
  else rows = Int32Array.from({ length: n }, (_, i) => i);
  const k = rows.length;
  const X = new Float32Array(k * m);
  for (let r = 0; r < k; r++) X.set(spectra.subarray(rows[r] * m, (rows[r] + 1) * m), r * m);
  const mean = new Float64Array(m);
  if (fill === 'mean') {
    for (let r = 0; r < k; r++) for (let j = 0; j < m; j++) mean[j] += X[r * m + j] / k;
  }

  const z0 = encode(X, k);
  check(z0.length === k * d, `encoder returned ${z0.length / k} values per spectrum, expected ${d}`);
  const std = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < k; r++) {
      s += z0[r * d + a];
      s2 += z0[r * d + a] ** 2;
    }
    std[a] = Math.sqrt(Math.max(0, s2 / k - (s / k) ** 2));
  }

  // window positions: [start, start + w - 1], always leaving a point on each side for interpolation
  const starts: number[] = [];
  for (let s = 1; s + w - 1 <= m - 2; s += stride) starts.push(s);
  const P = starts.length;
  const shift = new Float64Array(P * d);
  const centers = new Float64Array(P);
  const startIndex = new Int32Array(P);
  const endIndex = new Int32Array(P);
  const masked = new Float32Array(k * m);
  for (let p = 0; p < P; p++) {
    const a0 = starts[p];
    const a1 = a0 + w - 1;
    startIndex[p] = a0;
    endIndex[p] = a1;
    centers[p] = (energies[a0] + energies[a1]) / 2;
    masked.set(X);
    for (let r = 0; r < k; r++) {
      const base = r * m;
      if (fill === 'interpolate') {
        const eL = energies[a0 - 1];
        const eR = energies[a1 + 1];
        const yL = X[base + a0 - 1];
        const yR = X[base + a1 + 1];
        for (let j = a0; j <= a1; j++) masked[base + j] = yL + ((yR - yL) * (energies[j] - eL)) / (eR - eL);
      } else {
        for (let j = a0; j <= a1; j++) masked[base + j] = mean[j];
      }
    }
    const z = encode(masked, k);
    for (let r = 0; r < k; r++) for (let a = 0; a < d; a++) shift[p * d + a] += Math.abs(z[r * d + a] - z0[r * d + a]) / k;
  }
  for (let i = 0; i < shift.length; i++) check(Number.isFinite(shift[i]), 'encoder produced a non-finite latent on a masked spectrum');
  const relativeShift = new Float64Array(P * d);
  for (let p = 0; p < P; p++) for (let a = 0; a < d; a++) relativeShift[p * d + a] = std[a] > 0 ? shift[p * d + a] / std[a] : 0;

  const peakEnergy = new Float64Array(d);
  const windows: EnergyWindow[][] = [];
  const windowWidth = energies[Math.min(m - 1, w - 1)] - energies[0];
  for (let a = 0; a < d; a++) {
    const curve = new Float64Array(P);
    let best = 0;
    for (let p = 0; p < P; p++) {
      curve[p] = shift[p * d + a];
      if (curve[p] > curve[best]) best = p;
    }
    peakEnergy[a] = P > 0 ? centers[best] : NaN;
    windows.push(topWindows(centers, curve, windowWidth, 3));
  }
  return {
    positions: P,
    d,
    axisNames: opts.axisNames ?? Array.from({ length: d }, (_, i) => `z${i}`),
    centers,
    startIndex,
    endIndex,
    shift,
    relativeShift,
    peakEnergy,
    topWindows: windows,
    fill,
    windowPoints: w,
    spectraUsed: k,
  };
}
