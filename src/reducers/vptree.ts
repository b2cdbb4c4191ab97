/**
 * Exact k-nearest-neighbour search (Euclidean) over the rows of an n x d
 * row-major matrix with a vantage-point tree (Yianilos 1993), as bhtsne uses.
 * Spectra have a low intrinsic dimension, so the tree prunes well even for
 * tens of input dimensions; build is O(n log n).
 */
export class VpTree {
  /** Row index stored at each node. */
  private readonly item: Int32Array;
  /** Median distance from the node's point to its subtree's points. */
  private readonly radius: Float64Array;
  private readonly inside: Int32Array;
  private readonly outside: Int32Array;
  private root = -1;

  /**
   * @param data n x d row-major points
   * @param n number of points
   * @param d dimensions
   * @param seed vantage points are picked pseudo-randomly from this seed (the result does not depend on it)
   */
  constructor(
    readonly data: ArrayLike<number>,
    readonly n: number,
    readonly d: number,
    seed = 1,
  ) {
    this.item = new Int32Array(n);
    this.radius = new Float64Array(n);
    this.inside = new Int32Array(n).fill(-1);
    this.outside = new Int32Array(n).fill(-1);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const dist = new Float64Array(n);
    let s = seed >>> 0 || 1;
    const rand = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    let next = 0;
    // Iterative build: [lo, hi, parent, which-child] stack.
    const stack: number[] = [0, n, -1, 0];
    while (stack.length) {
      const side = stack.pop()!;
      const parent = stack.pop()!;
      const hi = stack.pop()!;
      const lo = stack.pop()!;
      if (hi <= lo) continue;
      const node = next++;
      if (parent < 0) this.root = node;
      else if (side === 0) this.inside[parent] = node;
      else this.outside[parent] = node;
      const r = lo + Math.floor(rand() * (hi - lo));
      [idx[lo], idx[r]] = [idx[r], idx[lo]];
      const vp = idx[lo];
      this.item[node] = vp;
      if (hi - lo === 1) continue;
      for (let t = lo + 1; t < hi; t++) dist[t] = this.distance(vp, idx[t]);
      const mid = (lo + 1 + hi) >>> 1;
      quickselect(idx, dist, lo + 1, hi - 1, mid);
      this.radius[node] = dist[mid];
      stack.push(lo + 1, mid, node, 0, mid, hi, node, 1);
    }
  }

  private distance(a: number, b: number): number {
    const { data, d } = this;
    let s = 0;
    for (let k = 0, pa = a * d, pb = b * d; k < d; k++) {
      const t = data[pa + k] - data[pb + k];
      s += t * t;
    }
    return Math.sqrt(s);
  }

  /**
   * The k nearest rows to `query` (a point of dimension d), nearest first.
   * @param exclude a row index to skip (the query itself), or -1
   * @returns indices and Euclidean distances, length min(k, available)
   */
  search(query: ArrayLike<number>, k: number, exclude = -1, queryOffset = 0): { indices: Int32Array; distances: Float64Array } {
    const heap = new MaxHeap(k);
    const { data, d } = this;
    let tau = Infinity;
    const stack: number[] = [];
    if (this.root >= 0) stack.push(this.root);
    while (stack.length) {
      const node = stack.pop()!;
      const it = this.item[node];
      let s = 0;
      for (let j = 0, p = it * d; j < d; j++) {
        const t = data[p + j] - query[queryOffset + j];
        s += t * t;
      }
      const dist = Math.sqrt(s);
      if (it !== exclude && dist < tau) {
        heap.push(it, dist);
        if (heap.size === k) tau = heap.top();
      }
      const inner = this.inside[node];
      const outer = this.outside[node];
      if (inner < 0 && outer < 0) continue;
      const r = this.radius[node];
      // Visit the more promising side last so it is popped first.
      if (dist < r) {
        if (outer >= 0 && dist + tau >= r) stack.push(outer);
        if (inner >= 0 && dist - tau <= r) stack.push(inner);
      } else {
        if (inner >= 0 && dist - tau <= r) stack.push(inner);
        if (outer >= 0 && dist + tau >= r) stack.push(outer);
      }
    }
    return heap.sorted();
  }

  /**
   * k nearest neighbours of every row of the tree's own data (the row itself excluded).
   * @returns n x k indices and distances, row-major, nearest first
   */
  allKnn(k: number): { indices: Int32Array; distances: Float64Array } {
    return knn(this.data, this.n, this.data, this.n, this.d, k, true, this);
  }
}

/** Reorders idx[lo..hi] (inclusive) so that position k holds the k-th smallest dist. */
function quickselect(idx: Int32Array, dist: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const pivot = dist[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (dist[i] < pivot) i++;
      while (dist[j] > pivot) j--;
      if (i <= j) {
        [idx[i], idx[j]] = [idx[j], idx[i]];
        [dist[i], dist[j]] = [dist[j], dist[i]];
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Whether (ka, ia) comes after (kb, ib): by key, and with `lex` of equal keys by id. */
function after(ka: number, ia: number, kb: number, ib: number, lex: boolean): boolean {
  return ka > kb || (lex && ka === kb && ia > ib);
}

/** Bounded max-heap on distance keeping the k smallest. */
export class MaxHeap {
  private readonly ids: Int32Array;
  private readonly keys: Float64Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.ids = new Int32Array(capacity);
    this.keys = new Float64Array(capacity);
  }
  top(): number {
    return this.keys[0];
  }
  /** Id at heap position i < size (heap order, not sorted). */
  idAt(i: number): number {
    return this.ids[i];
  }
  clear(): void {
    this.size = 0;
  }
  /** Keeps the `capacity` smallest keys; of equal keys, the first arrivals. */
  push(id: number, key: number): void {
    this.insert(id, key, false);
  }
  /**
   * As {@link push}, ordering by (key, id): of equal keys the smaller id
   * counts as nearer, so the heap keeps the k smallest (key, id) pairs
   * whatever order they arrive in.
   */
  pushLex(id: number, key: number): void {
    this.insert(id, key, true);
  }
  private insert(id: number, key: number, lex: boolean): void {
    const { ids, keys } = this;
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!after(key, id, keys[p], ids[p], lex)) break;
        ids[i] = ids[p];
        keys[i] = keys[p];
        i = p;
      }
      ids[i] = id;
      keys[i] = key;
      return;
    }
    if (!after(keys[0], ids[0], key, id, lex)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && after(keys[r], ids[r], keys[l], ids[l], lex) ? r : l;
      if (!after(keys[c], ids[c], key, id, lex)) break;
      ids[i] = ids[c];
      keys[i] = keys[c];
      i = c;
    }
    ids[i] = id;
    keys[i] = key;
  }
  /** Id at the top (the largest key; with pushLex, the largest (key, id)). */
  topId(): number {
    return this.ids[0];
  }
  /**
   * Writes the contents in increasing (key, id) order to ids[off ..] and
   * keys[off ..] without allocating (insertion sort: heaps here hold tens).
   * @returns the number written (size)
   */
  drainSorted(outIds: Int32Array, outKeys: Float64Array, off: number): number {
    const s = this.size;
    for (let a = 0; a < s; a++) {
      const id = this.ids[a];
      const key = this.keys[a];
      let b = off + a - 1;
      while (b >= off && (outKeys[b] > key || (outKeys[b] === key && outIds[b] > id))) {
        outKeys[b + 1] = outKeys[b];
        outIds[b + 1] = outIds[b];
        b--;
      }
      outKeys[b + 1] = key;
      outIds[b + 1] = id;
    }
    return s;
  }
  /** Contents in increasing key order (ties by id). */
  sorted(): { indices: Int32Array; distances: Float64Array } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort(
      (a, b) => this.keys[a] - this.keys[b] || this.ids[a] - this.ids[b],
    );
    return {
      indices: Int32Array.from(order, (i) => this.ids[i]),
      distances: Float64Array.from(order, (i) => this.keys[i]),
    };
  }
}

/**
 * Exact kNN of `queries` (q x d) among `data` (n x d) by brute force; for
 * low-dimensional embeddings or small n, where a tree does not pay off.
 * @param excludeSelf when queries are the data rows themselves, skip i for query i
 */
export function bruteKnn(
  data: ArrayLike<number>,
  n: number,
  queries: ArrayLike<number>,
  q: number,
  d: number,
  k: number,
  excludeSelf = false,
): { indices: Int32Array; distances: Float64Array } {
  const kk = Math.min(k, excludeSelf ? n - 1 : n);
  const indices = new Int32Array(q * kk);
  const distances = new Float64Array(q * kk);
  const heap = new MaxHeap(kk);
  for (let i = 0; i < q; i++) {
    heap.clear();
    for (let j = 0; j < n; j++) {
      if (excludeSelf && i === j) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const u = data[j * d + t] - queries[i * d + t];
        s += u * u;
      }
      if (heap.size < kk || s < heap.top()) heap.push(j, s);
    }
    const r = heap.sorted();
    indices.set(r.indices, i * kk);
    for (let t = 0; t < kk; t++) distances[i * kk + t] = Math.sqrt(r.distances[t]);
  }
  return { indices, distances };
}

/** kNN choosing the method: brute force in <= 3 dims or small n, else a VP-tree. */
export function knn(
  data: ArrayLike<number>,
  n: number,
  queries: ArrayLike<number>,
  q: number,
  d: number,
  k: number,
  excludeSelf = false,
  tree?: VpTree,
): { indices: Int32Array; distances: Float64Array } {
  if (!tree && n * q <= 4e6) return bruteKnn(data, n, queries, q, d, k, excludeSelf);
  const t = tree ?? new VpTree(data, n, d);
  const kk = Math.min(k, excludeSelf ? n - 1 : n);
  const indices = new Int32Array(q * kk);
  const distances = new Float64Array(q * kk);
  for (let i = 0; i < q; i++) {
    const r = t.search(queries, kk, excludeSelf ? i : -1, i * d);
    indices.set(r.indices, i * kk);
    distances.set(r.distances, i * kk);
  }
  return { indices, distances };
}
