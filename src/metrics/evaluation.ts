import { column, maxAxisCorrelation } from './axes.js';
import { accuracy, confusionMatrix, fitThresholdClassifier, predictThreshold, weightedF1, type ThresholdClassifier } from './classification.js';
import { spearman } from './correlation.js';
import type { EnsembleEvaluation, OodSummary } from './estimates.js';
import { shapiroWilk } from './normality.js';
import { reconstructionErrors } from './reconstruction.js';
import { linearR2, quadraticR2 } from './regression.js';

/**
 * The scores `xlatent evaluate` reports for a RankAAE model: how well each
 * constrained axis follows its descriptor, how independent the axes are, how
 * well spectra are reconstructed, and how Gaussian each latent axis is.
 */

/** Latents and labels of one split (rows with a NaN label are skipped per descriptor). */
export interface LatentSplit {
  /** n x d latent coordinates, row-major. */
  z: Float32Array;
  /** n x k descriptor values, row-major, in `names` order. */
  y: Float64Array;
  n: number;
}

export interface DescriptorScores {
  /** Latent axis tied to this descriptor. */
  axis: number;
  /** Spearman rho between the axis and the descriptor on the evaluated rows (sign kept). */
  spearman: number;
  /** R^2 of a linear fit descriptor ~ axis. */
  r2: number;
  /** R^2 of a quadratic fit descriptor ~ axis. */
  r2Quadratic: number;
  /** Rows with a finite label. */
  n: number;
  /**
   * Rows left out of this descriptor's scores, and why: rows without a label
   * (NaN) are left out of everything; rows whose label is not one of the
   * levels the threshold classifier knows (e.g. a mixed-valence 2.667 when
   * the training levels were 2 and 3) only out of the classifier's scores.
   */
  dropped?: { missingLabel: number; notALevel?: { rows: number; values: number[]; levels: number[] } };
  /** For discrete descriptors: threshold classifier fitted on the training split, scored here. */
  classifier?: {
    classes: number[];
    cuts: number[];
    direction: 1 | -1;
    /** Accuracy of the thresholds on the rows they were fitted on. */
    trainAccuracy: number;
    accuracy: number;
    weightedF1: number;
    /** confusion[i][j]: rows of true class i predicted as class j. */
    confusion: number[][];
  };
}

export interface Evaluation {
  /** Split the numbers come from (normally "test"). */
  split: string;
  n: number;
  descriptors: Record<string, DescriptorScores>;
  /** Largest |Spearman| between two different latent axes (disentanglement; lower is better). */
  maxInterAxisSpearman: number;
  /** The axis pair reaching it. */
  maxInterAxisPair: [number, number] | null;
  /** Full d x d Spearman matrix between latent axes. */
  interAxisSpearman: number[][];
  reconstruction: { mse: number; mae: number };
  /** Shapiro-Wilk W (and p) per latent axis: the adversarial prior should make each axis ~ N(0, 1). */
  normality: { axis: number; w: number; p: number; mean: number; std: number }[];
  /** Descriptors read off the latent position (data.readout): error of the readout on the labelled rows of this split. */
  readouts?: Record<string, { n: number; rmse: number; r2: number; fittedOn?: number; looR2?: number }>;
  /**
   * The trivial baseline on the same spectra (evaluate --data): Spearman of each
   * descriptor against the edge position (E at half edge step after
   * calibration). `unavailable` spectra had no edge to find (not XAS, too short).
   */
  baseline?: { edgePosition: { n: number; unavailable: number; descriptors: Record<string, { spearman: number; n: number }> } };
  /** Energy shift (eV) the evaluated spectra got before anything else, and where it came from. */
  energyShift?: { eV: number; source: string };
  /** Ensemble models: how the ensemble's estimates (members' mean, with their spread) score on the same spectra. */
  ensemble?: EnsembleEvaluation;
  /** How many of the evaluated spectra the model's OOD score flags. */
  ood?: OodSummary;
}

export interface EvaluationInput {
  names: string[];
  /** Names of descriptors with a few discrete levels (e.g. CN). */
  discrete: string[];
  /** Latent dimension. */
  d: number;
  /** Split to score. */
  evaluated: LatentSplit & { label: string };
  /** Training split, for fitting the discrete classifiers' thresholds (unless `classifiers` are given). */
  train?: LatentSplit;
  /** Already fitted threshold classifiers by descriptor name (e.g. stored with a model). */
  classifiers?: Record<string, ThresholdClassifier>;
  /** Spectra of the evaluated split and their reconstructions, n x m. */
  spectra: Float32Array;
  reconstructions: Float32Array;
  m: number;
}

function finitePairs(z: Float32Array, y: Float64Array, n: number, d: number, k: number, axis: number, j: number) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = y[i * k + j];
    if (Number.isFinite(v)) {
      a.push(z[i * d + axis]);
      b.push(v);
    }
  }
  return { axis: Float64Array.from(a), label: Float64Array.from(b) };
}

export function evaluateLatents(input: EvaluationInput): Evaluation {
  const { names, d, evaluated, train } = input;
  const k = names.length;
  const descriptors: Record<string, DescriptorScores> = {};
  names.forEach((name, j) => {
    const ev = finitePairs(evaluated.z, evaluated.y, evaluated.n, d, k, j, j);
    const scores: DescriptorScores = {
      axis: j,
      spearman: ev.axis.length > 2 ? spearman(ev.axis, ev.label) : NaN,
      r2: ev.axis.length > 2 ? linearR2(ev.axis, ev.label) : NaN,
      r2Quadratic: ev.axis.length > 3 ? quadraticR2(ev.axis, ev.label) : NaN,
      n: ev.axis.length,
    };
    const missing = evaluated.n - ev.axis.length;
    if (missing > 0) scores.dropped = { missingLabel: missing };
    if (input.discrete.includes(name) && ev.axis.length > 0) {
      let clf = input.classifiers?.[name];
      if (!clf) {
        if (!train) throw new Error(`evaluateLatents: no training split or fitted classifier for ${name}`);
        const tr = finitePairs(train.z, train.y, train.n, d, k, j, j);
        clf = fitThresholdClassifier(tr.axis, tr.label);
      }
      const known = new Set(clf.classes);
      const keep = ev.label.map((v) => (known.has(v) ? 1 : 0));
      const other = ev.label.filter((v) => !known.has(v));
      if (other.length > 0) {
        scores.dropped = { missingLabel: missing, notALevel: { rows: other.length, values: [...new Set(other)].sort((a, b) => a - b), levels: clf.classes } };
      }
      const onLevels = { axis: ev.axis.filter((_, i) => keep[i] === 1), label: ev.label.filter((_, i) => keep[i] === 1) };
      const pred = predictThreshold(clf, onLevels.axis);
      const conf = confusionMatrix(onLevels.label, pred, clf.classes);
      scores.classifier = {
        classes: clf.classes,
        cuts: clf.cuts,
        direction: clf.direction,
        trainAccuracy: clf.trainAccuracy,
        accuracy: accuracy(onLevels.label, pred),
        weightedF1: weightedF1(onLevels.label, pred),
        confusion: toNested(conf.matrix, conf.labels.length),
      };
    }
    descriptors[name] = scores;
  });
  const inter = maxAxisCorrelation(evaluated.z, evaluated.n, d);
  const rec = reconstructionErrors(input.spectra, input.reconstructions, evaluated.n, input.m);
  const normality = Array.from({ length: d }, (_, a) => {
    const col = column(evaluated.z, evaluated.n, d, a);
    // Fewer than 3 values or no spread: W and p are NaN.
    const sw = shapiroWilk(col);
    let mean = 0;
    for (const v of col) mean += v;
    mean /= col.length || 1;
    let v2 = 0;
    for (const v of col) v2 += (v - mean) ** 2;
    return { axis: a, w: sw.w, p: sw.p, mean, std: Math.sqrt(v2 / Math.max(1, col.length - 1)) };
  });
  return {
    split: evaluated.label,
    n: evaluated.n,
    descriptors,
    maxInterAxisSpearman: inter.maxAbs,
    maxInterAxisPair: inter.pair,
    interAxisSpearman: toNested(inter.matrix, d),
    reconstruction: { mse: rec.mse, mae: rec.mae },
    normality,
  };
}

function toNested(flat: ArrayLike<number>, d: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => flat[i * d + j]));
}

/** The human-readable table `xlatent evaluate` prints. */
export function formatEvaluation(ev: Evaluation): string {
  const f = (x: number, p = 3) => (Number.isFinite(x) ? x.toFixed(p) : 'n/a');
  const lines: string[] = [];
  lines.push(ev.split.startsWith('all rows') ? `Evaluation on ${ev.split} (${ev.n} spectra)` : `Evaluation on the ${ev.split} split (${ev.n} spectra)`);
  lines.push('');
  const w = Math.max(10, ...Object.keys(ev.descriptors).map((nm) => nm.length)) + 2;
  const base = ev.baseline?.edgePosition;
  if (Object.keys(ev.descriptors).length === 0) {
    lines.push('no constrained descriptors (an unconstrained adversarial autoencoder)');
  } else {
    lines.push(`${'descriptor'.padEnd(w)} axis  spearman   R2(lin)  R2(quad)  F1(thresh)${base ? '  edge-position spearman' : ''}`);
    for (const [name, s] of Object.entries(ev.descriptors)) {
      const b = base?.descriptors[name];
      lines.push(
        `${name.padEnd(w)} ${String(s.axis).padStart(4)}  ${f(s.spearman).padStart(8)}  ${f(s.r2).padStart(8)}  ${f(s.r2Quadratic).padStart(8)}  ${s.classifier ? f(s.classifier.weightedF1).padStart(10) : '         -'}${b ? `  ${f(b.spearman).padStart(22)}` : ''}`,
      );
    }
  }
  for (const [name, r] of Object.entries(ev.readouts ?? {})) {
    const fit = r.fittedOn !== undefined ? ` (linear map fitted on ${r.fittedOn} labelled training spectra${r.looR2 !== undefined ? `, leave-one-out R2 ${f(r.looR2)}` : ''})` : '';
    lines.push(`${name} read off the latent position: RMSE ${f(r.rmse, 4)}, R2 ${f(r.r2)} on ${r.n} labelled spectra${fit}`);
  }
  if (base) {
    lines.push('');
    lines.push(
      `baseline: Spearman of each descriptor against the edge position (E at half edge step) on the same spectra${base.unavailable > 0 ? `; ${base.unavailable} spectra had no edge to locate` : ''}`,
    );
  }
  if (ev.energyShift && ev.energyShift.eV !== 0) lines.push(`energy shift applied: ${ev.energyShift.eV.toFixed(3)} eV (${ev.energyShift.source})`);
  for (const [name, s] of Object.entries(ev.descriptors)) {
    if (!s.dropped) continue;
    if (s.dropped.missingLabel > 0) lines.push(`${name}: ${s.dropped.missingLabel} spectra without a ${name} label left out of its scores`);
    const o = s.dropped.notALevel;
    if (o) {
      lines.push(
        `${name}: ${o.rows} spectra with ${name} = ${o.values.map((v) => String(Number(v.toPrecision(6)))).join(', ')} (not one of the levels ${o.levels.join(', ')}) ` +
          'left out of the threshold classifier (kept for Spearman and R2)',
      );
    }
  }
  if (ev.ood) lines.push(`out of distribution (ood_flag): ${ev.ood.flagged} of ${ev.ood.n} spectra (${ev.ood.metric})`);
  if (ev.ensemble) lines.push('', ...formatEnsemble(ev.ensemble));
  lines.push('');
  const pair = ev.maxInterAxisPair ? ` (axes ${ev.maxInterAxisPair[0]} and ${ev.maxInterAxisPair[1]})` : '';
  lines.push(`max inter-axis |spearman|: ${f(ev.maxInterAxisSpearman)}${pair}`);
  lines.push(`reconstruction: MSE ${ev.reconstruction.mse.toExponential(3)}, MAE ${ev.reconstruction.mae.toExponential(3)}`);
  lines.push(`latent normality (Shapiro-Wilk W): ${ev.normality.map((a) => `z${a.axis} ${f(a.w)}`).join(', ')}`);
  for (const [name, s] of Object.entries(ev.descriptors)) {
    if (!s.classifier) continue;
    lines.push('');
    lines.push(`${name} confusion matrix (rows true, columns predicted; classes ${s.classifier.classes.join(', ')}):`);
    s.classifier.confusion.forEach((row, i) =>
      lines.push(`  ${String(s.classifier!.classes[i]).padStart(6)} | ${row.map((c) => String(c).padStart(6)).join(' ')}`),
    );
  }
  return lines.join('\n');
}

/** The ensemble block of the table: the estimate's scores per descriptor and the members' own Spearman range. */
function formatEnsemble(e: EnsembleEvaluation): string[] {
  const f = (x: number | undefined, p = 3) => (Number.isFinite(x) ? (x as number).toFixed(p) : 'n/a');
  const w = Math.max(10, ...Object.keys(e.descriptors).map((nm) => nm.length)) + 2;
  const lines = [
    `ensemble of ${e.members} networks on ${e.rows} (${e.n} spectra): estimate = members' mean of calibrated estimates, spread = their std`,
    `${'descriptor'.padEnd(w)} spearman        R2       MAE  mean spread  accuracy  members' spearman`,
  ];
  for (const [name, s] of Object.entries(e.descriptors)) {
    const members = s.memberSpearman.filter(Number.isFinite);
    const range = members.length > 0 ? `${Math.min(...members).toFixed(3)}..${Math.max(...members).toFixed(3)}` : 'n/a';
    lines.push(
      `${name.padEnd(w)} ${f(s.spearman).padStart(8)}  ${f(s.r2).padStart(8)}  ${f(s.mae, 4).padStart(8)}  ${f(s.meanSpread, 4).padStart(11)}  ${s.accuracy !== undefined ? f(s.accuracy).padStart(8) : '       -'}  ${range}`,
    );
  }
  return lines;
}

/**
 * Restores a threshold classifier stored in JSON. JSON has no infinities, so
 * an empty end class (cut at -Infinity or +Infinity) comes back as null: a
 * null before the first finite cut is -Infinity, one after it +Infinity.
 */
export function classifierFromJson(c: { classes: number[]; cuts: (number | null)[]; direction: 1 | -1; trainAccuracy?: number }): ThresholdClassifier {
  let seenFinite = false;
  const cuts = c.cuts.map((v) => {
    if (Number.isFinite(v)) {
      seenFinite = true;
      return v as number;
    }
    if (typeof v === 'number') return v;
    return seenFinite ? Infinity : -Infinity;
  });
  return { classes: c.classes, cuts, direction: c.direction, trainAccuracy: c.trainAccuracy ?? NaN };
}
