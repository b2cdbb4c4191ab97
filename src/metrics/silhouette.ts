import { Rng } from '../util/random.js';

/**
 * Mean silhouette coefficient (Rousseeuw 1987) of a clustering: for each
 * point, s = (b - a) / max(a, b) with a its mean distance to the other
 * members of its cluster and b the smallest mean distance to another
 * cluster's members; 1 = tight, well separated clusters, 0 = overlapping.
 * Points labelled -1 (noise) are left out, as are singletons (s = 0 by
 * convention, as scikit-learn). Exact O(n^2 d); above `sampleSize` points a
 * fixed-seed random subset is scored (scikit-learn's sample_size).
 *
 * @param X n x d points, row-major
 * @param labels cluster of each point (-1 = noise)
 * @returns NaN when fewer than 2 clusters remain
 */
export function silhouetteScore(X: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, opts: { sampleSize?: number; seed?: number } = {}): number {
  let rows: number[] = [];
  for (let i = 0; i < n; i++) if (labels[i] >= 0) rows.push(i);
  const cap = opts.sampleSize ?? 4000;
  if (rows.length > cap) {
    const perm = new Rng(opts.seed ?? 0).permutation(rows.length);
    rows = Array.from(perm.subarray(0, cap), (j) => rows[j]).sort((a, b) => a - b);
  }
  const ids = [...new Set(rows.map((i) => labels[i]))].sort((a, b) => a - b);
  if (ids.length < 2) return NaN;
  const slot = new Map(ids.map((c, j) => [c, j]));
  const K = ids.length;
  const r = rows.length;
  const P = new Float64Array(r * d);
  const lab = new Int32Array(r);
  const count = new Float64Array(K);
  rows.forEach((i, q) => {
    for (let t = 0; t < d; t++) P[q * d + t] = X[i * d + t];
    lab[q] = slot.get(labels[i])!;
    count[lab[q]]++;
  });
  const sums = new Float64Array(K);
  let total = 0;
  for (let q = 0; q < r; q++) {
    sums.fill(0);
    for (let p = 0; p < r; p++) {
      if (p === q) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const u = P[q * d + t] - P[p * d + t];
        s += u * u;
      }
      sums[lab[p]] += Math.sqrt(s);
    }
    const own = lab[q];
    if (count[own] <= 1) continue;
    const a = sums[own] / (count[own] - 1);
    let b = Infinity;
    // Every cluster in ids has a member among the rows.
    for (let c = 0; c < K; c++) if (c !== own) b = Math.min(b, sums[c] / count[c]);
    total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  }
  return total / r;
}
