import { UserError } from '../../util/errors.js';
import type { RawSpectrum, SpectralDataset } from '../dataset.js';
import { findE0 } from '../xas/e0.js';
import { halfStepEnergy } from '../xas/edge-position.js';
import { normalizeXas, type NormalizationParams } from '../xas/normalize.js';
import { broadenAll } from './broaden.js';
import type { PreprocessParams, XasParams } from './schema.js';

/**
 * The one code path every spectrum takes before it meets a model: training
 * data (role `calculated`) when a run reads its file, and new spectra (role
 * `measured` unless marked calculated) in embed, evaluate --data, sweep,
 * relevance, interpolate and report. Steps, each skipped when not configured:
 * broadening (calculated only) -> energy shift of the role -> XAS
 * normalization -> E0 alignment. Resampling onto the grid and the intensity
 * normalization follow in the callers, as before.
 */

/** Whether spectra are calculated (broadened like the training set) or measured (shifted onto the model's scale). */
export type SpectrumRole = 'calculated' | 'measured';

/** The pipeline of a model without preprocessing (models written before it existed): spectra pass unchanged. */
export const IDENTITY_PREPROCESS: PreprocessParams = Object.freeze({
  version: 1,
  broaden: [],
  shift: { calculated: 0, measured: 0 },
  measuredShiftSource: 'none',
  shiftFit: null,
  xas: null,
  alignE0: null,
  reference: null,
}) as PreprocessParams;

/** Options of {@link preprocessInput}. */
export interface PreprocessOptions {
  role: SpectrumRole;
  /** eV to use instead of the stored shift of the role (e.g. `embed --shift`). */
  shift?: number;
  /** Also return each spectrum's edge position (E at half edge step, before E0 alignment). */
  edgePositions?: boolean;
  /** Leave out spectra a step fails on (reported in `skipped`) instead of stopping with the error. */
  skipFailed?: boolean;
}

/** A spectrum after preprocessing, on its own (possibly shifted) grid. */
export interface ProcessedSpectrum {
  energy: Float64Array;
  mu: Float64Array;
  /** E0 found by the XAS normalization or the alignment (before alignment), else null. */
  e0: number | null;
  /** E at half edge step on the calibrated scale, when asked for (NaN when it cannot be found). */
  edge: number;
}

/** The shift (eV) spectra of `role` get. */
export function roleShift(p: PreprocessParams, role: SpectrumRole, override?: number): number {
  return override ?? (role === 'calculated' ? p.shift.calculated : p.shift.measured);
}

/** Whether spectra of `role` change at all (identity pipelines keep the readers' output untouched). */
export function changesSpectra(p: PreprocessParams, role: SpectrumRole, override?: number): boolean {
  return (role === 'calculated' && p.broaden.length > 0) || roleShift(p, role, override) !== 0 || p.xas !== null || p.alignE0 !== null;
}

/** xraylarch pre_edge parameters for src/data/xas (the stored form without the shift, which calibration owns). */
export function xasNormalization(x: XasParams | null): NormalizationParams {
  if (!x) return {};
  return { ...x, eshift: 0, flatten: x.output === 'flat' };
}

/** Runs the steps for one spectrum (energies strictly increasing). */
export function preprocessSpectrum(
  energyIn: ArrayLike<number>,
  muIn: ArrayLike<number>,
  p: PreprocessParams,
  opts: PreprocessOptions,
  where: string,
): ProcessedSpectrum {
  let mu = opts.role === 'calculated' && p.broaden.length > 0 ? broadenAll(energyIn, muIn, p.broaden, where) : Float64Array.from(muIn);
  const shift = roleShift(p, opts.role, opts.shift);
  const energy = Float64Array.from(energyIn, (e) => e + shift);
  let e0: number | null = null;
  let edge = NaN;
  if (p.xas) {
    const r = normalizeXas(energy, mu, xasNormalization(p.xas), where);
    mu = p.xas.output === 'flat' ? r.flat : r.norm;
    e0 = r.e0;
    if (opts.edgePositions) edge = halfStepEnergy(r.energy, r.norm, r.e0);
  } else if (opts.edgePositions) {
    try {
      const r = normalizeXas(energy, mu, {}, where);
      edge = halfStepEnergy(r.energy, r.norm, r.e0);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
  }
  if (p.alignE0) {
    e0 ??= findE0(energy, mu, {}, where).e0;
    const d = p.alignE0.target - e0;
    for (let i = 0; i < energy.length; i++) energy[i] += d;
  }
  return { energy, mu, e0, edge };
}

/** Result of {@link preprocessInput}. */
export interface PreprocessedInput {
  /** The input itself when nothing changes, else one RawSpectrum per input spectrum (labels kept). */
  spectra: SpectralDataset | RawSpectrum[];
  /** Edge positions in input order (only with `edgePositions`). */
  edges?: Float64Array;
  /** The shift the role got (eV). */
  shift: number;
  /** With `skipFailed`: the spectra left out, each with the reason. */
  skipped: string[];
}

/**
 * Runs the pipeline over what a reader returned. Labels travel with each
 * spectrum (every spectrum carries every label name, NaN where missing, so
 * the descriptor order of the input is kept).
 */
export function preprocessInput(input: SpectralDataset | RawSpectrum[], p: PreprocessParams, opts: PreprocessOptions): PreprocessedInput {
  const shift = roleShift(p, opts.role, opts.shift);
  const skipped: string[] = [];
  if (!changesSpectra(p, opts.role, opts.shift) && !opts.edgePositions) return { spectra: input, shift, skipped };
  const out: RawSpectrum[] = [];
  const edges = new Float64Array(Array.isArray(input) ? input.length : input.n);
  const run = (energy: ArrayLike<number>, mu: ArrayLike<number>, base: RawSpectrum, i: number) => {
    let r: ProcessedSpectrum;
    try {
      r = preprocessSpectrum(energy, mu, p, opts, `${base.source} [${base.id}]`);
    } catch (e) {
      if (!(opts.skipFailed && e instanceof UserError)) throw e;
      skipped.push(e.message);
      return;
    }
    edges[i] = r.edge;
    out.push({ ...base, energy: r.energy, mu: r.mu });
  };
  if (Array.isArray(input)) {
    const names = [...new Set(input.flatMap((s) => Object.keys(s.labels)))];
    input.forEach((s, i) => {
      const labels = Object.fromEntries(names.map((k) => [k, k in s.labels ? s.labels[k] : NaN]));
      run(s.energy, s.mu, { ...s, labels }, i);
    });
  } else {
    const k = input.descriptorNames.length;
    const source = input.source ?? 'input';
    for (let i = 0; i < input.n; i++) {
      const labels = Object.fromEntries(input.descriptorNames.map((name, j) => [name, input.descriptors[i * k + j]]));
      run(input.energies, input.spectra.subarray(i * input.m, (i + 1) * input.m), { id: input.ids[i], energy: input.energies, mu: new Float64Array(0), labels, source }, i);
    }
  }
  if (!changesSpectra(p, opts.role, opts.shift)) return { spectra: input, edges, shift, skipped };
  return { spectra: out, edges: opts.edgePositions ? edges : undefined, shift, skipped };
}
