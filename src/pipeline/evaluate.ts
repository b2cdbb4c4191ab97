import { existsSync } from 'node:fs';
import { TrainConfigSchema } from '../config/schema.js';
import { readSpectra } from '../data/formats/index.js';
import { prepareForModel } from '../export/embed.js';
import type { LatentModel } from '../export/latent-model.js';
import { loadModel } from '../export/load-model.js';
import type { ModelMetadata } from '../export/metadata.js';
import { readoutScores } from '../export/readout.js';
import { column } from '../metrics/axes.js';
import type { ThresholdClassifier } from '../metrics/classification.js';
import { embeddingMetrics, guessDiscrete, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { classifierFromJson, evaluateLatents, formatEvaluation, type Evaluation } from '../metrics/evaluation.js';
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

/** Spectra of a file prepared for the model, and the labels the file has. */
async function preparedFile(model: LatentModel, dataFile: string) {
  const { prepared: res, x, n } = prepareForModel(model.metadata, await readSpectra(dataFile, 'auto', {}));
  for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
  return { x, n, labels: res.labels };
}

/** n x names.length label matrix (NaN where missing); every name must be among the file's labels. */
function labelMatrix(labels: Record<string, Float64Array>, names: string[], n: number, dataFile: string): Float64Array {
  const missing = names.filter((nm) => !(nm in labels));
  if (missing.length > 0) throw new UserError(`lacks the model's descriptors ${missing.join(', ')} (found: ${Object.keys(labels).join(', ') || 'none'})`, dataFile);
  const y = new Float64Array(n * names.length);
  names.forEach((nm, j) => labels[nm].forEach((v, i) => (y[i * names.length + j] = v)));
  return y;
}

/**
 * Scores a model on the test split of its own training data (RankAAE), or on
 * every labelled row of `dataFile` (either kind). A baseline without a file
 * reports the scores stored when it was fitted, on its own spectra.
 */
export async function evaluateModel(modelDir: string, dataFile?: string): Promise<Evaluation | BaselineEvaluation> {
  const model = await loadModel(modelDir);
  return model.metadata.kind === 'reducer' ? evaluateBaseline(model, dataFile) : evaluateAutoencoder(model, dataFile);
}

async function evaluateAutoencoder(model: LatentModel, dataFile?: string): Promise<Evaluation> {
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
  if (dataFile) {
    const f = await preparedFile(model, dataFile);
    ({ x, n } = f);
    y = labelMatrix(f.labels, names, n, dataFile);
    readoutLabels = readoutNames.map((nm) => f.labels[nm] ?? new Float64Array(f.n).fill(NaN));
    label = `all rows of ${dataFile}`;
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
  if (meta.readouts?.length) {
    ev.readouts = Object.fromEntries(meta.readouts.map((r, j) => [r.descriptor, { ...readoutScores(r, z, n, readoutLabels[j]), fittedOn: r.n, looR2: r.looR2 }]));
  }
  return ev;
}

async function evaluateBaseline(model: LatentModel, dataFile?: string): Promise<BaselineEvaluation> {
  const meta = model.metadata;
  if (!dataFile) {
    const stored = (meta.metrics as { embedding?: EmbeddingMetrics }).embedding;
    if (!stored) throw new UserError('the model stores no fit-time scores; pass --data F to evaluate on a file', model.dir);
    return { method: model.method, split: 'the spectra the reducer was fitted on (scores stored at fit time)', n: stored.n, embedding: stored };
  }
  const f = await preparedFile(model, dataFile);
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
