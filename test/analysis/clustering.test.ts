import { describe, expect, it } from 'vitest';
import { assignClusters, clusterAgreement, clusterProfiles, fitClusters } from '../../src/analysis/clustering.js';
import { hdbscan, hdbscanAssign } from '../../src/analysis/hdbscan.js';
import { adjustedRandIndex } from '../../src/metrics/clustering.js';
import { silhouetteScore } from '../../src/metrics/silhouette.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

/** Gaussian blobs in 2-D (centres given, std s) plus `noise` uniform points over the box [-10, 20]^2. */
function blobs(centres: [number, number][], per: number[], s: number, noise: number, seed: number) {
  const rng = new Rng(seed);
  const pts: number[] = [];
  const truth: number[] = [];
  centres.forEach(([cx, cy], c) => {
    for (let i = 0; i < per[c]; i++) {
      pts.push(cx + s * rng.normal(), cy + s * rng.normal());
      truth.push(c);
    }
  });
  for (let i = 0; i < noise; i++) {
    pts.push(-10 + 30 * rng.uniform(), -10 + 30 * rng.uniform());
    truth.push(-1);
  }
  return { X: Float64Array.from(pts), truth: Int32Array.from(truth), n: truth.length };
}

describe('silhouette', () => {
  it('matches the definition on a tiny example computed by hand', () => {
    // 1-D points: cluster A {0, 1}, cluster B {10}; s(0) = (10 - 1) / 10, s(1) = (9 - 1) / 9, s(10) = 0 (singleton).
    const s = silhouetteScore([0, 1, 10], 3, 1, [0, 0, 1]);
    expect(s).toBeCloseTo((0.9 + 8 / 9 + 0) / 3, 12);
    expect(silhouetteScore([0, 1, 2], 3, 1, [0, 0, 0])).toBeNaN();
    // noise (-1) is left out
    expect(silhouetteScore([0, 1, 10, 55], 4, 1, [0, 0, 1, -1])).toBeCloseTo(s, 12);
  });
});

describe('k-means with k chosen by silhouette', () => {
  it('finds the 4 groups, reports the silhouette of every k tried, and assigns new points to the nearest centre', () => {
    const { X, truth, n } = blobs([[0, 0], [8, 0], [0, 8], [8, 8]], [60, 60, 60, 60], 0.8, 0, 3);
    const fit = fitClusters(X, n, 2, { kRange: [2, 7], seed: 1 });
    expect(fit.k).toBe(4);
    expect(fit.selection!.map((r) => r.k)).toEqual([2, 3, 4, 5, 6, 7]);
    const best = Math.max(...fit.selection!.map((r) => r.silhouette));
    expect(fit.silhouette).toBe(best);
    expect(fit.criterion).toMatch(/highest mean silhouette among k = 2..7/);
    expect(adjustedRandIndex(truth, fit.labels)).toBeGreaterThan(0.98);
    const a = assignClusters(fit, X, n, [8.2, 7.9, 0.1, 0.2], 2);
    const clusterOf = (i: number) => fit.labels[i];
    expect(a.labels[0]).toBe(clusterOf(180)); // a point of the (8, 8) blob
    expect(a.labels[1]).toBe(clusterOf(0));
    expect(a.distance[0]).toBeLessThan(1);
    expect(() => fitClusters(X, n, 2, { k: 0 })).toThrow(UserError);
    expect(() => fitClusters(X, n, 2, { kRange: [1, 4] })).toThrow(/k range/);
  });
});

describe('HDBSCAN', () => {
  it('finds three blobs of different density among uniform noise and leaves the noise out', () => {
    const { X, truth, n } = blobs([[0, 0], [10, 0], [5, 12]], [150, 100, 120], 0.6, 40, 7);
    const r = hdbscan(X, n, 2, { minClusterSize: 15 });
    expect(r.clusters).toBe(3);
    const inBlob = Array.from({ length: n }, (_, i) => i).filter((i) => truth[i] >= 0);
    expect(adjustedRandIndex(inBlob.map((i) => truth[i]), inBlob.map((i) => r.labels[i]))).toBeGreaterThan(0.97);
    // Noise points join a cluster only within the distance at which it separated from the rest (~5 here); far ones stay noise.
    const centres = [[0, 0], [10, 0], [5, 12]];
    const far = Array.from({ length: n }, (_, i) => i).filter((i) => truth[i] < 0 && Math.min(...centres.map(([x, y]) => Math.hypot(X[2 * i] - x, X[2 * i + 1] - y))) > 7);
    expect(far.length).toBeGreaterThan(15);
    expect(far.every((i) => r.labels[i] < 0)).toBe(true);
    expect(Math.max(...r.birthDistance)).toBeLessThan(7);
    // Blob points are rarely called noise.
    expect(inBlob.filter((i) => r.labels[i] < 0).length).toBeLessThan(0.05 * inBlob.length);
    // New points: a blob centre joins its blob, a far point is noise; each point on its own.
    const Y = [10.1, 0.2, 40, 40, 0, 0.1];
    const a = hdbscanAssign(r, X, n, 2, Y, 3);
    expect(a.labels[0]).toBe(r.labels[150]);
    expect(a.labels[1]).toBe(-1);
    expect(a.labels[2]).toBe(r.labels[0]);
    const one = hdbscanAssign(r, X, n, 2, Y.slice(4), 1);
    expect(one.labels[0]).toBe(a.labels[2]);
    expect(one.reachability[0]).toBe(a.reachability[2]);
  });

  it('keeps one blob as one cluster rather than splitting it, and rejects impossible sizes', () => {
    const { X, n } = blobs([[0, 0], [30, 30]], [200, 200], 1, 0, 11);
    const r = hdbscan(X, n, 2, { minClusterSize: 10 });
    expect(r.clusters).toBe(2);
    expect(r.labels.filter((c) => c < 0).length).toBeLessThan(20);
    expect(() => hdbscan(X, n, 2, { minClusterSize: 1 })).toThrow(UserError);
    expect(() => hdbscan(X.subarray(0, 8), 4, 2, { minClusterSize: 5 })).toThrow(UserError);
  });

  it('is what fitClusters runs for method hdbscan, with the default minimum cluster size', () => {
    const { X, truth, n } = blobs([[0, 0], [10, 0]], [100, 100], 0.7, 0, 5);
    const fit = fitClusters(X, n, 2, { method: 'hdbscan' });
    expect(fit.k).toBe(2);
    expect(fit.criterion).toMatch(/minClusterSize 5/);
    expect(adjustedRandIndex(truth, fit.labels)).toBeGreaterThan(0.95);
  });
});

describe('cluster agreement and profiles', () => {
  it('builds the confusion table with noise as its own column and the mean/std spectrum per cluster', () => {
    const labels = [0, 0, 1, 1, -1];
    const phase = [2, 2, 3, NaN, 3];
    const a = clusterAgreement(labels, phase, 'phase');
    expect(a.n).toBe(4);
    expect(a.classes).toEqual([2, 3]);
    expect(a.clusters).toEqual([-1, 0, 1]);
    expect(a.confusion).toEqual([
      [0, 2, 0],
      [1, 0, 1],
    ]);
    const spectra = [1, 2, 3, 4, 10, 10, 12, 14, 99, 99];
    const p = clusterProfiles(labels, 2, spectra, 2);
    expect(Array.from(p.mean)).toEqual([2, 3, 11, 12]);
    expect(Array.from(p.std)).toEqual([1, 1, 1, 2]);
  });
});
