import { describe, expect, it } from 'vitest';
import { linearAxis } from '../../src/data/grid.js';
import {
  normalizeIntensity, preprocessXrd, qToTwoTheta, readXyFile,
  resolveWavelength, snipBackground, twoThetaToQ,
} from '../../src/data/xrd.js';
import { npyToSpectra, parseNpy, readNpyFile } from '../../src/data/formats/npy.js';
import { put, tempDir } from './helpers.js';

function npy(shape: number[], values: number[], opts: { fortran?: boolean; descr?: string } = {}): Uint8Array {
  let header = `{'descr': '${opts.descr ?? '<f8'}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + values.length * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  values.forEach((v, i) => dv.setFloat64(8 * i, v, true));
  return out;
}

describe('XRD axis conversion', () => {
  it('round-trips 2-theta -> q -> 2-theta and matches Bragg\'s law', () => {
    const tth = linearAxis(10, 0.5, 141);
    for (const unit of ['1/A', '1/nm'] as const) {
      const q = twoThetaToQ(tth, 'CuKa1', unit);
      const back = qToTwoTheta(q, 1.5405929, unit);
      for (let i = 0; i < tth.length; i++) expect(back[i]).toBeCloseTo(tth[i], 10);
    }
    // Si(111), d = 3.1356 A: q = 2 pi / d, 2-theta = 28.44 deg with Cu Ka1
    const q = twoThetaToQ([28.443], 'cuka1', '1/A')[0];
    expect(q).toBeCloseTo((2 * Math.PI) / 3.1356, 3);
    expect(twoThetaToQ([28.443], 'CuKa1', '1/nm')[0]).toBeCloseTo(10 * q, 9);
    expect(resolveWavelength('Cu Ka1')).toBe(1.5405929);
    expect(() => resolveWavelength('Unobtainium')).toThrow(/unknown X-ray source/);
    expect(() => qToTwoTheta([9], 'CuKa1')).toThrow(/not reachable/);
  });
});

describe('XRD background and normalization', () => {
  it('SNIP removes a smooth background under narrow peaks', () => {
    const x = linearAxis(10, 0.05, 1401);
    const bg = Float64Array.from(x, (t) => 200 + 3000 * Math.exp(-t / 15) + 0.5 * t);
    const peaks = Float64Array.from(x, (t) => 5000 * Math.exp(-0.5 * ((t - 30) / 0.1) ** 2) + 2000 * Math.exp(-0.5 * ((t - 55) / 0.15) ** 2));
    const y = Float64Array.from(x, (_, i) => bg[i] + peaks[i]);
    const est = snipBackground(y, { halfWidth: 30 });
    let worst = 0;
    for (let i = 50; i < x.length - 50; i++) worst = Math.max(worst, Math.abs(est[i] - bg[i]) / bg[i]);
    expect(worst).toBeLessThan(0.03);
    const i30 = x.findIndex((t) => t >= 30);
    expect(y[i30] - est[i30]).toBeGreaterThan(4800);
    const p = preprocessXrd({ id: 'p', energy: x, mu: y, labels: {}, source: 'mem' }, { background: { halfWidth: 30 }, normalize: 'max', axis: 'q', wavelength: 'CuKa1', qUnit: '1/nm' });
    expect(Math.max(...p.mu)).toBeCloseTo(1, 12);
    expect(p.energy[0]).toBeCloseTo(twoThetaToQ([10], 'CuKa1', '1/nm')[0], 12);
  });

  it('normalizes by area', () => {
    const x = linearAxis(0, 0.1, 101);
    const a = normalizeIntensity(x, Float64Array.from(x, () => 4), 'area');
    expect(a[0]).toBeCloseTo(0.1, 12);
    expect(() => normalizeIntensity(x, new Float64Array(101), 'max')).toThrow(/cannot normalize/);
  });
});

describe('XRD readers', () => {
  it('reads a strict .npy matrix in C and Fortran order', () => {
    const m = parseNpy(npy([2, 3], [1, 2, 3, 4, 5, 6]), 'c.npy');
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    // Fortran order stores columns: (1,4),(2,5),(3,6)
    const f = parseNpy(npy([2, 3], [1, 4, 2, 5, 3, 6], { fortran: true }), 'f.npy');
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const dir = tempDir();
    const sp = npyToSpectra(readNpyFile(put(dir, 'pat.npy', npy([2, 3], [1, 2, 3, 4, 5, 6]))), [15, 15.1, 15.2], `${dir}/pat.npy`);
    expect(sp.map((s) => s.id)).toEqual(['pat:1', 'pat:2']);
    expect(Array.from(sp[1].mu)).toEqual([4, 5, 6]);
  });

  it('rejects malformed .npy files', () => {
    expect(() => parseNpy(Buffer.from('hello world'), 'x.npy')).toThrow(/not a \.npy file/);
    expect(() => parseNpy(npy([2, 3], [1, 2, 3, 4, 5, 6], { descr: '<i8' }), 'i.npy')).toThrow(/dtype "<i8" is not supported/);
    expect(() => parseNpy(npy([2, 4], [1, 2, 3, 4, 5, 6]), 's.npy')).toThrow(/needs 64/);
    expect(() => parseNpy(npy([1, 2, 3], [1, 2, 3, 4, 5, 6]), 'd.npy')).toThrow(/3 dimensions/);
    expect(() => parseNpy(npy([2, 3], [1, 2, NaN, 4, 5, 6]), 'n.npy')).toThrow(/row 1, column 3/);
  });

  it('reads two-column xy patterns', () => {
    const dir = tempDir();
    const s = readXyFile(put(dir, 'p.xy', "' 2theta intensity\n10.00 5\n10.02 7\n"), { comment: "'#" });
    expect(Array.from(s.energy)).toEqual([10, 10.02]);
    expect(Array.from(s.mu)).toEqual([5, 7]);
  });
});
