import { UserError, check } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Forward } from './decode.js';
import { column } from '../metrics/axes.js';
import { normalQuantile } from '../metrics/normal-distribution.js';
import { percentiles } from '../util/quantile.js';
import { topWindows, type EnergyWindow } from './windows.js';

/**
 * Decoder sweeps ("latent traversals"): for one latent axis, decode a family
 * of spectra as that coordinate runs across the range the training data
 * occupies, holding the other coordinates fixed. This is how RankAAE papers
 * show what each axis means physically (e.g. the white line growing with
 * coordination number, the edge shifting with oxidation state).
 */

/** How the coordinates other than the swept one are held. */
export type SweepMode = 'zero' | 'prior-mean';

/** Options of {@link decoderSweep}. */
export interface SweepOptions {
  /** Abscissa of the decoded spectra (length = decoder outputs), for the response summary. */
  energies: ArrayLike<number>;
  /** Axes to sweep (0-based); default all. */
  axes?: number[];
  /** Number of points along each axis (default 50, at least 2). */
  steps?: number;
  /**
   * Percentiles [lo, hi] of the training latents on the swept axis bounding
   * the sweep (default [5, 95]); with no latents (n = 0), of the N(0, 1)
   * prior the adversarial term imposes.
   */
  range?: [number, number];
  /**
   * 'zero' (default): other axes at 0, the prior mean; one decode per step.
   * 'prior-mean': other axes drawn from the N(0, I) prior, `priorSamples`
   * draws per step, decoded spectra averaged per step. The same draws are
   * reused at every step (common random numbers), so differences between
   * steps come from the swept axis only and the family stays smooth.
   */
  mode?: SweepMode;
  /** Draws per step for 'prior-mean' (default 64). */
  priorSamples?: number;
  /** Seed of the prior draws (default 0). */
  seed?: number;
  /** Width of the energy windows in the response summary, abscissa units (default 1/20 of the grid span). */
  windowWidth?: number;
  /** Names of the latent axes, for the output (default z0, z1, ...). */
  axisNames?: string[];
  /**
   * Explicit [lo, hi] sweep limits per axis (index = axis), overriding the
   * percentiles of `latents` (or of the prior).
   */
  valueRanges?: ([number, number] | undefined)[];
}

/** One axis' sweep. */
export interface AxisSweep {
  /** 0-based latent axis. */
  axis: number;
  axisName: string;
  /** Value of the swept coordinate at each step, increasing. */
  values: Float64Array;
  /** steps x m decoded spectra, row-major. */
  spectra: Float32Array;
  /** steps x m: spectrum minus the spectrum of the middle step (index floor((steps-1)/2)). */
  residuals: Float32Array;
  /** Index of the reference (middle) step. */
  midStep: number;
  /**
   * m: mean over steps of |d spectrum / d axis value| (finite differences
   * between consecutive steps), i.e. how strongly each energy responds.
   */
  sensitivity: Float64Array;
  /** Energy of the largest sensitivity. */
  peakEnergy: number;
  /** Largest |d spectrum / d axis value| anywhere. */
  peakSensitivity: number;
  /** Best non-overlapping energy windows of the sensitivity, best first. */
  topWindows: EnergyWindow[];
}

/** Everything {@link decoderSweep} computed. */
export interface SweepResult {
  mode: SweepMode;
  steps: number;
  range: [number, number];
  priorSamples: number;
  seed: number;
  energies: Float64Array;
  axes: AxisSweep[];
}

/**
 * Sweeps each requested latent axis of a decoder.
 * @param decode the decoder's forward pass (d latent inputs -> m outputs)
 * @param d latent dimension
 * @param latents n x d training latents, row-major (for the sweep ranges)
 * @param n number of training latents
 * @param opts see {@link SweepOptions}
 */
export function decoderSweep(decode: Forward, d: number, latents: ArrayLike<number>, n: number, opts: SweepOptions): SweepResult {
  const steps = opts.steps ?? 50;
  const range = opts.range ?? [5, 95];
  const mode = opts.mode ?? 'zero';
  const S = mode === 'prior-mean' ? (opts.priorSamples ?? 64) : 1;
  const seed = opts.seed ?? 0;
  const energies = Float64Array.from(opts.energies);
  const m = energies.length;
  check(Number.isInteger(steps) && steps >= 2, `steps must be an integer >= 2, got ${steps}`, '--steps');
  check(
    range.length === 2 && range[0] >= 0 && range[1] <= 100 && range[0] < range[1],
    `range must be two percentiles lo < hi in [0, 100], got ${range.join(':')}`,
    '--range',
  );
  check(Number.isInteger(S) && S >= 1, `priorSamples must be an integer >= 1, got ${S}`, 'priorSamples');
  check(latents.length === n * d, `latents hold ${latents.length} values, expected ${n} x ${d}`);
  check(n >= 0, 'n must be >= 0');
  const axes = opts.axes ?? Array.from({ length: d }, (_, i) => i);
  for (const a of axes) check(Number.isInteger(a) && a >= 0 && a < d, `axis ${a} does not exist (latent dimension ${d})`, '--axis');
  const names = opts.axisNames ?? Array.from({ length: d }, (_, i) => `z${i}`);
  const windowWidth = opts.windowWidth ?? (m > 1 ? (energies[m - 1] - energies[0]) / 20 : 1);

  // prior draws of all coordinates, shared by every step and axis
  const draws = new Float32Array(S * d);
  if (mode === 'prior-mean') new Rng(seed).fillNormal(draws);

  const out: AxisSweep[] = [];
  for (const axis of axes) {
    const given = opts.valueRanges?.[axis];
    let lo: number;
    let hi: number;
    if (given) [lo, hi] = given;
    else if (n === 0) {
      [lo, hi] = [normalQuantile(range[0] / 100), normalQuantile(range[1] / 100)];
      check(Number.isFinite(lo) && Number.isFinite(hi), `without reference latents the range is taken from the N(0,1) prior and must lie strictly inside 0..100, got ${range.join(':')}`, '--range');
    } else [lo, hi] = percentiles(column(latents, n, d, axis), range);
    check(hi > lo, `sweep range of axis ${names[axis]} is empty (${lo} .. ${hi})`);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new UserError(`training latents of axis ${names[axis]} are not finite`);
    const values = new Float64Array(steps);
    for (let s = 0; s < steps; s++) values[s] = lo + ((hi - lo) * s) / (steps - 1);

    const z = new Float32Array(steps * S * d);
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < S; k++) {
        const row = (s * S + k) * d;
        if (mode === 'prior-mean') z.set(draws.subarray(k * d, (k + 1) * d), row);
        z[row + axis] = values[s];
      }
    }
    const decoded = decode(z, steps * S);
    check(decoded.length === steps * S * m, `decoder returned ${decoded.length / (steps * S)} values per point, the energy grid has ${m}`);
    const spectra = new Float32Array(steps * m);
    for (let s = 0; s < steps; s++) {
      for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let k = 0; k < S; k++) acc += decoded[(s * S + k) * m + j];
        spectra[s * m + j] = acc / S;
      }
    }
    for (let i = 0; i < spectra.length; i++) {
      if (!Number.isFinite(spectra[i])) throw new UserError(`decoder produced a non-finite value sweeping axis ${names[axis]} (step ${Math.floor(i / m)})`);
    }
    const midStep = Math.floor((steps - 1) / 2);
    const residuals = new Float32Array(steps * m);
    for (let s = 0; s < steps; s++) for (let j = 0; j < m; j++) residuals[s * m + j] = spectra[s * m + j] - spectra[midStep * m + j];

    const sensitivity = new Float64Array(m);
    let peakSensitivity = 0;
    const dv = values[1] - values[0];
    if (dv > 0) {
      for (let s = 0; s + 1 < steps; s++) {
        for (let j = 0; j < m; j++) {
          const g = Math.abs(spectra[(s + 1) * m + j] - spectra[s * m + j]) / dv;
          sensitivity[j] += g / (steps - 1);
          if (g > peakSensitivity) peakSensitivity = g;
        }
      }
    }
    let pk = 0;
    for (let j = 1; j < m; j++) if (sensitivity[j] > sensitivity[pk]) pk = j;
    out.push({
      axis,
      axisName: names[axis] ?? `z${axis}`,
      values,
      spectra,
      residuals,
      midStep,
      sensitivity,
      peakEnergy: energies[pk],
      peakSensitivity,
      topWindows: topWindows(energies, sensitivity, windowWidth, 3),
    });
  }
  return { mode, steps, range: [range[0], range[1]], priorSamples: S, seed, energies, axes: out };
}

/**
 * Parses a `p5:p95` / `5:95` range argument into percentiles.
 * @param text the command-line value
 */
export function parsePercentileRange(text: string): [number, number] {
  const m = /^\s*p?(\d+(?:\.\d+)?)\s*:\s*p?(\d+(?:\.\d+)?)\s*$/i.exec(text);
  if (!m) throw new UserError(`expected a percentile range like p5:p95, got "${text}"`, '--range');
  const r: [number, number] = [Number(m[1]), Number(m[2])];
  check(r[0] < r[1] && r[1] <= 100, `percentile range must satisfy 0 <= lo < hi <= 100, got ${text}`, '--range');
  return r;
}
