import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { buildOodReference, isOutOfDistribution, oodPercentile, reconstructionMse } from '../../src/export/ood.js';
import { quantileSorted } from '../../src/util/quantile.js';

describe('OOD reference from reconstruction error', () => {
  it('per-row MSE', () => {
    const mse = reconstructionMse([1, 2, 3, 4], [1, 0, 3, 5], 2, 2);
    expect(Array.from(mse)).toEqual([2, 0.5]);
  });

  it('maps training quantiles back to their percentiles, with and without thinning', () => {
    const rng = new Rng(1);
    const values = Float64Array.from({ length: 5000 }, () => Math.exp(rng.normal()));
    const sorted = Float64Array.from(values).sort();
    for (const maxSample of [10000, 300]) {
      const ref = buildOodReference(values, maxSample);
      expect(ref.sample.length).toBe(Math.min(5000, maxSample));
      expect(ref.p99).toBeCloseTo(quantileSorted(sorted, 0.99), 12);
      for (const p of [0.1, 0.5, 0.9, 0.99]) expect(Math.abs(oodPercentile(ref, quantileSorted(sorted, p)) - 100 * p)).toBeLessThan(0.5);
      expect(oodPercentile(ref, 0)).toBe(0);
      expect(oodPercentile(ref, 1e9)).toBe(100);
      expect(oodPercentile(ref, NaN)).toBeNaN();
      // Fraction flagged on the training set itself is about 1%.
      const flagged = values.filter((v) => isOutOfDistribution(ref, v)).length;
      expect(flagged).toBeGreaterThanOrEqual(40);
      expect(flagged).toBeLessThanOrEqual(60);
      expect(isOutOfDistribution(ref, NaN)).toBe(true);
    }
  });

  it('refuses non-finite training errors', () => {
    expect(() => buildOodReference([1, NaN, 2])).toThrow(/not finite/);
  });
});
