import { UserError } from '../util/errors.js';
import { BaseReducer, decodeF64, encodeArray, numParam, type ReducerParams } from './reducer.js';
import { fixSigns, symmetricEigen } from './linalg.js';
import { gemmAddon } from './gemm.js';

/** PCA parameters. */
export interface PcaParams extends ReducerParams {
  /** Number of principal components kept (default 2). */
  nComponents: number;
  /** Scale each component to unit variance (scikit-learn `whiten`; default false). */
  whiten: boolean;
}

/**
 * Principal component analysis. The eigen-decomposition runs on the smaller
 * of the m x m covariance (X^T X: OpenBLAS sgemm on row blocks summed in
 * Float64 when the native addon is built, else a Float64 JavaScript loop)
 * and the n x n Gram matrix, so 50,000 x 256 spectra take well under a
 * second with the addon, where ml-pca's full SVD takes ~27 s. Components
 * are sign-fixed so that each one's largest loading is positive.
 */
export class Pca extends BaseReducer<PcaParams> {
  readonly name = 'pca';
  /** Column means (length m). */
  mean: Float64Array = new Float64Array(0);
  /** nComponents x m principal axes, row-major. */
  components: Float64Array = new Float64Array(0);
  /** Variance along each component (eigenvalue of the covariance, n - 1 denominator as sklearn). */
  explainedVariance: Float64Array = new Float64Array(0);
  /** Fraction of the total variance along each component. */
  explainedVarianceRatio: Float64Array = new Float64Array(0);

  constructor(params: Partial<PcaParams> = {}) {
    super({
      nComponents: numParam(params.nComponents, 2, 'nComponents', { int: true, min: 1 }),
      whiten: params.whiten ?? false,
    });
  }


  protected override checkSize(n: number): void {
    if (this.params.nComponents > n) {
      throw new UserError(`nComponents (${this.params.nComponents}) must not exceed the number of spectra (${n})`, 'params.nComponents');
    }
  }

  protected fitImpl(X: Float32Array, n: number, m: number): Float32Array {
    const k = this.params.nComponents;
    const mean = columnMeans(X, n, m);
    let totalVar = 0;
    let values: Float64Array;
    let vectors: Float64Array;
    if (m <= n) {
      const C = covariance(X, n, m, mean);
      for (let j = 0; j < m; j++) totalVar += C[j * m + j];
      ({ values, vectors } = symmetricEigen(C, m, Math.min(k, m)));
    } else {
      // Few spectra with many points: eigenvectors of the n x n Gram matrix G = Xc Xc^T give the components as Xc^T u / |.|.
      const G = gram(X, n, m, mean);
      for (let i = 0; i < n; i++) totalVar += G[i * n + i];
      const kk = Math.min(k, n);
      const ev = symmetricEigen(G, n, kk);
      values = ev.values;
      vectors = new Float64Array(kk * m);
      for (let c = 0; c < kk; c++) {
        let norm = 0;
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += (X[i * m + j] - mean[j]) * ev.vectors[c * n + i];
          vectors[c * m + j] = s;
          norm += s * s;
        }
        norm = Math.sqrt(norm) || 1;
        for (let j = 0; j < m; j++) vectors[c * m + j] /= norm;
      }
    }
    // Components beyond the rank (k > min(n, m)) are zero.
    const comps = new Float64Array(k * m);
    comps.set(vectors.subarray(0, Math.min(vectors.length, k * m)));
    fixSigns(comps, k, m);
    const denom = Math.max(1, n - 1);
    this.mean = mean;
    this.components = comps;
    this.explainedVariance = Float64Array.from({ length: k }, (_, c) => Math.max(0, values[c] ?? 0) / denom);
    this.explainedVarianceRatio = this.explainedVariance.map((v) => (totalVar > 0 ? (v * denom) / totalVar : 0));
    this.m = m;
    return this.project(X, n, true);
  }

  /**
   * New spectra go through the Float64 loop whatever their number, so a
   * spectrum's scores do not depend on how many are transformed with it (the
   * float32 GEMM path serves the training embedding of large fits).
   */
  protected transformImpl(X: Float32Array, n: number): Float32Array {
    return this.project(X, n, false);
  }

  private project(X: Float32Array, n: number, native: boolean): Float32Array {
    const { mean, components } = this;
    const m = mean.length;
    const k = this.params.nComponents;
    const out = new Float32Array(n * k);
    const scale = Float64Array.from({ length: k }, (_, c) =>
      this.params.whiten ? 1 / Math.sqrt(this.explainedVariance[c] || 1) : 1,
    );
    const nat = native && n >= GEMM_MIN_ROWS ? gemmAddon() : null;
    if (nat) {
      // Scores of centered row blocks by sgemm against the float32 components (k x m, transposed).
      const W = Float32Array.from(components);
      const block = new Float32Array(Math.min(n, BLOCK_ROWS) * m);
      for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
        const rows = Math.min(BLOCK_ROWS, n - i0);
        for (let i = 0; i < rows; i++) {
          const src = (i0 + i) * m;
          for (let j = 0; j < m; j++) block[i * m + j] = X[src + j] - mean[j];
        }
        nat.gemm(block, W, out.subarray(i0 * k, (i0 + rows) * k), 1, rows, k, m, 0, 1, 0, 0);
      }
      if (this.params.whiten) for (let t = 0; t < n * k; t++) out[t] *= scale[t % k];
      return out;
    }
    const row = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) row[j] = X[i * m + j] - mean[j];
      for (let c = 0; c < k; c++) {
        let s = 0;
        const off = c * m;
        for (let j = 0; j < m; j++) s += row[j] * components[off + j];
        out[i * k + c] = s * scale[c];
      }
    }
    return out;
  }

  /** Maps component scores back to spectra (n x m), the PCA reconstruction. */
  inverseTransform(Y: Float32Array, n: number): Float32Array {
    const k = this.params.nComponents;
    const m = this.mean.length;
    const out = new Float32Array(n * m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let s = this.mean[j];
        for (let c = 0; c < k; c++) {
          const sc = this.params.whiten ? Math.sqrt(this.explainedVariance[c] || 1) : 1;
          s += Y[i * k + c] * sc * this.components[c * m + j];
        }
        out[i * m + j] = s;
      }
    return out;
  }

  override summary(): Record<string, unknown> {
    return {
      explainedVariance: Array.from(this.explainedVariance),
      explainedVarianceRatio: Array.from(this.explainedVarianceRatio),
      cumulativeExplainedVarianceRatio: this.explainedVarianceRatio.reduce((s, v) => s + v, 0),
    };
  }

  protected getState(): Record<string, unknown> {
    return {
      mean: encodeArray(this.mean),
      components: encodeArray(this.components),
      explainedVariance: encodeArray(this.explainedVariance),
      explainedVarianceRatio: encodeArray(this.explainedVarianceRatio),
    };
  }

  protected setState(s: Record<string, unknown>): void {
    this.mean = decodeF64(s.mean, 'state.mean');
    this.components = decodeF64(s.components, 'state.components');
    this.explainedVariance = decodeF64(s.explainedVariance, 'state.explainedVariance');
    this.explainedVarianceRatio = decodeF64(s.explainedVarianceRatio, 'state.explainedVarianceRatio');
  }
}

export function columnMeans(X: ArrayLike<number>, n: number, m: number): Float64Array {
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += X[i * m + j];
  for (let j = 0; j < m; j++) mean[j] /= n;
  return mean;
}

/** Rows per float32 GEMM block: bounds float32 accumulation; blocks are summed in Float64. */
const BLOCK_ROWS = 2048;
/** Below this many spectra the Float64 JavaScript loops are used (fast enough, and exact to double rounding). */
const GEMM_MIN_ROWS = 512;

/**
 * Centered scatter matrix Xc^T Xc (m x m, not divided by n - 1). With the
 * native addon, blocks of centered rows go through OpenBLAS sgemm and the
 * block products are summed in Float64 (50,000 x 256: ~0.1 s of GEMM);
 * without it, or for small inputs where float32 rounding would show in the
 * eigenvalues, a Float64 JavaScript loop folds four rows into each pass over
 * the upper triangle.
 * @param native false forces the JavaScript loop
 */
export function covariance(X: ArrayLike<number>, n: number, m: number, mean: Float64Array, native = true): Float64Array {
  const nat = native && n >= GEMM_MIN_ROWS ? gemmAddon() : null;
  if (!nat) return covarianceJs(X, n, m, mean);
  const C = new Float64Array(m * m);
  const block = new Float32Array(Math.min(n, BLOCK_ROWS) * m);
  const part = new Float32Array(m * m);
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - i0);
    for (let i = 0; i < rows; i++) {
      const src = (i0 + i) * m;
      const dst = i * m;
      for (let j = 0; j < m; j++) block[dst + j] = X[src + j] - mean[j];
    }
    nat.gemm(block, block, part, 1, m, m, rows, 1, 0, 0, 0);
    for (let t = 0; t < m * m; t++) C[t] += part[t];
  }
  // Exact symmetry (sgemm computes both triangles independently).
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) C[a * m + b] = C[b * m + a] = (C[a * m + b] + C[b * m + a]) / 2;
  return C;
}

function covarianceJs(X: ArrayLike<number>, n: number, m: number, mean: Float64Array): Float64Array {
  const C = new Float64Array(m * m);
  const r0 = new Float64Array(m);
  const r1 = new Float64Array(m);
  const r2 = new Float64Array(m);
  const r3 = new Float64Array(m);
  const rows = [r0, r1, r2, r3];
  for (let i = 0; i < n; i += 4) {
    const cnt = Math.min(4, n - i);
    for (let t = 0; t < 4; t++) {
      const r = rows[t];
      if (t < cnt) for (let j = 0; j < m; j++) r[j] = X[(i + t) * m + j] - mean[j];
      else r.fill(0);
    }
    for (let a = 0; a < m; a++) {
      const a0 = r0[a];
      const a1 = r1[a];
      const a2 = r2[a];
      const a3 = r3[a];
      const off = a * m;
      for (let b = a; b < m; b++) C[off + b] += a0 * r0[b] + a1 * r1[b] + a2 * r2[b] + a3 * r3[b];
    }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) C[a * m + b] = C[b * m + a];
  return C;
}

function gram(X: ArrayLike<number>, n: number, m: number, mean: Float64Array): Float64Array {
  const Xc = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Xc[i * m + j] = X[i * m + j] - mean[j];
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = i; k < n; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += Xc[i * m + j] * Xc[k * m + j];
      G[i * n + k] = G[k * n + i] = s;
    }
  return G;
}
