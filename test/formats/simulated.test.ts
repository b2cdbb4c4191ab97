import { describe, expect, it } from 'vitest';
import { parseFeffXmu, readFeffFile } from '../../src/data/formats/feff.js';
import { parseFdmnes } from '../../src/data/formats/fdmnes.js';
import { normalizeXas } from '../../src/data/xas/normalize.js';
import { edge, put, range, tempDir } from './helpers.js';

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
