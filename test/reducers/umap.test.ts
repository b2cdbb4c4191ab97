import { describe, expect, it } from 'vitest';
import { Umap } from '../../src/reducers/umap.js';
import { createReducer, loadReducer } from '../../src/reducers/registry.js';
import { knnPrediction } from '../../src/metrics/knn-prediction.js';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';

describe('UMAP (umap-js)', () => {
  const rng = new Rng(7);
  const c = 3, per = 50, m = 20, n = c * per;
  const centres = Float64Array.from({ length: c * m }, () => 5 * rng.normal());
  const X = new Float32Array(n * m);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % c;
    for (let j = 0; j < m; j++) X[i * m + j] = centres[(i % c) * m + j] + rng.normal();
  }

  it('is reproducible with a seed, separates clusters and places new points in their cluster', () => {
    const u = new Umap({ nNeighbors: 10, nEpochs: 150, seed: 3 });
    const Y = u.fitTransform(X, n, m);
    const Y2 = new Umap({ nNeighbors: 10, nEpochs: 150, seed: 3 }).fitTransform(X, n, m);
    expect(Array.from(Y2)).toEqual(Array.from(Y));
    expect(knnPrediction(Y, n, 2, labels, { discrete: true }).accuracy!).toBeGreaterThan(0.95);
    const loaded = loadReducer(JSON.parse(JSON.stringify(u.toJSON())));
    const Yt = loaded.transform(X, n);
    // Transformed training spectra sit with their own cluster.
    expect(knnPrediction(Float32Array.from([...Y, ...Yt]), 2 * n, 2, Float64Array.from([...labels, ...labels]), { discrete: true }).accuracy!).toBeGreaterThan(0.95);
  });

  it('supervised mode separates classes the spectra alone do not (setTarget changes the map)', () => {
    // One Gaussian cloud with labels drawn independently of the points: unsupervised UMAP cannot separate them,
    // so class separation in the supervised map can only come from the target.
    const r = new Rng(11);
    const nc = 160, mc = 12;
    const cloud = Float32Array.from({ length: nc * mc }, () => r.normal());
    const target = Float64Array.from({ length: nc }, () => (r.uniform() < 0.5 ? 0 : 1));
    const acc = (Y: Float32Array) => knnPrediction(Y, nc, 2, target, { discrete: true }).accuracy!;
    const plain = new Umap({ nNeighbors: 10, nEpochs: 100, seed: 1 }).fitTransform(cloud, nc, mc);
    const supervised = new Umap({ nNeighbors: 10, nEpochs: 100, seed: 1 }).setTarget(target).fitTransform(cloud, nc, mc);
    expect(acc(plain)).toBeLessThan(0.7);
    expect(acc(supervised)).toBeGreaterThan(0.95);
    // Unlabelled spectra (NaN) are allowed, and setTarget(null) returns to the unsupervised map.
    const partly = Float64Array.from(target, (v, i) => (i % 4 === 0 ? NaN : v));
    expect(new Umap({ nNeighbors: 10, nEpochs: 100, seed: 1 }).setTarget(partly).fitTransform(cloud, nc, mc)).toHaveLength(2 * nc);
    const reset = new Umap({ nNeighbors: 10, nEpochs: 100, seed: 1 }).setTarget(target).setTarget(null).fitTransform(cloud, nc, mc);
    expect(Array.from(reset)).toEqual(Array.from(plain));
    expect(() => new Umap({ nNeighbors: 10 }).setTarget(target.subarray(0, 5)).fit(cloud, nc, mc)).toThrow(/supervised target has 5 values for 160 spectra/);
  });

  it('rejects nNeighbors >= n and unknown parameters', () => {
    expect(() => new Umap({ nNeighbors: 200 }).fit(X, n, m)).toThrow(/nNeighbors \(200\) must be less than the number of spectra \(150\)/);
    expect(() => createReducer('umap', { neighbours: 5 })).toThrow(UserError);
    expect(() => createReducer('isomap')).toThrow(/unknown method "isomap"/);
  });
});

describe('typed-array UMAP layout loop', () => {
  it('reproduces umap-js fit exactly from the same state and random stream', async () => {
    const { UMAP } = await import('umap-js');
    const { optimizeUmapLayout } = await import('../../src/reducers/umap-layout.js');
    const rng0 = new Rng(21);
    const n = 120;
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: 6 }, () => rng0.normal() + (i % 2) * 4));
    const r1 = new Rng(5);
    const ref = new UMAP({ nNeighbors: 8, nEpochs: 60, random: () => r1.uniform() }).fit(rows);
    const r2 = new Rng(5);
    const random = () => r2.uniform();
    const u = new UMAP({ nNeighbors: 8, nEpochs: 60, random });
    u.initializeFit(rows);
    const { embedding } = optimizeUmapLayout((u as unknown as { optimizationState: never }).optimizationState, random);
    for (let i = 0; i < n; i++) for (let t = 0; t < 2; t++) expect(embedding[i * 2 + t]).toBe(ref[i][t]);
  });
});
