import { describe, expect, it } from 'vitest';
import { allKnn } from '../../src/reducers/knn.js';
import { VpTree } from '../../src/reducers/vptree.js';
import { KdTree } from '../../src/reducers/kdtree.js';
import { Rng } from '../../src/util/random.js';

describe('exact kNN (GEMM brute force with the addon, VP-tree without)', () => {
  it('equals the vantage-point tree: same neighbours in the same order, same distances', () => {
    const rng = new Rng(4);
    const n = 1500, p = 12, k = 20;
    const X = Float32Array.from({ length: n * p }, () => 3 * rng.normal());
    const fast = allKnn(X, n, p, k);
    const ref = new VpTree(X, n, p).allKnn(k);
    expect(fast.indices.length).toBe(n * k);
    let mismatches = 0;
    let worst = 0;
    for (let t = 0; t < n * k; t++) {
      if (fast.indices[t] !== ref.indices[t]) mismatches++;
      worst = Math.max(worst, Math.abs(fast.distances[t] - ref.distances[t]));
    }
    expect(worst).toBeLessThan(1e-9);
    // Only exact distance ties may swap (none expected with continuous data).
    expect(mismatches).toBe(0);
    let self = 0;
    let unsorted = 0;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < k; a++) if (fast.indices[i * k + a] === i) self++;
      for (let a = 1; a < k; a++) if (fast.distances[i * k + a] < fast.distances[i * k + a - 1]) unsorted++;
    }
    expect(self).toBe(0);
    expect(unsorted).toBe(0);
  });

  it('forced VP-tree path returns the same result shape and values', () => {
    const rng = new Rng(5);
    const n = 1200, p = 5;
    const X = Float32Array.from({ length: n * p }, () => rng.normal());
    const a = allKnn(X, n, p, 7);
    const b = allKnn(X, n, p, 7, false);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  });
});

describe('k-d tree kNN of an embedding', () => {
  it('equals a brute-force sort by (squared distance, index) in 1 to 5 dimensions, with ties and duplicates', () => {
    const rng = new Rng(6);
    for (const [n, d, k, round] of [[400, 1, 6, true], [700, 2, 15, true], [700, 2, 9, false], [300, 3, 10, true], [250, 5, 12, false]] as const) {
      const Z = Float32Array.from({ length: n * d }, () => (round ? Math.round(rng.normal() * 2) : rng.normal()));
      // Some exact duplicates.
      for (let i = 0; i < 20; i++) Z.copyWithin(i * 3 * d, (i * 3 + 1) * d, (i * 3 + 2) * d);
      const got = new KdTree(Z, n, d).allKnn(k);
      expect(got.k).toBe(k);
      for (let i = 0; i < n; i++) {
        const want = Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== i)
          .map((j) => {
            let s = 0;
            for (let t = 0; t < d; t++) {
              const u = Z[i * d + t] - Z[j * d + t];
              s += u * u;
            }
            return [s, j];
          })
          .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          .slice(0, k);
        expect(Array.from(got.indices.subarray(i * k, (i + 1) * k))).toEqual(want.map((e) => e[1]));
        expect(Array.from(got.distances.subarray(i * k, (i + 1) * k))).toEqual(want.map((e) => e[0]));
      }
    }
  });
});
