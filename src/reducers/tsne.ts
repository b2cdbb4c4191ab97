import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { BhTree } from './bhtree.js';
import { NeighbourSpace } from './neighbour-space.js';
import { Pca } from './pca.js';
import { BaseReducer, decodeF32, encodeArray, numParam, type ReducerParams } from './reducer.js';
import { gemmAddon } from './gemm.js';
import { FFT_GRID_DEFAULTS, FftRepulsion } from './tsne-fft.js';
import { isFftSize } from './fft.js';
import { ParallelRepulsion } from './tsne-parallel.js';
import { availableParallelism } from 'node:os';

/** t-SNE parameters; defaults follow scikit-learn's TSNE (method="barnes_hut"). */
export interface TsneParams extends ReducerParams {
  /** Embedding dimension, 1 to 3 (Barnes-Hut trees; default 2). */
  nComponents: number;
  /** Effective number of neighbours (default 30); must be < n. */
  perplexity: number;
  /** Factor on P during the first `exaggerationIter` iterations (default 12). */
  earlyExaggeration: number;
  /** Iterations with early exaggeration and momentum 0.5 (default 250). */
  exaggerationIter: number;
  /** Step size; "auto" = max(n / earlyExaggeration / 4, 50) as scikit-learn. */
  learningRate: number | 'auto';
  /**
   * Total gradient-descent iterations, early exaggeration included; "auto"
   * (default) = the peer of the method that runs: 1000 with Barnes-Hut
   * (scikit-learn's TSNE), 750 with FFT (openTSNE: 250 exaggerated + 500).
   */
  maxIter: number | 'auto';
  /**
   * How the repulsive forces are computed: "bh" (Barnes-Hut tree, accuracy
   * `theta`), "fft" (interpolation on a grid and FFT convolution, FIt-SNE;
   * 1 or 2 components), or "auto" (default): fft from
   * {@link TSNE_FFT_MIN_N} spectra on with at most 2 components, else bh
   * (openTSNE's rule). summary().method says which ran.
   */
  method: 'auto' | 'bh' | 'fft';
  /** Barnes-Hut accuracy: 0 = exact repulsion, larger is faster and coarser (default 0.5). */
  theta: number;
  /** Initial layout: PCA scores scaled to std 1e-4 (default), or N(0, 1e-4^2). */
  init: 'pca' | 'random';
  /** Neighbour search and affinities run on this many principal components of the spectra (0 = raw spectra; default 50). */
  pcaDims: number;
  /** Stop when the gradient norm falls below this (default 1e-7). */
  minGradNorm: number;
  /** Seed of the random initialization (default 0). */
  seed: number;
  /**
   * Worker threads for the Barnes-Hut repulsion; 0 (default) = automatic:
   * one thread below 5,000 spectra, else the available cores up to 8.
   * Every force is computed as with one thread; only Z is summed in another
   * order, so embeddings agree to rounding at first and, as with any change
   * of floating-point order, may drift apart over the iterations.
   */
  threads: number;
  /**
   * The FFT method's grid (openTSNE's defaults): interpolation nodes per box
   * and axis (default 3; 2, 3, 4, 6, 8 or 9), fewest boxes per axis (default
   * 50) and boxes per unit of embedding length (default 1). Fewer nodes or
   * boxes are faster and coarser: the grid's cost grows with
   * (fftNodes x fftBoxesPerUnit x the embedding's extent)^2.
   */
  fftNodes: number;
  fftMinBoxes: number;
  fftBoxesPerUnit: number;
}

/** Iterations of maxIter "auto": scikit-learn's with Barnes-Hut, openTSNE's with FFT. */
export const TSNE_BH_ITERATIONS = 1000;
export const TSNE_FFT_ITERATIONS = 750;

/** From this many spectra on, method "auto" uses the FFT repulsion (openTSNE's threshold). */
export const TSNE_FFT_MIN_N = 10_000;

/** Symmetric joint probabilities in CSR form (rows sum to the row's share of 1). */
export interface SparseP {
  n: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}

/**
 * Barnes-Hut t-SNE (van der Maaten 2014) with the optimizer of
 * scikit-learn's TSNE: perplexity-calibrated affinities on the 3*perplexity
 * nearest neighbours (exact: blocked GEMM brute force with the native addon, else a
 * vantage-point tree, on `pcaDims` principal components), symmetrized sparse P, early exaggeration, momentum 0.5 ->
 * 0.8, per-coordinate gains, and automatic learning rate.
 *
 * Out-of-sample transform (t-SNE has none of its own): a new spectrum is
 * placed at the weighted mean of the embeddings of its 3*perplexity nearest
 * training spectra, with weights the perplexity-calibrated Gaussian
 * conditional probabilities p_{j|new} used in fitting. This keeps new points
 * in their neighbours' cluster but does not re-optimize the layout.
 */
export class Tsne extends BaseReducer<TsneParams> {
  readonly name = 'tsne';
  /** Where neighbours are searched (principal components of the training spectra). */
  private space: NeighbourSpace | null = null;
  /** Training embedding (n x nComponents). */
  embedding: Float32Array = new Float32Array(0);
  private info: Record<string, unknown> = {};
  /** Progress hook, called every 50 iterations with the iteration index, the gradient norm and the iterations planned. */
  onProgress?: (iteration: number, gradNorm: number, total: number) => void;

  constructor(params: Partial<TsneParams> = {}) {
    const lr = params.learningRate ?? 'auto';
    const maxIter = params.maxIter ?? 'auto';
    if (maxIter !== 'auto') numParam(maxIter, 1000, 'maxIter', { int: true, min: 1 });
    if (lr !== 'auto') numParam(lr, 200, 'learningRate', { gt: 0 });
    const init = params.init ?? 'pca';
    if (init !== 'pca' && init !== 'random') throw new UserError(`expected "pca" or "random" (got ${JSON.stringify(init)})`, 'params.init');
    const method = params.method ?? 'auto';
    if (method !== 'auto' && method !== 'bh' && method !== 'fft') {
      throw new UserError(`expected "auto", "bh" or "fft" (got ${JSON.stringify(method)})`, 'params.method');
    }
    if (params.fftNodes !== undefined && !isFftSize(params.fftNodes)) {
      throw new UserError(`expected a count of the form 2^a 3^b 5^c, e.g. 2, 3, 4, 5, 6 (got ${JSON.stringify(params.fftNodes)})`, 'params.fftNodes');
    }
    if (method === 'fft' && (params.nComponents ?? 2) > 2) {
      throw new UserError(`the fft method embeds into 1 or 2 components (got ${params.nComponents}); use method "bh" for 3`, 'params.method');
    }
    super({
      nComponents: numParam(params.nComponents, 2, 'nComponents', { int: true, min: 1, max: 3 }),
      perplexity: numParam(params.perplexity, 30, 'perplexity', { gt: 0 }),
      earlyExaggeration: numParam(params.earlyExaggeration, 12, 'earlyExaggeration', { min: 1 }),
      exaggerationIter: numParam(params.exaggerationIter, 250, 'exaggerationIter', { int: true, min: 0 }),
      learningRate: lr,
      maxIter,
      method,
      theta: numParam(params.theta, 0.5, 'theta', { min: 0 }),
      init,
      pcaDims: numParam(params.pcaDims, 50, 'pcaDims', { int: true, min: 0 }),
      minGradNorm: numParam(params.minGradNorm, 1e-7, 'minGradNorm', { min: 0 }),
      seed: numParam(params.seed, 0, 'seed', { int: true, min: 0 }),
      threads: numParam(params.threads, 0, 'threads', { int: true, min: 0 }),
      fftNodes: numParam(params.fftNodes, FFT_GRID_DEFAULTS.nodes, 'fftNodes', { int: true, min: 2, max: 9 }),
      fftMinBoxes: numParam(params.fftMinBoxes, FFT_GRID_DEFAULTS.minBoxes, 'fftMinBoxes', { int: true, min: 1, max: 2000 }),
      fftBoxesPerUnit: numParam(params.fftBoxesPerUnit, FFT_GRID_DEFAULTS.boxesPerUnit, 'fftBoxesPerUnit', { gt: 0, max: 100 }),
    });
  }

  protected override checkSize(n: number): void {
    if (this.params.perplexity >= n) {
      throw new UserError(`perplexity (${this.params.perplexity}) must be less than the number of spectra (${n})`, 'params.perplexity');
    }
  }

  protected fitImpl(X: Float32Array, n: number, m: number): Float32Array {
    const P = this.params;
    const d = P.nComponents;
    const space = NeighbourSpace.fit(X, n, m, P.pcaDims);
    this.space = space;
    const K = Math.min(n - 1, Math.floor(3 * P.perplexity));
    const knnRes = space.knn(K);
    const cond = conditionalP(knnRes.distances, n, K, P.perplexity);
    const Psym = symmetrize(knnRes.indices, cond, n, K);
    // The optimization runs on the points in graph order (neighbours near in memory); Y stays in the input's order.
    const order = graphOrder(Psym);
    const Pj = permuteSparse(Psym, order);
    // Initial layout.
    const Y: Float64Array = new Float64Array(n * d);
    if (P.init === 'pca') {
      const init = space.pca
        ? takeColumns(space.points, n, space.dims, d)
        : new Pca({ nComponents: d }).fitTransform(X, n, m);
      let mean = 0;
      let sd = 0;
      for (let i = 0; i < n; i++) mean += init[i * d];
      mean /= n;
      for (let i = 0; i < n; i++) sd += (init[i * d] - mean) ** 2;
      sd = Math.sqrt(sd / n) || 1;
      for (let i = 0; i < n * d; i++) Y[i] = (init[i] / sd) * 1e-4;
    } else {
      const rng = new Rng(P.seed);
      for (let i = 0; i < n * d; i++) Y[i] = 1e-4 * rng.normal();
    }
    const lr = P.learningRate === 'auto' ? Math.max(n / P.earlyExaggeration / 4, 50) : P.learningRate;
    const method = P.method === 'auto' ? (n >= TSNE_FFT_MIN_N && d <= 2 ? 'fft' : 'bh') : P.method;
    const maxIter = P.maxIter !== 'auto' ? P.maxIter : method === 'fft' ? TSNE_FFT_ITERATIONS : TSNE_BH_ITERATIONS;
    const fft = method === 'fft' ? new FftRepulsion(d, { nodes: P.fftNodes, minBoxes: P.fftMinBoxes, boxesPerUnit: P.fftBoxesPerUnit }) : null;
    const threads = fft ? 1 : P.threads > 0 ? P.threads : n < 5000 ? 1 : Math.min(8, availableParallelism());
    const parallel = threads > 1 ? ParallelRepulsion.start(n, d, threads) : null;
    const Yopt = parallel ? parallel.Y : new Float64Array(n * d);
    for (let r = 0; r < n; r++) for (let t = 0; t < d; t++) Yopt[r * d + t] = Y[order[r] * d + t];
    let result: { iterations: number };
    try {
      result = optimize(Pj, Yopt, n, d, {
        parallel,
        learningRate: lr,
        maxIter,
        exaggerationIter: P.exaggerationIter,
        earlyExaggeration: P.earlyExaggeration,
        repulsion: fft ?? P.theta,
        minGradNorm: P.minGradNorm,
        onProgress: this.onProgress,
      });
    } finally {
      parallel?.stop();
    }
    for (let r = 0; r < n; r++) for (let t = 0; t < d; t++) Y[order[r] * d + t] = Yopt[r * d + t];
    this.info = {
      method,
      methodChoice:
        P.method === 'auto' ? `auto: fft from ${TSNE_FFT_MIN_N} spectra with at most 2 components, else bh` : 'set by the method parameter',
      ...(fft ? { fftBoxes: fft.lastBoxes, fftNodesPerBox: fft.options.nodes, fftBoxesPerUnit: fft.options.boxesPerUnit } : { theta: P.theta }),
      learningRate: lr,
      neighbors: K,
      iterations: result.iterations,
      klDivergence: klDivergence(Pj, Yopt, n, d, fft ?? P.theta),
      neighborSpaceDims: space.dims,
      // The FFT method's C kernels use the addon's OpenMP threads (the idle cores when it loaded).
      threads: fft ? (gemmAddon()?.threads() ?? 1) : parallel ? threads : 1,
    };
    this.embedding = Float32Array.from(Y);
    return this.embedding.slice();
  }

  protected transformImpl(X: Float32Array, n: number): Float32Array {
    const d = this.params.nComponents;
    const N = this.embedding.length / d;
    const K = Math.min(N, Math.floor(3 * this.params.perplexity));
    const perp = Math.min(this.params.perplexity, K - 1e-9);
    return this.space!.place(X, n, K, this.embedding, d, (distances) => calibrateRow(distances, perp));
  }

  override summary(): Record<string, unknown> {
    return this.info;
  }

  protected getState(): Record<string, unknown> {
    return { ...this.space!.toJSON(), embedding: encodeArray(this.embedding), info: this.info };
  }

  protected setState(s: Record<string, unknown>): void {
    this.space = NeighbourSpace.fromJSON(s);
    this.embedding = decodeF32(s.embedding, 'state.embedding');
    this.info = (s.info as Record<string, unknown>) ?? {};
  }
}

function takeColumns(X: Float32Array, n: number, p: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) out[i * d + t] = X[i * p + t];
  return out;
}

/**
 * Gaussian conditional probabilities p_{j|i} over each row's K neighbours,
 * with the precision found so that the entropy equals log(perplexity)
 * (natural log, squared distances; scikit-learn's _binary_search_perplexity
 * criterion: tolerance 1e-5, at most 100 steps). Distances are shifted by
 * the row minimum first, which leaves P unchanged but avoids exp underflow
 * for spectra with large intensities.
 */
export function conditionalP(distances: Float64Array, n: number, K: number, perplexity: number): Float64Array {
  const P = new Float64Array(n * K);
  const d2 = new Float64Array(K);
  for (let i = 0; i < n; i++) calibrateInto(distances, i * K, K, perplexity, d2, P);
  return P;
}

/**
 * One row of {@link conditionalP}: weights summing to 1 for the given
 * (non-squared) distances. The entropy H falls as the precision beta grows,
 * with dH/dbeta = -beta Var_p(d^2), so each step takes Newton's step on H and
 * falls back to bisection (doubling or halving while one side is open) when
 * that step leaves the bracket the steps so far have set: a handful of exp
 * passes per row where bisection alone takes about 25.
 */
export function calibrateRow(dist: ArrayLike<number>, perplexity: number): Float64Array {
  const K = dist.length;
  const p = new Float64Array(K);
  calibrateInto(Float64Array.from(dist), 0, K, perplexity, new Float64Array(K), p);
  return p;
}

/** calibrateRow of dist[off, off + K) into p[off, off + K), with d2 (K long) as scratch. */
function calibrateInto(dist: Float64Array, off: number, K: number, perplexity: number, d2: Float64Array, p: Float64Array): void {
  let min = Infinity;
  let ascending = true;
  for (let a = 0; a < K; a++) {
    d2[a] = dist[off + a] * dist[off + a];
    if (d2[a] < min) min = d2[a];
    if (a > 0 && d2[a] < d2[a - 1]) ascending = false;
  }
  for (let a = 0; a < K; a++) d2[a] -= min;
  const target = Math.log(perplexity);
  let beta = 1;
  let lo = 0;
  let hi = Infinity;
  // Scale-free start: the median squared distance sets beta's order of magnitude (neighbour lists come nearest first).
  const med = ascending ? d2[Math.floor(K / 2)] : Float64Array.from(d2).sort()[Math.floor(K / 2)];
  if (med > 0) beta = 1 / med;
  let sum = 0;
  for (let step = 0; step < 100; step++) {
    sum = 0;
    let sdp = 0;
    let sd2p = 0;
    for (let a = 0; a < K; a++) {
      const w = (p[off + a] = Math.exp(-d2[a] * beta));
      sum += w;
      const t = d2[a] * w;
      sdp += t;
      sd2p += d2[a] * t;
    }
    const mean = sdp / sum;
    const H = Math.log(sum) + beta * mean;
    const diff = H - target;
    if (Math.abs(diff) <= 1e-5) break;
    if (diff > 0) lo = beta;
    else hi = beta;
    const next = beta + diff / (beta * (sd2p / sum - mean * mean));
    if (next > lo && next < hi) beta = next;
    else if (hi === Infinity) beta *= 2;
    else if (lo === 0) beta /= 2;
    else beta = (lo + hi) / 2;
  }
  for (let a = 0; a < K; a++) p[off + a] /= sum;
}

/**
 * P = (P_cond + P_cond^T) / sum, as CSR with sorted columns. Row i merges
 * its own K entries (sorted by column) with the entries of the rows that
 * have i as a neighbour (their indices, ascending by construction); an
 * entry present both ways is summed. O(n K), typed arrays only.
 */
export function symmetrize(indices: Int32Array, cond: Float64Array, n: number, K: number): SparseP {
  // In-edges: for each j, the edges e = i K + a with indices[e] = j, in increasing e.
  const inPtr = new Int32Array(n + 1);
  for (let e = 0; e < n * K; e++) inPtr[indices[e] + 1]++;
  for (let j = 0; j < n; j++) inPtr[j + 1] += inPtr[j];
  // Each in-edge's source row and value are written beside it, so the merge below reads them in order instead of
  // fetching cond at scattered positions.
  const inEdge = new Int32Array(n * K);
  const inRow = new Int32Array(n * K);
  const inVal = new Float64Array(n * K);
  const fill = inPtr.slice(0, n);
  for (let i = 0, e = 0; i < n; i++)
    for (let a = 0; a < K; a++, e++) {
      const s = fill[indices[e]]++;
      inEdge[s] = e;
      inRow[s] = i;
      inVal[s] = cond[e];
    }
  // Each row's own edges by column, ties by position: the in-edges of every column, in increasing column order, dealt
  // back to the rows they leave (a second stable counting sort, so no comparison sort).
  const own = new Int32Array(n * K);
  const ownFill = new Int32Array(n);
  for (let b = 0; b < n * K; b++) {
    const i = inRow[b];
    own[i * K + ownFill[i]++] = inEdge[b];
  }
  const cap = 2 * n * K;
  let cols = new Int32Array(cap);
  let vals = new Float64Array(cap);
  const rowPtr = new Int32Array(n + 1);
  let total = 0;
  let nnz = 0;
  // Integer-only merge (column n ends a list): a sentinel of another number type would make V8 run it in doubles.
  for (let i = 0; i < n; i++) {
    let a = i * K;
    const aEnd = a + K;
    let b = inPtr[i];
    const bEnd = inPtr[i + 1];
    let ea = own[a];
    let ca = indices[ea];
    let eb = b < bEnd ? inEdge[b] : 0;
    let cb = b < bEnd ? inRow[b] : n;
    let last = -1;
    for (;;) {
      let c: number;
      let v: number;
      // On equal columns, the entry written first in row-major edge order comes first.
      if (ca < cb || (ca === cb && ca < n && ea < eb)) {
        c = ca;
        v = cond[ea];
        if (++a < aEnd) ca = indices[(ea = own[a])];
        else ca = n;
      } else if (cb < n) {
        c = cb;
        v = inVal[b];
        if (++b < bEnd) {
          eb = inEdge[b];
          cb = inRow[b];
        } else cb = n;
      } else break;
      if (c === last) vals[nnz - 1] += v;
      else {
        cols[nnz] = c;
        vals[nnz++] = v;
        last = c;
      }
      total += v;
    }
    rowPtr[i + 1] = nnz;
  }
  cols = cols.slice(0, nnz);
  vals = vals.slice(0, nnz);
  for (let t = 0; t < nnz; t++) vals[t] /= total;
  return { n, rowPtr, cols, vals };
}

/**
 * A breadth-first order of P's graph (each component from its lowest
 * index, neighbours in column order): points that attract each other get
 * nearby indices, so the gradient's gathers of y_j and the FFT's grid cells
 * stay in cache (about a third less time for the attractive sum at 20,000
 * spectra). Returns order[r] = the point at rank r.
 */
export function graphOrder(P: SparseP): Int32Array {
  const { n, rowPtr, cols } = P;
  const order = new Int32Array(n);
  const seen = new Uint8Array(n);
  let head = 0;
  let tail = 0;
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    seen[s] = 1;
    order[tail++] = s;
    while (head < tail) {
      const i = order[head++];
      for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
        const j = cols[e];
        if (!seen[j]) {
          seen[j] = 1;
          order[tail++] = j;
        }
      }
    }
  }
  return order;
}

/**
 * P with its points renumbered: row r of the result is row order[r] of P,
 * columns mapped and sorted. P must be symmetric, values included, as
 * {@link symmetrize} makes it (both entries of a pair are summed in the same
 * order): then the entries of new row R are the (new column r, P[order[r]][order[R]])
 * met while walking the old rows in new order, so one counting pass sorts
 * them, with no comparison sort.
 */
export function permuteSparse(P: SparseP, order: Int32Array): SparseP {
  const { n } = P;
  const rank = new Int32Array(n);
  for (let r = 0; r < n; r++) rank[order[r]] = r;
  const rowPtr = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) rowPtr[r + 1] = rowPtr[r] + P.rowPtr[order[r] + 1] - P.rowPtr[order[r]];
  const cols = new Int32Array(P.cols.length);
  const vals = new Float64Array(P.vals.length);
  const fill = rowPtr.slice(0, n);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    for (let e = P.rowPtr[i], end = P.rowPtr[i + 1]; e < end; e++) {
      const s = fill[rank[P.cols[e]]]++;
      cols[s] = r;
      vals[s] = P.vals[e];
    }
  }
  return { n, rowPtr, cols, vals };
}

/**
 * KL gradient of t-SNE with Barnes-Hut or FFT-interpolated repulsion:
 * dC/dy_i = 4 (exaggeration * sum_j p_ij q_ij (y_i - y_j) - sum_j q_ij^2 (y_i - y_j) / Z)
 * with q_ij = 1 / (1 + |y_i - y_j|^2) and Z = sum_{k != l} q_kl.
 * @param repulsion Barnes-Hut theta (0 = exact), or the FFT repulsion
 * @param native false keeps the attractive sum in JavaScript (the addon's tsneAttract is the same, bit for bit)
 * @returns the gradient (n x d) and Z
 */
export function tsneGradient(
  P: SparseP,
  Y: Float64Array,
  n: number,
  d: number,
  repulsion: number | FftRepulsion,
  exaggeration = 1,
  out = new Float64Array(n * d),
  parallel: ParallelRepulsion | null = null,
  native = true,
): { grad: Float64Array; sumQ: number } {
  let rep: Float64Array;
  let sumQ = 0;
  if (repulsion instanceof FftRepulsion) {
    const r = repulsion.compute(Y, n);
    sumQ = r.sumQ;
    rep = r.rep;
  } else if (parallel && parallel.Y === Y) {
    sumQ = parallel.compute(repulsion);
    rep = parallel.rep;
  } else {
    const theta = repulsion;
    const tree = new BhTree(Y, n, d);
    rep = new Float64Array(n * d);
    const force = new Float64Array(d);
    const stack = new Int32Array(64 * (1 << d) + 16);
    // Points in tree (Z-curve) order: consecutive queries walk the same cells, which stay in cache.
    for (let r = 0; r < n; r++) {
      const i = tree.order[r];
      force.fill(0);
      sumQ += tree.repulsion(i, theta, force, stack);
      for (let t = 0; t < d; t++) rep[i * d + t] = force[t];
    }
  }
  const nat = native ? gemmAddon() : null;
  if (nat?.tsneAttract) {
    nat.tsneAttract(P.rowPtr, P.cols, P.vals, Y, n, d, exaggeration, rep, sumQ, out);
    return { grad: out, sumQ };
  }
  if (d === 2) {
    const { rowPtr, cols, vals } = P;
    // Four partial sums per coordinate, edge e of a row into lane (e - start) mod 4, added as (0 + 1) + (2 + 3):
    // the addon's order, where the four lanes are one vector and share one division instruction.
    const sx = new Float64Array(4);
    const sy = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      const xi = Y[2 * i];
      const yi = Y[2 * i + 1];
      sx.fill(0);
      sy.fill(0);
      for (let e = rowPtr[i], end = rowPtr[i + 1], l = 0; e < end; e++, l = (l + 1) & 3) {
        const j = cols[e];
        const dx = xi - Y[2 * j];
        const dy = yi - Y[2 * j + 1];
        const f = vals[e] / (1 + dx * dx + dy * dy);
        sx[l] += f * dx;
        sy[l] += f * dy;
      }
      out[2 * i] = 4 * (exaggeration * (sx[0] + sx[1] + (sx[2] + sx[3])) - rep[2 * i] / sumQ);
      out[2 * i + 1] = 4 * (exaggeration * (sy[0] + sy[1] + (sy[2] + sy[3])) - rep[2 * i + 1] / sumQ);
    }
    return { grad: out, sumQ };
  }
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) out[i * d + t] = 0;
    for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
      const j = P.cols[e];
      let d2 = 0;
      for (let t = 0; t < d; t++) {
        const u = Y[i * d + t] - Y[j * d + t];
        d2 += u * u;
      }
      const f = (exaggeration * P.vals[e]) / (1 + d2);
      for (let t = 0; t < d; t++) out[i * d + t] += f * (Y[i * d + t] - Y[j * d + t]);
    }
    for (let t = 0; t < d; t++) out[i * d + t] = 4 * (out[i * d + t] - rep[i * d + t] / sumQ);
  }
  return { grad: out, sumQ };
}

/** Exact unnormalized repulsion rep_i = sum_j q_ij^2 (y_i - y_j) and Z = sum_{i != j} q_ij (O(n^2)); the reference of the approximations. */
export function exactRepulsion(Y: Float64Array, n: number, d: number): { rep: Float64Array; sumQ: number } {
  const rep = new Float64Array(n * d);
  let sumQ = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let d2 = 0;
      for (let t = 0; t < d; t++) d2 += (Y[i * d + t] - Y[j * d + t]) ** 2;
      const q = 1 / (1 + d2);
      sumQ += q;
      for (let t = 0; t < d; t++) rep[i * d + t] += q * q * (Y[i * d + t] - Y[j * d + t]);
    }
  return { rep, sumQ };
}

/** Exact t-SNE gradient (O(n^2)) for a dense P (n x n); the reference the Barnes-Hut and FFT versions are tested against. */
export function exactTsneGradient(Pdense: Float64Array, Y: Float64Array, n: number, d: number, exaggeration = 1): Float64Array {
  const { rep, sumQ } = exactRepulsion(Y, n, d);
  const g = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let d2 = 0;
      for (let t = 0; t < d; t++) d2 += (Y[i * d + t] - Y[j * d + t]) ** 2;
      const pq = (exaggeration * Pdense[i * n + j]) / (1 + d2);
      for (let t = 0; t < d; t++) g[i * d + t] += pq * (Y[i * d + t] - Y[j * d + t]);
    }
    for (let t = 0; t < d; t++) g[i * d + t] = 4 * (g[i * d + t] - rep[i * d + t] / sumQ);
  }
  return g;
}

interface OptimizeOptions {
  learningRate: number;
  maxIter: number;
  exaggerationIter: number;
  earlyExaggeration: number;
  repulsion: number | FftRepulsion;
  minGradNorm: number;
  onProgress?: (iteration: number, gradNorm: number, total: number) => void;
  parallel: ParallelRepulsion | null;
}

/** scikit-learn's _gradient_descent: momentum, gains (+0.2 / x0.8, floor 0.01), two stages. */
function optimize(P: SparseP, Y: Float64Array, n: number, d: number, o: OptimizeOptions): { iterations: number } {
  const update = new Float64Array(n * d);
  const gains = new Float64Array(n * d).fill(1);
  const grad = new Float64Array(n * d);
  let it = 0;
  for (; it < o.maxIter; it++) {
    const early = it < o.exaggerationIter;
    const momentum = early ? 0.5 : 0.8;
    tsneGradient(P, Y, n, d, o.repulsion, early ? o.earlyExaggeration : 1, grad, o.parallel);
    const norm = Math.sqrt(descentStep(grad, update, gains, Y, momentum, o.learningRate));
    if (o.onProgress && it % 50 === 0) o.onProgress(it, norm, o.maxIter);
    if (!Number.isFinite(norm)) throw new Error('t-SNE diverged (non-finite gradient); try a smaller learningRate');
    if (!early && norm < o.minGradNorm) {
      it++;
      break;
    }
  }
  return { iterations: it };
}

/**
 * One step of {@link optimize} over every coordinate: gains up by 0.2 where
 * the gradient changed sign, else times 0.8 (floor 0.01), then the momentum
 * update and the move. Returns the squared gradient norm.
 * @param native false keeps the JavaScript (the addon's tsneStep is the same, bit for bit)
 */
export function descentStep(
  grad: Float64Array,
  update: Float64Array,
  gains: Float64Array,
  Y: Float64Array,
  momentum: number,
  learningRate: number,
  native = true,
): number {
  const nat = native ? gemmAddon() : null;
  if (nat?.tsneStep) return nat.tsneStep(grad, update, gains, Y, Y.length, momentum, learningRate);
  let norm = 0;
  for (let t = 0; t < Y.length; t++) {
    const g = grad[t];
    norm += g * g;
    if (update[t] * g < 0) gains[t] += 0.2;
    else gains[t] = Math.max(gains[t] * 0.8, 0.01);
    update[t] = momentum * update[t] - learningRate * gains[t] * g;
    Y[t] += update[t];
  }
  return norm;
}

/** KL(P || Q) with Z from the Barnes-Hut tree (as scikit-learn reports for method="barnes_hut") or the FFT grid. */
export function klDivergence(P: SparseP, Y: Float64Array, n: number, d: number, repulsion: number | FftRepulsion): number {
  const { sumQ } = tsneGradient(P, Y, n, d, repulsion);
  let kl = 0;
  for (let i = 0; i < n; i++)
    for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
      const j = P.cols[e];
      const p = P.vals[e];
      if (p <= 0) continue;
      let d2 = 0;
      for (let t = 0; t < d; t++) d2 += (Y[i * d + t] - Y[j * d + t]) ** 2;
      const q = 1 / (1 + d2) / sumQ;
      kl += p * Math.log(Math.max(p, 1e-300) / Math.max(q, 1e-300));
    }
  return kl;
}
