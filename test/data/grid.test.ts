import { describe, expect, it } from 'vitest';
import { applyGrid, assembleSpectra, gridFromSpec, interpolateInto, resampleDataset, resampleSpectrum } from '../../src/data/grid.js';
import type { RawSpectrum, SpectralDataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/random.js';
import { userErrorOf } from './helpers.js';

/** Sorted random abscissae in [lo, hi] including both ends. */
function randomGrid(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const x = new Float64Array(n);
  x[0] = lo;
  x[n - 1] = hi;
  for (let i = 1; i < n - 1; i++) x[i] = lo + (hi - lo) * rng.uniform();
  x.sort();
  return x;
}

function raw(id: string, energy: number[], mu: number[], labels: Record<string, number> = {}): RawSpectrum {
  return { id, energy: Float64Array.from(energy), mu: Float64Array.from(mu), labels, source: `${id}.txt` };
}

describe('grids', () => {
  it('builds start/stop/step grids including stop when it falls on a step', () => {
    expect(Array.from(gridFromSpec({ start: 0, stop: 1, step: 0.1 }))).toHaveLength(11);
    expect(gridFromSpec({ start: 7100, stop: 7180, step: 0.5 })[160]).toBe(7180);
    expect(Array.from(gridFromSpec({ start: 0, stop: 1, step: 0.3 }))).toHaveLength(4);
  });

  it('builds {points} grids over the common range with exact ends', () => {
    const g = gridFromSpec({ points: 5 }, { lo: 2, hi: 3 });
    expect(Array.from(g)).toEqual([2, 2.25, 2.5, 2.75, 3]);
  });

  it('rejects impossible requests', async () => {
    expect(await userErrorOf(() => gridFromSpec({ start: 5, stop: 1, step: 1 }))).toMatch(/grid: expected start < stop/);
    expect(await userErrorOf(() => gridFromSpec({ start: 0, stop: 1, step: 1e-9 }))).toMatch(/check the step's unit/);
    expect(await userErrorOf(() => gridFromSpec({ points: 10 }, { lo: 3, hi: 2 }))).toMatch(/share no common energy range/);
  });
});

describe('linear resampling', () => {
  it('is exact (to rounding) on linear functions at random query points', () => {
    const rng = new Rng(1);
    for (let t = 0; t < 50; t++) {
      const x = randomGrid(rng, 5 + rng.int(100), 7000, 7200);
      const a = rng.normal();
      const b = rng.normal();
      const y = x.map((v) => a * (v - 7100) + b);
      const xq = randomGrid(rng, 2 + rng.int(300), 7000, 7200);
      const out = resampleSpectrum(x, y, xq);
      for (let q = 0; q < xq.length; q++) expect(out[q]).toBeCloseTo(a * (xq[q] - 7100) + b, 9);
    }
  });

  it('reproduces node values exactly', () => {
    const x = Float64Array.from([1, 2, 4, 8]);
    const y = Float64Array.from([3, -1, 7, 0.1]);
    expect(Array.from(resampleSpectrum(x, y, x))).toEqual(Array.from(y));
  });

  it('errors outside the range by default and extends flat when asked', async () => {
    const x = Float64Array.from([1, 2, 3]);
    const y = Float64Array.from([10, 20, 30]);
    const xq = Float64Array.from([0, 1.5, 4]);
    expect(await userErrorOf(() => resampleSpectrum(x, y, xq, { where: 's.txt' }))).toMatch(/s\.txt: the spectrum covers 1\.\.3 but the grid spans 0\.\.4/);
    expect(Array.from(resampleSpectrum(x, y, xq, { outside: 'clamp' }))).toEqual([10, 15, 30]);
    const out = new Float64Array(3);
    expect(interpolateInto(x, y, xq, out)).toEqual({ below: 1, above: 1 });
  });

  it('rejects a non-increasing abscissa with its index', async () => {
    const msg = await userErrorOf(() => resampleSpectrum([1, 3, 2], [0, 0, 0], [1, 2], { where: 'f.dat' }));
    expect(msg).toMatch(/f\.dat: energies must increase strictly: energies\[2\] = 2 follows energies\[1\] = 3/);
  });

  it('resamples a whole dataset', () => {
    const energies = Float64Array.from([0, 1, 2, 3]);
    const ds: SpectralDataset = {
      energies,
      spectra: Float32Array.from([0, 1, 2, 3, 10, 8, 6, 4]),
      n: 2,
      m: 4,
      ids: ['a', 'b'],
      descriptorNames: [],
      descriptors: new Float64Array(0),
    };
    const { dataset, warnings } = resampleDataset(ds, Float64Array.from([0.5, 2.5]));
    expect(Array.from(dataset.spectra)).toEqual([0.5, 2.5, 9, 5]);
    expect(warnings).toEqual([]);
    expect(applyGrid(ds, { points: 7 }).dataset.m).toBe(7);
  });
});

describe('assembling raw spectra', () => {
  const a = raw('a', [0, 1, 2, 3, 4], [0, 1, 2, 3, 4], { CN: 4 });
  const b = raw('b', [1, 2.5, 5], [1, 2.5, 5], { OS: 2 });

  it('puts spectra on the common range for {points}', () => {
    const { dataset, warnings } = assembleSpectra([a, b], { points: 4 });
    expect(Array.from(dataset.energies)).toEqual([1, 2, 3, 4]);
    expect(Array.from(dataset.spectra)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(dataset.descriptorNames).toEqual(['CN', 'OS']);
    expect(Array.from(dataset.descriptors)).toEqual([4, NaN, NaN, 2]);
    expect(warnings).toEqual([]);
  });

  it('names the spectrum a grid reaches beyond, or clamps with a warning', async () => {
    const spec = { start: 0, stop: 5, step: 1 };
    expect(await userErrorOf(() => assembleSpectra([a, b], spec))).toMatch(/a\.txt: spectrum "a": the spectrum covers 0\.\.4 but the grid spans 0\.\.5/);
    const { dataset, warnings } = assembleSpectra([a, b], spec, { outside: 'clamp' });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/spectrum "a" covers 0\.\.4; extended flat/);
    expect(Array.from(dataset.spectra.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 4]);
    expect(Array.from(dataset.spectra.subarray(6))).toEqual([1, 1, 2, 3, 4, 5]);
  });

  it('rejects a raw spectrum whose energies do not increase', async () => {
    const bad = raw('c', [0, 2, 2], [1, 2, 3]);
    expect(await userErrorOf(() => assembleSpectra([a, bad], { points: 3 }))).toMatch(/c\.txt: energies must increase strictly/);
  });
});
