import { describe, expect, it } from 'vitest';
import { columnIndex, columnsFormat, parseColumns, parseNumber, parseTable, readBytes, readColumnsFile, stem, tableColumn } from '../../src/data/formats/columns.js';
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

describe('column text: numbers, labels and errors', () => {
  it('parses numeric fields exactly and refuses text that only contains a number', () => {
    const cases: Array<[string, number]> = [
      ['12', 12], ['-3', -3], ['+4', 4], ['12.5', 12.5], ['5.', 5], ['.25', 0.25], ['-.5', -0.5], ['1.25', 1.25],
      ['1e5', 1e5], ['1e+10', 1e10], ['2.5E-3', 2.5e-3], ['1.0D-2', 0.01], ['3d12', 3e12],
      ['inf', Infinity], ['+Inf', Infinity], ['-Infinity', -Infinity], ['INFINITY', Infinity],
    ];
    for (const [tok, v] of cases) expect(parseNumber(tok), tok).toBe(v);
    for (const tok of ['nan', 'NaN', '-nan', 'x1', '1x', '1e', 'e5', '1.2.3', '--1', '1e5x', 'xinf', 'info', 'nano', '1 2', '', '.', '1e1.5'])
      expect(parseNumber(tok), tok).toBeNaN();
  });

  it('reads a label line whose labels end or begin with digits, and keeps NaN/inf data fields', () => {
    const t = parseTable('ch1 ch2\n1 2\n3 4\n', 'l.txt');
    expect(t.labels).toEqual(['ch1', 'ch2']);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
    expect(parseTable('10K 300K\n1 2\n', 'k.txt').labels).toEqual(['10K', '300K']);
    // a scan numbered 1 and 2: not a data row because "energy" is not a number
    expect(parseTable('energy 1 2\n7100 0.1 0.2\n', 'n.txt').labels).toEqual(['energy', '1', '2']);
    const s = parseTable('1 nan\n2 -inf\n3 +Infinity\n', 's.txt');
    expect(Array.from(s.data)).toEqual([1, NaN, 2, -Infinity, 3, Infinity]);
    expect(s.labels).toBeNull();
  });

  it('keeps comments above the data as the header and takes labels from the last word line', () => {
    const t = parseTable('  # sample A\n#a b\n# energy   mu\n#\n# ------\n7100 0.5\n# trailing note\n7110 0.6\n', 'h.txt');
    expect(t.header).toEqual(['sample A', 'a b', 'energy   mu', '', '------']);
    // empty and separator comment lines are passed over; a line of the right width gives the labels
    expect(t.labels).toEqual(['energy', 'mu']);
    expect(Array.from(t.lines)).toEqual([6, 8]);
    expect(t.nrows).toBe(2);
    expect(parseTable('#   e   mu\n1 2\n', 'i.txt').labels).toEqual(['e', 'mu']);
    expect(parseTable('# ===\n# ////\n# ****\n# ## \n# e mu\n# =====\n1 2\n', 'j.txt').labels).toEqual(['e', 'mu']);
    // XMCD channels "mu-" and "mu+" are labels, not separators
    expect(parseTable('# mu- mu+\n1 2\n', 'x.txt').labels).toEqual(['mu-', 'mu+']);
    // the nearest word line decides: a title of another width means no labels
    expect(parseTable('# e mu\n# sample A at 300 K\n1 2\n', 't.txt').labels).toBeNull();
    expect(parseTable('# e mu x\n1 2\n', 'w.txt').labels).toBeNull();
    // a label line wins over the header comment
    expect(parseTable('# a b\nx y\n1 2\n', 'm.txt').labels).toEqual(['x', 'y']);
  });

  it('splits by the chosen delimiter and keeps the first line\'s choice under auto', () => {
    const semi = parseTable('1;2\n3;4\n', 's.txt', { delimiter: ';' });
    expect(Array.from(semi.data)).toEqual([1, 2, 3, 4]);
    expect(parseTable('1\t2\n3\t4\n', 't.txt', { delimiter: '\t' }).ncols).toBe(2);
    expect(parseTable('1 , 2\n3,4\n', 'c.txt').ncols).toBe(2);
    expect(() => parseTable('1,2\n3 4\n', 'mix.txt')).toThrow(/^mix\.txt:2: expected 2 columns, found 1$/);
    expect(parseTable('e  mu\n1 2\n', 'w.txt', { delimiter: 'whitespace' }).labels).toEqual(['e', 'mu']);
    expect(parseTable('// e mu\n1 2\n', 'c.txt', { comment: '/' }).header).toEqual(['/ e mu']);
  });

  it('names the line and field of each structural problem', () => {
    expect(() => parseTable('energy mu\nfoo bar\n1 2\n', 'lab.txt')).toThrow(/^lab\.txt:2: expected a row of numbers after the label line, found "foo bar"$/);
    expect(() => parseTable('e mu i0\n\n1 2\n', 'n.txt')).toThrow(/^n\.txt:3: label line has 3 labels but the data have 2 columns$/);
    const long = 'x'.repeat(70);
    expect(() => parseTable(`1 2\n3 ${long}\n`, 'c.txt')).toThrow(`c.txt:2:2: "${'x'.repeat(57)}..." is not a number`);
    const sixty = 'y'.repeat(60);
    expect(() => parseTable(`1 2\n3 ${sixty}\n`, 'c.txt')).toThrow(`c.txt:2:2: "${sixty}" is not a number`);
    expect(() => parseTable(`e mu\n${long} 1\n`, 'c.txt')).toThrow(`c.txt:2: expected a row of numbers after the label line, found "${long.slice(0, 57)}..."`);
    expect(() => parseTable('', 'e.txt')).toThrow(/^e\.txt: no numeric data rows found$/);
  });

  it('chooses columns by index or label and says which exist', () => {
    const text = '1 10 100\n2 20 200\n';
    const t = parseTable(text, 'u.txt');
    expect(columnIndex(t, 2, 'u.txt')).toBe(2);
    expect(columnIndex(t, 0, 'u.txt')).toBe(0);
    expect(() => columnIndex(t, 3, 'u.txt')).toThrow(/^u\.txt: column index 3 out of range: the file has columns 0\.\.2$/);
    expect(() => columnIndex(t, -1, 'u.txt')).toThrow(/column index -1 out of range/);
    expect(() => columnIndex(t, 1.5, 'u.txt')).toThrow(/column index 1\.5 out of range/);
    expect(() => columnIndex(t, 'mu', 'u.txt')).toThrow(/^u\.txt: no column labelled "mu"; columns are unlabelled \(use indices 0\.\.2\)$/);
    expect(Array.from(tableColumn(t, 1))).toEqual([10, 20]);
    expect(columnIndex(parseTable('# E Mu\n1 2\n', 'l.txt'), 'mU', 'l.txt')).toBe(1);
    // several y columns of an unlabelled table are named by index
    expect(parseColumns(text, 'u.txt', { y: [1, 2] }).map((s) => s.id)).toEqual(['u:1', 'u:2']);
    expect(parseColumns(text, 'u.txt', { y: [2], id: 'mine' }).map((s) => [s.id, s.source])).toEqual([['mine', 'u.txt']]);
    expect(Array.from(parseColumns(text, 'u.txt', { x: 1, y: 2 })[0].energy)).toEqual([10, 20]);
    expect(() => parseColumns(text, 'u.txt', { y: [] })).toThrow(/^u\.txt: no intensity column chosen$/);
  });

  it('is the registry\'s reader for plain column text by extension', () => {
    const dir = tempDir();
    const p = put(dir, 'scan.nor', '# e mu\n1 2\n3 4\n');
    expect(columnsFormat.name).toBe('columns');
    expect(columnsFormat.describe).toMatch(/\.dat .*\.xy/);
    for (const e of ['.dat', '.xy', '.xmu', '.nor', '.asc', '.TXT']) expect(columnsFormat.detect(`a${e}`, Buffer.from('1 2\n')), e).toBe(true);
    expect(columnsFormat.detect('a.csv', Buffer.from('1 2\n'))).toBe(false);
    expect(columnsFormat.detect('a.dat', Buffer.alloc(0))).toBe(false);
    const got = columnsFormat.read(p, {}) as Array<{ id: string; mu: Float64Array }>;
    expect(got.map((s) => [s.id, Array.from(s.mu)])).toEqual([['scan', [2, 4]]]);
    expect(stem('/a/b/c.tar.gz')).toBe('c.tar');
    expect(stem('/a/b/noext')).toBe('noext');
    expect(Array.from(readBytes(p))).toEqual(Array.from(Buffer.from('# e mu\n1 2\n3 4\n')));
  });
});
