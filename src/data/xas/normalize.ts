import { UserError } from '../../util/errors.js';
import type { RawSpectrum } from '../dataset.js';
import { findE0 } from './e0.js';
import { indexAtOrAbove, sanitizeGrid } from './energy-grid.js';
import { evalPreEdge, fitPreEdge } from './pre-edge.js';
import { fitPostEdge } from './post-edge.js';
import { polyval, rawCoefficients } from './polyfit.js';

/**
 * Everything that defines a normalization, as a plain JSON-serialisable
 * object so it can be stored next to a trained model and re-applied to new
 * spectra. Ranges are offsets from E0 in eV, as in Athena and xraylarch's
 * pre_edge (pre1, pre2, norm1, norm2, nnorm, nvict, step mean the same).
 * Omitted fields take the defaults in {@link DEFAULT_NORMALIZATION}.
 */
export interface NormalizationParams {
  /** Edge energy (eV, after `eshift`). null/omitted: maximum of the smoothed first derivative. */
  e0?: number | null;
  /** Energy shift (eV) added to the energy axis before anything else (calibration). Default 0. */
  eshift?: number;
  /** Start of the pre-edge fit range relative to E0 (eV). Default -200; clamped to the first data point. */
  pre1?: number;
  /** End of the pre-edge fit range relative to E0 (eV). Default -30. */
  pre2?: number;
  /** Start of the post-edge fit range relative to E0 (eV). Default 150. */
  norm1?: number;
  /** End of the post-edge fit range relative to E0 (eV). null/omitted: the last data point. */
  norm2?: number | null;
  /**
   * Degree of the post-edge polynomial (0..3). null/omitted: 2 when the
   * post-edge range spans >= 350 eV, 1 when >= 50 eV, else 0 (larch's rule:
   * a quadratic through 40 eV of XANES wiggles extrapolates badly to E0).
   */
  nnorm?: number | null;
  /**
   * Degree of the pre-edge fit: 1 (line) or 0 (constant). null/omitted: 1
   * when the pre-edge range spans >= 50 eV, else 0 (over 15 eV just below
   * the edge the slope is mostly the edge's own tail, not background).
   */
  npre?: number | null;
  /** Victoreen exponent: the pre-edge line is fitted to mu E^nvict. Default 0. */
  nvict?: number;
  /** Edge step to divide by instead of the fitted one. null/omitted: fitted. */
  step?: number | null;
  /** Also produce the flattened spectrum (post-edge curvature removed above E0). Default true. */
  flatten?: boolean;
  /** Which curve a normalized RawSpectrum carries: 'norm' or 'flat'. Default 'norm'. */
  output?: 'norm' | 'flat';
  /** Gaussian smoothing width (eV) of dmu/dE for the E0 search. null/omitted: 1.5 x median step. */
  e0Smoothing?: number | null;
  /** Search E0 only inside [lo, hi] eV (after `eshift`); null/omitted: the whole scan. Keeps a strong post-edge feature from being taken for the edge. */
  e0Window?: [number, number] | null;
}

/** Defaults of every field of {@link NormalizationParams}. */
export const DEFAULT_NORMALIZATION: Readonly<Required<NormalizationParams>> = Object.freeze({
  e0: null,
  eshift: 0,
  pre1: -200,
  pre2: -30,
  norm1: 150,
  norm2: null,
  nnorm: null,
  npre: null,
  nvict: 0,
  step: null,
  flatten: true,
  output: 'norm',
  e0Smoothing: null,
  e0Window: null,
});

/** The ranges actually used after clamping to the data and the short-range fallback. */
export interface ResolvedRanges {
  pre1: number;
  pre2: number;
  norm1: number;
  norm2: number;
  nnorm: number;
  /** Degree of the pre-edge fit used (0 or 1). */
  npre: 0 | 1;
  /** True when the pre-edge range did not fit the data and was chosen automatically. */
  preAuto: boolean;
  /** True when the post-edge range did not fit the data and was chosen automatically. */
  postAuto: boolean;
}

/** Output of {@link normalizeXas}; all arrays are on `energy`. */
export interface NormalizationResult {
  /** Energy axis after `eshift` (eV). */
  energy: Float64Array;
  /** mu as given. */
  mu: Float64Array;
  /** (mu - pre-edge) / edge step. */
  norm: Float64Array;
  /** norm with the post-edge curvature removed above E0; equals norm when flatten is false. */
  flat: Float64Array;
  /** Pre-edge line evaluated everywhere. */
  preEdge: Float64Array;
  /** Pre-edge line + post-edge polynomial, evaluated everywhere (the curve norm = 1 follows). */
  postEdge: Float64Array;
  /** E0 used (eV). */
  e0: number;
  /** Edge step used (units of mu). */
  edgeStep: number;
  /** Fit ranges used. */
  ranges: ResolvedRanges;
  /** Pre-edge line coefficients in raw energy [offset, slope] (of mu E^nvict; one entry when npre = 0). */
  preCoefs: number[];
  /** Post-edge polynomial coefficients in raw energy, lowest order first. */
  normCoefs: number[];
}

/**
 * Checks a parameter object (e.g. parsed from JSON or a config file) and
 * fills in defaults. Throws UserError naming the field.
 */
export function resolveNormalizationParams(p: NormalizationParams = {}, where = 'normalization'): Required<NormalizationParams> {
  const out = { ...DEFAULT_NORMALIZATION, ...stripUndefined(p) } as Required<NormalizationParams>;
  const known = new Set(Object.keys(DEFAULT_NORMALIZATION));
  for (const k of Object.keys(p)) if (!known.has(k)) throw new UserError(`unknown normalization parameter "${k}"; known: ${[...known].join(', ')}`, where);
  const finite = (k: keyof NormalizationParams, nullable: boolean) => {
    const v = out[k];
    if (v === null && nullable) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${k} must be a finite number${nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`, where);
  };
  finite('e0', true); finite('eshift', false); finite('pre1', false); finite('pre2', false);
  finite('norm1', false); finite('norm2', true); finite('nnorm', true); finite('npre', true); finite('nvict', false);
  finite('step', true); finite('e0Smoothing', true);
  if (out.e0Window !== null) {
    const w = out.e0Window;
    if (!Array.isArray(w) || w.length !== 2 || !w.every(Number.isFinite) || !(w[0] < w[1])) throw new UserError(`e0Window must be [lo, hi] with lo < hi, got ${JSON.stringify(w)}`, where);
  }
  if (out.pre1 >= out.pre2) throw new UserError(`pre1 (${out.pre1}) must be below pre2 (${out.pre2})`, where);
  if (out.norm2 !== null && out.norm1 >= out.norm2) throw new UserError(`norm1 (${out.norm1}) must be below norm2 (${out.norm2})`, where);
  if (out.nnorm !== null && !(Number.isInteger(out.nnorm) && out.nnorm >= 0 && out.nnorm <= 3)) throw new UserError(`nnorm must be 0, 1, 2 or 3, got ${out.nnorm}`, where);
  if (out.npre !== null && out.npre !== 0 && out.npre !== 1) throw new UserError(`npre must be 0 or 1, got ${out.npre}`, where);
  if (out.step !== null && !(out.step > 0)) throw new UserError(`step must be positive, got ${out.step}`, where);
  if (typeof out.flatten !== 'boolean') throw new UserError(`flatten must be true or false`, where);
  if (out.output !== 'norm' && out.output !== 'flat') throw new UserError(`output must be "norm" or "flat", got ${JSON.stringify(out.output)}`, where);
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function countIn(energy: Float64Array, lo: number, hi: number): number {
  return Math.max(0, indexAtOrAbove(energy, hi + 1e-9) - indexAtOrAbove(energy, lo));
}

function round5(v: number): number {
  return 5 * Math.round(v / 5);
}

/**
 * Fit ranges for one spectrum. The requested ranges are clamped to the
 * data; when what is left is too short to fit (fewer than 3 pre-edge points,
 * or a post-edge range under 10 eV or with fewer points than coefficients)
 * the range is chosen as larch does for short scans: pre-edge from the second
 * point to a third of the way towards E0, post-edge from min(25, norm2/3) eV
 * to the end. XANES-only data (e.g. simulated spectra spanning E0-15..E0+60
 * eV) therefore normalize without any configuration.
 */
export function resolveRanges(energy: Float64Array, e0: number, p: Required<NormalizationParams>, where: string): ResolvedRanges {
  const n = energy.length;
  const emin = energy[0] - e0;
  const emax = energy[n - 1] - e0;
  if (emin >= 0) throw new UserError(`no data below E0 = ${e0.toFixed(2)} eV: a pre-edge line cannot be fitted`, where);
  if (emax <= 0) throw new UserError(`no data above E0 = ${e0.toFixed(2)} eV: a post-edge cannot be fitted`, where);
  let pre1 = Math.max(p.pre1, emin);
  let pre2 = Math.min(p.pre2, 0);
  let preAuto = false;
  if (pre2 <= pre1 || countIn(energy, e0 + pre1, e0 + pre2) < 3) {
    preAuto = true;
    // skip the first point: scans often start with a settling reading
    pre1 = n > 3 && energy[1] < e0 ? energy[1] - e0 : emin;
    pre2 = Math.min(-1e-9, Math.min(pre1 / 3, round5(pre1 / 3)));
    if (pre2 <= pre1) pre2 = pre1 / 3;
    // widen towards E0 until 3 points are inside (or the edge is reached)
    let j = indexAtOrAbove(energy, e0 + pre2 + 1e-9);
    while (countIn(energy, e0 + pre1, e0 + pre2) < 3 && j < n && energy[j] < e0) pre2 = energy[j++] - e0;
    if (countIn(energy, e0 + pre1, e0 + pre2) < 2) {
      pre1 = emin;
      if (countIn(energy, e0 + pre1, e0 + pre2) < 2) throw new UserError(`only ${countIn(energy, energy[0], e0)} point(s) below E0 = ${e0.toFixed(2)} eV; a pre-edge line needs 2`, where);
    }
  }
  let norm2 = Math.min(p.norm2 ?? emax, emax);
  let norm1 = p.norm1;
  let postAuto = false;
  const need = (p.nnorm ?? 0) + 2;
  if (norm2 - norm1 < 10 || countIn(energy, e0 + norm1, e0 + norm2) < need) {
    postAuto = true;
    norm2 = emax;
    norm1 = Math.min(25, round5(norm2 / 3));
    if (norm1 > norm2 - 10) norm1 = Math.max(0, norm2 - 10);
    if (countIn(energy, e0 + norm1, e0 + norm2) < need) norm1 = 0;
  }
  let nnorm = p.nnorm ?? (norm2 - norm1 >= 350 ? 2 : norm2 - norm1 >= 50 ? 1 : 0);
  const inPost = countIn(energy, e0 + norm1, e0 + norm2);
  if (inPost < 1) throw new UserError(`no data in the post-edge range above E0 = ${e0.toFixed(2)} eV`, where);
  // never fit more coefficients than there are points (keep one spare for a least-squares fit)
  nnorm = Math.max(0, Math.min(nnorm, inPost - 2));
  const npre = (p.npre ?? (pre2 - pre1 >= 50 ? 1 : 0)) as 0 | 1;
  return { pre1, pre2, norm1, norm2, nnorm, npre, preAuto, postAuto };
}

/**
 * Pre-edge subtraction and edge-step normalization of one mu(E) spectrum,
 * following xraylarch's pre_edge: the pre-edge line is fitted over
 * [E0+pre1, E0+pre2] and subtracted, a polynomial of degree nnorm is fitted
 * to the result over [E0+norm1, E0+norm2], its value at E0 is the edge step,
 * norm = (mu - pre-edge)/step, and flat additionally subtracts the
 * post-edge polynomial's deviation from its E0 value above E0.
 */
export function normalizeXas(
  energyIn: ArrayLike<number>,
  muIn: ArrayLike<number>,
  params: NormalizationParams = {},
  where = 'normalization',
): NormalizationResult {
  const p = resolveNormalizationParams(params, where);
  const grid = sanitizeGrid(energyIn, muIn, where);
  const energy = grid.energy;
  const mu = grid.mu;
  if (p.eshift !== 0) for (let i = 0; i < energy.length; i++) energy[i] += p.eshift;
  let e0: number;
  if (p.e0 === null) {
    e0 = findE0(
      energy,
      mu,
      { ...(p.e0Smoothing === null ? {} : { smoothSigma: p.e0Smoothing }), ...(p.e0Window ? { emin: p.e0Window[0], emax: p.e0Window[1] } : {}) },
      where,
    ).e0;
  } else {
    e0 = p.e0;
    if (e0 <= energy[0] || e0 >= energy[energy.length - 1]) {
      throw new UserError(`e0 = ${e0} eV lies outside the data (${energy[0]} .. ${energy[energy.length - 1]} eV)`, where);
    }
  }
  const r = resolveRanges(energy, e0, p, where);
  const pre = fitPreEdge(energy, mu, e0, r.pre1, r.pre2, p.nvict, where, r.npre);
  const preEdge = evalPreEdge(pre, energy);
  const sub = new Float64Array(energy.length);
  for (let i = 0; i < sub.length; i++) sub[i] = mu[i] - preEdge[i];
  const post = fitPostEdge(energy, sub, e0, r.norm1, r.norm2, r.nnorm, where);
  const atE0 = polyval(post, e0);
  const edgeStep = p.step ?? atE0;
  if (!(edgeStep > 0) || !Number.isFinite(edgeStep)) {
    throw new UserError(
      `edge step is ${edgeStep.toPrecision(4)} (post-edge minus pre-edge at E0 = ${e0.toFixed(2)} eV); expected a positive jump. ` +
        'Is mu an absorption (ln(i0/itrans), not ln(itrans/i0)) and does the scan cross the edge?',
      where,
    );
  }
  const norm = new Float64Array(energy.length);
  const flat = new Float64Array(energy.length);
  const postEdge = new Float64Array(energy.length);
  for (let i = 0; i < energy.length; i++) {
    const pe = polyval(post, energy[i]);
    postEdge[i] = preEdge[i] + pe;
    norm[i] = sub[i] / edgeStep;
    flat[i] = p.flatten && energy[i] >= e0 ? norm[i] - (pe - atE0) / edgeStep : norm[i];
  }
  return {
    energy, mu, norm, flat, preEdge, postEdge, e0, edgeStep, ranges: r,
    preCoefs: rawCoefficients(pre.line), normCoefs: rawCoefficients(post),
  };
}

/** A RawSpectrum whose mu is replaced by its normalized (or flattened) form; labels and id kept. */
export function normalizeSpectrum(s: RawSpectrum, params: NormalizationParams = {}): { spectrum: RawSpectrum; result: NormalizationResult } {
  const result = normalizeXas(s.energy, s.mu, params, `${s.source} [${s.id}]`);
  const out = (params.output ?? DEFAULT_NORMALIZATION.output) === 'flat' ? result.flat : result.norm;
  return { spectrum: { ...s, energy: result.energy, mu: Float64Array.from(out) }, result };
}
