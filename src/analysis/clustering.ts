import { adjustedRandIndex, kMeans, type KMeansResult } from '../metrics/clustering.js';
import { check } from '../util/errors.js';
import type { Forward } from './decode.js';

/** k-means clusters of a latent space, decoded back to spectra. */
export interface LatentClusters {
  k: number;
  /** Cluster of each row. */
  labels: Int32Array;
  /** k x d cluster centres in latent space. */
  centers: Float64Array;
  /** Rows per cluster. */
  sizes: Int32Array;
  /** k x m: the decoder's spectrum at each centre (the cluster's "typical" spectrum). */
  centerSpectra: Float32Array;
  inertia: number;
  /** Per descriptor: adjusted Rand index between clusters and the descriptor's levels (rows with a label only); NaN for none. */
  agreement: { descriptor: string; ari: number; n: number }[];
}

/**
 * Clusters latents with k-means (src/metrics/clustering.ts: k-means++ and
 * best of several starts, as scikit-learn) and decodes each centre, so a
 * cluster can be read as a spectrum. With descriptors, reports how well the
 * clusters reproduce each descriptor's levels (adjusted Rand index: 1 =
 * identical partition, ~0 = chance) — meaningful for discrete descriptors
 * such as CN.
 * @param latents n x d latents, row-major
 * @param k number of clusters
 * @param decode decoder forward pass (d -> m)
 * @param descriptors optional n x names.length values (NaN = missing)
 */
export function clusterLatents(
  latents: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  decode: Forward,
  descriptors?: { names: string[]; values: ArrayLike<number> },
  seed = 0,
): LatentClusters {
  check(Number.isInteger(k) && k >= 1 && k <= n, `k must be an integer in 1..${n}, got ${k}`, '--k');
  check(latents.length === n * d, `latents hold ${latents.length} values, expected ${n} x ${d}`);
  const km: KMeansResult = kMeans(latents, n, d, k, { seed });
  const sizes = new Int32Array(k);
  for (const l of km.labels) sizes[l]++;
  const centerSpectra = decode(Float32Array.from(km.centers), k);
  const agreement: LatentClusters['agreement'] = [];
  if (descriptors) {
    const K = descriptors.names.length;
    descriptors.names.forEach((name, c) => {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (Number.isFinite(descriptors.values[i * K + c])) rows.push(i);
      const ari = rows.length >= 2 ? adjustedRandIndex(Float64Array.from(rows, (i) => km.labels[i]), Float64Array.from(rows, (i) => descriptors.values[i * K + c])) : NaN;
      agreement.push({ descriptor: name, ari, n: rows.length });
    });
  }
  return { k, labels: km.labels, centers: km.centers, sizes, centerSpectra, inertia: km.inertia, agreement };
}
