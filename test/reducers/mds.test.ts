import { describe, expect, it } from 'vitest';
import { Mds } from '../../src/reducers/mds.js';
import { loadReducer } from '../../src/reducers/registry.js';
import { Rng } from '../../src/util/random.js';

/** 2-D points mapped into 10-D by a random orthogonal map (so all pairwise distances are kept), shifted. */
function embedded2d(n: number, rng: Rng) {
  const m = 10;
  const pts = Float64Array.from({ length: n * 2 }, () => 5 * rng.normal());
  // Two orthonormal vectors by Gram-Schmidt.
  const u = Float64Array.from({ length: m }, () => rng.normal());
  const v = Float64Array.from({ length: m }, () => rng.normal());
  const nu = Math.hypot(...u);
  u.forEach((x, i) => (u[i] = x / nu));
  const dot = u.reduce((s, x, i) => s + x * v[i], 0);
  v.forEach((x, i) => (v[i] = x - dot * u[i]));
  const nv = Math.hypot(...v);
  v.forEach((x, i) => (v[i] = x / nv));
  const X = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) X[i * m + j] = 3 + pts[2 * i] * u[j] + pts[2 * i + 1] * v[j];
  return { X, m };
}

function maxDistanceError(X: Float32Array, m: number, Y: Float32Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let dx = 0;
      for (let t = 0; t < m; t++) dx += (X[i * m + t] - X[j * m + t]) ** 2;
      const dy = (Y[2 * i] - Y[2 * j]) ** 2 + (Y[2 * i + 1] - Y[2 * j + 1]) ** 2;
      worst = Math.max(worst, Math.abs(Math.sqrt(dx) - Math.sqrt(dy)));
    }
  return worst;
}

describe('MDS', () => {
  const rng = new Rng(5);
  const n = 150;
  const { X, m } = embedded2d(n, rng);

  for (const method of ['classical', 'landmark', 'smacof'] as const) {
    it(`${method}: recovers the pairwise distances of a planar configuration in 10-D`, () => {
      const mds = new Mds({ method, landmarks: 20 });
      const Y = mds.fitTransform(X, n, m);
      expect(maxDistanceError(X, m, Y, n)).toBeLessThan(1e-3);
      // Out-of-sample: training spectra land where the fit put them (up to float32).
      const loaded = loadReducer(JSON.parse(JSON.stringify(mds.toJSON())));
      const Yt = loaded.transform(X.subarray(0, 20 * m), 20);
      for (let t = 0; t < 40; t++) expect(Math.abs(Yt[t] - Y[t])).toBeLessThan(1e-2);
    });
  }

  it('SMACOF lowers the stress of a lossy classical start', () => {
    const r2 = new Rng(6);
    const Z = Float32Array.from({ length: 80 * 5 }, () => r2.normal());
    const cls = new Mds({ method: 'smacof', maxIter: 1 }).fit(Z, 80, 5).summary();
    const sm = new Mds({ method: 'smacof', maxIter: 200 }).fit(Z, 80, 5).summary();
    expect(sm.stress as number).toBeLessThan(cls.stress as number);
  });
});
