import { gzipSync } from 'node:zlib';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_ROWS, formatNames, openSpectraWriter, pickReader, readSpectra, readers, streamSpectra, writeSpectra } from '../../src/data/formats/index.js';
import type { RawSpectrum, SpectralDataset } from '../../src/data/dataset.js';
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

describe('format registry', () => {
  const ds: SpectralDataset = {
    energies: Float64Array.from([7100, 7110, 7120]),
    spectra: Float32Array.from([0.5, 1, 1.5, 0.25, 0.75, 1.25]),
    n: 2,
    m: 3,
    ids: ['a', 'b'],
    descriptorNames: ['OS'],
    descriptors: Float64Array.from([2, 3]),
  };

  it('detects each table format by extension or first bytes', () => {
    const dir = tempDir();
    const cases: Array<[string, string | Uint8Array, string]> = [
      ['t.arrow', 'x', 'arrow'], ['t.FEATHER', 'x', 'arrow'], ['t.ipc', 'x', 'arrow'], ['t.arrows', 'x', 'arrow'], ['t.bin', 'ARROW1\0\0', 'arrow'],
      ['t.json', 'x', 'json'], ['t.data', '  [{"id": 1}]', 'json'], ['t.data', '{}', 'json'],
      ['t.csv', 'id,AUX_OS,ENE_7100,ENE_7110\n', 'csv'], ['t.tsv', 'ENE_1\n', 'csv'], ['t.txt', '# note\n\nid,ENE_7100\n', 'csv'],
      ['t.csv', 'name,OS,7100,7110,7120\n', 'long-csv'], ['t.tsv', '\uFEFFname\t7100\t7110\t7120\n', 'long-csv'], ['t.csv', 'name;OS;"7100";7110;7120\n', 'long-csv'],
      ['t.npy', 'x', 'npy'], ['t.bin', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]), 'npy'],
      ['t.xy', '1 2\n', 'columns'],
    ];
    for (const [name, content, want] of cases) expect(pickReader(put(tempDir(), name, content)).name, `${name}: ${String(content)}`).toBe(want);
    // two energies only, a blank energy cell, or .txt: not the long layout
    const longCsv = readers.find((r) => r.name === 'long-csv')!;
    expect(longCsv.detect('two.csv', Buffer.from('name,7100,7110\n'))).toBe(false);
    expect(longCsv.detect('gap.csv', Buffer.from('name,7100,,7110,7120\n'))).toBe(false);
    expect(longCsv.detect('three.csv', Buffer.from('name,x,7100,7110,7120\n'))).toBe(true);
    expect(longCsv.detect('bare.CSV', Buffer.from('7100,7110,7120\n'))).toBe(true);
    expect(longCsv.detect('blank.csv', Buffer.from('\n  \nname,"7100", 7110 ,7120\n'))).toBe(true);
    expect(longCsv.detect('trail.csv', Buffer.from('name,7100,7110,7120,\n'))).toBe(false);
    expect(longCsv.detect('comment.csv', Buffer.from('# note,1,2,3\nname,x\n'))).toBe(false);
    expect(longCsv.detect('text.csv', Buffer.from('name,a,b,c\n'))).toBe(false);
    expect(pickReader(put(dir, 'l.txt', 'name,7100,7110,7120\n')).name).toBe('columns');
    expect(pickReader(put(dir, 'notref.dat', 'id,ENE_7100\n')).name).toBe('columns');
  });

  it('takes a named format, and explains when it cannot tell', () => {
    const dir = tempDir();
    const p = put(dir, 'x.bin', Uint8Array.from([0, 1, 2, 3]));
    expect(pickReader(p, 'columns').name).toBe('columns');
    expect(formatNames()).toEqual(readers.map((r) => r.name));
    expect(formatNames().slice(0, 4)).toEqual(['xdi', 'athena', 'fdmnes', 'feff']);
    expect(formatNames().slice(-3)).toEqual(['columns', 'pyfitit', 'folder']);
    expect(formatNames()).toEqual(['xdi', 'athena', 'fdmnes', 'feff', 'arrow', 'json', 'csv', 'long-csv', 'npy', 'matrix', 'columns', 'pyfitit', 'folder']);
    // every format explains itself in the "cannot tell" message
    for (const r of readers) expect(r.describe.length, r.name).toBeGreaterThan(20);
    expect(() => pickReader(p, 'excel')).toThrow(`unknown format "excel" (expected auto or one of ${formatNames().join(', ')})`);
    let msg = '';
    try {
      pickReader(p);
    } catch (e) {
      msg = (e as Error).message;
    }
    for (const r of readers) expect(msg).toContain(`${r.name} = ${r.describe}`);
    expect(() => pickReader(p)).toThrow(/x\.bin: cannot tell the format from the name and content; pass a format \(one of xdi, .*folder\)\. Known formats: xdi = XAS Data Interchange.*; folder = folder of/);
    expect(() => pickReader(`${dir}/none.xdi`)).toThrow(/none\.xdi: file not found/);
    // only the first 4 KiB are sniffed
    const late = put(dir, 'late.dat', `${'\n'.repeat(5000)}# XDI/1.0\n`);
    expect(pickReader(late).name).toBe('columns');
  });

  it('streams whole files of readers without a stream, in chunks otherwise, and writes by extension', async () => {
    const dir = tempDir();
    const xy = put(dir, 's.xy', '1 2\n2 3\n');
    const chunks = [];
    for await (const c of streamSpectra(xy)) chunks.push(c);
    expect(chunks.length).toBe(1);
    expect((chunks[0] as RawSpectrum[])[0].id).toBe('s');
    for (const e of ['.csv', '.json', '.arrow']) {
      const out = `${dir}/o${e}`;
      writeSpectra(ds, out);
      const back = (await readSpectra(out)) as SpectralDataset;
      expect(back.ids, e).toEqual(['a', 'b']);
      expect(Array.from(back.spectra), e).toEqual(Array.from(ds.spectra));
      const parts: SpectralDataset[] = [];
      for await (const c of streamSpectra(out, 'auto', {}, 1)) parts.push(c as SpectralDataset);
      expect(parts.map((q) => q.n), e).toEqual(e === '.json' ? [2] : [1, 1]);
    }
    const long = put(dir, 'long.csv', 'name,OS,7100,7110,7120\na,2,1,2,3\nb,3,4,5,6\n');
    const whole = (await readSpectra(long)) as SpectralDataset;
    expect([whole.ids, Array.from(whole.energies), Array.from(whole.descriptors)]).toEqual([['a', 'b'], [7100, 7110, 7120], [2, 3]]);
    const longParts: SpectralDataset[] = [];
    for await (const c of streamSpectra(long, 'long-csv', {}, 1)) longParts.push(c as SpectralDataset);
    expect(longParts.map((q) => q.ids)).toEqual([['a'], ['b']]);
    expect(STREAM_ROWS).toBe(8192);
    expect(() => openSpectraWriter(`${dir}/o.parquet`, ds)).toThrow(/o\.parquet: cannot tell the output format from the extension "\.parquet" \(expected \.arrow, \.feather, \.csv or \.json\)/);
    for (const e of ['.feather', '.ipc']) {
      writeSpectra(ds, `${dir}/f${e}`);
      expect(pickReader(`${dir}/f${e}`).name).toBe('arrow');
      expect(((await readSpectra(`${dir}/f${e}`)) as SpectralDataset).n).toBe(2);
    }
  });
});
