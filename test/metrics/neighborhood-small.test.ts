// Trustworthiness and continuity on small inputs against the definition, point by point, including
// the sampled estimate and its standard error (fast: the mutation run of `metrics-neighborhood`
// uses this file; neighborhood.test.ts keeps the larger checks).
import { describe, expect, it } from 'vitest';
import { embeddingNeighbours, InputNeighborhoods, trustworthinessContinuity } from '../../src/metrics/neighborhood.js';
import { knnPrediction } from '../../src/metrics/knn-prediction.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { Rng } from '../../src/util/random.js';
import { bruteKnnPrediction, neighbourhoodPenalties, scoresFromPenalties } from './reference.js';

function expectScores(got: Record<string, unknown>, want: Record<string, unknown>) {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const key of ['k', 'estimated', 'queries']) expect(got[key]).toBe(want[key]);
  for (const key of ['trustworthiness', 'continuity'] as const) expect(got[key] as number).toBeCloseTo(want[key] as number, 12);
  if (want.standardError) {
    const g = got.standardError as { trustworthiness: number; continuity: number };
    const w = want.standardError as { trustworthiness: number; continuity: number };
    expect(g.trustworthiness).toBeCloseTo(w.trustworthiness, 12);
    expect(g.continuity).toBeCloseTo(w.continuity, 12);
  }
}

describe('trustworthiness and continuity on small inputs', () => {
  const rng = new Rng(31);
  const n = 36;
  const m = 5;
  // Integer coordinates: ties in both spaces.
  const X = Float64Array.from({ length: n * m }, () => Math.round(rng.normal() * 2));
  const Ys = [0, 1, 2].map((s) => {
    const r = new Rng(40 + s);
    return Float64Array.from({ length: n * 2 }, (_, i) => Math.round(X[Math.floor(i / 2) * m + ((i + s) % m)] + r.normal() * (s + 0.5)));
  });

  it('equal the definition exactly, for every embedding scored with one kept input side, in JavaScript and with the addon', () => {
    // Integer data: Float32 copies hold the same values, so one reference serves both.
    for (const k of [1, 4]) {
      const want = Ys.map((Y) => scoresFromPenalties(neighbourhoodPenalties(X, n, m, Y, 2, k), n, k));
      // Float64 in JavaScript, Float32 with the addon (where built) and in JavaScript.
      for (const [Xs, native] of [
        [X, false],
        [Float32Array.from(X), true],
        [Float32Array.from(X), false],
      ] as const) {
        const kept = new InputNeighborhoods(Xs, n, m, { k, native });
        Ys.forEach((Y, e) => expectScores({ ...kept.scores(e === 1 ? Float32Array.from(Y) : Y, 2) }, want[e]));
      }
      expectScores({ ...trustworthinessContinuity(X, n, m, Ys[2], 2, { k }) }, want[2]);
    }
  });

  it('the sampled estimate is the mean penalty of the seed\'s query points scaled to n, with its finite-population standard error', () => {
    for (const [k, sampleSize, seed] of [
      [3, 12, 0],
      [4, 20, 5],
      [2, 35, 9],
    ]) {
      const queries = new Rng(seed).permutation(n).subarray(0, sampleSize);
      const ref = Ys.map((Y) => neighbourhoodPenalties(X, n, m, Y, 2, k));
      for (const native of [false, true]) {
        const o = { k, exactLimit: 30, sampleSize, seed, native };
        const kept = new InputNeighborhoods(Float32Array.from(X), n, m, o);
        expect(kept.estimated).toBe(true);
        expect(Array.from(kept.queries)).toEqual(Array.from(queries));
        Ys.forEach((Y, e) => expectScores({ ...kept.scores(Float32Array.from(Y), 2) }, scoresFromPenalties(ref[e], n, k, queries)));
      }
    }
    // Defaults: seed 0, and a sample no larger than n.
    const all = new InputNeighborhoods(X, n, m, { k: 3, exactLimit: 10 });
    expect(all.queries.length).toBe(n);
    expect(Array.from(all.queries)).toEqual(Array.from(new Rng(0).permutation(n)));
    const est = all.scores(Ys[1], 2);
    expect(est.estimated).toBe(true);
    // Every point sampled: the estimate is the exact value and its standard error 0.
    expect(est.trustworthiness).toBeCloseTo(trustworthinessContinuity(X, n, m, Ys[1], 2, { k: 3 }).trustworthiness, 12);
    expect(est.standardError).toEqual({ trustworthiness: 0, continuity: 0 });
    // Exactly at the limit the computation is exact.
    const at = new InputNeighborhoods(X, n, m, { k: 3, exactLimit: n });
    expect(at.estimated).toBe(false);
    expect(at.scores(Ys[1], 2).standardError).toBeUndefined();
    // One query point: no spread to estimate from.
    const one = new InputNeighborhoods(X, n, m, { k: 3, exactLimit: 10, sampleSize: 1, seed: 2 }).scores(Ys[1], 2);
    expect(one.queries).toBe(1);
    expect(one.standardError!.trustworthiness).toBeNaN();
  });

  it('neighbour lists given by the caller (long enough) give the same scores; short ones are searched again', () => {
    const Y = Ys[2];
    const want = scoresFromPenalties(neighbourhoodPenalties(X, n, m, Y, 2, 4), n, 4);
    const kept = new InputNeighborhoods(X, n, m, { k: 4 });
    expectScores({ ...kept.scores(Y, 2, embeddingNeighbours(Y, n, 2, 9)) }, want);
    expectScores({ ...kept.scores(Y, 2, embeddingNeighbours(Y, n, 2, 4)) }, want);
    expectScores({ ...kept.scores(Y, 2, embeddingNeighbours(Y, n, 2, 3)) }, want);
    // Lists of another set of points (other length) are not used.
    expectScores({ ...kept.scores(Y, 2, embeddingNeighbours(Y.subarray(0, 40), 20, 2, 6)) }, want);
    const lists = embeddingNeighbours(Y, n, 2, 3);
    expect(lists.k).toBe(3);
    expect(lists.indices.length).toBe(n * 3);
  });

  it('spectra far from the origin with small differences rank as in Float64 (the matrix-product bounds hold)', () => {
    const ds = synthesizeXanes({ count: 48, points: 24, seed: 3, noise: 0.002 });
    const r = new Rng(4);
    const Y = Float64Array.from({ length: ds.n * 2 }, (_, i) => ds.descriptors[Math.floor(i / 2) * 3 + (i % 2)] + 0.3 * r.normal());
    for (const shift of [0, 40, -1000]) {
      const Xs = Float32Array.from(ds.spectra, (v) => v + shift);
      const want = scoresFromPenalties(neighbourhoodPenalties(Xs, ds.n, ds.m, Y, 2, 5), ds.n, 5);
      for (const native of [false, true]) expectScores({ ...trustworthinessContinuity(Xs, ds.n, ds.m, Y, 2, { k: 5, native }) }, want);
      expect(want.trustworthiness as number).toBeLessThan(1);
    }
    // All spectra equal: every distance 0, every rank 1, nothing to penalize.
    const same = new Float64Array(10 * 3).fill(2);
    expect(trustworthinessContinuity(same, 10, 3, Y.subarray(0, 20), 2, { k: 2 }).trustworthiness).toBe(1);
  });
});

describe('kNN prediction on a small embedding', () => {
  it('equals a brute-force search per fold, with ties, missing labels, and neighbour lists long, short or absent', () => {
    const rng = new Rng(12);
    const n = 48;
    const Z = Float32Array.from({ length: n * 2 }, () => Math.round(rng.normal() * 2));
    const yCont = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? NaN : Z[i * 2] * 0.7 + rng.normal()));
    const yDisc = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : Z[i * 2 + 1] > 0 ? 2 : i % 3));
    const long = embeddingNeighbours(Z, n, 2, 20);
    const short = embeddingNeighbours(Z, n, 2, 3);
    for (const [y, discrete] of [
      [yCont, false],
      [yDisc, true],
    ] as const) {
      for (const o of [{ discrete }, { discrete, neighbors: 4, folds: 3, seed: 4 }]) {
        const want = bruteKnnPrediction(Z, n, 2, y, o);
        expect(knnPrediction(Z, n, 2, y, o)).toStrictEqual(want);
        expect(knnPrediction(Z, n, 2, y, o, long)).toStrictEqual(want);
        expect(knnPrediction(Z, n, 2, y, o, short)).toStrictEqual(want);
      }
    }
  });
});
