import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, kMeans } from '../../src/metrics/clustering.js';
import { maxAxisCorrelation } from '../../src/metrics/axes.js';
import { checkScorable, embeddingInputNeighborhoods, embeddingMetrics, guessDiscrete } from '../../src/metrics/embedding-metrics.js';
import { knnListSize, knnPrediction, r2Score } from '../../src/metrics/knn-prediction.js';
import { trustworthinessContinuity } from '../../src/metrics/neighborhood.js';
import { silhouetteScore } from '../../src/metrics/silhouette.js';
import { Rng } from '../../src/util/random.js';

/** Sum of squared distances of each point to the nearest of the centres. */
function bruteInertia(X: number[], d: number, centers: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < X.length / d; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let e = 0;
      for (let t = 0; t < d; t++) e += (X[i * d + t] - centers[c * d + t]) ** 2;
      best = Math.min(best, e);
    }
    s += best;
  }
  return s;
}

describe('kMeans', () => {
  it('puts the centres at the cluster means and reports the inertia of its labels', () => {
    // Two groups on a line, far apart: {0, 1, 2} and {10, 12}; 2-D with a constant second coordinate.
    const X = [0, 5, 1, 5, 2, 5, 10, 5, 12, 5];
    const km = kMeans(X, 5, 2, 2, { seed: 3 });
    const first = km.labels[0];
    expect(Array.from(km.labels)).toEqual([first, first, first, 1 - first, 1 - first]);
    expect(Array.from(km.centers.subarray(first * 2, first * 2 + 2))).toEqual([1, 5]);
    expect(Array.from(km.centers.subarray((1 - first) * 2, (1 - first) * 2 + 2))).toEqual([11, 5]);
    // (1 + 0 + 1) + (1 + 1)
    expect(km.inertia).toBe(4);
    expect(km.iterations).toBeGreaterThanOrEqual(1);
    expect(km.iterations).toBeLessThanOrEqual(3);
  });

  it('with k = 1 the centre is the mean and the inertia the total sum of squares; k = n puts every point alone', () => {
    const X = [1, 2, 3, 7];
    const one = kMeans(X, 4, 1, 1);
    expect(Array.from(one.centers)).toEqual([3.25]);
    expect(one.inertia).toBeCloseTo(2.25 ** 2 + 1.25 ** 2 + 0.25 ** 2 + 3.75 ** 2, 12);
    expect(Array.from(one.labels)).toEqual([0, 0, 0, 0]);
    const all = kMeans(X, 4, 1, 4, { seed: 1 });
    expect(all.inertia).toBe(0);
    expect(new Set(all.labels).size).toBe(4);
    expect(Array.from(all.centers).sort((a, b) => a - b)).toEqual([1, 2, 3, 7]);
  });

  it('keeps the best of its starts and stops only once the centres settle', () => {
    const rng = new Rng(4);
    const X = Array.from({ length: 600 }, () => rng.normal());
    for (const seed of [0, 1, 2]) {
      const km = kMeans(X, 300, 2, 5, { seed, nInit: 6 });
      // The reported inertia is that of the reported labels and centres, each point at its nearest centre.
      expect(km.inertia).toBeCloseTo(bruteInertia(X, 2, km.centers, 5), 9);
      // Converged: the centres are the means of their points.
      for (let c = 0; c < 5; c++) {
        const rows = Array.from(km.labels.keys()).filter((i) => km.labels[i] === c);
        expect(rows.length).toBeGreaterThan(0);
        for (let t = 0; t < 2; t++) expect(km.centers[c * 2 + t]).toBeCloseTo(rows.reduce((s, i) => s + X[i * 2 + t], 0) / rows.length, 2);
      }
      // More starts never give a worse answer than their first (one start with the same seed).
      expect(km.inertia).toBeLessThanOrEqual(kMeans(X, 300, 2, 5, { seed, nInit: 1 }).inertia + 1e-9);
    }
    // One Lloyd iteration is what maxIter 1 allows.
    expect(kMeans(X, 300, 2, 5, { maxIter: 1, nInit: 1 }).iterations).toBe(1);
    // A loose tolerance stops earlier than the default.
    const loose = kMeans(X, 300, 2, 5, { tol: 10, nInit: 1 });
    const tight = kMeans(X, 300, 2, 5, { tol: 0, nInit: 1 });
    expect(loose.iterations).toBe(1);
    expect(tight.iterations).toBeGreaterThan(2);
  });

  it('a cluster left empty keeps its centre (identical points)', () => {
    const km = kMeans([1, 1, 1, 1], 4, 1, 2);
    expect(Array.from(km.centers)).toEqual([1, 1]);
    expect(km.inertia).toBe(0);
    expect(Array.from(km.labels)).toEqual([0, 0, 0, 0]);
  });

  it('rejects k outside [1, n]', () => {
    expect(() => kMeans([1, 2, 3], 3, 1, 0)).toThrow('kMeans: k must be in [1, n] (k = 0, n = 3)');
    expect(() => kMeans([1, 2, 3], 3, 1, 4)).toThrow('kMeans: k must be in [1, n] (k = 4, n = 3)');
    expect(() => kMeans([1, 2, 3], 3, 1, 1.5)).toThrow(/k = 1.5/);
    expect(kMeans([1, 2, 3], 3, 1, 3).inertia).toBe(0);
  });
});

describe('adjustedRandIndex', () => {
  it('matches the pair-counting formula on hand-computed tables', () => {
    // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]: table [[2,1,0],[0,1,2]]; index 2, sumA 6, sumB 3, expected 18/15, max 4.5.
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo((2 - 1.2) / (4.5 - 1.2), 12);
    // Symmetric in its arguments, labels are names only.
    expect(adjustedRandIndex([5, 5, 1, 1, 9, 9], [7, 7, 7, 3, 3, 3])).toBeCloseTo((2 - 1.2) / (4.5 - 1.2), 12);
    // Opposite partitions score below 0: a = [0,0,1,1], b = [0,1,0,1]: index 0, expected 2*2/6, max 2.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo((0 - 2 / 3) / (2 - 2 / 3), 12);
  });

  it('scores identical trivial partitions 1 and refuses labelings of different lengths', () => {
    expect(adjustedRandIndex([1, 1, 1], [4, 4, 4])).toBe(1);
    expect(adjustedRandIndex([0, 1, 2], [2, 0, 1])).toBe(1);
    expect(() => adjustedRandIndex([0, 1], [0, 1, 2])).toThrow('adjustedRandIndex: lengths differ (2 vs 3)');
  });
});

describe('silhouetteScore', () => {
  /** The definition, straight: every point, Euclidean distances, singletons 0. */
  function bruteSilhouette(X: number[], d: number, labels: number[]): number {
    const rows = labels.map((l, i) => [l, i]).filter(([l]) => l >= 0).map(([, i]) => i);
    const dist = (i: number, j: number) => Math.sqrt(Array.from({ length: d }, (_, t) => (X[i * d + t] - X[j * d + t]) ** 2).reduce((a, b) => a + b, 0));
    const ids = [...new Set(rows.map((i) => labels[i]))];
    let total = 0;
    for (const i of rows) {
      const own = rows.filter((j) => j !== i && labels[j] === labels[i]);
      if (own.length === 0) continue;
      const a = own.reduce((s, j) => s + dist(i, j), 0) / own.length;
      const b = Math.min(...ids.filter((c) => c !== labels[i]).map((c) => {
        const m = rows.filter((j) => labels[j] === c);
        return m.reduce((s, j) => s + dist(i, j), 0) / m.length;
      }));
      total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
    }
    return total / rows.length;
  }

  it('equals the definition on random 2-D points with three clusters, noise left out', () => {
    const rng = new Rng(2);
    const n = 40;
    const X = Array.from({ length: n * 2 }, () => rng.normal());
    const labels = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -1 : i % 3));
    expect(silhouetteScore(X, n, 2, labels)).toBeCloseTo(bruteSilhouette(X, 2, labels), 12);
  });

  it('a point whose own and nearest other cluster are equally far scores 0; coincident clusters score 0', () => {
    // Points 0 and 2 in cluster A, point 1 (midway) in B with a twin: s(1) uses a = 0.
    expect(silhouetteScore([0, 0, 0, 0], 4, 1, [0, 0, 1, 1])).toBe(0);
    // a = b for the middle point: 1-D points -1, 1 (cluster 0) and 3, 5 (cluster 1).
    const s = silhouetteScore([-1, 1, 3, 5], 4, 1, [0, 0, 1, 1]);
    expect(s).toBeCloseTo(bruteSilhouette([-1, 1, 3, 5], 1, [0, 0, 1, 1]), 12);
  });

  it('above sampleSize scores a fixed-seed subset of the points', () => {
    const rng = new Rng(6);
    const n = 60;
    const X = Array.from({ length: n }, (_, i) => (i % 2) * 3 + rng.normal());
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const full = silhouetteScore(X, n, 1, labels);
    expect(silhouetteScore(X, n, 1, labels, { sampleSize: 60 })).toBe(full);
    const sub = silhouetteScore(X, n, 1, labels, { sampleSize: 20, seed: 5 });
    expect(sub).toBe(silhouetteScore(X, n, 1, labels, { sampleSize: 20, seed: 5 }));
    expect(sub).not.toBe(full);
    // The subset is the points the seed's permutation picks, scored among themselves.
    const perm = new Rng(5).permutation(n);
    const pick = Array.from(perm.subarray(0, 20)).sort((a, b) => a - b);
    expect(sub).toBeCloseTo(bruteSilhouette(pick.map((i) => X[i]), 1, pick.map((i) => labels[i])), 12);
  });
});

describe('knnPrediction', () => {
  it('predicts the mean of the k nearest training rows and the majority vote, ties to the smaller label', () => {
    // 1-D embedding 0..9; y = 2x. Leave-one-fold-out with 10 folds is leave-one-out.
    const Z = Array.from({ length: 10 }, (_, i) => i);
    const y = Z.map((v) => 2 * v);
    const r = knnPrediction(Z, 10, 1, y, { neighbors: 2, folds: 10 });
    // Interior points: neighbours i-1 and i+1 predict 2i exactly; ends: 0 -> (2+4)/2 = 3, 9 -> (14+16)/2 = 15.
    const pred = Z.map((i) => (i === 0 ? 3 : i === 9 ? 15 : 2 * i));
    expect(r.kind).toBe('continuous');
    expect(r.n).toBe(10);
    expect(r.r2).toBeCloseTo(r2Score(y, pred), 12);
    expect(r.perFold).toHaveLength(10);
    // One-row folds have a constant truth: R^2 undefined.
    expect(r.perFold.every((v) => Number.isNaN(v))).toBe(true);
    // Votes: labels [1,1,2,2,...]: with 2 neighbours a tie goes to the smaller label.
    const cls = Z.map((i) => (i < 5 ? 1 : 2));
    const v = knnPrediction(Z, 10, 1, cls, { neighbors: 2, folds: 10, discrete: true });
    // Row 4: neighbours 3 (1) and 5 (2) tie -> 1 (right); row 5: 4 (1) and 6 (2) -> 1 (wrong). Everything else right.
    expect(v.kind).toBe('discrete');
    expect(v.accuracy).toBeCloseTo(9 / 10, 12);
    expect(v.perFold.filter((a) => a === 1)).toHaveLength(9);
  });

  it('needs at least as many labelled rows as folds, and two', () => {
    expect(() => knnPrediction([0, 1, 2, 3], 4, 1, [1, NaN, 2, 3])).toThrow('kNN prediction needs at least 5 labelled rows (got 3)');
    expect(() => knnPrediction([0], 1, 1, [1], { folds: 1 })).toThrow('kNN prediction needs at least 2 labelled rows (got 1)');
    expect(knnPrediction([0, 1, 2], 3, 1, [1, 2, 3], { folds: 3, neighbors: 1 }).n).toBe(3);
    expect(knnListSize(5)).toBeGreaterThanOrEqual(5);
  });

  it('with fewer training rows than neighbours it averages all of them', () => {
    // 3 rows, 3 folds, 5 neighbours: each row is predicted by the mean of the other two.
    const r = knnPrediction([0, 1, 2], 3, 1, [1, 2, 3], { folds: 3, neighbors: 5 });
    expect(r.r2).toBeCloseTo(r2Score([1, 2, 3], [2.5, 2, 1.5]), 12);
    expect(r.r2).toBeCloseTo(-1.25, 12);
  });

  it('r2Score is 1 - SS_res / SS_tot, NaN for a constant truth', () => {
    expect(r2Score([1, 2, 3], [1, 2, 4])).toBeCloseTo(1 - 1 / 2, 12);
    expect(r2Score([1, 2, 3], [3, 2, 1])).toBeCloseTo(1 - 8 / 2, 12);
    expect(r2Score([2, 2], [1, 3])).toBeNaN();
  });
});

describe('embeddingMetrics', () => {
  const rng = new Rng(21);
  const n = 60;
  const X = Float64Array.from({ length: n * 4 }, () => rng.normal());
  // Axis 1 of the embedding carries descriptor "u" (reversed), axis 0 is the first input coordinate.
  const Z = Float64Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? X[(i / 2) * 4] : -X[((i - 1) / 2) * 4 + 1]));
  const cls = Array.from({ length: n }, (_, i) => (X[i * 4] > 0 ? 3 : 1));
  const Y = Float64Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? X[(i / 2) * 4 + 1] : cls[(i - 1) / 2]));

  it('reports neighbourhood, axis and prediction scores per descriptor, k-means ARI for the discrete ones', () => {
    const m = embeddingMetrics(X, n, 4, Z, 2, Y, ['u', 'c'], ['c'], { trustK: 4, seed: 1 });
    expect(m.n).toBe(n);
    expect(m.dims).toBe(2);
    expect(m.neighborhood).toStrictEqual(trustworthinessContinuity(X, n, 4, Z, 2, { k: 4 }));
    const u = m.descriptors.u;
    expect(u.discrete).toBe(false);
    expect(u.bestAxis).toBe(1);
    expect(u.spearman).toBeCloseTo(-1, 12);
    expect(u.perAxisSpearman).toHaveLength(2);
    expect(u.kmeansAri).toBeUndefined();
    expect(u.knn.kind).toBe('continuous');
    expect(u.knn).toStrictEqual(knnPrediction(Z, n, 2, Y.filter((_, i) => i % 2 === 0), { seed: 1 }));
    const c = m.descriptors.c;
    expect(c.discrete).toBe(true);
    expect(c.bestAxis).toBe(0);
    expect(c.knn.kind).toBe('discrete');
    expect(c.knn.accuracy).toBeGreaterThan(0.85);
    const km = kMeans(Z, n, 2, 2, { seed: 1 });
    expect(c.kmeansAri).toBe(adjustedRandIndex(cls, km.labels));
    expect(m.maxAxisSpearman).toBeLessThan(0.5);
    expect(m.maxAxisSpearman).toBeGreaterThanOrEqual(0);
  });

  it('passes its options on: kNN neighbours, folds and seed, the estimate limit and seed of the input side', () => {
    const o = { trustK: 5, knnNeighbors: 3, folds: 4, seed: 7, trustExactLimit: 20 };
    const m = embeddingMetrics(X, n, 4, Z, 2, Y, ['u', 'c'], ['c'], o);
    expect(m.descriptors.u.knn).toStrictEqual(knnPrediction(Z, n, 2, Y.filter((_, i) => i % 2 === 0), { neighbors: 3, folds: 4, seed: 7 }));
    expect(m.descriptors.c.knn.perFold).toHaveLength(4);
    expect(m.neighborhood).toStrictEqual(trustworthinessContinuity(X, n, 4, Z, 2, { k: 5, exactLimit: 20, seed: 7 }));
    expect(m.neighborhood.estimated).toBe(true);
    expect(m.maxAxisSpearman).toBe(maxAxisCorrelation(Z, n, 2).maxAbs);
    const input = embeddingInputNeighborhoods(X, n, 4, o);
    expect(input.estimated).toBe(true);
    expect(input.k).toBe(5);
    expect(Array.from(input.queries)).toEqual(Array.from(new Rng(7).permutation(n).subarray(0, 2000)));
    expect(embeddingMetrics(X, n, 4, Z, 2, Y, ['u', 'c'], ['c'], { ...o, inputNeighborhoods: input })).toStrictEqual(m);
    // Kept input neighbourhoods of another n, m or k are refused.
    expect(() => embeddingMetrics(X, 50, 4, Z, 2, Y, ['u'], [], { ...o, inputNeighborhoods: input })).toThrow(
      'embeddingMetrics: inputNeighborhoods was built for other spectra or options',
    );
    expect(() => embeddingMetrics(X, n, 2, Z, 2, Y, ['u'], [], { ...o, inputNeighborhoods: input })).toThrow(/other spectra/);
    expect(() => embeddingMetrics(X, n, 4, Z, 2, Y, ['u'], [], { ...o, trustK: 6, inputNeighborhoods: input })).toThrow(/other spectra/);
  });

  it('k-means ARI of a discrete descriptor is over its labelled rows only', () => {
    const pairs = Float64Array.from({ length: n }, (_, i) => (i < 8 ? [1, 2][i % 2] : NaN));
    const m = embeddingMetrics(X, n, 4, Z, 2, pairs, ['c'], ['c'], { folds: 2, seed: 3 });
    const Zs = Z.subarray(0, 16);
    const km = kMeans(Zs, 8, 2, 2, { seed: 3 });
    expect(m.descriptors.c.kmeansAri).toBe(adjustedRandIndex(pairs.subarray(0, 8), km.labels));
  });

  it('caps the neighbourhood size below n/2 for a few spectra', () => {
    const m = embeddingMetrics(X, 7, 4, Z, 2, Y, ['u'], [], { folds: 2 });
    expect(m.neighborhood.k).toBe(3);
    expect(embeddingMetrics(X, 8, 4, Z, 2, Y, ['u'], [], { folds: 2 }).neighborhood.k).toBe(3);
    expect(embeddingMetrics(X, 9, 4, Z, 2, Y, ['u'], [], { folds: 2 }).neighborhood.k).toBe(4);
  });

  it('leaves out k-means ARI for a discrete descriptor with one class or no more rows than classes', () => {
    const one = Float64Array.from({ length: n }, () => 4);
    expect(embeddingMetrics(X, n, 4, Z, 2, one, ['c'], ['c']).descriptors.c.kmeansAri).toBeUndefined();
    const few = Float64Array.from({ length: n }, (_, i) => (i < 6 ? i % 2 : NaN));
    expect(embeddingMetrics(X, n, 4, Z, 2, few, ['c'], ['c'], { folds: 2 }).descriptors.c.kmeansAri).toBeDefined();
    const pairs = Float64Array.from({ length: n }, (_, i) => (i < 4 ? [1, 2, 1, 2][i] : NaN));
    expect(embeddingMetrics(X, n, 4, Z, 2, pairs, ['c'], ['c'], { folds: 2 }).descriptors.c.kmeansAri).toBeDefined();
    const exact = Float64Array.from({ length: n }, (_, i) => (i < 2 ? i + 1 : NaN));
    expect(embeddingMetrics(X, n, 4, Z, 2, exact, ['c'], ['c'], { folds: 2 }).descriptors.c.kmeansAri).toBeUndefined();
  });

  it('checkScorable says what is missing before any work', () => {
    expect(() => checkScorable(2, [1, 2], ['a'])).toThrow('scoring an embedding needs at least 3 spectra (trustworthiness compares neighbourhoods), found 2');
    expect(() => checkScorable(6, [1, 2, 3, 4, NaN, NaN], ['CN'])).toThrow(
      'descriptor "CN" has 4 labelled spectra of 6; its 5-fold kNN score needs at least 5. Leave it out of the descriptors or label more spectra',
    );
    expect(() => checkScorable(6, [1, 2, 3, 4, 5, NaN], ['CN'])).not.toThrow();
    // Folds below 2 count as 2; columns are read from the row-major table.
    expect(() => checkScorable(3, [1, 7, NaN, NaN, NaN, 5], ['a', 'b'], { folds: 1 })).toThrow(/"a" has 1 labelled spectra of 3; its 2-fold/);
    expect(() => checkScorable(3, [1, NaN, 2, 7, 3, 5], ['a', 'b'], { folds: 1 })).not.toThrow();
  });
});

describe('guessDiscrete', () => {
  it('takes integer-valued columns with at most maxLevels distinct values, ignoring missing ones', () => {
    const cols = ['int', 'frac', 'many', 'empty'];
    const rows = Array.from({ length: 14 }, (_, i) => [i % 3, i === 5 ? 2.5 : 1, i, NaN]);
    const flat = rows.flat();
    flat[0] = NaN;
    expect(guessDiscrete(flat, 14, cols)).toEqual(['int']);
    expect(guessDiscrete(flat, 14, cols, 14)).toEqual(['int', 'many']);
    expect(guessDiscrete(flat, 14, cols, 13)).toEqual(['int']);
    expect(guessDiscrete(flat, 14, cols, 2)).toEqual([]);
    expect(guessDiscrete(flat, 14, cols, 3)).toEqual(['int']);
  });
});

describe('trustworthiness options', () => {
  it('rejects a neighbourhood size that is not an integer in [1, n/2)', () => {
    const X = Float64Array.from({ length: 20 }, (_, i) => i);
    for (const k of [0, 5, 2.5]) {
      expect(() => trustworthinessContinuity(X, 10, 2, X, 2, { k })).toThrow(`trustworthiness: k must be an integer in [1, n/2) (k = ${k}, n = 10)`);
    }
    expect(trustworthinessContinuity(X, 10, 2, X, 2, { k: 4 }).trustworthiness).toBe(1);
    expect(trustworthinessContinuity(X, 10, 2, X, 2, { k: 1 }).continuity).toBe(1);
  });
});
