import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireDecoder, type LatentModel } from '../export/latent-model.js';
import { loadModel } from '../export/load-model.js';
import { gridValues } from '../export/metadata.js';
import { prepareForModel, type PrepareOptions } from '../export/embed.js';
import type { SpectralDataset } from '../data/dataset.js';
import { readSpectra, type ReadResult } from '../data/formats/index.js';
import { invertNormalization, isInvertible, type NormalizationParams } from '../data/normalize.js';
import { synthesizeXanes } from '../data/synth.js';
import { UserError } from '../util/errors.js';
import { interpolateLatent, type LatentInterpolation } from './interpolation.js';
import type { Forward } from './decode.js';

/**
 * A trained model (RankAAE or baseline) as the analysis commands use it:
 * encoder and decoder as forward functions, the energy grid, readable axis
 * names, and the conversions between measured intensities and the model's
 * normalized units.
 */
export interface ModelContext {
  dir: string;
  model: LatentModel;
  /** The model's energy grid (decoder output abscissa). */
  energies: Float64Array;
  /** Latent dimension. */
  d: number;
  /** "z0 (CN)" for axes tied to a descriptor, else "z0". */
  axisNames: string[];
  /** Short names "z0", "z1", ... */
  axisIds: string[];
  encode: Forward;
  /** The decoder, or null for a model without an inverse map (t-SNE, UMAP, MDS; see model.noDecoder). */
  decode: Forward | null;
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

/** Reads and verifies a model directory of either kind (loadModel) and wraps it for analysis. */
export async function loadModelContext(dir: string): Promise<ModelContext> {
  return modelContext(await loadModel(dir));
}

/** Wraps a loaded model for analysis. */
export function modelContext(model: LatentModel): ModelContext {
  const dir = model.dir;
  const md = model.metadata;
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
    model,
    energies,
    d,
    axisNames,
    axisIds,
    encode: (x, n) => model.encode(x, n),
    decode: model.decode,
    normalization,
    invertible,
    toDisplay: (spectra, n) => (invertible ? invertNormalization(normalization, spectra, n, m) : spectra),
    intensityLabel: invertible || normalization.kind === 'none' ? (md.axisKind === 'energy' ? 'intensity (μ(E))' : 'intensity') : `intensity (${normalization.kind}-normalized)`,
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
  const r = prepareForModel(ctx.model.metadata, read, opts);
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
    axis: ctx.model.metadata.axisKind,
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
 * latents to, and say so). For a baseline model and its own training
 * file, the latents are the fitted layout stored with the model
 * (embedding.csv), not an out-of-sample placement of the same spectra: that
 * is the map the baseline made.
 */
export async function referenceLatents(ctx: ModelContext, dataPath?: string, opts: PrepareOptions = {}): Promise<ReferenceLatents | null> {
  let data: ModelData;
  let label: string;
  if (dataPath) {
    data = await loadDataForModel(dataPath, ctx, opts);
    label = `${dataPath} (given with --data)`;
  } else {
    const cfg = ctx.model.metadata.training.config as { data?: { file?: unknown; synth?: Parameters<typeof synthesizeXanes>[0] } };
    const f = modelTrainingFile(ctx);
    if (f !== undefined && existsSync(f)) {
      data = await loadDataForModel(f, ctx, { role: 'calculated' });
      label = `${f} (the training file named in the model's config (all splits))`;
    } else if (cfg.data?.synth) {
      data = prepareModelData(synthesizeXanes(cfg.data.synth), 'synthetic training data', ctx, { role: 'calculated' });
      label = "the synthetic training data of the model's config (all splits)";
    } else return null;
  }
  const path = data.dataset.source;
  // A baseline's own spectra are shown where its fit put them (embedding.csv), not placed again by transform.
  const trainingFile = modelTrainingFile(ctx);
  const ownData = trainingFile !== undefined && resolve(dataPath ?? trainingFile) === resolve(trainingFile);
  const stored = ownData ? storedEmbedding(ctx, data.dataset.n) : null;
  const latents = stored ?? encodeAll(ctx, data);
  if (stored) label += '; latents: the fitted layout stored with the model';
  const bad = latents.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UserError(`encoder produced a non-finite latent for spectrum "${data.dataset.ids[Math.floor(bad / ctx.d)]}"`, path);
  return { latents, n: data.dataset.n, data, source: label };
}

/** The data file a model was trained or fitted on (its stored config's data.file), if any. */
export function modelTrainingFile(ctx: ModelContext): string | undefined {
  const f = (ctx.model.metadata.training.config as { data?: { file?: unknown } }).data?.file;
  return typeof f === 'string' ? f : undefined;
}

/** A baseline's training embedding (embedding.csv in its directory) when it has n rows of d values; else null. */
function storedEmbedding(ctx: ModelContext, n: number): Float32Array | null {
  if (ctx.model.metadata.kind !== 'reducer' || !ctx.dir) return null;
  const p = join(ctx.dir, 'embedding.csv');
  if (!existsSync(p)) return null;
  const lines = readFileSync(p, 'utf8').trim().split(/\r?\n/).slice(1);
  if (lines.length !== n) return null;
  const d = ctx.d;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const cells = lines[i].split(',');
    if (cells.length !== d) return null;
    for (let a = 0; a < d; a++) out[i * d + a] = Number(cells[a]);
  }
  return out;
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
  const decode = requireDecoder(ctx.model, 'interpolation');
  const path = interpolateLatent(ctx.encode, decode, row(data.input, ia).slice(), row(data.input, ib).slice(), steps);
  const source = ctx.invertible ? data.dataset.spectra : data.input;
  return { path, shown: ctx.toDisplay(path.spectra, path.t.length), ends: [row(source, ia), row(source, ib)] };
}
