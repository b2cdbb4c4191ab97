import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { readJsonSpectra, writeJsonSpectra } from '../../src/data/formats/json.js';
import { readArrow, writeArrow } from '../../src/data/formats/arrow.js';
import { pickReader, writeSpectra } from '../../src/data/formats/index.js';
import { loadSpectra } from '../../src/data/load.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import type { RawSpectrum, SpectralDataset } from '../../src/data/dataset.js';
import { tempFiles, userErrorOf } from './helpers.js';

const { dir, file } = tempFiles();

function expectSame(a: SpectralDataset, b: SpectralDataset): void {
  expect(b.n).toBe(a.n);
  expect(b.m).toBe(a.m);
  expect(b.ids).toEqual(a.ids);
  expect(b.descriptorNames).toEqual(a.descriptorNames);
  expect(Array.from(b.energies)).toEqual(Array.from(a.energies));
  expect(Array.from(b.descriptors)).toEqual(Array.from(a.descriptors));
  expect(Array.from(b.spectra)).toEqual(Array.from(a.spectra));
}

function withMissingLabel(ds: SpectralDataset): SpectralDataset {
  const descriptors = ds.descriptors.slice();
  descriptors[4] = NaN;
  return { ...ds, descriptors };
}

describe('JSON reader', () => {
  it('reads the grid form', () => {
    const p = file(
      'grid.json',
      JSON.stringify({ energies: [1, 2, 3], spectra: [[1, 2, 3], [4, 5, 6]], descriptors: { CN: [4, null] }, ids: ['a', 'b'] }),
    );
    const ds = readJsonSpectra(p) as SpectralDataset;
    expect(ds.n).toBe(2);
    expect(ds.ids).toEqual(['a', 'b']);
    expect(Array.from(ds.descriptors)).toEqual([4, NaN]);
    expect(Array.from(ds.spectra)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads the record form as raw spectra and assembles them on a grid', async () => {
    const recs = [
      { id: 'a', energy: [0, 1, 2, 3], mu: [0, 2, 4, 6], descriptors: { CN: 4 } },
      { id: 'b', energies: [0.5, 2.5, 3.5], intensity: [1, 5, 7], labels: { OS: 3 } },
    ];
    const p = file('recs.json', JSON.stringify(recs));
    const raw = readJsonSpectra(p) as RawSpectrum[];
    expect(raw.map((r) => r.id)).toEqual(['a', 'b']);
    const { dataset } = await loadSpectra(p, { grid: { points: 3 } });
    expect(Array.from(dataset.energies)).toEqual([0.5, 1.75, 3]);
    // Both spectra are mu = 2 E, so linear interpolation reproduces it.
    expect(Array.from(dataset.spectra)).toEqual([1, 3.5, 6, 1, 3.5, 6]);
    expect(dataset.descriptorNames).toEqual(['CN', 'OS']);
    expect(Array.from(dataset.descriptors)).toEqual([4, NaN, NaN, 3]);
  });

  it('round-trips through writeJsonSpectra losslessly (missing labels included)', () => {
    const ds = withMissingLabel(synthesizeXanes({ count: 20, points: 16, seed: 5 }));
    const p = join(dir, 'rt.json');
    writeJsonSpectra(ds, p);
    expectSame(ds, readJsonSpectra(p) as SpectralDataset);
  });

  const broken: [string, string, RegExp][] = [
    ['syntax.json', '{"energies": [1, 2],\n "spectra": [[1, 2],, ]}', /syntax\.json:2:\d+: not valid JSON/],
    ['short.json', '{"energies": [1, 2, 3], "spectra": [[1, 2, 3], [1, 2]]}', /short\.json: spectra\[1\]: expected 3 numbers, found 2/],
    ['null.json', '{"energies": [1, 2], "spectra": [[1, null]]}', /null\.json: spectra\[0\]\[1\]: expected a finite number, found null/],
    ['text.json', '{"energies": [1, 2], "spectra": [[1, "x"]]}', /text\.json: spectra\[0\]\[1\]: expected a finite number, found "x"/],
    ['order.json', '{"energies": [1, 3, 2], "spectra": [[1, 2, 3]]}', /order\.json: energies\[2\]: energies must increase strictly/],
    ['empty.json', '{"energies": [1, 2], "spectra": []}', /empty\.json: spectra: no spectra/],
    ['key.json', '{"energies": [1, 2], "spectra": [[1, 2]], "extra": 1}', /key\.json: unknown key "extra"/],
    ['desc.json', '{"energies": [1, 2], "spectra": [[1, 2]], "descriptors": {"CN": [1, 2]}}', /desc\.json: descriptors\.CN: expected 1 values/],
    ['rec.json', '[{"id": "a", "energy": [1, 2], "mu": [1]}]', /rec\.json: \[0\]\.mu: expected 2 numbers, found 1/],
    ['emptyarr.json', '[]', /emptyarr\.json: no spectra/],
  ];
  for (const [name, text, pattern] of broken) {
    it(`rejects ${name}`, async () => {
      expect(await userErrorOf(() => readJsonSpectra(file(name, text)))).toMatch(pattern);
    });
  }

  it('names both grids when records differ and no grid is requested', async () => {
    const p = file('ragged.json', JSON.stringify([{ energy: [0, 1], mu: [0, 1] }, { energy: [0, 2], mu: [0, 1] }]));
    expect(await userErrorOf(() => loadSpectra(p))).toMatch(/spectra are on different grids .*set a grid/);
  });
});

describe('Arrow IPC', () => {
  it('round-trips exactly, with missing labels, and is auto-detected', async () => {
    const ds = withMissingLabel(synthesizeXanes({ count: 300, points: 64, seed: 9 }));
    const p = join(dir, 'rt.arrow');
    writeArrow(ds, p);
    expect(pickReader(p).name).toBe('arrow');
    expectSame(ds, readArrow(p));
    const { dataset } = await loadSpectra(p);
    expectSame(ds, dataset);
  });

  it('writeSpectra picks the format from the extension, .feather included', () => {
    const ds = synthesizeXanes({ count: 5, points: 8, seed: 1 });
    const p = join(dir, 'x.feather');
    writeSpectra(ds, p);
    expectSame(ds, readArrow(p));
  });

  it('reads a wide ENE_/AUX_ table such as pandas to_feather writes', () => {
    const table = tableFromArrays({
      name: ['a', 'b'],
      AUX_CN: Float64Array.from([4, 6]),
      ENE_1: Float64Array.from([0.5, 1.5]),
      ENE_2: Float64Array.from([2.5, 3.5]),
    });
    const p = file('wide.arrow', tableToIPC(table, 'file'));
    const ds = readArrow(p);
    expect(ds.ids).toEqual(['a', 'b']);
    expect(ds.descriptorNames).toEqual(['CN']);
    expect(Array.from(ds.energies)).toEqual([1, 2]);
    expect(Array.from(ds.spectra)).toEqual([0.5, 2.5, 1.5, 3.5]);
  });

  it('the registry names the formats it knows when asked for an unknown one or when nothing matches', async () => {
    expect(await userErrorOf(() => pickReader(join(dir, 'rt.arrow'), 'xdi-typo'))).toMatch(/unknown format "xdi-typo" \(expected auto or one of .*arrow, json, csv, long-csv/);
    expect(await userErrorOf(() => pickReader(file('what.bin', 'xyz')))).toMatch(/what\.bin: cannot tell the format/);
    expect(await userErrorOf(() => pickReader(join(dir, 'missing.csv')))).toMatch(/missing\.csv: file not found/);
  });

  it('rejects garbage and tables without spectra', async () => {
    expect(await userErrorOf(() => readArrow(file('junk.arrow', 'not arrow at all')))).toMatch(/junk\.arrow: not a readable Arrow/);
    const p = file('nospec.arrow', tableToIPC(tableFromArrays({ a: Float64Array.from([1]) }), 'file'));
    expect(await userErrorOf(() => readArrow(p))).toMatch(/nospec\.arrow: expected a "spectrum" FixedSizeList column/);
  });
});
