import type { NeighbourLists } from '../reducers/kdtree.js';
import { MaxHeap } from '../reducers/vptree.js';
import { Rng } from '../util/random.js';
import { accuracy, weightedF1 } from './classification.js';
import { embeddingNeighbours } from './neighborhood.js';

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
 * Neighbours each point's list should hold so that k of them usually lie in
 * other folds (the rest are searched directly).
 */
export function knnListSize(neighbors: number): number {
  return 4 * neighbors;
}

/**
 * @param Z n x d embedding, row-major
 * @param y descriptor value per row; NaN rows (missing labels) are left out
 * @param neighbours every row's nearest rows in Z ({@link embeddingNeighbours});
 *   shared by all descriptors and folds, computed here when absent. A test
 *   point's k nearest training points are the first k entries of its list
 *   that are labelled and in another fold; where its list holds fewer, they
 *   are searched among the training points directly. Distances and ties are
 *   the lists' (squared Euclidean, ties by index), as a brute-force search
 *   per fold would find them.
 */
export function knnPrediction(
  Z: ArrayLike<number>,
  n: number,
  d: number,
  y: ArrayLike<number>,
  options: KnnPredictionOptions = {},
  neighbours?: NeighbourLists,
): KnnPredictionScores {
  const k = options.neighbors ?? 5;
  const folds = options.folds ?? 5;
  const discrete = options.discrete ?? false;
  const rows: number[] = [];
  const pos = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) pos[i] = rows.push(i) - 1;
  const N = rows.length;
  if (N < folds || N < 2) throw new Error(`kNN prediction needs at least ${Math.max(folds, 2)} labelled rows (got ${N})`);
  const lists = neighbours ?? embeddingNeighbours(Z, n, d, knnListSize(k));
  const perm = new Rng(options.seed ?? 0).permutation(N);
  const pred = new Float64Array(N);
  const truth = Float64Array.from(rows, (i) => y[i]);
  const foldOf = new Int32Array(N);
  for (let t = 0; t < N; t++) foldOf[perm[t]] = t % folds;
  const perFold: number[] = [];
  const labels: number[] = [];
  for (let f = 0; f < folds; f++) {
    const test: number[] = [];
    for (let t = 0; t < N; t++) if (foldOf[t] === f) test.push(t);
    const kk = Math.min(k, N - test.length);
    for (const t of test) {
      const i = rows[t];
      labels.length = 0;
      const L = lists.k;
      for (let a = i * L, e = a + L; a < e && labels.length < kk; a++) {
        const u = pos[lists.indices[a]];
        if (u >= 0 && foldOf[u] !== f) labels.push(truth[u]);
      }
      if (labels.length < kk) nearestTraining(Z, d, i, rows, foldOf, f, kk, truth, labels);
      pred[t] = discrete ? vote(labels) : labels.reduce((s, v) => s + v, 0) / kk;
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

/** Labels of the kk nearest labelled rows outside fold f to row i, nearest first (brute force, the lists' distance and ties). */
function nearestTraining(
  Z: ArrayLike<number>,
  d: number,
  i: number,
  rows: number[],
  foldOf: Int32Array,
  f: number,
  kk: number,
  truth: Float64Array,
  labels: number[],
): void {
  const heap = new MaxHeap(kk);
  for (let u = 0; u < rows.length; u++) {
    if (foldOf[u] === f) continue;
    const j = rows[u];
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = Z[i * d + t] - Z[j * d + t];
      s += v * v;
    }
    heap.pushLex(u, s);
  }
  const ids = new Int32Array(kk);
  heap.drainSorted(ids, new Float64Array(kk), 0);
  labels.length = 0;
  for (const u of ids) labels.push(truth[u]);
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
