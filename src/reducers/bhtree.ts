/**
 * Space-partitioning tree (binary tree in 1-D, quadtree in 2-D, octree in
 * 3-D) over the embedding points, for Barnes-Hut approximation of the t-SNE
 * repulsive forces (van der Maaten 2014). Built top-down each iteration by
 * splitting cells at their centres; leaves hold one point, or several
 * identical points (a depth cap stops splitting those).
 */
export class BhTree {
  /** Point indices, grouped so every node covers a contiguous range. */
  readonly order: Int32Array;
  start: Int32Array;
  end: Int32Array;
  /** First child node, or -1 for a leaf; children of a node are contiguous. */
  firstChild: Int32Array;
  childCount: Int8Array;
  /** Centre of mass, nodes x d. */
  com: Float64Array;
  /** Largest side length of the node's cell. */
  width: Float64Array;
  nodes = 0;

  /**
   * @param Y n x d embedding, row-major
   * @param d embedding dimension (1, 2 or 3)
   */
  constructor(
    readonly Y: Float64Array,
    readonly n: number,
    readonly d: number,
  ) {
    const cap = Math.max(16, 4 * n);
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.firstChild = new Int32Array(cap);
    this.childCount = new Int8Array(cap);
    this.com = new Float64Array(cap * d);
    this.width = new Float64Array(cap);
    this.build();
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const g = <T extends Int32Array | Int8Array | Float64Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (k: number) => T)(size);
      b.set(a);
      return b;
    };
    this.start = g(this.start, cap);
    this.end = g(this.end, cap);
    this.firstChild = g(this.firstChild, cap);
    this.childCount = g(this.childCount, cap);
    this.com = g(this.com, cap * this.d);
    this.width = g(this.width, cap);
  }

  private build(): void {
    const { Y, n, d, order } = this;
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < n; i++)
      for (let t = 0; t < d; t++) {
        const v = Y[i * d + t];
        if (v < lo[t]) lo[t] = v;
        if (v > hi[t]) hi[t] = v;
      }
    // Each node's cell (centre, half sizes) is needed during the build only.
    const nChild = 1 << d;
    const tmp = new Int32Array(n);
    const codes = new Int32Array(n);
    const counts = new Int32Array(nChild);
    const offs = new Int32Array(nChild);
    const fill = new Int32Array(nChild);
    this.nodes = 1;
    this.start[0] = 0;
    this.end[0] = n;
    const work: number[] = [0, 0]; // node, depth
    const center0: number[] = [];
    const half0: number[] = [];
    for (let t = 0; t < d; t++) {
      center0.push((lo[t] + hi[t]) / 2);
      half0.push(Math.max((hi[t] - lo[t]) / 2, 1e-12) * (1 + 1e-9));
    }
    let boxStore = new Float64Array(this.start.length * 2 * d);
    for (let t = 0; t < d; t++) {
      boxStore[t] = center0[t];
      boxStore[d + t] = half0[t];
    }
    while (work.length) {
      const depth = work.pop()!;
      const node = work.pop()!;
      const box = boxStore.subarray(node * 2 * d, (node + 1) * 2 * d);
      const s = this.start[node];
      const e = this.end[node];
      let w = 0;
      for (let t = 0; t < d; t++) w = Math.max(w, 2 * box[d + t]);
      this.width[node] = w;
      for (let t = 0; t < d; t++) {
        let c = 0;
        for (let p = s; p < e; p++) c += Y[order[p] * d + t];
        this.com[node * d + t] = c / (e - s);
      }
      if (e - s <= 1 || depth >= 48) {
        this.firstChild[node] = -1;
        this.childCount[node] = 0;
        continue;
      }
      // Counting sort of the range by child cell.
      counts.fill(0);
      for (let p = s; p < e; p++) {
        const i = order[p];
        let code = 0;
        for (let t = 0; t < d; t++) if (Y[i * d + t] >= box[t]) code |= 1 << t;
        codes[p] = code;
        counts[code]++;
      }
      offs[0] = 0;
      for (let c = 1; c < nChild; c++) offs[c] = offs[c - 1] + counts[c - 1];
      fill.set(offs);
      for (let p = s; p < e; p++) tmp[s + fill[codes[p]]++] = order[p];
      order.set(tmp.subarray(s, e), s);
      let kids = 0;
      for (let c = 0; c < nChild; c++) if (counts[c] > 0) kids++;
      while (this.nodes + kids > this.start.length) {
        this.grow();
        const nb = new Float64Array(this.start.length * 2 * d);
        nb.set(boxStore);
        boxStore = nb;
      }
      const first = this.nodes;
      this.firstChild[node] = first;
      this.childCount[node] = kids;
      let k = 0;
      for (let c = 0; c < nChild; c++) {
        if (counts[c] === 0) continue;
        const child = first + k++;
        this.start[child] = s + offs[c];
        this.end[child] = s + offs[c] + counts[c];
        const cb = child * 2 * d;
        for (let t = 0; t < d; t++) {
          const h = box[d + t] / 2;
          boxStore[cb + d + t] = h;
          boxStore[cb + t] = box[t] + ((c >> t) & 1 ? h : -h);
        }
        work.push(child, depth + 1);
      }
      this.nodes += kids;
    }
  }

  /**
   * Repulsive force on point i: accumulates sum_j q_ij^2 (y_i - y_j) into
   * `force` (length d, unnormalized q = 1 / (1 + |y_i - y_j|^2)) and returns
   * sum_j q_ij (its contribution to Z). Cells with width / distance < theta
   * are summarized by their centre of mass; theta = 0 is exact.
   */
  repulsion(i: number, theta: number, force: Float64Array, stack: Int32Array): number {
    if (this.d === 2) return this.repulsion2d(i, theta, force, stack);
    const { Y, d, com, width, firstChild, childCount, order, start, end } = this;
    const yi = i * d;
    let sumQ = 0;
    let sp = 0;
    stack[sp++] = 0;
    const theta2 = theta * theta;
    while (sp > 0) {
      const node = stack[--sp];
      const fc = firstChild[node];
      if (fc < 0) {
        for (let p = start[node]; p < end[node]; p++) {
          const j = order[p];
          if (j === i) continue;
          let d2 = 0;
          for (let t = 0; t < d; t++) {
            const u = Y[yi + t] - Y[j * d + t];
            d2 += u * u;
          }
          const q = 1 / (1 + d2);
          sumQ += q;
          const qq = q * q;
          for (let t = 0; t < d; t++) force[t] += qq * (Y[yi + t] - Y[j * d + t]);
        }
        continue;
      }
      let d2 = 0;
      for (let t = 0; t < d; t++) {
        const u = Y[yi + t] - com[node * d + t];
        d2 += u * u;
      }
      const w = width[node];
      if (w * w < theta2 * d2) {
        const cnt = end[node] - start[node];
        const q = 1 / (1 + d2);
        sumQ += cnt * q;
        const qq = cnt * q * q;
        for (let t = 0; t < d; t++) force[t] += qq * (Y[yi + t] - com[node * d + t]);
      } else {
        if (sp + childCount[node] > stack.length) throw new Error('BhTree: traversal stack overflow');
        for (let c = 0; c < childCount[node]; c++) stack[sp++] = fc + c;
      }
    }
    return sumQ;
  }

  /**
   * Per-node record for the 2-D traversal, 6 doubles: centre of mass x, y,
   * width^2, point count, first child (-1: leaf), child count. One record per
   * cache line pair instead of reads from six arrays.
   */
  private packed2d(): Float64Array {
    if (this.pack) return this.pack;
    const { com, width, firstChild, childCount, start, end } = this;
    const P = new Float64Array(this.nodes * 6);
    for (let v = 0; v < this.nodes; v++) {
      const o = v * 6;
      P[o] = com[2 * v];
      P[o + 1] = com[2 * v + 1];
      P[o + 2] = width[v] * width[v];
      P[o + 3] = end[v] - start[v];
      P[o + 4] = firstChild[v];
      P[o + 5] = childCount[v];
    }
    this.pack = P;
    return P;
  }
  private pack: Float64Array | null = null;

  /**
   * {@link repulsion} unrolled for 2-D, the common case. A leaf is taken as
   * its centre of mass (its points coincide: one point, or identical points
   * at the depth cap), less the query point itself when it lies there.
   */
  private repulsion2d(i: number, theta: number, force: Float64Array, stack: Int32Array): number {
    const P = this.packed2d();
    const xi = this.Y[2 * i];
    const yi = this.Y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    let sumQ = 0;
    let sp = 0;
    stack[sp++] = 0;
    const theta2 = theta * theta;
    while (sp > 0) {
      const o = stack[--sp] * 6;
      const dx = xi - P[o];
      const dy = yi - P[o + 1];
      const d2 = dx * dx + dy * dy;
      const fc = P[o + 4];
      if (fc < 0 || P[o + 2] < theta2 * d2) {
        let cnt = P[o + 3];
        // The query point's own leaf: its coincident partners each add q = 1 and no force.
        if (fc < 0 && d2 === 0) {
          sumQ += cnt - 1;
          continue;
        }
        const q = 1 / (1 + d2);
        sumQ += cnt * q;
        cnt *= q * q;
        fx += cnt * dx;
        fy += cnt * dy;
      } else {
        const cc = P[o + 5];
        if (sp + cc > stack.length) throw new Error('BhTree: traversal stack overflow');
        for (let c = 0; c < cc; c++) stack[sp++] = fc + c;
      }
    }
    force[0] += fx;
    force[1] += fy;
    return sumQ;
  }
}
