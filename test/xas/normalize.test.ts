import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';
import { findE0 } from '../../src/data/xas/e0.js';
import { DEFAULT_NORMALIZATION, normalizeXas, resolveNormalizationParams, resolveRanges, normalizeSpectrum } from '../../src/data/xas/normalize.js';
import { userErrorOf } from '../data/helpers.js';
import { alignToE0, calibrationShift, shiftEnergy } from '../../src/data/xas/calibrate.js';
import { polyfit, polyval, rawCoefficients } from '../../src/data/xas/polyfit.js';

/** Arctan edge of height `step` at `e0` on a sloped line, with optional noise and post-edge curvature. */
function synthetic(opts: { e0: number; step: number; lo: number; hi: number; de: number; noise?: number; curvature?: number; seed?: number }) {
  const n = Math.floor((opts.hi - opts.lo) / opts.de) + 1;
  const energy = new Float64Array(n);
  const mu = new Float64Array(n);
  const rng = new Rng(opts.seed ?? 1);
  for (let i = 0; i < n; i++) {
    const e = opts.lo + i * opts.de;
    energy[i] = e;
    const edge = opts.step * (0.5 + Math.atan((e - opts.e0) / 0.8) / Math.PI);
    const post = e > opts.e0 ? -(opts.curvature ?? 0) * ((e - opts.e0) / 100) ** 2 : 0;
    mu[i] = 1.7 - 4e-4 * (e - opts.e0) + edge + post + (opts.noise ?? 0) * rng.normal();
  }
  return { energy, mu };
}

describe('XAS normalization', () => {
  it('recovers E0 and an edge step of 2.5 on a sloped background (defaults, EXAFS-length scan)', () => {
    const { energy, mu } = synthetic({ e0: 8333.3, step: 2.5, lo: 8050, hi: 8900, de: 0.5, noise: 0.002 });
    const r = normalizeXas(energy, mu);
    expect(Math.abs(r.e0 - 8333.3)).toBeLessThan(0.5);
    expect(Math.abs(r.edgeStep / 2.5 - 1)).toBeLessThan(1e-2);
    expect(r.ranges.preAuto).toBe(false);
    expect(r.ranges.pre1).toBe(-200);
    expect(r.ranges.nnorm).toBe(2);
    let s = 0, c = 0;
    for (let i = 0; i < energy.length; i++) if (r.energy[i] > r.e0 + 60) { s += r.norm[i]; c++; }
    expect(Math.abs(s / c - 1)).toBeLessThan(1e-2);
    let pre = 0, cp = 0;
    for (let i = 0; i < energy.length; i++) if (r.energy[i] < r.e0 - 40) { pre += r.norm[i]; cp++; }
    expect(Math.abs(pre / cp)).toBeLessThan(1e-2);
  });

  it('chooses short ranges automatically for XANES-only data (75 eV span)', () => {
    const { energy, mu } = synthetic({ e0: 7120, step: 2.5, lo: 7100, hi: 7175, de: 0.333 });
    const r = normalizeXas(energy, mu);
    expect(r.ranges.preAuto).toBe(true);
    expect(r.ranges.postAuto).toBe(true);
    expect(r.ranges.pre2).toBeLessThan(0);
    expect(r.ranges.norm1).toBeGreaterThan(0);
    expect(Math.abs(r.e0 - 7120)).toBeLessThan(0.5);
    expect(r.ranges.npre).toBe(0);
    // the edge's own Lorentzian (arctan) tail reaches into a 20 eV pre-edge: a few % is the honest limit
    expect(Math.abs(r.edgeStep / 2.5 - 1)).toBeLessThan(5e-2);
  });

  it('flattening removes post-edge curvature that norm keeps', () => {
    const { energy, mu } = synthetic({ e0: 9000, step: 1.2, lo: 8750, hi: 9800, de: 1, curvature: 0.05 });
    const r = normalizeXas(energy, mu, { nnorm: 2 });
    const i = r.energy.findIndex((e) => e >= 9700);
    expect(Math.abs(r.flat[i] - 1)).toBeLessThan(1e-2);
    expect(Math.abs(r.norm[i] - 1)).toBeGreaterThan(0.05);
    const j = r.energy.findIndex((e) => e >= 8800);
    expect(r.flat[j]).toBe(r.norm[j]);
  });

  it('uses a given E0 and step, and reports E0 outside the data', () => {
    const { energy, mu } = synthetic({ e0: 8333, step: 2.5, lo: 8100, hi: 8700, de: 1 });
    const r = normalizeXas(energy, mu, { e0: 8335, step: 5 });
    expect(r.e0).toBe(8335);
    expect(r.edgeStep).toBe(5);
    expect(() => normalizeXas(energy, mu, { e0: 9000 })).toThrow(/outside the data/);
  });

  it('rejects an inverted spectrum (negative edge step) with a UserError', () => {
    const { energy, mu } = synthetic({ e0: 8333, step: 2.5, lo: 8100, hi: 8700, de: 1 });
    const inv = mu.map((v) => -v);
    expect(() => normalizeXas(energy, inv, { e0: 8333 })).toThrow(UserError);
    expect(() => normalizeXas(energy, inv, { e0: 8333 })).toThrow(/edge step/);
  });

  it('keeps parameters as plain JSON and validates them', () => {
    const p = resolveNormalizationParams(JSON.parse(JSON.stringify({ pre1: -150, nnorm: 1 })));
    expect(p.pre1).toBe(-150);
    expect(p.pre2).toBe(-30);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(() => resolveNormalizationParams({ pre1: -10, pre2: -50 })).toThrow(/pre1/);
    expect(() => resolveNormalizationParams({ nnorm: 5 })).toThrow(/nnorm/);
    expect(() => resolveNormalizationParams({ bogus: 1 } as never)).toThrow(/unknown/);
  });

  it('refuses each bad parameter with a message naming it and the place, accepts the edge values', async () => {
    const msg = (p: unknown) => userErrorOf(() => resolveNormalizationParams(p as never, 'cfg.yaml: normalization'));
    const where = 'cfg.yaml: normalization: ';
    const cases: [unknown, string][] = [
      [{ e0: 'x' }, 'e0 must be a finite number or null, got "x"'],
      [{ eshift: null }, 'eshift must be a finite number, got null'],
      [{ pre1: Infinity }, 'pre1 must be a finite number, got null'],
      [{ pre2: NaN }, 'pre2 must be a finite number, got null'],
      [{ norm1: '150' }, 'norm1 must be a finite number, got "150"'],
      [{ norm2: 'a' }, 'norm2 must be a finite number or null, got "a"'],
      [{ nnorm: 'a' }, 'nnorm must be a finite number or null, got "a"'],
      [{ npre: 'a' }, 'npre must be a finite number or null, got "a"'],
      [{ nvict: null }, 'nvict must be a finite number, got null'],
      [{ step: 'a' }, 'step must be a finite number or null, got "a"'],
      [{ e0Smoothing: 'a' }, 'e0Smoothing must be a finite number or null, got "a"'],
      [{ e0Window: [5, 5] }, 'e0Window must be [lo, hi] with lo < hi, got [5,5]'],
      [{ e0Window: [1, 2, 3] }, 'e0Window must be [lo, hi] with lo < hi, got [1,2,3]'],
      [{ e0Window: [1, NaN] }, 'e0Window must be [lo, hi] with lo < hi, got [1,null]'],
      [{ e0Window: 'a' }, 'e0Window must be [lo, hi] with lo < hi, got "a"'],
      [{ pre1: -30 }, 'pre1 (-30) must be below pre2 (-30)'],
      [{ norm1: 300, norm2: 300 }, 'norm1 (300) must be below norm2 (300)'],
      [{ nnorm: -1 }, 'nnorm must be 0, 1, 2 or 3, got -1'],
      [{ nnorm: 4 }, 'nnorm must be 0, 1, 2 or 3, got 4'],
      [{ nnorm: 1.5 }, 'nnorm must be 0, 1, 2 or 3, got 1.5'],
      [{ npre: 2 }, 'npre must be 0 or 1, got 2'],
      [{ step: 0 }, 'step must be positive, got 0'],
      [{ flatten: 'yes' }, 'flatten must be true or false'],
      [{ output: 'mu' }, 'output must be "norm" or "flat", got "mu"'],
    ];
    for (const [p, m] of cases) expect(await msg(p), JSON.stringify(p)).toBe(where + m);
    const ok = resolveNormalizationParams({ e0: null, norm1: 100, norm2: 100.5, nnorm: 0, npre: 0, step: 1e-9, flatten: false, output: 'flat', e0Window: [1, 1.5], pre1: undefined });
    expect(ok).toEqual({ ...DEFAULT_NORMALIZATION, norm1: 100, norm2: 100.5, nnorm: 0, npre: 0, step: 1e-9, flatten: false, output: 'flat', e0Window: [1, 1.5] });
    for (const nnorm of [0, 1, 2, 3]) expect(resolveNormalizationParams({ nnorm }).nnorm).toBe(nnorm);
    expect(resolveNormalizationParams({ npre: 1 }).npre).toBe(1);
    expect(await userErrorOf(() => resolveNormalizationParams({ bogus: 1 } as never))).toBe(
      `normalization: unknown normalization parameter "bogus"; known: ${Object.keys(DEFAULT_NORMALIZATION).join(', ')}`,
    );
  });

  it('resolves fit ranges as larch does: clamped to the data, automatic when too short, degrees by span', async () => {
    const grid = (lo: number, hi: number, de: number) => Float64Array.from({ length: Math.round((hi - lo) / de) + 1 }, (_, i) => lo + i * de);
    const ranges = (e: Float64Array, e0: number, p: object) => resolveRanges(e, e0, resolveNormalizationParams(p), 'here');
    const xanes = grid(0, 100, 1);
    // Pre-edge [-200, -30] clamped to [-40, -30] (11 points); post-edge 150.. is past the data,
    // so it becomes [min(25, round5(60 / 3)), 60] = [20, 60]; a 40 eV span gets degree 0, 10 eV of pre-edge too.
    expect(ranges(xanes, 40, {})).toEqual({ pre1: -40, pre2: -30, norm1: 20, norm2: 60, nnorm: 0, npre: 0, preAuto: false, postAuto: true });
    // Two pre-edge points only: from the second point (-39) to round5(-39 / 3) = -15.
    expect(ranges(xanes, 40, { pre1: -20, pre2: -19, norm1: 10, norm2: 50 })).toEqual({ pre1: -39, pre2: -15, norm1: 10, norm2: 50, nnorm: 0, npre: 0, preAuto: true, postAuto: false });
    // A given degree is kept when its range holds degree + 2 points or more (11 in [10, 20]).
    expect(ranges(xanes, 40, { norm1: 10, norm2: 20, nnorm: 3 }).nnorm).toBe(3);
    const exafs = grid(0, 1000, 5);
    expect(ranges(exafs, 300, {})).toEqual({ pre1: -200, pre2: -30, norm1: 150, norm2: 700, nnorm: 2, npre: 1, preAuto: false, postAuto: false });
    // Degrees at the span thresholds: 350 eV -> 2, 349 -> 1, 50 -> 1, 49 -> 0; a 50 eV pre-edge -> line.
    expect(ranges(exafs, 300, { norm2: 500 }).nnorm).toBe(2);
    expect(ranges(exafs, 300, { norm2: 499 }).nnorm).toBe(1);
    expect(ranges(exafs, 300, { norm2: 200 }).nnorm).toBe(1);
    expect(ranges(exafs, 300, { norm2: 199 }).nnorm).toBe(0);
    expect(ranges(exafs, 300, { pre1: -80 }).npre).toBe(1);
    expect(ranges(exafs, 300, { pre1: -79 }).npre).toBe(0);
    expect(ranges(exafs, 300, { npre: 0, nnorm: 1 })).toMatchObject({ npre: 0, nnorm: 1 });
    expect(await userErrorOf(() => ranges(xanes, 0, {}))).toBe('here: no data below E0 = 0.00 eV: a pre-edge line cannot be fitted');
    expect(await userErrorOf(() => ranges(xanes, 100, {}))).toBe('here: no data above E0 = 100.00 eV: a post-edge cannot be fitted');
    const onePointBelow = Float64Array.from([0, 50, 51, 52, 53, 54, 55]);
    expect(await userErrorOf(() => ranges(onePointBelow, 10, {}))).toBe('here: only 1 point(s) below E0 = 10.00 eV; a pre-edge line needs 2');
  });

  it('sorts a downward scan and applies an energy shift', () => {
    const { energy, mu } = synthetic({ e0: 8333, step: 2.5, lo: 8100, hi: 8700, de: 1 });
    const rev = normalizeXas(energy.slice().reverse(), mu.slice().reverse(), { eshift: 2 });
    expect(Math.abs(rev.e0 - 8335)).toBeLessThan(0.5);
    expect(rev.energy[0]).toBe(8102);
  });

  it('normalizeSpectrum keeps id and labels', () => {
    const { energy, mu } = synthetic({ e0: 8333, step: 2.5, lo: 8100, hi: 8700, de: 1 });
    const { spectrum } = normalizeSpectrum({ id: 'a', energy, mu, labels: { OS: 2 }, source: 'x' }, { output: 'flat' });
    expect(spectrum.id).toBe('a');
    expect(spectrum.labels.OS).toBe(2);
    expect(spectrum.mu[spectrum.mu.length - 1]).toBeCloseTo(1, 1);
  });
});

describe('E0 and calibration', () => {
  it('ignores a one-point glitch bigger than the edge derivative', () => {
    const { energy, mu } = synthetic({ e0: 7112, step: 1, lo: 7000, hi: 7300, de: 0.5 });
    const k = energy.findIndex((e) => e >= 7250);
    mu[k] += 3;
    const r = findE0(energy, mu, { smoothSigma: 0 });
    expect(Math.abs(r.e0 - 7112)).toBeLessThan(0.5);
  });

  it('aligns spectra to a common E0 and computes calibration shifts', () => {
    const a = synthetic({ e0: 7110, step: 1, lo: 7000, hi: 7300, de: 0.5 });
    const b = synthetic({ e0: 7114.5, step: 1, lo: 7000, hi: 7300, de: 0.5 });
    const spectra = [a, b].map((s, i) => ({ id: `s${i}`, energy: s.energy, mu: s.mu, labels: {}, source: 'mem' }));
    const al = alignToE0(spectra, 7112);
    expect(Math.abs(al.shifts[0] - 2)).toBeLessThan(0.3);
    expect(Math.abs(al.shifts[1] + 2.5)).toBeLessThan(0.3);
    expect(calibrationShift(8981.2, 8979)).toBeCloseTo(-2.2, 10);
    expect(shiftEnergy(spectra[0], 1.5).energy[0]).toBe(7001.5);
  });

  it('polyfit reproduces a cubic at X-ray energies', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => 8000 + 10 * i);
    const y = x.map((v) => 1 + 2e-3 * (v - 8000) - 3e-6 * (v - 8000) ** 2 + 1e-9 * (v - 8000) ** 3);
    const p = polyfit(x, y, 3);
    expect(polyval(p, 8123)).toBeCloseTo(1 + 2e-3 * 123 - 3e-6 * 123 ** 2 + 1e-9 * 123 ** 3, 8);
    const c = rawCoefficients(polyfit(x, x.map((v) => 3 + 2 * v), 1));
    expect(c[0]).toBeCloseTo(3, 6);
    expect(c[1]).toBeCloseTo(2, 9);
  });
});
