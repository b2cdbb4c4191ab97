import { describe, expect, it } from 'vitest';
import { findE0, gaussianSmooth } from '../../src/data/xas/e0.js';
import { evalPreEdge, fitPreEdge } from '../../src/data/xas/pre-edge.js';
import { fitPostEdge } from '../../src/data/xas/post-edge.js';
import { polyval } from '../../src/data/xas/polyfit.js';
import { userErrorOf } from '../data/helpers.js';

const grid = (n: number) => Float64Array.from({ length: n }, (_, i) => i);

describe('pre-edge and post-edge fits', () => {
  it('recover an exact line (also in mu E^nvict), a constant, and a quadratic over their ranges only', () => {
    const e = grid(11);
    const line = Float64Array.from(e, (v) => (v <= 5 ? 2 + 0.5 * v : 100));
    // E0 = 10, range [0, 5]: the 100s above it are outside the fit.
    const fit = fitPreEdge(e, line, 10, -10, -5);
    expect(Array.from(evalPreEdge(fit, [0, 4, 10])).map((v) => +v.toFixed(9))).toEqual([2, 4, 7]);
    const e1 = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    const victoreen = Float64Array.from(e1, (v) => (2 + 0.5 * v) / v);
    const vf = fitPreEdge(e1, victoreen, 10, -9, -4, 1);
    expect(vf.nvict).toBe(1);
    expect(evalPreEdge(vf, [2, 8]).map((v) => +v.toFixed(9))).toEqual(Float64Array.from([1.5, 0.75]));
    // npre = 0: the mean of mu = E over [0, 2] is 1.
    expect(+evalPreEdge(fitPreEdge(e, e, 10, -10, -8, 0, 'w', 0), [7])[0].toFixed(9)).toBe(1);
    const quad = Float64Array.from(e, (v) => (v >= 5 ? 1 + v + 0.25 * v * v : -50));
    expect(polyval(fitPostEdge(e, quad, 0, 5, 10, 2), 3)).toBeCloseTo(6.25, 9);
  });

  it('name a range holding too few points, with its bounds as offsets from E0', async () => {
    const e = grid(11);
    expect(await userErrorOf(() => fitPreEdge(e, e, 10, -10, -10, 0, 'w', 1))).toBe('w: pre-edge range [E0-10, E0-10] eV holds 1 points; needs 2');
    expect(await userErrorOf(() => fitPreEdge(e, e, 5, 2, 1, 0, 'w', 0))).toBe('w: pre-edge range [E0+2, E0+1] eV holds 0 points; needs 1');
    expect(await userErrorOf(() => fitPostEdge(e, e, 5, 1, 2, 2, 'w'))).toBe('w: post-edge range [E0+1, E0+2] eV holds 2 points; a degree-2 fit needs 3');
    expect(await userErrorOf(() => fitPostEdge(e, e, 5, 3, 1, 0, 'w'))).toBe('w: post-edge range [E0+3, E0+1] eV holds 0 points; a degree-0 fit needs 1');
    for (const nnorm of [-1, 4, 1.5]) expect(await userErrorOf(() => fitPostEdge(e, e, 5, 0, 5, nnorm, 'w'))).toBe(`w: nnorm must be 0, 1, 2 or 3, got ${nnorm}`);
    expect(polyval(fitPostEdge(e, e, 5, 0, 5, 3, 'w'), 8)).toBeCloseTo(8, 9);
  });
});

describe('findE0', () => {
  it('takes the derivative maximum, refined by the parabola through its neighbours', () => {
    const e = grid(9);
    // Unsmoothed central differences 0.5, 1.5, 1 at 3, 4, 5: vertex 4 + 1/6.
    const r = findE0(e, Float64Array.from([0, 0, 0, 0, 1, 3, 3, 3, 3]), { smoothSigma: 0 });
    expect(r.index).toBe(4);
    expect(r.e0).toBeCloseTo(25 / 6, 12);
    expect(Array.from(r.derivative)).toEqual([0, 0, 0, 0.5, 1.5, 1, 0, 0, 0]);
    expect(findE0(e, Float64Array.from([0, 0, 0, 0, 1, 2, 2, 2, 2]), { smoothSigma: 0 }).e0).toBe(4);
    // The window keeps the search off the larger edge at 4.
    const two = Float64Array.from([0, 0, 0, 0, 2, 4, 4, 4.2, 4.8, 5.2, 5.2, 5.2, 5.2]);
    expect(findE0(grid(13), two, { smoothSigma: 0 }).index).toBe(4);
    expect(findE0(grid(13), two, { smoothSigma: 0, emin: 6, emax: 10 }).index).toBe(8);
  });

  it('uses energy, not index: a grid of 2 eV steps doubles E0; window bounds are inclusive', () => {
    const e2 = Float64Array.from({ length: 9 }, (_, i) => 2 * i);
    // Central differences 0.25, 0.75, 0.5 at 6, 8, 10: the parabola's vertex is at 25/3.
    expect(findE0(e2, Float64Array.from([0, 0, 0, 0, 1, 3, 3, 3, 3]), { smoothSigma: 0 }).e0).toBeCloseTo(25 / 3, 12);
    const two = Float64Array.from([0, 0, 0, 0, 2, 4, 4, 4.2, 4.8, 5.2, 5.2, 5.2, 5.2]);
    expect(findE0(grid(13), two, { smoothSigma: 0, emin: 8, emax: 8 }).index).toBe(8);
  });

  it('smooths by 1.5 x the median step by default; with no edge candidate it takes the largest derivative', () => {
    // Steps 4, 1, 3, 1, 2, 4, 2, 3: median (2 + 3) / 2 = 2.5, so sigma = 3.75 eV.
    const e = Float64Array.from([0, 4, 5, 8, 9, 11, 15, 17, 20]);
    const mu = Float64Array.from(e, (v) => Math.atan(v - 10));
    const raw = Float64Array.from(e, (_, i) => {
      const a = Math.max(0, i - 1);
      const b = Math.min(e.length - 1, i + 1);
      return (mu[b] - mu[a]) / (e[b] - e[a]);
    });
    expect(Array.from(findE0(e, mu).derivative)).toEqual(Array.from(gaussianSmooth(e, raw, 3.75)));
    // A falling line: every derivative is -1, no point is an edge candidate; the first maximum wins.
    const falling = findE0(grid(9), Float64Array.from(grid(9), (v) => -v), { smoothSigma: 0 });
    expect([falling.index, falling.e0]).toEqual([2, 2]);
    // A lone glitch in mu: derivatives 2.5, 0, -2.5 at 3, 4, 5. The falling side has both neighbours above
    // 30% of its negative value, yet a negative derivative is no edge: the largest derivative wins.
    const glitch = Float64Array.from({ length: 12 }, (_, i) => (i === 4 ? 5 : 0));
    expect(findE0(grid(12), glitch, { smoothSigma: 0 }).index).toBe(3);
  });

  it('refuses too short a scan and an empty window', async () => {
    expect(await userErrorOf(() => findE0(grid(4), grid(4), {}, 'w'))).toBe('w: needs at least 5 points to locate E0, found 4');
    expect(findE0(grid(5), Float64Array.from([0, 0, 1, 2, 2]), { smoothSigma: 0 }).index).toBe(2);
    expect(await userErrorOf(() => findE0(grid(4), grid(4)))).toBe('find E0: needs at least 5 points to locate E0, found 4');
    expect(await userErrorOf(() => findE0(grid(9), grid(9), { emin: 4.5, emax: 4.7 }, 'w'))).toBe('w: no grid point inside the E0 search window [4.5, 4.7] eV');
  });

  it('smooths in energy with a Gaussian cut at 4 sigma', () => {
    const x = Float64Array.from([0, 1, 2]);
    const y = Float64Array.from([0, 3, 0]);
    const g = Math.exp(-0.5);
    const s = gaussianSmooth(x, y, 1);
    expect(s[1]).toBeCloseTo(3 / (1 + 2 * g), 12);
    expect(s[0]).toBeCloseTo((3 * g) / (1 + g + Math.exp(-2)), 12);
    expect(Array.from(gaussianSmooth(x, y, 0.2))).toEqual([0, 3, 0]);
  });
});
