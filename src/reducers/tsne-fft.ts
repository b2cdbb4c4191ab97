import { FftPlan, isFftSize, nextFftSize } from './fft.js';
import { gemmAddon } from './gemm.js';

/**
 * Repulsive forces of t-SNE by polynomial interpolation on an equispaced
 * grid and FFT convolution (FIt-SNE: Linderman et al., Nature Methods 16,
 * 243 (2019); the method openTSNE uses for large n), in 1 or 2 dimensions.
 *
 * The embedding's bounding square is cut into `boxes` intervals per axis
 * (at least `minBoxes`, about `boxesPerUnit` per unit of length, rounded up
 * to a 2^a 3^b 5^c count so the FFT lengths are too), each with `nodes`
 * equispaced interpolation nodes. Every point spreads the charges
 * 1, y, |y|^2 (per axis for y) onto the Lagrange nodes of its box; the
 * potentials sum_b K(a - b) w_b of the squared Cauchy kernel
 * K = 1 / (1 + |d|^2)^2 between all nodes are one circular convolution
 * (the node grid is uniform, so the kernel matrix is Toeplitz, embedded in
 * a circulant of twice the size); the potentials are interpolated back to
 * the points. From them, per point i:
 *   sum_j q_ij^2 (y_i - y_j) = y_i phi_1 - phi_y
 *   sum_j q_ij = (1 + |y_i|^2) phi_1 - 2 y_i . phi_y + phi_|y|^2
 * (including j = i, whose q = 1 is taken off Z). Coordinates are taken
 * relative to the grid's centre to keep the second sum's cancellation small.
 * Cost O(n nodes^d + G log G) for G grid nodes, against O(n log n) tree
 * walks for Barnes-Hut; the error is set by the grid, not by theta.
 *
 * The grids and their FFTs are single precision (./fft.ts says why); the
 * charges are rounded to float32 as they are added, everything per point is
 * double. With the native addon the whole computation runs in C
 * (xl_tsne_fft in native/src/embed.c), operation by operation as here, so
 * the forces are the same bits with or without the addon.
 */
export interface FftGridOptions {
  /** Interpolation nodes per box and axis (default 3, as FIt-SNE and openTSNE); a 2^a 3^b 5^c number. */
  nodes: number;
  /** Fewest boxes per axis (default 50, openTSNE's min_num_intervals). */
  minBoxes: number;
  /** Boxes per unit of embedding length (default 1, openTSNE's ints_in_interval). */
  boxesPerUnit: number;
}

export const FFT_GRID_DEFAULTS: FftGridOptions = { nodes: 3, minBoxes: 50, boxesPerUnit: 1 };

/** The grid of one evaluation. */
export interface FftGrid {
  /** Interpolation nodes per box and axis. */
  p: number;
  /** Boxes per axis (a 2^a 3^b 5^c number, so the FFT length 2 p boxes is one too). */
  boxes: number;
  /** Lower corner (every axis) and box width. */
  lo: number;
  boxWidth: number;
  /** Coordinates are taken relative to this (the grid's centre). */
  centre: number;
}

/**
 * The grid for an embedding: its bounding square cut into at least
 * minBoxes boxes per axis. While the embedding spans less than
 * minBoxes / boxesPerUnit, the boxes shrink with it (openTSNE's rule);
 * beyond, they are 1 / boxesPerUnit wide and the grid grows by whole boxes,
 * so the kernel's transform (which depends only on the node spacing and the
 * grid size) is reused until the box count changes.
 */
export function fftGrid(Y: Float64Array, len: number, o: FftGridOptions): FftGrid {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < len; t++) {
    const v = Y[t];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  const unit = 1 / o.boxesPerUnit;
  let boxes: number;
  let boxWidth: number;
  if (span * o.boxesPerUnit <= o.minBoxes) {
    boxes = nextFftSize(o.minBoxes);
    boxWidth = span > 0 ? span / boxes : unit;
  } else {
    boxes = nextFftSize(Math.ceil(span * o.boxesPerUnit));
    boxWidth = unit;
  }
  return { p: o.nodes, boxes, lo, boxWidth, centre: lo + (boxes * boxWidth) / 2 };
}

/**
 * FFT repulsion over successive embeddings (an optimization's iterations):
 * keeps the grid buffers and the kernel's transform between calls.
 */
export class FftRepulsion {
  private M = 0;
  private boxWidth = NaN;
  private khat = new Float32Array(0);
  private work = new Float32Array(0);
  private forces = new Float64Array(0);
  /** Boxes per axis of the last grid. */
  lastBoxes = 0;

  /**
   * @param d embedding dimension, 1 or 2
   * @param native false keeps the JavaScript code (tests compare the two)
   */
  constructor(
    readonly d: number,
    readonly options: FftGridOptions = FFT_GRID_DEFAULTS,
    readonly native = true,
  ) {
    if (d !== 1 && d !== 2) throw new Error(`FFT repulsion supports 1 or 2 dimensions (got ${d})`);
    if (!isFftSize(options.nodes)) throw new Error(`FFT repulsion: nodes must be of the form 2^a 3^b 5^c (got ${options.nodes})`);
  }

  /**
   * Unnormalized repulsive forces rep_i = sum_j q_ij^2 (y_i - y_j) (n x d)
   * and Z = sum_{i != j} q_ij of the embedding Y (n x d).
   * @param rep output, n x d (default: a buffer kept by this object, overwritten by the next call)
   * @returns Z, the forces, and the boxes per axis of the grid used
   */
  compute(Y: Float64Array, n: number, rep?: Float64Array): { sumQ: number; rep: Float64Array; boxes: number } {
    const { d } = this;
    if (!rep) {
      if (this.forces.length !== n * d) this.forces = new Float64Array(n * d);
      rep = this.forces;
    }
    const g = fftGrid(Y, n * d, this.options);
    const M = 2 * g.p * g.boxes;
    const cells = d === 2 ? M * M : M;
    const fresh = M !== this.M || g.boxWidth !== this.boxWidth;
    if (M !== this.M) {
      this.khat = new Float32Array(cells);
      this.work = new Float32Array(6 * cells);
    }
    this.M = M;
    this.boxWidth = g.boxWidth;
    const nat = this.native ? gemmAddon() : null;
    const sumQ = nat?.tsneFft
      ? nat.tsneFft(Y, n, d, g.p, g.boxes, g.lo, g.boxWidth, g.centre, this.khat, fresh ? 1 : 0, this.work, rep)
      : repulsionOnGrid(Y, n, d, g, this.khat, fresh, this.work, rep);
    this.lastBoxes = g.boxes;
    return { sumQ, rep, boxes: g.boxes };
  }
}

/** One-off {@link FftRepulsion.compute}. */
export function fftRepulsion(
  Y: Float64Array,
  n: number,
  d: number,
  rep: Float64Array,
  o: FftGridOptions = FFT_GRID_DEFAULTS,
  native = true,
): { sumQ: number; boxes: number } {
  const r = new FftRepulsion(d, o, native).compute(Y, n, rep);
  return { sumQ: r.sumQ, boxes: r.boxes };
}

/**
 * The computation on a given grid (xl_tsne_fft in native/src/embed.c is the
 * same, operation by operation).
 * @param khat M^d real kernel transform, scaled by 1 / M^d; recomputed when `fresh`
 * @param work 6 M^d floats: the charge grids P1 = (1, y_0), P2 = (y_1, |y|^2)
 *   (1-D: P1 = (1, y), P2 = (y^2, 0)) as complex grids (real parts, then
 *   imaginary parts), and FFT scratch
 * @returns Z
 */
export function repulsionOnGrid(
  Y: Float64Array,
  n: number,
  d: number,
  g: FftGrid,
  khat: Float32Array,
  fresh: boolean,
  work: Float32Array,
  rep: Float64Array,
): number {
  const { p, boxes } = g;
  const N = boxes * p;
  const M = 2 * N;
  const cells = d === 2 ? M * M : M;
  const plan = new FftPlan(M);
  const [r1, i1, r2, i2, sr, si] = [0, 1, 2, 3, 4, 5].map((k) => work.subarray(k * cells, (k + 1) * cells));
  if (fresh) kernelTransform(d, N, M, g.boxWidth / p, plan, khat, r1, i1, sr, si);
  work.fill(0, 0, 4 * cells);
  const den = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let v = 1;
    for (let l = 0; l < p; l++) if (l !== j) v *= (j + 0.5) / p - (l + 0.5) / p;
    den[j] = v;
  }
  // Each point's interpolation nodes (grid cells) and weights, for spreading and for gathering.
  const P = d === 2 ? p * p : p;
  const node = new Int32Array(n * P);
  const weight = new Float64Array(n * P);
  const wts = new Float64Array(2 * p);
  for (let i = 0; i < n; i++) {
    const bx = lagrange(Y[i * d], g, den, wts, 0) * p;
    const base = d === 2 ? lagrange(Y[i * d + 1], g, den, wts, p) * p * M + bx : bx;
    for (let s = 0; s < P; s++) {
      const a = s % p;
      const b1 = (s - a) / p;
      node[i * P + s] = base + b1 * M + a;
      weight[i * P + s] = d === 2 ? wts[p + b1] * wts[a] : wts[a];
    }
    const y0 = Y[i * d] - g.centre;
    const y1 = d === 2 ? Y[i * d + 1] - g.centre : 0;
    // Charges 1, y_0, y_1, |y|^2 (1-D: 1, y, y^2).
    const c2 = d === 2 ? y1 : y0 * y0;
    const c3 = y0 * y0 + y1 * y1;
    for (let s = i * P; s < (i + 1) * P; s++) {
      const w = weight[s];
      const o = node[s];
      r1[o] += w;
      i1[o] += w * y0;
      r2[o] += w * c2;
      if (d === 2) i2[o] += w * c3;
    }
  }
  const rows = d === 2 ? M : 1;
  const nz = d === 2 ? N : 1;
  fftGrid2(plan, r1, i1, sr, si, rows, M, nz, -1);
  fftGrid2(plan, r2, i2, sr, si, rows, M, nz, -1);
  for (let t = 0; t < cells; t++) {
    const k = khat[t];
    r1[t] *= k;
    i1[t] *= k;
    r2[t] *= k;
    i2[t] *= k;
  }
  fftGrid2(plan, r1, i1, sr, si, rows, M, nz, 1);
  fftGrid2(plan, r2, i2, sr, si, rows, M, nz, 1);
  let sumQ = 0;
  for (let i = 0; i < n; i++) {
    let f1 = 0;
    let fx = 0;
    let fy = 0;
    let f2 = 0;
    for (let s = i * P; s < (i + 1) * P; s++) {
      const w = weight[s];
      const o = node[s];
      f1 += w * r1[o];
      fx += w * i1[o];
      fy += w * r2[o];
      if (d === 2) f2 += w * i2[o];
    }
    if (d === 2) {
      const y0 = Y[2 * i] - g.centre;
      const y1 = Y[2 * i + 1] - g.centre;
      rep[2 * i] = y0 * f1 - fx;
      rep[2 * i + 1] = y1 * f1 - fy;
      sumQ += (1 + y0 * y0 + y1 * y1) * f1 - 2 * (y0 * fx + y1 * fy) + f2;
    } else {
      // 1-D: fx is the y potential, fy the y^2 one.
      const y = Y[i] - g.centre;
      rep[i] = y * f1 - fx;
      sumQ += (1 + y * y) * f1 - 2 * y * fx + fy;
    }
  }
  return sumQ - n;
}

/** Box index of coordinate v and its p Lagrange weights at the nodes (j + 1/2) / p of the box (written to w from off). */
function lagrange(v: number, g: FftGrid, den: Float64Array, w: Float64Array, off: number): number {
  const u = (v - g.lo) / g.boxWidth;
  // Clamped both ways: the top edge falls in the last box, and a point outside the grid cannot write outside it.
  let b = Math.floor(u);
  if (!(b >= 0)) b = 0;
  if (b >= g.boxes) b = g.boxes - 1;
  const x = u - b;
  const p = g.p;
  for (let j = 0; j < p; j++) {
    let v2 = 1;
    for (let l = 0; l < p; l++) if (l !== j) v2 *= x - (l + 0.5) / p;
    w[off + j] = v2 / den[j];
  }
  return b;
}

/**
 * khat = DFT of the circulant embedding of the squared Cauchy kernel between
 * nodes h apart (offsets -N < a < N; zero at +-N), divided by M^d; the
 * kernel is even, so its transform is real and only the real part is kept.
 */
function kernelTransform(
  d: number,
  N: number,
  M: number,
  h: number,
  plan: FftPlan,
  khat: Float32Array,
  kr: Float32Array,
  ki: Float32Array,
  sr: Float32Array,
  si: Float32Array,
): void {
  const h2 = h * h;
  kr.fill(0);
  ki.fill(0);
  const rows = d === 2 ? M : 1;
  for (let r = 0; r < rows; r++) {
    if (d === 2 && r === N) continue;
    const dr = r < N ? r : r - M;
    for (let c = 0; c < M; c++) {
      if (c === N) continue;
      const dc = c < N ? c : c - M;
      const q = 1 / (1 + (dc * dc + dr * dr) * h2);
      kr[r * M + c] = q * q;
    }
  }
  fftGrid2(plan, kr, ki, sr, si, rows, M, rows, -1);
  const scale = 1 / (d === 2 ? M * M : M);
  for (let t = 0; t < khat.length; t++) khat[t] = kr[t] * scale;
}

/**
 * DFT of a rows x M complex grid (rows = 1: one sequence). Forward: rows
 * from `nz` on are zero, so only the first nz rows are transformed along
 * the row, then every column. Inverse: columns first, then only the first
 * nz rows (the rest are never read).
 */
function fftGrid2(
  plan: FftPlan,
  re: Float32Array,
  im: Float32Array,
  sr: Float32Array,
  si: Float32Array,
  rows: number,
  M: number,
  nz: number,
  sign: 1 | -1,
): void {
  if (rows === 1) {
    plan.transform(re, im, 0, sr, si, 0, 1, sign);
    return;
  }
  if (sign === 1) plan.transform(re, im, 0, sr, si, 0, M, sign);
  for (let r = 0; r < nz; r++) plan.transform(re, im, r * M, sr, si, 0, 1, sign);
  if (sign === -1) plan.transform(re, im, 0, sr, si, 0, M, sign);
}
