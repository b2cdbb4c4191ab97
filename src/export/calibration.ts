import { spearman } from '../metrics/correlation.js';
import { check } from '../util/errors.js';

/**
 * Axis-to-descriptor calibration: a continuous monotone map from the value
 * of one latent axis to the descriptor constrained on it, fitted on the
 * training latents. Continuous descriptors get isotonic regression (pool
 * adjacent violators) with knots at the block centres. Discrete ones (a few
 * levels, e.g. CN or a formal oxidation state) get one knot per level, at the
 * median axis value of that level's training spectra, so that a spectrum
 * halfway between the level-2 and level-3 clusters (a mixed-valence sample)
 * is estimated at 2.5, not snapped to a level; `xlatent evaluate` keeps its
 * threshold classifier for class decisions. Predictions interpolate linearly
 * between knots and stay flat outside them, so a spectrum projected beyond
 * the training cloud is mapped to the nearest descriptor value seen, not
 * extrapolated.
 */
export interface AxisCalibration {
  /** Descriptor name, e.g. "CN". */
  descriptor: string;
  /** Latent axis index the descriptor is tied to. */
  axis: number;
  /** +1 when the descriptor grows with the axis value, -1 when it falls (sign of Spearman's rho). */
  direction: 1 | -1;
  /** Spearman's rho between axis value and descriptor on the fitting rows. */
  spearman: number;
  /** Number of labelled rows the map was fitted on. */
  n: number;
  /** Block centres: increasing axis values... */
  x: number[];
  /** ...and the descriptor value of each block (monotone in `direction`). */
  y: number[];
  /**
   * For discrete descriptors (e.g. CN): the levels seen in training. Informative only: estimates
   * interpolate between levels (models written before this release stored dense isotonic knots
   * here too, and their estimates are now continuous as well).
   */
  levels?: number[];
}

/**
 * Isotonic (non-decreasing) least-squares fit of y on x by pool adjacent
 * violators. Equal x values are pooled first, so the fit is a function of x.
 * Returns the block centres (weighted mean x of each block) and block values.
 *
 * @param x abscissa, any order
 * @param y ordinate, same length; rows where either is NaN are skipped
 */
export function isotonicBlocks(x: ArrayLike<number>, y: ArrayLike<number>): { x: Float64Array; y: Float64Array } {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) idx.push(i);
  idx.sort((a, b) => x[a] - x[b]);
  // Blocks as parallel stacks: sum of weights, weighted sums of x and y.
  const w: number[] = [];
  const sx: number[] = [];
  const sy: number[] = [];
  for (let t = 0; t < idx.length; t++) {
    const i = idx[t];
    let cw = 1;
    let cx = x[i];
    let cy = y[i];
    // Ties in x become one observation.
    while (t + 1 < idx.length && x[idx[t + 1]] === x[i]) {
      t++;
      cw++;
      cx += x[idx[t]];
      cy += y[idx[t]];
    }
    w.push(cw);
    sx.push(cx);
    sy.push(cy);
    // Merge while the previous block's mean exceeds the new one's.
    while (w.length > 1) {
      const k = w.length - 1;
      if (sy[k - 1] / w[k - 1] <= sy[k] / w[k]) break;
      w[k - 1] += w[k];
      sx[k - 1] += sx[k];
      sy[k - 1] += sy[k];
      w.pop();
      sx.pop();
      sy.pop();
    }
  }
  const bx = new Float64Array(w.length);
  const by = new Float64Array(w.length);
  for (let k = 0; k < w.length; k++) {
    bx[k] = sx[k] / w[k];
    by[k] = sy[k] / w[k];
  }
  return { x: bx, y: by };
}

/** Options of {@link fitAxisCalibration}. */
export interface CalibrationOptions {
  /** Descriptor name stored with the map. */
  descriptor: string;
  /** Latent axis index stored with the map. */
  axis: number;
  /** A descriptor with a few levels: one knot per level at its median axis value (see the module comment). */
  discrete?: boolean;
  /** Upper bound on stored knots; more blocks are thinned evenly (the map stays monotone). */
  maxKnots?: number;
}

/**
 * Fits the monotone map descriptor = f(axis value).
 *
 * @param axisValues latent coordinate of each training row on `opts.axis`
 * @param descriptor descriptor value of each row (NaN = unlabelled, skipped)
 */
export function fitAxisCalibration(
  axisValues: ArrayLike<number>,
  descriptor: ArrayLike<number>,
  opts: CalibrationOptions,
): AxisCalibration {
  check(axisValues.length === descriptor.length, `calibration of ${opts.descriptor}: ${axisValues.length} axis values vs ${descriptor.length} labels`);
  const ax: number[] = [];
  const de: number[] = [];
  for (let i = 0; i < axisValues.length; i++) {
    if (Number.isFinite(axisValues[i]) && Number.isFinite(descriptor[i])) {
      ax.push(axisValues[i]);
      de.push(descriptor[i]);
    }
  }
  check(ax.length >= 2, `calibration of ${opts.descriptor}: needs at least 2 labelled rows, found ${ax.length}`);
  const rho = spearman(ax, de);
  const direction: 1 | -1 = Number.isFinite(rho) && rho < 0 ? -1 : 1;
  // A decreasing fit is an increasing fit of -y.
  const signed = direction === 1 ? de : de.map((v) => -v);
  const blocks = opts.discrete ? levelKnots(ax, signed) : isotonicBlocks(ax, signed);
  let kx = Array.from(blocks.x);
  let ky = Array.from(blocks.y, (v) => direction * v);
  const maxKnots = opts.maxKnots ?? 512;
  if (kx.length > maxKnots) {
    const keep = Array.from({ length: maxKnots }, (_, j) => Math.round((j * (kx.length - 1)) / (maxKnots - 1)));
    kx = keep.map((j) => kx[j]);
    ky = keep.map((j) => ky[j]);
  }
  const cal: AxisCalibration = {
    descriptor: opts.descriptor,
    axis: opts.axis,
    direction,
    spearman: Number.isFinite(rho) ? rho : 0,
    n: ax.length,
    x: kx,
    y: ky,
  };
  if (opts.discrete) cal.levels = [...new Set(de)].sort((a, b) => a - b);
  return cal;
}

/** Descriptor estimate for each axis value (NaN in, NaN out). */
export function predictCalibration(cal: AxisCalibration, axisValues: ArrayLike<number>): Float64Array {
  const out = new Float64Array(axisValues.length);
  const { x, y } = cal;
  const k = x.length;
  for (let i = 0; i < axisValues.length; i++) {
    const v = axisValues[i];
    let p: number;
    if (!Number.isFinite(v)) p = NaN;
    else if (v <= x[0]) p = y[0];
    else if (v >= x[k - 1]) p = y[k - 1];
    else {
      // Binary search for the interval x[lo] <= v < x[lo + 1].
      let lo = 0;
      let hi = k - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (x[mid] <= v) lo = mid;
        else hi = mid;
      }
      const t = (v - x[lo]) / (x[hi] - x[lo]);
      p = y[lo] + t * (y[hi] - y[lo]);
    }
    out[i] = p;
  }
  return out;
}

/**
 * Knots of a discrete descriptor: per level, the median axis value of its
 * rows; levels whose medians are out of order are pooled (weighted by their
 * row counts) until the knots increase in both coordinates.
 */
function levelKnots(ax: number[], level: number[]): { x: Float64Array; y: Float64Array } {
  const byLevel = new Map<number, number[]>();
  ax.forEach((v, i) => {
    const list = byLevel.get(level[i]);
    if (list) list.push(v);
    else byLevel.set(level[i], [v]);
  });
  const rows = [...byLevel.entries()]
    .map(([l, v]) => ({ x: median(v), y: l, w: v.length }))
    .sort((a, b) => a.x - b.x || a.y - b.y);
  // Weighted pool adjacent violators on the level values in median order.
  const blocks: { x: number; y: number; w: number }[] = [];
  for (const r of rows) {
    blocks.push({ ...r });
    while (blocks.length > 1 && blocks[blocks.length - 2].y >= blocks[blocks.length - 1].y) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1];
      const w = a.w + b.w;
      a.x = (a.x * a.w + b.x * b.w) / w;
      a.y = (a.y * a.w + b.y * b.w) / w;
      a.w = w;
    }
  }
  return { x: Float64Array.from(blocks, (b) => b.x), y: Float64Array.from(blocks, (b) => b.y) };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
