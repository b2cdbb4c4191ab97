import { describe, expect, it } from 'vitest';
import {
  applyNormalization,
  fitNormalization,
  invertNormalization,
  spectrumFactors,
  trapezoidArea,
  type NormalizationKind,
} from '../../src/data/normalize.js';
import { splitRows } from '../../src/data/split.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { userErrorOf } from './helpers.js';

const ds = synthesizeXanes({ count: 200, points: 64, seed: 21, noise: 0.02 });
const { n, m, energies, spectra } = ds;

describe('normalization', () => {
  it('minmax maps every spectrum onto [0, 1] exactly', () => {
    const p = fitNormalization('minmax', spectra, n, m, energies);
    const out = applyNormalization(p, spectra, n, m);
    for (let i = 0; i < n; i++) {
      const row = out.subarray(i * m, (i + 1) * m);
      expect(Math.min(...row)).toBe(0);
      expect(Math.max(...row)).toBeCloseTo(1, 6);
    }
  });

  it('area gives every spectrum unit trapezoid area', () => {
    const p = fitNormalization('area', spectra, n, m, energies);
    const out = applyNormalization(p, spectra, n, m);
    for (let i = 0; i < n; i++) expect(trapezoidArea(out, energies, i * m)).toBeCloseTo(1, 5);
  });

  it('standardize uses training rows only: zero mean and unit std there, round trip exact', () => {
    const split = splitRows(n, { train: 0.6, validation: 0.2, test: 0.2 }, 4);
    const p = fitNormalization('standardize', spectra, n, m, energies, split.train);
    const out = applyNormalization(p, spectra, n, m);
    for (let c = 0; c < m; c++) {
      let s = 0;
      let s2 = 0;
      for (const i of split.train) {
        s += out[i * m + c];
        s2 += out[i * m + c] ** 2;
      }
      const mean = s / split.train.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(Math.sqrt(s2 / split.train.length - mean * mean)).toBeCloseTo(1, 4);
    }
    // Fitted on a subset, so the full data is not exactly standardized: the fit really used the subset.
    const pAll = fitNormalization('standardize', spectra, n, m, energies);
    if (p.kind !== 'standardize' || pAll.kind !== 'standardize') throw new Error('kind');
    expect(p.mean[10]).not.toBe(pAll.mean[10]);
    const back = invertNormalization(p, out, n, m);
    for (let t = 0; t < back.length; t++) expect(back[t]).toBeCloseTo(spectra[t], 5);
    // Plain JSON survives serialization.
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('constant spectra and channels give no NaN', () => {
    const flat = new Float32Array(3 * 4);
    flat.fill(2, 0, 4); // constant spectrum
    flat.set([1, 5, 3, 0], 4);
    flat.set([1, 6, 3, 0], 8); // channels 0, 2, 3 constant across rows 1-2
    for (const kind of ['none', 'minmax', 'standardize'] as NormalizationKind[]) {
      const out = applyNormalization(fitNormalization(kind, flat, 3, 4, [0, 1, 2, 3]), flat, 3, 4);
      expect(out.every(Number.isFinite)).toBe(true);
    }
    const zero = new Float32Array(4);
    const out = applyNormalization(fitNormalization('area', zero, 1, 4, [0, 1, 2, 3]), zero, 1, 4);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it('area rejects a negative-area spectrum; per-spectrum kinds invert only with factors', async () => {
    const neg = Float32Array.from([-1, -2, -1]);
    const pa = fitNormalization('area', neg, 1, 3, [0, 1, 2]);
    expect(await userErrorOf(() => applyNormalization(pa, neg, 1, 3))).toMatch(/positive area/);
    const p = fitNormalization('minmax', spectra, n, m, energies);
    const out = applyNormalization(p, spectra, n, m);
    expect(await userErrorOf(() => invertNormalization(p, out, n, m))).toMatch(/cannot be inverted from the stored parameters/);
    const back = invertNormalization(p, out, n, m, spectrumFactors(p, spectra, n, m));
    for (let t = 0; t < back.length; t++) expect(back[t]).toBeCloseTo(spectra[t], 5);
  });
});

describe('split', () => {
  it('puts every row in exactly one part, with sizes close to the fractions', () => {
    for (const total of [0, 1, 2, 7, 100, 1001]) {
      const s = splitRows(total, { train: 0.7, validation: 0.15, test: 0.15 }, 3);
      const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(Math.abs(s.train.length - 0.7 * total)).toBeLessThan(1);
      expect(Math.abs(s.validation.length - 0.15 * total)).toBeLessThan(1);
      expect(Math.abs(s.test.length - 0.15 * total)).toBeLessThan(1);
    }
  });

  it('is deterministic for a seed, differs across seeds, and shuffles', () => {
    const f = { train: 0.5, validation: 0.25, test: 0.25 };
    const a = splitRows(400, f, 1);
    expect(splitRows(400, f, 1)).toEqual(a);
    expect(splitRows(400, f, 2).train).not.toEqual(a.train);
    // Not the reference's row-order split: training rows come from the whole file.
    expect(a.train[a.train.length - 1]).toBeGreaterThan(300);
    expect(a.test[0]).toBeLessThan(100);
  });

  it('rejects fractions that do not sum to 1 or lie outside [0, 1]', async () => {
    expect(await userErrorOf(() => splitRows(10, { train: 0.7, validation: 0.2, test: 0.2 }, 0))).toMatch(/must sum to 1/);
    expect(await userErrorOf(() => splitRows(10, { train: 1.2, validation: -0.1, test: -0.1 }, 0))).toMatch(/split\.train must be in \[0, 1\]/);
    expect(splitRows(10, { train: 0.7, validation: 0.2, test: 0.1 + 5e-7 }, 0).test.length).toBe(1);
  });

  it('k folds: the test folds partition the rows, sizes within one row; each fold validates on part of the rest', () => {
    for (const [total, k] of [[40, 5], [41, 5], [7, 3], [100, 10]]) {
      const tested: number[] = [];
      for (let fold = 0; fold < k; fold++) {
        const s = splitRows(total, { folds: k, fold, validation: 0.2 }, 4);
        expect(s).toEqual(splitRows(total, { folds: k, fold, validation: 0.2 }, 4));
        expect([...s.train, ...s.validation, ...s.test].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
        expect(Math.abs(s.test.length - total / k)).toBeLessThan(1);
        expect(s.validation.length).toBe(Math.max(1, Math.round(0.2 * (total - s.test.length))));
        tested.push(...s.test);
      }
      expect(tested.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    }
    // shuffled, not in file order; another seed, other folds
    expect(Array.from(splitRows(40, { folds: 5, fold: 0, validation: 0 }, 4).test)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(splitRows(40, { folds: 5, fold: 0, validation: 0 }, 5).test).not.toEqual(splitRows(40, { folds: 5, fold: 0, validation: 0 }, 4).test);
  });

  it('refuses a fold outside 0..k-1 and more folds than rows', async () => {
    expect(await userErrorOf(() => splitRows(40, { folds: 5, fold: 5, validation: 0.2 }, 0))).toMatch(/split\.fold must be one of 0\.\.4/);
    expect(await userErrorOf(() => splitRows(3, { folds: 5, fold: 0, validation: 0.2 }, 0))).toMatch(/5 folds need at least 5 rows/);
  });
});
