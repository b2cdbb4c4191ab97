import { describe, expect, it } from 'vitest';
import { PCA as MlPca } from 'ml-pca';
import { Pca } from '../../src/reducers/pca.js';
import { loadReducer } from '../../src/reducers/registry.js';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';

/** n spectra on a planted k-dimensional subspace of R^m, plus small noise. */
function planted(n: number, m: number, k: number, noise: number, rng: Rng) {
  const basis = Float64Array.from({ length: k * m }, () => rng.normal());
  const X = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const coef = Array.from({ length: k }, (_, c) => rng.normal() * (k - c) * 3);
    for (let j = 0; j < m; j++) {
      let v = 5 + noise * rng.normal();
      for (let c = 0; c < k; c++) v += coef[c] * basis[c * m + j];
      X[i * m + j] = v;
    }
  }
  return { X, basis };
}

describe('PCA', () => {
  it('recovers a planted subspace: components span it and explain ~all variance', () => {
    const rng = new Rng(1);
    const n = 400, m = 30, k = 3;
    const { X, basis } = planted(n, m, k, 0.01, rng);
    const pca = new Pca({ nComponents: k });
    const Y = pca.fitTransform(X, n, m);
    expect(Y.length).toBe(n * k);
    const ratio = pca.explainedVarianceRatio.reduce((s, v) => s + v, 0);
    expect(ratio).toBeGreaterThan(0.999);
    // Each planted basis vector lies in the span of the components (residual after projection ~ 0).
    for (let c = 0; c < k; c++) {
      const b = basis.subarray(c * m, (c + 1) * m);
      const norm2 = b.reduce((s, v) => s + v * v, 0);
      const proj = new Float64Array(m);
      for (let q = 0; q < k; q++) {
        let dot = 0;
        for (let j = 0; j < m; j++) dot += b[j] * pca.components[q * m + j];
        for (let j = 0; j < m; j++) proj[j] += dot * pca.components[q * m + j];
      }
      const res = b.reduce((s, v, j) => s + (v - proj[j]) ** 2, 0);
      expect(res / norm2).toBeLessThan(1e-5);
    }
    // Reconstruction from k components is near-exact.
    const R = pca.inverseTransform(Y, n);
    let err = 0;
    for (let t = 0; t < X.length; t++) err = Math.max(err, Math.abs(R[t] - X[t]));
    expect(err).toBeLessThan(0.1);
  });

  it('matches ml-pca components up to sign and explained variance, via covariance and via Gram matrix', () => {
    const rng = new Rng(2);
    for (const [n, m] of [[60, 12], [10, 40]] as const) {
      const X = Float32Array.from({ length: n * m }, () => rng.normal());
      const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * m, (i + 1) * m)));
      const ref = new MlPca(rows, { center: true, scale: false });
      const k = 3;
      const pca = new Pca({ nComponents: k }).fit(X, n, m);
      const refVec = ref.getEigenvectors(); // m x m, columns
      const refVar = ref.getExplainedVariance();
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < m; j++) dot += pca.components[c * m + j] * refVec.get(j, c);
        expect(Math.abs(dot)).toBeCloseTo(1, 6);
        expect(pca.explainedVarianceRatio[c]).toBeCloseTo(refVar[c], 6);
      }
    }
  });

  it('saves and loads, and checks input', () => {
    const rng = new Rng(3);
    const X = Float32Array.from({ length: 50 * 8 }, () => rng.normal());
    const pca = new Pca({ nComponents: 2, whiten: true }).fit(X, 50, 8);
    const loaded = loadReducer(JSON.parse(JSON.stringify(pca.toJSON())));
    expect(Array.from(loaded.transform(X, 50))).toEqual(Array.from(pca.transform(X, 50)));
    // whitened scores have unit variance
    const Y = pca.transform(X, 50);
    let v = 0;
    for (let i = 0; i < 50; i++) v += Y[i * 2] ** 2;
    expect(v / 49).toBeCloseTo(1, 4);
    expect(() => new Pca({ nComponents: 9 }).fit(X, 50, 8)).toThrow(UserError);
    expect(() => pca.transform(X, 49)).toThrow(/expected 49 x 8/);
    expect(() => new Pca({ nComponents: 0 })).toThrow(/params.nComponents/);
  });
});
