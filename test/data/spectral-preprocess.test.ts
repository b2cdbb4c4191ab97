// Broadening and energy shift on small grids against brute-force references (fast: the
// mutation run of `spectral-preprocess` uses this file; preprocess.test.ts keeps the large-grid checks).
import { describe, expect, it } from 'vitest';
import { broadenAll, broadenSpectrum, fdmnesWidth, type Broadening, type FdmnesBroadening } from '../../src/data/preprocess/broaden.js';
import { fitEnergyShift } from '../../src/data/preprocess/energy-shift.js';
import { synthSpectrum, REFERENCE_COMPOUND } from '../../src/data/synth.js';
import { linspace } from '../../src/data/grid.js';
import { UserError } from '../../src/util/errors.js';

const SIGMA_PER_FWHM = 1 / (2 * Math.sqrt(2 * Math.log(2)));

/** erf by its Taylor series / continued fraction is what the library uses; here a plain numeric integral of the density. */
function gaussCdf(t: number, s: number): number {
  // Simpson on [-12 s, t] (the mass below -12 s is < 1e-32).
  const a = -12 * s;
  if (t <= a) return 0;
  if (t >= 12 * s) return 1;
  const N = 2000;
  const h = (t - a) / N;
  const f = (x: number) => Math.exp(-0.5 * (x / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
  let sum = f(a) + f(t);
  for (let i = 1; i < N; i++) sum += (i % 2 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

/**
 * The definition: int mu(x) K(x - e) dx with mu the piecewise-linear curve through the points,
 * continued flat beyond the ends, by fine Simpson quadrature on every segment and the kernel's
 * tail masses beyond the ends.
 */
function bruteBroaden(x: number[], y: number[], e: number, kernel: (t: number) => number, cdf: (t: number) => number, width: number): number {
  const n = x.length;
  let s = y[0] * cdf(x[0] - e) + y[n - 1] * (1 - cdf(x[n - 1] - e));
  for (let j = 0; j < n - 1; j++) {
    // Steps of a hundredth of the kernel width at most.
    const N = 2 * Math.ceil((x[j + 1] - x[j]) / (width / 50));
    const h = (x[j + 1] - x[j]) / N;
    const f = (u: number) => (y[j] + ((y[j + 1] - y[j]) * (u - x[j])) / (x[j + 1] - x[j])) * kernel(u - e);
    let acc = f(x[j]) + f(x[j + 1]);
    for (let i = 1; i < N; i++) acc += (i % 2 ? 4 : 2) * f(x[j] + i * h);
    s += (acc * h) / 3;
  }
  return s;
}

const lorentz = (g: number) => (t: number) => g / (Math.PI * (t * t + g * g));
const lorentzCdf = (g: number) => (t: number) => 0.5 + Math.atan(t / g) / Math.PI;
const gauss = (s: number) => (t: number) => Math.exp(-0.5 * (t / s) ** 2) / (s * Math.sqrt(2 * Math.PI));

// A non-uniform grid with a fine stretch (where the Lorentzian's far segments use Simpson's rule) and coarse steps.
const X = [0, 0.7, 1.5, 2, 3.2, 4, 5.5, 6, ...Array.from({ length: 30 }, (_, i) => 6.1 + i * 0.1), 9.5, 12];
const Y = X.map((v, i) => Math.sin(v) + 0.3 * (i % 3) + 0.05 * v);

describe('broadenSpectrum against the convolution integral', () => {
  it('Gaussian kernels, wide and narrower than the grid step', () => {
    for (const fwhm of [1.3, 0.2, 6]) {
      const s = fwhm * SIGMA_PER_FWHM;
      const out = broadenSpectrum(X, Y, { kind: 'gaussian', fwhm });
      expect(out).toHaveLength(X.length);
      X.forEach((e, i) => expect(out[i]).toBeCloseTo(bruteBroaden(X, Y, e, gauss(s), (t) => gaussCdf(t, s), s), 7));
    }
  });

  it('Lorentzian kernels, with the heavy tails beyond the ends', () => {
    for (const fwhm of [0.9, 0.05, 5]) {
      const g = fwhm / 2;
      const out = broadenSpectrum(X, Y, { kind: 'lorentzian', fwhm });
      X.forEach((e, i) => expect(out[i]).toBeCloseTo(bruteBroaden(X, Y, e, lorentz(g), lorentzCdf(g), g), 6));
    }
  });

  it("FDMNES's energy-dependent Lorentzian: each output point with its own width, the spectrum cut below the Fermi level", () => {
    const p: FdmnesBroadening = { kind: 'fdmnes', gammaHole: 0.8, gammaMax: 4, eCent: 3, eLarg: 2, eFermi: 2.6 };
    const out = broadenSpectrum(X, Y, p);
    const cut = Y.map((v, j) => (X[j] < p.eFermi ? 0 : v));
    X.forEach((e, i) => {
      const g = fdmnesWidth(p, e) / 2;
      expect(out[i]).toBeCloseTo(bruteBroaden(X, cut, e, lorentz(g), lorentzCdf(g), g), 6);
    });
  });

  it('a spike broadens into the kernel; constants stay constant; the area of a peak is kept', () => {
    // A one-point spike of height 1 on a 0.05 eV grid is a hat of area 0.05: broadened, 0.05 times the kernel.
    const x = linspace(-10, 10, 401);
    const spike = Float64Array.from(x, (_, i) => (i === 200 ? 1 : 0));
    const g = broadenSpectrum(x, spike, { kind: 'gaussian', fwhm: 2 });
    const s = 2 * SIGMA_PER_FWHM;
    for (const i of [200, 210, 220, 240, 180]) expect(g[i] / (0.05 * gauss(s)(x[i]))).toBeCloseTo(1, 2);
    const l = broadenSpectrum(x, spike, { kind: 'lorentzian', fwhm: 1 });
    for (const i of [200, 206, 220, 300]) expect(l[i] / (0.05 * lorentz(0.5)(x[i]))).toBeCloseTo(1, 2);
    // Area (trapezoid) of a peak well inside the grid is kept.
    const area = (a: ArrayLike<number>) => Array.from(a).reduce((acc, v, i) => acc + (i > 0 ? 0.025 * (v + a[i - 1]) : 0), 0);
    const peak = Float64Array.from(x, (v) => Math.exp(-v * v));
    expect(area(broadenSpectrum(x, peak, { kind: 'gaussian', fwhm: 1.5 })) / area(peak)).toBeCloseTo(1, 9);
    for (const b of [{ kind: 'gaussian', fwhm: 3 }, { kind: 'lorentzian', fwhm: 3 }] as Broadening[]) {
      broadenSpectrum(X, X.map(() => -2.5), b).forEach((v) => expect(v).toBeCloseTo(-2.5, 7));
    }
  });

  it('leaves its input alone and applies several kernels in the order given', () => {
    const y = Float64Array.from(Y);
    const steps: Broadening[] = [
      { kind: 'fdmnes', gammaHole: 1, gammaMax: 3, eCent: 5, eLarg: 5, eFermi: 1 },
      { kind: 'gaussian', fwhm: 0.7 },
    ];
    const both = broadenAll(X, y, steps);
    expect(Array.from(y)).toEqual(Y);
    expect(Array.from(both)).toEqual(Array.from(broadenSpectrum(X, broadenSpectrum(X, y, steps[0]), steps[1])));
    const none = broadenAll(X, y, []);
    expect(Array.from(none)).toEqual(Y);
    expect(none).not.toBe(y);
  });
});

describe('fdmnesWidth', () => {
  it('is Gamma_hole up to E_Fermi, then the arctan law of the FDMNES manual', () => {
    const p: FdmnesBroadening = { kind: 'fdmnes', gammaHole: 1.5, gammaMax: 10, eCent: 20, eLarg: 40, eFermi: 100 };
    expect(fdmnesWidth(p, 50)).toBe(1.5);
    expect(fdmnesWidth(p, 100)).toBe(1.5);
    for (const E of [101, 110, 120, 150, 400]) {
      const e = (E - 100) / 20;
      const want = 1.5 + 10 * (0.5 + Math.atan((Math.PI / 3) * (10 / 40) * (e - 1 / (e * e))) / Math.PI);
      expect(fdmnesWidth(p, E)).toBeCloseTo(want, 13);
    }
    // At E_cent the arctan term is 0: half of Gamma_max added.
    expect(fdmnesWidth(p, 120)).toBeCloseTo(1.5 + 5, 13);
  });
});

describe('broadening parameters', () => {
  const x = [0, 1, 2];
  const y = [1, 2, 3];
  it('rejects every non-positive or non-finite width, and a non-finite Fermi level, naming the file and field', () => {
    const fd = { kind: 'fdmnes', gammaHole: 1, gammaMax: 15, eCent: 30, eLarg: 30, eFermi: 0 } as const;
    const bad: [Broadening, string][] = [
      [{ kind: 'gaussian', fwhm: 0 }, 'f.txt: gaussian broadening: fwhm must be a positive number of eV, got 0'],
      [{ kind: 'gaussian', fwhm: Infinity }, 'f.txt: gaussian broadening: fwhm must be a positive number of eV, got Infinity'],
      [{ kind: 'lorentzian', fwhm: NaN }, 'f.txt: lorentzian broadening: fwhm must be a positive number of eV, got NaN'],
      [{ kind: 'lorentzian', fwhm: -1 }, 'f.txt: lorentzian broadening: fwhm must be a positive number of eV, got -1'],
      [{ ...fd, gammaHole: 0 }, 'f.txt: fdmnes broadening: gammaHole must be a positive number of eV, got 0'],
      [{ ...fd, gammaMax: -2 }, 'f.txt: fdmnes broadening: gammaMax must be a positive number of eV, got -2'],
      [{ ...fd, eCent: 0 }, 'f.txt: fdmnes broadening: eCent must be a positive number of eV, got 0'],
      [{ ...fd, eLarg: Infinity }, 'f.txt: fdmnes broadening: eLarg must be a positive number of eV, got Infinity'],
      [{ ...fd, eFermi: NaN }, 'f.txt: fdmnes broadening: eFermi must be a finite energy, got NaN'],
    ];
    for (const [b, msg] of bad) {
      expect(() => broadenSpectrum(x, y, b, 'f.txt')).toThrow(UserError);
      expect(() => broadenSpectrum(x, y, b, 'f.txt')).toThrow(msg);
    }
    expect(() => broadenSpectrum(x, y, { kind: 'gaussian', fwhm: -1 })).toThrow('broadening: gaussian broadening: fwhm must be a positive number of eV, got -1');
    expect(broadenSpectrum(x, y, { ...fd, eFermi: -1 })).toHaveLength(3);
  });

  it('needs two points and one intensity per energy', () => {
    expect(() => broadenSpectrum([1], [1], { kind: 'gaussian', fwhm: 1 }, 'a.dat')).toThrow(
      'a.dat: broadening needs at least 2 points and as many intensities as energies (got 1 and 1)',
    );
    expect(() => broadenSpectrum([1, 2, 3], [1, 2], { kind: 'gaussian', fwhm: 1 }, 'a.dat')).toThrow('(got 3 and 2)');
    broadenSpectrum([1, 2], [5, 5], { kind: 'gaussian', fwhm: 1 }).forEach((v) => expect(v).toBeCloseTo(5, 14));
  });
});

describe('fitEnergyShift on a known shift', () => {
  const energy = linspace(7060, 7200, 281);
  const mu = new Float64Array(energy.length);
  synthSpectrum(REFERENCE_COMPOUND, energy, mu);
  const calculated = { energy, mu };

  it.each(['derivative', 'least-squares'] as const)('%s: a copy on a scale moved by +3.3 eV comes back as -3.3 eV', (method) => {
    const measured = { energy: Float64Array.from(energy, (e) => e + 3.3), mu: Float64Array.from(mu, (v) => 2 * v + 0.1) };
    const fit = fitEnergyShift(calculated, measured, { method, window: 2 });
    expect(fit.method).toBe(method);
    expect(fit.shift).toBeCloseTo(-3.3, 2);
    expect(fit.e0Measured - fit.e0Calculated).toBeCloseTo(3.3, 6);
    if (method === 'derivative') {
      expect(fit.score).toBeCloseTo(1, 4);
      // The default window (20 eV) finds the same optimum.
      expect(fitEnergyShift(calculated, measured).shift).toBeCloseTo(fit.shift, 9);
    }
    else expect(fit.score).toBeLessThan(1e-3);
    expect(fit.score).toBeGreaterThanOrEqual(0);
  });

  it('a measurement on its own, coarser grid: the derivative fit refines between the 0.02 eV steps to the true shift', () => {
    // E0 found on the two grids differs from the true shift by ~0.1 eV; the fit does not depend on it.
    const em = linspace(7065, 7205, 379);
    for (const s of [3.307, -1.234]) {
      const mm = new Float64Array(em.length);
      synthSpectrum(REFERENCE_COMPOUND, Float64Array.from(em, (e) => e - s), mm);
      const measured = { energy: em, mu: mm.map((v) => 1.7 * v + 0.2) };
      const d = fitEnergyShift(calculated, measured, { window: 1 });
      expect(d.method).toBe('derivative');
      expect(Math.abs(d.shift + s)).toBeLessThan(5e-4);
      expect(Math.abs(d.e0Measured - d.e0Calculated - s)).toBeGreaterThan(0.05);
      expect(d.score).toBeGreaterThan(0.9999);
      expect(d.score).toBeLessThan(1);
      const l = fitEnergyShift(calculated, measured, { method: 'least-squares', window: 1 });
      expect(Math.abs(l.shift + s)).toBeLessThan(0.1);
      expect(l.score).toBeGreaterThan(0.005);
      expect(l.score).toBeLessThan(0.1);
    }
  });

  it('the search window bounds the answer; the parabola refines between steps', () => {
    // Shifted by 3.3 eV but E0 differs by the same: a window of 0.1 eV still holds the optimum at the E0 difference.
    const measured = { energy: Float64Array.from(energy, (e) => e - 0.513), mu };
    const fit = fitEnergyShift(calculated, measured, { window: 0.1 });
    expect(fit.shift).toBeCloseTo(0.513, 2);
    // A different spectrum (broader edge) on the same scale: the answer stays inside the window around the E0 difference.
    const broad = new Float64Array(energy.length);
    synthSpectrum({ ...REFERENCE_COMPOUND, edgeWidth: 4 }, energy, broad);
    const w = fitEnergyShift(calculated, { energy, mu: broad }, { window: 0.3 });
    const center = w.e0Calculated - w.e0Measured;
    expect(Math.abs(w.shift - center)).toBeLessThanOrEqual(0.3 + 0.01);
  });

  it('normalizes both references with the given pre_edge parameters, ignoring any eshift in them', () => {
    const measured = { energy: Float64Array.from(energy, (e) => e + 3.3), mu };
    const plain = fitEnergyShift(calculated, measured, { window: 2 });
    expect(fitEnergyShift(calculated, measured, { xas: { eshift: 10 }, window: 2 })).toEqual(plain);
    // A fixed E0 for both: the search starts from no difference and still finds the shift.
    const fixed = fitEnergyShift(calculated, measured, { xas: { e0: 7115 }, window: 4 });
    expect(fixed.e0Calculated).toBe(7115);
    expect(fixed.e0Measured).toBe(7115);
    expect(fixed.shift).toBeCloseTo(-3.3, 2);
    expect(() => fitEnergyShift(calculated, measured, { xas: { pre1: 5, pre2: 1 } })).toThrow('calculated reference: pre1 (5) must be below pre2 (1)');
    expect(() => fitEnergyShift(calculated, measured, { xas: { pre1: 5, pre2: 1 }, whereCalculated: 'calc.csv' })).toThrow('calc.csv: pre1 (5) must be below pre2 (1)');
    const short = { energy: [7100, 7101], mu: [1, 2] };
    expect(() => fitEnergyShift(calculated, short)).toThrow(/^measured reference: /);
    expect(() => fitEnergyShift(calculated, short, { whereMeasured: 'm.xdi' })).toThrow(/^m\.xdi: /);
  });

  it('an optimum beyond the window ends at the window edge, on either side, without refinement', () => {
    // With E0 fixed for both references the search is centred on no shift; the true shift is 3.3 eV away.
    for (const [moved, edge] of [[3.3, -2], [-3.3, 2]]) {
      const measured = { energy: Float64Array.from(energy, (e) => e + moved), mu };
      const fit = fitEnergyShift(calculated, measured, { xas: { e0: 7115 }, window: 2 });
      expect(fit.shift).toBeCloseTo(edge, 9);
      // The edge step scores best of all the steps tried: one step inside scores lower.
      const inside = fitEnergyShift(calculated, measured, { xas: { e0: 7115 }, window: 1.98 });
      expect(inside.shift).toBeCloseTo(edge * 0.99, 9);
      expect(inside.score).toBeLessThan(fit.score);
    }
  });

  it('says why it cannot fit: a bad window, too little of the edge region, no overlap', () => {
    expect(() => fitEnergyShift(calculated, calculated, { window: 0 })).toThrow('the shift search window must be positive, got 0');
    expect(() => fitEnergyShift(calculated, calculated, { window: NaN })).toThrow('the shift search window must be positive, got NaN');
    // The measured reference only covers the pre-edge and a little more of the calculated scale after any shift in the window.
    const far = { energy: Float64Array.from(energy, (e) => e + 500), mu };
    expect(() => fitEnergyShift(calculated, { energy: far.energy.subarray(0, 120), mu: mu.subarray(0, 120) }, { window: 1, whereMeasured: 'meas.xdi' })).toThrow(
      /^meas\.xdi: the measured reference \(7560\.\.7619\.5 eV\) never overlaps half of the calculated reference's edge region within 1 eV of the E0 difference/,
    );
  });
});
