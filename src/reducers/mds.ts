import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { BaseReducer, decodeF32, decodeF64, encodeArray, numParam, type ReducerParams } from './reducer.js';
import { topEigenSubspace } from './linalg.js';

/** MDS parameters. */
export interface MdsParams extends ReducerParams {
  /** Embedding dimension (default 2). */
  nComponents: number;
  /**
   * "classical": Torgerson/Gower MDS on all pairwise distances (O(n^2) memory);
   * "landmark": de Silva & Tenenbaum's landmark MDS (classical MDS on `landmarks`
   * random spectra, every other spectrum placed by distance-based triangulation);
   * "smacof": metric MDS minimizing raw stress by SMACOF, started from classical MDS
   * (scikit-learn's MDS; O(n^2) per iteration);
   * "auto" (default): classical up to `maxClassical` spectra, landmark beyond.
   */
  method: 'auto' | 'classical' | 'landmark' | 'smacof';
  /** Number of landmarks for the landmark method (default 500). */
  landmarks: number;
  /** Largest n for which "auto" chooses classical MDS (default 3000). */
  maxClassical: number;
  /** SMACOF iterations (default 300). */
  maxIter: number;
  /** SMACOF stops when the relative stress decrease falls below this (default 1e-4). */
  eps: number;
  /** Seed of the landmark choice (default 0). */
  seed: number;
}

/**
 * Multidimensional scaling on Euclidean distances between spectra.
 *
 * Out-of-sample transform: for classical and landmark MDS, the natural one,
 * distance-based triangulation y = -1/2 L# (delta_x - mean delta), where
 * delta are squared distances to the reference points (all training spectra
 * for classical, the landmarks for landmark MDS); it reproduces the
 * training embedding exactly for training spectra. For SMACOF, a new point
 * starts from that triangulation and then minimizes its own stress against
 * the fixed training embedding by single-point Guttman updates.
 */
export class Mds extends BaseReducer<MdsParams> {
  readonly name = 'mds';
  /** Reference spectra (landmarks or all training spectra), r x m. */
  private ref: Float32Array = new Float32Array(0);
  /** Column means of the reference squared-distance matrix (length r). */
  private meanSq: Float64Array = new Float64Array(0);
  /** Pseudo-inverse transpose rows: nComponents x r, row c = v_c / sqrt(lambda_c). */
  private pinv: Float64Array = new Float64Array(0);
  /** Training embedding (needed by SMACOF's transform). */
  embedding: Float32Array = new Float32Array(0);
  private methodUsed: 'classical' | 'landmark' | 'smacof' = 'classical';
  private info: Record<string, unknown> = {};

  constructor(params: Partial<MdsParams> = {}) {
    const method = params.method ?? 'auto';
    if (!['auto', 'classical', 'landmark', 'smacof'].includes(method)) {
      throw new UserError(`expected auto, classical, landmark or smacof (got ${JSON.stringify(method)})`, 'params.method');
    }
    super({
      nComponents: numParam(params.nComponents, 2, 'nComponents', { int: true, min: 1 }),
      method,
      landmarks: numParam(params.landmarks, 500, 'landmarks', { int: true, min: 2 }),
      maxClassical: numParam(params.maxClassical, 3000, 'maxClassical', { int: true, min: 2 }),
      maxIter: numParam(params.maxIter, 300, 'maxIter', { int: true, min: 1 }),
      eps: numParam(params.eps, 1e-4, 'eps', { min: 0 }),
      seed: numParam(params.seed, 0, 'seed', { int: true, min: 0 }),
    });
  }

  private resolveMethod(n: number): 'classical' | 'landmark' | 'smacof' {
    const m = this.params.method;
    if (m !== 'auto') return m;
    return n <= this.params.maxClassical ? 'classical' : 'landmark';
  }

  protected override checkSize(n: number): void {
    const k = this.params.nComponents;
    if (k >= n) throw new UserError(`nComponents (${k}) must be less than the number of spectra (${n})`, 'params.nComponents');
    const method = this.resolveMethod(n);
    if (method === 'landmark' && Math.min(this.params.landmarks, n) <= k) {
      throw new UserError(`landmarks (${this.params.landmarks}) must exceed nComponents (${k})`, 'params.landmarks');
    }
    if ((method === 'classical' || method === 'smacof') && n > 10000) {
      throw new UserError(
        `${method} MDS needs an n x n distance matrix; ${n} spectra would take ${((2 * n * n * 8) / 2 ** 30).toFixed(1)} GiB. Use method "landmark"`,
        'params.method',
      );
    }
  }

  protected fitImpl(X: Float32Array, n: number, m: number): Float32Array {
    const method = this.resolveMethod(n);
    this.methodUsed = method;
    const k = this.params.nComponents;
    let refRows: Int32Array;
    if (method === 'landmark') {
      const L = Math.min(this.params.landmarks, n);
      refRows = new Rng(this.params.seed).permutation(n).subarray(0, L).slice().sort();
    } else {
      refRows = Int32Array.from({ length: n }, (_, i) => i);
    }
    const r = refRows.length;
    this.ref = new Float32Array(r * m);
    for (let a = 0; a < r; a++) this.ref.set(X.subarray(refRows[a] * m, (refRows[a] + 1) * m), a * m);
    // Squared distances among references, then double centring B = -1/2 J D2 J.
    const D2 = squaredDistanceMatrix(this.ref, r, m);
    const rowMean = new Float64Array(r);
    let grand = 0;
    for (let a = 0; a < r; a++) {
      let s = 0;
      for (let b = 0; b < r; b++) s += D2[a * r + b];
      rowMean[a] = s / r;
      grand += s;
    }
    grand /= r * r;
    const B = new Float64Array(r * r);
    for (let a = 0; a < r; a++)
      for (let b = 0; b < r; b++) B[a * r + b] = -0.5 * (D2[a * r + b] - rowMean[a] - rowMean[b] + grand);
    const eig = topEigenSubspace((Q, bs) => matmulSym(B, r, Q, bs), r, k, { seed: this.params.seed + 1 });
    const pinv = new Float64Array(k * r);
    const eigenvalues: number[] = [];
    for (let c = 0; c < k; c++) {
      const lam = eig.values[c];
      eigenvalues.push(lam);
      // Sign: largest-magnitude entry positive (deterministic orientation).
      let big = 0;
      for (let a = 0; a < r; a++) if (Math.abs(eig.vectors[c * r + a]) > Math.abs(big)) big = eig.vectors[c * r + a];
      const sign = big < 0 ? -1 : 1;
      const scale = lam > 1e-12 * Math.abs(eig.values[0]) ? 1 / Math.sqrt(lam) : 0;
      for (let a = 0; a < r; a++) pinv[c * r + a] = sign * eig.vectors[c * r + a] * scale;
    }
    this.pinv = pinv;
    this.meanSq = rowMean;
    this.m = m;
    // Training rows of classical/SMACOF are the references themselves: reuse D2 instead of recomputing distances.
    let Y = method === 'landmark' ? this.triangulate(X, n) : this.triangulateFromSquared(D2, n);
    this.info = { method, references: r, eigenvalues };
    if (method === 'smacof') {
      const res = smacof(D2, n, k, Float64Array.from(Y), this.params.maxIter, this.params.eps);
      Y = Float32Array.from(res.Y);
      this.info = { ...this.info, stress: res.stress, iterations: res.iterations };
    }
    this.embedding = Y.slice();
    return Y;
  }

  /** Triangulation for rows whose squared distances to the references are already known (n x r). */
  private triangulateFromSquared(D2: Float64Array, n: number): Float32Array {
    const k = this.params.nComponents;
    const r = this.meanSq.length;
    const out = new Float32Array(n * k);
    const { pinv, meanSq } = this;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let a = 0, row = i * r, pc = c * r; a < r; a++) s += pinv[pc + a] * (D2[row + a] - meanSq[a]);
        out[i * k + c] = -0.5 * s;
      }
    return out;
  }

  /** y = -1/2 L# (delta_x - mean delta) for each row of X. */
  private triangulate(X: Float32Array, n: number): Float32Array {
    const k = this.params.nComponents;
    const m = this.m;
    const r = this.meanSq.length;
    const out = new Float32Array(n * k);
    const delta = new Float64Array(r);
    const refNorm = new Float64Array(r);
    for (let a = 0; a < r; a++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += this.ref[a * m + j] ** 2;
      refNorm[a] = s;
    }
    const ref = this.ref;
    const meanSq = this.meanSq;
    const x = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      let xn = 0;
      for (let j = 0; j < m; j++) {
        x[j] = X[i * m + j];
        xn += x[j] * x[j];
      }
      for (let a = 0; a < r; a++) {
        let dot = 0;
        const off = a * m;
        for (let j = 0; j < m; j++) dot += x[j] * ref[off + j];
        delta[a] = Math.max(0, xn + refNorm[a] - 2 * dot) - meanSq[a];
      }
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let a = 0; a < r; a++) s += this.pinv[c * r + a] * delta[a];
        out[i * k + c] = -0.5 * s;
      }
    }
    return out;
  }

  protected transformImpl(X: Float32Array, n: number): Float32Array {
    const Y = this.triangulate(X, n);
    if (this.methodUsed !== 'smacof') return Y;
    // Single-point Guttman updates against the fixed training configuration.
    const k = this.params.nComponents;
    const m = this.m;
    const N = this.embedding.length / k;
    const dist = new Float64Array(N);
    const z = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < N; a++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += (X[i * m + j] - this.ref[a * m + j]) ** 2;
        dist[a] = Math.sqrt(s);
      }
      for (let t = 0; t < k; t++) z[t] = Y[i * k + t];
      for (let it = 0; it < 100; it++) {
        const next = new Float64Array(k);
        for (let a = 0; a < N; a++) {
          let dz = 0;
          for (let t = 0; t < k; t++) dz += (z[t] - this.embedding[a * k + t]) ** 2;
          dz = Math.sqrt(dz);
          const f = dz > 1e-12 ? dist[a] / dz : 0;
          for (let t = 0; t < k; t++) next[t] += this.embedding[a * k + t] + f * (z[t] - this.embedding[a * k + t]);
        }
        let move = 0;
        for (let t = 0; t < k; t++) {
          next[t] /= N;
          move += (next[t] - z[t]) ** 2;
          z[t] = next[t];
        }
        if (move < 1e-12) break;
      }
      for (let t = 0; t < k; t++) Y[i * k + t] = z[t];
    }
    return Y;
  }

  override summary(): Record<string, unknown> {
    return this.info;
  }

  protected getState(): Record<string, unknown> {
    return {
      method: this.methodUsed,
      ref: encodeArray(this.ref),
      meanSq: encodeArray(this.meanSq),
      pinv: encodeArray(this.pinv),
      embedding: this.methodUsed === 'smacof' ? encodeArray(this.embedding) : null,
      info: this.info,
    };
  }

  protected setState(s: Record<string, unknown>): void {
    this.methodUsed = s.method as 'classical' | 'landmark' | 'smacof';
    this.ref = decodeF32(s.ref, 'state.ref');
    this.meanSq = decodeF64(s.meanSq, 'state.meanSq');
    this.pinv = decodeF64(s.pinv, 'state.pinv');
    this.embedding = s.embedding ? decodeF32(s.embedding, 'state.embedding') : new Float32Array(0);
    this.info = (s.info as Record<string, unknown>) ?? {};
  }
}

/** n x n squared Euclidean distances between rows. */
export function squaredDistanceMatrix(X: ArrayLike<number>, n: number, m: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += X[i * m + j] ** 2;
    norms[i] = s;
  }
  const D = new Float64Array(n * n);
  const xi = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) xi[j] = X[i * m + j];
    for (let k = i + 1; k < n; k++) {
      let dot = 0;
      const off = k * m;
      for (let j = 0; j < m; j++) dot += xi[j] * X[off + j];
      D[i * n + k] = D[k * n + i] = Math.max(0, norms[i] + norms[k] - 2 * dot);
    }
  }
  return D;
}

function matmulSym(B: Float64Array, r: number, Q: Float64Array, b: number): Float64Array {
  const out = new Float64Array(r * b);
  for (let a = 0; a < r; a++) {
    const row = a * r;
    for (let c = 0; c < r; c++) {
      const v = B[row + c];
      if (v === 0) continue;
      for (let t = 0; t < b; t++) out[a * b + t] += v * Q[c * b + t];
    }
  }
  return out;
}

/** SMACOF (de Leeuw 1977) for raw stress sum_{i<j} (|y_i - y_j| - delta_ij)^2 with unit weights. */
export function smacof(
  D2: Float64Array,
  n: number,
  k: number,
  Y: Float64Array,
  maxIter: number,
  eps: number,
): { Y: Float64Array; stress: number; iterations: number } {
  const delta = D2.map(Math.sqrt);
  let prev = Infinity;
  let stress = Infinity;
  let it = 0;
  const next = new Float64Array(n * k);
  for (; it < maxIter; it++) {
    next.fill(0);
    stress = 0;
    for (let i = 0; i < n; i++) {
      let bii = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let d = 0;
        for (let t = 0; t < k; t++) d += (Y[i * k + t] - Y[j * k + t]) ** 2;
        d = Math.sqrt(d);
        const dl = delta[i * n + j];
        if (j > i) stress += (d - dl) ** 2;
        const bij = d > 1e-12 ? -dl / d : 0;
        bii -= bij;
        for (let t = 0; t < k; t++) next[i * k + t] += bij * Y[j * k + t];
      }
      for (let t = 0; t < k; t++) next[i * k + t] += bii * Y[i * k + t];
    }
    for (let t = 0; t < n * k; t++) Y[t] = next[t] / n;
    if (prev - stress < eps * prev) {
      it++;
      break;
    }
    prev = stress;
  }
  return { Y, stress, iterations: it };
}
