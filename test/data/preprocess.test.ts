import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSpectra } from '../../src/data/formats/index.js';
import { linspace } from '../../src/data/grid.js';
import { broadenAll, broadenSpectrum, fdmnesWidth, type FdmnesBroadening } from '../../src/data/preprocess/broaden.js';
import { fitEnergyShift } from '../../src/data/preprocess/energy-shift.js';
import { fitPreprocess } from '../../src/data/preprocess/fit.js';
import { IDENTITY_PREPROCESS, preprocessInput, preprocessSpectrum } from '../../src/data/preprocess/pipeline.js';
import { PreprocessSchema, type PreprocessParams } from '../../src/data/preprocess/schema.js';
import { REFERENCE_COMPOUND, edgePosition, synthSpectrum, synthesizeXanes } from '../../src/data/synth.js';
import { findE0 } from '../../src/data/xas/e0.js';
import { halfStepEnergy } from '../../src/data/xas/edge-position.js';
import { normalizeXas } from '../../src/data/xas/normalize.js';
import { spectrumRow } from '../../src/data/dataset.js';
import { toDataset } from '../../src/data/load.js';

const gauss = (x: number, s: number) => Math.exp(-0.5 * (x / s) ** 2);
const FWHM = 2 * Math.sqrt(2 * Math.log(2));

describe('broadening', () => {
  it('a Gaussian kernel widens a Gaussian peak to sqrt(s0^2 + s^2) and keeps its area', () => {
    const x = linspace(-30, 30, 1201);
    const y = Float64Array.from(x, (v) => gauss(v, 1));
    const out = broadenSpectrum(x, y, { kind: 'gaussian', fwhm: 1.5 * FWHM });
    const s = Math.sqrt(1 + 1.5 ** 2);
    for (const i of [600, 640, 700, 760]) expect(out[i]).toBeCloseTo(gauss(x[i], s) / s, 4);
  });

  it('is exact for piecewise-linear spectra, also with kernels narrower than the grid step', () => {
    const x = Float64Array.from([0, 1, 2.5, 3, 5, 6, 8, 9, 10]);
    const line = Float64Array.from(x, (v) => 2 + 0.5 * v);
    // a symmetric kernel maps a straight line onto itself away from the ends
    const g = broadenSpectrum(x, line, { kind: 'gaussian', fwhm: 1 });
    for (let i = 3; i < 6; i++) expect(g[i]).toBeCloseTo(line[i], 10);
    const flat = broadenSpectrum(x, new Float64Array(x.length).fill(3), { kind: 'lorentzian', fwhm: 4 });
    flat.forEach((v) => expect(v).toBeCloseTo(3, 12));
    // a 0.01 eV kernel on a 0.5-2 eV grid returns each data point plus exactly the rounding of
    // its kink, sigma / sqrt(2 pi) times the change of slope (what a sampled kernel gets wrong)
    const zig = Float64Array.from(x, (_, i) => (i % 2 ? 1 : -1));
    const sigma = 0.01 / FWHM;
    const narrow = broadenSpectrum(x, zig, { kind: 'gaussian', fwhm: 0.01 });
    for (let i = 1; i < x.length - 1; i++) {
      const kink = (zig[i + 1] - zig[i]) / (x[i + 1] - x[i]) - (zig[i] - zig[i - 1]) / (x[i] - x[i - 1]);
      expect(narrow[i]).toBeCloseTo(zig[i] + (sigma / Math.sqrt(2 * Math.PI)) * kink, 9);
    }
  });

  it('Lorentzian widths add (a Lorentzian of FWHM 1 broadened by FWHM 2 peaks at 2/(3 pi))', () => {
    const x = linspace(-200, 200, 4001);
    const y = Float64Array.from(x, (v) => (0.5 / Math.PI) / (v * v + 0.25));
    const out = broadenSpectrum(x, y, { kind: 'lorentzian', fwhm: 2 });
    // to the accuracy of a 0.1 eV piecewise-linear sampling of the input (7e-4 relative at the peak)
    expect(Math.abs(out[2000] / (2 / (3 * Math.PI)) - 1)).toBeLessThan(1e-3);
    expect(Math.abs(out[2000 + 15] / ((1.5 / Math.PI) / (1.5 ** 2 + 2.25)) - 1)).toBeLessThan(1e-3);
  });

  it("follows FDMNES's arctan width: Gamma_hole at Efermi, half of Gamma_max added at Ecent, Gamma_hole + Gamma_max far above", () => {
    const p: FdmnesBroadening = { kind: 'fdmnes', gammaHole: 1.2, gammaMax: 15, eCent: 30, eLarg: 30, eFermi: 7112 };
    expect(fdmnesWidth(p, 7100)).toBe(1.2);
    expect(fdmnesWidth(p, 7112)).toBe(1.2);
    expect(fdmnesWidth(p, 7112 + 30)).toBeCloseTo(1.2 + 7.5, 12);
    expect(fdmnesWidth(p, 7112 + 1e5)).toBeCloseTo(16.2, 2);
    let prev = 0;
    for (let e = 7112.01; e < 7300; e += 3) {
      const w = fdmnesWidth(p, e);
      expect(w).toBeGreaterThanOrEqual(prev);
      prev = w;
    }
    // below the Fermi level the states are occupied: a flat spectrum becomes a step broadened by Gamma_hole
    const x = linspace(7062, 7162, 5001);
    const out = broadenSpectrum(x, new Float64Array(x.length).fill(1), p);
    const at = (e: number) => out[Math.round((e - 7062) / 0.02)];
    // (the sampled cut sits midway between the grid points at 7111.98 and 7112, i.e. 0.01 eV low)
    expect(at(7112)).toBeCloseTo(0.5 + Math.atan(0.01 / 0.6) / Math.PI, 3);
    expect(at(7112 - 0.59)).toBeCloseTo(0.25, 2); // 1/2 + atan(-1)/pi for half-width 0.6
    expect(at(7070)).toBeLessThan(0.02);
    expect(at(7160)).toBeGreaterThan(0.9);
  });

  it('applies kernels in order and rejects a non-positive width naming the kernel', () => {
    const x = linspace(0, 10, 101);
    const y = Float64Array.from(x, (v) => gauss(v - 5, 0.5));
    const both = broadenAll(x, y, [{ kind: 'lorentzian', fwhm: 1 }, { kind: 'gaussian', fwhm: 1 }]);
    expect(Math.max(...both)).toBeLessThan(Math.max(...broadenSpectrum(x, y, { kind: 'gaussian', fwhm: 1 })));
    expect(() => broadenSpectrum(x, y, { kind: 'gaussian', fwhm: 0 }, 'f.txt')).toThrow(/f.txt: gaussian broadening: fwhm must be a positive/);
  });
});

describe('energy calibration from a reference compound', () => {
  const grid = { start: 7080, stop: 7200, points: 300 };
  const calc = synthesizeXanes({ ...grid, reference: true, noise: 0 });
  const meas = synthesizeXanes({ ...grid, reference: true, noise: 0.005, experimental: { offset: 4.5, broadening: 2 } });
  const series = (ds: typeof calc) => ({ energy: ds.energies, mu: spectrumRow(ds, 0) });

  it.each(['derivative', 'least-squares'] as const)('%s: recovers a 4.5 eV offset despite broadening, background, step error and noise', (method) => {
    const fit = fitEnergyShift(series(calc), series(meas), { method });
    expect(fit.shift).toBeGreaterThan(-4.5 - 0.15);
    expect(fit.shift).toBeLessThan(-4.5 + 0.15);
    expect(fit.method).toBe(method);
    if (method === 'derivative') expect(fit.score).toBeGreaterThan(0.9);
  });

  it('finds shifts far from zero (relative calculated energies against absolute measured ones)', () => {
    const rel = { energy: Float64Array.from(calc.energies, (e) => e - 7112), mu: spectrumRow(calc, 0) };
    const fit = fitEnergyShift(rel, series(meas), { window: 10 });
    expect(fit.shift).toBeGreaterThan(-7116.5 - 0.15);
    expect(fit.shift).toBeLessThan(-7116.5 + 0.15);
  });
});

describe('the preprocessing pipeline', () => {
  const cfg = (over: object) => PreprocessSchema.parse(over);
  const params = async (over: object) => fitPreprocess(cfg(over));

  it('broadens calculated spectra only and shifts each role by its own shift', async () => {
    const p = await params({ broaden: [{ kind: 'gaussian', fwhm: 2 }], calibrate: { calculatedShift: 1, measuredShift: -4 } });
    const x = linspace(7100, 7180, 161);
    const y = new Float64Array(x.length);
    synthSpectrum(REFERENCE_COMPOUND, x, y);
    const c = preprocessSpectrum(x, y, p, { role: 'calculated' }, 't');
    const m = preprocessSpectrum(x, y, p, { role: 'measured' }, 't');
    expect(c.energy[0]).toBe(7101);
    expect(m.energy[0]).toBe(7096);
    expect(Array.from(m.mu)).toEqual(Array.from(y));
    expect(Math.max(...c.mu)).toBeLessThan(Math.max(...y) - 0.02);
    const o = preprocessSpectrum(x, y, p, { role: 'measured', shift: 2 }, 't');
    expect(o.energy[0]).toBe(7102);
  });

  it('normalizes as xraylarch pre_edge and aligns E0 on request (the chemical shift is gone)', async () => {
    const p = await params({ xas: {}, alignE0: { target: 0 } });
    const ds = synthesizeXanes({ count: 4, start: 7080, stop: 7200, points: 300, experimental: {}, seed: 3 });
    const out = preprocessInput(ds, p, { role: 'measured', edgePositions: true });
    expect(Array.isArray(out.spectra)).toBe(true);
    const spectra = out.spectra as { energy: Float64Array; mu: Float64Array; labels: Record<string, number> }[];
    for (let i = 0; i < 4; i++) {
      const s = spectra[i];
      const e0 = findE0(s.energy, s.mu).e0;
      expect(Math.abs(e0)).toBeLessThan(0.3);
      // after normalization the spectrum sits at 0 before the edge and around 1 well above it
      const pre = s.mu.filter((_, j) => s.energy[j] < -25);
      expect(Math.abs(pre.reduce((a, b) => a + b, 0) / pre.length)).toBeLessThan(0.05);
      expect(s.labels.OS).toBe(ds.descriptors[i * 3]);
      // edge positions are taken before the alignment: they still carry the chemical shift
      expect(out.edges![i]).toBeGreaterThan(edgePosition(s.labels.OS) + 4.5 - 3);
      expect(out.edges![i]).toBeLessThan(edgePosition(s.labels.OS) + 4.5 + 3);
    }
  });

  it('searches E0 inside e0Window, and leaves out training spectra it cannot process when asked to, naming them', async () => {
    const ds = synthesizeXanes({ count: 5, start: 7080, stop: 7200, points: 300, seed: 4 });
    // spectrum 2 turned upside down: no positive edge step
    for (let c = 0; c < ds.m; c++) ds.spectra[2 * ds.m + c] = 2 - ds.spectra[2 * ds.m + c];
    const p = await params({ xas: { e0Window: [7110, 7135] } });
    expect(() => toDataset(ds, 'five', { preprocess: { params: p, role: 'calculated' } })).toThrow(/\[synth_3\]: edge step is -/);
    const r = toDataset(ds, 'five', { preprocess: { params: p, role: 'calculated', skipFailed: true } });
    expect(r.dataset.ids).toEqual(['synth_1', 'synth_2', 'synth_4', 'synth_5']);
    expect(r.warnings[0]).toMatch(/^left out 1 spectra the preprocessing could not handle: .*\[synth_3\]: edge step is -/);
    // a window that excludes the edge puts E0 inside the window, where no edge step is found
    const bad = await params({ xas: { e0Window: [7150, 7190] } });
    expect(() => preprocessSpectrum(ds.energies, spectrumRow(ds, 0), bad, { role: 'calculated' }, 'w')).toThrow(/E0 = 71[5-8]\d\.\d+ eV/);
  });

  it('passes spectra through untouched when nothing is configured (models written before preprocessing existed)', () => {
    const ds = synthesizeXanes({ count: 3 });
    const out = preprocessInput(ds, IDENTITY_PREPROCESS, { role: 'measured' });
    expect(out.spectra).toBe(ds);
    expect(out.shift).toBe(0);
  });

  it('fits the measured shift from reference files and stores the calculated reference for later fits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlatent-pre-'));
    const grid = { start: 7080, stop: 7200, points: 300 };
    writeSpectra(synthesizeXanes({ ...grid, reference: true }), join(dir, 'ref-calc.csv'));
    writeSpectra(synthesizeXanes({ ...grid, reference: true, experimental: { offset: 6 } }), join(dir, 'ref-meas.csv'));
    const p: PreprocessParams = await params({
      broaden: [{ kind: 'gaussian', fwhm: 2 }],
      calibrate: { reference: { calculated: join(dir, 'ref-calc.csv'), measured: join(dir, 'ref-meas.csv') } },
      xas: {},
    });
    expect(p.measuredShiftSource).toBe('reference');
    expect(Math.abs(p.shift.measured + 6)).toBeLessThan(0.15);
    expect(p.reference?.id).toBe('reference');
    expect(p.reference?.energy).toHaveLength(300);
    expect(p.shiftFit?.method).toBe('derivative');
    await expect(params({ calibrate: { reference: { calculated: join(dir, 'nope.csv') } } })).rejects.toThrow(/nope.csv/);
    expect(() => cfg({ calibrate: { measuredShift: 1, reference: { calculated: 'a', measured: 'b' } } })).toThrow(/either calibrate.measuredShift or calibrate.reference.measured/);
  });
});

describe('synthetic experimental mode', () => {
  it('measures the same compounds: equal descriptors, an offset edge, raw units that normalize back', () => {
    const calc = synthesizeXanes({ count: 50, start: 7080, stop: 7200, points: 240, seed: 5 });
    const meas = synthesizeXanes({ count: 50, start: 7080, stop: 7200, points: 240, seed: 5, experimental: { offset: 5, offsetJitter: 0 } });
    expect(meas.descriptors).toEqual(calc.descriptors);
    expect(meas.source).toMatch(/experimental/);
    let far = 0;
    for (let i = 0; i < 50; i++) {
      const c = normalizeXas(calc.energies, spectrumRow(calc, i));
      const m = normalizeXas(meas.energies, spectrumRow(meas, i));
      const ec = halfStepEnergy(c.energy, c.norm, c.e0);
      const em = halfStepEnergy(m.energy, m.norm, m.e0);
      expect(em - ec).toBeGreaterThan(5 - 0.6);
      expect(em - ec).toBeLessThan(5 + 0.6);
      // not normalized as generated: edge step and background differ from spectrum to spectrum
      if (Math.abs(m.edgeStep - 1) > 0.05 || Math.abs(spectrumRow(meas, i)[0]) > 0.1) far++;
    }
    expect(far).toBeGreaterThan(40);
  });
});
