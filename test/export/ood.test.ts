import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { buildHeldOutOod, buildOodReference, fitLatentGaussian, isOutOfDistribution, latentDistances, oodPercentile, reconstructionMse, scoreOod } from '../../src/export/ood.js';
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

describe('held-out OOD reference: reconstruction error and latent distance', () => {
  /** Correlated Gaussian latents z = A u, u ~ N(0, I). */
  const A = [1.5, 0, 0, 0.8, 0.6, 0, -0.3, 0.2, 0.4];
  function latents(rng: Rng, n: number, scale = 1): Float32Array {
    const z = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const u = [rng.normal(), rng.normal(), rng.normal()];
      for (let a = 0; a < 3; a++) z[i * 3 + a] = scale * (A[a * 3] * u[0] + A[a * 3 + 1] * u[1] + A[a * 3 + 2] * u[2]) + 2;
    }
    return z;
  }

  it('the latent distance is the Mahalanobis distance under the training covariance', () => {
    const rng = new Rng(4);
    const g = fitLatentGaussian(latents(rng, 20000), 20000, 3);
    // Covariance A A^T: the distance of mean + A e_j is 1 for every unit vector e_j, and of mean + A (1,1,1)/sqrt(3) too.
    const probe = new Float32Array(4 * 3);
    for (let j = 0; j < 3; j++) for (let a = 0; a < 3; a++) probe[j * 3 + a] = 2 + A[a * 3 + j];
    for (let a = 0; a < 3; a++) probe[9 + a] = 2 + (A[a * 3] + A[a * 3 + 1] + A[a * 3 + 2]) / Math.sqrt(3);
    for (const dist of latentDistances(g, probe, 4, 3)) expect(dist).toBeCloseTo(1, 1);
    expect(g.mean.map((v) => Math.round(v * 10) / 10)).toEqual([2, 2, 2]);
  });

  it('flags about 1% of spectra like the reference rows, and everything far off in either measure', () => {
    const rng = new Rng(6);
    const train = latents(rng, 3000);
    const held = latents(rng, 1000);
    const heldMse = Float64Array.from({ length: 1000 }, () => Math.exp(0.3 * rng.normal()) * 1e-3);
    const ref = buildHeldOutOod({ z: train, n: 3000 }, { z: held, mse: heldMse, n: 1000 }, 3, { rows: 'held-out', augmented: false });
    expect(ref.threshold).toBe(99);
    // New spectra drawn like the reference rows: ~1% flagged, percentiles ~uniform.
    const n = 4000;
    const z = latents(rng, n);
    const mse = Float64Array.from({ length: n }, () => Math.exp(0.3 * rng.normal()) * 1e-3);
    const s = scoreOod(ref, mse, z, n, 3);
    const flagged = s.flag.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThan(10);
    expect(flagged).toBeLessThan(90);
    const median = Float64Array.from(s.percentile).sort()[n >> 1];
    expect(Math.abs(median - 50)).toBeLessThan(6);
    // Far in latent space but reconstructed well; or typical latent but a large reconstruction error: both flagged.
    const far = latents(rng, 20, 6);
    const farScores = scoreOod(ref, Float64Array.from({ length: 20 }, () => 1e-3), far, 20, 3);
    expect(farScores.flag.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(18);
    expect(Math.min(...farScores.reconstructionPercentile)).toBeLessThan(80);
    const bad = scoreOod(ref, Float64Array.from({ length: 20 }, () => 0.05), latents(rng, 20), 20, 3);
    expect(Array.from(bad.flag)).toEqual(new Array(20).fill(1));
    expect(Math.min(...bad.percentile)).toBe(100);
    expect(scoreOod(ref, Float64Array.of(NaN), Float32Array.of(2, 2, 2), 1, 3).flag[0]).toBe(1);
  });

  it('a reconstruction-only reference (older models) scores as before', () => {
    const ref = buildOodReference([1, 2, 3, 4, 5]);
    const s = scoreOod(ref, Float64Array.of(3, 10), new Float32Array(2), 2, 1);
    expect(Array.from(s.percentile)).toEqual([50, 100]);
    expect(Array.from(s.flag)).toEqual([0, 1]);
    expect(s.latentPercentile.every(Number.isNaN)).toBe(true);
  });
});
