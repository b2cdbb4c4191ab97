import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseLabelTable, readFolder, readSpectrumFile, sniffFormat } from '../../src/data/formats/folder.js';
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
