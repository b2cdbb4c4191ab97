import { scoreEstimates, type EnsembleEvaluation } from '../metrics/estimates.js';
import { spearman } from '../metrics/correlation.js';
import { runNetwork } from '../model/infer.js';
import type { NetworkSpec } from '../model/spec.js';
import { predictCalibration, type AxisCalibration } from './calibration.js';
import type { ModelMetadata } from './metadata.js';
import { reconstructionMse, scoreOod, type AnyOodReference, type OodScores } from './ood.js';

/**
 * Running a model's networks on prepared spectra: one network pair, or the
 * members of an ensemble (metadata.ensemble) together.
 *
 * What an ensemble combines, and why only that:
 * - descriptor estimates: each member maps its own constrained axis to the
 *   descriptor through its own calibration (so a member whose axis runs the
 *   other way is read the right way round); the estimate is the members' mean
 *   and the spread their standard deviation (n - 1 denominator);
 * - reconstruction error, latent distance and OOD percentiles: each is a
 *   number on one scale for every member (normalized intensities, whitened
 *   latent units, percentiles of held-out rows), so they are averaged; the
 *   flag is set when the mean OOD percentile exceeds the threshold (99);
 * - latent coordinates are member 0's (the best validation score). Free axes
 *   of independently trained networks are arbitrary rotations of each other
 *   and even constrained axes differ in scale, so averaging coordinates would
 *   describe no network.
 */

/** One network pair with what interprets its outputs. */
export interface ModelMember {
  encoder: NetworkSpec;
  decoder: NetworkSpec;
  nStyle: number;
  calibration: AxisCalibration[];
  ood?: AnyOodReference;
}

/** What a model must offer to be run (a ModelBundle of model-dir.ts, or a LatentModel's networks). */
export interface RunnableModel {
  encoder: NetworkSpec;
  decoder: NetworkSpec;
  metadata: ModelMetadata;
  /** Networks of every ensemble member, index-aligned with metadata.ensemble.members (member 0 = encoder/decoder). */
  ensembleNetworks?: { encoder: NetworkSpec; decoder: NetworkSpec }[];
}

/** A stored reference the networks score themselves (a kNN reference needs its spectra: export/knn-ood.ts). */
function networkOod(ood: ModelMetadata['ood']): AnyOodReference | undefined {
  return ood?.metric === 'knn-distance' ? undefined : ood;
}

/** The members of a model: its ensemble members, or the one network pair. */
export function modelMembers(model: RunnableModel): ModelMember[] {
  const { metadata } = model;
  if (metadata.ensemble && model.ensembleNetworks) {
    return metadata.ensemble.members.map((mem, i) => ({
      encoder: model.ensembleNetworks![i].encoder,
      decoder: model.ensembleNetworks![i].decoder,
      nStyle: mem.nStyle,
      calibration: mem.calibration,
      ood: networkOod(mem.ood),
    }));
  }
  return [{ encoder: model.encoder, decoder: model.decoder, nStyle: metadata.nStyle, calibration: metadata.calibration, ood: networkOod(metadata.ood) }];
}

/** Outputs of one member on n spectra. */
export interface MemberOutputs {
  /** n x nStyle latents. */
  latent: Float32Array;
  nStyle: number;
  /** Reconstruction MSE per spectrum. */
  mse: Float64Array;
  /** Calibrated descriptor estimates by name. */
  predicted: Record<string, Float64Array>;
  /** OOD scores (absent without a reference). */
  ood?: OodScores;
}

/**
 * Encodes, decodes and scores n prepared spectra (n x m, normalized as in
 * training) with one member.
 */
export function runMember(member: ModelMember, x: Float32Array, n: number, m: number, batchSize = 4096): MemberOutputs {
  const latent = runNetwork(member.encoder, x, n, batchSize);
  const mse = reconstructionMse(x, runNetwork(member.decoder, latent, n, batchSize), n, m);
  const d = member.nStyle;
  const predicted: Record<string, Float64Array> = {};
  for (const cal of member.calibration) {
    predicted[cal.descriptor] = predictCalibration(cal, Float64Array.from({ length: n }, (_, i) => latent[i * d + cal.axis]));
  }
  return { latent, nStyle: d, mse, predicted, ood: member.ood ? scoreOod(member.ood, mse, latent, n, d) : undefined };
}

/** A model's outputs on n spectra: member 0's latents, the members' combined estimates and OOD scores. */
export interface ModelOutputs {
  /** Members run (1 for a single network pair). */
  members: number;
  /** n x nStyle latents of member 0. */
  latent: Float32Array;
  nStyle: number;
  /** Descriptor estimates (members' mean) by name. */
  predicted: Record<string, Float64Array>;
  /** Standard deviation of the members' estimates by name (ensembles only). */
  spread?: Record<string, Float64Array>;
  /** Reconstruction MSE (members' mean). */
  mse: Float64Array;
  /** OOD scores, members' means (absent when the model has no reference). */
  ood?: OodScores;
  /** Each member's own outputs. */
  perMember: MemberOutputs[];
}

/** Mean over members of one per-spectrum array. */
function meanOf(arrays: ArrayLike<number>[], n: number): Float64Array {
  const out = new Float64Array(n);
  for (const a of arrays) for (let i = 0; i < n; i++) out[i] += a[i];
  for (let i = 0; i < n; i++) out[i] /= arrays.length;
  return out;
}

/** Sample standard deviation over members (n - 1 denominator) of one per-spectrum array. */
function stdOf(arrays: ArrayLike<number>[], mean: Float64Array): Float64Array {
  const out = new Float64Array(mean.length);
  for (const a of arrays) for (let i = 0; i < mean.length; i++) out[i] += (a[i] - mean[i]) ** 2;
  for (let i = 0; i < mean.length; i++) out[i] = Math.sqrt(out[i] / (arrays.length - 1));
  return out;
}

/**
 * Runs every member of `model` on n prepared spectra (n x m) and combines
 * them as the module comment says.
 */
export function runModel(model: RunnableModel, x: Float32Array, n: number, m: number, batchSize = 4096): ModelOutputs {
  return runMembers(modelMembers(model), x, n, m, batchSize);
}

/** {@link runModel} for members in memory (e.g. while a model directory is being written). */
export function runMembers(members: ModelMember[], x: Float32Array, n: number, m: number, batchSize = 4096): ModelOutputs {
  const outs = members.map((mem) => runMember(mem, x, n, m, batchSize));
  if (outs.length === 1) {
    const o = outs[0];
    return { members: 1, latent: o.latent, nStyle: o.nStyle, predicted: o.predicted, mse: o.mse, ood: o.ood, perMember: outs };
  }
  const predicted: Record<string, Float64Array> = {};
  const spread: Record<string, Float64Array> = {};
  for (const name of Object.keys(outs[0].predicted)) {
    predicted[name] = meanOf(outs.map((o) => o.predicted[name]), n);
    spread[name] = stdOf(outs.map((o) => o.predicted[name]), predicted[name]);
  }
  let ood: OodScores | undefined;
  const scored = outs.map((o) => o.ood);
  if (scored.every((s): s is OodScores => s !== undefined)) {
    const threshold = members[0].ood?.metric === 'reconstruction+latent' ? members[0].ood.threshold : 99;
    const percentile = meanOf(scored.map((s) => s.percentile), n);
    ood = {
      mse: meanOf(scored.map((s) => s.mse), n),
      distance: meanOf(scored.map((s) => s.distance), n),
      reconstructionPercentile: meanOf(scored.map((s) => s.reconstructionPercentile), n),
      latentPercentile: meanOf(scored.map((s) => s.latentPercentile), n),
      percentile,
      flag: Float64Array.from(percentile, (p) => (p <= threshold ? 0 : 1)),
    };
  }
  const mse = meanOf(outs.map((o) => o.mse), n);
  return { members: outs.length, latent: outs[0].latent, nStyle: outs[0].nStyle, predicted, spread, mse, ood, perMember: outs };
}

/**
 * Scores an ensemble's estimates against labels: per descriptor the
 * estimate's Spearman, R^2, MAE, RMSE, mean spread (and for discrete ones
 * the nearest-level accuracy), and each member's own Spearman.
 *
 * @param labels per descriptor name, one label per spectrum (NaN = none); descriptors without labels are left out
 * @param levels per discrete descriptor, its levels
 */
export function evaluateEnsemble(out: ModelOutputs, labels: Record<string, ArrayLike<number>>, rows: string, levels: Record<string, number[]> = {}): EnsembleEvaluation {
  const descriptors: EnsembleEvaluation['descriptors'] = {};
  for (const [name, est] of Object.entries(out.predicted)) {
    const y = labels[name];
    if (!y) continue;
    descriptors[name] = {
      ...scoreEstimates(est, y, out.spread?.[name], levels[name]),
      memberSpearman: out.perMember.map((o) => spearman(o.predicted[name], y)),
    };
  }
  return { members: out.members, rows, n: out.mse.length, descriptors };
}
