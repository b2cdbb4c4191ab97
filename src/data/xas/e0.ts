import { UserError } from '../../util/errors.js';

/** Options of {@link findE0}. */
export interface FindE0Options {
  /**
   * Gaussian smoothing width (eV) applied to dmu/dE before taking its
   * maximum. Default: 1.5 x the median energy step, so noise on a single
   * point cannot win over the edge. 0 disables smoothing.
   */
  smoothSigma?: number;
  /** Only look for E0 inside [emin, emax] (eV). Default: the whole scan except two points at each end. */
  emin?: number;
  /** Upper bound of the search window (eV); see `emin`. */
  emax?: number;
}

/** E0 and where it sits on the grid. */
export interface E0Result {
  /** Edge energy (eV), refined between grid points by a parabola through the derivative peak. */
  e0: number;
  /** Grid index nearest to E0. */
  index: number;
  /** Smoothed dmu/dE on the input grid (for plots and diagnostics). */
  derivative: Float64Array;
}

/**
 * E0 as the energy of the maximum of the (smoothed) first derivative of
 * mu(E), the convention of Athena and xraylarch's find_e0. A candidate must
 * have a rising mu and both neighbours above 30% of its own derivative value:
 * an isolated spike (a glitch, a detector reset) is not an edge.
 */
export function findE0(energy: Float64Array, mu: Float64Array, opts: FindE0Options = {}, where = 'find E0'): E0Result {
  const n = energy.length;
  if (n < 5) throw new UserError(`needs at least 5 points to locate E0, found ${n}`, where);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    d[i] = (mu[b] - mu[a]) / (energy[b] - energy[a]);
  }
  const steps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) steps[i - 1] = energy[i] - energy[i - 1];
  const sigma = opts.smoothSigma ?? 1.5 * median(steps);
  const ds = sigma > 0 ? gaussianSmooth(energy, d, sigma) : d;
  const lo = opts.emin ?? -Infinity;
  const hi = opts.emax ?? Infinity;
  let best = -1;
  let fallback = -1;
  for (let i = 2; i < n - 2; i++) {
    if (energy[i] < lo || energy[i] > hi) continue;
    if (fallback < 0 || ds[i] > ds[fallback]) fallback = i;
    const ok = ds[i] > 0 && ds[i - 1] > 0.3 * ds[i] && ds[i + 1] > 0.3 * ds[i];
    if (ok && (best < 0 || ds[i] > ds[best])) best = i;
  }
  if (best < 0) best = fallback;
  if (best < 0) throw new UserError(`no grid point inside the E0 search window [${lo}, ${hi}] eV`, where);
  return { e0: parabolaPeak(energy, ds, best), index: best, derivative: ds };
}

/** Vertex of the parabola through (x, y) at i-1, i, i+1, clamped to that interval. */
function parabolaPeak(x: Float64Array, y: Float64Array, i: number): number {
  const x0 = x[i - 1], x1 = x[i], x2 = x[i + 1];
  const y0 = y[i - 1], y1 = y[i], y2 = y[i + 1];
  const d01 = (y1 - y0) / (x1 - x0);
  const d12 = (y2 - y1) / (x2 - x1);
  const a = (d12 - d01) / (x2 - x0);
  if (!(a < 0)) return x1;
  const b = d01 - a * (x0 + x1);
  const v = -b / (2 * a);
  return Math.min(x2, Math.max(x0, v));
}

/** Gaussian smoothing in energy (not in index), correct on non-uniform grids (coarse pre-edge, fine edge). */
export function gaussianSmooth(x: Float64Array, y: Float64Array, sigma: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const reach = 4 * sigma;
  let start = 0;
  for (let i = 0; i < n; i++) {
    while (x[start] < x[i] - reach) start++;
    let sw = 0;
    let s = 0;
    for (let j = start; j < n && x[j] <= x[i] + reach; j++) {
      const t = (x[j] - x[i]) / sigma;
      const w = Math.exp(-0.5 * t * t);
      sw += w;
      s += w * y[j];
    }
    out[i] = s / sw;
  }
  return out;
}

function median(a: Float64Array): number {
  const s = Float64Array.from(a).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
