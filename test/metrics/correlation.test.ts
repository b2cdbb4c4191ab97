import { describe, expect, it } from 'vitest';
import { pearson, rankData, spearman } from '../../src/metrics/correlation.js';
import { Rng } from '../../src/util/random.js';

describe('spearman', () => {
  it('is Pearson of average ranks, with ties', () => {
    expect(Array.from(rankData([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
    const x = [1, 2, 3, 4, 5];
    expect(spearman(x, [10, 20, 30, 40, 1000])).toBeCloseTo(1, 12);
    expect(spearman(x, [5, 4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman(x, [1, 1, 2, 2, 3])).toBeCloseTo(pearson(rankData(x), rankData([1, 1, 2, 2, 3])), 12);
  });

  it('ranks are 1 + (values below) + (other equal values) / 2, with many ties, -0 and +0 equal, and around infinities', () => {
    const rng = new Rng(8);
    const brute = (x: number[]) => x.map((v) => 1 + x.filter((u) => u < v).length + (x.filter((u) => u === v).length - 1) / 2);
    for (const levels of [2, 7, 50, 5000]) {
      const x = Array.from({ length: 257 }, () => (rng.int(levels) - (levels >> 1)) / 4);
      x[3] = -0;
      x[4] = 0;
      expect(Array.from(rankData(x))).toEqual(brute(x));
      expect(Array.from(rankData(Float32Array.from(x)))).toEqual(brute(x));
    }
    expect(Array.from(rankData([2, -Infinity, Infinity, 2, -1]))).toEqual([3.5, 1, 5, 3.5, 2]);
    // NaN is ranked NaN and the rest among themselves, so a correlation over it is NaN rather than an arbitrary number.
    expect(Array.from(rankData([NaN, 3, Infinity, NaN, 1, 3]))).toEqual([NaN, 2.5, 4, NaN, 1, 2.5]);
    expect(Array.from(rankData([NaN, NaN]))).toEqual([NaN, NaN]);
    expect(pearson(rankData([1, NaN, 3]), rankData([1, 2, 3]))).toBeNaN();
  });

  it('skips pairs with a missing (non-finite) value instead of ranking them', () => {
    const rng = new Rng(3);
    const n = 300;
    const z = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from(z, (v) => 2 * v + 0.1 * rng.normal());
    const complete = spearman(z, y);
    expect(complete).toBeGreaterThan(0.95);
    // 30% of the labels missing: rho over the labelled rows equals rho of those rows alone.
    const yMissing = Float64Array.from(y, (v, i) => (i % 10 < 3 ? NaN : v));
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 >= 3);
    const rho = spearman(z, yMissing);
    expect(rho).toBe(spearman(keep.map((i) => z[i]), keep.map((i) => y[i])));
    expect(rho).toBeGreaterThan(0.95);
    expect(spearman([1, NaN, 3], [Infinity, 2, 1])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow(/lengths differ/);
  });
});
