import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { folderFormat, isMissingCell, joinLabelTable, parseLabelTable, readFolder, readSpectrumFile, sniffFormat } from '../../src/data/formats/folder.js';
import { put, tempDir } from './helpers.js';

const twoCol = (k: number) => `# energy mu\n7100 ${0.1 * k}\n7110 ${0.5 * k}\n7120 ${0.9 * k}\n`;
const xdi = '# XDI/1.0\n# Column.1: energy eV\n# Column.2: mutrans\n#----\n7100 0.1\n7110 0.2\n';

describe('folder of spectra + label table', () => {
  it('joins labels by relative path or file name, with or without extension', () => {
    const dir = tempDir();
    put(dir, 'a.dat', twoCol(1));
    put(dir, 'b.txt', twoCol(2));
    put(dir, 'sub/c.xdi', xdi);
    put(dir, 'README.txt', 'not data');
    const labels = put(dir, 'labels.csv', 'file,OS,CN,formula\na,2,6,FeO\nb.txt,3,,Fe2O3\nsub/c.xdi,2.5,4,"Fe3O4, mixed"\n');
    const r = readFolder(dir, { labels });
    expect(r.spectra.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(r.labelNames).toEqual(['OS', 'CN']);
    expect(r.spectra[0].labels).toEqual({ OS: 2, CN: 6 });
    expect(r.spectra[2].labels).toEqual({ OS: 2.5, CN: 4 });
    expect(Number.isNaN(r.spectra[1].labels.CN)).toBe(true);
    expect(r.warnings.some((w) => /labels\.csv:3: no CN for "b\.txt"/.test(w))).toBe(true);
    expect(r.warnings.some((w) => /not numeric, left out: formula/.test(w))).toBe(true);
  });

  it('lists spectra without a label row, or skips them on request', () => {
    const dir = tempDir();
    put(dir, 'a.dat', twoCol(1));
    put(dir, 'b.dat', twoCol(2));
    put(dir, 'c.dat', twoCol(3));
    const labels = put(dir, 'labels.csv', 'name,y\na,1\nz,9\n');
    expect(() => readFolder(dir, { labels })).toThrow(/2 spectra have no row in the label table \(key column "name"\): b\.dat, c\.dat/);
    const r = readFolder(dir, { labels, unlabeled: 'skip' });
    expect(r.spectra.map((s) => s.id)).toEqual(['a']);
    expect(r.warnings.some((w) => /skipped 2 spectra/.test(w))).toBe(true);
    expect(r.warnings.some((w) => /1 label table rows match no spectrum/.test(w))).toBe(true);
  });

  it('joins Athena groups by their label and rejects bad tables', () => {
    const dir = tempDir();
    const grp = (n: string, l: string) => `$old_group = '${n}';\n@args = ('label','${l}');\n@x = ('1','2','3');\n@y = ('0.1','0.2','0.3');\n[record]\n`;
    put(dir, 'p.prj', gzipSync(Buffer.from(`# Athena project file\n${grp('aa', 'G one')}${grp('bb', 'G two')}`)));
    const labels = put(dir, 'l.csv', 'prj_label,fO2\nG one,-1.5\nG two,+3.8\n');
    const r = readFolder(dir, { labels, key: 'prj_label' });
    expect(r.spectra.map((s) => [s.id, s.labels.fO2])).toEqual([['G one', -1.5], ['G two', 3.8]]);
    const dup = put(dir, 'dup.csv', 'prj_label,fO2\nG one,1\nG one,2\n');
    expect(() => readFolder(dir, { labels: dup, key: 'prj_label' })).toThrow(/dup\.csv:3: key "G one" appears twice \(also line 2\)/);
    expect(() => readFolder(dir, { labels, labelColumns: ['nope'] })).toThrow(/no label column "nope"/);
    expect(() => parseLabelTable('a,b\n1,2,3\n', 't.csv')).toThrow(/t\.csv:2: expected 2 fields/);
  });

  it('sniffs formats from content', () => {
    const dir = tempDir();
    expect(sniffFormat('x.txt', Buffer.from(xdi))).toBe('xdi');
    expect(sniffFormat('x.txt', Buffer.from('FDMNES\nenergy <xanes>\n1 2\n'))).toBe('fdmnes');
    expect(sniffFormat('x.dat', Buffer.from('#  omega    e    k    mu    mu0     chi     @#\n'))).toBe('feff');
    expect(sniffFormat('x.dat', Buffer.from(twoCol(1)))).toBe('columns');
    expect(readSpectrumFile(put(dir, 'q.txt', 'FDMNES\nenergy <xanes>\n7100 1\n7101 2\n'))[0].mu[1]).toBe(2);
    expect(() => readFolder(put(dir, 'empty/.keep', '').replace('/.keep', ''))).toThrow(/no spectrum files/);
  });
});

describe('one spectrum file, any format', () => {
  it('sniffs Athena by gzip bytes, extension or header, XDI first', () => {
    expect(sniffFormat('a.bin', Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe('athena');
    expect(sniffFormat('a.bin', Uint8Array.from([0x1f, 0x00, 8, 0]))).toBe('columns');
    expect(sniffFormat('a.PRJ', Buffer.from('1 2\n'))).toBe('athena');
    expect(sniffFormat('a.txt', Buffer.from('# Athena project file -- Demeter\n'))).toBe('athena');
    expect(sniffFormat('a.prj.txt', Buffer.from('1 2\n'))).toBe('columns');
  });

  it('reads a forced format and passes each reader its options', () => {
    const dir = tempDir();
    const three = put(dir, 't.dat', '# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n# Column.3: ifluor\n#----\n7100 10 1\n7110 10 2\n');
    expect(readSpectrumFile(three, { format: 'auto' })[0].mu[1]).toBeCloseTo(0.2, 12);
    expect(readSpectrumFile(three, { xdi: { column: 'i0' } })[0].mu[1]).toBe(10);
    expect(readSpectrumFile(three, { format: 'columns' })[0].mu[1]).toBe(10);
    const cols = put(dir, 'c.dat', '# e a b\n1 2 3\n2 4 6\n');
    expect(readSpectrumFile(cols, { columns: { y: 'b' } })[0].mu[1]).toBe(6);
    expect(readSpectrumFile(cols, { format: 'fdmnes', fdmnes: { column: 2 } })[0].mu[1]).toBe(6);
    const feff = put(dir, 'f.dat', '# omega e k mu mu0 chi\n1 0 0 2 3 4\n2 0 0 5 6 7\n');
    expect(Array.from(readSpectrumFile(feff, { feff: { column: 'chi' } })[0].mu)).toEqual([4, 7]);
    expect(() => readSpectrumFile(cols, { format: 'feff' })).toThrow(/c\.dat: a FEFF xmu\.dat has at least 4 columns/);
    const prj = put(dir, 'p.dat', "# Athena project file\n$old_group = 'g';\n@args = ('label','L','bkg_eshift',5);\n@x = (1,2);\n@y = (3,4);\n[record]\n");
    expect(Array.from(readSpectrumFile(prj)[0].energy)).toEqual([6, 7]);
    expect(Array.from(readSpectrumFile(prj, { athena: { applyEshift: false } })[0].energy)).toEqual([1, 2]);
    expect(() => readSpectrumFile(cols, { format: 'csv' as never })).toThrow(/c\.dat: unknown format "csv"; expected auto, xdi, athena, feff, fdmnes or columns$/);
  });
});

describe('label tables', () => {
  it('treats the usual spellings of "no value" as missing, and nothing else', () => {
    for (const m of ['', '  ', 'NA', ' na ', 'N/A', 'nan', 'NaN', 'null', 'None', '-']) expect(isMissingCell(m), JSON.stringify(m)).toBe(true);
    for (const v of ['0', 'nap', '--', 'n/a/', 'xna', 'nonex', '-1']) expect(isMissingCell(v), v).toBe(false);
  });

  it('sniffs the delimiter, honours RFC 4180 quotes and numbers records by their first line', () => {
    const t = parseLabelTable('\uFEFFfile;OS\n\n a.dat ; 2 \n"b;c.dat";"3"\n', 's.csv');
    expect(t.columns).toEqual(['file', 'OS']);
    expect(t.rows).toEqual([['a.dat', '2'], ['b;c.dat', '3']]);
    expect(t.lines).toEqual([3, 4]);
    expect(t.source).toBe('s.csv');
    expect(parseLabelTable('a\tb\n1\t2\n', 't.tsv').rows).toEqual([['1', '2']]);
    expect(parseLabelTable('a,b;c\n1,2;3\n', 'c.csv').columns).toEqual(['a', 'b;c']);
    expect(parseLabelTable('a\tb;c\n1\t2;3\n', 'c.csv').columns).toEqual(['a', 'b;c']);
    expect(parseLabelTable('one\nx;y\n', 'o.csv').rows).toEqual([['x;y']]);
    const q = parseLabelTable('name,note,v\n"multi\nline","say ""hi""",1\nx,a"b,2\n', 'q.csv');
    expect(q.rows).toEqual([['multi\nline', 'say "hi"', '1'], ['x', 'a"b', '2']]);
    expect(q.lines).toEqual([2, 4]);
    expect(() => parseLabelTable('a,b\n1,"open\n2,3\n', 'u.csv')).toThrow(/^u\.csv:2: unterminated quoted field$/);
    expect(() => parseLabelTable('\n  \n', 'e.csv')).toThrow(/^e\.csv: label table is empty$/);
    expect(() => parseLabelTable('a,b\n1\n', 'f.csv')).toThrow(/^f\.csv:2: expected 2 fields as in the header, found 1$/);
  });

  it('picks the key column by name, joins by every spelling of a file name and counts unused rows', () => {
    const table = (text: string) => parseLabelTable(text, 'l.csv');
    const items = [{ keys: ['x', 'sub/x.dat'], name: 'sub/x.dat' }, { keys: ['y'], name: 'y.dat' }];
    const byFile = joinLabelTable(items, table('id,v,file\n1,5,sub\\x.dat\n2,6,y\n3,7,z\n'));
    expect(byFile.labels).toEqual([{ id: 1, v: 5 }, { id: 2, v: 6 }]);
    expect(byFile.labelNames).toEqual(['id', 'v']);
    expect(byFile.warnings).toEqual(['1 label table rows match no spectrum']);
    // without a known key name, the first column
    expect(joinLabelTable(items, table('k,v\nx,1\ny,2\n')).labels).toEqual([{ v: 1 }, { v: 2 }]);
    for (const key of ['filename', 'file_name', 'name', 'id', 'path', 'sample']) {
      expect(joinLabelTable(items, table(`v,${key}\n1,x\n2,y\n`)).labels, key).toEqual([{ v: 1 }, { v: 2 }]);
    }
    expect(() => joinLabelTable(items, table('k,v\nx,1\n'), { key: 'K' })).toThrow(/^l\.csv: no key column "K"; columns are k, v$/);
    expect(() => joinLabelTable(items, table('k,v\nx,1\ny,high\n'), { labelColumns: ['v'] })).toThrow(/^l\.csv:3: label column "v" is not numeric: "high"$/);
    // a column with no value at all is not a label
    const sparse = joinLabelTable(items, table('k,v,w\nx,NA,\ny,2,-\n'));
    expect(sparse.labelNames).toEqual(['v']);
    expect(sparse.warnings).toEqual(['label columns not numeric, left out: w', 'l.csv:2: no v for "x" (NaN)']);
    expect(sparse.labels[0]!.v).toBeNaN();
  });

  it('lists at most 20 spectra without a row', () => {
    const items = Array.from({ length: 23 }, (_, i) => ({ keys: [`s${i}`], name: `s${i}.dat` }));
    const t = parseLabelTable('name,v\nother,1\n', 'l.csv');
    const names = items.slice(0, 20).map((i) => i.name).join(', ');
    expect(() => joinLabelTable(items, t)).toThrow(`l.csv: 23 spectra have no row in the label table (key column "name"): ${names}, ... (3 more). Add rows, or pass unlabeled: 'skip'`);
    const skipped = joinLabelTable(items.slice(0, 20), t, { unlabeled: 'skip' });
    expect(skipped.labels.every((l) => l === null)).toBe(true);
    expect(skipped.warnings).toEqual([`skipped 20 spectra without a label row: ${names}`, '1 label table rows match no spectrum']);
  });
});

describe('folder walking', () => {
  it('reads the chosen extensions, skips hidden, README/LICENSE and the label table itself, and recurses on request', () => {
    const dir = tempDir();
    put(dir, 'a.DAT', twoCol(1));
    put(dir, 'b.spec', twoCol(2));
    put(dir, '.hidden.dat', twoCol(3));
    put(dir, '.git/d.dat', twoCol(3));
    put(dir, 'LICENSE.txt', 'MIT');
    put(dir, 'deep/c.dat', twoCol(4));
    expect(readFolder(dir).spectra.map((s) => s.id)).toEqual(['a', 'c']);
    expect(readFolder(dir, { recursive: false }).spectra.map((s) => s.id)).toEqual(['a']);
    expect(readFolder(dir, { extensions: ['spec', '.Dat'] }).spectra.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(() => readFolder(dir, { extensions: ['.xyz'] })).toThrow(/no spectrum files \(\.xyz\) found$/);
    const labels = put(dir, 'labels.txt', 'file,v\na,1\ndeep/c,3\n');
    expect(readFolder(dir, { labels }).spectra.map((s) => [s.id, s.labels.v])).toEqual([['a', 1], ['c', 3]]);
  });

  it('joins the groups of a multi-group Athena project as file:label', () => {
    const dir = tempDir();
    const grp = (n: string, l: string) => `$old_group = '${n}';\n@args = ('label','${l}');\n@x = ('1','2');\n@y = ('3','4');\n[record]\n`;
    put(dir, 'sub/p.prj', `# Athena project file\n${grp('aa', 'A')}${grp('bb', 'B')}`);
    put(dir, 'one.prj', `# Athena project file\n${grp('cc', 'C')}`);
    const labels = put(dir, 'l.csv', 'file,v\nsub/p.prj:A,1\np:B,2\none,3\n');
    const r = readFolder(dir, { labels });
    expect(r.spectra.map((s) => [s.id, s.labels.v])).toEqual([['C', 3], ['A', 1], ['B', 2]]);
    const other = put(dir, 'm.csv', 'file,v\np.prj:A,1\n');
    expect(() => readFolder(dir, { labels: other })).toThrow(/2 spectra have no row .*: one\.prj, sub\/p\.prj:B\./);
  });

  it('is the registry\'s reader for folders, labelled by their single .csv', () => {
    const dir = tempDir();
    put(dir, 'a.dat', twoCol(1));
    put(dir, 'b.dat', twoCol(2));
    put(dir, 'labels.CSV', 'sample,v,w\na,1,5\nb,2,6\n');
    expect(folderFormat.name).toBe('folder');
    expect(folderFormat.describe).toMatch(/folder of XDI/);
    expect(folderFormat.detect(dir, Buffer.alloc(0))).toBe(true);
    expect(folderFormat.detect(dir, Buffer.from('x'))).toBe(false);
    const f = put(dir, 'x.bin', '');
    expect(folderFormat.detect(f, Buffer.alloc(0))).toBe(false);
    const got = folderFormat.read(dir, { descriptorColumns: ['w'] }) as Array<{ id: string; labels: Record<string, number> }>;
    expect(got.map((s) => [s.id, s.labels])).toEqual([['a', { w: 5 }], ['b', { w: 6 }]]);
    expect(() => folderFormat.read(dir, { idColumn: 'v' })).toThrow(/labels\.CSV: 2 spectra have no row in the label table \(key column "v"\): a\.dat, b\.dat/);
    put(dir, 'second.csv', 'k,v\n');
    const unlabelled = folderFormat.read(dir, {}) as Array<{ labels: Record<string, number> }>;
    expect(unlabelled.map((s) => s.labels)).toEqual([{}, {}]);
  });
});

describe('folder warnings', () => {
  it('prints the first 20 warnings of a folder read through the registry, then how many more', () => {
    const dir = tempDir();
    const names = Array.from({ length: 23 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const n of names) put(dir, `${n}.dat`, twoCol(1));
    put(dir, 'labels.csv', `file,v\n${names.map((n, i) => `${n},${i === 0 ? 1 : 'NA'}`).join('\n')}\n`);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((folderFormat.read(dir, {}) as unknown[]).length).toBe(23);
      const lines = err.mock.calls.map((c) => String(c[0]));
      expect(lines.length).toBe(21);
      expect(lines[0]).toBe(`warning: ${dir}/labels.csv:3: no v for "s01" (NaN)\n`);
      expect(lines[19]).toBe(`warning: ${dir}/labels.csv:22: no v for "s20" (NaN)\n`);
      expect(lines[20]).toBe('warning: ... and 2 more\n');
    } finally {
      err.mockRestore();
    }
  });
});

describe('folder defaults', () => {
  it('reads every default spectrum extension and follows a link back up the tree only once', () => {
    const dir = tempDir();
    for (const e of ['.dat', '.txt', '.xmu', '.nor', '.xy', '.asc']) put(dir, `f${e.slice(1)}${e}`, twoCol(1));
    put(dir, 'g.xdi', xdi);
    put(dir, 'h.prj', "$old_group = 'g';\n@args = ('label','H');\n@x = (1,2);\n@y = (3,4);\n[record]\n");
    put(dir, 'skip.csv', 'a,b\n1,2\n');
    symlinkSync(dir, join(dir, 'loop'));
    expect(readFolder(dir).spectra.map((s) => s.id)).toEqual(['fasc', 'fdat', 'fnor', 'ftxt', 'fxmu', 'fxy', 'g', 'H']);
  });
});
