import { describe, expect, it } from 'vitest';
import { allKnn } from '../../src/reducers/knn.js';
import { VpTree } from '../../src/reducers/vptree.js';
import { KdTree } from '../../src/reducers/kdtree.js';
import { Rng } from '../../src/util/random.js';
import { nativeMissing, requireOrSkip } from '../require.js';

/**
 * Exact kNN is checked against a brute force written here in Float64 (every
 * distance, full sort), never against another path of the code under test:
 * with and without the addon, and on both of the addon's top-k selections.
 */
function bruteForce(X: Float32Array, n: number, p: number, k: number): { indices: Int32Array; distances: Float64Array } {
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  const d = new Float64Array(n);
  const order = Array.from({ length: n }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < p; t++) s += (X[i * p + t] - X[j * p + t]) ** 2;
      d[j] = j === i ? Infinity : Math.sqrt(s);
    }
    order.sort((a, b) => d[a] - d[b] || a - b);
    for (let a = 0; a < k; a++) {
      indices[i * k + a] = order[a];
      distances[i * k + a] = d[order[a]];
    }
  }
  return { indices, distances };
}

function expectExact(got: { indices: Int32Array; distances: Float64Array }, want: { indices: Int32Array; distances: Float64Array }): void {
  expect(got.indices.length).toBe(want.indices.length);
  let worst = 0;
  let mismatches = 0;
  for (let t = 0; t < want.indices.length; t++) {
    worst = Math.max(worst, Math.abs(got.distances[t] - want.distances[t]));
    if (got.indices[t] !== want.indices[t]) mismatches++;
  }
  // Float64 distances of the same points: equal to rounding; with continuous data no ties can swap neighbours.
  expect(worst).toBeLessThan(1e-9);
  expect(mismatches).toBe(0);
}

const rng = new Rng(4);
// n >= 1000 takes the addon's GEMM path when the addon is there.
const n = 1100, p = 12, k = 15;
const X = Float32Array.from({ length: n * p }, () => 3 * rng.normal());
const truth = bruteForce(X, n, p, k);

describe('exact kNN against a Float64 brute force', () => {
  it('the vantage-point tree (the path without the addon): same neighbours in the same order, same distances', () => {
    expectExact(new VpTree(X, n, p).allKnn(k), truth);
    expectExact(allKnn(X, n, p, k, false), truth);
  });

  it('small inputs, k capped at n - 1, and duplicate points at distance 0', () => {
    const Y = Float32Array.from([0, 0, 3, 4, 0, 0, 6, 8]); // points 0 and 2 coincide
    const r = allKnn(Y, 4, 2, 10);
    expect(r.indices.length).toBe(4 * 3);
    expect(Array.from(r.distances.subarray(0, 3))).toEqual([0, 5, 10]);
    expect(r.indices[0]).toBe(2);
    expect(Array.from(r.indices.subarray(3, 6))).toEqual([0, 2, 3]);
  });

  const haveNative = requireOrSkip('the native addon (GEMM kNN)', nativeMissing());
  it.skipIf(!haveNative)('the addon path (GEMM + C top-k, and GEMM + JavaScript top-k) gives the brute-force result', () => {
    expectExact(allKnn(X, n, p, k), truth);
    expectExact(allKnn(X, n, p, k, true, true), truth);
  });

  it.skipIf(!haveNative)('ties at the k-th distance go to the smaller indices, in the C and the JavaScript top-k alike', () => {
    // Points on the integer lattice {-2..2}^3, ~10 copies of each in shuffled order: the float32 dot products are exact
    // integers, so the approximate distances tie exactly and each query has dozens tied at its k-th distance. The
    // selection is then the k smallest (squared distance, index), the brute force's order, for any k; k = 90 also
    // crosses the C selection's buffer cuts.
    const g = new Rng(9);
    const m = 1250, q = 3, K = 90;
    const L = new Float32Array(m * q);
    for (let i = 0; i < m; i++) for (let t = 0; t < q; t++) L[i * q + t] = g.int(5) - 2;
    const want = bruteForce(L, m, q, K);
    for (const kk of [1, 15, 40, K]) {
      const wi: number[] = [], wd: number[] = [];
      for (let i = 0; i < m; i++)
        for (let a = 0; a < kk; a++) {
          wi.push(want.indices[i * K + a]);
          wd.push(want.distances[i * K + a]);
        }
      for (const jsSelect of [false, true]) {
        const got = allKnn(L, m, q, kk, true, jsSelect);
        expect(Array.from(got.indices), `k = ${kk}, jsSelect = ${jsSelect}`).toEqual(wi);
        expect(Array.from(got.distances), `k = ${kk}, jsSelect = ${jsSelect}`).toEqual(wd);
      }
    }
  });

  it.skipIf(!haveNative)('dot products beyond float32 (infinite approximate distances): both top-k twins agree and fill every slot', () => {
    // |x| ~ 1e20: x.y overflows float32 to +-infinity. The ten points in the negative quadrant have only nine others
    // at a finite or -infinite approximate distance, all the rest at +infinity, which never beats an infinite
    // threshold; the slots left are filled in index order in C, as the JavaScript heap does.
    const g = new Rng(11);
    const m = 1000, q = 2, kk = 30;
    const H = Float32Array.from({ length: m * q }, (_, t) => ((t >> 1) % 100 === 7 ? -1 : 1) * 1e20 * (1 + g.uniform()));
    const c = allKnn(H, m, q, kk, true, false);
    const js = allKnn(H, m, q, kk, true, true);
    expect(Array.from(c.indices)).toEqual(Array.from(js.indices));
    expect(Array.from(c.distances)).toEqual(Array.from(js.distances));
    for (let i = 0; i < m; i++) {
      const row = Array.from(c.indices.subarray(i * kk, (i + 1) * kk));
      expect(new Set(row).size).toBe(kk);
      expect(row.every((j) => j >= 0 && j < m && j !== i)).toBe(true);
    }
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
