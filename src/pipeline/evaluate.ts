import { existsSync } from 'node:fs';
import { TrainConfigSchema } from '../config/schema.js';
import { readSpectra } from '../data/formats/index.js';
import { prepareForModel, type PrepareOptions } from '../export/embed.js';
import { evaluateEnsemble, runModel } from '../export/ensemble.js';
import type { LatentModel } from '../export/latent-model.js';
import { loadModel } from '../export/load-model.js';
import type { ModelMetadata } from '../export/metadata.js';
import { readoutScores } from '../export/readout.js';
import { column } from '../metrics/axes.js';
import type { ThresholdClassifier } from '../metrics/classification.js';
import { embeddingMetrics, guessDiscrete, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { classifierFromJson, evaluateLatents, formatEvaluation, type Evaluation } from '../metrics/evaluation.js';
import { spearman } from '../metrics/correlation.js';
import { reconstructionErrors } from '../metrics/reconstruction.js';
import { UserError } from '../util/errors.js';
import { evaluationPart, prepareData } from './prepare-data.js';
import { formatMetrics } from './baseline.js';

/**
 * `xlatent evaluate`: the scores of a model, RankAAE or baseline, on the test
 * split of its own training data or on every spectrum of another file.
 */

/** A baseline model's scores: the embedding metrics every reducer gets, plus PCA's reconstruction. */
export interface BaselineEvaluation {
  /** The reducer's name. */
  method: string;
  /** What was scored ("all rows of F", or the spectra the reducer was fitted on). */
  split: string;
  n: number;
  embedding: EmbeddingMetrics;
  /** Reconstruction through the exact inverse (PCA only). */
  reconstruction?: { mse: number; mae: number };
}

/** The discrete descriptors' thresholds as fitted at training time. */
function storedClassifiers(metadata: ModelMetadata): Record<string, ThresholdClassifier> {
  const ev = (metadata.metrics as { evaluation?: Evaluation }).evaluation;
  const out: Record<string, ThresholdClassifier> = {};
  for (const [name, s] of Object.entries(ev?.descriptors ?? {})) {
    if (s.classifier) out[name] = classifierFromJson(s.classifier);
  }
  return out;
}

/**
 * Spectra of a file prepared for the model by the one path new spectra take
 * (the stored preprocessing pipeline, measured role unless `prepare` says
 * otherwise), and the labels the file has.
 */
async function preparedFile(model: LatentModel, dataFile: string, prepare: PrepareOptions) {
  const r = prepareForModel(model.metadata, await readSpectra(dataFile, 'auto', {}), { ...prepare, edgePositions: model.metadata.axisKind === 'energy' });
  for (const w of r.prepared.warnings) process.stderr.write(`warning: ${w}\n`);
  return { x: r.x, n: r.n, labels: r.prepared.labels, shift: r.shift, edges: r.edges };
}

/**
 * n x names.length label matrix (NaN where missing). A file may know only
 * some of the model's descriptors (a measured set often knows just the
 * oxidation state): the others are left out of the scores, and said so; a
 * file with none of them is an error.
 */
function labelMatrix(labels: Record<string, Float64Array>, names: string[], n: number, dataFile: string): Float64Array {
  const missing = names.filter((nm) => !(nm in labels));
  if (names.length > 0 && missing.length === names.length) {
    throw new UserError(`has none of the model's descriptors ${names.join(', ')} (found: ${Object.keys(labels).join(', ') || 'none'})`, dataFile);
  }
  if (missing.length > 0) process.stderr.write(`warning: ${dataFile} has no ${missing.join(', ')} labels; those descriptors are not scored\n`);
  const y = new Float64Array(n * names.length).fill(NaN);
  names.forEach((nm, j) => labels[nm]?.forEach((v, i) => (y[i * names.length + j] = v)));
  return y;
}

/** Spearman of each descriptor against the edge positions, over rows where both are finite. */
function edgeBaseline(edges: Float64Array, names: string[], y: Float64Array, n: number): NonNullable<Evaluation['baseline']> {
  const k = names.length;
  const descriptors: Record<string, { spearman: number; n: number }> = {};
  names.forEach((name, j) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(edges[i]) && Number.isFinite(y[i * k + j])) {
        a.push(edges[i]);
        b.push(y[i * k + j]);
      }
    }
    descriptors[name] = { spearman: a.length > 2 ? spearman(a, b) : NaN, n: a.length };
  });
  return { edgePosition: { n, unavailable: edges.filter((e) => !Number.isFinite(e)).length, descriptors } };
}

/**
 * Scores a model on the test split of its own training data (RankAAE), or on
 * every labelled row of `dataFile` (either kind; through the model's
 * preprocessing pipeline, measured role unless `prepare` says otherwise, next
 * to the edge-position baseline on the same spectra for XAS). A baseline
 * without a file reports the scores stored when it was fitted.
 */
export async function evaluateModel(modelDir: string, dataFile?: string, prepare: PrepareOptions = {}): Promise<Evaluation | BaselineEvaluation> {
  const model = await loadModel(modelDir);
  return model.metadata.kind === 'reducer' ? evaluateBaseline(model, dataFile, prepare) : evaluateAutoencoder(model, dataFile, prepare);
}

async function evaluateAutoencoder(model: LatentModel, dataFile: string | undefined, prepare: PrepareOptions): Promise<Evaluation> {
  const meta = model.metadata;
  const names = meta.descriptors.map((d) => d.name);
  const discrete = meta.descriptors.filter((d) => d.discrete).map((d) => d.name);
  let x: Float32Array;
  let y: Float64Array;
  let n: number;
  let label: string;
  // Labels of the readout descriptors on the evaluated rows (NaN where unknown).
  const readoutNames = (meta.readouts ?? []).map((r) => r.descriptor);
  let readoutLabels: Float64Array[] = [];
  let baseline: Evaluation['baseline'];
  let energyShift: Evaluation['energyShift'];
  if (dataFile) {
    const f = await preparedFile(model, dataFile, prepare);
    ({ x, n } = f);
    y = labelMatrix(f.labels, names, n, dataFile);
    readoutLabels = readoutNames.map((nm) => f.labels[nm] ?? new Float64Array(f.n).fill(NaN));
    label = `all rows of ${dataFile}`;
    energyShift = f.shift;
    if (f.edges) baseline = edgeBaseline(f.edges, names, y, n);
  } else {
    const cfg = TrainConfigSchema.parse(meta.training.config);
    if (cfg.data.file !== undefined && !existsSync(cfg.data.file)) {
      throw new UserError(`the model's training data ${cfg.data.file} is gone; pass --data F to evaluate on a file`);
    }
    const prepared = await prepareData(cfg);
    const { part, label: split } = evaluationPart(prepared);
    const R = prepared.readout.names.length;
    readoutLabels = readoutNames.map((nm) => {
      const j = prepared.readout.names.indexOf(nm);
      return j < 0 ? new Float64Array(part.n).fill(NaN) : column(prepared.readout[split], part.n, R, j);
    });
    x = part.x;
    y = Float64Array.from(part.y);
    n = part.n;
    label = split;
  }
  if (n < 3) throw new UserError(`only ${n} spectra to evaluate; need at least 3`, dataFile);
  const z = model.encode(x, n);
  const xhat = model.decode!(z, n);
  const ev = evaluateLatents({
    names,
    discrete,
    d: model.d,
    evaluated: { z, y, n, label },
    classifiers: storedClassifiers(meta),
    spectra: x,
    reconstructions: xhat,
    m: model.m,
  });
  if (baseline) ev.baseline = baseline;
  if (energyShift) ev.energyShift = energyShift;
  if (meta.readouts?.length) {
    ev.readouts = Object.fromEntries(meta.readouts.map((r, j) => [r.descriptor, { ...readoutScores(r, z, n, readoutLabels[j]), fittedOn: r.n, looR2: r.looR2 }]));
  }
  // What embed reports for the same spectra: its OOD flags and, for an ensemble, the combined estimates.
  const out = runModel({ metadata: meta, ...model.networks!, ensembleNetworks: model.ensembleNetworks }, x, n, model.m);
  if (out.ood) ev.ood = { n, flagged: out.ood.flag.reduce((s, v) => s + v, 0), metric: meta.ood!.metric };
  if (meta.ensemble) {
    const labels = Object.fromEntries(names.map((nm, j) => [nm, Float64Array.from({ length: n }, (_, i) => y[i * names.length + j])]));
    const levels = Object.fromEntries(meta.calibration.filter((c) => c.levels).map((c) => [c.descriptor, c.levels!]));
    const shared = new Set(meta.ensemble.members.map((mem) => mem.source.splitSha256)).size === 1;
    const rows = dataFile ? label : shared ? `${label} split (shared by every member)` : `${label} split of member 0 (members trained on other splits may have seen some of these spectra)`;
    ev.ensemble = evaluateEnsemble(out, labels, rows, levels);
  }
  return ev;
}

async function evaluateBaseline(model: LatentModel, dataFile: string | undefined, prepare: PrepareOptions): Promise<BaselineEvaluation> {
  const meta = model.metadata;
  if (!dataFile) {
    const stored = (meta.metrics as { embedding?: EmbeddingMetrics }).embedding;
    if (!stored) throw new UserError('the model stores no fit-time scores; pass --data F to evaluate on a file', model.dir);
    return { method: model.method, split: 'the spectra the reducer was fitted on (scores stored at fit time)', n: stored.n, embedding: stored };
  }
  const f = await preparedFile(model, dataFile, prepare);
  const names = Object.keys(f.labels);
  const y = labelMatrix(f.labels, names, f.n, dataFile);
  if (f.n < 3) throw new UserError(`only ${f.n} spectra to evaluate; need at least 3`, dataFile);
  const z = model.encode(f.x, f.n);
  const storedDiscrete = (meta.metrics as { discrete?: string[] }).discrete;
  const discrete = (storedDiscrete ?? guessDiscrete(y, f.n, names)).filter((nm) => names.includes(nm));
  const embedding = embeddingMetrics(f.x, f.n, model.m, z, model.d, y, names, discrete, {});
  const out: BaselineEvaluation = { method: model.method, split: `all rows of ${dataFile}`, n: f.n, embedding };
  if (model.decode) {
    const rec = reconstructionErrors(f.x, model.decode(z, f.n), f.n, model.m);
    out.reconstruction = { mse: rec.mse, mae: rec.mae };
  }
  return out;
}

/** The evaluation as the table `xlatent evaluate` prints. */
export function formatModelEvaluation(ev: Evaluation | BaselineEvaluation): string {
  if (!('embedding' in ev)) return formatEvaluation(ev);
  const lines = [`Evaluation of the ${ev.method} baseline on ${ev.split} (${ev.n} spectra)`, '', formatMetrics(ev.method, ev.embedding).replace(/; /g, '\n  ')];
  if (ev.reconstruction) lines.push(`reconstruction (exact inverse): MSE ${ev.reconstruction.mse.toExponential(3)}, MAE ${ev.reconstruction.mae.toExponential(3)}`);
  return lines.join('\n');
}
