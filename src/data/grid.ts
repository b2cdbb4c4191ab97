import { UserError, quote } from '../util/errors.js';
import type { RawSpectrum, SpectralDataset } from './dataset.js';

/**
 * Energy grids and linear-interpolation resampling onto them.
 *
 * A grid request is `{start, stop, step}` (explicit), `{points}` (evenly
 * spaced over the range every spectrum covers) or absent (keep the file's
 * grid). Requests reaching beyond a spectrum's measured range are an error
 * by default; with `outside: 'clamp'` the spectrum is extended flat with its
 * end values and a warning names it (a flat pre-edge/post-edge extension is
 * the least surprising guess for XANES, but it is still a guess).
 */
export type GridSpec =
  | {
      /** First grid energy (same unit as the file, eV for XAS). */
      start: number;
      /** Last grid energy (inclusive when it falls on a step). */
      stop: number;
      /** Spacing between grid points. */
      step: number;
    }
  | {
      /** Number of evenly spaced points over the range every spectrum covers. */
      points: number;
    };

/** What to do where the grid reaches beyond a spectrum's range. */
export type OutsidePolicy = 'error' | 'clamp';

/** Options of the resampling functions. */
export interface ResampleOptions {
  /** 'error' (default) rejects grids beyond a spectrum's range; 'clamp' extends flat and warns. */
  outside?: OutsidePolicy;
}

/** A dataset on its final grid plus the warnings resampling produced. */
export interface ResampleResult {
  dataset: SpectralDataset;
  /** Human-readable notes, e.g. which spectra were extended flat. Empty when nothing was guessed. */
  warnings: string[];
}

/** Largest grid we build, to catch a step typed in the wrong unit before it eats the memory. */
const MAX_POINTS = 1_000_000;

/** Throws a UserError naming the first index where `x` fails to increase strictly (or is not finite). */
export function checkStrictlyIncreasing(x: ArrayLike<number>, where: string, what = 'energies'): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new UserError(`${what}[${i}] is ${x[i]} (expected a finite number)`, where);
    if (i > 0 && !(x[i] > x[i - 1])) {
      throw new UserError(`${what} must increase strictly: ${what}[${i}] = ${x[i]} follows ${what}[${i - 1}] = ${x[i - 1]}`, where);
    }
  }
}

/** `points` evenly spaced values from lo to hi inclusive (the ends exact). */
export function linspace(lo: number, hi: number, points: number): Float64Array {
  const out = new Float64Array(points);
  const step = (hi - lo) / (points - 1);
  for (let i = 0; i < points; i++) out[i] = lo + i * step;
  out[points - 1] = hi;
  return out;
}

/**
 * The grid a request describes. `coverage` is the range every spectrum
 * covers, needed for `{points}`.
 */
export function gridFromSpec(spec: GridSpec, coverage?: { lo: number; hi: number }, where = 'grid'): Float64Array {
  if ('points' in spec) {
    if (!Number.isInteger(spec.points) || spec.points < 2) throw new UserError(`points must be an integer >= 2, found ${spec.points}`, where);
    if (!coverage) throw new UserError('a {points} grid needs the spectra it spans', where);
    if (!(coverage.hi > coverage.lo)) {
      throw new UserError(`the spectra share no common energy range (their ranges overlap in [${coverage.lo}, ${coverage.hi}])`, where);
    }
    return linspace(coverage.lo, coverage.hi, spec.points);
  }
  const { start, stop, step } = spec;
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !(stop > start)) {
    throw new UserError(`expected start < stop, found start ${start}, stop ${stop}`, where);
  }
  if (!(step > 0)) throw new UserError(`expected a positive step, found ${step}`, where);
  // The relative slack keeps `stop` in the grid when (stop - start) / step is an integer up to rounding.
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  if (count < 2) throw new UserError(`step ${step} is larger than stop - start = ${stop - start}; the grid would have one point`, where);
  if (count > MAX_POINTS) throw new UserError(`the grid would have ${count} points (more than ${MAX_POINTS}); check the step's unit`, where);
  return linearAxis(start, step, count);
}

/** n energies start + i step. */
export function linearAxis(start: number, step: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => start + i * step);
}

/**
 * Linear interpolation of (x, y) at the increasing abscissae `xq`, written to
 * out[offset...]. Points outside [x0, x_last] take the nearest end value;
 * the counts of such points below and above are returned. Exact at the nodes
 * and, up to rounding, for linear y.
 */
export function interpolateInto(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  xq: ArrayLike<number>,
  out: Float32Array | Float64Array,
  offset = 0,
): { below: number; above: number } {
  const n = x.length;
  const last = n - 1;
  let below = 0;
  let above = 0;
  let j = 0;
  for (let q = 0; q < xq.length; q++) {
    const e = xq[q];
    if (e <= x[0]) {
      if (e < x[0]) below++;
      out[offset + q] = y[0];
      continue;
    }
    if (e >= x[last]) {
      if (e > x[last]) above++;
      out[offset + q] = y[last];
      continue;
    }
    while (x[j + 1] < e) j++;
    const x0 = x[j];
    const x1 = x[j + 1];
    const t = (e - x0) / (x1 - x0);
    out[offset + q] = y[j] + (y[j + 1] - y[j]) * t;
  }
  return { below, above };
}

/** Slack for "outside the range": float rounding of grid arithmetic must not count as extrapolation. */
function slack(x: ArrayLike<number>): number {
  return 1e-9 * Math.max(Math.abs(x[0]), Math.abs(x[x.length - 1]), x[x.length - 1] - x[0]);
}

/** Resamples one spectrum onto `xq`; see {@link ResampleOptions} for points beyond its range. */
export function resampleSpectrum(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  xq: ArrayLike<number>,
  options: ResampleOptions & { where?: string } = {},
): Float64Array {
  checkStrictlyIncreasing(x, options.where ?? 'spectrum');
  checkStrictlyIncreasing(xq, 'grid', 'grid');
  const out = new Float64Array(xq.length);
  const eps = slack(x);
  if ((options.outside ?? 'error') === 'error' && (xq[0] < x[0] - eps || xq[xq.length - 1] > x[x.length - 1] + eps)) {
    throw new UserError(outsideMessage(x, xq), options.where);
  }
  interpolateInto(x, y, xq, out);
  return out;
}

function range(x: ArrayLike<number>): string {
  return `${x[0]}..${x[x.length - 1]}`;
}

function outsideMessage(x: ArrayLike<number>, xq: ArrayLike<number>, common?: { lo: number; hi: number }): string {
  return (
    `the spectrum covers ${range(x)} but the grid spans ${range(xq)}` +
    (common ? ` (the range all spectra cover is ${common.lo}..${common.hi})` : '') +
    '; choose a grid inside the measured range, or allow flat extension (outside: clamp / --extrapolate)'
  );
}

/** Collects per-spectrum notes, keeping the list short for large datasets. */
class WarningList {
  readonly items: string[] = [];
  private extra = 0;
  add(s: string): void {
    if (this.items.length < 10) this.items.push(s);
    else this.extra++;
  }
  done(): string[] {
    return this.extra > 0 ? [...this.items, `... and ${this.extra} more spectra extended flat`] : this.items;
  }
}

/** Resamples every row of `ds` onto `grid` (a new dataset; `ds` is untouched). */
export function resampleDataset(ds: SpectralDataset, grid: Float64Array, options: ResampleOptions = {}): ResampleResult {
  const where = ds.source ?? 'dataset';
  checkStrictlyIncreasing(grid, 'grid', 'grid');
  checkStrictlyIncreasing(ds.energies, where);
  const eps = slack(ds.energies);
  const warnings = new WarningList();
  const lo = ds.energies[0];
  const hi = ds.energies[ds.m - 1];
  if (grid[0] < lo - eps || grid[grid.length - 1] > hi + eps) {
    if ((options.outside ?? 'error') === 'error') throw new UserError(outsideMessage(ds.energies, grid), where);
    warnings.add(`all ${ds.n} spectra cover ${range(ds.energies)} only; the grid ${range(grid)} was filled with their end values`);
  }
  const m2 = grid.length;
  const spectra = new Float32Array(ds.n * m2);
  const row = new Float64Array(m2);
  for (let i = 0; i < ds.n; i++) {
    interpolateInto(ds.energies, ds.spectra.subarray(i * ds.m, (i + 1) * ds.m), grid, row);
    spectra.set(row, i * m2);
  }
  return { dataset: { ...ds, energies: Float64Array.from(grid), spectra, m: m2 }, warnings: warnings.done() };
}

/** Applies an optional grid request to a dataset already on a common grid. */
export function applyGrid(ds: SpectralDataset, spec: GridSpec | undefined, options: ResampleOptions = {}): ResampleResult {
  if (!spec) return { dataset: ds, warnings: [] };
  const grid = gridFromSpec(spec, { lo: ds.energies[0], hi: ds.energies[ds.m - 1] });
  return resampleDataset(ds, grid, options);
}

/**
 * Puts spectra measured on their own grids onto one common grid.
 * Without a grid request they must already share one grid exactly.
 * Descriptor names are the union of all labels in first-seen order; a
 * spectrum without a label gets NaN (missing).
 */
export function assembleSpectra(raw: RawSpectrum[], spec: GridSpec | undefined, options: ResampleOptions & { source?: string } = {}): ResampleResult {
  const source = options.source ?? raw[0]?.source ?? 'spectra';
  if (raw.length === 0) throw new UserError('no spectra (empty dataset)', source);
  let lo = -Infinity;
  let hi = Infinity;
  for (const s of raw) {
    if (s.energy.length !== s.mu.length) {
      throw new UserError(`spectrum ${quote(s.id)}: ${s.energy.length} energies but ${s.mu.length} intensities`, s.source);
    }
    if (s.energy.length < 2) throw new UserError(`spectrum ${quote(s.id)}: expected at least 2 points`, s.source);
    checkStrictlyIncreasing(s.energy, s.source);
    for (let i = 0; i < s.mu.length; i++) {
      if (!Number.isFinite(s.mu[i])) throw new UserError(`spectrum ${quote(s.id)}: intensity at ${s.energy[i]} is ${s.mu[i]} (expected a finite number)`, s.source);
    }
    lo = Math.max(lo, s.energy[0]);
    hi = Math.min(hi, s.energy[s.energy.length - 1]);
  }
  let grid: Float64Array;
  if (spec) grid = gridFromSpec(spec, { lo, hi }, 'grid');
  else {
    const first = raw[0].energy;
    const same = raw.every((s) => s.energy.length === first.length && s.energy.every((e, i) => e === first[i]));
    if (!same) {
      const other = raw.find((s) => s.energy.length !== first.length || s.energy.some((e, i) => e !== first[i]))!;
      throw new UserError(
        `spectra are on different grids ("${raw[0].id}": ${first.length} points ${range(first)}; "${other.id}": ${other.energy.length} points ${range(other.energy)}); ` +
          `set a grid, e.g. {points: 256} over the common range ${lo}..${hi}, or {start, stop, step}`,
        source,
      );
    }
    grid = Float64Array.from(first);
  }
  checkStrictlyIncreasing(grid, 'grid', 'grid');
  const policy = options.outside ?? 'error';
  const n = raw.length;
  const m = grid.length;
  const spectra = new Float32Array(n * m);
  const row = new Float64Array(m);
  const warnings = new WarningList();
  const names: string[] = [];
  for (const s of raw) for (const key of Object.keys(s.labels)) if (!names.includes(key)) names.push(key);
  const k = names.length;
  const descriptors = new Float64Array(n * k).fill(NaN);
  raw.forEach((s, i) => {
    const eps = slack(s.energy);
    const outside = grid[0] < s.energy[0] - eps || grid[m - 1] > s.energy[s.energy.length - 1] + eps;
    if (outside) {
      if (policy === 'error') throw new UserError(`spectrum ${quote(s.id)}: ${outsideMessage(s.energy, grid, { lo, hi })}`, s.source);
      warnings.add(`spectrum ${quote(s.id)} covers ${range(s.energy)}; extended flat to the grid ${range(grid)}`);
    }
    interpolateInto(s.energy, s.mu, grid, row);
    spectra.set(row, i * m);
    names.forEach((name, j) => {
      const v = s.labels[name];
      if (v !== undefined) descriptors[i * k + j] = v;
    });
  });
  const dataset: SpectralDataset = {
    energies: grid,
    spectra,
    n,
    m,
    ids: raw.map((s) => s.id),
    descriptorNames: names,
    descriptors,
    axis: 'energy',
    source,
  };
  return { dataset, warnings: warnings.done() };
}
