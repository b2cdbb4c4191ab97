import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { looksLikeXdi, parseXdi, readXdiFile, xdiFormat, HC_EV_ANGSTROM } from '../../src/data/formats/xdi.js';
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

/** A small XDI file: header lines, then data rows. */
const xdi = (header: string[], rows: string[]) => ['# XDI/1.0', ...header, ...rows].join('\n');

describe('XDI header, labels and units', () => {
  it('reads the version line, comments, repeated separators and label lines as the spec writes them', () => {
    const text = ['#XDI/1.0   GSE/1.0  ', '# Column.1: energy   eV', '# Column.2: mutrans', '#  Element.symbol :  Fe  ', '# ///', '#  two spaces', '#x', '# ///', '#---------', '#   energy   mutrans', '1 0.1', '2 0.2'].join('\n');
    const s = parseXdi(text, 'v.xdi');
    expect(s.versions).toEqual(['XDI/1.0', 'GSE/1.0']);
    expect(s.metadata).toEqual({ 'Column.1': 'energy   eV', 'Column.2': 'mutrans', 'Element.symbol': 'Fe' });
    expect(s.comments).toEqual([' two spaces', 'x', '///']);
    expect(s.units).toEqual(['eV', '']);
    expect(s.warnings).toEqual([]);
    expect(s.source).toBe('v.xdi');
    expect(s.labels).toEqual({});
    expect(parseXdi(text, 'v.xdi', { id: 'mine' }).id).toBe('mine');
  });

  it('takes separators with or without a space after "#", and only whole separator lines', () => {
    const text = ['# XDI/1.0', '# Column.1: energy', '# Column.2: mu', '#///', '# ///x', '# note # A.b: c', '#  ---', '#   e mu', '1 5', '2 6'].join('\n');
    const s = parseXdi(text, 's.xdi');
    expect(s.comments).toEqual(['///x', 'note # A.b: c']);
    expect(s.warnings).toEqual([]);
    expect(s.columns).toEqual(['energy', 'mu']);
    const t = parseXdi(['# XDI/1.0', '# Column.1: energy', '# Column.2: mu', '# ----x', '1 5', '2 6'].join('\n'), 't.xdi');
    expect(t.warnings).toEqual(['line 4: not a "Namespace.tag: value" field; read as a comment', 'no "#----" header-end line before the data']);
  });

  it('warns, with the line, about each tolerated deviation', () => {
    const s = parseXdi(['# XDI/1.0', '# Column.1: energy', '# Column.2: mu', '# just a note', '# more', '#  energy mu extra', '1 5', '2 6'].join('\n'), 'w.xdi');
    expect(s.warnings).toEqual([
      'line 4: not a "Namespace.tag: value" field; read as a comment',
      'no "#----" header-end line before the data',
    ]);
    expect(s.comments).toEqual(['just a note', 'more', ' energy mu extra']);
    expect(s.muFrom).toBe('column mu');
    const l = parseXdi(['# XDI/1.0', '# Column.1: energy', '# Column.2: mu', '#----', '#  energy mu extra', '1 5', '2 6'].join('\n'), 'l.xdi');
    expect(l.warnings).toEqual(['column label line has 3 labels for 2 columns']);
    expect(l.columns).toEqual(['energy', 'mu']);
  });

  it('names columns from Column.N fields, filling gaps from the label line or as colN', () => {
    const rows = ['7100 10 5 0.5', '7110 10 4 0.6'];
    const a = parseXdi(xdi(['# Column.1: energy eV', '# Column.2:', '# Column.4: mutrans  counts per second || from the beamline', '#----', '#  e   i0  itrans  m'], rows), 'a.xdi');
    expect(a.columns).toEqual(['energy', 'i0', 'itrans', 'mutrans']);
    expect(a.units).toEqual(['eV', '', '', 'counts per second']);
    expect(a.muFrom).toBe('column mutrans');
    const b = parseXdi(xdi(['# Column.1: energy eV', '# Column.4: mutrans', '#----', '# e i0'], rows), 'b.xdi');
    expect(b.columns).toEqual(['energy', 'col2', 'col3', 'mutrans']);
    const c = parseXdi(xdi(['#----', '# energy i0 itrans mutrans'], rows), 'c.xdi');
    expect(c.columns).toEqual(['energy', 'i0', 'itrans', 'mutrans']);
    expect(c.units).toEqual(['', '', '', '']);
    expect(Array.from(c.energy)).toEqual([7100, 7110]);
  });

  it('converts keV, radians and unlabelled angles to eV, and refuses other units', () => {
    const d = 3.13553;
    const e = [8900, 9000];
    const rad = e.map((v) => Math.asin(HC_EV_ANGSTROM / (2 * d * v)));
    const mk = (c1: string, xs: number[], extra: string[] = [`# Mono.d_spacing: ${d}`]) =>
      xdi([`# Column.1: ${c1}`, '# Column.2: mutrans', ...extra, '#----'], xs.map((x, i) => `${x.toPrecision(12)} ${i + 1}`));
    const k = parseXdi(mk('energy keV', [8.9, 9.0]), 'k.xdi');
    expect(k.energy[0]).toBeCloseTo(8900, 9);
    expect(k.energy[1]).toBeCloseTo(9000, 9);
    const r = parseXdi(mk('angle radians', rad), 'r.xdi');
    expect(r.energy[0]).toBeCloseTo(8900, 4);
    expect(r.energy[1]).toBeCloseTo(9000, 4);
    const deg = rad.map((a) => (a * 180) / Math.PI);
    const t = parseXdi(mk('theta', deg), 't.xdi');
    expect(t.energy[1]).toBeCloseTo(9000, 4);
    expect(() => parseXdi(mk('theta', deg, []), 't.xdi')).toThrow(/^t\.xdi: abscissa "theta" is a monochromator angle \(degrees\) but Mono\.d_spacing is missing or not a positive number$/);
    expect(() => parseXdi(mk('angle rad', rad, ['# Mono.d_spacing: 0']), 'z.xdi')).toThrow(/^z\.xdi: abscissa "angle" is a monochromator angle \(rad\) but Mono\.d_spacing/);
    expect(() => parseXdi(mk('energy nm', [1, 2]), 'n.xdi')).toThrow(/^n\.xdi: abscissa units "nm" are not supported; expected eV, keV, degrees or radians$/);
    expect(Array.from(parseXdi(mk('energy EV', [7100, 7110]), 'e.xdi').energy)).toEqual([7100, 7110]);
  });
});

describe('XDI channels', () => {
  const energy = ['7100', '7110', '7120'];
  const withColumns = (names: string[]) =>
    xdi([...names.map((n, i) => `# Column.${i + 1}: ${n}`), '#----'], energy.map((e, r) => [e, ...names.slice(1).map((_, c) => String((c + 1) * 10 + r + 1))].join(' ')));

  it('takes mu from the first direct column in the order of each mode', () => {
    // values: column c (1-based after energy) holds c*10 + row
    expect(parseXdi(withColumns(['energy', 'i0', 'mu']), 'a.xdi').muFrom).toBe('column mu');
    expect(Array.from(parseXdi(withColumns(['energy', 'i0', 'mu']), 'a.xdi').mu)).toEqual([21, 22, 23]);
    expect(parseXdi(withColumns(['energy', 'xmu']), 'a.xdi').muFrom).toBe('column xmu');
    expect(parseXdi(withColumns(['energy', 'normtrans']), 'a.xdi').muFrom).toBe('column normtrans');
    expect(parseXdi(withColumns(['energy', 'normfluor']), 'a.xdi').muFrom).toBe('column normfluor');
    expect(parseXdi(withColumns(['energy', 'i0', 'itrans', 'mufluor']), 'a.xdi').muFrom).toBe('column mufluor');
    expect(parseXdi(withColumns(['energy', 'xmu', 'mu']), 'a.xdi').muFrom).toBe('column mu');
    expect(parseXdi(withColumns(['energy', 'normtrans', 'i0', 'ifluor']), 'a.xdi').muFrom).toBe('ifluor/i0');
    expect(parseXdi(withColumns(['energy', 'normfluor', 'normtrans']), 'a.xdi').muFrom).toBe('column normtrans');
    const both = withColumns(['energy', 'i0', 'itrans', 'ifluor', 'irefer', 'mutrans', 'mufluor', 'murefer']);
    expect(parseXdi(both, 'b.xdi', { mode: 'transmission' }).muFrom).toBe('column mutrans');
    expect(parseXdi(both, 'b.xdi', { mode: 'fluorescence' }).muFrom).toBe('column mufluor');
    expect(parseXdi(both, 'b.xdi', { mode: 'reference' }).muFrom).toBe('column murefer');
    expect(Array.from(parseXdi(both, 'b.xdi', { mode: 'reference' }).mu)).toEqual([71, 72, 73]);
    expect(parseXdi(withColumns(['energy', 'I0', 'IFluor']), 'c.xdi', { mode: 'fluorescence' }).muFrom).toBe('IFluor/I0');
  });

  it('never takes the abscissa as mu, and names the columns it has when a channel is missing', () => {
    const text = withColumns(['energy', 'i0', 'itrans']);
    expect(() => parseXdi(text, 'e.xdi', { column: 'Energy' })).toThrow(/^e\.xdi: no column "Energy"; columns are energy, i0, itrans$/);
    expect(parseXdi(text, 'e.xdi', { column: 'I0' }).muFrom).toBe('column i0');
    // "mu" as the first column's label is still the abscissa
    expect(() => parseXdi(withColumns(['mu', 'i0']), 'm.xdi')).toThrow(
      /^m\.xdi: cannot obtain mu \(auto\): needs a mutrans\/mufluor\/mu column, or i0 with itrans \(transmission\) or ifluor \(fluorescence\); columns are mu, i0$/,
    );
    expect(() => parseXdi(withColumns(['energy', 'itrans']), 't.xdi', { mode: 'transmission' })).toThrow(/cannot obtain mu \(transmission\)/);
    expect(() => parseXdi(withColumns(['energy', 'i0']), 't.xdi', { mode: 'transmission' })).toThrow(/cannot obtain mu \(transmission\)/);
  });

  it('reports data-section problems with their line', () => {
    const head = ['# Column.1: energy', '# Column.2: mutrans', '#----'];
    expect(() => parseXdi(xdi(head, ['1 2', '# late comment', '2 3']), 'c.xdi')).toThrow(/^c\.xdi:6: comment line inside the data section; XDI data lines must not begin with "#"$/);
    expect(() => parseXdi(xdi(head, []), 'n.xdi')).toThrow(/^n\.xdi: no data lines after the header$/);
    const long = 'q'.repeat(50);
    expect(() => parseXdi(xdi(head, ['1 2', `2 ${long}`]), 'l.xdi')).toThrow(`l.xdi:6:2: "${'q'.repeat(40)}" is not a number`);
    expect(() => parseXdi(`energy mu ${'z'.repeat(60)}\n1 2\n`, 'x.xdi')).toThrow(`x.xdi:1: expected the XDI version line "# XDI/1.0 ...", found "energy mu ${'z'.repeat(30)}"`);
    expect(() => parseXdi('', 'e.xdi')).toThrow(/^e\.xdi:1: expected the XDI version line "# XDI\/1\.0 \.\.\.", found ""$/);
    expect(() => parseXdi('  # XDI/1.0\n', 'i.xdi')).toThrow(/expected the XDI version line/);
    expect(() => parseXdi('# XDI/x.0\n', 'i.xdi')).toThrow(/expected the XDI version line/);
  });

  it('is recognised by its version line or its extension', () => {
    const dir = tempDir();
    const text = withColumns(['energy', 'mutrans']);
    const p = put(dir, 'scan.txt', text);
    expect(looksLikeXdi(text)).toBe(true);
    expect(looksLikeXdi('#XDI/1.10\r\n')).toBe(true);
    expect(looksLikeXdi('# XDI/1\n')).toBe(false);
    expect(looksLikeXdi('# XDI/10.0 GSE/1.0\n')).toBe(true);
    expect(looksLikeXdi('# XDI/1.0.2\n')).toBe(true);
    expect(looksLikeXdi('# XDI/1.0x\n')).toBe(false);
    expect(looksLikeXdi(`${' '.repeat(10)}# XDI/1.0\n`)).toBe(false);
    expect(looksLikeXdi('# energy mu\n# XDI/1.0\n')).toBe(false);
    expect(xdiFormat.name).toBe('xdi');
    expect(xdiFormat.describe).toMatch(/XAS Data Interchange/);
    expect(xdiFormat.detect(p, Buffer.from(text))).toBe(true);
    expect(xdiFormat.detect('a.XDI', Buffer.from('1 2\n'))).toBe(true);
    expect(xdiFormat.detect('a.xdi', Buffer.alloc(0))).toBe(false);
    expect(xdiFormat.detect('a.txt', Buffer.from('# e mu\n1 2\n'))).toBe(false);
    expect(xdiFormat.detect('a.xdi.txt', Buffer.from('1 2\n'))).toBe(false);
    const got = xdiFormat.read(p, {}) as Array<{ id: string; mu: Float64Array }>;
    expect(got.map((s) => [s.id, Array.from(s.mu)])).toEqual([['scan', [11, 12, 13]]]);
  });
});
