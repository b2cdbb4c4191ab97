import { describe, expect, it } from 'vitest';
import { VpTree, bruteKnn, knn } from '../../src/reducers/vptree.js';
import { Rng } from '../../src/util/random.js';

describe('nearest-neighbour search', () => {
  it('VP-tree kNN equals brute force (all points and external queries), duplicates included', () => {
    const rng = new Rng(12);
    const n = 700;
    const d = 7;
    const X = Float64Array.from({ length: n * d }, () => rng.normal());
    // a few exact duplicates and a low-dimensional cluster
    for (let t = 0; t < d; t++) X[5 * d + t] = X[9 * d + t];
    const tree = new VpTree(X, n, d, 3);
    const k = 12;
    const all = tree.allKnn(k);
    const ref = bruteKnn(X, n, X, n, d, k, true);
    for (let i = 0; i < n * k; i++) expect(all.distances[i]).toBeCloseTo(ref.distances[i], 10);
    const Q = Float64Array.from({ length: 50 * d }, () => 2 * rng.normal());
    const a = knn(X, n, Q, 50, d, k, false, tree);
    const b = bruteKnn(X, n, Q, 50, d, k);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  });
});
