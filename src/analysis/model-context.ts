import { existsSync } from 'node:fs';
import { readModelDir, type ModelBundle } from '../export/model-dir.js';
import { gridValues } from '../export/metadata.js';
import { prepareForModel, type PrepareOptions } from '../export/embed.js';
import type { SpectralDataset } from '../data/dataset.js';
import { readSpectra, type ReadResult } from '../data/formats/index.js';
import { invertNormalization, isInvertible, type NormalizationParams } from '../data/normalize.js';
import { synthesizeXanes } from '../data/synth.js';
import { UserError } from '../util/errors.js';
import { interpolateLatent, type LatentInterpolation } from './interpolation.js';
import { specForward, type Forward } from './decode.js';

/**
 * A trained model as the analysis commands use it: the networks as forward
 * functions, the energy grid, readable axis names, and the conversions
 * between measured intensities and the network's normalized units.
 */
export interface ModelContext {
  dir: string;
  bundle: ModelBundle;
  /** The model's energy grid (decoder output abscissa). */
  energies: Float64Array;
  /** Latent dimension. */
  d: number;
  /** "z0 (CN)" for axes tied to a descriptor, else "z0". */
  axisNames: string[];
  /** Short names "z0", "z1", ... */
  axisIds: string[];
  encode: Forward;
  decode: Forward;
  normalization: NormalizationParams;
  /** Whether decoded spectra can be mapped back to measured intensity units (none/standardize). */
  invertible: boolean;
  /** Decoded (normalized) spectra to display units: inverted when the normalization allows it, else unchanged. */
  toDisplay(spectra: Float32Array, n: number): Float32Array;
  /** Label for the intensity axis of decoded spectra. */
  intensityLabel: string;
  /** Label for the abscissa ("Energy (eV)", "2θ (deg)", "q (1/nm)"). */
  abscissaLabel: string;
}

/** Reads and verifies a model directory (readModelDir) and wraps it for analysis. */
export async function loadModelContext(dir: string): Promise<ModelContext> {
  const bundle = await readModelDir(dir);
  const md = bundle.metadata;
  const energies = gridValues(md.grid);
  const d = md.nStyle;
  const axisIds = Array.from({ length: d }, (_, i) => `z${i}`);
  const axisNames = axisIds.map((id, i) => {
    const tied = md.descriptors.filter((x) => x.axis === i).map((x) => x.name);
    return tied.length ? `${id} (${tied.join(', ')})` : id;
  });
  const normalization = md.normalization as unknown as NormalizationParams;
  const invertible = isInvertible(normalization);
  const m = energies.length;
  return {
    dir,
    bundle,
    energies,
    d,
    axisNames,
    axisIds,
    encode: specForward(bundle.encoder),
    decode: specForward(bundle.decoder),
    normalization,
    invertible,
    toDisplay: (spectra, n) => (invertible ? invertNormalization(normalization, spectra, n, m) : spectra),
    intensityLabel: invertible || normalization.kind === 'none' ? 'intensity (μ(E))' : `intensity (${normalization.kind}-normalized)`,
    abscissaLabel: md.axisKind === 'twotheta' ? '2θ (deg)' : md.axisKind === 'q' ? 'q (1/nm)' : 'Energy (eV)',
  };
}

/** A data file prepared for a model: on the model's grid, raw and normalized. */
export interface ModelData {
  /** The dataset resampled onto the model grid (raw intensities). */
  dataset: SpectralDataset;
  /** n x m spectra in the network's normalized units (encoder input). */
  input: Float32Array;
  /** Notes from resampling (e.g. spectra extended flat). */
  warnings: string[];
}

/**
 * Reads a spectra file (any format `xlatent data` knows) and prepares it for
 * the model by the one path every command shares (prepareForModel): the
 * stored preprocessing pipeline for the spectra's role, the model's grid and
 * its intensity normalization.
 */
export async function loadDataForModel(path: string, ctx: ModelContext, opts: PrepareOptions = {}): Promise<ModelData> {
  return prepareModelData(await readSpectra(path), path, ctx, opts);
}

/** {@link loadDataForModel} for spectra already read (or generated). */
export function prepareModelData(read: ReadResult, source: string, ctx: ModelContext, opts: PrepareOptions = {}): ModelData {
  const r = prepareForModel(ctx.bundle.metadata, read, opts);
  const names = Object.keys(r.prepared.labels);
  const k = names.length;
  const descriptors = new Float64Array(r.n * k);
  names.forEach((name, j) => r.prepared.labels[name].forEach((v, i) => (descriptors[i * k + j] = v)));
  const dataset: SpectralDataset = {
    energies: Float64Array.from(ctx.energies),
    spectra: r.prepared.spectra,
    n: r.n,
    m: r.m,
    ids: r.prepared.ids,
    descriptorNames: names,
    descriptors,
    axis: ctx.bundle.metadata.axisKind,
    source,
  };
  const warnings = [...r.prepared.warnings];
  if (r.shift.eV !== 0) warnings.push(`energies shifted by ${r.shift.eV.toFixed(3)} eV (${r.shift.source})`);
  return { dataset, input: r.x, warnings };
}

/** Encodes all spectra of a prepared file: n x d latents. */
export function encodeAll(ctx: ModelContext, data: ModelData): Float32Array {
  return ctx.encode(data.input, data.dataset.n);
}

/** Latents of a reference dataset, for sweep ranges and scatter plots. */
export interface ReferenceLatents {
  /** n x d latents. */
  latents: Float32Array;
  n: number;
  /** The prepared data they came from. */
  data: ModelData;
  /** Which file, and why it was chosen. */
  source: string;
}

/**
 * Encodes the reference data for a model: the file given (measured spectra
 * unless `opts` says otherwise), else the training data named in the model's
 * stored config (data.file when it still exists at that path, or the
 * generator settings of data.synth; calculated spectra), else null (callers
 * then fall back to the N(0, I) prior the adversarial term matched the
 * latents to, and say so).
 */
export async function referenceLatents(ctx: ModelContext, dataPath?: string, opts: PrepareOptions = {}): Promise<ReferenceLatents | null> {
  let data: ModelData;
  let label: string;
  if (dataPath) {
    data = await loadDataForModel(dataPath, ctx, opts);
    label = `${dataPath} (given with --data)`;
  } else {
    const cfg = ctx.bundle.metadata.training.config as { data?: { file?: unknown; synth?: Parameters<typeof synthesizeXanes>[0] } };
    const f = cfg.data?.file;
    if (typeof f === 'string' && existsSync(f)) {
      data = await loadDataForModel(f, ctx, { role: 'calculated' });
      label = `${f} (the training file named in the model's config (all splits))`;
    } else if (cfg.data?.synth) {
      data = prepareModelData(synthesizeXanes(cfg.data.synth), 'synthetic training data', ctx, { role: 'calculated' });
      label = "the synthetic training data of the model's config (all splits)";
    } else return null;
  }
  const path = data.dataset.source;
  const latents = encodeAll(ctx, data);
  const bad = latents.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UserError(`encoder produced a non-finite latent for spectrum "${data.dataset.ids[Math.floor(bad / ctx.d)]}"`, path);
  return { latents, n: data.dataset.n, data, source: label };
}

/**
 * The latent path between spectra ia and ib of `data` (interpolateLatent),
 * with the decoded spectra and the two measured end spectra in display
 * units: measured intensities when the normalization can be undone, else the
 * normalized encoder inputs.
 */
export function interpolateRows(
  ctx: ModelContext,
  data: ModelData,
  ia: number,
  ib: number,
  steps: number,
): { path: LatentInterpolation; shown: Float32Array; ends: [Float32Array, Float32Array] } {
  const m = data.dataset.m;
  const row = (a: Float32Array, i: number) => a.subarray(i * m, (i + 1) * m);
  const path = interpolateLatent(ctx.encode, ctx.decode, row(data.input, ia).slice(), row(data.input, ib).slice(), steps);
  const source = ctx.invertible ? data.dataset.spectra : data.input;
  return { path, shown: ctx.toDisplay(path.spectra, path.t.length), ends: [row(source, ia), row(source, ib)] };
}
