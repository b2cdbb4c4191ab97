import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { parseXdi, readXdiFile, HC_EV_ANGSTROM } from '../../src/data/formats/xdi.js';
import { normalizeXas } from '../../src/data/xas/normalize.js';
import { edge, put, range, tempDir } from './helpers.js';

function transmissionXdi(opts: { reorder?: boolean } = {}): { text: string; mu: number[]; energy: number[] } {
  const energy = range(8779, 9300, 1);
  const mu = edge(energy, 8980, 1.5);
  const i0 = energy.map((_, i) => 150000 - 20 * i);
  const it = i0.map((v, i) => v * Math.exp(-mu[i]));
  const header = [
    '# XDI/1.0 GSE/1.0',
    '# Column.1: energy eV',
    opts.reorder ? '# Column.2: itrans' : '# Column.2: i0',
    opts.reorder ? '# Column.3: i0' : '# Column.3: itrans',
    '# Element.symbol: Cu',
    '# Element.edge: K',
    '# Mono.d_spacing: 3.13553',
    '# Sample.formula: Cu',
    '# sample.formula: CuO',
    '# GSE.EXTRA:  config 1',
    '# ///',
    '# Cu foil Room Temperature',
    '#----',
    opts.reorder ? '# energy itrans i0' : '# energy i0 itrans',
  ];
  const rows = energy.map((e, i) => (opts.reorder ? `  ${e.toFixed(3)}  ${it[i].toFixed(4)}  ${i0[i].toFixed(1)}` : `  ${e.toFixed(3)}  ${i0[i].toFixed(1)}  ${it[i].toFixed(4)}`));
  return { text: [...header, ...rows].join('\n') + '\n', mu, energy };
}

describe('XDI reader', () => {
  it('reads header fields, column labels, comments and computes mu = ln(i0/itrans)', () => {
    const { text, mu } = transmissionXdi();
    const s = parseXdi(text, 'cu.xdi');
    expect(s.id).toBe('cu');
    expect(s.versions).toEqual(['XDI/1.0', 'GSE/1.0']);
    expect(s.metadata['Element.symbol']).toBe('Cu');
    expect(s.metadata['Mono.d_spacing']).toBe('3.13553');
    // repeated field (case-insensitive): the last value wins
    expect(s.metadata['sample.formula']).toBe('CuO');
    expect(s.metadata['Sample.formula']).toBeUndefined();
    expect(s.metadata['GSE.EXTRA']).toBe('config 1');
    expect(s.columns).toEqual(['energy', 'i0', 'itrans']);
    expect(s.units[0]).toBe('eV');
    expect(s.comments).toEqual(['Cu foil Room Temperature']);
    expect(s.muFrom).toBe('ln(i0/itrans)');
    expect(s.warnings).toEqual([]);
    expect(s.energy.length).toBe(mu.length);
    for (const i of [0, 100, 300]) expect(s.mu[i]).toBeCloseTo(mu[i], 4);
    const r = normalizeXas(s.energy, s.mu);
    expect(Math.abs(r.e0 - 8980)).toBeLessThan(0.5);
    expect(Math.abs(r.edgeStep - 1.5) / 1.5).toBeLessThan(2e-2);
  });

  it('finds channels by label whatever their column order', () => {
    const { text, mu } = transmissionXdi({ reorder: true });
    const s = parseXdi(text, 'cu.xdi');
    expect(s.mu[200]).toBeCloseTo(mu[200], 4);
  });

  it('computes fluorescence mu = ifluor/i0 and prefers a mu column when present', () => {
    const text = ['# XDI/1.0', '# Column.1: energy eV', '# Column.2: i0', '# Column.3: ifluor', '# Element.symbol: Fe', '# Element.edge: K', '#----', '# energy i0 ifluor',
      '7100 100 5', '7110 200 30', '7120 50 40'].join('\n');
    const s = parseXdi(text, 'f.xdi');
    expect(s.muFrom).toBe('ifluor/i0');
    expect(Array.from(s.mu)).toEqual([0.05, 0.15, 0.8]);
    const t2 = ['# XDI/1.0', '# Column.1: energy eV', '# Column.2: i0', '# Column.3: itrans', '# Column.4: mutrans', '#----', '7100 10 5 0.5', '7110 10 4 0.6', '7120 10 3 0.7'].join('\n');
    const s2 = parseXdi(t2, 'm.xdi');
    expect(s2.muFrom).toBe('column mutrans');
    expect(Array.from(s2.mu)).toEqual([0.5, 0.6, 0.7]);
    expect(parseXdi(t2, 'm.xdi', { mode: 'transmission', column: 'i0' }).mu[0]).toBe(10);
  });

  it('mode picks the channels: transmission ln(i0/itrans), reference ln(itrans/irefer), fluorescence ifluor/i0', () => {
    // Sample and reference foil with different edges, so each ratio is recognisably one of them.
    const energy = range(8900, 9100, 2);
    const sample = edge(energy, 8980, 1.2);
    const foil = edge(energy, 9000, 0.4);
    const i0 = energy.map((_, i) => 1e5 - 30 * i);
    const itrans = i0.map((v, i) => v * Math.exp(-sample[i]));
    const irefer = itrans.map((v, i) => v * Math.exp(-foil[i]));
    const ifluor = i0.map((v, i) => v * 0.01 * sample[i]);
    const text = ['# XDI/1.0', '# Column.1: energy eV', '# Column.2: i0', '# Column.3: itrans', '# Column.4: irefer', '# Column.5: ifluor', '#----',
      ...energy.map((e, i) => `${e} ${i0[i]} ${itrans[i].toFixed(6)} ${irefer[i].toFixed(6)} ${ifluor[i].toFixed(6)}`)].join('\n');
    const t = parseXdi(text, 'three.xdi', { mode: 'transmission' });
    const r = parseXdi(text, 'three.xdi', { mode: 'reference' });
    const f = parseXdi(text, 'three.xdi', { mode: 'fluorescence' });
    expect(t.muFrom).toBe('ln(i0/itrans)');
    expect(r.muFrom).toBe('ln(itrans/irefer)');
    expect(f.muFrom).toBe('ifluor/i0');
    for (let i = 0; i < energy.length; i += 7) {
      expect(t.mu[i]).toBeCloseTo(sample[i], 5);
      expect(r.mu[i]).toBeCloseTo(foil[i], 5);
      expect(f.mu[i]).toBeCloseTo(0.01 * sample[i], 6);
    }
    // auto takes transmission when both channels are there.
    expect(Array.from(parseXdi(text, 'three.xdi').mu)).toEqual(Array.from(t.mu));
    // A mode whose channels are absent is an error naming what is missing.
    const noRef = text.replace('# Column.4: irefer', '# Column.4: other');
    expect(() => parseXdi(noRef, 'noref.xdi', { mode: 'reference' })).toThrow(/noref\.xdi: cannot obtain mu \(reference\)/);
    expect(() => parseXdi(text, 'x.xdi', { mode: 'absorbance' as never })).toThrow(/unknown XDI mode "absorbance"/);
  });

  it('converts a monochromator angle abscissa to energy with Mono.d_spacing', () => {
    const d = 3.13553;
    const e = [8900, 8950, 9000];
    const angles = e.map((v) => (Math.asin(HC_EV_ANGSTROM / (2 * d * v)) * 180) / Math.PI);
    const text = ['# XDI/1.0', '# Column.1: angle degrees', '# Column.2: mutrans', `# Mono.d_spacing: ${d}`, '#----', ...angles.map((a, i) => `${a.toFixed(8)} ${i}`)].join('\n');
    const s = parseXdi(text, 'a.xdi');
    // angle decreases as energy increases: the reader returns increasing energy
    expect(s.energy[0]).toBeCloseTo(8900, 2);
    expect(s.energy[2]).toBeCloseTo(9000, 2);
    expect(s.mu[0]).toBe(0);
    const noD = text.replace(/# Mono.d_spacing.*\n/, '');
    expect(() => parseXdi(noD, 'a.xdi')).toThrow(/d_spacing/);
  });

  it('reports a broken data line with file and line number', () => {
    const { text } = transmissionXdi();
    const lines = text.split('\n');
    lines[20] = '  8791.000  149000.0  oops';
    expect(() => parseXdi(lines.join('\n'), 'bad.xdi')).toThrow(UserError);
    expect(() => parseXdi(lines.join('\n'), 'bad.xdi')).toThrow(/bad\.xdi:21:3/);
    const short = text.split('\n');
    short[30] = '  8801.0  149000.0';
    expect(() => parseXdi(short.join('\n'), 'bad.xdi')).toThrow(/bad\.xdi:31: expected 3 columns/);
    expect(() => parseXdi('energy mu\n1 2\n', 'x.xdi')).toThrow(/x\.xdi:1: expected the XDI version line/);
  });

  it('reports a non-positive intensity ratio at its line', () => {
    const text = ['# XDI/1.0', '# Column.1: energy eV', '# Column.2: i0', '# Column.3: itrans', '#----', '7100 10 5', '7110 0 4', '7120 10 3'].join('\n');
    expect(() => parseXdi(text, 'z.xdi')).toThrow(/z\.xdi:7/);
  });

  it('reads from disk and tolerates a missing field-end line', () => {
    const dir = tempDir();
    const text = ['#XDI/1.1', '# Column.1: energy eV', '# Column.2: mutrans', 'free comment without ///', '#----', '1 1', '2 2'].join('\n').replace('free', '# free');
    const s = readXdiFile(put(dir, 'w.xdi', text));
    expect(s.comments).toEqual(['free comment without ///']);
    expect(s.warnings.length).toBe(1);
    expect(() => readXdiFile(`${dir}/missing.xdi`)).toThrow(/missing\.xdi: file not found/);
  });
});
