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
  // One embedding: stream the input side, nothing worth keeping.
  return new InputNeighborhoods(X, n, m, { ...options, cacheBytes: 0 }).scores(Y, d);
}

/** Options of {@link InputNeighborhoods}. */
export interface InputNeighborhoodsOptions extends NeighborhoodOptions {
  /**
   * Most bytes spent keeping every query's input-space ranks (2 bytes per
   * query and point up to n = 65,536, 4 above). Within it the input side is
   * computed once, by the first {@link InputNeighborhoods.scores} call; above
   * it every call recomputes it (same numbers, more time). Default 256 MiB.
   */
  cacheBytes?: number;
}

/**
 * The input (spectra) side of {@link trustworthinessContinuity} for several
 * embeddings of the same points: the k nearest input neighbours and the
 * input-space rank of every point, per query point. Computing these is
 * O(n^2 m), against O(n^2 d) for an embedding, so with m in the hundreds and
 * d of 2..4 it dominates; kept, each further embedding costs only its own
 * side. Scores equal trustworthinessContinuity's bit for bit (the penalties
 * are sums of the same integers).
 */
export class InputNeighborhoods {
  readonly k: number;
  readonly estimated: boolean;
  readonly queries: Int32Array;
  private readonly normsX: Float64Array;
  private readonly cache: boolean;
  /** queries.length x k nearest input neighbours, once computed. */
  private nnX?: Int32Array;
  /** queries.length x n: for query q and point j, how many points other than the query are strictly closer to it than j in input space. */
  private ranksX?: Uint16Array | Uint32Array;

  /**
   * @param X n x m input points, row-major; kept by reference, so leave it unchanged while this is in use
   */
  constructor(
    readonly X: ArrayLike<number>,
    readonly n: number,
    readonly m: number,
    options: InputNeighborhoodsOptions = {},
  ) {
    const k = options.k ?? 10;
    if (!(Number.isInteger(k) && k >= 1 && k < n / 2)) {
      throw new Error(`trustworthiness: k must be an integer in [1, n/2) (k = ${k}, n = ${n})`);
    }
    this.k = k;
    const exactLimit = options.exactLimit ?? 10_000;
    this.estimated = n > exactLimit;
    if (this.estimated) {
      const s = Math.min(n, options.sampleSize ?? 2000);
      this.queries = new Rng(options.seed ?? 0).permutation(n).subarray(0, s);
    } else {
      this.queries = new Int32Array(n);
      for (let i = 0; i < n; i++) this.queries[i] = i;
    }
    this.normsX = rowNorms(X, n, m);
    const bytes = this.queries.length * n * (n <= 65_536 ? 2 : 4);
    this.cache = bytes <= (options.cacheBytes ?? 256 * 2 ** 20);
  }

  /** Trustworthiness and continuity of the n x d embedding Y of these points. */
  scores(Y: ArrayLike<number>, d: number): NeighborhoodScores {
    const { X, n, m, k, queries } = this;
    if (this.cache && !this.ranksX) this.fill();
    const dx = this.ranksX ? undefined : new Float64Array(n);
    const dy = new Float64Array(n);
    let penaltyT = 0;
    let penaltyC = 0;
    for (let q = 0; q < queries.length; q++) {
      const i = queries[q];
      squaredDistancesPlain(Y, n, d, i, dy);
      const nnY = kSmallest(dy, k, i);
      let nnX: Int32Array;
      if (dx) {
        squaredDistances(X, n, m, i, this.normsX, dx);
        nnX = kSmallest(dx, k, i);
        penaltyT += rankPenalty(dx, i, nnY, nnX, k);
      } else {
        nnX = this.nnX!.subarray(q * k, (q + 1) * k);
        penaltyT += rankPenaltyFromRanks(this.ranksX!.subarray(q * n, (q + 1) * n), nnY, nnX, k);
      }
      penaltyC += rankPenalty(dy, i, nnX, nnY, k);
    }
    const scale = this.estimated ? n / queries.length : 1;
    const norm = 2 / (n * k * (2 * n - 3 * k - 1));
    return {
      trustworthiness: 1 - norm * penaltyT * scale,
      continuity: 1 - norm * penaltyC * scale,
      k,
      estimated: this.estimated,
      queries: queries.length,
    };
  }

  private fill(): void {
    const { X, n, m, k, queries } = this;
    const nnX = new Int32Array(queries.length * k);
    const ranksX = n <= 65_536 ? new Uint16Array(queries.length * n) : new Uint32Array(queries.length * n);
    const dx = new Float64Array(n);
    const sorted = new Float64Array(n - 1);
    for (let q = 0; q < queries.length; q++) {
      const i = queries[q];
      squaredDistances(X, n, m, i, this.normsX, dx);
      nnX.set(kSmallest(dx, k, i), q * k);
      // The query's own entry is left out, as rankPenalty skips it.
      sorted.set(dx.subarray(0, i));
      sorted.set(dx.subarray(i + 1), i);
      sorted.sort();
      const row = q * n;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        // Points strictly closer than j: the first sorted position holding a value >= dx[j].
        const v = dx[j];
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid] < v) lo = mid + 1;
          else hi = mid;
        }
        ranksX[row + j] = lo;
      }
    }
    this.nnX = nnX;
    this.ranksX = ranksX;
  }
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

/**
 * {@link rankPenalty} from precomputed ranks: `below[j]` counts the points
 * (self excluded) strictly closer than j, so j's rank is below[j] + 1.
 */
function rankPenaltyFromRanks(below: Uint16Array | Uint32Array, candidates: Int32Array, ownNn: Int32Array, k: number): number {
  const own = new Set(ownNn);
  let sum = 0;
  for (const j of candidates) if (!own.has(j)) sum += Math.max(0, below[j] + 1 - k);
  return sum;
}
