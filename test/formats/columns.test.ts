import { describe, expect, it } from 'vitest';
import { parseColumns, parseTable, readColumnsFile } from '../../src/data/formats/columns.js';
import { put, tempDir } from './helpers.js';

describe('plain column text', () => {
  it('accepts any comment character and white-space or comma delimiters', () => {
    for (const c of ['#', '!', '%', ';']) {
      const s = parseColumns(`${c} sample A\n${c} energy mu\n7100 0.1\n7110\t0.5\n\n7120   0.9\n`, 'a.dat');
      expect(Array.from(s[0].energy)).toEqual([7100, 7110, 7120]);
      expect(Array.from(s[0].mu)).toEqual([0.1, 0.5, 0.9]);
    }
    const csv = parseColumns('energy, i0, mu\n7100, 5, 0.1\n7110, 5, 0.2\n', 'b.csv', { y: 'mu' });
    expect(csv[0].id).toBe('b');
    expect(Array.from(csv[0].mu)).toEqual([0.1, 0.2]);
  });

  it('chooses columns by index or label and gives several spectra for several y columns', () => {
    const text = '# energy ref sample\n1 10 100\n2 20 200\n3 30 300\n';
    const t = parseTable(text, 'c.txt');
    expect(t.labels).toEqual(['energy', 'ref', 'sample']);
    const two = parseColumns(text, 'c.txt', { x: 'energy', y: [2, 'ref'] });
    expect(two.map((s) => s.id)).toEqual(['c:sample', 'c:ref']);
    expect(two[0].mu[2]).toBe(300);
    expect(() => parseColumns(text, 'c.txt', { y: 'mu' })).toThrow(/no column labelled "mu"; columns are energy, ref, sample/);
    expect(() => parseColumns(text, 'c.txt', { y: 7 })).toThrow(/out of range/);
  });

  it('reads Fortran D exponents and sorts a downward scan', () => {
    const s = parseColumns('3.0D+03 1.0D-01\n2.0D+03 2.0D-01\n', 'f.dat');
    expect(Array.from(s[0].energy)).toEqual([2000, 3000]);
    expect(Array.from(s[0].mu)).toEqual([0.2, 0.1]);
  });

  it('reports bad rows with file, line and column', () => {
    expect(() => parseColumns('# e mu\n1 2\n2 x\n', 'bad.txt')).toThrow(/bad\.txt:3:2: "x" is not a number/);
    expect(() => parseColumns('1 2\n2 3 4\n', 'bad.txt')).toThrow(/bad\.txt:2: expected 2 columns, found 3/);
    expect(() => parseColumns('1 2\n2 nan\n', 'bad.txt')).toThrow(/bad\.txt:2/);
    expect(() => parseColumns('# nothing\n', 'empty.txt')).toThrow(/no numeric data/);
    const dir = tempDir();
    expect(readColumnsFile(put(dir, 'ok.xy', '10 1\n20 2\n'))[0].id).toBe('ok');
  });
});
