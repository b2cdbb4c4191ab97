import { accuracy } from './classification.js';
import { spearman } from './correlation.js';

/**
 * Scores of descriptor *estimates* (calibrated predictions in descriptor
 * units, e.g. an ensemble's mean or out-of-fold predictions of a
 * cross-validation), as opposed to the raw axis scores of evaluation.ts.
 */
export interface EstimateScores {
  /** Rows with a finite label and estimate. */
  n: number;
  /** Spearman rho between estimate and label. */
  spearman: number;
  /** Coefficient of determination of the estimates as predictions: 1 - SS_res / SS_tot (can be negative). */
  r2: number;
  /** Mean absolute error, descriptor units. */
  mae: number;
  /** Root mean squared error, descriptor units. */
  rmse: number;
  /** Mean of the given spread (e.g. the ensemble's standard deviation), when one is given. */
  meanSpread?: number;
  /** Discrete descriptors: share of rows whose estimate, rounded to the nearest level, is their label (rows labelled with a level only). */
  accuracy?: number;
}

/** The level nearest to v (the lower one on a tie). */
export function nearestLevel(levels: readonly number[], v: number): number {
  let best = levels[0];
  for (const l of levels) if (Math.abs(l - v) < Math.abs(best - v)) best = l;
  return best;
}

/**
 * @param estimate per-row estimates
 * @param label per-row labels (NaN = unlabelled, skipped)
 * @param spread per-row spread to average (optional)
 * @param levels discrete levels: adds the nearest-level accuracy
 */
export function scoreEstimates(estimate: ArrayLike<number>, label: ArrayLike<number>, spread?: ArrayLike<number>, levels?: readonly number[]): EstimateScores {
  const e: number[] = [];
  const y: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < label.length; i++) {
    if (!Number.isFinite(label[i]) || !Number.isFinite(estimate[i])) continue;
    e.push(estimate[i]);
    y.push(label[i]);
    if (spread) s.push(spread[i]);
  }
  const n = e.length;
  const mean = y.reduce((a, b) => a + b, 0) / Math.max(1, n);
  let ssRes = 0;
  let ssTot = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (e[i] - y[i]) ** 2;
    ssTot += (y[i] - mean) ** 2;
    abs += Math.abs(e[i] - y[i]);
  }
  const out: EstimateScores = {
    n,
    spearman: n > 2 ? spearman(e, y) : NaN,
    // With fewer than 2 rows SS_tot is 0; with none the means below are 0/0 = NaN.
    r2: ssTot > 0 ? 1 - ssRes / ssTot : NaN,
    mae: abs / n,
    rmse: Math.sqrt(ssRes / n),
  };
  if (spread) out.meanSpread = s.reduce((a, b) => a + b, 0) / n;
  if (levels && levels.length > 0) {
    const known = new Set(levels);
    const onLevel = y.map((v, i) => (known.has(v) ? i : -1)).filter((i) => i >= 0);
    out.accuracy = accuracy(onLevel.map((i) => y[i]), onLevel.map((i) => nearestLevel(levels, e[i])));
  }
  return out;
}

/** How an ensemble's estimates score on labelled spectra (evaluate, the model's metrics). */
export interface EnsembleEvaluation {
  /** Members combined. */
  members: number;
  /** Which spectra were scored, in words. */
  rows: string;
  n: number;
  /** Per descriptor: scores of the ensemble estimate, and each member's own estimate's Spearman. */
  descriptors: Record<string, EstimateScores & { memberSpearman: number[] }>;
}

/** Spectra flagged out of distribution among those evaluated. */
export interface OodSummary {
  n: number;
  flagged: number;
  /** The reference's metric (export/ood.ts). */
  metric: string;
}
