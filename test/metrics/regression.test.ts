import { describe, expect, it } from 'vitest';
import { linearFit, quadraticFit } from '../../src/metrics/regression.js';
import { Rng } from '../../src/util/random.js';

describe('polynomial fits', () => {
  it('recovers an exact line and parabola far from the origin', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => 8000 + i * 0.5);
    const yl = x.map((v) => 3 - 0.25 * v);
    const fl = linearFit(x, yl);
    expect(fl.r2).toBeCloseTo(1, 10);
    expect(fl.coefficients[0]).toBeCloseTo(3, 5);
    expect(fl.coefficients[1]).toBeCloseTo(-0.25, 9);
    const t = Float64Array.from({ length: 40 }, (_, i) => -2 + i * 0.1);
    const yq = t.map((v) => 1 + 2 * v - 0.5 * v * v);
    const fq = quadraticFit(t, yq);
    expect(fq.r2).toBeCloseTo(1, 10);
    fq.coefficients.forEach((c, i) => expect(c).toBeCloseTo([1, 2, -0.5][i], 8));
    // A line cannot explain a symmetric parabola.
    const sym = t.map((v) => v * v);
    expect(linearFit(t, sym).r2).toBeLessThan(0.1);
    expect(quadraticFit(t, sym).r2).toBeCloseTo(1, 10);
  });

  it('R^2 equals the squared Pearson correlation for a noisy line, skipping NaN', () => {
    const rng = new Rng(3);
    const x = Float64Array.from({ length: 200 }, () => rng.normal());
    const y = x.map((v) => 2 * v + rng.normal());
    y[5] = NaN;
    const f = linearFit(x, y);
    expect(f.n).toBe(199);
    let mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0, c = 0;
    for (let i = 0; i < 200; i++) if (i !== 5) { mx += x[i]; my += y[i]; c++; }
    mx /= c; my /= c;
    for (let i = 0; i < 200; i++) if (i !== 5) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; syy += (y[i] - my) ** 2; }
    expect(f.r2).toBeCloseTo((sxy * sxy) / (sxx * syy), 10);
    expect(f.coefficients[1]).toBeCloseTo(sxy / sxx, 10);
    expect(quadraticFit(x, y).r2).toBeGreaterThanOrEqual(f.r2 - 1e-12);
  });

  it('returns NaN for constant x or y', () => {
    expect(linearFit([1, 1, 1], [1, 2, 3]).r2).toBeNaN();
    expect(linearFit([1, 2, 3], [2, 2, 2]).r2).toBeNaN();
  });
});
