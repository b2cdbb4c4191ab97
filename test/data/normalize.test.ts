import { describe, expect, it } from 'vitest';
import { applyNormalization, fitNormalization, invertNormalization, isInvertible, spectrumFactors, trapezoidArea } from '../../src/data/normalize.js';

/**
 * Each normalization kind to the exact numbers of its definition, on small
 * spectra computed by hand, and each refusal (wrong shape, grid, area,
 * factors) with its message.
 */
const E = [0, 1, 3, 6]; // uneven grid: trapezoid widths 1, 2, 3
const X = Float32Array.from([1, 3, 2, 0, /* row 1 */ 2, 2, 2, 2, /* row 2 */ -1, 4, 0, 5]);
const close = (a: ArrayLike<number>, b: number[], digits = 6) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i], `entry ${i}`).toBeCloseTo(v, digits));
};

describe('trapezoidArea', () => {
  it('sums 0.5 (y_c + y_c-1)(x_c - x_c-1) over an uneven grid, from an offset', () => {
    expect(trapezoidArea([1, 3, 2, 0], E)).toBeCloseTo(0.5 * 4 * 1 + 0.5 * 5 * 2 + 0.5 * 2 * 3, 12);
    expect(trapezoidArea(X, E, 8)).toBeCloseTo(0.5 * 3 * 1 + 0.5 * 4 * 2 + 0.5 * 5 * 3, 12);
  });
});

describe('fit and apply', () => {
  it('minmax: each spectrum minus its minimum over its range; a constant spectrum becomes zeros', () => {
    const p = fitNormalization('minmax', X, 3, 4, E);
    expect(p).toEqual({ kind: 'minmax' });
    close(applyNormalization(p, X, 3, 4), [1 / 3, 1, 2 / 3, 0, 0, 0, 0, 0, 0, 5 / 6, 1 / 6, 1]);
    const f = spectrumFactors(p, X, 3, 4);
    close(f.offset, [0, 2, -1]);
    close(f.scale, [3, 1, 6]);
  });

  it('area: each spectrum over its trapezoid area on the stored grid; an all-zero spectrum stays zero', () => {
    const Z = Float32Array.from([1, 3, 2, 0, 0, 0, 0, 0]);
    const p = fitNormalization('area', Z, 2, 4, E);
    expect(p).toEqual({ kind: 'area', energies: E });
    close(applyNormalization(p, Z, 2, 4), [1 / 10, 3 / 10, 2 / 10, 0, 0, 0, 0, 0]);
    close(spectrumFactors(p, Z, 2, 4).scale, [10, 1]);
    expect(() => applyNormalization(p, Float32Array.from([0, -1, 0, 0]), 1, 4)).toThrow(/spectrum 0: area normalization needs a positive area, found -1\.5/);
    expect(() => applyNormalization(p, Float32Array.from([1, 2, 3]), 1, 3)).toThrow('area normalization was fitted on 4 grid points; these spectra have 3');
    expect(() => fitNormalization('area', Z, 2, 4, [0, 1, 2])).toThrow('fitNormalization: 3 energies for 4 points');
  });

  it('standardize: per-channel mean and population std of the chosen rows only; a constant channel keeps std 1', () => {
    const p = fitNormalization('standardize', X, 3, 4, E, [0, 2]);
    if (p.kind !== 'standardize') throw new Error('kind');
    close(p.mean, [0, 3.5, 1, 2.5]);
    close(p.std, [1, 0.5, 1, 2.5]);
    close(applyNormalization(p, X, 3, 4), [1, -1, 1, -1, 2, -3, 1, -0.2, -1, 1, -1, 1]);
    // All rows by default; channel values 2 +- float32 round-off count as constant (std 1).
    const C = Float32Array.from([2, 1, 2, 5]);
    const q = fitNormalization('standardize', C, 2, 2, [0, 1]);
    if (q.kind !== 'standardize') throw new Error('kind');
    close(q.mean, [2, 3]);
    close(q.std, [1, 2]);
    const tiny = Float32Array.from([1e-3, 0, 1e-3 + 1e-8, 0]);
    const t = fitNormalization('standardize', tiny, 2, 2, [0, 1]);
    if (t.kind !== 'standardize') throw new Error('kind');
    // A small but real spread (relative 5e-6) is kept, not taken for round-off.
    expect(t.std[0]).toBeGreaterThan(4e-9);
    expect(t.std[0]).toBeLessThan(6e-9);
    expect(() => fitNormalization('standardize', X, 3, 4, E, [])).toThrow('cannot fit standardize normalization on zero training rows');
    expect(() => applyNormalization(p, Float32Array.from([1, 2]), 1, 2)).toThrow('standardize normalization was fitted on 4 grid points; these spectra have 2');
  });

  it('none copies; a wrong shape or an unknown kind is refused', () => {
    const p = fitNormalization('none', X, 3, 4, E);
    const out = applyNormalization(p, X, 3, 4);
    expect(out).not.toBe(X);
    expect(Array.from(out)).toEqual(Array.from(X));
    expect(() => fitNormalization('none', X, 2, 4, E)).toThrow('normalization: spectra has 12 values, expected n*m = 8');
    expect(() => applyNormalization(p, X, 4, 4)).toThrow('expected n*m = 16');
    expect(() => fitNormalization('unit' as 'none', X, 3, 4, E)).toThrow('unknown normalization "unit" (expected none, minmax, area or standardize)');
    expect(() => applyNormalization({ kind: 'unit' } as unknown as typeof p, X, 3, 4)).toThrow('unknown normalization "unit"');
  });
});

describe('invertNormalization', () => {
  it('none and standardize invert from the stored parameters; minmax and area need the per-spectrum factors', () => {
    const none = fitNormalization('none', X, 3, 4, E);
    const back = invertNormalization(none, X, 3, 4);
    expect(back).not.toBe(X);
    expect(Array.from(back)).toEqual(Array.from(X));
    const st = fitNormalization('standardize', X, 3, 4, E, [0, 2]);
    close(invertNormalization(st, applyNormalization(st, X, 3, 4), 3, 4), Array.from(X), 5);
    const mm = fitNormalization('minmax', X, 3, 4, E);
    expect(() => invertNormalization(mm, X, 3, 4)).toThrow(/minmax normalization rescales each spectrum by its own factor/);
    const f = spectrumFactors(mm, X, 3, 4);
    close(invertNormalization(mm, applyNormalization(mm, X, 3, 4), 3, 4, f), Array.from(X), 5);
    expect(() => invertNormalization(mm, X, 3, 4, { offset: f.offset, scale: f.scale.subarray(0, 2) })).toThrow('invertNormalization: factors do not match n');
    expect(() => invertNormalization(mm, X, 3, 4, { offset: f.offset.subarray(0, 2), scale: f.scale })).toThrow('invertNormalization: factors do not match n');
  });

  it('isInvertible: none and standardize only', () => {
    expect(isInvertible({ kind: 'none' })).toBe(true);
    expect(isInvertible({ kind: 'standardize', mean: [0], std: [1] })).toBe(true);
    expect(isInvertible({ kind: 'minmax' })).toBe(false);
    expect(isInvertible({ kind: 'area', energies: [0, 1] })).toBe(false);
  });
});
