import { VpTree } from '../reducers/vptree.js';
import { check } from '../util/errors.js';

/**
 * HDBSCAN (Campello, Moulavi & Sander 2013; the algorithm of McInnes'
 * `hdbscan` and scikit-learn's HDBSCAN): density-based clustering that finds
 * the number of clusters itself and leaves points in sparse regions as
 * noise. Written here because no maintained npm package implements it
 * faithfully (hdbscan-ts scores stability per cluster, not per point, and
 * builds O(n^2) arrays of arrays; hdbscanjs works on geographic points).
 *
 * Steps, as in the reference implementation:
 * 1. core distance of each point: distance to its `minSamples`-th nearest
 *    neighbour, the point itself counted;
 * 2. mutual reachability distance max(core_a, core_b, |a - b|) and its
 *    minimum spanning tree (Prim's algorithm on the dense graph: O(n^2) time,
 *    O(n) memory, fine for the low-dimensional embeddings this clusters);
 * 3. single-linkage hierarchy from the sorted tree edges;
 * 4. condensed tree: walking down from the root, a split where both sides
 *    keep at least `minClusterSize` points makes two new clusters, otherwise
 *    the small side's points "fall out" of the cluster at that lambda = 1 / distance;
 * 5. excess of mass: a cluster's stability is the sum over its points of
 *    (lambda at which the point leaves - lambda at which the cluster was
 *    born); a cluster is kept when it is more stable than its descendants
 *    together; the root is never a cluster (allow_single_cluster = false).
 */

/** Options of {@link hdbscan}. */
export interface HdbscanOptions {
  /** Smallest group of points that counts as a cluster (default 5, as the reference). */
  minClusterSize?: number;
  /** Neighbours defining the core distance, the point itself included (default minClusterSize). */
  minSamples?: number;
}

/** A fitted HDBSCAN clustering. */
export interface HdbscanResult {
  /** Cluster of each point, 0..clusters-1 in order of first appearance in the condensed tree; -1 = noise. */
  labels: Int32Array;
  /** Number of clusters found. */
  clusters: number;
  /** Stability (excess of mass) of each selected cluster. */
  stability: Float64Array;
  /** Per selected cluster: the mutual reachability distance at which it splits off its parent (1 / birth lambda). */
  birthDistance: Float64Array;
  /** Core distance of each training point. */
  coreDistance: Float64Array;
  minClusterSize: number;
  minSamples: number;
}

/**
 * Clusters n points of dimension d.
 * @param X n x d row-major
 */
export function hdbscan(X: ArrayLike<number>, n: number, d: number, opts: HdbscanOptions = {}): HdbscanResult {
  const minClusterSize = opts.minClusterSize ?? 5;
  const minSamples = opts.minSamples ?? minClusterSize;
  check(Number.isInteger(minClusterSize) && minClusterSize >= 2, `minClusterSize must be an integer >= 2, got ${minClusterSize}`, '--min-cluster-size');
  check(Number.isInteger(minSamples) && minSamples >= 1, `minSamples must be an integer >= 1, got ${minSamples}`, '--min-samples');
  check(n > minSamples && n >= minClusterSize, `HDBSCAN needs more than minSamples (${minSamples}) and at least minClusterSize (${minClusterSize}) points, got ${n}`);
  check(X.length === n * d, `points hold ${X.length} values, expected ${n} x ${d}`);
  const pts = Float64Array.from(X);
  const core = coreDistances(pts, n, d, minSamples);
  const edges = primMst(pts, n, d, core);
  const tree = condense(singleLinkage(edges, n), n, minClusterSize);
  const { labels, selected, stability } = selectClusters(tree, n);
  const birthDistance = Float64Array.from(selected, (c) => (tree.birth[c] > 0 ? 1 / tree.birth[c] : Infinity));
  return { labels, clusters: selected.length, stability: Float64Array.from(selected, (c) => stability[c]), birthDistance, coreDistance: core, minClusterSize, minSamples };
}

function coreDistances(X: Float64Array, n: number, d: number, k: number): Float64Array {
  const tree = new VpTree(X, n, d);
  const core = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = tree.search(X, k, -1, i * d);
    core[i] = r.distances[r.distances.length - 1];
  }
  return core;
}

function dist(X: ArrayLike<number>, a: number, Y: ArrayLike<number>, b: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const u = X[a * d + t] - Y[b * d + t];
    s += u * u;
  }
  return Math.sqrt(s);
}

/** Minimum spanning tree of the mutual reachability graph: n - 1 edges (a, b, weight). */
function primMst(X: Float64Array, n: number, d: number, core: Float64Array): { a: Int32Array; b: Int32Array; w: Float64Array } {
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  const a = new Int32Array(n - 1);
  const b = new Int32Array(n - 1);
  const w = new Float64Array(n - 1);
  let cur = 0;
  inTree[0] = 1;
  for (let e = 0; e < n - 1; e++) {
    let next = -1;
    let nextW = Infinity;
    const cc = core[cur];
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const mr = Math.max(dist(X, cur, X, j, d), cc, core[j]);
      if (mr < best[j]) {
        best[j] = mr;
        from[j] = cur;
      }
      if (best[j] < nextW) {
        nextW = best[j];
        next = j;
      }
    }
    a[e] = from[next];
    b[e] = next;
    w[e] = nextW;
    inTree[next] = 1;
    cur = next;
  }
  return { a, b, w };
}

/** Single-linkage merges: node n + i joins left[i] and right[i] at distance[i]; size[i] points below it. */
interface Linkage {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
  size: Int32Array;
}

function singleLinkage(edges: { a: Int32Array; b: Int32Array; w: Float64Array }, n: number): Linkage {
  const order = Array.from({ length: n - 1 }, (_, i) => i).sort((p, q) => edges.w[p] - edges.w[q] || p - q);
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const size = new Int32Array(2 * n - 1).fill(1);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const L: Linkage = { left: new Int32Array(n - 1), right: new Int32Array(n - 1), distance: new Float64Array(n - 1), size: new Int32Array(n - 1) };
  order.forEach((e, i) => {
    const ra = find(edges.a[e]);
    const rb = find(edges.b[e]);
    const node = n + i;
    L.left[i] = ra;
    L.right[i] = rb;
    L.distance[i] = edges.w[e];
    L.size[i] = size[ra] + size[rb];
    size[node] = L.size[i];
    parent[ra] = node;
    parent[rb] = node;
  });
  return L;
}

/**
 * The condensed tree. Clusters are numbered 0 (the root) upwards in the
 * order they appear walking down, so a child's number exceeds its parent's.
 */
interface CondensedTree {
  /** Parent cluster of each cluster (-1 for the root). */
  parentOf: number[];
  /** Lambda at which each cluster was born (0 for the root). */
  birth: number[];
  /** Cluster each point falls out of, and the lambda at which it does. */
  pointCluster: Int32Array;
  pointLambda: Float64Array;
}

function condense(L: Linkage, n: number, minClusterSize: number): CondensedTree {
  const root = 2 * n - 2;
  const sizeOf = (node: number) => (node < n ? 1 : L.size[node - n]);
  // Distances of exactly 0 (duplicate points) would give infinite lambdas: floor them far below any real distance.
  let maxD = 0;
  for (const v of L.distance) maxD = Math.max(maxD, v);
  const floor = maxD > 0 ? maxD * 1e-12 : 1;
  const lambdaOf = (dd: number) => 1 / Math.max(dd, floor);
  const t: CondensedTree = { parentOf: [-1], birth: [0], pointCluster: new Int32Array(n).fill(-1), pointLambda: new Float64Array(n) };
  const fallOut = (node: number, cluster: number, lambda: number) => {
    const stack = [node];
    while (stack.length) {
      const x = stack.pop()!;
      if (x < n) {
        t.pointCluster[x] = cluster;
        t.pointLambda[x] = lambda;
      } else stack.push(L.left[x - n], L.right[x - n]);
    }
  };
  // (linkage node, cluster it belongs to)
  const work: [number, number][] = [[root, 0]];
  while (work.length) {
    const [node, cluster] = work.pop()!;
    if (node < n) {
      // A single point reached while still inside a cluster: it leaves when the cluster ends, at the last split's lambda.
      continue;
    }
    const i = node - n;
    const lambda = lambdaOf(L.distance[i]);
    const l = L.left[i];
    const r = L.right[i];
    const bigL = sizeOf(l) >= minClusterSize;
    const bigR = sizeOf(r) >= minClusterSize;
    if (bigL && bigR) {
      for (const child of [l, r]) {
        const c = t.parentOf.length;
        t.parentOf.push(cluster);
        t.birth.push(lambda);
        work.push([child, c]);
      }
    } else {
      for (const [child, big] of [[l, bigL], [r, bigR]] as [number, boolean][]) {
        if (big) work.push([child, cluster]);
        else fallOut(child, cluster, lambda);
      }
    }
  }
  return t;
}

/** Excess-of-mass selection and the labels it implies. */
function selectClusters(t: CondensedTree, n: number): { labels: Int32Array; selected: number[]; stability: Float64Array } {
  const C = t.parentOf.length;
  const stability = new Float64Array(C);
  // Points contribute (lambda_p - birth) to the cluster they fall out of.
  for (let p = 0; p < n; p++) {
    const c = t.pointCluster[p];
    stability[c] += t.pointLambda[p] - t.birth[c];
  }
  // A cluster that splits: each of its points stays in it until the split, at the children's birth lambda.
  const below = new Float64Array(C); // points under each cluster
  for (let p = 0; p < n; p++) below[t.pointCluster[p]]++;
  for (let c = C - 1; c > 0; c--) below[t.parentOf[c]] += below[c];
  for (let c = 1; c < C; c++) stability[t.parentOf[c]] += below[c] * (t.birth[c] - t.birth[t.parentOf[c]]);
  const isCluster = new Uint8Array(C).fill(1);
  isCluster[0] = 0;
  const children: number[][] = Array.from({ length: C }, () => []);
  for (let c = 1; c < C; c++) children[t.parentOf[c]].push(c);
  const total = Float64Array.from(stability);
  for (let c = C - 1; c > 0; c--) {
    const sub = children[c].reduce((s, x) => s + total[x], 0);
    if (children[c].length > 0 && sub > stability[c]) {
      isCluster[c] = 0;
      total[c] = sub;
    } else {
      total[c] = stability[c];
      const stack = [...children[c]];
      while (stack.length) {
        const x = stack.pop()!;
        isCluster[x] = 0;
        stack.push(...children[x]);
      }
    }
  }
  const selected: number[] = [];
  const labelOf = new Int32Array(C).fill(-1);
  for (let c = 1; c < C; c++) if (isCluster[c]) labelOf[c] = selected.push(c) - 1;
  // Each point takes the label of the selected cluster at or above the one it falls out of.
  const owner = new Int32Array(C).fill(-1);
  for (let c = 0; c < C; c++) owner[c] = labelOf[c] >= 0 ? labelOf[c] : c > 0 ? owner[t.parentOf[c]] : -1;
  const labels = Int32Array.from({ length: n }, (_, p) => owner[t.pointCluster[p]]);
  return { labels, selected, stability };
}

/**
 * Assigns new points to the clusters of a fit, as the reference's
 * approximate_predict: among the new point's `minSamples` nearest training
 * points, the one closest in mutual reachability (the new point's core
 * distance from the same neighbours) gives the cluster, provided that
 * reachability is within the distance at which that cluster was born;
 * otherwise, or when that neighbour is noise, the point is noise (-1).
 * Each point is assigned on its own.
 *
 * @param fit the result of {@link hdbscan} on `X` (n x d)
 * @param Y nNew x d new points
 * @returns cluster per new point and the mutual reachability distance to its closest training point
 */
export function hdbscanAssign(fit: HdbscanResult, X: ArrayLike<number>, n: number, d: number, Y: ArrayLike<number>, nNew: number): { labels: Int32Array; reachability: Float64Array } {
  check(Y.length === nNew * d, `points hold ${Y.length} values, expected ${nNew} x ${d}`);
  const tree = new VpTree(X, n, d);
  const labels = new Int32Array(nNew).fill(-1);
  const reach = new Float64Array(nNew);
  for (let i = 0; i < nNew; i++) {
    const r = tree.search(Y, fit.minSamples, -1, i * d);
    const coreNew = r.distances[r.distances.length - 1];
    let bestJ = -1;
    let bestMr = Infinity;
    r.indices.forEach((j, t) => {
      const mr = Math.max(r.distances[t], coreNew, fit.coreDistance[j]);
      if (mr < bestMr) {
        bestMr = mr;
        bestJ = j;
      }
    });
    reach[i] = bestMr;
    const c = bestJ >= 0 ? fit.labels[bestJ] : -1;
    if (c >= 0 && bestMr <= fit.birthDistance[c]) labels[i] = c;
  }
  return { labels, reachability: reach };
}
