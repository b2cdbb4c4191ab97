import { describe, expect, it } from 'vitest';
import { shapiroWilk, shapiroWilkCoefficients, SHAPIRO_MAX_N } from '../../src/metrics/normality.js';
import { normalCdf, normalQuantile } from '../../src/metrics/normal-distribution.js';
import { Rng } from '../../src/util/random.js';

describe('normal distribution helpers', () => {
  it('quantile inverts the CDF and matches textbook values', () => {
    for (const p of [1e-12, 1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-9]) expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
  });
});

describe('Shapiro-Wilk (Royston 1995)', () => {
  it('coefficients agree with Shapiro & Wilk (1965) tables and are normalized', () => {
    // Published exact coefficients for n = 10 and n = 20.
    const t10 = [0.5739, 0.3291, 0.2141, 0.1224, 0.0399];
    const t20 = [0.4734, 0.3211, 0.2565, 0.2085, 0.1686, 0.1334, 0.1013, 0.0711, 0.0422, 0.014];
    shapiroWilkCoefficients(10).forEach((a, i) => expect(Math.abs(a - t10[i])).toBeLessThan(1e-3));
    shapiroWilkCoefficients(20).forEach((a, i) => expect(Math.abs(a - t20[i])).toBeLessThan(1e-3));
    for (const n of [4, 7, 50, 501]) {
      const a = shapiroWilkCoefficients(n);
      expect(2 * a.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 10);
    }
  });

  it('W equals its definition and n = 3 uses the exact distribution', () => {
    const x = [2.1, 0.3, 5.9, 1.4, 3.3, 2.2, 7.7, 0.1, 4.4, 2.8, 9.5, 1.9];
    const s = [...x].sort((a, b) => a - b);
    const a = shapiroWilkCoefficients(x.length);
    let num = 0;
    for (let i = 0; i < a.length; i++) num += a[i] * (s[x.length - 1 - i] - s[i]);
    const mean = x.reduce((p, v) => p + v, 0) / x.length;
    const ss = x.reduce((p, v) => p + (v - mean) ** 2, 0);
    expect(shapiroWilk(x).w).toBeCloseTo((num * num) / ss, 12);
    const r3 = shapiroWilk([0, 1, 3]);
    const w3 = (0.5 * 9) / (42 / 9);
    expect(r3.w).toBeCloseTo(w3, 12);
    expect(r3.p).toBeCloseTo((6 / Math.PI) * (Math.asin(Math.sqrt(w3)) - Math.PI / 3), 12);
  });

  it('p-values are calibrated on normal samples and small on skewed ones', () => {
    const rng = new Rng(11);
    for (const n of [8, 40, 300]) {
      let rejections = 0;
      const trials = 300;
      for (let t = 0; t < trials; t++) {
        const x = Float64Array.from({ length: n }, () => rng.normal());
        if (shapiroWilk(x).p < 0.05) rejections++;
      }
      expect(rejections / trials).toBeGreaterThan(0.015);
      expect(rejections / trials).toBeLessThan(0.1);
    }
    const expo = Float64Array.from({ length: 200 }, () => -Math.log(1 - rng.uniform()));
    expect(shapiroWilk(expo).p).toBeLessThan(1e-6);
  });

  it('subsamples deterministically above the validated size', () => {
    const rng = new Rng(2);
    const x = Float64Array.from({ length: SHAPIRO_MAX_N + 1000 }, () => rng.normal());
    const a = shapiroWilk(x, 5);
    expect(a.subsampled).toBe(true);
    expect(a.n).toBe(SHAPIRO_MAX_N);
    expect(shapiroWilk(x, 5).w).toBe(a.w);
  });
});
