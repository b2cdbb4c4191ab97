import { Rng } from '../util/random.js';

/**
 * k-means (Lloyd's iterations from k-means++ seeding, best of several
 * starts, as scikit-learn's KMeans) and the adjusted Rand index, to ask
 * whether clusters found in a latent space match discrete descriptors.
 */
export interface KMeansOptions {
  /** Seed of the k-means++ draws (default 0). */
  seed?: number;
  /** Independent starts; the lowest inertia wins (default 4). */
  nInit?: number;
  /** Lloyd iterations per start (default 300). */
  maxIter?: number;
  /** Stop when centres move less than this (squared, relative to data variance; default 1e-4 as sklearn). */
  tol?: number;
}

export interface KMeansResult {
  /** Cluster index of each row (0..k-1). */
  labels: Int32Array;
  /** k x d centres, row-major. */
  centers: Float64Array;
  /** Sum of squared distances to the assigned centre. */
  inertia: number;
  /** Lloyd iterations of the winning start. */
  iterations: number;
}

/**
 * @param X n x d points, row-major
 * @param k number of clusters (1 <= k <= n)
 */
export function kMeans(X: ArrayLike<number>, n: number, d: number, k: number, options: KMeansOptions = {}): KMeansResult {
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`kMeans: k must be in [1, n] (k = ${k}, n = ${n})`);
  const rng = new Rng(options.seed ?? 0);
  const nInit = options.nInit ?? 4;
  const maxIter = options.maxIter ?? 300;
  // sklearn scales tol by the mean per-feature variance.
  let variance = 0;
  for (let t = 0; t < d; t++) {
    let m = 0;
    let s = 0;
    for (let i = 0; i < n; i++) m += X[i * d + t];
    m /= n;
    for (let i = 0; i < n; i++) s += (X[i * d + t] - m) ** 2;
    variance += s / n;
  }
  const tol = (options.tol ?? 1e-4) * (variance / d);
  let best: KMeansResult | null = null;
  for (let run = 0; run < nInit; run++) {
    const centers = kMeansPlusPlus(X, n, d, k, rng);
    const labels = new Int32Array(n);
    let iterations = 0;
    let inertia = 0;
    for (let it = 0; it < maxIter; it++) {
      iterations = it + 1;
      inertia = assign(X, n, d, centers, k, labels);
      const sums = new Float64Array(k * d);
      const counts = new Int32Array(k);
      for (let i = 0; i < n; i++) {
        const c = labels[i];
        counts[c]++;
        for (let t = 0; t < d; t++) sums[c * d + t] += X[i * d + t];
      }
      let shift = 0;
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) continue; // empty cluster keeps its centre
        for (let t = 0; t < d; t++) {
          const v = sums[c * d + t] / counts[c];
          shift += (v - centers[c * d + t]) ** 2;
          centers[c * d + t] = v;
        }
      }
      if (shift <= tol) {
        inertia = assign(X, n, d, centers, k, labels);
        break;
      }
    }
    if (!best || inertia < best.inertia) best = { labels, centers, inertia, iterations };
  }
  return best!;
}

function assign(X: ArrayLike<number>, n: number, d: number, centers: Float64Array, k: number, labels: Int32Array): number {
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let bestC = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (X[i * d + t] - centers[c * d + t]) ** 2;
      if (s < bestD) {
        bestD = s;
        bestC = c;
      }
    }
    labels[i] = bestC;
    inertia += bestD;
  }
  return inertia;
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007) with sklearn's 2 + ln(k) local trials per centre. */
function kMeansPlusPlus(X: ArrayLike<number>, n: number, d: number, k: number, rng: Rng): Float64Array {
  const centers = new Float64Array(k * d);
  const first = rng.int(n);
  for (let t = 0; t < d; t++) centers[t] = X[first * d + t];
  const closest = new Float64Array(n);
  const dist2 = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (X[i * d + t] - X[j * d + t]) ** 2;
    return s;
  };
  let pot = 0;
  for (let i = 0; i < n; i++) pot += closest[i] = dist2(i, first);
  const trials = 2 + Math.floor(Math.log(k));
  for (let c = 1; c < k; c++) {
    let bestCand = -1;
    let bestPot = Infinity;
    let bestClosest: Float64Array | null = null;
    for (let t = 0; t < trials; t++) {
      let r = rng.uniform() * pot;
      let cand = n - 1;
      for (let i = 0; i < n; i++) {
        r -= closest[i];
        if (r < 0) {
          cand = i;
          break;
        }
      }
      const nc = new Float64Array(n);
      let p = 0;
      for (let i = 0; i < n; i++) p += nc[i] = Math.min(closest[i], dist2(i, cand));
      if (p < bestPot) {
        bestPot = p;
        bestCand = cand;
        bestClosest = nc;
      }
    }
    for (let t = 0; t < d; t++) centers[c * d + t] = X[bestCand * d + t];
    closest.set(bestClosest!);
    pot = bestPot;
  }
  return centers;
}

/** Adjusted Rand index (Hubert & Arabie 1985) between two labelings; 1 for identical partitions, ~0 for random. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`adjustedRandIndex: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  const ia = new Map<number, number>();
  const ib = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (!ia.has(a[i])) ia.set(a[i], ia.size);
    if (!ib.has(b[i])) ib.set(b[i], ib.size);
  }
  const R = ia.size;
  const C = ib.size;
  const table = new Float64Array(R * C);
  const rowSum = new Float64Array(R);
  const colSum = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const r = ia.get(a[i])!;
    const c = ib.get(b[i])!;
    table[r * C + c]++;
    rowSum[r]++;
    colSum[c]++;
  }
  const comb2 = (x: number) => (x * (x - 1)) / 2;
  let sumComb = 0;
  for (const v of table) sumComb += comb2(v);
  let sumA = 0;
  let sumB = 0;
  for (const v of rowSum) sumA += comb2(v);
  for (const v of colSum) sumB += comb2(v);
  const expected = (sumA * sumB) / comb2(n);
  const max = (sumA + sumB) / 2;
  // sklearn: identical trivial partitions (both one cluster, or both singletons) score 1.
  if (max === expected) return 1;
  return (sumComb - expected) / (max - expected);
}
