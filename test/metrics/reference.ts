// Brute-force references of the neighbourhood scores, shared by the metrics tests.
import { accuracy, weightedF1 } from '../../src/metrics/classification.js';
import { r2Score } from '../../src/metrics/knn-prediction.js';
import { Rng } from '../../src/util/random.js';

/**
 * Per-point penalties of the definition: Float64 squared input distances |x_i|^2 + |x_j|^2 - 2 x_i.x_j
 * (sums in index order), embedding distances summed in axis order, neighbours by (distance, index),
 * ranks counting strictly closer points.
 */
export function neighbourhoodPenalties(X: ArrayLike<number>, n: number, m: number, Y: ArrayLike<number>, d: number, k: number) {
  const norms = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let t = 0; t < m; t++) s += X[i * m + t] * X[i * m + t];
    return s;
  });
  const dx = (i: number, j: number) => {
    let dot = 0;
    for (let t = 0; t < m; t++) dot += X[i * m + t] * X[j * m + t];
    return Math.max(0, norms[i] + norms[j] - 2 * dot);
  };
  const dy = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (Y[i * d + t] - Y[j * d + t]) ** 2;
    return s;
  };
  const pt = new Float64Array(n);
  const pc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const rx = others.map((j) => dx(i, j));
    const ry = others.map((j) => dy(i, j));
    const nearest = (r: number[]) => others.map((j, a) => [r[a], j]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k).map((e) => e[1]);
    const nnX = nearest(rx);
    const nnY = nearest(ry);
    const rank = (r: number[], j: number) => 1 + r.filter((v) => v < r[others.indexOf(j)]).length;
    for (const j of nnY) if (!nnX.includes(j)) pt[i] += Math.max(0, rank(rx, j) - k);
    for (const j of nnX) if (!nnY.includes(j)) pc[i] += Math.max(0, rank(ry, j) - k);
  }
  return { pt, pc };
}

/** The scores from per-point penalties: all points, or the sample `queries` scaled to n with its standard error. */
export function scoresFromPenalties(p: { pt: Float64Array; pc: Float64Array }, n: number, k: number, queries?: Int32Array) {
  const norm = 2 / (n * k * (2 * n - 3 * k - 1));
  const pick = (a: Float64Array) => (queries ? Array.from(queries, (q) => a[q]) : Array.from(a));
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const T = pick(p.pt);
  const C = pick(p.pc);
  const Q = T.length;
  const scale = queries ? n / Q : 1;
  const out: Record<string, unknown> = {
    trustworthiness: 1 - norm * sum(T) * scale,
    continuity: 1 - norm * sum(C) * scale,
    k,
    estimated: !!queries,
    queries: Q,
  };
  if (queries) {
    const se = (a: number[]) => {
      const mean = sum(a) / Q;
      const v = a.reduce((s, x) => s + (x - mean) ** 2, 0) / (Q - 1);
      return norm * n * Math.sqrt((v / Q) * Math.max(0, 1 - Q / n));
    };
    out.standardError = { trustworthiness: se(T), continuity: se(C) };
  }
  return out;
}

/** kNN prediction the direct way: per fold, every training row sorted by (squared distance, index). */
export function bruteKnnPrediction(Z: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, o: { neighbors?: number; folds?: number; seed?: number; discrete?: boolean }) {
  const k = o.neighbors ?? 5;
  const folds = o.folds ?? 5;
  const rows = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(y[i]));
  const N = rows.length;
  const perm = new Rng(o.seed ?? 0).permutation(N);
  const foldOf = new Int32Array(N);
  for (let t = 0; t < N; t++) foldOf[perm[t]] = t % folds;
  const truth = Float64Array.from(rows, (i) => y[i]);
  const pred = new Float64Array(N);
  const perFold: number[] = [];
  for (let f = 0; f < folds; f++) {
    const test = [...Array(N).keys()].filter((t) => foldOf[t] === f);
    const train = [...Array(N).keys()].filter((t) => foldOf[t] !== f);
    const kk = Math.min(k, train.length);
    for (const t of test) {
      const dist = (u: number) => {
        let s = 0;
        for (let a = 0; a < d; a++) s += (Z[rows[t] * d + a] - Z[rows[u] * d + a]) ** 2;
        return s;
      };
      const labels = train.map((u) => [dist(u), u]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, kk).map((e) => truth[e[1]]);
      if (o.discrete) {
        const counts = new Map<number, number>();
        for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
        let best = NaN;
        let bestCount = -1;
        for (const [l, c] of counts) if (c > bestCount || (c === bestCount && l < best)) [best, bestCount] = [l, c];
        pred[t] = best;
      } else pred[t] = labels.reduce((s, v) => s + v, 0) / kk;
    }
    const yt = Float64Array.from(test, (t) => truth[t]);
    const yp = Float64Array.from(test, (t) => pred[t]);
    perFold.push(o.discrete ? accuracy(yt, yp) : r2Score(yt, yp));
  }
  if (o.discrete) return { kind: 'discrete', accuracy: accuracy(truth, pred), weightedF1: weightedF1(truth, pred), perFold, n: N };
  return { kind: 'continuous', r2: r2Score(truth, pred), perFold, n: N };
}
