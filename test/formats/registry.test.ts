import { gzipSync } from 'node:zlib';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickReader, readSpectra } from '../../src/data/formats/index.js';
import type { RawSpectrum } from '../../src/data/dataset.js';
import { put, tempDir } from './helpers.js';

describe('XAS readers in the format registry', () => {
  it('detects XDI, Athena, FDMNES, FEFF, column text and folders by content', async () => {
    const dir = tempDir();
    const xdi = put(dir, 'a.txt', '# XDI/1.0\n# Column.1: energy eV\n# Column.2: mutrans\n#----\n7100 0.1\n7110 0.2\n');
    const prj = put(dir, 'p.prj', gzipSync(Buffer.from("# Athena project file\n$old_group = 'g';\n@args = ('label','L');\n@x = ('1','2');\n@y = ('3','4');\n[record]\n")));
    const fd = put(dir, 'f.txt', 'FDMNES\nenergy <xanes>\n7100 1\n7101 2\n');
    const feff = put(dir, 'xmu.dat', '# Feff 9\n#  omega    e    k    mu    mu0     chi     @#\n8950 -30 -2.8 0.1 0.1 0\n8951 -29 -2.7 0.2 0.2 0\n');
    const col = put(dir, 'c.dat', '# e mu\n1 2\n3 4\n');
    expect(pickReader(xdi).name).toBe('xdi');
    expect(pickReader(prj).name).toBe('athena');
    expect(pickReader(fd).name).toBe('fdmnes');
    expect(pickReader(feff).name).toBe('feff');
    expect(pickReader(col).name).toBe('columns');
    expect(pickReader(dir).name).toBe('folder');
    const got = (await readSpectra(prj)) as RawSpectrum[];
    expect(got[0].id).toBe('L');
    const all = (await readSpectra(dir)) as RawSpectrum[];
    expect(all.map((s) => s.id).sort()).toEqual(['L', 'a', 'c', 'f', basename(dir)].sort());
  });
});
