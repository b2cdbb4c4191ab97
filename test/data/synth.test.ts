import { describe, expect, it } from 'vitest';
import { spearman } from '../../src/metrics/correlation.js';
import { descriptorColumn, spectrumRow, type SpectralDataset } from '../../src/data/dataset.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { userErrorOf } from './helpers.js';

/** E0 estimated from the spectrum alone: first upward crossing of half the edge step (linear interpolation). */
function halfStepEnergy(ds: SpectralDataset, i: number): number {
  const y = spectrumRow(ds, i);
  const e = ds.energies;
  for (let c = 1; c < ds.m; c++) {
    // Require the next points to stay above 0.5 so a noisy pre-edge cannot trigger it.
    if (y[c - 1] < 0.5 && y[c] >= 0.5 && y[Math.min(c + 2, ds.m - 1)] > 0.5) {
      return e[c - 1] + ((0.5 - y[c - 1]) / (y[c] - y[c - 1])) * (e[c] - e[c - 1]);
    }
  }
  return NaN;
}

/** Largest intensity in a window, e.g. the pre-edge region. */
function peak(ds: SpectralDataset, i: number, lo: number, hi: number): number {
  const y = spectrumRow(ds, i);
  let best = -Infinity;
  for (let c = 0; c < ds.m; c++) if (ds.energies[c] >= lo && ds.energies[c] <= hi) best = Math.max(best, y[c]);
  return best;
}

/**
 * Energy above E0 of the first post-edge minimum past the white line
 * (smoothed over 5 points). Longer bonds put EXAFS features closer to the
 * edge (Natoli's rule, (E - E0) R^2 roughly constant), so it falls with BL.
 */
function postEdgeMinimum(ds: SpectralDataset, i: number, e0: number): number {
  const y = spectrumRow(ds, i);
  let best = Infinity;
  let at = NaN;
  for (let c = 2; c < ds.m - 2; c++) {
    const de = ds.energies[c] - e0;
    if (de < 20 || de > 55) continue;
    const v = (y[c - 2] + y[c - 1] + y[c] + y[c + 1] + y[c + 2]) / 5;
    if (v < best) {
      best = v;
      at = de;
    }
  }
  return at;
}

describe('synthetic XANES', () => {
  const ds = synthesizeXanes({ count: 600, points: 256, seed: 42, noise: 0.01 });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = synthesizeXanes({ count: 600, points: 256, seed: 42, noise: 0.01 });
    expect(again.spectra).toEqual(ds.spectra);
    expect(again.descriptors).toEqual(ds.descriptors);
    const other = synthesizeXanes({ count: 600, points: 256, seed: 43, noise: 0.01 });
    expect(other.descriptors).not.toEqual(ds.descriptors);
  });

  it('has the documented shape, grid and descriptor ranges', () => {
    expect(ds.descriptorNames).toEqual(['OS', 'CN', 'BL']);
    expect(ds.energies[0]).toBe(7100);
    expect(ds.energies[ds.m - 1]).toBe(7180);
    const os = descriptorColumn(ds, 0);
    const cn = descriptorColumn(ds, 1);
    const bl = descriptorColumn(ds, 2);
    expect(Math.min(...os)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...os)).toBeLessThanOrEqual(4);
    expect(new Set(cn)).toEqual(new Set([4, 5, 6]));
    expect(Math.min(...bl)).toBeGreaterThanOrEqual(1.85);
    expect(Math.max(...bl)).toBeLessThanOrEqual(2.15);
    // Independent draws: no descriptor predicts another.
    expect(Math.abs(spearman(os, cn))).toBeLessThan(0.12);
    expect(Math.abs(spearman(os, bl))).toBeLessThan(0.12);
    expect(Math.abs(spearman(cn, bl))).toBeLessThan(0.12);
    expect(ds.spectra.every(Number.isFinite)).toBe(true);
  });

  it('OS drives the edge position E0', () => {
    const e0 = Array.from({ length: ds.n }, (_, i) => halfStepEnergy(ds, i));
    expect(e0.every(Number.isFinite)).toBe(true);
    expect(spearman(descriptorColumn(ds, 0), e0)).toBeGreaterThan(0.95);
    // ...and not the others.
    expect(Math.abs(spearman(descriptorColumn(ds, 2), e0))).toBeLessThan(0.15);
  });

  it('CN drives the pre-edge peak (down) and the white line (up)', () => {
    const cn = descriptorColumn(ds, 1);
    const pre = Array.from({ length: ds.n }, (_, i) => peak(ds, i, 7111, 7116));
    const white = Array.from({ length: ds.n }, (_, i) => peak(ds, i, 7120, 7140));
    expect(spearman(cn, pre)).toBeLessThan(-0.8);
    expect(spearman(cn, white)).toBeGreaterThan(0.8);
    const meanPre = (level: number) => {
      const v = pre.filter((_, i) => cn[i] === level);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(meanPre(4)).toBeGreaterThan(meanPre(5));
    expect(meanPre(5)).toBeGreaterThan(meanPre(6));
  });

  it('BL drives the post-edge oscillation (features move toward the edge as BL grows)', () => {
    const bl = descriptorColumn(ds, 2);
    const dmin = Array.from({ length: ds.n }, (_, i) => postEdgeMinimum(ds, i, halfStepEnergy(ds, i)));
    expect(spearman(bl, dmin)).toBeLessThan(-0.8);
    expect(Math.abs(spearman(descriptorColumn(ds, 0), dmin))).toBeLessThan(0.15);
  });

  it('writes only the requested descriptors and holds the others fixed', () => {
    const only = synthesizeXanes({ count: 50, points: 64, seed: 1, descriptors: ['CN'] });
    expect(only.descriptorNames).toEqual(['CN']);
    const e0 = Array.from({ length: only.n }, (_, i) => halfStepEnergy(only, i));
    // OS fixed at 3: E0 = 7123 for all, up to the edge-width nuisance and noise.
    expect(Math.max(...e0) - Math.min(...e0)).toBeLessThan(1.5);
  });

  it('rejects bad options', async () => {
    expect(await userErrorOf(() => synthesizeXanes({ count: 0 }))).toMatch(/count must be a positive integer/);
    expect(await userErrorOf(() => synthesizeXanes({ descriptors: ['XX' as 'OS'] }))).toMatch(/unknown synthetic descriptor "XX" \(available: OS, CN, BL, EW, DW\)/);
  });
});

describe('synthetic EW and DW descriptors', () => {
  it('reports the edge width and damps the post-edge oscillation with DW, leaving OS/CN/BL data unchanged', async () => {
    const base = synthesizeXanes({ count: 300, points: 160, noise: 0, seed: 4 });
    const wide = synthesizeXanes({ count: 300, points: 160, noise: 0, seed: 4, descriptors: ['OS', 'CN', 'BL', 'EW', 'DW'] });
    expect(wide.descriptorNames).toEqual(['OS', 'CN', 'BL', 'EW', 'DW']);
    // OS, CN, BL draws are the same stream whether or not EW/DW are reported.
    for (let i = 0; i < 300; i++) for (let j = 0; j < 3; j++) expect(wide.descriptors[i * 5 + j]).toBe(base.descriptors[i * 3 + j]);
    const ew = Array.from({ length: 300 }, (_, i) => wide.descriptors[i * 5 + 3]);
    const dw = Array.from({ length: 300 }, (_, i) => wide.descriptors[i * 5 + 4]);
    expect(Math.min(...ew)).toBeGreaterThanOrEqual(1.2);
    expect(Math.max(...ew)).toBeLessThanOrEqual(1.8);
    expect(Math.min(...dw)).toBeGreaterThanOrEqual(0.001);
    expect(Math.max(...dw)).toBeLessThanOrEqual(0.008);
    // Larger DW leaves less oscillation: distance to the fully damped spectrum falls monotonically.
    const { synthSpectrum } = await import('../../src/data/synth.js');
    const energies = Array.from({ length: 160 }, (_, c) => 7100 + c * 0.5);
    const oscillation = (DW: number) => {
      const a = new Float64Array(160);
      const flat = new Float64Array(160);
      synthSpectrum({ OS: 3, CN: 5, BL: 2, edgeWidth: 1.5, DW }, energies, a);
      synthSpectrum({ OS: 3, CN: 5, BL: 2, edgeWidth: 1.5, DW: 10 }, energies, flat);
      return a.reduce((s, v, c) => s + Math.abs(v - flat[c]), 0);
    };
    const levels = [0.001, 0.003, 0.005, 0.008].map(oscillation);
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeLessThan(levels[i - 1]);
  });
});
