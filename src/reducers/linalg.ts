import { symmetricEigenFull } from './symmetric-eigen.js';

/**
 * Dense symmetric eigen-solvers for the reducers: Householder + QL on flat
 * arrays (symmetric-eigen.ts) for small matrices, and block subspace iteration (with Rayleigh-Ritz) when only the
 * top few eigenpairs of a large matrix are needed.
 */

/** Top-k eigenpairs of a symmetric p x p matrix (row-major), eigenvalues descending; vectors as k x p rows. */
export function symmetricEigen(A: Float64Array, p: number, k: number): { values: Float64Array; vectors: Float64Array } {
  const { d, vectors: W } = symmetricEigenFull(A, p);
  const order = Array.from(d, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * p);
  for (let c = 0; c < k; c++) {
    const col = order[c];
    values[c] = d[col];
    vectors.set(W.subarray(col * p, (col + 1) * p), c * p);
  }
  return { values, vectors };
}

/**
 * Top-k eigenpairs of a symmetric positive semi-definite n x n operator given
 * by `multiply` (Y = A Q for an n x b block Q, both row-major n x b), by
 * block subspace iteration with b = k + oversample columns.
 */
export function topEigenSubspace(
  multiply: (Q: Float64Array, b: number) => Float64Array,
  n: number,
  k: number,
  options: { oversample?: number; maxIter?: number; tol?: number; seed?: number } = {},
): { values: Float64Array; vectors: Float64Array } {
  const b = Math.min(n, k + (options.oversample ?? 8));
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-10;
  let s = (options.seed ?? 12345) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  };
  let Q: Float64Array = new Float64Array(n * b);
  for (let i = 0; i < Q.length; i++) Q[i] = rand();
  orthonormalize(Q, n, b);
  let prev: Float64Array = new Float64Array(k).fill(NaN);
  let ritz: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(b), vectors: new Float64Array(b * b) };
  for (let it = 0; it < maxIter; it++) {
    const Z = multiply(Q, b);
    // Rayleigh-Ritz: T = Q^T A Q (b x b)
    const T = new Float64Array(b * b);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < b; r++) {
        const q = Q[i * b + r];
        for (let c = 0; c < b; c++) T[r * b + c] += q * Z[i * b + c];
      }
    for (let r = 0; r < b; r++) for (let c = r + 1; c < b; c++) T[r * b + c] = T[c * b + r] = (T[r * b + c] + T[c * b + r]) / 2;
    ritz = symmetricEigen(T, b, b);
    let converged = true;
    for (let c = 0; c < k; c++) {
      if (!(Math.abs(ritz.values[c] - prev[c]) <= tol * Math.max(1e-300, Math.abs(ritz.values[0])))) converged = false;
      prev[c] = ritz.values[c];
    }
    if (converged && it > 2) break;
    orthonormalize(Z, n, b);
    Q = Z;
  }
  // Eigenvectors: Q * ritz vectors (final Q from the last iteration before Z).
  const vectors = new Float64Array(k * n);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let r = 0; r < b; r++) v += Q[i * b + r] * ritz.vectors[c * b + r];
      vectors[c * n + i] = v;
    }
  prev = ritz.values.slice(0, k);
  return { values: prev, vectors };
}

/** Modified Gram-Schmidt (twice, for stability) on the b columns of an n x b row-major block. */
export function orthonormalize(Q: Float64Array, n: number, b: number): void {
  for (let pass = 0; pass < 2; pass++)
    for (let c = 0; c < b; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += Q[i * b + c] * Q[i * b + p];
        for (let i = 0; i < n; i++) Q[i * b + c] -= dot * Q[i * b + p];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += Q[i * b + c] ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-300) {
        // Degenerate column: replace by a unit vector orthogonal enough after the next pass.
        for (let i = 0; i < n; i++) Q[i * b + c] = i === c % n ? 1 : 0;
        continue;
      }
      for (let i = 0; i < n; i++) Q[i * b + c] /= norm;
    }
}

/** Flips the sign of each row of a k x p matrix so that its largest-magnitude entry is positive (deterministic signs). */
export function fixSigns(V: Float64Array, k: number, p: number): Int8Array {
  const signs = new Int8Array(k);
  for (let c = 0; c < k; c++) {
    let best = 0;
    for (let i = 0; i < p; i++) if (Math.abs(V[c * p + i]) > Math.abs(best)) best = V[c * p + i];
    signs[c] = best < 0 ? -1 : 1;
    if (best < 0) for (let i = 0; i < p; i++) V[c * p + i] = -V[c * p + i];
  }
  return signs;
}
