import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { fitAxisCalibration, isotonicBlocks, predictCalibration } from '../../src/export/calibration.js';

describe('isotonic regression (pool adjacent violators)', () => {
  it('pools violators into their mean', () => {
    const b = isotonicBlocks([1, 2, 3, 4, 5], [1, 3, 2, 4, 3.5]);
    expect(Array.from(b.y)).toEqual([1, 2.5, 3.75]);
    expect(Array.from(b.x)).toEqual([1, 2.5, 4.5]);
  });

  it('equals the closed-form least-squares monotone fit f_i = max_{j<=i} min_{k>=i} mean(y_j..y_k)', () => {
    const rng = new Rng(11);
    const n = 40;
    const y = Array.from({ length: n }, (_, i) => i / 10 + rng.normal());
    const x = Array.from({ length: n }, (_, i) => i);
    const b = isotonicBlocks(x, y);
    const direct = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let j = 0; j <= i; j++) {
        let worst = Infinity;
        for (let k = i; k < n; k++) {
          let s = 0;
          for (let t = j; t <= k; t++) s += y[t];
          worst = Math.min(worst, s / (k - j + 1));
        }
        best = Math.max(best, worst);
      }
      direct[i] = best;
    }
    // Runs of equal closed-form values are the PAV blocks: same values, same centres.
    const vals: number[] = [];
    const centres: number[] = [];
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && Math.abs(direct[j + 1] - direct[i]) < 1e-9) j++;
      vals.push(direct[i]);
      centres.push((i + j) / 2);
      i = j + 1;
    }
    expect(b.y.length).toBe(vals.length);
    vals.forEach((v, k) => expect(b.y[k]).toBeCloseTo(v, 9));
    centres.forEach((c, k) => expect(b.x[k]).toBeCloseTo(c, 9));
  });

  it('pools tied x values and skips NaN rows', () => {
    const b = isotonicBlocks([1, 1, 2, NaN, 3], [5, 1, 4, 100, 6]);
    expect(Array.from(b.x)).toEqual([1, 2, 3]);
    expect(Array.from(b.y)).toEqual([3, 4, 6]);
  });
});

describe('axis calibration', () => {
  it('recovers a monotone decreasing descriptor from a noisy axis, with flat extrapolation', () => {
    const rng = new Rng(3);
    const n = 2000;
    const z = new Float64Array(n);
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      z[i] = rng.normal();
      d[i] = 2 - Math.tanh(z[i]) + 0.05 * rng.normal(); // decreasing in z
    }
    const cal = fitAxisCalibration(z, d, { descriptor: 'BL', axis: 2 });
    expect(cal.direction).toBe(-1);
    expect(cal.spearman).toBeLessThan(-0.9);
    for (let i = 1; i < cal.y.length; i++) expect(cal.y[i]).toBeLessThanOrEqual(cal.y[i - 1]);
    const probe = [-1, -0.5, 0, 0.5, 1];
    const p = predictCalibration(cal, probe);
    probe.forEach((v, i) => expect(Math.abs(p[i] - (2 - Math.tanh(v)))).toBeLessThan(0.05));
    const far = predictCalibration(cal, [-50, 50, NaN]);
    expect(far[0]).toBe(cal.y[0]);
    expect(far[1]).toBe(cal.y[cal.y.length - 1]);
    expect(far[2]).toBeNaN();
  });

  it('thins to maxKnots while staying monotone, and snaps discrete descriptors to training levels', () => {
    const rng = new Rng(4);
    const n = 3000;
    const z = Float64Array.from({ length: n }, () => rng.normal());
    const cn = Float64Array.from(z, (v) => (v < -0.5 ? 4 : v < 0.7 ? 5 : 6));
    const cal = fitAxisCalibration(z, cn, { descriptor: 'CN', axis: 0, discrete: true, maxKnots: 50 });
    expect(cal.x.length).toBeLessThanOrEqual(50);
    expect(cal.levels).toEqual([4, 5, 6]);
    const p = predictCalibration(cal, [-2, 0, 2, -0.6, 0.8]);
    expect(Array.from(p)).toEqual([4, 5, 6, 4, 6]);
  });

  it('needs two labelled rows', () => {
    expect(() => fitAxisCalibration([1, 2, 3], [NaN, 1, NaN], { descriptor: 'CN', axis: 0 })).toThrow(/at least 2 labelled rows/);
  });
});
