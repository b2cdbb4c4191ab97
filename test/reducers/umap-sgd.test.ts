import { describe, expect, it } from 'vitest';
import { gemmAddon } from '../../src/reducers/gemm.js';
import { allKnn } from '../../src/reducers/knn.js';
import { fuzzySimplicialSet } from '../../src/reducers/umap-graph.js';
import { umapSgd } from '../../src/reducers/umap-sgd.js';
import { Rng } from '../../src/util/random.js';
import { nativeMissing, requireOrSkip } from '../require.js';

const addon = gemmAddon();
const haveNative = requireOrSkip('the native addon (C UMAP kernels)', nativeMissing());

/** Three Gaussian clusters in 8 dimensions, their exact kNN graph and a seeded random initial layout. */
function problem(n: number, seed: number) {
  const rng = new Rng(seed);
  const p = 8;
  const X = Float32Array.from({ length: n * p }, (_, t) => rng.normal() + 6 * (Math.floor(t / p) % 3) * ((t % p) === 0 ? 1 : 0));
  const nn = allKnn(X, n, p, 14);
  const graph = fuzzySimplicialSet(nn.indices, nn.distances, n, 14, 15);
  const init = Float64Array.from({ length: 2 * n }, () => rng.uniform() * 20 - 10);
  return { X, p, graph, init };
}

describe.skipIf(!haveNative)('native UMAP kernels equal their JavaScript twins bit for bit', () => {
  it('layout SGD: C and JavaScript give the same embedding, for 2 and 3 dimensions', () => {
    const { graph, init } = problem(1200, 3);
    const a = init.slice();
    const b = init.slice();
    umapSgd(graph, a, 2, 1.577, 0.895, 60, 7);
    umapSgd(graph, b, 2, 1.577, 0.895, 60, 7, 5, 1, false);
    expect(a.some((v, t) => v !== init[t])).toBe(true);
    expect(Array.from(a)).toEqual(Array.from(b));
    const init3 = Float64Array.from({ length: 3 * 1200 }, (_, t) => Math.sin(t * 1.7) * 10);
    const c = init3.slice();
    const d = init3.slice();
    umapSgd(graph, c, 3, 1.2, 0.8, 30, 1, 3, 0.5);
    umapSgd(graph, d, 3, 1.2, 0.8, 30, 1, 3, 0.5, false);
    expect(Array.from(c)).toEqual(Array.from(d));
  });

  it('kNN top-k selection: C and JavaScript give the same neighbours and distances', () => {
    const { X, p } = problem(2500, 5);
    const c = allKnn(X, 2500, p, 11);
    const js = allKnn(X, 2500, p, 11, true, true);
    expect(Array.from(c.indices)).toEqual(Array.from(js.indices));
    expect(Array.from(c.distances)).toEqual(Array.from(js.distances));
  });

  it('the thread count does not change the kNN result', () => {
    const { X, p } = problem(2000, 9);
    const before = addon!.threads();
    try {
      addon!.setThreads(1);
      const one = allKnn(X, 2000, p, 9);
      addon!.setThreads(2);
      const two = allKnn(X, 2000, p, 9);
      expect(Array.from(one.indices)).toEqual(Array.from(two.indices));
      expect(Array.from(one.distances)).toEqual(Array.from(two.distances));
    } finally {
      addon!.setThreads(before);
    }
  });

  it('rejects arrays that do not match the stated sizes', () => {
    const { graph, init } = problem(300, 1);
    expect(() => addon!.umapSgd(init, 301, 2, graph.head, graph.tail, new Float64Array(graph.head.length), 1, 1, 10, 1, 5, 1)).toThrow(/too short/);
    const badHead = graph.head.slice();
    badHead[0] = 300;
    expect(() => addon!.umapSgd(init, 300, 2, badHead, graph.tail, new Float64Array(graph.head.length).fill(1), 1, 1, 10, 1, 5, 1)).toThrow(/out of range/);
    expect(() => addon!.knnSelect(new Float32Array(10), 1, 300, new Float64Array(300), 0, new Float32Array(300), 1, 5, new Int32Array(1500), new Float64Array(1500))).toThrow(/too short/);
  });
});

describe('UMAP layout SGD', () => {
  it('pulls graph neighbours together and pushes the clusters apart (JavaScript loop)', () => {
    const n = 600;
    const { graph, init } = problem(n, 4);
    const emb = init.slice();
    umapSgd(graph, emb, 2, 1.577, 0.895, 150, 2, 5, 1, false);
    // Each point's nearest embedded neighbour lies in its own cluster (cluster = index mod 3).
    let same = 0;
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bd = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const d = (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2;
        if (d < bd) [bd, best] = [d, j];
      }
      if (best % 3 === i % 3) same++;
    }
    expect(same / n).toBeGreaterThan(0.97);
    expect(emb.every(Number.isFinite)).toBe(true);
  });

  it('is reproducible from its seed, and the seed matters', () => {
    const { graph, init } = problem(300, 6);
    const run = (seed: number) => {
      const e = init.slice();
      umapSgd(graph, e, 2, 1.577, 0.895, 40, seed);
      return Array.from(e);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(4)).not.toEqual(run(3));
  });
});
