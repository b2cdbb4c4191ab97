import { describe, expect, it } from 'vitest';
import type { NetworkSpec } from '../../src/model/spec.js';
import { specForward, type Forward } from '../../src/analysis/decode.js';
import { decoderSweep, parsePercentileRange } from '../../src/analysis/sweep.js';
import { maskingRelevance } from '../../src/analysis/relevance.js';
import { interpolateLatent } from '../../src/analysis/interpolation.js';
import { interpolateSorted, percentile, percentiles, quantileSorted } from '../../src/util/quantile.js';
import { topWindows } from '../../src/analysis/windows.js';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';

/** A one-layer linear network y = x W + b. */
function linearSpec(inputs: number, outputs: number, kernel: Float32Array, bias = new Float32Array(outputs)): NetworkSpec {
  return { inputs, outputs, layers: [{ kind: 'dense', inputs, units: outputs, kernel, bias }] };
}

function randomLatents(n: number, d: number, seed: number): Float32Array {
  const z = new Float32Array(n * d);
  new Rng(seed).fillNormal(z);
  for (let i = 0; i < n; i++) z[i * d + 1] = z[i * d + 1] * 2 + 1; // axis 1 wider and shifted
  return z;
}

describe('percentile', () => {
  it('matches numpy linear interpolation', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBeCloseTo(2.5, 12);
    expect(percentile([10, 0, 5], 25)).toBeCloseTo(2.5, 12);
    expect(percentile([3, NaN, 1], 100)).toBe(3);
    expect(parsePercentileRange('p5:p95')).toEqual([5, 95]);
    expect(parsePercentileRange('10:90')).toEqual([10, 90]);
    expect(() => parsePercentileRange('95:5')).toThrow(UserError);
  });

  it('percentiles, quantileSorted and interpolateSorted share one formula, bit for bit', () => {
    const rng = new Rng(3);
    const v = Float64Array.from({ length: 37 }, () => rng.normal());
    const s = Float64Array.from(v).sort();
    for (const p of [0, 0.5, 5, 33.3, 50, 95, 99.5, 100]) {
      const h = (p / 100) * (s.length - 1);
      const lo = Math.floor(h);
      const hi = Math.min(s.length - 1, lo + 1);
      expect(percentile(v, p)).toBe(s[lo] + (h - lo) * (s[hi] - s[lo]));
      expect(quantileSorted(s, p / 100)).toBe(percentile(v, p));
    }
    expect(percentiles(v, [5, 95])).toEqual([percentile(v, 5), percentile(v, 95)]);
    expect(percentiles([NaN], [5, 95])).toEqual([NaN, NaN]);
    // a 101-entry table of whole percentiles, read at a fractional percentile
    const table = Array.from({ length: 101 }, (_, i) => i * i);
    expect(interpolateSorted(table, 7.25)).toBe(49 + 0.25 * (64 - 49));
    expect(interpolateSorted(table, 100)).toBe(10000);
  });
});

describe('decoderSweep', () => {
  const d = 3;
  const m = 40;
  const energies = Float64Array.from({ length: m }, (_, j) => 8330 + 2 * j);
  const rng = new Rng(11);
  const W = new Float32Array(d * m);
  rng.fillNormal(W);
  const b = new Float32Array(m);
  rng.fillNormal(b);
  const spec = linearSpec(d, m, W, b);
  const n = 500;
  const latents = randomLatents(n, d, 2);

  it('zero mode decodes exactly value * e_axis, with monotone values across the percentile range', () => {
    const seen: Float32Array[] = [];
    const spy: Forward = (z, k) => {
      seen.push(z.slice());
      return specForward(spec)(z, k);
    };
    const res = decoderSweep(spy, d, latents, n, { energies, steps: 9, range: [5, 95] });
    expect(res.axes.length).toBe(d);
    expect(seen.length).toBe(d);
    for (const ax of res.axes) {
      const col = Array.from({ length: n }, (_, i) => latents[i * d + ax.axis]);
      expect(ax.values[0]).toBeCloseTo(percentile(col, 5), 10);
      expect(ax.values[8]).toBeCloseTo(percentile(col, 95), 10);
      for (let s = 1; s < 9; s++) expect(ax.values[s]).toBeGreaterThan(ax.values[s - 1]);
      expect(ax.spectra.length).toBe(9 * m);
      expect(ax.residuals.length).toBe(9 * m);
      // the decoder saw exactly the points (0,..,v_s,..,0)
      const z = seen[ax.axis];
      expect(z.length).toBe(9 * d);
      for (let s = 0; s < 9; s++) {
        for (let j = 0; j < d; j++) expect(z[s * d + j]).toBeCloseTo(j === ax.axis ? ax.values[s] : 0, 6);
        // linear decoder: spectrum = v W[axis] + b
        for (let e = 0; e < m; e++) expect(ax.spectra[s * m + e]).toBeCloseTo(ax.values[s] * W[ax.axis * m + e] + b[e], 4);
      }
      // residual relative to the middle step; sensitivity of a linear decoder is |W[axis]|
      expect(ax.midStep).toBe(4);
      for (let e = 0; e < m; e++) {
        expect(ax.residuals[ax.midStep * m + e]).toBe(0);
        expect(ax.sensitivity[e]).toBeCloseTo(Math.abs(W[ax.axis * m + e]), 3);
      }
      let best = 0;
      for (let e = 1; e < m; e++) if (Math.abs(W[ax.axis * m + e]) > Math.abs(W[ax.axis * m + best])) best = e;
      expect(ax.peakEnergy).toBe(energies[best]);
      expect(ax.topWindows.length).toBeGreaterThan(0);
      expect(ax.topWindows[0].from).toBeLessThanOrEqual(ax.peakEnergy + 60);
    }
  });

  it('prior-mean mode averages decodes over shared N(0,I) draws, axis fixed', () => {
    const S = 16;
    const seen: Float32Array[] = [];
    const spy: Forward = (z, k) => {
      seen.push(z.slice());
      // a nonlinear "decoder": squares, so the average differs from decoding the mean
      const out = new Float32Array(k * m);
      for (let i = 0; i < k; i++) for (let e = 0; e < m; e++) out[i * m + e] = (z[i * d] + z[i * d + 1] * e / m + z[i * d + 2]) ** 2;
      return out;
    };
    const res = decoderSweep(spy, d, latents, n, { energies, steps: 5, mode: 'prior-mean', priorSamples: S, seed: 7, axes: [1] });
    expect(res.axes.length).toBe(1);
    const z = seen[0];
    expect(z.length).toBe(5 * S * d);
    const ax = res.axes[0];
    for (let s = 0; s < 5; s++) {
      for (let k = 0; k < S; k++) {
        expect(z[(s * S + k) * d + 1]).toBeCloseTo(ax.values[s], 6);
        // same draws of the other axes at every step
        expect(z[(s * S + k) * d + 0]).toBe(z[k * d + 0]);
        expect(z[(s * S + k) * d + 2]).toBe(z[k * d + 2]);
      }
      for (let e = 0; e < m; e += 7) {
        let mean = 0;
        for (let k = 0; k < S; k++) {
          const r = (s * S + k) * d;
          mean += (z[r] + z[r + 1] * e / m + z[r + 2]) ** 2 / S;
        }
        expect(ax.spectra[s * m + e]).toBeCloseTo(mean, 4);
      }
    }
    // draws are not all zero and depend on the seed
    let spread = 0;
    for (let k = 0; k < S; k++) spread += Math.abs(z[k * d]);
    expect(spread).toBeGreaterThan(1);
    const again: Float32Array[] = [];
    decoderSweep((q, k) => (again.push(q.slice()), spy(q, k)), d, latents, n, { energies, steps: 5, mode: 'prior-mean', priorSamples: S, seed: 7, axes: [1] });
    expect(again[0]).toEqual(z);
  });

  it('rejects bad parameters with UserError', () => {
    const f = specForward(spec);
    expect(() => decoderSweep(f, d, latents, n, { energies, steps: 1 })).toThrow(UserError);
    expect(() => decoderSweep(f, d, latents, n, { energies, axes: [3] })).toThrow(/axis 3/);
    expect(() => decoderSweep(f, d, latents, n, { energies: energies.subarray(1) })).toThrow(UserError);
  });

  it('without latents sweeps the N(0,1) prior percentiles; explicit ranges still win', () => {
    const f = specForward(spec);
    const res = decoderSweep(f, d, new Float32Array(0), 0, { energies, steps: 3, range: [5, 95] });
    for (const ax of res.axes) {
      expect(ax.values[0]).toBeCloseTo(-1.6448536269514722, 12);
      expect(ax.values[2]).toBeCloseTo(1.6448536269514722, 12);
    }
    const given = decoderSweep(f, d, new Float32Array(0), 0, { energies, steps: 3, axes: [1], valueRanges: [undefined, [-1, 3]] });
    expect(Array.from(given.axes[0].values)).toEqual([-1, 1, 3]);
    expect(() => decoderSweep(f, d, new Float32Array(0), 0, { energies, range: [0, 95] })).toThrow(/strictly inside 0\.\.100/);
  });
});

describe('maskingRelevance', () => {
  it('masking the window an axis reads moves that axis, not the other', () => {
    const m = 100;
    const energies = Float64Array.from({ length: m }, (_, j) => 7100 + 0.5 * j); // 0.5 eV grid
    // axis 0 reads points 20..29, axis 1 reads points 60..69 (with different weights)
    const W = new Float32Array(m * 2);
    for (let j = 20; j < 30; j++) W[j * 2 + 0] = 1;
    for (let j = 60; j < 70; j++) W[j * 2 + 1] = 0.5;
    const encoder = linearSpec(m, 2, W);
    const n = 200;
    const rng = new Rng(4);
    const X = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      const a1 = 0.5 + rng.uniform();
      const a2 = 0.5 + rng.uniform();
      const c1 = 25 + rng.normal();
      const c2 = 65 + rng.normal();
      for (let j = 0; j < m; j++) {
        X[i * m + j] = 1 / (1 + Math.exp(-(j - 10) / 2)) + a1 * Math.exp(-((j - c1) ** 2) / 6) + a2 * Math.exp(-((j - c2) ** 2) / 6);
      }
    }
    for (const fill of ['interpolate', 'mean'] as const) {
      const r = maskingRelevance(specForward(encoder), 2, X, n, { energies, window: 4, fill });
      expect(r.windowPoints).toBe(9);
      expect(r.positions).toBe(m - 2 - 9 + 1);
      // where each axis responds most
      expect(r.peakEnergy[0]).toBeGreaterThan(energies[18]);
      expect(r.peakEnergy[0]).toBeLessThan(energies[32]);
      expect(r.peakEnergy[1]).toBeGreaterThan(energies[58]);
      expect(r.peakEnergy[1]).toBeLessThan(energies[72]);
      // at the window covering axis 0's region, axis 0 moves far more than axis 1
      const p0 = r.centers.findIndex((c) => Math.abs(c - energies[25]) < 0.3);
      expect(r.shift[p0 * 2 + 0]).toBeGreaterThan(10 * r.shift[p0 * 2 + 1] + 1e-3);
      // a window far from both regions moves neither
      const pFar = r.centers.findIndex((c) => Math.abs(c - energies[46]) < 0.3);
      expect(r.shift[pFar * 2 + 0]).toBeLessThan(1e-5);
      expect(r.shift[pFar * 2 + 1]).toBeLessThan(1e-5);
      expect(r.topWindows[0][0].from).toBeLessThanOrEqual(energies[25]);
      expect(r.topWindows[0][0].to).toBeGreaterThanOrEqual(energies[25] - 3);
    }
  });
});

describe('interpolateLatent', () => {
  it('decodes the straight latent path between encode(A) and encode(B)', () => {
    const m = 6;
    const d = 2;
    const rng = new Rng(8);
    const We = new Float32Array(m * d);
    rng.fillNormal(We);
    const Wd = new Float32Array(d * m);
    rng.fillNormal(Wd);
    const enc = specForward(linearSpec(m, d, We));
    const seen: Float32Array[] = [];
    const dec: Forward = (z, k) => (seen.push(z.slice()), specForward(linearSpec(d, m, Wd))(z, k));
    const A = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const B = Float32Array.from([0, 1, 0, 1, 0, 1]);
    const r = interpolateLatent(enc, dec, A, B, 5);
    const zA = enc(A, 1);
    const zB = enc(B, 1);
    expect(r.t).toEqual(Float64Array.from([0, 0.25, 0.5, 0.75, 1]));
    for (let s = 0; s < 5; s++) {
      for (let j = 0; j < d; j++) expect(seen[0][s * d + j]).toBeCloseTo((1 - r.t[s]) * zA[j] + r.t[s] * zB[j], 5);
    }
    // linear decoder: the midpoint spectrum is the mean of the end spectra
    for (let e = 0; e < m; e++) expect(r.spectra[2 * m + e]).toBeCloseTo((r.reconstructionA[e] + r.reconstructionB[e]) / 2, 4);
  });
});

describe('topWindows', () => {
  it('finds non-overlapping windows, best first', () => {
    const e = Float64Array.from({ length: 50 }, (_, i) => i);
    const c = new Float64Array(50);
    c[10] = 5;
    c[11] = 5;
    c[40] = 3;
    const w = topWindows(e, c, 4, 3);
    expect(w.length).toBe(2);
    expect(w[0].from).toBeLessThanOrEqual(10);
    expect(w[0].to).toBeGreaterThanOrEqual(11);
    expect(w[0].share).toBeCloseTo(10 / 13, 9);
    expect(w[1].peak).toBe(40);
  });
});
