import { describe, expect, it, vi } from 'vitest';
import { columnSpectra, matrixFormat, numberCell, parseTextGrid, readSpectraMatrix } from '../../src/data/formats/matrix.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { userErrorOf } from '../data/helpers.js';
import { put, tempDir } from './helpers.js';

describe('text grid', () => {
  it('sniffs tab, comma, semicolon or white space from the header and strips quotes', () => {
    expect(parseTextGrid('e\ta b\tc\n1\t2 3\t4\n', 's')).toMatchObject({ header: ['e', 'a b', 'c'], rows: [['1', '2 3', '4']] });
    expect(parseTextGrid('"e", "a;b" ,c\n1,2,3\n', 's').header).toEqual(['e', 'a;b', 'c']);
    expect(parseTextGrid('e;a;b\n1;2;3\n', 's').rows).toEqual([['1', '2', '3']]);
    expect(parseTextGrid('  e   a  b \n 1  2   3\n', 's').rows).toEqual([['1', '2', '3']]);
    expect(parseTextGrid('e "a" b\n1 2 3\n', 's').header).toEqual(['e', '"a"', 'b']);
  });

  it('strips only a leading byte-order mark and quotes around a whole cell', () => {
    const g = parseTextGrid('\uFEFFe,a\uFEFFb,x"y","p"q, "r" \n1,2,3,4,5\n', 's');
    expect(g.header).toEqual(['e', 'a\uFEFFb', 'x"y"', '"p"q', 'r']);
    expect(matrixFormat.detect('m.csv', Buffer.from('ener\uFEFFgy,a,b\n'))).toBe(false);
    expect(matrixFormat.detect('m.csv', Buffer.from('e"n"ergy,a,b\n'))).toBe(false);
    expect(matrixFormat.detect('m.csv', Buffer.from(' "energy" , a , b\n'))).toBe(true);
  });

  it('skips a byte-order mark, blank and comment lines, and counts lines from the file start', () => {
    const g = parseTextGrid('\uFEFF# made by hand\n\n  \ne,a\n! note\n1,2\n\n% x\n3,4\r\n', 's.txt', '#!%');
    expect(g.header).toEqual(['e', 'a']);
    expect(g.rows).toEqual([['1', '2'], ['3', '4']]);
    expect(g.headerLine).toBe(4);
    expect(g.lines).toEqual([6, 9]);
    // only the given comment characters
    expect(parseTextGrid('e,a\n!1,2\n', 's').rows).toEqual([['!1', '2']]);
  });

  it('names the file and line of a ragged row, an empty file and a header alone', async () => {
    expect(await userErrorOf(() => parseTextGrid('e,a,b\n1,2,3\n\n4,5\n', 'g.csv'))).toBe('g.csv:4: expected 3 fields as in the header, found 2');
    expect(await userErrorOf(() => parseTextGrid('\n# x\n', 'g.csv'))).toBe('g.csv: empty file: no header row');
    expect(await userErrorOf(() => parseTextGrid('e,a\n', 'g.csv'))).toBe('g.csv: no data rows after the header');
  });

  it('reads number cells (Fortran exponents too) and names line and column of a bad one', async () => {
    const g = parseTextGrid('e,a,b\n1,2.5d1,x\n2,nan,3\n', 'n.csv');
    expect(numberCell(g, 0, 1, 'n.csv')).toBe(25);
    expect(await userErrorOf(() => numberCell(g, 0, 2, 'n.csv'))).toBe('n.csv:2:3: value "x" in column "b" is not a finite number');
    expect(await userErrorOf(() => numberCell(g, 1, 1, 'n.csv', 'intensity'))).toBe('n.csv:3:2: intensity "nan" in column "a" is not a finite number');
  });
});

describe('spectra as columns', () => {
  it('returns rows per spectrum on increasing energies, whichever way the file runs and wherever the energy column is', () => {
    const up = columnSpectra(parseTextGrid('e,a,b\n1,10,20\n2,11,21\n3,12,22\n', 's'), 's');
    expect(Array.from(up.energies)).toEqual([1, 2, 3]);
    expect(Array.from(up.spectra)).toEqual([10, 11, 12, 20, 21, 22]);
    expect(up.ids).toEqual(['a', 'b']);
    const down = columnSpectra(parseTextGrid('a,e,b\n12,3,22\n11,2,21\n10,1,20\n', 's'), 's', 1);
    expect(Array.from(down.energies)).toEqual([1, 2, 3]);
    expect(Array.from(down.spectra)).toEqual([10, 11, 12, 20, 21, 22]);
    expect(down.ids).toEqual(['a', 'b']);
  });

  it('refuses repeats and direction changes of the energies, and too few points or columns', async () => {
    const err = (text: string, col = 0) => userErrorOf(() => columnSpectra(parseTextGrid(text, 'c.csv'), 'c.csv', col));
    expect(await err('e,a\n1,1\n2,2\n2,3\n')).toBe('c.csv:4:1: energies must increase (or decrease) strictly: 2 follows 2');
    expect(await err('e,a\n3,1\n2,2\n2.5,3\n')).toBe('c.csv:4:1: energies must increase (or decrease) strictly: 2.5 follows 2');
    expect(await err('a,e\n1,3\n1,1\n1,1\n', 1)).toBe('c.csv:4:2: energies must increase (or decrease) strictly: 1 follows 1');
    expect(await err('e,a\n1,1\n1,2\n')).toBe('c.csv:3:1: energies must increase (or decrease) strictly: 1 follows 1');
    expect(await err('e,a\n1,1\n')).toBe('c.csv: needs at least 2 energies, found 1');
    expect(await err('e\n1\n2\n')).toBe('c.csv: no spectrum columns besides the energy column');
    expect(await err('e,a,a\n1,1,1\n2,2,2\n')).toBe('c.csv:1: spectrum column "a" appears twice in the header');
    expect(await err('# c\ne,a\n1,x\n2,2\n')).toBe('c.csv:3:2: intensity "x" in column "a" is not a finite number');
    expect(await err('e,a\n1,1\nq,2\n')).toBe('c.csv:3:1: energy "q" in column "e" is not a finite number');
    expect(await err('e,a\n1,1\n2,1e39\n')).toBe('c.csv:3:2: intensity "1e39" in column "a": expected a number within the float32 range of spectra (magnitude below 3.4e38)');
  });
});

describe('matrix reader', () => {
  it('is claimed by the energy column name of a .csv/.tsv header with named spectra', () => {
    const yes = ['energy,a,b', 'E\tFeO\tFe2O3', 'Energies;x1;x2', 'e_eV,a,b', 'eev,a,b', 'Energy_eV,a,b', 'energyev,a,b', 'Energy (eV),a,b', 'omega,a,b', 'x,a,b', '"energy","a","b"', 'energy,1,b'];
    for (const h of yes) expect(matrixFormat.detect('m.csv', Buffer.from(`${h}\n1,2,3\n`)), h).toBe(true);
    const no = ['energy,a', 'energy,1,2', 'energy,,NA', 'energy,-,nan', 'wavelength,a,b', 'energy2,a,b', 'xenergy,a,b', 'name,a,b'];
    for (const h of no) expect(matrixFormat.detect('m.csv', Buffer.from(`${h}\n1,2,3\n`)), h).toBe(false);
    expect(matrixFormat.detect('m.TSV', Buffer.from('energy\ta\tb\n'))).toBe(true);
    expect(matrixFormat.detect('m.txt', Buffer.from('energy,a,b\n'))).toBe(false);
    expect(matrixFormat.detect('m.dat', Buffer.from('energy,a,b\n'))).toBe(false);
    expect(matrixFormat.detect('m.csv', Buffer.from('\uFEFF\n# energy,1,2\n  \r\nenergy,a,b\r\n1,2,3\r\n'))).toBe(true);
    expect(matrixFormat.detect('m.csv', Buffer.from('# only a comment\n'))).toBe(false);
    expect(matrixFormat.detect('m.csv', Buffer.alloc(0))).toBe(false);
    expect(matrixFormat.name).toBe('matrix');
    expect(matrixFormat.describe).toMatch(/column-wise/);
  });

  it('reads without a label table, and prefers <name>_labels.csv to <name>.labels.csv', () => {
    const dir = tempDir();
    const p = put(dir, 'calc.csv', 'energy,a,b\n1,1,2\n2,3,4\n');
    const bare = readSpectraMatrix(p);
    expect(bare).toMatchObject({ n: 2, m: 2, ids: ['a', 'b'], descriptorNames: [], axis: 'energy', source: p });
    expect(bare.descriptors.length).toBe(0);
    expect(Array.from(bare.spectra)).toEqual([1, 3, 2, 4]);
    put(dir, 'calc.labels.csv', 'name,OS\na,2\nb,3\n');
    expect(Array.from(readSpectraMatrix(p).descriptors)).toEqual([2, 3]);
    put(dir, 'calc_labels.csv', 'name,CN\na,4\nb,6\n');
    const both = readSpectraMatrix(p);
    expect(both.descriptorNames).toEqual(['CN']);
    expect(Array.from(both.descriptors)).toEqual([4, 6]);
  });

  it('passes the label options through and warns on missing label cells', async () => {
    const dir = tempDir();
    const p = put(dir, 'm.csv', 'energy,a,b\n1,1,2\n2,3,4\n');
    const labels = put(dir, 'lab.csv', 'key,name,CN,OS\na,b,4,\nb,a,6,3\n');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const ds = (await matrixFormat.read(p, { labels, idColumn: 'key', descriptorColumns: ['OS', 'CN'] })) as SpectralDataset;
      expect(ds.descriptorNames).toEqual(['OS', 'CN']);
      expect(Array.from(ds.descriptors)).toEqual([NaN, 4, 3, 6]);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([`warning: ${labels}:2: no OS for "a" (NaN)\n`]);
      err.mockClear();
      const byName = (await matrixFormat.read(p, { labels, idColumn: 'name', descriptorColumns: ['CN'] })) as SpectralDataset;
      expect(Array.from(byName.descriptors)).toEqual([6, 4]);
      expect(err).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
    }
  });

  it('shows at most 20 label warnings', () => {
    const dir = tempDir();
    const ids = Array.from({ length: 25 }, (_, i) => `s${i}`);
    const p = put(dir, 'many.csv', `energy,${ids.join(',')}\n1,${ids.map(() => 1).join(',')}\n2,${ids.map(() => 2).join(',')}\n`);
    put(dir, 'many_labels.csv', `name,CN\n${ids.map((id, i) => `${id},${i === 0 ? 1 : ''}`).join('\n')}\n`);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const ds = readSpectraMatrix(p);
      expect(ds.descriptors[0]).toBe(1);
      expect(ds.descriptors[24]).toBeNaN();
      expect(err).toHaveBeenCalledTimes(20);
    } finally {
      err.mockRestore();
    }
  });
});
