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

  it('thins to maxKnots while staying monotone', () => {
    const rng = new Rng(4);
    const n = 3000;
    const z = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from(z, (v) => Math.tanh(v) + 0.1 * rng.normal());
    const cal = fitAxisCalibration(z, y, { descriptor: 'BL', axis: 0, maxKnots: 50 });
    expect(cal.x.length).toBe(50);
    for (let i = 1; i < 50; i++) {
      expect(cal.x[i]).toBeGreaterThan(cal.x[i - 1]);
      expect(cal.y[i]).toBeGreaterThanOrEqual(cal.y[i - 1]);
    }
  });

  it('interpolates a discrete descriptor between its levels: halfway between the level-2 and level-3 clusters is 2.5', () => {
    const rng = new Rng(4);
    // clusters of unequal width and size: level 2 around -1.5 (wide), level 3 around 1.5 (narrow)
    const z: number[] = [];
    const os: number[] = [];
    for (let i = 0; i < 700; i++) {
      z.push(-1.5 + 0.6 * rng.normal());
      os.push(2);
    }
    for (let i = 0; i < 300; i++) {
      z.push(1.5 + 0.2 * rng.normal());
      os.push(3);
    }
    const cal = fitAxisCalibration(z, os, { descriptor: 'OS', axis: 0, discrete: true });
    expect(cal.levels).toEqual([2, 3]);
    const c2 = predictCalibration(cal, [cal.x[0]])[0];
    const c3 = predictCalibration(cal, [cal.x[1]])[0];
    expect([c2, c3]).toEqual([2, 3]);
    const half = (cal.x[0] + cal.x[1]) / 2;
    expect(Math.abs(half)).toBeLessThan(0.1);
    const p = predictCalibration(cal, [half, cal.x[0] + 0.25 * (cal.x[1] - cal.x[0]), -10, 10]);
    expect(p[0]).toBeCloseTo(2.5, 12);
    expect(p[1]).toBeCloseTo(2.25, 12);
    expect([p[2], p[3]]).toEqual([2, 3]);
    // a falling axis gives the same estimates mirrored
    const neg = fitAxisCalibration(z.map((v) => -v), os, { descriptor: 'OS', axis: 0, discrete: true });
    expect(neg.direction).toBe(-1);
    expect(predictCalibration(neg, [-half])[0]).toBeCloseTo(2.5, 12);
  });

  it('pools discrete levels whose medians are out of order, keeping the map monotone', () => {
    // levels 4, 5, 6 with medians 0, 1.2, 1.0: 5 and 6 swap, so they pool into one knot
    const z = [-0.1, 0, 0.1, 1.1, 1.2, 1.3, 0.9, 1.0, 1.1];
    const cn = [4, 4, 4, 5, 5, 5, 6, 6, 6];
    const cal = fitAxisCalibration(z, cn, { descriptor: 'CN', axis: 0, discrete: true });
    expect(cal.x).toHaveLength(2);
    expect(cal.y[0]).toBe(4);
    expect(cal.y[1]).toBeCloseTo(5.5, 12);
    expect(cal.x[1]).toBeCloseTo(1.1, 12);
  });

  it('needs two labelled rows', () => {
    expect(() => fitAxisCalibration([1, 2, 3], [NaN, 1, NaN], { descriptor: 'CN', axis: 0 })).toThrow(/at least 2 labelled rows/);
  });
});
