import { describe, expect, it } from 'vitest';
import { INTER_AXIS_TOLERANCE, RECONSTRUCTION_WEIGHT, totalVariance, validationMetrics } from '../../src/train/score.js';
import { Rng } from '../../src/util/random.js';

/** n x 2 latents whose axes are the descriptors (optionally mixed) and n x 2 descriptors. */
function data(n: number, mix: number, missing = false) {
  const rng = new Rng(1);
  const latent = new Float32Array(n * 2);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform();
    const b = rng.uniform();
    y[i * 2] = missing && i % 3 === 0 ? NaN : a;
    y[i * 2 + 1] = b;
    latent[i * 2] = a;
    latent[i * 2 + 1] = b + mix * a;
  }
  return { latent, y };
}

describe('validation score', () => {
  it('is the mean Spearman for independent, perfectly ordered axes', () => {
    const { latent, y } = data(200, 0);
    const m = validationMetrics(latent, 2, y, 2, 0, 1);
    expect(m.spearman[0]).toBeCloseTo(1, 10);
    expect(m.maxInterAxis).toBeLessThan(INTER_AXIS_TOLERANCE);
    expect(m.score).toBeCloseTo(1, 10);
  });

  it('penalises correlated axes above the tolerance and reconstruction error', () => {
    const { latent, y } = data(200, 5);
    const m = validationMetrics(latent, 2, y, 2, 0.5, 1);
    expect(m.maxInterAxis).toBeGreaterThan(INTER_AXIS_TOLERANCE);
    const meanRho = (m.spearman[0] + m.spearman[1]) / 2;
    expect(m.score).toBeCloseTo(meanRho - (m.maxInterAxis - INTER_AXIS_TOLERANCE) - RECONSTRUCTION_WEIGHT * 0.5, 10);
    // A reversed axis lowers the score.
    const flipped = latent.map((v, i) => (i % 2 === 0 ? -v : v));
    expect(validationMetrics(flipped, 2, y, 2, 0.5, 1).score).toBeLessThan(m.score - 0.9);
  });

  it('skips rows with a missing descriptor for that descriptor only', () => {
    const { latent, y } = data(90, 0, true);
    const m = validationMetrics(latent, 2, y, 2, 0, 1);
    expect(m.spearman[0]).toBeCloseTo(1, 10);
    expect(m.spearman[1]).toBeCloseTo(1, 10);
  });

  it('leaves a descriptor whose validation labels cannot be ranked out of the mean, but a collapsed axis scores 0', () => {
    const { latent, y } = data(7, 0);
    const constant = y.map((v, i) => (i % 2 === 1 ? 0.5 : v)); // descriptor 1 is 0.5 on every row of this tiny split
    const m = validationMetrics(latent, 2, constant, 2, 0, 1);
    expect(m.spearman[1]).toBeNaN();
    expect(m.score).toBeCloseTo(m.spearman[0] - Math.max(0, m.maxInterAxis - INTER_AXIS_TOLERANCE), 10);
    const collapsed = latent.map((v, i) => (i % 2 === 1 ? 0 : v));
    expect(validationMetrics(collapsed, 2, y, 2, 0, 1).score).toBeCloseTo(0.5, 10);
  });

  it('computes the total variance around per-channel means', () => {
    // Channel 0: 1, 3 (variance 1); channel 1: 5, 5 (variance 0).
    expect(totalVariance(new Float32Array([1, 5, 3, 5]), 2, 2)).toBeCloseTo(0.5, 10);
  });
});

describe('validation score without constrained descriptors (k = 0)', () => {
  it('rewards reconstruction and Gaussian latents, and penalises a collapsed axis', () => {
    const rng = new Rng(3);
    const n = 400;
    const gauss = Float32Array.from({ length: n * 2 }, () => rng.normal());
    const g = validationMetrics(gauss, 2, new Float64Array(0), 0, 0.1, 1);
    expect(g.spearman).toEqual([]);
    expect(g.normality).toBeGreaterThan(0.98);
    expect(g.score).toBeCloseTo(1 - 0.1 - (1 - g.normality) - Math.max(0, g.maxInterAxis - INTER_AXIS_TOLERANCE), 12);
    // Uniform latents are less normal; a constant axis (collapsed latent) counts as W = 0.
    const uniform = Float32Array.from({ length: n * 2 }, () => rng.uniform());
    expect(validationMetrics(uniform, 2, new Float64Array(0), 0, 0.1, 1).score).toBeLessThan(g.score - 0.01);
    const collapsed = gauss.map((v, i) => (i % 2 === 1 ? 0.5 : v));
    expect(validationMetrics(collapsed, 2, new Float64Array(0), 0, 0.1, 1).score).toBeLessThan(g.score - 0.4);
    // Worse reconstruction, lower score.
    expect(validationMetrics(gauss, 2, new Float64Array(0), 0, 0.4, 1).score).toBeCloseTo(g.score - 0.3, 12);
  });
});
