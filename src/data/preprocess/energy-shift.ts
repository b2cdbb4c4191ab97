import { pearson } from '../../metrics/correlation.js';
import { UserError } from '../../util/errors.js';
import { interpolateInto } from '../grid.js';
import { gaussianSmooth } from '../xas/e0.js';
import { normalizeXas, type NormalizationParams } from '../xas/normalize.js';

/**
 * The global energy shift between two energy scales, fitted from one
 * reference compound measured (or calculated) on both: the shift s such that
 * the measured spectrum moved by s (E + s) best matches the calculated one.
 *
 * Both spectra are first normalized as xraylarch's pre_edge does, so edge
 * step and background do not matter. The search starts from the difference
 * of their E0 and scans +-window eV around it in 0.02 eV steps, refined by a
 * parabola through the best step and its neighbours:
 * - `derivative`: maximum Pearson correlation of the first derivatives (each
 *   smoothed with a 0.5 eV Gaussian), which compares where the spectra rise
 *   and not their heights, so a broader measured line shape still aligns;
 * - `least-squares`: minimum mean squared difference of the normalized spectra.
 * Only the edge region counts: E0 - 20 eV to E0 + 50 eV of the calculated
 * reference, where the two overlap.
 */
export type ShiftMethod = 'derivative' | 'least-squares';

/** A spectrum as two arrays on its own increasing grid. */
export interface EnergySeries {
  energy: ArrayLike<number>;
  mu: ArrayLike<number>;
}

/** Options of {@link fitEnergyShift}. */
export interface ShiftFitOptions {
  method?: ShiftMethod;
  /** Half-width (eV) of the search around the E0 difference. Default 20. */
  window?: number;
  /** xraylarch pre_edge parameters used to normalize both spectra (default: its defaults). */
  xas?: NormalizationParams;
  /** Names for messages. */
  whereCalculated?: string;
  whereMeasured?: string;
}

/** Result of {@link fitEnergyShift}. */
export interface ShiftFit {
  /** eV to add to the measured energies to put them on the calculated scale. */
  shift: number;
  method: ShiftMethod;
  /** Correlation of the derivatives (derivative) or RMS difference (least-squares) at the optimum. */
  score: number;
  /** E0 of each reference (eV, each in its own scale). */
  e0Calculated: number;
  e0Measured: number;
}

const STEP = 0.02;
const SMOOTH = 0.5;

function derivative(energy: Float64Array, y: Float64Array): Float64Array {
  const s = gaussianSmooth(energy, y, SMOOTH);
  const n = energy.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    d[i] = (s[b] - s[a]) / (energy[b] - energy[a]);
  }
  return d;
}

export function fitEnergyShift(calculated: EnergySeries, measured: EnergySeries, opts: ShiftFitOptions = {}): ShiftFit {
  const method = opts.method ?? 'derivative';
  const window = opts.window ?? 20;
  if (!(window > 0)) throw new UserError(`the shift search window must be positive, got ${window}`);
  const xas = { ...(opts.xas ?? {}), eshift: 0 };
  const c = normalizeXas(calculated.energy, calculated.mu, xas, opts.whereCalculated ?? 'calculated reference');
  const m = normalizeXas(measured.energy, measured.mu, xas, opts.whereMeasured ?? 'measured reference');
  const yc = method === 'derivative' ? derivative(c.energy, c.norm) : c.norm;
  const ym = method === 'derivative' ? derivative(m.energy, m.norm) : m.norm;
  // evaluation grid over the calculated reference's edge region
  const lo = Math.max(c.energy[0], c.e0 - 20);
  const hi = Math.min(c.energy[c.energy.length - 1], c.e0 + 50);
  const count = Math.floor((hi - lo) / STEP) + 1;
  if (count < 10) throw new UserError(`the calculated reference covers too little of its edge region (${lo.toFixed(1)}..${hi.toFixed(1)} eV)`, opts.whereCalculated);
  const grid = Float64Array.from({ length: count }, (_, i) => lo + i * STEP);
  const ref = new Float64Array(count);
  interpolateInto(c.energy, yc, grid, ref);
  const center = c.e0 - m.e0;
  const steps = Math.round(window / STEP);
  const mLo = m.energy[0];
  const mHi = m.energy[m.energy.length - 1];
  const scores = new Float64Array(2 * steps + 1).fill(NaN);
  const shifted = new Float64Array(count);
  const at = new Float64Array(count);
  for (let k = -steps; k <= steps; k++) {
    const s = center + k * STEP;
    // points of the grid the measured spectrum covers after shifting
    let a = 0;
    while (a < count && grid[a] - s < mLo) a++;
    let b = count;
    while (b > a && grid[b - 1] - s > mHi) b--;
    if (b - a < count / 2) continue;
    for (let i = a; i < b; i++) at[i - a] = grid[i] - s;
    interpolateInto(m.energy, ym, at.subarray(0, b - a), shifted);
    scores[k + steps] = method === 'derivative' ? pearson(ref.subarray(a, b), shifted.subarray(0, b - a)) : -meanSquare(ref, shifted, a, b);
  }
  let best = -1;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i]) && (best < 0 || scores[i] > scores[best])) best = i;
  if (best < 0) {
    throw new UserError(
      `the measured reference (${mLo}..${mHi} eV) never overlaps half of the calculated reference's edge region within ${window} eV of the E0 difference ${center.toFixed(2)} eV`,
      opts.whereMeasured,
    );
  }
  let offset = 0;
  if (best > 0 && best < scores.length - 1 && Number.isFinite(scores[best - 1]) && Number.isFinite(scores[best + 1])) {
    const denom = scores[best - 1] - 2 * scores[best] + scores[best + 1];
    if (denom < 0) offset = Math.max(-0.5, Math.min(0.5, (0.5 * (scores[best - 1] - scores[best + 1])) / denom));
  }
  const shift = center + (best - steps + offset) * STEP;
  const score = method === 'derivative' ? scores[best] : Math.sqrt(-scores[best]);
  return { shift, method, score, e0Calculated: c.e0, e0Measured: m.e0 };
}

function meanSquare(x: Float64Array, y: Float64Array, a: number, b: number): number {
  let s = 0;
  for (let i = 0; i < b - a; i++) s += (x[a + i] - y[i]) ** 2;
  return s / (b - a);
}
