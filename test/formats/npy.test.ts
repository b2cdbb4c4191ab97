import { describe, expect, it } from 'vitest';
import { npyToSpectra, parseAbscissaArg, parseNpy, readNpyDataset } from '../../src/data/formats/npy.js';
import { userErrorOf } from '../data/helpers.js';
import { put, tempDir } from './helpers.js';

interface NpyOptions {
  descr?: string;
  fortran?: boolean;
  version?: 1 | 2 | 3;
  /** Header dict text instead of the one built from descr/fortran/shape. */
  header?: string;
  /** Header encoding (version 3 headers are UTF-8, older ones latin-1). */
  encoding?: BufferEncoding;
}

/** A .npy file as NumPy writes it: magic, version, header length, header dict padded to 64 bytes, data. */
function npy(shape: number[], values: number[], o: NpyOptions = {}): Buffer {
  const descr = o.descr ?? '<f8';
  const version = o.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  let header = o.header ?? `{'descr': '${descr}', 'fortran_order': ${o.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((pre + Buffer.byteLength(header, o.encoding ?? 'latin1') + 1) % 64)) % 64) + '\n';
  const h = Buffer.from(header, o.encoding ?? 'latin1');
  const start = Buffer.alloc(pre);
  start.write('\x93NUMPY', 0, 'latin1');
  start[6] = version;
  start[7] = 0;
  if (version === 1) start.writeUInt16LE(h.length, 8);
  else start.writeUInt32LE(h.length, 8);
  const size = descr.endsWith('4') ? 4 : 8;
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<f8') data.writeDoubleLE(v, i * 8);
    else if (descr === '>f8') data.writeDoubleBE(v, i * 8);
    else if (descr === '<f4') data.writeFloatLE(v, i * 4);
    else if (descr === '>f4') data.writeFloatBE(v, i * 4);
    else data.writeDoubleLE(v, i * 8);
  });
  return Buffer.concat([start, h, data]);
}

const err = (bytes: Uint8Array, name = 'x.npy') => userErrorOf(() => parseNpy(bytes, name));

describe('.npy parser', () => {
  it('reads float64 and float32 in either byte order, versions 1 to 3', () => {
    // Values that float32 holds exactly, so every dtype must give the same numbers.
    const values = [1.5, -2.25, 3e3, 0.125, -7, 65536.5];
    for (const descr of ['<f8', '>f8', '<f4', '>f4']) {
      for (const version of [1, 2, 3] as const) {
        const m = parseNpy(npy([2, 3], values, { descr, version }), 'v.npy');
        expect([m.rows, m.cols], `${descr} v${version}`).toEqual([2, 3]);
        expect(Array.from(m.data), `${descr} v${version}`).toEqual(values);
      }
    }
    // float32 data are the float32 values, not reinterpreted float64 bytes
    expect(Array.from(parseNpy(npy([1, 2], [0.1, 1e-3], { descr: '<f4' }), 'f.npy').data)).toEqual([Math.fround(0.1), Math.fround(1e-3)]);
  });

  it('transposes Fortran order into rows of a non-square matrix', () => {
    // 2 x 3 matrix [[1,2,3],[4,5,6]] stored column by column
    const f = parseNpy(npy([2, 3], [1, 4, 2, 5, 3, 6], { fortran: true }), 'f.npy');
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
    // 3 x 2 matrix [[1,2],[3,4],[5,6]] stored column by column
    const g = parseNpy(npy([3, 2], [1, 3, 5, 2, 4, 6], { fortran: true, descr: '>f4' }), 'g.npy');
    expect([g.rows, g.cols]).toEqual([3, 2]);
    expect(Array.from(g.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a 1-D array as one row, and an empty matrix whose header ends the file', () => {
    const one = parseNpy(npy([4], [1, 2, 3, 4]), 'one.npy');
    expect([one.rows, one.cols]).toEqual([1, 4]);
    expect(Array.from(one.data)).toEqual([1, 2, 3, 4]);
    const none = parseNpy(npy([0, 3], []), 'none.npy');
    expect([none.rows, none.cols, none.data.length]).toEqual([0, 3, 0]);
    // NumPy's own spacing varies: no trailing comma, no spaces
    const tight = parseNpy(npy([2, 2], [1, 2, 3, 4], { header: "{'descr':'<f8','fortran_order':False,'shape':(2,2)}" }), 't.npy');
    expect(Array.from(tight.data)).toEqual([1, 2, 3, 4]);
  });

  it('refuses what is not a .npy file, naming it', async () => {
    expect(await err(Buffer.from('hello world'), 'x.npy')).toBe('x.npy: not a .npy file (missing \\x93NUMPY magic)');
    // one wrong magic byte, anywhere
    for (let i = 0; i < 6; i++) {
      const b = npy([1, 2], [1, 2]);
      b[i] ^= 0x20;
      expect(await err(b)).toMatch(/^x\.npy: not a \.npy file/);
    }
    // the magic and version alone are too short for a header length
    expect(await err(npy([1, 2], [1, 2]).subarray(0, 9))).toMatch(/^x\.npy: not a \.npy file/);
  });

  it('names the version, a header cut off, a malformed header and a missing key', async () => {
    const v4 = npy([1, 2], [1, 2]);
    v4[6] = 4;
    v4[7] = 1;
    expect(await err(v4)).toBe('x.npy: unsupported .npy format version 4.1');
    const v0 = npy([1, 2], [1, 2]);
    v0[6] = 0;
    expect(await err(v0)).toBe('x.npy: unsupported .npy format version 0.0');
    const full = npy([1, 2], [1, 2]);
    // the header is 118 bytes: cut inside it
    expect(await err(full.subarray(0, 100))).toBe('x.npy: .npy header runs past the end of the file');
    // version 2 reads a 4-byte length: a version-1 file relabelled as 2 claims a huge header
    const v2 = npy([1, 2], [1, 2]);
    v2[6] = 2;
    expect(await err(v2)).toBe('x.npy: .npy header runs past the end of the file');
    // ten bytes with an empty header: a malformed header, not a missing magic
    const bare = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    expect(await err(bare)).toBe('x.npy: malformed .npy header: ');
    expect(await err(npy([1, 2], [1, 2], { header: "'descr': '<f8'" }))).toBe("x.npy: malformed .npy header: 'descr': '<f8'");
    expect(await err(npy([1, 2], [1, 2], { header: "{'descr': '<f8', 'shape': (1, 2)}" }))).toBe(
      "x.npy: .npy header lacks descr, fortran_order or shape: {'descr': '<f8', 'shape': (1, 2)}",
    );
    expect(await err(npy([1, 2], [1, 2], { header: "{'fortran_order': False, 'shape': (1, 2)}" }))).toMatch(/lacks descr, fortran_order or shape/);
    expect(await err(npy([1, 2], [1, 2], { header: "{'descr': '<f8', 'fortran_order': False}" }))).toMatch(/lacks descr, fortran_order or shape/);
  });

  it('reads the header as a dict whatever its spacing, and nothing around it', async () => {
    const spaced = parseNpy(npy([1, 2], [1, 2], { header: "{ 'descr' : '<f8' ,\n 'fortran_order' :\tFalse , 'shape' : ( 1 , 2 ) }" }), 's.npy');
    expect(Array.from(spaced.data)).toEqual([1, 2]);
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
    expect(await err(npy([1, 2], [1, 2], { header: `x${dict}` }))).toBe(`x.npy: malformed .npy header: x${dict}`);
    expect(await err(npy([1, 2], [1, 2], { header: `${dict}x` }))).toBe(`x.npy: malformed .npy header: ${dict}x`);
    const long = `{'descr': '<f8', 'fortran_order': False, 'note': '${'n'.repeat(100)}'}`;
    expect(await err(npy([1, 2], [1, 2], { header: long }))).toBe(`x.npy: .npy header lacks descr, fortran_order or shape: ${long.slice(0, 80)}`);
  });

  it('decodes a version-3 header as UTF-8 and older ones as latin-1 (in messages)', async () => {
    expect(await err(npy([1, 2], [1, 2], { version: 3, header: "{'note': 'µ'", encoding: 'utf8' }))).toBe("x.npy: malformed .npy header: {'note': 'µ'");
    expect(await err(npy([1, 2], [1, 2], { version: 1, header: "{'note': 'µ'", encoding: 'latin1' }))).toBe("x.npy: malformed .npy header: {'note': 'µ'");
    // a long header is quoted to 80 characters
    const long = `{'descr': '<f8', ${'x'.repeat(200)}`;
    expect(await err(npy([1, 2], [1, 2], { header: long }))).toBe(`x.npy: malformed .npy header: ${long.slice(0, 80)}`);
  });

  it('refuses other dtypes, shapes and data sizes, saying what it found', async () => {
    expect(await err(npy([1, 2], [1, 2], { descr: '<i8' }))).toBe(`x.npy: .npy dtype "<i8" is not supported; expected float64 or float32 ('<f8', '<f4')`);
    expect(await err(npy([1, 2], [1, 2], { descr: '|u1' }))).toMatch(/dtype "\|u1" is not supported/);
    expect(await err(npy([1, 2, 1], [1, 2]))).toBe('x.npy: .npy array has 3 dimensions; expected a 2-D matrix (patterns x points) or 1-D');
    expect(await err(npy([], [1]))).toBe('x.npy: .npy array has 0 dimensions; expected a 2-D matrix (patterns x points) or 1-D');
    expect(await err(npy([1, 2], [1, 2], { header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2), }" }))).toBe(
      'x.npy: .npy shape entry "-2" is not a non-negative integer',
    );
    expect(await err(npy([1, 2], [1, 2], { header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2L), }" }))).toMatch(/shape entry "2L"/);
    expect(await err(npy([2, 4], [1, 2, 3, 4, 5, 6]))).toBe('x.npy: .npy data holds 48 bytes; shape (2, 4) of <f8 needs 64');
    expect(await err(npy([2, 2], [1, 2, 3, 4, 5]))).toBe('x.npy: .npy data holds 40 bytes; shape (2, 2) of <f8 needs 32');
    expect(await err(npy([2, 2], [1, 2, 3], { descr: '<f4' }))).toBe('x.npy: .npy data holds 12 bytes; shape (2, 2) of <f4 needs 16');
  });

  it('names the row and column of a non-finite value (after the Fortran transpose)', async () => {
    expect(await err(npy([2, 3], [1, 2, NaN, 4, 5, 6]), 'n.npy')).toBe('n.npy: non-finite value NaN at row 1, column 3');
    expect(await err(npy([2, 3], [1, 2, 3, Infinity, 5, 6]), 'n.npy')).toBe('n.npy: non-finite value Infinity at row 2, column 1');
    // stored column-major: element 3 is row 2, column 2
    expect(await err(npy([2, 3], [1, 4, 2, -Infinity, 3, 6], { fortran: true }), 'n.npy')).toBe('n.npy: non-finite value -Infinity at row 2, column 2');
  });
});

describe('.npy datasets', () => {
  it('puts the rows on the given abscissa with zero-padded row ids', () => {
    const dir = tempDir();
    const rows = Array.from({ length: 10 }, (_, r) => [r, r + 0.5, r + 0.25]);
    const p = put(dir, 'ten.npy', npy([10, 3], rows.flat()));
    const ds = readNpyDataset(p, { kind: 'twotheta', start: 10, step: 0.5 });
    expect(ds).toMatchObject({ n: 10, m: 3, axis: 'twotheta', source: p, descriptorNames: [] });
    expect(Array.from(ds.energies)).toEqual([10, 10.5, 11]);
    expect(ds.ids[0]).toBe('row_01');
    expect(ds.ids[9]).toBe('row_10');
    expect(Array.from(ds.spectra)).toEqual(rows.flat());
    expect(ds.descriptors.length).toBe(0);
    expect(readNpyDataset(put(dir, 'two.npy', npy([2, 2], [1, 2, 3, 4])), { kind: 'q', start: 0, step: 1 }).ids).toEqual(['row_1', 'row_2']);
  });

  it('asks for the abscissa of a .npy file', async () => {
    const p = put(tempDir(), 'a.npy', npy([1, 2], [1, 2]));
    expect(await userErrorOf(() => readNpyDataset(p, undefined))).toBe(`${p}: a .npy file holds intensities only; give its abscissa as kind:start:step, e.g. --axis q:15:0.1`);
  });

  it('refuses a float64 value that float32 spectra cannot hold, instead of storing Infinity', async () => {
    const p = put(tempDir(), 'big.npy', npy([2, 2], [1, 2, 3, 1e300]));
    expect(await userErrorOf(() => readNpyDataset(p, { kind: 'q', start: 0, step: 1 }))).toBe(`${p}: row 2, column 2: expected a number within the float32 range of spectra (magnitude below 3.4e38), found 1e+300`);
    const q = put(tempDir(), 'ok.npy', npy([1, 2], [3.4e38, -3.4e38]));
    expect(Array.from(readNpyDataset(q, { kind: 'q', start: 0, step: 1 }).spectra)).toEqual([Math.fround(3.4e38), Math.fround(-3.4e38)]);
  });

  it('parses --axis kind:start:step', async () => {
    expect(parseAbscissaArg(undefined)).toBeUndefined();
    expect(parseAbscissaArg('q:15:0.1')).toEqual({ kind: 'q', start: 15, step: 0.1 });
    expect(parseAbscissaArg('energy:-5:2')).toEqual({ kind: 'energy', start: -5, step: 2 });
    expect(parseAbscissaArg('twotheta:0:1e-2')).toEqual({ kind: 'twotheta', start: 0, step: 0.01 });
    for (const bad of ['k:1:0.1', 'q:x:0.1', 'q:1:0', 'q:1:-1', 'q:1', 'q:1:abc', 'q:Infinity:1']) {
      expect(await userErrorOf(() => parseAbscissaArg(bad))).toBe(
        `--axis: expected kind:start:step with kind energy, twotheta or q and step > 0 (e.g. q:15:0.1), found "${bad}"`,
      );
    }
  });

  it('turns matrix rows into raw spectra on an increasing abscissa of matching length', async () => {
    const m = parseNpy(npy([2, 3], [1, 2, 3, 4, 5, 6]), '/d/pat.npy');
    const sp = npyToSpectra(m, [15, 15.1, 15.2], '/d/pat.npy');
    expect(sp.map((s) => s.id)).toEqual(['pat:1', 'pat:2']);
    expect(Array.from(sp[0].mu)).toEqual([1, 2, 3]);
    expect(Array.from(sp[1].mu)).toEqual([4, 5, 6]);
    expect(Array.from(sp[1].energy)).toEqual([15, 15.1, 15.2]);
    expect(sp[0]).toMatchObject({ labels: {}, source: '/d/pat.npy' });
    expect(await userErrorOf(() => npyToSpectra(m, [1, 2], 'p.npy'))).toBe('p.npy: abscissa has 2 values but the patterns have 3 points');
    expect(await userErrorOf(() => npyToSpectra(m, [1, 2, 2], 'p.npy'))).toBe('p.npy: abscissa must increase strictly (value 3)');
    expect(await userErrorOf(() => npyToSpectra(m, [2, 1, 3], 'p.npy'))).toBe('p.npy: abscissa must increase strictly (value 2)');
  });
});
