import type { RawSpectrum, SpectralDataset } from '../data/dataset.js';
import { checkStrictlyIncreasing, interpolateInto } from '../data/grid.js';
import { applyNormalization, type NormalizationParams } from '../data/normalize.js';
import { runNetwork } from '../model/infer.js';
import { UserError } from '../util/errors.js';
import { predictCalibration } from './calibration.js';
import { gridValues } from './metadata.js';
import type { ModelBundle } from './model-dir.js';
import { isOutOfDistribution, oodPercentile, reconstructionMse } from './ood.js';

/**
 * Projection of new spectra (e.g. experimental ones) into the latent space
 * of a trained model: resample onto the model's grid (flat extension where a
 * spectrum stops short, with a warning), normalize with the stored
 * parameters, encode, decode again for the reconstruction error, and turn
 * latent coordinates into descriptor estimates with the stored calibration.
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
  /** n x nStyle row-major latent coordinates. */
  latent: Float32Array;
  /** Descriptor estimates from the axis calibration, by descriptor name. */
  predicted: Record<string, Float64Array>;
  /** Known labels in the input (NaN where missing), by descriptor name, for comparison. */
  labels: Record<string, Float64Array>;
  /** Per-spectrum reconstruction MSE in normalized units. */
  reconstructionMse: Float64Array;
  /** Percentile of the reconstruction MSE among the training spectra (NaN without an OOD reference). */
  oodPercentile: Float64Array;
  /** 1 when the MSE exceeds the training 99th percentile, 0 otherwise (NaN without a reference). */
  oodFlag: Float64Array;
  /** 1 when the spectrum did not cover the model's grid and was extended flat. */
  extrapolated: Uint8Array;
  /** Human-readable notes (grid coverage, missing OOD reference ...). */
  warnings: string[];
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

/**
 * Spectra as a model's encoder takes them: resampled onto its grid and
 * normalized as in training; a non-finite value is an error naming the
 * spectrum and grid point.
 */
export function prepareForModel(metadata: ModelBundle['metadata'], input: SpectraInput): { prepared: ResampledSpectra; x: Float32Array; n: number; m: number } {
  const grid = gridValues(metadata.grid);
  const m = grid.length;
  const prepared = resampleForModel(input, grid);
  const n = prepared.ids.length;
  const x = applyNormalization(metadata.normalization as NormalizationParams, prepared.spectra, n, m);
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new UserError(`spectrum "${prepared.ids[Math.floor(bad / m)]}": normalization produced a non-finite value at grid point ${grid[bad % m]}`);
  }
  return { prepared, x, n, m };
}

/** Notes every embedding with this model carries: spectra flagged out of distribution, a missing OOD reference or calibration. */
function modelWarnings(metadata: ModelBundle['metadata'], n: number, flag: Float64Array): string[] {
  const warnings: string[] = [];
  if (metadata.ood) {
    const flagged = flag.reduce((s, v) => s + v, 0);
    if (flagged > 0) {
      warnings.push(`${flagged} of ${n} spectra reconstruct worse than 99% of the training spectra (ood_flag = 1); treat their latent coordinates with care`);
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
): Promise<EmbedTotals> {
  const { metadata } = model;
  let n = 0;
  const flags = new Float64Array(1);
  let flagged = 0;
  const extended: string[] = [];
  let extrapolated = 0;
  for await (const chunk of chunks) {
    const r = embedChunk(model, chunk, batchSize);
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
  return { n, nStyle: metadata.nStyle, flagged, warnings };
}

/**
 * Embeds spectra with a model read by readModelDir.
 *
 * @param model the encoder, decoder and metadata
 * @param input spectra on any grid (resampled onto the model's)
 * @param batchSize rows per inference batch
 */
export function embedSpectra(model: ModelBundle, input: SpectraInput, batchSize = 4096): EmbedResult {
  const r = embedChunk(model, input, batchSize);
  return { ...r, warnings: [...r.warnings, ...modelWarnings(model.metadata, r.n, r.oodFlag)] };
}

/** {@link embedSpectra} without the model-wide notes (OOD count, missing reference or calibration). */
function embedChunk(model: ModelBundle, input: SpectraInput, batchSize: number): EmbedResult {
  const { metadata } = model;
  const { prepared, x, n, m } = prepareForModel(metadata, input);
  const latent = runNetwork(model.encoder, x, n, batchSize);
  const recon = runNetwork(model.decoder, latent, n, batchSize);
  const mse = reconstructionMse(x, recon, n, m);
  const nStyle = metadata.nStyle;
  const predicted: Record<string, Float64Array> = {};
  for (const cal of metadata.calibration) {
    const axis = Float64Array.from({ length: n }, (_, i) => latent[i * nStyle + cal.axis]);
    predicted[cal.descriptor] = predictCalibration(cal, axis);
  }
  const pct = new Float64Array(n).fill(NaN);
  const flag = new Float64Array(n).fill(NaN);
  if (metadata.ood) {
    for (let i = 0; i < n; i++) {
      pct[i] = oodPercentile(metadata.ood, mse[i]);
      flag[i] = isOutOfDistribution(metadata.ood, mse[i]) ? 1 : 0;
    }
  }
  const warnings = prepared.warnings;
  return {
    ids: prepared.ids,
    n,
    nStyle,
    latent,
    predicted,
    labels: prepared.labels,
    reconstructionMse: mse,
    oodPercentile: pct,
    oodFlag: flag,
    extrapolated: prepared.extrapolated,
    warnings,
  };
}
