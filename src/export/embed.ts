import type { RawSpectrum, SpectralDataset } from '../data/dataset.js';
import { checkStrictlyIncreasing, interpolateInto } from '../data/grid.js';
import { applyNormalization, type NormalizationParams } from '../data/normalize.js';
import { fitMeasuredShift } from '../data/preprocess/fit.js';
import { IDENTITY_PREPROCESS, preprocessInput, type SpectrumRole } from '../data/preprocess/pipeline.js';
import { UserError } from '../util/errors.js';
import { runModel } from './ensemble.js';
import { gridValues } from './metadata.js';
import type { ModelBundle } from './model-dir.js';

/**
 * Projection of new spectra (e.g. experimental ones) into the latent space
 * of a trained model: run the model's stored preprocessing pipeline (energy
 * calibration, XAS normalization, ...; src/data/preprocess), resample onto
 * its grid (flat extension where a spectrum stops short, with a warning),
 * normalize with the stored parameters, encode, decode again for the
 * reconstruction error, and turn latent coordinates into descriptor
 * estimates with the stored calibration. Ensembles run every member and
 * combine them (src/export/ensemble.ts).
 */

/** Spectra as readers return them: one dataset on a common grid, or each spectrum on its own grid. */
export type SpectraInput = SpectralDataset | RawSpectrum[];

/** Result of {@link embedSpectra}: n rows, column-wise. */
export interface EmbedResult {
  ids: string[];
  /** Number of spectra. */
  n: number;
  /** Latent size. */
  nStyle: number;
  /** Networks combined: 1, or the ensemble's members. */
  members: number;
  /** n x nStyle row-major latent coordinates (of ensemble member 0). */
  latent: Float32Array;
  /** Descriptor estimates from the axis calibration, by descriptor name (ensembles: the members' mean). */
  predicted: Record<string, Float64Array>;
  /** Ensembles: standard deviation of the members' estimates, by descriptor name. */
  spread?: Record<string, Float64Array>;
  /** Known labels in the input (NaN where missing), by descriptor name, for comparison. */
  labels: Record<string, Float64Array>;
  /** Per-spectrum reconstruction MSE in normalized units (ensembles: the members' mean). */
  reconstructionMse: Float64Array;
  /**
   * Held-out OOD references (metadata.ood.metric "reconstruction+latent"): the latent Mahalanobis
   * distance and the percentiles of it and of the MSE among the held-out rows (ensembles: means).
   */
  held?: { latentDistance: Float64Array; reconstructionPercentile: Float64Array; latentPercentile: Float64Array };
  /** OOD percentile (export/ood.ts; NaN without an OOD reference). */
  oodPercentile: Float64Array;
  /** 1 when the OOD percentile exceeds the reference's threshold, 0 otherwise (NaN without a reference). */
  oodFlag: Float64Array;
  /** 1 when the spectrum did not cover the model's grid and was extended flat. */
  extrapolated: Uint8Array;
  /** Human-readable notes (grid coverage, missing OOD reference ...). */
  warnings: string[];
  /** Energy shift (eV) the spectra got before anything else, and where it came from. */
  shift: { eV: number; source: string };
}

/** Spectra resampled onto a model's grid ({@link resampleForModel}). */
export interface ResampledSpectra {
  spectra: Float32Array;
  ids: string[];
  labels: Record<string, Float64Array>;
  extrapolated: Uint8Array;
  warnings: string[];
}

/** Resamples every spectrum onto `grid`, extending flat where it stops short, and says which were extended. */
export function resampleForModel(input: SpectraInput, grid: Float64Array): ResampledSpectra {
  const m = grid.length;
  const lo = grid[0];
  const hi = grid[m - 1];
  const warnings: string[] = [];
  const short: string[] = [];
  const rows: { id: string; x: ArrayLike<number>; y: ArrayLike<number>; where: string }[] = [];
  let labels: Record<string, Float64Array> = {};
  if (Array.isArray(input)) {
    if (input.length === 0) throw new UserError('no spectra to embed (empty input)');
    const names = [...new Set(input.flatMap((s) => Object.keys(s.labels)))];
    labels = Object.fromEntries(names.map((k) => [k, Float64Array.from(input, (s) => (k in s.labels ? s.labels[k] : NaN))]));
    for (const s of input) {
      if (s.energy.length !== s.mu.length || s.energy.length < 2) {
        throw new UserError(`spectrum "${s.id}": needs at least 2 points and as many intensities as energies`, s.source);
      }
      checkStrictlyIncreasing(s.energy, `${s.source} (spectrum "${s.id}")`);
      rows.push({ id: s.id, x: s.energy, y: s.mu, where: s.source });
    }
  } else {
    if (input.n === 0) throw new UserError('no spectra to embed (empty input)', input.source);
    checkStrictlyIncreasing(input.energies, input.source ?? 'input');
    const k = input.descriptorNames.length;
    labels = Object.fromEntries(input.descriptorNames.map((name, j) => [name, Float64Array.from({ length: input.n }, (_, i) => input.descriptors[i * k + j])]));
    for (let i = 0; i < input.n; i++) {
      rows.push({ id: input.ids[i], x: input.energies, y: input.spectra.subarray(i * input.m, (i + 1) * input.m), where: input.source ?? 'input' });
    }
  }
  const spectra = new Float32Array(rows.length * m);
  const extrapolated = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    for (let j = 0; j < r.y.length; j++) {
      if (!Number.isFinite(r.y[j])) throw new UserError(`spectrum "${r.id}": intensity ${j} is ${r.y[j]} (expected a finite number)`, r.where);
    }
    const { below, above } = interpolateInto(r.x, r.y, grid, spectra, i * m);
    if (below + above > 0) {
      extrapolated[i] = 1;
      const x = r.x;
      short.push(
        `spectrum "${r.id}" covers ${x[0]}..${x[x.length - 1]} but the model's grid spans ${lo}..${hi}: ` +
          `${below} point(s) below and ${above} above were filled flat with its end values`,
      );
    }
  });
  if (short.length > 0) {
    warnings.push(...short.slice(0, 10));
    if (short.length > 10) warnings.push(`... and ${short.length - 10} more spectra extended flat`);
  }
  return { spectra, ids: rows.map((r) => r.id), labels, extrapolated, warnings };
}

/** How new spectra enter a model's pipeline ({@link prepareForModel}). */
export interface PrepareOptions {
  /** `measured` (default): the measured shift applies, no broadening; `calculated`: treated like the training data. */
  role?: SpectrumRole;
  /** Energy shift (eV) to use instead of the stored one of the role. */
  shift?: number;
  /** A measured spectrum of the model's reference compound: the shift is fitted against the stored calculated one. */
  reference?: { energy: ArrayLike<number>; mu: ArrayLike<number>; where: string };
  /** Also compute each spectrum's edge position (E at half edge step) on the calibrated scale. */
  edgePositions?: boolean;
}

/** Spectra ready for a model's encoder ({@link prepareForModel}). */
export interface PreparedForModel {
  /** On the model's grid, after preprocessing, before the intensity normalization. */
  prepared: ResampledSpectra;
  /** n x m encoder input (intensity-normalized). */
  x: Float32Array;
  n: number;
  m: number;
  /** Energy shift (eV) applied and where it came from. */
  shift: { eV: number; source: string };
  /** Edge positions (eV) in input order, with `edgePositions`. */
  edges?: Float64Array;
}

/**
 * Spectra as a model's encoder takes them: through the stored preprocessing
 * pipeline, resampled onto its grid and normalized as in training; a
 * non-finite value is an error naming the spectrum and grid point. The one
 * path new spectra take into a model (embed, evaluate --data, sweep,
 * relevance, interpolate, report).
 */
export function prepareForModel(metadata: ModelBundle['metadata'], input: SpectraInput, opts: PrepareOptions = {}): PreparedForModel {
  const grid = gridValues(metadata.grid);
  const m = grid.length;
  const params = metadata.preprocess ?? IDENTITY_PREPROCESS;
  const role = opts.role ?? 'measured';
  let shift = opts.shift;
  let source = shift !== undefined ? 'given' : role === 'calculated' ? 'calculated-role shift of the model' : `model (${params.measuredShiftSource})`;
  if (opts.reference) {
    if (role === 'calculated') throw new UserError('a measured reference calibrates measured spectra; leave it out for calculated ones');
    if (shift !== undefined) throw new UserError('give either an energy shift or a measured reference spectrum, not both');
    const fit = fitMeasuredShift(params, opts.reference, opts.reference.where);
    shift = fit.shift;
    source = `fitted from ${opts.reference.where} (${fit.method}, score ${fit.score.toFixed(3)})`;
  }
  const pre = preprocessInput(input, params, { role, shift, edgePositions: opts.edgePositions });
  const prepared = resampleForModel(pre.spectra, grid);
  const n = prepared.ids.length;
  const x = applyNormalization(metadata.normalization as NormalizationParams, prepared.spectra, n, m);
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new UserError(`spectrum "${prepared.ids[Math.floor(bad / m)]}": normalization produced a non-finite value at grid point ${grid[bad % m]}`);
  }
  return { prepared, x, n, m, shift: { eV: pre.shift, source }, edges: pre.edges };
}

/** Notes every embedding with this model carries: spectra flagged out of distribution, a missing OOD reference or calibration. */
function modelWarnings(metadata: ModelBundle['metadata'], n: number, flag: Float64Array): string[] {
  const warnings: string[] = [];
  if (metadata.ood) {
    const flagged = flag.reduce((s, v) => s + v, 0);
    if (flagged > 0) {
      const what =
        metadata.ood.metric === 'reconstruction-mse'
          ? 'reconstruct worse than 99% of the training spectra'
          : `are less typical than ${metadata.ood.threshold}% of the ${metadata.ood.rows} spectra (by reconstruction error or latent distance${metadata.ensemble ? ', averaged over the ensemble' : ''})`;
      warnings.push(`${flagged} of ${n} spectra ${what} (ood_flag = 1); treat their latent coordinates and estimates with care`);
    }
  } else warnings.push('the model has no OOD reference (metadata.ood); ood_percentile and ood_flag are empty');
  if (metadata.calibration.length === 0) warnings.push('the model has no axis calibration (metadata.calibration); no descriptor estimates');
  return warnings;
}

/** What {@link embedChunks} did in all. */
export interface EmbedTotals {
  n: number;
  nStyle: number;
  /** Spectra with ood_flag = 1. */
  flagged: number;
  /** The notes of every chunk, flat-extension notes capped at 10 plus a count. */
  warnings: string[];
  /** Energy shift (eV) every spectrum got, and where it came from. */
  shift: { eV: number; source: string };
}

/**
 * Embeds spectra that arrive in chunks (a large CSV or Arrow file read a
 * block at a time), handing each chunk's result to `write` before the next
 * is read, so memory stays at about one chunk however many spectra there are.
 */
export async function embedChunks(
  model: ModelBundle,
  chunks: AsyncIterable<SpectraInput> | Iterable<SpectraInput>,
  write: (r: EmbedResult) => void,
  batchSize = 4096,
  opts: PrepareOptions = {},
): Promise<EmbedTotals> {
  const { metadata } = model;
  let n = 0;
  const flags = new Float64Array(1);
  let flagged = 0;
  const extended: string[] = [];
  let extrapolated = 0;
  let shift: EmbedResult['shift'] | undefined;
  let chunkOpts = opts;
  for await (const chunk of chunks) {
    const r = embedChunk(model, chunk, batchSize, chunkOpts);
    // The energy shift (given, stored or fitted to a reference) is one for all spectra: fit it once.
    if (!shift) {
      shift = r.shift;
      chunkOpts = { ...opts, reference: undefined, shift: r.shift.eV };
    }
    // A chunk's own notes are its flat-extension notes (at most 10, then a count).
    for (const w of r.warnings) if (extended.length < 10 && !w.startsWith('... and ')) extended.push(w);
    for (let i = 0; i < r.n; i++) {
      if (r.oodFlag[i] === 1) flagged++;
      extrapolated += r.extrapolated[i];
    }
    n += r.n;
    write(r);
  }
  if (n === 0) throw new UserError('no spectra to embed (empty input)');
  flags[0] = flagged;
  const warnings = [...extended];
  if (extrapolated > extended.length) warnings.push(`... and ${extrapolated - extended.length} more spectra extended flat`);
  warnings.push(...modelWarnings(metadata, n, flags));
  return { n, nStyle: metadata.nStyle, flagged, warnings, shift: shift! };
}

/**
 * Embeds spectra with a model read by readModelDir.
 *
 * @param model the encoder, decoder and metadata
 * @param input spectra on any grid (resampled onto the model's)
 * @param batchSize rows per inference batch
 * @param opts role of the spectra and energy calibration ({@link PrepareOptions})
 */
export function embedSpectra(model: ModelBundle, input: SpectraInput, batchSize = 4096, opts: PrepareOptions = {}): EmbedResult {
  const r = embedChunk(model, input, batchSize, opts);
  return { ...r, warnings: [...r.warnings, ...modelWarnings(model.metadata, r.n, r.oodFlag)] };
}

/** {@link embedSpectra} without the model-wide notes (OOD count, missing reference or calibration). */
function embedChunk(model: ModelBundle, input: SpectraInput, batchSize: number, opts: PrepareOptions): EmbedResult {
  const { metadata } = model;
  const { prepared, x, n, m, shift } = prepareForModel(metadata, input, opts);
  const out = runModel(model, x, n, m, batchSize);
  const ood = out.ood;
  return {
    ids: prepared.ids,
    n,
    nStyle: out.nStyle,
    members: out.members,
    latent: out.latent,
    predicted: out.predicted,
    spread: out.spread,
    labels: prepared.labels,
    reconstructionMse: out.mse,
    held:
      metadata.ood?.metric === 'reconstruction+latent' && ood
        ? { latentDistance: ood.distance, reconstructionPercentile: ood.reconstructionPercentile, latentPercentile: ood.latentPercentile }
        : undefined,
    oodPercentile: ood ? ood.percentile : new Float64Array(n).fill(NaN),
    oodFlag: ood ? ood.flag : new Float64Array(n).fill(NaN),
    extrapolated: prepared.extrapolated,
    warnings: prepared.warnings,
    shift,
  };
}
