import { describe, expect, it } from 'vitest';
import { feffFormat, looksLikeFeffXmu, parseFeffXmu, readFeffFile } from '../../src/data/formats/feff.js';
import { fdmnesFormat, looksLikeFdmnes, parseFdmnes } from '../../src/data/formats/fdmnes.js';
import { normalizeXas } from '../../src/data/xas/normalize.js';
import { edge, expectContentReader, put, range, tempDir } from './helpers.js';

describe('FEFF xmu.dat reader', () => {
  it('uses omega (absolute energy) and mu, not the edge-relative e', () => {
    const omega = range(8950, 9300, 0.5);
    const mu = edge(omega, 8985, 1);
    const rows = omega.map((w, i) => {
      const e = w - 8985;
      const k = e > 0 ? Math.sqrt(e / 3.81) : -Math.sqrt(-e / 3.81);
      return `  ${w.toFixed(3)}  ${e.toFixed(3)}  ${k.toFixed(4)}  ${mu[i].toExponential(6)}  ${(mu[i] * 0.98).toExponential(6)}  ${(0.01 * Math.sin(k)).toExponential(6)}`;
    });
    const text = ['# Cu metal  Feff 9.6.4', '# Abs   Z=29 Rmt= 1.270 Rnm= 1.383 K  shell', '# Gam_ch=1.729E+00 H-L exch', '#  --------------', '#  omega    e    k    mu    mu0     chi     @#', ...rows].join('\n');
    const dir = tempDir();
    const s = readFeffFile(put(dir, 'cu_metal/xmu.dat', text));
    expect(s.id).toBe('cu_metal');
    expect(s.energy[0]).toBe(8950);
    expect(s.mu[100]).toBeCloseTo(mu[100], 6);
    expect(s.header[0]).toBe('Cu metal  Feff 9.6.4');
    const mu0 = parseFeffXmu(text, 'x.dat', { column: 'mu0' });
    expect(mu0.mu[100]).toBeCloseTo(mu[100] * 0.98, 6);
    const r = normalizeXas(s.energy, s.mu);
    expect(Math.abs(r.e0 - 8985)).toBeLessThan(0.5);
    expect(() => parseFeffXmu(text.replace(/\n  8951\.000.*\n/, '\n  8951.000 1 2\n'), 'x.dat')).toThrow(/x\.dat:8: expected 6 columns, found 3/);
  });
});

describe('FDMNES reader', () => {
  it('reads the plain output layout (title, "energy <xanes>", rows)', () => {
    const energy = range(7097, 7172, 1 / 3);
    const mu = edge(energy, 7120, 1);
    const text = ['    FDMNES', '    energy     <xanes>', ...energy.map((e, i) => `   ${e.toFixed(2)}  ${mu[i].toExponential(7).toUpperCase()}`)].join('\n');
    const s = parseFdmnes(text, '/d/ABAXIK_C11H21FeIN3O2(1+).txt');
    expect(s.id).toBe('ABAXIK_C11H21FeIN3O2(1+)');
    expect(s.column).toBe('<xanes>');
    expect(s.energy.length).toBe(energy.length);
    expect(s.mu[10]).toBeCloseTo(mu[10], 6);
    const r = normalizeXas(s.energy, s.mu);
    expect(r.ranges.preAuto && r.ranges.postAuto).toBe(true);
    expect(Math.abs(r.e0 - 7120)).toBeLessThan(0.5);
  });

  it('adds E_edge to relative energies of the parameter-line layout and reads _conv.txt', () => {
    const rel = range(-20, 60, 0.5);
    const mu = edge(rel, 0, 0.02);
    const text = [
      '  7112.000  26  1  1  1.2345E-03  -0.5  0.1  0.2  1.0  7112.0  -5.2 = E_edge, Z, n_edge, j_edge, Abs_before_edge, VoMD, DEf, DEf_sup, Ep, Epsii, Fermi_level',
      '    Energy    <xanes>     <dipole>',
      ...rel.map((e, i) => `  ${e.toFixed(3)}  ${mu[i].toExponential(6)}  ${(mu[i] / 2).toExponential(6)}`),
    ].join('\n');
    const s = parseFdmnes(text, 'run.txt');
    expect(s.energyOffset).toBe(7112);
    expect(s.energy[0]).toBe(7092);
    expect(parseFdmnes(text, 'run.txt', { column: '<dipole>' }).mu[5]).toBeCloseTo(mu[5] / 2, 6);
    expect(parseFdmnes(text, 'run.txt', { energyOffset: 0 }).energy[0]).toBe(-20);
    const conv = ['  Energy    <xanes>', ...rel.map((e, i) => `  ${(e + 7112).toFixed(3)}  ${mu[i].toExponential(6)}`)].join('\n');
    const c = parseFdmnes(conv, 'run_conv.txt');
    expect(c.id).toBe('run');
    expect(c.energy[0]).toBe(7092);
    expect(() => parseFdmnes(conv.replace(/\n  7093\.000 (.*)/, '\n  7093.000 abc'), 'run_conv.txt')).toThrow(/run_conv\.txt:4:2/);
  });
});

describe('FDMNES layouts, columns and errors', () => {
  const rows = (n: number, cols: number, e0 = 7100) => Array.from({ length: n }, (_, r) => [e0 + r, ...Array.from({ length: cols - 1 }, (_, c) => (c + 1) * 10 + r)].join(' '));

  it('names columns from the last header line, or energy/colN when it does not fit', () => {
    const s = parseFdmnes(['FDMNES', 'Energy <xanes> <dipole>', ...rows(3, 3)].join('\n'), 'a_conv_run.txt');
    expect(s.id).toBe('a_conv_run');
    expect(s.columns).toEqual(['Energy', '<xanes>', '<dipole>']);
    expect(s.header).toEqual(['FDMNES', 'Energy <xanes> <dipole>']);
    expect(Array.from(s.mu)).toEqual([10, 11, 12]);
    expect(s.energyOffset).toBe(0);
    expect(s.labels).toEqual({});
    expect(s.source).toBe('a_conv_run.txt');
    const bare = parseFdmnes(rows(3, 3).join('\n'), 'b.txt', { id: 'mine' });
    expect(bare.columns).toEqual(['energy', 'col1', 'col2']);
    expect(bare.column).toBe('col1');
    expect(bare.header).toEqual([]);
    expect(bare.id).toBe('mine');
    const short = parseFdmnes(['Energy <xanes>', ...rows(2, 3)].join('\n'), 'c.txt');
    expect(short.columns).toEqual(['energy', 'col1', 'col2']);
  });

  it('chooses the spectrum column by label or index, never the energy', () => {
    const text = ['Energy <xanes> <Dipole>', ...rows(3, 3)].join('\n');
    expect(Array.from(parseFdmnes(text, 'x.txt', { column: '<dipole>' }).mu)).toEqual([20, 21, 22]);
    expect(parseFdmnes(text, 'x.txt', { column: 2 }).column).toBe('<Dipole>');
    expect(() => parseFdmnes(text, 'x.txt', { column: 'energy' })).toThrow(/^x\.txt: no column "energy"; columns are Energy, <xanes>, <Dipole>$/);
    for (const bad of [0, 3, 1.5]) expect(() => parseFdmnes(text, 'x.txt', { column: bad })).toThrow(new RegExp(`^x\\.txt: column ${bad} out of range 1\\.\\.2$`));
    // without "<xanes>" the first spectrum column is read
    expect(parseFdmnes(['Energy a b', ...rows(3, 3)].join('\n'), 'y.txt').column).toBe('a');
  });

  it('adds E_edge only to plainly relative energies', () => {
    const param = '  7112.000  26 = E_edge, Z';
    const rel = parseFdmnes([param, 'Energy <xanes>', '-10 1', '0 2', '3555 3'].join('\n'), 'r.txt');
    expect(rel.energyOffset).toBe(7112);
    expect(Array.from(rel.energy)).toEqual([7102, 7112, 10667]);
    // one energy at E_edge/2 or above: the file holds photon energies
    const abs = parseFdmnes([param, 'Energy <xanes>', '-10 1', '3556 2'].join('\n'), 'a.txt');
    expect(abs.energyOffset).toBe(0);
    expect(Array.from(abs.energy)).toEqual([-10, 3556]);
    expect(parseFdmnes([param, 'Energy <xanes>', '-10 1', '0 2'].join('\n'), 'o.txt', { energyOffset: 100 }).energy[0]).toBe(90);
    expect(parseFdmnes(['-5 = E_edge', 'Energy <xanes>', '-10 1', '0 2'].join('\n'), 'n.txt').energyOffset).toBe(0);
    expect(parseFdmnes(['E_edge = 7112', 'Energy <xanes>', '-10 1', '0 2'].join('\n'), 'w.txt').energyOffset).toBe(0);
  });

  it('reports malformed output with file, line and column', () => {
    expect(() => parseFdmnes(['Energy <xanes>', '1 2', '', '2 3 4'].join('\n'), 'c.txt')).toThrow(/^c\.txt:4: expected 2 columns, found 3$/);
    expect(() => parseFdmnes(['Energy', '1', '2'].join('\n'), 'one.txt')).toThrow(/^one\.txt: expected at least 2 data columns \(energy, spectrum\), found 1$/);
    expect(() => parseFdmnes('Energy <xanes>\n', 'none.txt')).toThrow(/found 0$/);
    expect(() => parseFdmnes(`${'title\n'.repeat(51)}1 2\n`, 'h.txt')).toThrow(/^h\.txt: no numeric data within the first 50 header lines; is this FDMNES output\?$/);
    expect(parseFdmnes(`${'title\n'.repeat(50)}1 2\n2 3\n`, 'h.txt').header.length).toBe(50);
    expect(() => parseFdmnes(['Energy <xanes>', '1 2', `2 ${'v'.repeat(50)}`].join('\n'), 'l.txt')).toThrow(`l.txt:3:2: "${'v'.repeat(40)}" is not a number`);
  });

  it('is recognised by its first lines', () => {
    expect(looksLikeFdmnes(' FDMNES\n1 2\n')).toBe(true);
    expect(looksLikeFdmnes('fdmnes_out\n')).toBe(false);
    expect(looksLikeFdmnes('x\ny\n 7112 26 = E_edge, Z\n')).toBe(true);
    expect(looksLikeFdmnes('Energy   <xanes>\n')).toBe(true);
    expect(looksLikeFdmnes('a\nb\nc\nd\nFDMNES\n')).toBe(false);
    expect(looksLikeFdmnes('Energy mu\n1 2\n')).toBe(false);
    const dir = tempDir();
    const p = put(dir, 'o_conv.txt', 'Energy <xanes>\n1 2\n2 3\n');
    expectContentReader(fdmnesFormat, { name: 'fdmnes', describe: /FDMNES/, file: p, yes: 'Energy <xanes>\n', no: 'Energy mu\n', ids: ['o'] });
  });
});

describe('FEFF xmu.dat columns, ids and detection', () => {
  const rows = ['8950 -30 -2.8 0.1 0.2 0.3', '8951 -29 -2.7 0.4 0.5 0.6'];
  it('reads the chosen column against omega, with or without FEFF\'s label line', () => {
    const labelled = ['# Feff 9', '#  omega    e    k    mu    mu0     chi     @#', ...rows].join('\n');
    const chi = parseFeffXmu(labelled, 'run/xmu.dat', { column: 'chi' });
    expect(Array.from(chi.mu)).toEqual([0.3, 0.6]);
    expect(chi.column).toBe('chi');
    expect(chi.id).toBe('run');
    expect(Array.from(chi.energy)).toEqual([8950, 8951]);
    expect(chi.header).toEqual(['Feff 9', ' omega    e    k    mu    mu0     chi     @#']);
    expect(chi.labels).toEqual({});
    // a reordered label line is followed
    const swapped = ['# omega e k mu0 mu chi', ...rows].join('\n');
    expect(Array.from(parseFeffXmu(swapped, 'a.dat').mu)).toEqual([0.2, 0.5]);
    // no label line, or one of another width: FEFF's order
    expect(Array.from(parseFeffXmu(rows.join('\n'), 'runs/x1/XMU.DAT').mu)).toEqual([0.1, 0.4]);
    expect(parseFeffXmu(rows.join('\n'), 'runs/x1/XMU.DAT').id).toBe('x1');
    expect(Array.from(parseFeffXmu(['# omega e k', ...rows].join('\n'), 'b.dat', { column: 'mu0' }).mu)).toEqual([0.2, 0.5]);
    expect(parseFeffXmu(rows.join('\n'), 'xmu.dat').id).toBe('xmu');
    expect(parseFeffXmu(rows.join('\n'), 'd/other.dat').id).toBe('other');
    expect(parseFeffXmu(rows.join('\n'), 'd/xmu.dat', { id: 'mine' }).id).toBe('mine');
    expect(Array.from(parseFeffXmu('8950 -30 -2.8 0.1\n8951 -29 -2.7 0.4\n', 'four.dat').mu)).toEqual([0.1, 0.4]);
  });

  it('refuses a table too narrow for omega e k mu', () => {
    expect(() => parseFeffXmu('1 2 3\n4 5 6\n', 'n.dat')).toThrow(/^n\.dat: a FEFF xmu\.dat has at least 4 columns \(omega e k mu\), found 3$/);
  });

  it('is recognised by FEFF in line 1 or by its label line', () => {
    expect(looksLikeFeffXmu('# Cu  FEFF 8.4\n1 2\n')).toBe(true);
    expect(looksLikeFeffXmu('# title\n# more\n#  omega   e   k   mu  mu0 chi @#\n1 2\n')).toBe(true);
    expect(looksLikeFeffXmu('# title\n# feffit notes\n1 2\n')).toBe(false);
    expect(looksLikeFeffXmu('x # feff\n')).toBe(false);
    expect(looksLikeFeffXmu('# energy mu\n')).toBe(false);
    const dir = tempDir();
    const p = put(dir, 'fe/xmu.dat', ['# Feff 9', ...rows].join('\n'));
    expectContentReader(feffFormat, { name: 'feff', describe: /FEFF xmu\.dat/, file: p, yes: '# Feff 9\n', no: '# e mu\n', ids: ['fe'] });
  });
});
