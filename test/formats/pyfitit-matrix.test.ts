import { describe, expect, it, vi } from 'vitest';
import { pickReader, readSpectra } from '../../src/data/formats/index.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { loadSpectra } from '../../src/data/load.js';
import { userErrorOf } from '../data/helpers.js';
import { pyfititFormat, readPyfititSample } from '../../src/data/formats/pyfitit.js';
import { edge, put, range, tempDir } from './helpers.js';

const energies = range(7100, 7140, 2);
const spectrumOf = (e0: number) => edge(energies, e0, 1).map((v) => +v.toFixed(6));

/** Column-wise text: energy column, then one column per spectrum. */
function matrixText(ids: string[], e0s: number[], sep = ',', energyName = 'energy', order = energies.map((_, i) => i)): string {
  const cols = e0s.map(spectrumOf);
  const lines = [[energyName, ...ids].join(sep)];
  for (const r of order) lines.push([energies[r], ...cols.map((c) => c[r])].join(sep));
  return lines.join('\n') + '\n';
}

describe('column-wise matrix with a label table', () => {
  it('reads one spectrum per column, sorts descending energies and joins the sibling label table by name', async () => {
    const dir = tempDir();
    const order = energies.map((_, i) => energies.length - 1 - i);
    const p = put(dir, 'calc.csv', matrixText(['FeO', 'Fe2O3', 'Fe3O4'], [7120, 7124, 7122], ',', 'energy', order));
    put(dir, 'calc_labels.csv', 'name,valence,cn,phase\nFe2O3,3,6,hematite\nFeO,2,6,wustite\nFe3O4,2.667,,magnetite\n');
    expect(pickReader(p).name).toBe('matrix');
    const ds = (await readSpectra(p)) as SpectralDataset;
    expect(ds.ids).toEqual(['FeO', 'Fe2O3', 'Fe3O4']);
    expect(Array.from(ds.energies)).toEqual(energies);
    expect(ds.spectra[1 * ds.m + 10]).toBeCloseTo(spectrumOf(7124)[10], 6);
    expect(ds.descriptorNames).toEqual(['valence', 'cn']);
    expect(Array.from(ds.descriptors)).toEqual([2, 6, 3, 6, 2.667, NaN]);
    // and through the loader, which picks descriptors in axis order
    const loaded = await loadSpectra(p, { descriptors: ['cn', 'valence'] });
    expect(Array.from(loaded.dataset.descriptors.subarray(0, 2))).toEqual([6, 2]);
  });

  it('takes an explicit label table and names file, line and column for bad cells', async () => {
    const dir = tempDir();
    const p = put(dir, 'm.tsv', matrixText(['a', 'b'], [7120, 7125], '\t', 'E'));
    const labels = put(dir, 'other.csv', 'id,OS\na,2\nb,3\n');
    const ds = (await readSpectra(p, 'matrix', { labels })) as SpectralDataset;
    expect(Array.from(ds.descriptors)).toEqual([2, 3]);
    const bad = put(dir, 'bad.csv', matrixText(['a', 'b'], [7120, 7125]).replace(/\n7110,([^,]+),[^\n]+/, '\n7110,$1,oops'));
    expect(await userErrorOf(() => readSpectra(bad, 'matrix'))).toMatch(/bad\.csv:7:3: intensity "oops" in column "b" is not a finite number/);
    const orphan = put(dir, 'orphan.csv', 'id,OS\na,2\n');
    expect(await userErrorOf(() => readSpectra(p, 'matrix', { labels: orphan }))).toMatch(/orphan\.csv: 1 spectra have no row in the label table .*: b/);
    const unordered = put(dir, 'unordered.csv', matrixText(['a'], [7120], ',', 'energy', [0, 1, 3, 2, ...energies.map((_, i) => i).slice(4)]));
    expect(await userErrorOf(() => readSpectra(unordered, 'matrix'))).toMatch(/unordered\.csv:5:1: energies must increase \(or decrease\) strictly/);
  });
});

describe('pyFitIt sample folders', () => {
  it('reads params.csv with <type>_spectra.csv columns, meta.json name column and label maps', async () => {
    const dir = tempDir();
    put(dir, 'params.csv', 'name\tCN\tavgDist\tphase\tnote\ncn5_0\t5\t2.05\thematite\tok\ncn4_1\t4\t1.98\tmagnetite\tok\ncn6_2\t6\t2.10\thematite\tok\n');
    put(dir, 'xanes_spectra.csv', matrixText(['0', '1', '2'], [7120, 7122, 7124], ',', 'energy'));
    put(dir, 'meta.json', JSON.stringify({ nameColumn: 'name', labelMaps: { phase: { hematite: 0, magnetite: 1 } } }));
    expect(pickReader(dir).name).toBe('pyfitit');
    const ds = (await readSpectra(dir)) as SpectralDataset;
    expect(ds.ids).toEqual(['cn5_0', 'cn4_1', 'cn6_2']);
    expect(ds.descriptorNames).toEqual(['CN', 'avgDist', 'phase']);
    expect(Array.from(ds.descriptors)).toEqual([5, 2.05, 0, 4, 1.98, 1, 6, 2.1, 0]);
    expect(ds.spectra[2 * ds.m + 12]).toBeCloseTo(spectrumOf(7124)[12], 6);
  });

  it('reads the older layout: space-separated params.txt and spectra.txt with one e_<energy> row per sample', async () => {
    const dir = tempDir();
    put(dir, 'params.txt', 'shift1 shift2\n0.1 0.2\n0.3 0.4\n');
    const rows = [spectrumOf(7120), spectrumOf(7130)];
    put(dir, 'spectra.txt', [energies.map((e) => `e_${e}`).join(' '), ...rows.map((r) => r.join(' '))].join('\n') + '\n');
    const ds = (await readSpectra(dir)) as SpectralDataset;
    expect(ds.n).toBe(2);
    expect(ds.ids).toEqual(['0', '1']);
    expect(Array.from(ds.energies)).toEqual(energies);
    expect(Array.from(ds.descriptors)).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(ds.spectra[1 * ds.m + 15]).toBeCloseTo(rows[1][15], 6);
  });

  it('says what does not match: spectra count against params rows, unmapped text labels', async () => {
    const dir = tempDir();
    put(dir, 'params.csv', 'CN\n4\n5\n');
    put(dir, 'default_spectra.csv', matrixText(['0', '1', '2'], [7120, 7122, 7124]));
    expect(await userErrorOf(() => readSpectra(dir))).toMatch(/default_spectra\.csv: 3 spectrum columns but .*params\.csv has 2 rows/);
    const d2 = tempDir();
    put(d2, 'params.csv', 'phase\nhematite\ngoethite\n');
    put(d2, 'default_spectra.csv', matrixText(['0', '1'], [7120, 7122]));
    put(d2, 'meta.json', JSON.stringify({ labelMaps: { phase: { hematite: 0 } } }));
    expect(await userErrorOf(() => readSpectra(d2))).toMatch(/params\.csv:3:1: "goethite" in column "phase" has no entry in meta.json labelMaps.phase/);
  });
});

describe('pyFitIt folders: choices and errors', () => {
  const spectra = (ids: string[], e0s: number[]) => matrixText(ids, e0s, ',', 'energy');

  it('reads the type meta.json names, else the first in sorted order, and a "name" column as ids', async () => {
    const dir = tempDir();
    put(dir, 'params.csv', 'Name,CN,note\nA,4,x\nB,,y\n');
    put(dir, 'xanes_spectra.csv', spectra(['0', '1'], [7120, 7122]));
    put(dir, 'exafs_spectra.txt', spectra(['0', '1'], [7130, 7132]));
    put(dir, 'notes_spectra.csv/keep', 'a folder, not a table');
    const first = readPyfititSample(dir);
    expect(first.ids).toEqual(['A', 'B']);
    expect(first.spectra[0]).toBeCloseTo(spectrumOf(7130)[0], 6);
    expect(first.descriptorNames).toEqual(['CN']);
    expect(Array.from(first.descriptors)).toEqual([4, NaN]);
    expect(first).toMatchObject({ n: 2, m: energies.length, axis: 'energy', source: dir });
    put(dir, 'meta.json', JSON.stringify({ defaultSpType: 'xanes' }));
    expect(readPyfititSample(dir).spectra[0]).toBeCloseTo(spectrumOf(7120)[0], 6);
    put(dir, 'meta.json', JSON.stringify({ defaultSpType: 'xes' }));
    expect(() => readPyfititSample(dir)).toThrow(/meta\.json: meta\.json names spectrum type "xes" but the folder holds exafs, xanes$/);
    put(dir, 'meta.json', JSON.stringify({ nameColumn: 'id' }));
    expect(() => readPyfititSample(dir)).toThrow(/meta\.json: meta\.json nameColumn "id" is not a column of .*params\.csv$/);
    put(dir, 'meta.json', '[1, 2]');
    expect(() => readPyfititSample(dir)).toThrow(/meta\.json: expected a JSON object$/);
    put(dir, 'meta.json', 'null');
    expect(() => readPyfititSample(dir)).toThrow(/meta\.json: expected a JSON object$/);
  });

  it('is claimed only for a folder with a parameter table and a spectrum table', () => {
    const dir = tempDir();
    expect(pyfititFormat.detect(dir, Buffer.alloc(0))).toBe(false);
    expect(() => readPyfititSample(dir)).toThrow(/not a pyFitIt sample: no params\.csv or params\.txt$/);
    put(dir, 'params.txt', 'a\n1\n2\n');
    expect(pyfititFormat.detect(dir, Buffer.alloc(0))).toBe(false);
    expect(() => readPyfititSample(dir)).toThrow(/not a pyFitIt sample: no spectra\.txt or <type>_spectra\.csv\/\.txt$/);
    put(dir, 'spectra.csv', spectra(['0', '1'], [7120, 7122]));
    expect(pyfititFormat.detect(dir, Buffer.alloc(0))).toBe(true);
    expect(pyfititFormat.detect(dir, Buffer.from('x'))).toBe(false);
    expect(pyfititFormat.name).toBe('pyfitit');
    expect(pyfititFormat.describe).toMatch(/pyFitIt sample folder/);
    expect((pyfititFormat.read(dir, {}) as SpectralDataset).ids).toEqual(['0', '1']);
    const f = put(dir, 'file.txt', 'x');
    expect(pyfititFormat.detect(f, Buffer.alloc(0))).toBe(false);
  });

  it('checks the row layout: increasing energies, numeric cells', () => {
    const dir = tempDir();
    put(dir, 'params.txt', 'a\n1\n2\n');
    put(dir, 'spectra.txt', 'e_1 e_3 e_2\n1 2 3\n4 5 6\n');
    expect(() => readPyfititSample(dir)).toThrow(/spectra\.txt:1:3: energies must increase: column "e_2" follows "e_3"$/);
    put(dir, 'spectra.txt', 'E_1 2 e_3\n1 2 3\n4 x 6\n');
    expect(() => readPyfititSample(dir)).toThrow(/spectra\.txt:3:2: intensity "x" in column "2" is not a finite number$/);
    put(dir, 'spectra.txt', 'e_1 e_2 e_3\n1 2 3\n4 1e39 6\n');
    expect(() => readPyfititSample(dir)).toThrow(/spectra\.txt:3:2: intensity "1e39" in column "e_2": expected a number within the float32 range of spectra \(magnitude below 3\.4e38\)$/);
    put(dir, 'spectra.txt', '1 2 2\n1 2 3\n4 5 6\n');
    expect(() => readPyfititSample(dir)).toThrow(/energies must increase: column "2" follows "2"/);
    put(dir, 'spectra.txt', 'e_1 e_2 e_3\n1 2 3\n4 5 6\n');
    const ds = readPyfititSample(dir);
    expect(Array.from(ds.energies)).toEqual([1, 2, 3]);
    expect(Array.from(ds.spectra)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('pyFitIt warnings', () => {
  it('says which spectrum type it read when there are several, and which text columns it left out', () => {
    const dir = tempDir();
    put(dir, 'params.csv', 'CN,phase\n4,a\n5,b\n');
    put(dir, 'xanes_spectra.csv', matrixText(['0', '1'], [7120, 7122]));
    put(dir, 'exafs_spectra.csv', matrixText(['0', '1'], [7120, 7122]));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      readPyfititSample(dir);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
        `warning: ${dir}: spectrum types exafs, xanes; reading "exafs" (set defaultSpType in meta.json to choose)\n`,
        `warning: ${dir}/params.csv: text columns left out of the labels: phase\n`,
      ]);
      err.mockClear();
      put(dir, 'meta.json', JSON.stringify({ defaultSpType: 'xanes', labelMaps: { phase: { a: 1, b: 2 } } }));
      expect(Array.from(readPyfititSample(dir).descriptors)).toEqual([4, 1, 5, 2]);
      expect(err).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
    }
  });
});
