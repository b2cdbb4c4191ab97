import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { TrainConfigSchema } from '../config/schema.js';
import { readSpectra } from '../data/formats/index.js';
import { prepareForModel, type PrepareOptions } from '../export/embed.js';
import { evaluateEnsemble, runModel } from '../export/ensemble.js';
import { readModelDir, type ModelBundle } from '../export/model-dir.js';
import type { ThresholdClassifier } from '../metrics/classification.js';
import { classifierFromJson, evaluateLatents, formatEvaluation, type Evaluation } from '../metrics/evaluation.js';
import { spearman } from '../metrics/correlation.js';
import { runNetwork } from '../model/infer.js';
import { evaluationPart, prepareData } from '../pipeline/prepare-data.js';
import { UserError } from '../util/errors.js';
import { prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

/** The discrete descriptors' thresholds as fitted at training time. */
function storedClassifiers(model: ModelBundle): Record<string, ThresholdClassifier> {
  const ev = (model.metadata.metrics as { evaluation?: Evaluation }).evaluation;
  const out: Record<string, ThresholdClassifier> = {};
  for (const [name, s] of Object.entries(ev?.descriptors ?? {})) {
    if (s.classifier) out[name] = classifierFromJson(s.classifier);
  }
  return out;
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
 * Scores a model on the test split of its own training data, or on every
 * labelled row of another file (through the model's preprocessing pipeline,
 * measured role unless `prepare` says otherwise), next to the edge-position
 * baseline on the same spectra.
 */
export async function evaluateModel(modelDir: string, dataFile?: string, prepare: PrepareOptions = {}): Promise<Evaluation> {
  const model = await readModelDir(modelDir);
  const meta = model.metadata;
  const names = meta.descriptors.map((d) => d.name);
  const discrete = meta.descriptors.filter((d) => d.discrete).map((d) => d.name);
  const d = meta.nStyle;
  let x: Float32Array;
  let y: Float64Array;
  let n: number;
  let label: string;
  let baseline: Evaluation['baseline'];
  let energyShift: Evaluation['energyShift'];
  if (dataFile) {
    const edgesWanted = meta.axisKind === 'energy';
    const r = prepareForModel(meta, await readSpectra(dataFile, 'auto', {}), { ...prepare, edgePositions: edgesWanted });
    const { prepared: res, x: normalized, n: rows } = r;
    energyShift = r.shift;
    for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
    n = rows;
    const missing = names.filter((nm) => !(nm in res.labels));
    if (missing.length === names.length) {
      throw new UserError(
        `has none of the model's descriptors ${names.join(', ')} (found: ${Object.keys(res.labels).join(', ') || 'none'})`,
        dataFile,
      );
    }
    // A measured set often knows one descriptor (e.g. the oxidation state): the others are scored as missing, and said so.
    if (missing.length > 0) process.stderr.write(`warning: ${dataFile} has no ${missing.join(', ')} labels; those descriptors are not scored\n`);
    x = normalized;
    y = new Float64Array(n * names.length).fill(NaN);
    names.forEach((nm, j) => res.labels[nm]?.forEach((v, i) => (y[i * names.length + j] = v)));
    label = `all rows of ${dataFile}`;
    if (r.edges) baseline = edgeBaseline(r.edges, names, y, n);
  } else {
    const cfg = TrainConfigSchema.parse(meta.training.config);
    if (cfg.data.file !== undefined && !existsSync(cfg.data.file)) {
      throw new UserError(`the model's training data ${cfg.data.file} is gone; pass --data F to evaluate on a file`);
    }
    const { part, label: split } = evaluationPart(await prepareData(cfg));
    x = part.x;
    y = Float64Array.from(part.y);
    n = part.n;
    label = split;
  }
  if (n < 3) throw new UserError(`only ${n} spectra to evaluate; need at least 3`, dataFile);
  const z = runNetwork(model.encoder, x, n);
  const xhat = runNetwork(model.decoder, z, n);
  const ev = evaluateLatents({
    names,
    discrete,
    d,
    evaluated: { z, y, n, label },
    classifiers: storedClassifiers(model),
    spectra: x,
    reconstructions: xhat,
    m: model.encoder.inputs,
  });
  if (baseline) ev.baseline = baseline;
  if (energyShift) ev.energyShift = energyShift;
  const out = runModel(model, x, n, model.encoder.inputs);
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

interface EvaluateArgs extends SpectraArgs {
  model: string;
  data?: string;
  json: boolean;
}

const command: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Model directory (or the run directory holding model/)' })
      .option('data', { type: 'string', describe: 'Evaluate on every labelled row of this file instead of the test split' })
      .options(spectraOptions)
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object instead of a table' })
      .example('$0 evaluate --model runs/quickstart', 'test-split scores of the quickstart model'),
  handler: async (a) => {
    if (!a.data && (a.calculated || a.shift !== undefined || a.reference !== undefined)) {
      throw new UserError('--calculated, --shift and --reference describe --data spectra; give --data too');
    }
    const ev = await evaluateModel(a.model, a.data, await prepareOptionsFrom(a));
    process.stdout.write(a.json ? JSON.stringify(ev) + '\n' : formatEvaluation(ev) + '\n');
  },
};
export default command;
