import { adjustedRandIndex, kMeans } from '../metrics/clustering.js';
import { silhouetteScore } from '../metrics/silhouette.js';
import { check } from '../util/errors.js';
import { hdbscan, hdbscanAssign, type HdbscanResult } from './hdbscan.js';

/**
 * Clusters of a latent space (any model's: RankAAE latents or a baseline
 * map) and what they mean: the cluster count chosen by a stated criterion,
 * agreement with known labels, each cluster's typical spectrum and spread,
 * and new (measured) spectra assigned to the clusters.
 *
 * - k-means: k-means++ seeded Lloyd iterations, best of several starts
 *   (metrics/clustering.ts). Without a fixed k, every k in a range is fitted
 *   and the one with the highest mean silhouette is kept.
 * - HDBSCAN (hdbscan.ts): finds the number of clusters itself by excess of
 *   mass and leaves sparse points as noise (-1).
 */

export type ClusterMethod = 'kmeans' | 'hdbscan';

/** Options of {@link fitClusters}. */
export interface ClusterOptions {
  /** 'kmeans' (default) or 'hdbscan'. */
  method?: ClusterMethod;
  /** k-means: this many clusters; when absent, chosen in `kRange` by silhouette. */
  k?: number;
  /** k-means: range of k tried, both ends included (default [2, 10], capped at n - 1). */
  kRange?: [number, number];
  /** HDBSCAN: smallest cluster (default max(5, ceil(n / 50)): clusters below 2% of the data are not phases). */
  minClusterSize?: number;
  /** HDBSCAN: neighbours of the core distance (default minClusterSize). */
  minSamples?: number;
  /** Seed of k-means++ and of the silhouette subsample (default 0). */
  seed?: number;
  /** Points scored by the silhouette (default 4000; a fixed-seed subset above). */
  silhouetteSample?: number;
}

/** A fitted clustering of n latent points. */
export interface ClusterFit {
  method: ClusterMethod;
  /** Clusters found (noise not counted). */
  k: number;
  /** Cluster of each point, 0..k-1, or -1 for noise (HDBSCAN). */
  labels: Int32Array;
  /** Points per cluster. */
  sizes: Int32Array;
  /** Points left as noise. */
  noise: number;
  /** How the cluster count was chosen, in words. */
  criterion: string;
  /** k-means with a range: each k tried, its mean silhouette and inertia. */
  selection?: { k: number; silhouette: number; inertia: number }[];
  /** Mean silhouette of the result (noise excluded; NaN with fewer than 2 clusters). */
  silhouette: number;
  /** k x d mean latent of each cluster's members (the k-means centres). */
  centers: Float64Array;
  /** Latent dimension. */
  d: number;
  /** HDBSCAN's fit, kept to assign new points. */
  hdbscan?: HdbscanResult;
}

/**
 * Clusters n x d latents.
 * @param latents n x d, row-major
 */
export function fitClusters(latents: ArrayLike<number>, n: number, d: number, opts: ClusterOptions = {}): ClusterFit {
  check(latents.length === n * d, `latents hold ${latents.length} values, expected ${n} x ${d}`);
  const method = opts.method ?? 'kmeans';
  const seed = opts.seed ?? 0;
  const silOpts = { sampleSize: opts.silhouetteSample, seed };
  if (method === 'hdbscan') {
    const minClusterSize = opts.minClusterSize ?? Math.max(5, Math.ceil(n / 50));
    const fit = hdbscan(latents, n, d, { minClusterSize, minSamples: opts.minSamples });
    const criterion = `HDBSCAN excess of mass (minClusterSize ${minClusterSize}, minSamples ${fit.minSamples}): the number of clusters is found, sparse points are noise`;
    return finish('hdbscan', fit.labels, fit.clusters, latents, n, d, criterion, silhouetteScore(latents, n, d, fit.labels, silOpts), undefined, fit);
  }
  check(opts.method === undefined || opts.method === 'kmeans', `unknown clustering method "${opts.method}" (expected kmeans or hdbscan)`, '--method');
  check(n >= 2, `clustering needs at least 2 points, got ${n}`);
  if (opts.k !== undefined) {
    check(Number.isInteger(opts.k) && opts.k >= 1 && opts.k <= n, `k must be an integer in 1..${n}, got ${opts.k}`, '--k');
    const km = kMeans(latents, n, d, opts.k, { seed });
    return finish('kmeans', km.labels, opts.k, latents, n, d, `k = ${opts.k} as given`, silhouetteScore(latents, n, d, km.labels, silOpts));
  }
  const [lo, hiAsked] = opts.kRange ?? [2, 10];
  const hi = Math.min(hiAsked, n - 1);
  check(Number.isInteger(lo) && Number.isInteger(hiAsked) && lo >= 2 && lo <= hi, `k range must be integers 2 <= from <= to <= n - 1 (${n - 1}), got ${lo}..${hiAsked}`, '--k-range');
  const selection: { k: number; silhouette: number; inertia: number }[] = [];
  let best: { k: number; labels: Int32Array; silhouette: number } | undefined;
  for (let k = lo; k <= hi; k++) {
    const km = kMeans(latents, n, d, k, { seed });
    const s = silhouetteScore(latents, n, d, km.labels, silOpts);
    selection.push({ k, silhouette: s, inertia: km.inertia });
    if (!best || s > best.silhouette) best = { k, labels: km.labels, silhouette: s };
  }
  const criterion = `k-means with the k of highest mean silhouette among k = ${lo}..${hi}`;
  return finish('kmeans', best!.labels, best!.k, latents, n, d, criterion, best!.silhouette, selection);
}

function finish(
  method: ClusterMethod,
  labels: Int32Array,
  k: number,
  latents: ArrayLike<number>,
  n: number,
  d: number,
  criterion: string,
  silhouette: number,
  selection?: ClusterFit['selection'],
  hdb?: HdbscanResult,
): ClusterFit {
  const sizes = new Int32Array(k);
  const centers = new Float64Array(k * d);
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0) {
      noise++;
      continue;
    }
    sizes[c]++;
    for (let t = 0; t < d; t++) centers[c * d + t] += latents[i * d + t];
  }
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) centers[c * d + t] /= Math.max(1, sizes[c]);
  return { method, k, labels, sizes, noise, criterion, selection, silhouette, centers, d, hdbscan: hdb };
}

/**
 * Assigns new latent points to a fit's clusters, each on its own: k-means to
 * the nearest centre (distance = Euclidean distance to it); HDBSCAN as its
 * approximate_predict (distance = mutual reachability to the closest
 * training point; -1 when the point is outside every cluster).
 * @param train the n x d latents the fit was made on
 */
export function assignClusters(fit: ClusterFit, train: ArrayLike<number>, n: number, points: ArrayLike<number>, nNew: number): { labels: Int32Array; distance: Float64Array } {
  const d = fit.d;
  check(points.length === nNew * d, `points hold ${points.length} values, expected ${nNew} x ${d}`);
  if (fit.hdbscan) {
    const r = hdbscanAssign(fit.hdbscan, train, n, d, points, nNew);
    return { labels: r.labels, distance: r.reachability };
  }
  const labels = new Int32Array(nNew);
  const distance = new Float64Array(nNew);
  for (let i = 0; i < nNew; i++) {
    let best = Infinity;
    for (let c = 0; c < fit.k; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (points[i * d + t] - fit.centers[c * d + t]) ** 2;
      if (s < best) {
        best = s;
        labels[i] = c;
      }
    }
    distance[i] = Math.sqrt(best);
  }
  return { labels, distance };
}

/** How clusters match a labelling (e.g. the known phase of each spectrum). */
export interface ClusterAgreement {
  descriptor: string;
  /** Adjusted Rand index between clusters (noise as its own group) and the label, over labelled points. */
  ari: number;
  /** Labelled points compared. */
  n: number;
  /** Label values (rows of the confusion table). */
  classes: number[];
  /** Names of the classes when they are codes of combined labels (e.g. "1+0" for phase 1, defect 0). */
  classNames?: string[];
  /** Cluster ids (columns), -1 = noise when present. */
  clusters: number[];
  /** confusion[i][j]: points of class i in cluster j. */
  confusion: number[][];
}

/** ARI and confusion table between cluster labels and one descriptor (NaN = unlabelled, skipped). */
export function clusterAgreement(labels: ArrayLike<number>, values: ArrayLike<number>, descriptor: string): ClusterAgreement {
  const rows: number[] = [];
  for (let i = 0; i < labels.length; i++) if (Number.isFinite(values[i])) rows.push(i);
  const cl = Float64Array.from(rows, (i) => labels[i]);
  const y = Float64Array.from(rows, (i) => values[i]);
  const classes = [...new Set(y)].sort((a, b) => a - b);
  const clusters = [...new Set(cl)].sort((a, b) => a - b);
  const conf = classes.map(() => clusters.map(() => 0));
  const ci = new Map(classes.map((c, j) => [c, j]));
  const ki = new Map(clusters.map((c, j) => [c, j]));
  rows.forEach((_, r) => conf[ci.get(y[r])!][ki.get(cl[r])!]++);
  return { descriptor, ari: rows.length >= 2 ? adjustedRandIndex(y, cl) : NaN, n: rows.length, classes, clusters, confusion: conf };
}

/**
 * Per cluster, the mean and standard deviation of its members' spectra at
 * each grid point: what a cluster "looks like" in the data, and how much its
 * members vary (n x m spectra in whatever units the caller shows).
 */
export function clusterProfiles(labels: ArrayLike<number>, k: number, spectra: ArrayLike<number>, m: number): { mean: Float64Array; std: Float64Array } {
  const n = labels.length;
  const mean = new Float64Array(k * m);
  const sq = new Float64Array(k * m);
  const count = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0) continue;
    count[c]++;
    for (let j = 0; j < m; j++) {
      const v = spectra[i * m + j];
      mean[c * m + j] += v;
      sq[c * m + j] += v * v;
    }
  }
  const std = new Float64Array(k * m);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < m; j++) {
      const mu = count[c] > 0 ? mean[c * m + j] / count[c] : NaN;
      mean[c * m + j] = mu;
      std[c * m + j] = count[c] > 1 ? Math.sqrt(Math.max(0, sq[c * m + j] / count[c] - mu * mu)) : 0;
    }
  }
  return { mean, std };
}
