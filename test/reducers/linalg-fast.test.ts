import { describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { symmetricEigenFull } from '../../src/reducers/symmetric-eigen.js';
import { columnMeans, covariance } from '../../src/reducers/pca.js';
import { sgemm } from '../../src/reducers/gemm.js';
import { fastPow } from '../../src/reducers/fast-math.js';
import { Rng } from '../../src/util/random.js';
import { nativeMissing, requireOrSkip } from '../require.js';

describe('flat-array symmetric eigen-decomposition', () => {
  it('A v = lambda v with orthonormal vectors, eigenvalues equal to ml-matrix', () => {
    const rng = new Rng(8);
    const p = 40;
    const A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) A[i * p + j] = A[j * p + i] = rng.normal();
    const { d, vectors } = symmetricEigenFull(A, p);
    const ref = new EigenvalueDecomposition(new Matrix(Array.from({ length: p }, (_, i) => Array.from(A.subarray(i * p, (i + 1) * p)))), { assumeSymmetric: true });
    const refVals = [...ref.realEigenvalues].sort((a, b) => a - b);
    for (let c = 0; c < p; c++) {
      expect(d[c]).toBeCloseTo(refVals[c], 10);
      for (let i = 0; i < p; i++) {
        let av = 0;
        for (let j = 0; j < p; j++) av += A[i * p + j] * vectors[c * p + j];
        expect(av).toBeCloseTo(d[c] * vectors[c * p + i], 10);
      }
      for (let c2 = 0; c2 <= c; c2++) {
        let dot = 0;
        for (let i = 0; i < p; i++) dot += vectors[c * p + i] * vectors[c2 * p + i];
        expect(dot).toBeCloseTo(c === c2 ? 1 : 0, 10);
      }
    }
  });
});

describe('GEMM paths', () => {
  // Columns with offsets of 100 (cancellation) and different spreads; covariance by the textbook two-pass formula in Float64 (unnormalized).
  const rng = new Rng(9);
  const n = 5000, m = 24;
  const X = Float32Array.from({ length: n * m }, (_, t) => 100 + (t % m) + rng.normal() * (1 + (t % 3)));
  const mu = Float64Array.from({ length: m }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[i * m + j];
    return s / n;
  });
  const reference = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (X[i * m + a] - mu[a]) * (X[i * m + b] - mu[b]);
      reference[a * m + b] = s; // the scatter matrix Xc^T Xc, as covariance() documents
    }
  function expectCovariance(C: Float64Array, rtol: number): void {
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        const scale = Math.sqrt(reference[a * m + a] * reference[b * m + b]);
        expect(Math.abs(C[a * m + b] - reference[a * m + b]) / scale).toBeLessThan(rtol);
        expect(C[a * m + b]).toBe(C[b * m + a]);
      }
  }

  it('column means and the Float64 covariance loop equal the two-pass formula', () => {
    const mean = columnMeans(X, n, m);
    for (let j = 0; j < m; j++) expect(mean[j]).toBeCloseTo(mu[j], 9);
    expectCovariance(covariance(X, n, m, mean, false), 1e-9);
  });

  const haveNative = requireOrSkip('the native addon (blocked float32 covariance)', nativeMissing());
  it.skipIf(!haveNative)('blocked float32 covariance through the addon equals the two-pass formula to float32 rounding', () => {
    expectCovariance(covariance(X, n, m, columnMeans(X, n, m)), 1e-5);
  });

  it('sgemm (native or JS) computes op(a) op(b) for every transpose combination', () => {
    const rng = new Rng(10);
    const r = 7, s = 5, k = 9;
    const A = Float32Array.from({ length: r * k }, () => rng.normal());
    const B = Float32Array.from({ length: k * s }, () => rng.normal());
    const want = new Float64Array(r * s);
    for (let i = 0; i < r; i++) for (let j = 0; j < s; j++) for (let p = 0; p < k; p++) want[i * s + j] += A[i * k + p] * B[p * s + j];
    const At = new Float32Array(k * r);
    for (let i = 0; i < r; i++) for (let p = 0; p < k; p++) At[p * r + i] = A[i * k + p];
    const Bt = new Float32Array(s * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < s; j++) Bt[j * k + p] = B[p * s + j];
    for (const native of [true, false])
      for (const [a, ta] of [[A, false], [At, true]] as const)
        for (const [b, tb] of [[B, false], [Bt, true]] as const) {
          const C = new Float32Array(r * s).fill(NaN);
          sgemm(a, b, C, r, s, k, ta, tb, native);
          for (let t = 0; t < r * s; t++) expect(C[t]).toBeCloseTo(want[t], 4);
        }
  });
});

describe('fastPow', () => {
  it('matches Math.pow to 1e-8 relative over UMAP-relevant ranges', () => {
    const rng = new Rng(11);
    let worst = 0;
    for (let t = 0; t < 20000; t++) {
      const x = Math.exp(rng.normal() * 10);
      const b = rng.uniform() * 2 - 0.5;
      worst = Math.max(worst, Math.abs(fastPow(x, b) / Math.pow(x, b) - 1));
    }
    expect(worst).toBeLessThan(1e-8);
    // Also at the table's subinterval edges and across exponent boundaries.
    expect(Math.abs(fastPow(8, 2) / 64 - 1)).toBeLessThan(1e-8);
    expect(Math.abs(fastPow(1 - 2 ** -40, 0.895) - 1)).toBeLessThan(1e-8);
    expect(Math.abs(fastPow(1 + 1 / 256, 0.5) / Math.sqrt(1 + 1 / 256) - 1)).toBeLessThan(1e-9);
  });
});
