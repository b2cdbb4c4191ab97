import { describe, expect, it } from 'vitest';
import { UMAP } from 'umap-js';
import { fuzzySimplicialSet } from '../../src/reducers/umap-graph.js';
import { VpTree } from '../../src/reducers/vptree.js';
import { Rng } from '../../src/util/random.js';

describe('typed-array fuzzy simplicial set', () => {
  const rng = new Rng(12);
  const n = 200, p = 5, k = 10;
  const X = Float32Array.from({ length: n * p }, (_, t) => rng.normal() + (Math.floor(t / p) % 2) * 5);
  const nn = new VpTree(X, n, p).allKnn(k - 1);

  it('equals umap-js fuzzySimplicialSet on the same neighbours', () => {
    const u = new UMAP({ nNeighbors: k });
    const ind: number[][] = [];
    const dis: number[][] = [];
    for (let i = 0; i < n; i++) {
      ind.push([i, ...nn.indices.subarray(i * (k - 1), (i + 1) * (k - 1))]);
      dis.push([0, ...nn.distances.subarray(i * (k - 1), (i + 1) * (k - 1))]);
    }
    u.setPrecomputedKNN(ind, dis);
    const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * p, (i + 1) * p)));
    const ref = (u as unknown as { fuzzySimplicialSet(x: number[][], k: number): { getAll(): { row: number; col: number; value: number }[] } })
      .fuzzySimplicialSet(rows, k)
      .getAll()
      .filter((e) => e.value > 0);
    const g = fuzzySimplicialSet(nn.indices, nn.distances, n, k - 1, k);
    expect(g.head.length).toBe(ref.length);
    const ours = new Map<string, number>();
    for (let e = 0; e < g.head.length; e++) ours.set(`${g.head[e]}:${g.tail[e]}`, g.weight[e]);
    for (const e of ref) expect(ours.get(`${e.row}:${e.col}`)).toBeCloseTo(e.value, 12);
    // Rows ascending, columns ascending within a row.
    for (let e = 1; e < g.head.length; e++) {
      expect(g.head[e] > g.head[e - 1] || (g.head[e] === g.head[e - 1] && g.tail[e] > g.tail[e - 1])).toBe(true);
    }
  });
});
