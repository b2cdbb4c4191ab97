import { knn } from '../reducers/vptree.js';
import { Rng } from '../util/random.js';
import { accuracy, weightedF1 } from './classification.js';

/**
 * How well an embedding predicts a descriptor: k-nearest-neighbour
 * regression (mean of the neighbours, scikit-learn's KNeighborsRegressor
 * with uniform weights) or classification (majority vote, ties to the
 * smallest label) under shuffled k-fold cross-validation.
 */
export interface KnnPredictionOptions {
  /** Neighbours (default 5, scikit-learn's default). */
  neighbors?: number;
  /** Folds (default 5). */
  folds?: number;
  /** Seed of the fold shuffle (default 0). */
  seed?: number;
  /** Treat the descriptor as discrete classes (default false: continuous). */
  discrete?: boolean;
}

/** Cross-validated scores; computed on pooled out-of-fold predictions, with the per-fold spread. */
export interface KnnPredictionScores {
  kind: 'continuous' | 'discrete';
  /** R^2 of out-of-fold predictions (continuous only). */
  r2?: number;
  /** Accuracy (discrete only). */
  accuracy?: number;
  /** Weighted F1 (discrete only). */
  weightedF1?: number;
  /** The fold-wise values of the headline score (r2 or accuracy). */
  perFold: number[];
  /** Labelled rows used. */
  n: number;
}

/**
 * @param Z n x d embedding, row-major
 * @param y descriptor value per row; NaN rows (missing labels) are left out
 */
export function knnPrediction(
  Z: ArrayLike<number>,
  n: number,
  d: number,
  y: ArrayLike<number>,
  options: KnnPredictionOptions = {},
): KnnPredictionScores {
  const k = options.neighbors ?? 5;
  const folds = options.folds ?? 5;
  const discrete = options.discrete ?? false;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) rows.push(i);
  const N = rows.length;
  if (N < folds || N < 2) throw new Error(`kNN prediction needs at least ${Math.max(folds, 2)} labelled rows (got ${N})`);
  const perm = new Rng(options.seed ?? 0).permutation(N);
  const pred = new Float64Array(N);
  const truth = Float64Array.from(rows, (i) => y[i]);
  const foldOf = new Int32Array(N);
  for (let t = 0; t < N; t++) foldOf[perm[t]] = t % folds;
  const perFold: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let t = 0; t < N; t++) (foldOf[t] === f ? test : train).push(t);
    const Ztr = gather(Z, rows, train, d);
    const Zte = gather(Z, rows, test, d);
    const kk = Math.min(k, train.length);
    const nn = knn(Ztr, train.length, Zte, test.length, d, kk);
    for (let q = 0; q < test.length; q++) {
      const labels: number[] = [];
      for (let a = 0; a < kk; a++) labels.push(truth[train[nn.indices[q * kk + a]]]);
      pred[test[q]] = discrete ? vote(labels) : labels.reduce((s, v) => s + v, 0) / kk;
    }
    const yt = Float64Array.from(test, (t) => truth[t]);
    const yp = Float64Array.from(test, (t) => pred[t]);
    perFold.push(discrete ? accuracy(yt, yp) : r2Score(yt, yp));
  }
  if (discrete) {
    return { kind: 'discrete', accuracy: accuracy(truth, pred), weightedF1: weightedF1(truth, pred), perFold, n: N };
  }
  return { kind: 'continuous', r2: r2Score(truth, pred), perFold, n: N };
}

function gather(Z: ArrayLike<number>, rows: number[], sel: number[], d: number): Float64Array {
  const out = new Float64Array(sel.length * d);
  for (let a = 0; a < sel.length; a++) {
    const i = rows[sel[a]];
    for (let t = 0; t < d; t++) out[a * d + t] = Z[i * d + t];
  }
  return out;
}

function vote(labels: number[]): number {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let best = NaN;
  let bestCount = -1;
  for (const [l, c] of counts) if (c > bestCount || (c === bestCount && l < best)) [best, bestCount] = [l, c];
  return best;
}

/** Coefficient of determination of predictions (scikit-learn r2_score); NaN for constant truth. */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    ssr += (yTrue[i] - yPred[i]) ** 2;
    sst += (yTrue[i] - mean) ** 2;
  }
  return sst === 0 ? NaN : 1 - ssr / sst;
}
