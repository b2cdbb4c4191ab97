import { MaxHeap } from '../reducers/vptree.js';
import { Rng } from '../util/random.js';

/**
 * Trustworthiness and continuity (Venna & Kaski 2001) of an embedding, with
 * scikit-learn's definition (sklearn.manifold.trustworthiness):
 *
 *   T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i} (r(i, j) - k)
 *
 * where U_i are the k nearest neighbours of i in the embedding that are not
 * among its k nearest in the input, and r(i, j) is j's rank among i's input
 * neighbours. Continuity swaps the two spaces. Both are 1 for a perfect
 * neighbourhood preservation.
 */
export interface NeighborhoodOptions {
  /** Neighbourhood size k (default 10; must be < n/2 as in scikit-learn). */
  k?: number;
  /**
   * Up to this many points the sums run over every point (O(n^2 m) time).
   * Above it, they run over `sampleSize` points drawn with `seed` (each still
   * ranked against all n points), and the mean per-point penalty is scaled
   * to n: an unbiased estimate of the full sum. Default 10,000.
   */
  exactLimit?: number;
  /** Query points for the estimate above exactLimit (default 2,000). */
  sampleSize?: number;
  /** Seed of the query sample (default 0). */
  seed?: number;
}

/** Result of {@link trustworthinessContinuity}. */
export interface NeighborhoodScores {
  trustworthiness: number;
  continuity: number;
  k: number;
  /** True when the values are estimates from a sample of query points. */
  estimated: boolean;
  /** Number of query points used. */
  queries: number;
}

/**
 * @param X n x m input points (spectra), row-major
 * @param m input dimension
 * @param Y n x d embedding, row-major
 * @param d embedding dimension
 */
export function trustworthinessContinuity(
  X: ArrayLike<number>,
  n: number,
  m: number,
  Y: ArrayLike<number>,
  d: number,
  options: NeighborhoodOptions = {},
): NeighborhoodScores {
  const k = options.k ?? 10;
  if (!(Number.isInteger(k) && k >= 1 && k < n / 2)) {
    throw new Error(`trustworthiness: k must be an integer in [1, n/2) (k = ${k}, n = ${n})`);
  }
  const exactLimit = options.exactLimit ?? 10_000;
  let queries: Int32Array;
  const estimated = n > exactLimit;
  if (estimated) {
    const s = Math.min(n, options.sampleSize ?? 2000);
    queries = new Rng(options.seed ?? 0).permutation(n).subarray(0, s);
  } else {
    queries = new Int32Array(n);
    for (let i = 0; i < n; i++) queries[i] = i;
  }
  const normsX = rowNorms(X, n, m);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  let penaltyT = 0;
  let penaltyC = 0;
  for (const i of queries) {
    squaredDistances(X, n, m, i, normsX, dx);
    squaredDistancesPlain(Y, n, d, i, dy);
    const nnX = kSmallest(dx, k, i);
    const nnY = kSmallest(dy, k, i);
    penaltyT += rankPenalty(dx, i, nnY, nnX, k);
    penaltyC += rankPenalty(dy, i, nnX, nnY, k);
  }
  const scale = estimated ? n / queries.length : 1;
  const norm = 2 / (n * k * (2 * n - 3 * k - 1));
  return {
    trustworthiness: 1 - norm * penaltyT * scale,
    continuity: 1 - norm * penaltyC * scale,
    k,
    estimated,
    queries: queries.length,
  };
}

function rowNorms(X: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * m, e = j + m; j < e; j++) s += X[j] * X[j];
    out[i] = s;
  }
  return out;
}

/** Squared distances from row i to every row via |a|^2 + |b|^2 - 2 a.b (one multiply-add per element). */
function squaredDistances(X: ArrayLike<number>, n: number, m: number, i: number, norms: Float64Array, out: Float64Array): void {
  const xi = new Float64Array(m);
  for (let t = 0; t < m; t++) xi[t] = X[i * m + t];
  for (let j = 0; j < n; j++) {
    let dot = 0;
    const pj = j * m;
    for (let t = 0; t < m; t++) dot += xi[t] * X[pj + t];
    out[j] = Math.max(0, norms[i] + norms[j] - 2 * dot);
  }
  out[i] = 0;
}

function squaredDistancesPlain(Y: ArrayLike<number>, n: number, d: number, i: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const u = Y[i * d + t] - Y[j * d + t];
      s += u * u;
    }
    out[j] = s;
  }
}

/** Indices of the k smallest entries of dist, skipping `self`, nearest first (ties by index). */
export function kSmallest(dist: Float64Array, k: number, self: number): Int32Array {
  const heap = new MaxHeap(k);
  for (let j = 0; j < dist.length; j++) {
    if (j === self) continue;
    if (heap.size < k || dist[j] < heap.top()) heap.push(j, dist[j]);
  }
  return heap.sorted().indices;
}

/**
 * Sum of (rank - k) over the members of `candidates` that are not in `ownNn`,
 * ranks taken in the space whose distances are `dist` (rank 1 = nearest,
 * the point itself excluded). Ranks count strictly closer points, so ties
 * share the better rank.
 */
function rankPenalty(dist: Float64Array, self: number, candidates: Int32Array, ownNn: Int32Array, k: number): number {
  const own = new Set(ownNn);
  const outside: number[] = [];
  for (const j of candidates) if (!own.has(j)) outside.push(dist[j]);
  if (outside.length === 0) return 0;
  outside.sort((a, b) => a - b);
  // counts[c] = points with distance in [outside[c-1], outside[c]) ... counted by binary search.
  const below = new Float64Array(outside.length);
  const L = outside.length;
  for (let j = 0; j < dist.length; j++) {
    if (j === self) continue;
    const v = dist[j];
    if (v >= outside[L - 1]) continue;
    // first c with outside[c] > v: every candidate from c on has v strictly closer
    let lo = 0;
    let hi = L - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (outside[mid] > v) hi = mid;
      else lo = mid + 1;
    }
    below[lo]++;
  }
  let acc = 0;
  let sum = 0;
  for (let c = 0; c < L; c++) {
    acc += below[c];
    // Ties can leave a point outside the kNN set with rank <= k; like scikit-learn, only positive excess counts.
    sum += Math.max(0, acc + 1 - k);
  }
  return sum;
}
