import { describe, expect, it } from 'vitest';
import { embeddingNeighbours, InputNeighborhoods, trustworthinessContinuity } from '../../src/metrics/neighborhood.js';
import { embeddingInputNeighborhoods, embeddingMetrics } from '../../src/metrics/embedding-metrics.js';
import { knnPrediction } from '../../src/metrics/knn-prediction.js';
import { adjustedRandIndex, kMeans } from '../../src/metrics/clustering.js';
import { Rng } from '../../src/util/random.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { bruteKnnPrediction, neighbourhoodPenalties, scoresFromPenalties } from './reference.js';

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

/** The definition computed directly (./reference.ts). */
function referenceScores(X: ArrayLike<number>, n: number, m: number, Y: ArrayLike<number>, d: number, k: number) {
  return scoresFromPenalties(neighbourhoodPenalties(X, n, m, Y, d, k), n, k);
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

  it('reused input neighbourhoods score every embedding as a fresh computation and the definition do, ties included', () => {
    // Integer coordinates make ties in both spaces (and every distance exact, so the definition's sort is the reference).
    const Xq = X.map((v) => Math.round(v * 2));
    const embeddings = [0, 1, 2].map((s) => {
      const r = new Rng(20 + s);
      return Float64Array.from({ length: n * 2 }, (_, i) => Math.round(Xq[Math.floor(i / 2) * m + ((i + s) % m)] + r.normal() * s));
    });
    for (const options of [{ k: 5 }, { k: 7, exactLimit: 50, sampleSize: 60, seed: 3 }]) {
      const kept = new InputNeighborhoods(Xq, n, m, options);
      for (const Y of embeddings) {
        const want = trustworthinessContinuity(Xq, n, m, Y, 2, options);
        expect(kept.scores(Y, 2)).toStrictEqual(want);
        expect(Object.is(kept.scores(Y, 2).trustworthiness, want.trustworthiness)).toBe(true);
        if (!want.estimated) {
          expect(want.trustworthiness).toBe(referenceScores(Xq, n, m, Y, 2, options.k).trustworthiness);
          expect(want.continuity).toBe(referenceScores(Xq, n, m, Y, 2, options.k).continuity);
        }
      }
      // The input side scored against itself is perfect.
      expect(kept.scores(Xq, m).trustworthiness).toBe(1);
    }
  });

  it('the matrix-product input side gives exactly the Float64 definition, on spectra far from the origin', () => {
    // XANES-like rows: a large shared shape plus small differences, where float32 products alone would misrank.
    const ds = synthesizeXanes({ count: 300, points: 96, seed: 12, noise: 0.002 });
    const offset = Float32Array.from(ds.spectra, (v) => v + 40);
    const r = new Rng(13);
    const Y = Float64Array.from({ length: ds.n * 2 }, (_, i) => ds.descriptors[Math.floor(i / 2) * 3 + (i % 2)] + 0.3 * r.normal());
    for (const Xs of [ds.spectra, offset]) {
      const got = trustworthinessContinuity(Xs, ds.n, ds.m, Y, 2, { k: 10 });
      const want = referenceScores(Xs, ds.n, ds.m, Y, 2, 10);
      expect(got.trustworthiness).toBe(want.trustworthiness);
      expect(got.continuity).toBe(want.continuity);
      expect(got.trustworthiness).toBeLessThan(0.99);
    }
  });

  it('the native addon scores rows with the same integers as the JavaScript, ties included', () => {
    const ds = synthesizeXanes({ count: 260, points: 48, seed: 14, noise: 0.003 });
    const r = new Rng(15);
    const Yc = Float32Array.from({ length: ds.n * 2 }, (_, i) => ds.descriptors[Math.floor(i / 2) * 3 + (i % 2)] + 0.4 * r.normal());
    // Integer-valued float32 data: ties in both spaces.
    const Xq = Float32Array.from(ds.spectra, (v) => Math.round(v * 4));
    const Yq = Yc.map((v) => Math.round(v));
    for (const [Xs, Y] of [
      [ds.spectra, Yc],
      [Xq, Yq],
    ]) {
      for (const o of [{ k: 6 }, { k: 9, exactLimit: 100, sampleSize: 90, seed: 2 }]) {
        const js = new InputNeighborhoods(Xs, ds.n, ds.m, { ...o, native: false });
        const c = new InputNeighborhoods(Xs, ds.n, ds.m, o);
        expect(c.scores(Y, 2)).toStrictEqual(js.scores(Y, 2));
        // A second embedding reuses the kept input neighbours on both sides.
        const Y2 = Y.map((v, i) => (i % 7 === 0 ? v + 1 : v));
        expect(c.scores(Y2, 2)).toStrictEqual(js.scores(Y2, 2));
      }
    }
  });

  it('estimates carry a standard error that matches their spread and covers the exact value', () => {
    const nn = 500;
    const r = new Rng(30);
    const Xs = Float64Array.from({ length: nn * 5 }, () => r.normal());
    const Y = Float64Array.from({ length: nn * 2 }, (_, i) => Xs[Math.floor(i / 2) * 5 + (i % 2)] + 0.5 * r.normal());
    const exact = trustworthinessContinuity(Xs, nn, 5, Y, 2, { k: 8 });
    expect(exact.estimated).toBe(false);
    expect(exact.standardError).toBeUndefined();
    const input = (seed: number) => new InputNeighborhoods(Xs, nn, 5, { k: 8, exactLimit: 100, sampleSize: 80, seed });
    const runs = Array.from({ length: 40 }, (_, seed) => input(seed).scores(Y, 2));
    for (const key of ['trustworthiness', 'continuity'] as const) {
      const values = runs.map((e) => e[key]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
      const se = runs.map((e) => e.standardError![key]);
      const meanSe = se.reduce((a, b) => a + b, 0) / se.length;
      expect(meanSe).toBeGreaterThan(0);
      // The reported error describes the spread of the estimates around the exact value.
      expect(sd / meanSe).toBeGreaterThan(0.6);
      expect(sd / meanSe).toBeLessThan(1.6);
      expect(Math.abs(mean - exact[key])).toBeLessThan((3 * meanSe) / Math.sqrt(values.length) + 1e-12);
      const covered = runs.filter((e) => Math.abs(e[key] - exact[key]) <= 2.5 * e.standardError![key]).length;
      expect(covered).toBeGreaterThanOrEqual(34);
    }
    expect(runs[0].queries).toBe(80);
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

  it('shares one neighbour search across folds and descriptors and equals a brute-force search per fold, ties and missing labels included', () => {
    const rng = new Rng(11);
    const n = 300;
    // Integer coordinates: many equal distances, broken by the smaller index.
    const Z = Float32Array.from({ length: n * 2 }, () => Math.round(rng.normal() * 3));
    const yCont = Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? NaN : Z[i * 2] * 0.7 + rng.normal()));
    const yDisc = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? NaN : Z[i * 2 + 1] > 0 ? 2 : 1));
    const lists = embeddingNeighbours(Z, n, 2, 20);
    const short = embeddingNeighbours(Z, n, 2, 4);
    for (const [y, discrete] of [[yCont, false], [yDisc, true]] as const) {
      for (const o of [{ discrete }, { discrete, neighbors: 7, folds: 3, seed: 4 }]) {
        const want = bruteKnnPrediction(Z, n, 2, y, o);
        expect(knnPrediction(Z, n, 2, y, o)).toStrictEqual(want);
        expect(knnPrediction(Z, n, 2, y, o, lists)).toStrictEqual(want);
        // Lists too short for k neighbours in other folds: the rest is searched directly.
        expect(knnPrediction(Z, n, 2, y, o, short)).toStrictEqual(want);
      }
    }
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
