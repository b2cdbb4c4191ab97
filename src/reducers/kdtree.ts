import { MaxHeap } from './vptree.js';

/** Each row's k nearest rows, nearest first: n x k indices and squared distances. */
export interface NeighbourLists {
  indices: Int32Array;
  distances: Float64Array;
  k: number;
}

/**
 * Exact k nearest neighbours among the rows of a low-dimensional point set
 * (an embedding: 1 to ~10 dimensions) with a k-d tree.
 *
 * The result is canonical, so that every caller that asks for the k nearest
 * of a point gets the same list, whatever search found it: the distance is
 * the squared Euclidean distance summed in axis order in Float64
 * (sum_t (q_t - p_t)^2, exactly as the metrics' brute-force rows compute
 * it), and of equal distances the smaller row index comes first. The
 * pruning is exact in floating point: a cell is skipped only when a
 * coordinate difference to its splitting plane, squared, already exceeds
 * the current k-th distance (rounding is monotone, so that single term is a
 * true lower bound of the computed sum).
 */
export class KdTree {
  /** Row indices in tree order; every node covers a contiguous range. */
  private readonly perm: Int32Array;
  /** Points in tree order (n x d), for contiguous leaf scans. */
  private readonly pts: Float64Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  /** Split axis, or -1 for a leaf. */
  private readonly axis: Int32Array;
  private readonly split: Float64Array;
  /** Children: left (coordinates <= split) and right (>= split). */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private nodes = 0;

  /**
   * @param points n x d row-major coordinates
   * @param leafSize most points a leaf holds (default 8)
   */
  constructor(
    readonly points: ArrayLike<number>,
    readonly n: number,
    readonly d: number,
    leafSize = 8,
  ) {
    this.perm = new Int32Array(n);
    for (let i = 0; i < n; i++) this.perm[i] = i;
    const cap = 2 * Math.ceil(n / Math.max(1, Math.floor(leafSize / 2))) + 2;
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.axis = new Int32Array(cap);
    this.split = new Float64Array(cap);
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.build(leafSize);
    this.pts = new Float64Array(n * d);
    for (let r = 0; r < n; r++) for (let t = 0; t < d; t++) this.pts[r * d + t] = points[this.perm[r] * d + t];
  }

  private build(leafSize: number): void {
    const { points, d, perm } = this;
    const work: number[] = [this.newNode(0, this.n)];
    while (work.length) {
      const node = work.pop()!;
      const s = this.start[node];
      const e = this.end[node];
      this.axis[node] = -1;
      if (e - s <= leafSize) continue;
      let best = -1;
      let spread = 0;
      for (let t = 0; t < d; t++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let p = s; p < e; p++) {
          const v = points[perm[p] * d + t];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (hi - lo > spread) {
          spread = hi - lo;
          best = t;
        }
      }
      if (best < 0) continue; // all points coincide
      const mid = (s + e) >> 1;
      selectNth(perm, points, d, best, s, e - 1, mid);
      this.axis[node] = best;
      this.split[node] = points[perm[mid] * d + best];
      const left = this.newNode(s, mid);
      const right = this.newNode(mid, e);
      this.left[node] = left;
      this.right[node] = right;
      work.push(right, left);
    }
  }

  private newNode(s: number, e: number): number {
    const v = this.nodes++;
    this.start[v] = s;
    this.end[v] = e;
    return v;
  }

  /**
   * Pushes the K nearest points of `query` (from qOff) into `heap` (capacity
   * K, cleared here) with {@link MaxHeap.pushLex}; `exclude` is a row index
   * to skip (the query's own row) or -1.
   */
  search(query: ArrayLike<number>, qOff: number, exclude: number, heap: MaxHeap, stack: Float64Array): void {
    const { pts, perm, d, start, end, axis, split, left, right } = this;
    heap.clear();
    const K = heap.capacity;
    let sp = 0;
    stack[sp++] = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const bound = stack[--sp];
      const node = stack[--sp];
      if (heap.size === K && bound > heap.top()) continue;
      const ax = axis[node];
      if (ax < 0) {
        for (let r = start[node], e = end[node]; r < e; r++) {
          const j = perm[r];
          if (j === exclude) continue;
          let s = 0;
          for (let t = 0, o = r * d; t < d; t++) {
            const u = query[qOff + t] - pts[o + t];
            s += u * u;
          }
          heap.pushLex(j, s);
        }
        continue;
      }
      const diff = query[qOff + ax] - split[node];
      const far2 = diff * diff;
      const farBound = far2 > bound ? far2 : bound;
      const near = diff <= 0 ? left[node] : right[node];
      const far = diff <= 0 ? right[node] : left[node];
      if (sp + 4 > stack.length) throw new Error('KdTree: traversal stack overflow');
      stack[sp++] = far;
      stack[sp++] = farBound;
      stack[sp++] = near;
      stack[sp++] = bound;
    }
  }

  /** A traversal stack large enough for this tree. */
  newStack(): Float64Array {
    let depth = 1;
    for (let m = this.n; m > 1; m = Math.ceil(m / 2)) depth++;
    return new Float64Array(4 * depth + 8);
  }

  /**
   * The K nearest rows of every row (itself excluded), canonical as above.
   * @returns n x K indices and squared distances, nearest first
   */
  allKnn(K: number): NeighbourLists {
    const { n, d } = this;
    const kk = Math.max(0, Math.min(K, n - 1));
    const indices = new Int32Array(n * kk);
    const distances = new Float64Array(n * kk);
    const heap = new MaxHeap(kk);
    const stack = this.newStack();
    // Tree order: consecutive queries walk the same leaves, which stay in cache.
    for (let r = 0; r < n; r++) {
      const i = this.perm[r];
      this.search(this.points, i * d, i, heap, stack);
      heap.drainSorted(indices, distances, i * kk);
    }
    return { indices, distances, k: kk };
  }
}

/** Reorders perm[lo..hi] (inclusive) so that position k holds the k-th smallest coordinate `axis`, smaller ones before it, larger after. */
function selectNth(perm: Int32Array, points: ArrayLike<number>, d: number, axis: number, lo: number, hi: number, k: number): void {
  const key = (p: number) => points[perm[p] * d + axis];
  while (hi > lo) {
    const pivot = key((lo + hi) >>> 1);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key(i) < pivot) i++;
      while (key(j) > pivot) j--;
      if (i <= j) {
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
