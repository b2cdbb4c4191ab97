import { z } from 'zod';
import { UserError, quote } from '../util/errors.js';
import { isPlainRelativePath } from '../util/relative-path.js';
import { PreprocessParamsSchema } from '../data/preprocess/schema.js';

/**
 * metadata.json of a model directory: everything needed to use the
 * networks on new data (grid, normalization, which axis is which
 * descriptor) and to trust them (training config and its hash, metrics,
 * checksums of every file). No Node module here: the browser entry parses
 * it too (the SHA-256 helpers are in digest.ts).
 */

/** Bumped when the directory layout or a field's meaning changes incompatibly. */
export const MODEL_FORMAT_VERSION = 1;

const finite = z.number().finite();

/** Energy grid: start/stop/step (regular) or the full list of points. */
export const GridMetaSchema = z.union([
  z.strictObject({
    start: finite,
    stop: finite,
    step: finite.positive(),
    /** Number of points (stop is included when it falls on a step). */
    length: z.number().int().min(2),
  }),
  z.strictObject({ values: z.array(finite).min(2) }),
]);
export type GridMeta = z.infer<typeof GridMetaSchema>;

/** Opaque to the exporter; owned by the data layer. Only `kind` is checked. */
export const NormalizationMetaSchema = z.looseObject({
  kind: z.enum(['none', 'minmax', 'area', 'standardize']),
});

export const DescriptorAxisSchema = z.strictObject({
  /** Descriptor name, e.g. "CN". */
  name: z.string().min(1),
  /** Latent axis index the rank constraint ties it to. */
  axis: z.number().int().min(0),
  /** +1 if the descriptor grows along the axis, -1 if it falls. */
  direction: z.union([z.literal(1), z.literal(-1)]),
  /** Whether the descriptor takes a few discrete levels. */
  discrete: z.boolean(),
});

export const CalibrationSchema = z.strictObject({
  descriptor: z.string().min(1),
  axis: z.number().int().min(0),
  direction: z.union([z.literal(1), z.literal(-1)]),
  spearman: z.number(),
  n: z.number().int().min(2),
  x: z.array(finite).min(1),
  y: z.array(finite).min(1),
  levels: z.array(finite).optional(),
});

/** A sorted sample of reference scores and their 99th percentile (export/ood.ts ScoreDistribution). */
const ScoreDistributionSchema = z.strictObject({
  /** Reference spectra summarized. */
  n: z.number().int().min(2),
  /** Sorted scores (all, or evenly spaced quantiles). */
  sample: z.array(finite.min(0)).min(2),
  p99: finite.min(0),
});

/** OOD reference of models written before held-out references: the training rows' reconstruction MSE. */
export const ReconstructionOodSchema = ScoreDistributionSchema.extend({
  metric: z.literal('reconstruction-mse'),
});

/**
 * OOD reference from held-out rows (export/ood.ts): reconstruction MSE and
 * latent Mahalanobis distance, each as a percentile of the held-out rows,
 * combined as the larger of the two.
 */
export const HeldOutOodSchema = z.strictObject({
  metric: z.literal('reconstruction+latent'),
  /** "held-out" (validation and test rows) or "training" (a run that held nothing out). */
  rows: z.enum(['held-out', 'training']),
  /** Whether the reference rows were perturbed with the training augmentation. */
  augmented: z.boolean(),
  latent: z.strictObject({
    /** Mean of the training latents (length nStyle). */
    mean: z.array(finite).min(1),
    /** Inverse Cholesky factor of their covariance, nStyle x nStyle row-major (lower triangular). */
    whiten: z.array(finite).min(1),
  }),
  reconstruction: ScoreDistributionSchema,
  distance: ScoreDistributionSchema,
  /** Combined score max(reconstruction percentile, latent percentile) of the reference rows (values 0..100). */
  combined: ScoreDistributionSchema,
  /** ood_percentile above this is flagged. */
  threshold: finite.gt(0).max(100),
});

/**
 * OOD reference of any model: the mean distance of a spectrum to its k
 * nearest reference spectra (export/knn-ood.ts), against the same distance
 * of each reference spectrum left out of its own neighbours.
 */
export const KnnOodSchema = z.strictObject({
  metric: z.literal('knn-distance'),
  /** Where distances are measured: the model's normalized input spectra. */
  space: z.literal('input'),
  /** Neighbours averaged. */
  k: z.number().int().min(1),
  /** Reference spectra stored (a fixed-seed subsample of the training spectra when there are many). */
  n: z.number().int().min(2),
  /** Training spectra the reference was drawn from. */
  of: z.number().int().min(2),
  /** File in the model directory holding the n x grid-length reference spectra, float32 little-endian, row-major. */
  file: z.string().min(1),
  /** Sorted held-out distances (all, or evenly spaced quantiles). */
  sample: z.array(finite.min(0)).min(2),
  p99: finite.min(0),
});

export const OodSchema = z.union([ReconstructionOodSchema, HeldOutOodSchema, KnnOodSchema]);

/**
 * One network pair of an ensemble model (export/ensemble.ts). Member 0 is the
 * model's own top-level networks, calibration and OOD reference (repeated
 * here so every member reads alike); the others live in their own folders.
 */
export const EnsembleMemberSchema = z.strictObject({
  /** Folder of the member's encoder (a TF.js layers model), relative to the model directory. */
  encoder: z.string().min(1),
  /** Folder of its decoder. */
  decoder: z.string().min(1),
  /** Its latent size (members of a hyperparameter search may differ). */
  nStyle: z.number().int().min(1),
  /** Where it was trained: run directory, trial, seed, and its validation score (what ranked it). */
  source: z.strictObject({
    run: z.string(),
    trial: z.number().int().min(0),
    seed: z.number().int(),
    /** null when no epoch had a defined score. */
    validationScore: finite.nullable(),
    bestEpoch: z.number().int().min(0),
    configSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** SHA-256 of what fixed its split (row count, data.split, seed): equal for members that share a split. */
    splitSha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** Its axis-to-descriptor calibrations (same descriptors and axes as the model's). */
  calibration: z.array(CalibrationSchema),
  /** Its OOD reference. */
  ood: OodSchema.optional(),
});

/**
 * Several trained networks used together: descriptor estimates are the mean
 * of the members' calibrated estimates, with their standard deviation as the
 * spread; the OOD percentile is the members' mean. Latent coordinates are
 * those of member 0 (free axes of different networks are not aligned).
 */
export const EnsembleSchema = z.strictObject({
  combine: z.literal('mean'),
  members: z.array(EnsembleMemberSchema).min(2),
});

/** A descriptor as a linear function of the latent coordinates, fitted on the few labelled spectra (export/readout.ts). */
export const ReadoutSchema = z.strictObject({
  descriptor: z.string().min(1),
  /** intercept + sum_a coef[a] * z_a. */
  intercept: finite,
  coef: z.array(finite).min(1),
  /** Labelled training spectra the map was fitted on. */
  n: z.number().int().min(2),
  /** Ridge penalty used (in units of the latent variance). */
  ridge: finite.min(0),
  /** Root-mean-square leave-one-out error of the fit, in descriptor units (NaN-free; omitted when n is too small). */
  looRmse: finite.min(0).optional(),
  /** Leave-one-out R^2 (1 - LOO MSE / variance of the labels). */
  looR2: finite.optional(),
  /** Range of the labels it was fitted on. */
  range: z.tuple([finite, finite]),
});

export const FileEntrySchema = z.strictObject({
  /** Path relative to the model directory, with forward slashes. */
  path: z.string().min(1),
  /** Hex SHA-256 of the file's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
});

/** Fields the producer (trainer) supplies; the writer adds the rest. */
export const MetadataInputSchema = z.strictObject({
  grid: GridMetaSchema,
  /** What the grid measures. */
  axisKind: z.enum(['energy', 'twotheta', 'q']),
  normalization: NormalizationMetaSchema,
  descriptors: z.array(DescriptorAxisSchema),
  /** Latent size (encoder output width, decoder input width). */
  nStyle: z.number().int().min(1),
  training: z.strictObject({
    /** The resolved TrainConfig (defaults filled in). */
    config: z.record(z.string(), z.unknown()),
  }),
  /** Compute backend the model was trained on (name, version, threads...). */
  backend: z.record(z.string(), z.unknown()),
  /** Free-form evaluation results. */
  metrics: z.record(z.string(), z.unknown()).default({}),
  calibration: z.array(CalibrationSchema).default([]),
  ood: OodSchema.optional(),
  /**
   * What the directory holds: "rankaae" (encoder/ and decoder/ networks; the
   * default when absent) or "reducer" (a fitted baseline in reducer.json).
   */
  kind: z.enum(['rankaae', 'reducer']).optional(),
  /** The reducer's method name ("pca", "mds", "tsne", "umap") for kind "reducer". */
  method: z.string().min(1).optional(),
  /** Descriptors read off the latent position by a linear map fitted on the labelled training spectra (export/readout.ts). */
  readouts: z.array(ReadoutSchema).optional(),
  /**
   * The fitted preprocessing pipeline (broadening, energy calibration, XAS normalization,
   * E0 alignment) applied before the grid and `normalization`; absent in models written
   * before it existed, which then take spectra as they are.
   */
  preprocess: PreprocessParamsSchema.optional(),
  /** Present when the model is an ensemble of several trained networks (absent: one network pair). */
  ensemble: EnsembleSchema.optional(),
});
export type ModelMetadataInput = z.input<typeof MetadataInputSchema>;

export const ModelMetadataSchema = MetadataInputSchema.extend({
  format: z.literal('xlatent-model'),
  formatVersion: z.number().int().min(1),
  /** xlatent version that wrote the directory. */
  xlatentVersion: z.string(),
  /** ISO 8601 time of writing. */
  created: z.string(),
  training: z.strictObject({
    config: z.record(z.string(), z.unknown()),
    /** SHA-256 of the canonical JSON of `config` (keys sorted): identical configs, identical hashes. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  files: z.array(FileEntrySchema),
  /** SHA-256 of the canonical JSON of this object without this field: detects hand edits. */
  metadataSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

/** JSON with object keys sorted recursively, so equal values give equal text (and hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/** The full grid (start + i * step, or the stored values). */
export function gridValues(grid: GridMeta): Float64Array {
  if ('values' in grid) return Float64Array.from(grid.values);
  return Float64Array.from({ length: grid.length }, (_, i) => grid.start + i * grid.step);
}

/**
 * Grid metadata for an array of energies: compact start/stop/step when the
 * points are evenly spaced (each within 1e-6 of the span, at least 1e-6 eV,
 * of start + i step: energies read as float32 still count), else the full list.
 */
export function gridMetaFor(energies: ArrayLike<number>): GridMeta {
  const n = energies.length;
  const step = (energies[n - 1] - energies[0]) / (n - 1);
  let regular = n >= 2 && step > 0;
  for (let i = 1; i < n && regular; i++) regular = Math.abs(energies[i] - energies[0] - i * step) <= 1e-6 * Math.max(1, Math.abs(step) * n);
  if (regular) return { start: energies[0], stop: energies[n - 1], step, length: n };
  return { values: Array.from(energies) };
}

/** Whether `a` increases strictly. */
function strictlyIncreasing(a: ArrayLike<number>): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i] > a[i - 1])) return false;
  return true;
}

type Fail = (field: string, message: string) => never;
type CalibrationInput = z.input<typeof CalibrationSchema>;
type OodInput = z.input<typeof OodSchema>;

/** Calibration tables: axis < nStyle and the axis of their descriptor, knots increasing, y monotone in the direction. */
function checkCalibrations(list: CalibrationInput[], field: string, nStyle: number, names: Map<string, number>, fail: Fail): void {
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (c.axis >= nStyle) fail(`${f}.axis`, `axis ${c.axis} but nStyle is ${nStyle}`);
    const tied = names.get(c.descriptor);
    if (tied !== undefined && tied !== c.axis) fail(`${f}.axis`, `calibrates ${quote(c.descriptor)} on axis ${c.axis}, but the descriptor is tied to axis ${tied}`);
    if (c.x.length !== c.y.length) fail(`${f}.y`, `${c.y.length} values for ${c.x.length} knots in x`);
    if (!strictlyIncreasing(c.x)) fail(`${f}.x`, 'knots must increase strictly');
    for (let j = 1; j < c.y.length; j++) {
      if (c.direction * (c.y[j] - c.y[j - 1]) < 0) fail(`${f}.y`, `values must be monotone in the calibration's direction (${c.direction})`);
    }
    if (c.levels && !strictlyIncreasing(c.levels)) fail(`${f}.levels`, 'levels must increase strictly');
  });
}

/** A percentile table: sorted, at most n values, p99 inside it. */
function checkDistribution(dist: { n: number; sample: number[]; p99: number }, field: string, fail: Fail): void {
  const s = dist.sample;
  for (let j = 1; j < s.length; j++) if (!(s[j] >= s[j - 1])) fail(`${field}.sample`, 'the percentile table must be sorted ascending');
  if (s.length > dist.n) fail(`${field}.sample`, `${s.length} values summarize only n = ${dist.n} spectra`);
  if (!(dist.p99 >= s[0] && dist.p99 <= s[s.length - 1])) fail(`${field}.p99`, `${dist.p99} lies outside the sample's range ${s[0]}..${s[s.length - 1]}`);
}

/** An OOD reference: its tables, and a latent Gaussian as wide as the latent. */
function checkOod(ood: OodInput, field: string, nStyle: number, fail: Fail): void {
  if (ood.metric !== 'reconstruction+latent') {
    checkDistribution(ood, field, fail);
    return;
  }
  for (const part of ['reconstruction', 'distance', 'combined'] as const) checkDistribution(ood[part], `${field}.${part}`, fail);
  if (ood.combined.sample[ood.combined.sample.length - 1] > 100) fail(`${field}.combined.sample`, 'combined scores are percentiles (0..100)');
  if (ood.latent.mean.length !== nStyle) fail(`${field}.latent.mean`, `${ood.latent.mean.length} values for a ${nStyle}-axis latent`);
  if (ood.latent.whiten.length !== nStyle * nStyle) fail(`${field}.latent.whiten`, `${ood.latent.whiten.length} values, expected nStyle x nStyle = ${nStyle * nStyle}`);
}

/**
 * Ensemble members: member 0 is the top-level model (its folders, nStyle,
 * calibration and OOD reference); every member calibrates the same
 * descriptors on the same axes; folders are plain, distinct and listed.
 */
function checkEnsemble(
  meta: ModelMetadataInput & { ensemble: NonNullable<ModelMetadataInput['ensemble']> },
  files: { path: string }[] | undefined,
  fail: Fail,
): void {
  const members = meta.ensemble.members;
  const first = members[0];
  if (first.encoder !== 'encoder' || first.decoder !== 'decoder') fail('ensemble.members[0]', 'member 0 must be the model\'s own networks (encoder, decoder)');
  if (first.nStyle !== meta.nStyle) fail('ensemble.members[0].nStyle', `${first.nStyle} differs from the model's nStyle ${meta.nStyle}`);
  if (canonicalJson(first.calibration) !== canonicalJson(meta.calibration ?? [])) fail('ensemble.members[0].calibration', 'differs from the model\'s calibration');
  if (canonicalJson(first.ood ?? null) !== canonicalJson(meta.ood ?? null)) fail('ensemble.members[0].ood', 'differs from the model\'s OOD reference');
  const calibrated = (meta.calibration ?? []).map((c) => `${c.descriptor}@${c.axis}`).join(',');
  const names = new Map((meta.descriptors ?? []).map((d) => [d.name, d.axis]));
  const listed = files ? new Set(files.map((f) => f.path)) : undefined;
  const folders = new Set<string>();
  members.forEach((mem, i) => {
    const f = `ensemble.members[${i}]`;
    for (const role of ['encoder', 'decoder'] as const) {
      const dir = mem[role];
      if (!isPlainRelativePath(dir)) fail(`${f}.${role}`, `${quote(dir)} is not a plain relative path inside the model directory`);
      if (folders.has(dir)) fail(`${f}.${role}`, `folder ${quote(dir)} is used twice`);
      folders.add(dir);
      for (const file of ['model.json', 'weights.bin']) {
        if (listed && !listed.has(`${dir}/${file}`)) fail(`${f}.${role}`, `the file list lacks ${dir}/${file}`);
      }
    }
    for (const d of meta.descriptors ?? []) {
      if (d.axis >= mem.nStyle) fail(`${f}.nStyle`, `descriptor ${quote(d.name)} is tied to axis ${d.axis} but the member has ${mem.nStyle} axes`);
    }
    if (mem.calibration.map((c) => `${c.descriptor}@${c.axis}`).join(',') !== calibrated) {
      fail(`${f}.calibration`, 'must calibrate the same descriptors on the same axes as the model');
    }
    checkCalibrations(mem.calibration, `${f}.calibration`, mem.nStyle, names, fail);
    if (mem.ood) checkOod(mem.ood, `${f}.ood`, mem.nStyle, fail);
  });
}

/**
 * Every constraint between fields of a model's metadata, checked in one
 * place for every command that loads a model (readModelDir) and before any
 * model is written (writeModelDir). The schema checks each field alone; a
 * hand-edited and re-signed metadata.json can still pair fields that
 * contradict each other, and each such pair is named here:
 * - the grid: `stop` is `start + (length - 1) step`; listed values increase strictly;
 * - descriptor axes: each < nStyle, no axis and no name used twice;
 * - calibration: axis < nStyle and the same axis as its descriptor's, knots
 *   strictly increasing, as many y as x, y monotone in its direction, levels increasing;
 * - OOD reference: each percentile table sorted ascending, at most n values, p99 within it;
 *   a latent reference as wide as the latent;
 * - ensemble: member 0 is the model's own networks, calibration and OOD reference; every
 *   member calibrates the same descriptors on the same axes, within its own nStyle; member
 *   folders are plain relative paths, used once, with their files listed;
 * - normalization: per-channel tables (standardize mean/std, area energies) as long as the grid;
 * - the file list: paths relative, inside the directory, each listed once.
 *
 * @throws UserError naming `where` and the field
 */
export function validateModelMetadata(meta: ModelMetadataInput & { files?: { path: string }[] }, where: string): void {
  const fail = (field: string, message: string): never => {
    throw new UserError(`field "${field}": ${message}`, where);
  };
  const g = meta.grid;
  let gridLength: number;
  if ('values' in g) {
    if (!strictlyIncreasing(g.values)) fail('grid.values', 'energies must increase strictly');
    gridLength = g.values.length;
  } else {
    const expected = g.start + (g.length - 1) * g.step;
    if (!(Math.abs(expected - g.stop) <= 1e-6 * Math.max(1, Math.abs(g.stop - g.start)))) {
      fail('grid.stop', `${g.stop} does not match start + (length - 1) * step = ${expected}`);
    }
    gridLength = g.length;
  }
  const nStyle = meta.nStyle;
  const axes = new Map<number, string>();
  const names = new Map<string, number>();
  (meta.descriptors ?? []).forEach((d, i) => {
    if (d.axis >= nStyle) fail(`descriptors[${i}].axis`, `descriptor ${quote(d.name)} is tied to axis ${d.axis} but nStyle is ${nStyle} (axes 0..${nStyle - 1})`);
    if (axes.has(d.axis)) fail(`descriptors[${i}].axis`, `axis ${d.axis} is tied to both ${quote(axes.get(d.axis)!)} and ${quote(d.name)}`);
    if (names.has(d.name)) fail(`descriptors[${i}].name`, `descriptor ${quote(d.name)} is listed twice`);
    axes.set(d.axis, d.name);
    names.set(d.name, d.axis);
  });
  checkCalibrations(meta.calibration ?? [], 'calibration', nStyle, names, fail);
  if (meta.ood) checkOod(meta.ood, 'ood', nStyle, fail);
  if (meta.ensemble) checkEnsemble(meta as ModelMetadataInput & { ensemble: NonNullable<ModelMetadataInput['ensemble']> }, meta.files, fail);
  (meta.readouts ?? []).forEach((r, i) => {
    if (r.coef.length !== nStyle) fail(`readouts[${i}].coef`, `${r.coef.length} coefficients for ${nStyle} latent axes`);
  });
  const norm = meta.normalization as Record<string, unknown>;
  for (const key of ['mean', 'std', 'energies']) {
    const v = norm[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) fail(`normalization.${key}`, 'expected an array of finite numbers');
    if ((v as number[]).length !== gridLength) fail(`normalization.${key}`, `${(v as number[]).length} values for a ${gridLength}-point grid`);
    if (key === 'std' && (v as number[]).some((x) => !(x > 0))) fail('normalization.std', 'every std must be > 0');
  }
  const seen = new Set<string>();
  (meta.files ?? []).forEach((file, i) => {
    const p = file.path;
    if (!isPlainRelativePath(p)) {
      fail(`files[${i}].path`, `${quote(p)} is not a plain relative path inside the model directory`);
    }
    if (seen.has(p)) fail(`files[${i}].path`, `${quote(p)} is listed twice`);
    seen.add(p);
  });
}
