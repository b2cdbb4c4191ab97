import type { RawSpectrum, SpectralDataset } from '../data/dataset.js';
import { checkStrictlyIncreasing, interpolateInto } from '../data/grid.js';
import { applyNormalization, type NormalizationParams } from '../data/normalize.js';
import { fitMeasuredShift } from '../data/preprocess/measured-shift.js';
import { IDENTITY_PREPROCESS, preprocessInput, type SpectrumRole } from '../data/preprocess/pipeline.js';
import { UserError } from '../util/errors.js';
import { predictCalibration } from './calibration.js';
import { modelMembers, runMembers } from './ensemble.js';
import { knnOodDistances } from './knn-ood.js';
import { networkModel, type LatentModel } from './latent-model.js';
import { gridValues, type ModelMetadata } from './metadata.js';
import type { ModelBundle } from './model-dir.js';
import { isOutOfDistribution, oodPercentile, reconstructionMse } from './ood.js';
import { predictReadout } from './readout.js';

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
  /** Descriptor estimates from the axis calibration (ensembles: the members' mean) and the readouts (member 0's latent), by descriptor name. */
  predicted: Record<string, Float64Array>;
  /** Ensembles: standard deviation of the members' calibrated estimates, by descriptor name. */
  spread?: Record<string, Float64Array>;
  /** Known labels in the input (NaN where missing), by descriptor name, for comparison. */
  labels: Record<string, Float64Array>;
  /** Per-spectrum reconstruction MSE in normalized units (NaN for models without a decoder; ensembles: the members' mean). */
  reconstructionMse: Float64Array;
  /** What the OOD score measures: the model's metadata.ood metric, or null without a reference. */
  oodMetric: 'reconstruction-mse' | 'reconstruction+latent' | 'knn-distance' | null;
  /**
   * Held-out OOD references (metric "reconstruction+latent"): the latent Mahalanobis distance and
   * the percentiles of it and of the MSE among the held-out rows (ensembles: means over the members).
   */
  held?: { latentDistance: Float64Array; reconstructionPercentile: Float64Array; latentPercentile: Float64Array };
  /** For a knn-distance reference: mean distance to the k nearest training spectra (normalized units); else absent. */
  oodDistance?: Float64Array;
  /** OOD percentile (export/ood.ts; for kNN references among the training spectra; NaN without an OOD reference). */
  oodPercentile: Float64Array;
  /** 1 when the OOD percentile exceeds the reference's threshold (99), 0 otherwise (NaN without a reference). */
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
export function prepareForModel(metadata: ModelMetadata, input: SpectraInput, opts: PrepareOptions = {}): PreparedForModel {
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

/** A LatentModel as it is, or a RankAAE bundle (readModelDir) wrapped as one. */
export function asLatentModel(model: ModelBundle | LatentModel): LatentModel {
  return 'encode' in model ? model : networkModel(model.metadata, model.encoder, model.decoder, '', model.ensembleNetworks);
}

/** Notes every embedding with this model carries: spectra flagged out of distribution, a missing OOD reference or calibration. */
function modelWarnings(metadata: ModelMetadata, n: number, flagged: number): string[] {
  const warnings: string[] = [];
  if (metadata.ood) {
    if (flagged > 0) {
      const what =
        metadata.ood.metric === 'knn-distance'
          ? 'lie farther from their nearest training spectra than 99% of the training spectra do'
          : metadata.ood.metric === 'reconstruction-mse'
            ? 'reconstruct worse than 99% of the training spectra'
            : `are less typical than ${metadata.ood.threshold}% of the ${metadata.ood.rows} spectra (by reconstruction error or latent distance${metadata.ensemble ? ', averaged over the ensemble' : ''})`;
      warnings.push(`${flagged} of ${n} spectra ${what} (ood_flag = 1); treat their latent coordinates and estimates with care`);
    }
  } else warnings.push('the model has no OOD reference (metadata.ood); ood_percentile and ood_flag are empty');
  // A baseline map has no descriptor axes by design; an autoencoder without calibration is worth a word.
  if (metadata.kind !== 'reducer' && metadata.calibration.length === 0 && !metadata.readouts?.length) {
    warnings.push('the model has no axis calibration or readout (metadata.calibration, metadata.readouts); no descriptor estimates');
  }
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
 * Every spectrum is embedded on its own, so chunking changes nothing in the results.
 */
export async function embedChunks(
  modelOrBundle: ModelBundle | LatentModel,
  chunks: AsyncIterable<SpectraInput> | Iterable<SpectraInput>,
  write: (r: EmbedResult) => void,
  batchSize = 4096,
  opts: PrepareOptions = {},
): Promise<EmbedTotals> {
  const model = asLatentModel(modelOrBundle);
  let n = 0;
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
  const warnings = [...extended];
  if (extrapolated > extended.length) warnings.push(`... and ${extrapolated - extended.length} more spectra extended flat`);
  warnings.push(...modelWarnings(model.metadata, n, flagged));
  return { n, nStyle: model.d, flagged, warnings, shift: shift! };
}

/**
 * Embeds spectra with any model (load-model.ts's loadModel, or a RankAAE
 * bundle from readModelDir): latent coordinates, descriptor estimates from
 * the stored calibrations and readouts, reconstruction error where the model
 * decodes, and the OOD score of its reference. Every spectrum is scored on
 * its own, so results do not depend on the batch size or on which spectra
 * are embedded together.
 *
 * @param model the model
 * @param input spectra on any grid (resampled onto the model's)
 * @param batchSize rows per inference batch (memory only)
 * @param opts role of the spectra and energy calibration ({@link PrepareOptions})
 */
export function embedSpectra(modelOrBundle: ModelBundle | LatentModel, input: SpectraInput, batchSize = 4096, opts: PrepareOptions = {}): EmbedResult {
  const model = asLatentModel(modelOrBundle);
  const r = embedChunk(model, input, batchSize, opts);
  const flagged = r.oodFlag.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
  return { ...r, warnings: [...r.warnings, ...modelWarnings(model.metadata, r.n, flagged)] };
}

/** {@link embedSpectra} without the model-wide notes (OOD count, missing reference or calibration). */
function embedChunk(model: LatentModel, input: SpectraInput, batchSize: number, opts: PrepareOptions): EmbedResult {
  const { metadata } = model;
  const { prepared, x, n, m, shift } = prepareForModel(metadata, input, opts);
  const common = { ids: prepared.ids, n, labels: prepared.labels, extrapolated: prepared.extrapolated, warnings: prepared.warnings, shift };
  if (metadata.kind !== 'reducer' && model.networks) {
    // An autoencoder (one network pair or an ensemble): its members' estimates and OOD scores, combined.
    const { encoder, decoder } = model.networks;
    const out = runMembers(modelMembers({ metadata, encoder, decoder, ensembleNetworks: model.ensembleNetworks }), x, n, m, batchSize);
    const predicted = { ...out.predicted };
    for (const r of metadata.readouts ?? []) predicted[r.descriptor] = predictReadout(r, out.latent, n);
    const ood = out.ood;
    return {
      ...common,
      nStyle: out.nStyle,
      members: out.members,
      latent: out.latent,
      predicted,
      spread: out.spread,
      reconstructionMse: out.mse,
      oodMetric: ood ? metadata.ood!.metric : null,
      held:
        metadata.ood?.metric === 'reconstruction+latent' && ood
          ? { latentDistance: ood.distance, reconstructionPercentile: ood.reconstructionPercentile, latentPercentile: ood.latentPercentile }
          : undefined,
      oodPercentile: ood ? ood.percentile : new Float64Array(n).fill(NaN),
      oodFlag: ood ? ood.flag : new Float64Array(n).fill(NaN),
    };
  }
  const latent = model.encode(x, n, batchSize);
  const mse = new Float64Array(n).fill(NaN);
  if (model.decode) mse.set(reconstructionMse(x, model.decode(latent, n), n, m));
  const nStyle = model.d;
  const predicted: Record<string, Float64Array> = {};
  for (const cal of metadata.calibration) {
    const axis = Float64Array.from({ length: n }, (_, i) => latent[i * nStyle + cal.axis]);
    predicted[cal.descriptor] = predictCalibration(cal, axis);
  }
  for (const r of metadata.readouts ?? []) predicted[r.descriptor] = predictReadout(r, latent, n);
  const pct = new Float64Array(n).fill(NaN);
  const flag = new Float64Array(n).fill(NaN);
  const ood = metadata.ood;
  let score: Float64Array | undefined;
  let oodDistance: Float64Array | undefined;
  if (ood?.metric === 'reconstruction-mse' && model.decode) score = mse;
  else if (ood?.metric === 'knn-distance' && model.knnOod) score = oodDistance = knnOodDistances(model.knnOod, x, n);
  if (ood && ood.metric !== 'reconstruction+latent' && score) {
    for (let i = 0; i < n; i++) {
      pct[i] = oodPercentile(ood, score[i]);
      flag[i] = isOutOfDistribution(ood, score[i]) ? 1 : 0;
    }
  }
  return {
    ...common,
    nStyle,
    members: 1,
    latent,
    predicted,
    reconstructionMse: mse,
    oodMetric: score ? ood!.metric : null,
    oodDistance,
    oodPercentile: pct,
    oodFlag: flag,
  };
}
