import { gemmAddon, sgemm } from '../reducers/gemm.js';
import { KdTree, type NeighbourLists } from '../reducers/kdtree.js';
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
 * neighbourhood preservation. Ranks count the points strictly closer (ties
 * share the better rank); the k nearest of a point are taken by distance,
 * ties by the smaller index.
 */
export interface NeighborhoodOptions {
  /** Neighbourhood size k (default 10; must be < n/2 as in scikit-learn). */
  k?: number;
  /**
   * Up to this many points the sums run over every point. Above it, they run
   * over `sampleSize` points drawn with `seed` (each still ranked against all
   * n points), and the mean per-point penalty is scaled to n: an unbiased
   * estimate of the full sum, reported with its standard error. Default 10,000.
   */
  exactLimit?: number;
  /** Query points for the estimate above exactLimit (default 2,000). */
  sampleSize?: number;
  /** Seed of the query sample (default 0). */
  seed?: number;
  /**
   * false keeps the per-query work in JavaScript; by default the native
   * addon does it where built (float32 spectra and embeddings), with the same
   * integers (tests compare the two).
   */
  native?: boolean;
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
  /**
   * Estimates only: standard errors of the two values from the spread of the
   * per-point penalties over the sampled points (sampling without
   * replacement, finite-population corrected).
   */
  standardError?: { trustworthiness: number; continuity: number };
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
  return new InputNeighborhoods(X, n, m, options).scores(Y, d);
}

/**
 * The input (spectra) side of {@link trustworthinessContinuity}, kept for
 * several embeddings of the same points.
 *
 * How the input side stays exact and cheap: the squared distances of a
 * block of query points to all points come from one single-precision matrix
 * product (OpenBLAS sgemm with the native addon) of the centred spectra,
 * with a rigorous bound on their error against the Float64 distances
 * |x_i|^2 + |x_j|^2 - 2 x_i.x_j that define the ranks. Every comparison the
 * bound cannot decide (a handful of points per query) is settled by the
 * Float64 distance itself, so input neighbours and ranks are exactly those
 * of the Float64 computation, at the cost of a matrix product instead of
 * O(n^2 m) scalar work. Each query's k nearest input neighbours are kept
 * after the first embedding; later embeddings need an input row only for the
 * queries whose embedding neighbours leave them.
 */
export class InputNeighborhoods {
  readonly k: number;
  readonly estimated: boolean;
  readonly queries: Int32Array;
  /** Float64 squared norms of the rows of X (the exact distances' terms). */
  private readonly norms: Float64Array;
  /** queries.length x k nearest input neighbours, once computed. */
  private nnX?: Int32Array;
  private approx?: ApproxDistances;
  private readonly native: boolean;

  /**
   * @param X n x m input points, row-major; kept by reference, so leave it unchanged while this is in use
   */
  constructor(
    readonly X: ArrayLike<number>,
    readonly n: number,
    readonly m: number,
    options: NeighborhoodOptions = {},
  ) {
    const k = options.k ?? 10;
    if (!(Number.isInteger(k) && k >= 1 && k < n / 2)) {
      throw new Error(`trustworthiness: k must be an integer in [1, n/2) (k = ${k}, n = ${n})`);
    }
    this.k = k;
    const exactLimit = options.exactLimit ?? 10_000;
    this.estimated = n > exactLimit;
    if (this.estimated) {
      // A sample of n or more is every point (in the seed's order).
      this.queries = new Rng(options.seed ?? 0).permutation(n).subarray(0, options.sampleSize ?? 2000);
    } else {
      this.queries = new Int32Array(n);
      for (let i = 0; i < n; i++) this.queries[i] = i;
    }
    this.norms = rowNorms(X, n, m);
    this.native = options.native ?? true;
  }

  /**
   * Trustworthiness and continuity of the n x d embedding Y of these points.
   * @param neighbours every row's nearest rows in Y as {@link embeddingNeighbours}
   *   gives them (at least k per row); computed here when absent
   */
  scores(Y: ArrayLike<number>, d: number, neighbours?: NeighbourLists): NeighborhoodScores {
    const { n, k, queries } = this;
    const Q = queries.length;
    const nnY = embeddingQueryNeighbours(Y, n, d, k, queries, neighbours);
    const firstCall = !this.nnX;
    const nnX = (this.nnX ??= new Int32Array(Q * k));
    const penaltyT = new Float64Array(Q);
    const penaltyC = new Float64Array(Q);
    // Input rows are needed to find the input neighbours (first embedding) and to rank embedding neighbours outside them.
    const need: number[] = [];
    for (let q = 0; q < Q; q++) {
      if (firstCall || outside(nnY, nnX, q * k, k).length > 0) need.push(q);
    }
    const nat = this.native ? gemmAddon() : null;
    if (need.length > 0) {
      this.approx ??= new ApproxDistances(this.X, this.n, this.m, this.norms);
      this.approx.penalties(queries, need, nnY, nnX, firstCall, k, penaltyT, nat);
    }
    if (nat?.continuityRows && Y instanceof Float32Array) {
      nat.continuityRows(Y, n, d, Q, queries, nnX, nnY, k, penaltyC);
    } else {
      const dy = new Float64Array(n);
      for (let q = 0; q < Q; q++) {
        const V = outside(nnX, nnY, q * k, k);
        if (V.length === 0) continue;
        const i = queries[q];
        squaredDistancesPlain(Y, n, d, i, dy);
        penaltyC[q] = rankPenalty(dy, i, V, k);
      }
    }
    const norm = 2 / (n * k * (2 * n - 3 * k - 1));
    const scale = this.estimated ? n / Q : 1;
    const out: NeighborhoodScores = {
      trustworthiness: 1 - norm * sum(penaltyT) * scale,
      continuity: 1 - norm * sum(penaltyC) * scale,
      k,
      estimated: this.estimated,
      queries: Q,
    };
    if (this.estimated) {
      // Var of n * mean over a sample of Q of n points without replacement.
      const fpc = Math.max(0, 1 - Q / n);
      const se = (p: Float64Array) => (Q > 1 ? norm * n * Math.sqrt((sampleVariance(p) / Q) * fpc) : NaN);
      out.standardError = { trustworthiness: se(penaltyT), continuity: se(penaltyC) };
    }
    return out;
  }
}

/**
 * Every row's K nearest rows in an embedding (itself excluded), nearest
 * first, ties by index: the one neighbour search that trustworthiness,
 * continuity and the kNN prediction scores share.
 */
export function embeddingNeighbours(Y: ArrayLike<number>, n: number, d: number, K: number): NeighbourLists {
  return new KdTree(Y, n, d).allKnn(K);
}

/** Queries x k nearest embedding neighbours, from `lists` when they hold at least k per row. */
function embeddingQueryNeighbours(
  Y: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  queries: Int32Array,
  lists?: NeighbourLists,
): Int32Array {
  const out = new Int32Array(queries.length * k);
  if (lists && lists.k >= k && lists.indices.length === n * lists.k) {
    for (let q = 0; q < queries.length; q++) {
      const off = queries[q] * lists.k;
      out.set(lists.indices.subarray(off, off + k), q * k);
    }
    return out;
  }
  const tree = new KdTree(Y, n, d);
  const heap = new MaxHeap(k);
  const stack = tree.newStack();
  const dist = new Float64Array(k);
  for (let q = 0; q < queries.length; q++) {
    const i = queries[q];
    tree.search(Y, i * d, i, heap, stack);
    heap.drainSorted(out, dist, q * k);
  }
  return out;
}

/** Members of a[off .. off + k) that are not in b[off .. off + k). */
function outside(a: Int32Array, b: Int32Array, off: number, k: number): number[] {
  const out: number[] = [];
  for (let s = off; s < off + k; s++) {
    const j = a[s];
    let found = false;
    for (let t = off; t < off + k; t++) {
      if (b[t] === j) {
        found = true;
        break;
      }
    }
    if (!found) out.push(j);
  }
  return out;
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function sampleVariance(a: Float64Array): number {
  const mean = sum(a) / a.length;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - mean) ** 2;
  return s / (a.length - 1);
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

/** float32 unit roundoff and the smallest subnormal. */
const U32 = 2 ** -24;
const TINY32 = 2 ** -149;
const U64 = 2 ** -53;

/**
 * Squared input distances of query rows to all rows, from a single-precision
 * matrix product of the centred, power-of-two-scaled spectra, each with an
 * interval [lo, hi] that is guaranteed to contain the Float64 distance
 * max(0, |x_i|^2 + |x_j|^2 - 2 x_i.x_j) (Float64 sums in index order) that
 * defines the ranks. The bound adds, with a safety factor of 2:
 * - the float32 rounding of the centred, scaled spectra (<= 2u(|c_i| + |c_j|)^2);
 * - the float32 dot product, any summation order (<= gamma_m |c_i||c_j|,
 *   Higham's bound, which holds for blocked and FMA kernels);
 * - the Float64 rounding of both this and the reference computation;
 * - float32 underflow, as an absolute term.
 */
class ApproxDistances {
  /** n x m float32 (x - mean) * 2^-e, |entries| <= 1. */
  private readonly Xc: Float32Array;
  /** Float64 |row|^2 of Xc, and its square root. */
  private readonly cn: Float64Array;
  private readonly cs: Float64Array;
  /** 2^(2e): scaled squared distances times this are in the units of X. */
  private readonly unscale: number;
  private readonly k1: number;
  private readonly k2: number;
  private readonly tiny: number;

  constructor(
    private readonly X: ArrayLike<number>,
    private readonly n: number,
    private readonly m: number,
    private readonly norms: Float64Array,
  ) {
    const mean = new Float64Array(m);
    for (let i = 0; i < n; i++) for (let t = 0; t < m; t++) mean[t] += X[i * m + t];
    for (let t = 0; t < m; t++) mean[t] /= n;
    let maxAbs = 0;
    for (let i = 0; i < n; i++)
      for (let t = 0; t < m; t++) {
        const v = Math.abs(X[i * m + t] - mean[t]);
        if (v > maxAbs) maxAbs = v;
      }
    const e = maxAbs > 0 ? Math.ceil(Math.log2(maxAbs)) : 0;
    const scale = 2 ** -e;
    this.unscale = 2 ** (2 * e);
    this.Xc = new Float32Array(n * m);
    for (let i = 0; i < n; i++) for (let t = 0; t < m; t++) this.Xc[i * m + t] = (X[i * m + t] - mean[t]) * scale;
    this.cn = rowNorms(this.Xc, n, m);
    this.cs = this.cn.map(Math.sqrt);
    const gamma32 = (m * U32) / (1 - m * U32);
    this.k1 = 2 * 1.01 * (gamma32 / 2 + 2.0001 * (U32 + 2 * U64) + (2 * m + 4) * U64);
    this.k2 = 2 * 1.01 * (2 * m + 6) * U64;
    this.tiny = 8 * m * TINY32;
  }

  /**
   * For the listed queries (indices into `queries`), in blocks of one
   * matrix product each: their k nearest input neighbours into nnX (when
   * `findNearest`; else nnX is read) and the trustworthiness penalty of
   * their embedding neighbours nnY outside them into `penalty`. With the
   * addon (float32 spectra), its trustRows does the rows: the same integers.
   */
  penalties(
    queries: Int32Array,
    need: number[],
    nnY: Int32Array,
    nnX: Int32Array,
    findNearest: boolean,
    k: number,
    penalty: Float64Array,
    nat: ReturnType<typeof gemmAddon>,
  ): void {
    const { n, m, Xc, X } = this;
    const useC = nat?.trustRows && X instanceof Float32Array ? nat : null;
    const B = Math.max(1, Math.min(need.length, Math.floor((1 << 23) / n), 512));
    const A = new Float32Array(B * m);
    const dots = new Float32Array(B * n);
    const row = new InputRow(this, n);
    const rowIndex = new Int32Array(B);
    const yb = new Int32Array(B * k);
    const xb = new Int32Array(B * k);
    const pb = new Float64Array(B);
    for (let b0 = 0; b0 < need.length; b0 += B) {
      const rows = Math.min(B, need.length - b0);
      for (let r = 0; r < rows; r++) {
        const i = queries[need[b0 + r]];
        A.set(Xc.subarray(i * m, (i + 1) * m), r * m);
      }
      sgemm(A, Xc, dots, rows, n, m, false, true);
      if (useC) {
        for (let r = 0; r < rows; r++) {
          const q = need[b0 + r];
          rowIndex[r] = queries[q];
          yb.set(nnY.subarray(q * k, (q + 1) * k), r * k);
          xb.set(nnX.subarray(q * k, (q + 1) * k), r * k);
        }
        useC.trustRows!(dots, rows, n, rowIndex, this.cn, this.cs, this.norms, this.unscale, this.k1, this.k2, this.tiny, X as Float32Array, m, k, yb, xb, findNearest ? 1 : 0, pb);
        for (let r = 0; r < rows; r++) {
          const q = need[b0 + r];
          nnX.set(xb.subarray(r * k, (r + 1) * k), q * k);
          penalty[q] = pb[r];
        }
        continue;
      }
      for (let r = 0; r < rows; r++) {
        const q = need[b0 + r];
        row.load(queries[q], dots, r * n);
        if (findNearest) nnX.set(row.nearest(k), q * k);
        const U = outside(nnY, nnX, q * k, k);
        penalty[q] = U.length ? row.rankPenalty(U, k) : 0;
      }
    }
  }

  /** Fills lo/hi with the interval of every point's distance to i (dots: Xc_i . Xc_j, from off). */
  intervals(i: number, dots: Float32Array, off: number, lo: Float64Array, hi: Float64Array): void {
    const { n, cn, cs, norms, unscale, k1, k2, tiny } = this;
    const ci = cn[i];
    const si = cs[i];
    const ni = norms[i];
    for (let j = 0; j < n; j++) {
      const a = (ci + cn[j] - 2 * dots[off + j]) * unscale;
      const s = si + cs[j];
      const err = (k1 * s * s + tiny) * unscale + k2 * (ni + norms[j]);
      lo[j] = a - err;
      hi[j] = a + err;
    }
  }

  /** The Float64 squared distance that defines ranks: max(0, |x_i|^2 + |x_j|^2 - 2 x_i.x_j), sums in index order. */
  exact(i: number, j: number): number {
    if (i === j) return 0;
    const { X, m, norms } = this;
    let dot = 0;
    for (let t = 0, pi = i * m, pj = j * m; t < m; t++) dot += X[pi + t] * X[pj + t];
    return Math.max(0, norms[i] + norms[j] - 2 * dot);
  }
}

/** One query's input-distance intervals, and the exact answers derived from them. */
class InputRow {
  private i = -1;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly heap: MaxHeap;

  constructor(
    private readonly src: ApproxDistances,
    private readonly n: number,
  ) {
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    this.heap = new MaxHeap(0);
  }

  load(i: number, dots: Float32Array, off: number): void {
    this.i = i;
    this.src.intervals(i, dots, off, this.lo, this.hi);
  }

  /** The k nearest points to i (itself excluded) by exact distance, ties by index, nearest first. */
  nearest(k: number): Int32Array {
    const { i, n, lo, hi } = this;
    // The k-th smallest upper bound caps the k-th exact distance: only points whose lower bound reaches it can be among the k.
    const heap = new MaxHeap(k);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const h = hi[j] > 0 ? hi[j] : 0;
      if (heap.size < k || h < heap.top()) heap.push(j, h);
    }
    const cap = heap.top();
    heap.clear();
    for (let j = 0; j < n; j++) {
      if (j === i || lo[j] > cap) continue;
      heap.pushLex(j, this.src.exact(i, j));
    }
    const ids = new Int32Array(k);
    heap.drainSorted(ids, new Float64Array(k), 0);
    return ids;
  }

  /** Sum over the candidates of max(0, rank - k), ranks by exact distance to i (rank 1 = nearest; ties share the better rank). */
  rankPenalty(candidates: number[], k: number): number {
    const { i, n, lo, hi, src } = this;
    const ref = candidates.map((j) => src.exact(i, j)).sort((a, b) => a - b);
    const L = ref.length;
    const top = ref[L - 1];
    // closer[c] - closer[c - 1] counts the points closer than candidate c but not than c - 1 (a difference array).
    const closer = new Float64Array(L + 1);
    for (let j = 0; j < n; j++) {
      const l = lo[j];
      if (j === i || l >= top) continue;
      // Candidates above max(hi, 0) have j strictly closer (a candidate at 0 has nothing closer, though hi may be negative).
      const h = hi[j] > 0 ? hi[j] : 0;
      const a = firstAbove(ref, h);
      closer[a]++;
      // Candidates in (lo, h] need j's exact distance.
      let c = firstAbove(ref, l);
      if (c < a) {
        const exact = src.exact(i, j);
        for (; c < a; c++) {
          if (exact < ref[c]) {
            closer[c]++;
            closer[c + 1]--;
          }
        }
      }
    }
    return penaltyFromCounts(closer, L, k);
  }
}

/**
 * Sum over L candidates (ascending by distance) of max(0, rank - k), where
 * counts[0 .. c] sums to the points strictly closer than candidate c (so
 * its rank is that + 1). A candidate with rank <= k outside the k nearest
 * (a tie) adds nothing, as in scikit-learn.
 */
function penaltyFromCounts(counts: Float64Array, L: number, k: number): number {
  let s = 0;
  let acc = 0;
  for (let c = 0; c < L; c++) {
    acc += counts[c];
    s += Math.max(0, acc + 1 - k);
  }
  return s;
}

/** The first index c of ascending `a` with a[c] > v (a.length when none). */
function firstAbove(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
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

/**
 * Sum of (rank - k) over `candidates`, ranks taken in the space whose
 * distances to `self` are `dist` (rank 1 = nearest, the point itself
 * excluded). Ranks count strictly closer points, so ties share the better rank.
 */
function rankPenalty(dist: Float64Array, self: number, candidates: number[], k: number): number {
  const outsideD = candidates.map((j) => dist[j]).sort((a, b) => a - b);
  const L = outsideD.length;
  const below = new Float64Array(L);
  for (let j = 0; j < dist.length; j++) {
    if (j === self || dist[j] >= outsideD[L - 1]) continue;
    // Every candidate from the first one beyond dist[j] on has j strictly closer.
    below[firstAbove(outsideD, dist[j])]++;
  }
  return penaltyFromCounts(below, L, k);
}
