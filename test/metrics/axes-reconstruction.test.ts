import { describe, expect, it } from 'vitest';
import { bestAlignedAxes, maxAxisCorrelation } from '../../src/metrics/axes.js';
import { reconstructionErrors } from '../../src/metrics/reconstruction.js';
import { Rng } from '../../src/util/random.js';

describe('axis metrics', () => {
  it('finds the axis carrying each descriptor, with its sign, skipping NaN labels', () => {
    const rng = new Rng(4);
    const n = 300;
    const d = 3;
    const Z = new Float64Array(n * d);
    const desc = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) Z[i * d + j] = rng.normal();
      desc[i * 2] = Math.exp(Z[i * d + 2]); // monotone in axis 2
      desc[i * 2 + 1] = -(Z[i * d] ** 3) + 0.01 * rng.normal(); // decreasing in axis 0
    }
    desc[7 * 2] = NaN;
    const al = bestAlignedAxes(Z, n, d, desc, ['CN', 'BL']);
    expect(al[0].axis).toBe(2);
    expect(al[0].spearman).toBeCloseTo(1, 12);
    expect(al[0].n).toBe(n - 1);
    expect(al[1].axis).toBe(0);
    expect(al[1].spearman).toBeLessThan(-0.99);
    const mc = maxAxisCorrelation(Z, n, d);
    expect(mc.maxAbs).toBeLessThan(0.2);
    for (let i = 0; i < n; i++) Z[i * d + 1] = 2 * Z[i * d];
    const mc2 = maxAxisCorrelation(Z, n, d);
    expect(mc2.maxAbs).toBeCloseTo(1, 12);
    expect(mc2.pair).toEqual([0, 1]);
  });

  it('reconstruction MSE and MAE overall and per spectrum', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([1, 2, 5, 4, 4, 6]);
    const r = reconstructionErrors(a, b, 2, 3);
    expect(r.mse).toBeCloseTo(5 / 6, 12);
    expect(r.mae).toBeCloseTo(3 / 6, 12);
    expect(Array.from(r.msePerSpectrum)).toEqual([4 / 3, 1 / 3]);
    expect(Array.from(r.maePerSpectrum)).toEqual([2 / 3, 1 / 3]);
  });
});
