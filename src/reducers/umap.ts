import { UMAP } from 'umap-js';
import { findABParams } from 'umap-js/dist/umap.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { NeighbourSpace } from './neighbour-space.js';
import { Pca } from './pca.js';
import { BaseReducer, decodeF32, encodeArray, numParam, type ReducerParams } from './reducer.js';
import { optimizeUmapLayout, type UmapOptimizationState } from './umap-layout.js';
import { umapSgd } from './umap-sgd.js';
import { fuzzySimplicialSet, smoothKnnSigma } from './umap-graph.js';

/** UMAP parameters; defaults follow umap-learn. */
export interface UmapParams extends ReducerParams {
  /** Embedding dimension (default 2). */
  nComponents: number;
  /** Size of the local neighbourhood, the point itself included as in umap-learn (default 15); must be < n. */
  nNeighbors: number;
  /** Minimum distance between embedded points (default 0.1). */
  minDist: number;
  /** Scale of embedded points (default 1). */
  spread: number;
  /** Optimization epochs; 0 = umap-learn's default (500 up to 10,000 spectra, else 200). */
  nEpochs: number;
  /** Seed of every random draw (default 0). */
  seed: number;
  /** Neighbour search and UMAP itself run on this many principal components (0 = raw spectra; default 50). */
  pcaDims: number;
  /** Weight of the target in supervised mode, 0..1 (default 0.5, umap-learn's target_weight). */
  targetWeight: number;
}

/**
 * UMAP (McInnes et al. 2018) as umap-learn computes it, over typed arrays:
 * - exact k nearest neighbours on `pcaDims` principal components
 *   (blocked GEMM brute force with the native addon, else a vantage-point
 *   tree), where umap-learn uses approximate nearest-neighbour descent;
 * - the fuzzy simplicial set of umap-learn (smooth kNN distances, fuzzy
 *   union), built as an edge list ({@link fuzzySimplicialSet}; umap-js's
 *   Map-keyed sparse matrices took 2.3 GiB at 50,000 spectra);
 * - umap-learn's init="pca" (principal-component scores scaled to +-10);
 * - umap-learn's SGD layout and epoch counts (500 epochs up to 10,000
 *   spectra, else 200) in a typed-array loop, or its bit-identical C twin
 *   in the native addon ({@link umapSgd});
 * - all randomness from the seed, so fits are reproducible.
 * `setTarget` (supervised mode, categorical targets only: umap-js implements
 * no continuous target metric) runs through umap-js's graph intersection
 * and its layout loop instead.
 *
 * transform(): a new spectrum is placed at the membership-weighted mean of
 * the embeddings of its nNeighbors nearest training spectra (umap-learn's
 * transform initialization, with its smooth-kNN weights), without
 * umap-learn's extra refinement epochs; this is what a saved model can
 * reproduce exactly.
 */
export class Umap extends BaseReducer<UmapParams> {
  readonly name = 'umap';
  /** Where neighbours are searched (principal components of the training spectra). */
  private space: NeighbourSpace | null = null;
  embedding: Float32Array = new Float32Array(0);
  private target: number[] | null = null;
  private info: Record<string, unknown> = {};

  constructor(params: Partial<UmapParams> = {}) {
    super({
      nComponents: numParam(params.nComponents, 2, 'nComponents', { int: true, min: 1 }),
      nNeighbors: numParam(params.nNeighbors, 15, 'nNeighbors', { int: true, min: 2 }),
      minDist: numParam(params.minDist, 0.1, 'minDist', { min: 0 }),
      spread: numParam(params.spread, 1, 'spread', { gt: 0 }),
      nEpochs: numParam(params.nEpochs, 0, 'nEpochs', { int: true, min: 0 }),
      seed: numParam(params.seed, 0, 'seed', { int: true, min: 0 }),
      pcaDims: numParam(params.pcaDims, 50, 'pcaDims', { int: true, min: 0 }),
      targetWeight: numParam(params.targetWeight, 0.5, 'targetWeight', { min: 0, max: 1 }),
    });
    if (this.params.minDist > this.params.spread) {
      throw new UserError(`minDist (${this.params.minDist}) must not exceed spread (${this.params.spread})`, 'params.minDist');
    }
  }

  /** Supervised mode: one (discrete) label per training spectrum; NaN = unlabelled. Call before fit(). */
  setTarget(y: ArrayLike<number> | null): this {
    this.target = y ? Array.from(y, (v) => (Number.isFinite(v) ? v : -1)) : null;
    return this;
  }

  protected override checkSize(n: number): void {
    if (this.params.nNeighbors >= n) {
      throw new UserError(`nNeighbors (${this.params.nNeighbors}) must be less than the number of spectra (${n})`, 'params.nNeighbors');
    }
    if (this.target && this.target.length !== n) {
      throw new UserError(`the supervised target has ${this.target.length} values for ${n} spectra`);
    }
  }

  protected fitImpl(X: Float32Array, n: number, m: number): Float32Array {
    const P = this.params;
    const space = NeighbourSpace.fit(X, n, m, P.pcaDims);
    this.space = space;
    const p = space.dims;
    const k = P.nNeighbors;
    const nn = space.knn(k - 1);
    if (this.target) {
      this.embedding = this.fitUmapJs(nn, n, k);
      return this.embedding.slice();
    }
    const graph = fuzzySimplicialSet(nn.indices, nn.distances, n, k - 1, k);
    const d = P.nComponents;
    const emb = pcaInit(space.points, n, p, d, X, m, space.pca !== null, P.seed);
    const { a, b } = findABParams(P.spread, P.minDist);
    const nEpochs = P.nEpochs || (n <= 10000 ? 500 : 200);
    umapSgd(graph, emb, d, a, b, nEpochs, P.seed);
    this.info = { nEpochs, edges: graph.head.length, a, b, neighborSpaceDims: p };
    this.embedding = Float32Array.from(emb);
    return this.embedding.slice();
  }

  /** Supervised fits go through umap-js (its categorical target intersection). */
  private fitUmapJs(nn: { indices: Int32Array; distances: Float64Array }, n: number, k: number): Float32Array {
    const P = this.params;
    const space = this.space!;
    const p = space.dims;
    // umap-learn's kNN lists start with the point itself at distance 0.
    const knnIndices: number[][] = new Array(n);
    const knnDistances: number[][] = new Array(n);
    for (let i = 0; i < n; i++) {
      const ind = [i];
      const dis = [0];
      for (let a = 0; a < k - 1; a++) {
        ind.push(nn.indices[i * (k - 1) + a]);
        dis.push(nn.distances[i * (k - 1) + a]);
      }
      knnIndices[i] = ind;
      knnDistances[i] = dis;
    }
    const rows: number[][] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = Array.from(space.points.subarray(i * p, (i + 1) * p));
    const rng = new Rng(P.seed);
    const random = () => rng.uniform();
    const umap = new UMAP({
      nComponents: P.nComponents,
      nNeighbors: k,
      minDist: P.minDist,
      spread: P.spread,
      nEpochs: P.nEpochs || undefined,
      random,
    });
    umap.setPrecomputedKNN(knnIndices, knnDistances);
    umap.setSupervisedProjection(this.target!, { targetWeight: P.targetWeight });
    umap.initializeFit(rows);
    // umap-js's own epoch loop, rewritten over typed arrays (same result, several times faster).
    const state = (umap as unknown as { optimizationState: UmapOptimizationState }).optimizationState;
    const { embedding } = optimizeUmapLayout(state, random);
    this.info = { nEpochs: state.nEpochs, supervised: true, neighborSpaceDims: p };
    return Float32Array.from(embedding);
  }

  override summary(): Record<string, unknown> {
    return this.info;
  }

  protected transformImpl(X: Float32Array, n: number): Float32Array {
    const d = this.params.nComponents;
    const N = this.embedding.length / d;
    return this.space!.place(X, n, Math.min(N, this.params.nNeighbors), this.embedding, d, smoothKnnWeights);
  }

  protected getState(): Record<string, unknown> {
    return { ...this.space!.toJSON(), embedding: encodeArray(this.embedding) };
  }

  protected setState(s: Record<string, unknown>): void {
    this.space = NeighbourSpace.fromJSON(s);
    this.embedding = decodeF32(s.embedding, 'state.embedding');
  }
}

/**
 * Membership strengths exp(-(d - rho) / sigma) of a new point's neighbours,
 * sigma found by bisection so they sum to log2(k) (umap-learn's
 * smooth_knn_dist with local_connectivity - 1 = 0, i.e. rho = 0 as in its
 * transform), then normalized to sum 1.
 */
export function smoothKnnWeights(dist: ArrayLike<number>): Float64Array {
  const k = dist.length;
  const target = Math.log2(Math.max(k, 2));
  let mean = 0;
  for (let a = 0; a < k; a++) mean += dist[a];
  mean /= Math.max(k, 1);
  const sigma = smoothKnnSigma(dist, 0, k, 0, target, mean > 0 ? mean : 1);
  const w = new Float64Array(k);
  let s = 0;
  for (let a = 0; a < k; a++) s += w[a] = Math.exp(-dist[a] / sigma);
  if (!(s > 0)) {
    // All neighbours infinitely far relative to sigma: fall back to the nearest one.
    w.fill(0);
    if (k > 0) w[0] = 1;
    return w;
  }
  for (let a = 0; a < k; a++) w[a] /= s;
  return w;
}

/**
 * umap-learn's init="pca": the first d principal-component scores, scaled so
 * the largest magnitude is 10, plus N(0, 1e-4^2) jitter (seeded).
 * @param Xr neighbour-space points (already PCA scores when `isPca`)
 */
function pcaInit(Xr: Float32Array, n: number, p: number, d: number, X: Float32Array, m: number, isPca: boolean, seed: number): Float64Array {
  let scores: Float32Array;
  let stride: number;
  if (isPca && d <= p) {
    scores = Xr;
    stride = p;
  } else {
    scores = new Pca({ nComponents: Math.min(d, m, n) }).fitTransform(X, n, m);
    stride = Math.min(d, m, n);
  }
  const emb = new Float64Array(n * d);
  let max = 0;
  for (let i = 0; i < n; i++)
    for (let t = 0; t < Math.min(d, stride); t++) {
      const v = scores[i * stride + t];
      emb[i * d + t] = v;
      if (Math.abs(v) > max) max = Math.abs(v);
    }
  const scale = max > 0 ? 10 / max : 1;
  const rng = new Rng(seed);
  for (let t = 0; t < n * d; t++) emb[t] = emb[t] * scale + 1e-4 * rng.normal();
  return emb;
}
