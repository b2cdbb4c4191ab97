import { describe, expect, it } from 'vitest';
import { InputNeighborhoods, trustworthinessContinuity } from '../../src/metrics/neighborhood.js';
import { embeddingInputNeighborhoods, embeddingMetrics } from '../../src/metrics/embedding-metrics.js';
import { knnPrediction } from '../../src/metrics/knn-prediction.js';
import { adjustedRandIndex, kMeans } from '../../src/metrics/clustering.js';
import { Rng } from '../../src/util/random.js';

/** Direct transcription of sklearn's trustworthiness with full rank matrices. */
function naiveTrust(X: Float64Array, n: number, m: number, Y: Float64Array, d: number, k: number): number {
  const dist = (A: Float64Array, dim: number, i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (A[i * dim + t] - A[j * dim + t]) ** 2;
    return s;
  };
  let t = 0;
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const byX = [...others].sort((a, b) => dist(X, m, i, a) - dist(X, m, i, b));
    const byY = [...others].sort((a, b) => dist(Y, d, i, a) - dist(Y, d, i, b));
    const rank = new Map(byX.map((j, r) => [j, r + 1]));
    for (const j of byY.slice(0, k)) t += Math.max(0, rank.get(j)! - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * t;
}

describe('trustworthiness and continuity', () => {
  const rng = new Rng(8);
  const n = 120;
  const m = 6;
  const X = Float64Array.from({ length: n * m }, () => rng.normal());

  it('are 1 for an isometric embedding and match the definition for a lossy one', () => {
    const full = trustworthinessContinuity(X, n, m, X, m, { k: 5 });
    expect(full.trustworthiness).toBeCloseTo(1, 12);
    expect(full.continuity).toBeCloseTo(1, 12);
    const Y = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      Y[i * 2] = X[i * m];
      Y[i * 2 + 1] = X[i * m + 1];
    }
    const s = trustworthinessContinuity(X, n, m, Y, 2, { k: 5 });
    expect(s.trustworthiness).toBeCloseTo(naiveTrust(X, n, m, Y, 2, 5), 10);
    // continuity is trustworthiness with the spaces swapped
    expect(s.continuity).toBeCloseTo(naiveTrust(Y, n, 2, X, m, 5), 10);
    expect(s.trustworthiness).toBeLessThan(0.95);
  });

  it('estimates from a query sample above the exact limit', () => {
    const Y = Float64Array.from({ length: n * 2 }, (_, i) => X[Math.floor(i / 2) * m + (i % 2)]);
    const exact = trustworthinessContinuity(X, n, m, Y, 2, { k: 5 });
    const est = trustworthinessContinuity(X, n, m, Y, 2, { k: 5, exactLimit: 50, sampleSize: 60 });
    expect(est.estimated).toBe(true);
    expect(est.queries).toBe(60);
    expect(Math.abs(est.trustworthiness - exact.trustworthiness)).toBeLessThan(0.05);
  });

  it('kept input neighbourhoods score every embedding bit for bit as trustworthinessContinuity does, ties included', () => {
    // Integer coordinates make ties in both spaces.
    const Xq = X.map((v) => Math.round(v * 2));
    const embeddings = [0, 1, 2].map((s) => {
      const r = new Rng(20 + s);
      return Float64Array.from({ length: n * 2 }, (_, i) => Math.round(Xq[Math.floor(i / 2) * m + ((i + s) % m)] + r.normal() * s));
    });
    for (const options of [{ k: 5 }, { k: 7, exactLimit: 50, sampleSize: 60, seed: 3 }]) {
      const kept = new InputNeighborhoods(Xq, n, m, options);
      const streamed = new InputNeighborhoods(Xq, n, m, { ...options, cacheBytes: 0 });
      for (const Y of embeddings) {
        const want = trustworthinessContinuity(Xq, n, m, Y, 2, options);
        expect(kept.scores(Y, 2)).toStrictEqual(want);
        expect(streamed.scores(Y, 2)).toStrictEqual(want);
        expect(Object.is(kept.scores(Y, 2).trustworthiness, want.trustworthiness)).toBe(true);
      }
      // The input side scored against itself is perfect.
      expect(kept.scores(Xq, m).trustworthiness).toBe(1);
    }
  });

  it('embeddingMetrics gives the same scores with kept input neighbourhoods and rejects ones for other spectra', () => {
    const Z = Float64Array.from({ length: n * 2 }, (_, i) => X[Math.floor(i / 2) * m + (i % 2)]);
    const labels = Float64Array.from({ length: n }, (_, i) => X[i * m] + (i % 3));
    const o = { trustK: 6, seed: 2 };
    const input = embeddingInputNeighborhoods(X, n, m, o);
    const alone = embeddingMetrics(X, n, m, Z, 2, labels, ['y'], [], o);
    expect(embeddingMetrics(X, n, m, Z, 2, labels, ['y'], [], { ...o, inputNeighborhoods: input })).toStrictEqual(alone);
    expect(embeddingMetrics(X, n, m, Z, 2, labels, ['y'], [], { ...o, inputNeighborhoods: input })).toStrictEqual(alone);
    expect(() => embeddingMetrics(X.slice(), n, m, Z, 2, labels, ['y'], [], { ...o, inputNeighborhoods: input })).toThrow(/other spectra/);
    expect(() => embeddingMetrics(X, n, m, Z, 2, labels, ['y'], [], { trustK: 5, inputNeighborhoods: input })).toThrow(/other spectra/);
  });
});

describe('kNN prediction, k-means and ARI', () => {
  it('predicts a smooth descriptor and separable classes from a good embedding only', () => {
    const rng = new Rng(9);
    const n = 400;
    const Z = Float64Array.from({ length: n * 2 }, () => rng.uniform() * 4);
    const yCont = Float64Array.from({ length: n }, (_, i) => Math.sin(Z[i * 2]) + Z[i * 2 + 1]);
    const yDisc = Float64Array.from({ length: n }, (_, i) => (Z[i * 2] < 2 ? 4 : 6));
    yDisc[3] = NaN;
    const c = knnPrediction(Z, n, 2, yCont);
    expect(c.r2!).toBeGreaterThan(0.95);
    expect(c.perFold).toHaveLength(5);
    const dsc = knnPrediction(Z, n, 2, yDisc, { discrete: true });
    expect(dsc.n).toBe(n - 1);
    expect(dsc.accuracy!).toBeGreaterThan(0.95);
    expect(dsc.weightedF1!).toBeGreaterThan(0.95);
    const noise = Float64Array.from({ length: n * 2 }, () => rng.normal());
    expect(knnPrediction(noise, n, 2, yCont).r2!).toBeLessThan(0.2);
  });

  it('k-means recovers separated clusters (ARI 1) and ARI is ~0 for unrelated labels', () => {
    const rng = new Rng(10);
    const n = 300;
    const truth = Int32Array.from({ length: n }, (_, i) => i % 3);
    const X = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      X[i * 2] = truth[i] * 10 + rng.normal();
      X[i * 2 + 1] = (truth[i] === 1 ? 10 : 0) + rng.normal();
    }
    const km = kMeans(X, n, 2, 3, { seed: 1 });
    expect(adjustedRandIndex(truth, km.labels)).toBeCloseTo(1, 12);
    expect(kMeans(X, n, 2, 3, { seed: 1 }).inertia).toBe(km.inertia);
    const rand = Int32Array.from({ length: n }, () => rng.int(3));
    expect(Math.abs(adjustedRandIndex(truth, rand))).toBeLessThan(0.05);
    // ARI is invariant to relabelling
    expect(adjustedRandIndex(truth, truth.map((v) => (v + 1) % 3))).toBeCloseTo(1, 12);
    // hand-computed: a = [0,0,1,1], b = [0,0,0,1] -> index 1, expected 0.5, max 2.5 -> (1-0.5)/(2-0.5)... 
    const ari = adjustedRandIndex([0, 0, 1, 1], [0, 0, 0, 1]);
    // pairs: sum_ij C(n_ij,2) = C(2,2) = 1; sum_a = 2; sum_b = C(3,2) = 3; expected = 2*3/6 = 1; max = 2.5
    expect(ari).toBeCloseTo((1 - 1) / (2.5 - 1), 12);
  });
});
