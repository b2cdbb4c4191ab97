import { gemmAddon } from './gemm.js';
import { MaxHeap, VpTree } from './vptree.js';

/**
 * Exact k nearest neighbours of every row among the rows themselves, for
 * t-SNE's affinities and UMAP's graph. With the native addon it is a blocked
 * brute force: squared distances |x|^2 + |y|^2 - 2 x.y with the dot products
 * from OpenBLAS sgemm (a block of query rows against all rows), a running
 * top-k per query (the addon's knnSelect, rows in parallel; of equal
 * approximate distances the smaller index wins), and the k
 * winners' distances recomputed exactly in Float64. At 50,000 x 50 this is ~250 GFLOP of GEMM, seconds with BLAS,
 * where a vantage-point tree in JavaScript degrades as the dimension grows.
 * Without the addon it falls back to {@link VpTree}.
 *
 * @param X n x p row-major points
 * @param k neighbours per point (at most n - 1), the point itself excluded
 * @param native false forces the vantage-point tree
 * @param jsSelect true keeps the top-k selection in JavaScript even where the
 *   addon has its C twin (tests compare the two)
 * @returns n x k indices and Euclidean (not squared) distances, nearest first
 */
export function allKnn(X: Float32Array, n: number, p: number, k: number, native = true, jsSelect = false): { indices: Int32Array; distances: Float64Array } {
  const kk = Math.min(k, n - 1);
  const nat = native && n >= 1000 ? gemmAddon() : null;
  if (!nat) return new VpTree(X, n, p).allKnn(kk);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * p, e = t + p; t < e; t++) s += X[t] * X[t];
    norms[i] = s;
  }
  const B = Math.max(1, Math.min(n, Math.floor((1 << 23) / n), 1024));
  const dots = new Float32Array(B * n);
  const indices = new Int32Array(n * kk);
  const distances = new Float64Array(n * kk);
  const heap = new MaxHeap(kk);
  for (let q0 = 0; q0 < n; q0 += B) {
    const rows = Math.min(B, n - q0);
    nat.gemm(X.subarray(q0 * p, (q0 + rows) * p), X, dots, 1, rows, n, p, 0, 1, 0, 0);
    if (nat.knnSelect && !jsSelect) nat.knnSelect(dots, rows, n, norms, q0, X, p, kk, indices, distances);
    else for (let r = 0; r < rows; r++) selectRow(dots, r * n, n, norms, q0 + r, X, p, heap, indices, distances);
  }
  return { indices, distances };
}

/**
 * Row i of the search: the kk candidates smallest in (approximate squared
 * distance, index) from its dot-product row (from `off` in dots), a set that
 * does not depend on how it is gathered, then the winners' exact Float64
 * distances, sorted ascending (ties by index). The addon's knnSelect selects
 * the same set (with a buffer it cuts back by quickselect, faster than a heap
 * in C), so both give the same bits.
 */
function selectRow(
  dots: Float32Array,
  off: number,
  n: number,
  norms: Float64Array,
  i: number,
  X: Float32Array,
  p: number,
  heap: MaxHeap,
  indices: Int32Array,
  distances: Float64Array,
): void {
  const ni = norms[i];
  const kk = heap.capacity;
  heap.clear();
  for (let j = 0; j < n; j++) if (j !== i) heap.pushLex(j, ni + norms[j] - 2 * dots[off + j]);
  const o = i * kk;
  for (let a = 0; a < kk; a++) {
    const j = heap.idAt(a);
    let s = 0;
    for (let t = 0; t < p; t++) {
      const u = X[i * p + t] - X[j * p + t];
      s += u * u;
    }
    indices[o + a] = j;
    distances[o + a] = Math.sqrt(s);
  }
  for (let a = 1; a < kk; a++) {
    const j = indices[o + a];
    const v = distances[o + a];
    let b = a - 1;
    while (b >= 0 && (distances[o + b] > v || (distances[o + b] === v && indices[o + b] > j))) {
      distances[o + b + 1] = distances[o + b];
      indices[o + b + 1] = indices[o + b];
      b--;
    }
    distances[o + b + 1] = v;
    indices[o + b + 1] = j;
  }
}
