/**
 * UMAP's fuzzy simplicial set (umap-learn's smooth_knn_dist,
 * compute_membership_strengths and fuzzy union) over typed arrays, as an
 * edge list ready for the layout: umap-js builds the same graph in a
 * Map-keyed sparse matrix, which took 2.3 GiB and most of a fit's setup
 * time at 50,000 spectra.
 */

/** Symmetric fuzzy graph as edges (both directions listed), rows ascending, columns ascending within a row. */
export interface FuzzyGraph {
  n: number;
  head: Int32Array;
  tail: Int32Array;
  weight: Float64Array;
}

/**
 * @param indices n x kk neighbour indices (the point itself excluded), nearest first
 * @param distances n x kk distances matching `indices`
 * @param kk neighbours per row in the arrays
 * @param nNeighbors umap-learn's n_neighbors (the point itself included, so kk = nNeighbors - 1)
 */
export function fuzzySimplicialSet(indices: Int32Array, distances: Float64Array, n: number, kk: number, nNeighbors: number): FuzzyGraph {
  const target = Math.log2(nNeighbors);
  let meanAll = 0;
  for (let t = 0; t < n * kk; t++) meanAll += distances[t];
  // umap-learn's mean over the k columns including the zero self-distance.
  meanAll /= n * (kk + 1);
  const w = new Float64Array(n * kk);
  for (let i = 0; i < n; i++) {
    const off = i * kk;
    let rho = 0;
    let rowMean = 0;
    for (let a = 0; a < kk; a++) {
      const d = distances[off + a];
      rowMean += d;
      if (rho === 0 && d > 0) rho = d;
    }
    rowMean /= kk + 1;
    const mid = smoothKnnSigma(distances, off, kk, rho, target, 1);
    const floor = 1e-3 * (rho > 0 ? rowMean : meanAll);
    const sigma = mid < floor ? floor : mid;
    for (let a = 0; a < kk; a++) {
      const d = distances[off + a] - rho;
      w[off + a] = indices[off + a] === i ? 0 : d <= 0 ? 1 : Math.exp(-d / sigma);
    }
  }
  // Fuzzy union a + b - ab, where b is the reverse membership (0 when i is not among j's neighbours).
  const reverse = (i: number, j: number): number => {
    const off = j * kk;
    for (let a = 0; a < kk; a++) if (indices[off + a] === i) return w[off + a];
    return 0;
  };
  const counts = new Int32Array(n);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < kk; a++) {
      const j = indices[i * kk + a];
      if (j === i || w[i * kk + a] === 0) continue;
      counts[i]++;
      if (reverse(i, j) === 0) counts[j]++;
    }
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i] + counts[i];
  const E = ptr[n];
  const tail = new Int32Array(E);
  const weight = new Float64Array(E);
  const fill = ptr.slice(0, n);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < kk; a++) {
      const j = indices[i * kk + a];
      const va = w[i * kk + a];
      if (j === i || va === 0) continue;
      const vb = reverse(i, j);
      const v = va + vb - va * vb;
      tail[fill[i]] = j;
      weight[fill[i]++] = v;
      if (vb === 0) {
        tail[fill[j]] = i;
        weight[fill[j]++] = v;
      }
    }
  const head = new Int32Array(E);
  for (let i = 0; i < n; i++) {
    // Insertion sort of the (short) row by column.
    for (let e = ptr[i]; e < ptr[i + 1]; e++) {
      head[e] = i;
      const c = tail[e];
      const v = weight[e];
      let f = e - 1;
      while (f >= ptr[i] && tail[f] > c) {
        tail[f + 1] = tail[f];
        weight[f + 1] = weight[f];
        f--;
      }
      tail[f + 1] = c;
      weight[f + 1] = v;
    }
  }
  return { n, head, tail, weight };
}

/**
 * umap-learn's smooth_knn_dist bisection for one row: the sigma at which
 * sum_a exp(-max(d_a - rho, 0) / sigma) over dist[off .. off + count) reaches
 * `target` (to 1e-5, at most 64 steps), starting from `start`.
 */
export function smoothKnnSigma(dist: ArrayLike<number>, off: number, count: number, rho: number, target: number, start: number): number {
  let lo = 0;
  let hi = Infinity;
  let mid = start;
  for (let it = 0; it < 64; it++) {
    let psum = 0;
    for (let a = 0; a < count; a++) {
      const d = dist[off + a] - rho;
      psum += d > 0 ? Math.exp(-d / mid) : 1;
    }
    if (Math.abs(psum - target) < 1e-5) break;
    if (psum > target) {
      hi = mid;
      mid = (lo + hi) / 2;
    } else {
      lo = mid;
      mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
    }
  }
  return mid;
}
