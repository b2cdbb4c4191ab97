import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  Data,
  Dictionary,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { readJsonSpectra, writeJsonSpectra } from '../../src/data/formats/json.js';
import { ARROW_BATCH_ROWS, readArrow, streamArrow, writeArrow } from '../../src/data/formats/arrow.js';
import type { RawSpectrum, SpectralDataset } from '../../src/data/dataset.js';
import { UserError } from '../../src/util/errors.js';
import { tempFiles, userErrorOf } from './helpers.js';

const { dir, file } = tempFiles();

const jsonError = (name: string, doc: unknown) => {
  const p = file(name, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return userErrorOf(() => readJsonSpectra(p)).then((m) => m.slice(p.length));
};

describe('JSON grid form', () => {
  it('reads ids (numbers as text), several descriptors row by row, and the axis', () => {
    const p = file('grid2.json', JSON.stringify({ energies: [1, 2], spectra: [[1, 2], [3, 4]], ids: [7, 'b'], descriptors: { CN: [4, 5], OS: [null, 3] }, axis: 'q' }));
    const ds = readJsonSpectra(p) as SpectralDataset;
    expect(ds).toMatchObject({ n: 2, m: 2, ids: ['7', 'b'], descriptorNames: ['CN', 'OS'], axis: 'q', source: p });
    expect(Array.from(ds.descriptors)).toEqual([4, NaN, 5, 3]);
    expect(Array.from(ds.energies)).toEqual([1, 2]);
    const plain = readJsonSpectra(file('plain.json', '{"energies": [1, 2], "spectra": [[1, 2], [3, 4]], "axis": "twotheta"}')) as SpectralDataset;
    expect(plain).toMatchObject({ ids: ['0', '1'], descriptorNames: [], axis: 'twotheta' });
    expect(plain.descriptors.length).toBe(0);
    expect((readJsonSpectra(file('energy.json', '{"energies": [1, 2], "spectra": [[1, 2]]}')) as SpectralDataset).axis).toBe('energy');
  });

  it('names the field and says what it found', async () => {
    const cases: [unknown, string][] = [
      ['42', ': expected an object with "energies" and "spectra", or an array of spectrum records'],
      ['null', ': expected an object with "energies" and "spectra", or an array of spectrum records'],
      ['"text"', ': expected an object with "energies" and "spectra", or an array of spectrum records'],
      [{ spectra: [] }, ': missing key "energies" (expected "energies", "spectra" and optionally "descriptors", "ids", "axis")'],
      [{ energies: [1, 2] }, ': missing key "spectra" (expected "energies", "spectra" and optionally "descriptors", "ids", "axis")'],
      [{ energies: [1, 2], spectra: [[1, 2]], Ids: [] }, ': unknown key "Ids" (expected one of energies, spectra, descriptors, ids, axis)'],
      [{ energies: 'x', spectra: [] }, ': energies: expected an array of numbers, found "x"'],
      [{ energies: [1], spectra: [[1]] }, ': energies: expected at least 2 energies'],
      [{ energies: [1, 1], spectra: [[1, 2]] }, ': energies[1]: energies must increase strictly: 1 at index 1 follows 1'],
      [{ energies: [1, true], spectra: [[1, 2]] }, ': energies[1]: expected a finite number, found true'],
      [{ energies: [1, 2], spectra: {} }, ': spectra: expected an array of spectra, found an object'],
      [{ energies: [1, 2], spectra: [[1, 2], 5] }, ': spectra[1]: expected an array of 2 numbers, found 5'],
      [{ energies: [1, 2], spectra: [[1, [2]]] }, ': spectra[0][1]: expected a finite number, found an array of 1'],
      [{ energies: [1, 2], spectra: [[1, {}]] }, ': spectra[0][1]: expected a finite number, found an object'],
      [{ energies: [1, 2], spectra: [[1, 2]], ids: 'a' }, ': ids: expected an array of 1 ids (one per spectrum), found "a"'],
      [{ energies: [1, 2], spectra: [[1, 2], [3, 4]], ids: ['a'] }, ': ids: expected an array of 2 ids (one per spectrum), found an array of 1'],
      [{ energies: [1, 2], spectra: [[1, 2], [3, 4]], ids: ['a', false] }, ': ids[1]: expected a string, found false'],
      [{ energies: [1, 2], spectra: [[1, 2]], ids: [null] }, ': ids[0]: expected a string, found null'],
      [{ energies: [1, 2], spectra: [[1, 2]], descriptors: [] }, ': descriptors: expected an object of descriptor arrays, found an array of 0'],
      [{ energies: [1, 2], spectra: [[1, 2]], descriptors: null }, ': descriptors: expected an object of descriptor arrays, found null'],
      [{ energies: [1, 2], spectra: [[1, 2]], descriptors: 3 }, ': descriptors: expected an object of descriptor arrays, found 3'],
      [{ energies: [1, 2], spectra: [[1, 2]], descriptors: { CN: 4 } }, ': descriptors.CN: expected 1 values (one per spectrum), found 4'],
      [{ energies: [1, 2], spectra: [[1, 2]], descriptors: { CN: ['x'] } }, ': descriptors.CN[0]: expected a finite number or null (missing label), found "x"'],
      [{ energies: [1, 2], spectra: [[1, 2]], axis: 'k' }, ': axis: expected "energy", "twotheta" or "q", found "k"'],
      [{ energies: [1, 2], spectra: [[1, 2]], axis: null }, ': axis: expected "energy", "twotheta" or "q", found null'],
      ['{"energies": [1, 1e999], "spectra": [[1, 2]]}', ': energies[1]: expected a finite number, found Infinity'],
      ['{"energies": [1, 2], "spectra": [[1, 2]], "descriptors": {"CN": [-1e999]}}', ': descriptors.CN[0]: expected a finite number or null (missing label), found -Infinity'],
      ['{"energies": [1, 2], "spectra": [[1, 1e39]]}', ': spectra[0][1]: expected a number within the float32 range of spectra (magnitude below 3.4e38), found 1e+39'],
    ];
    let i = 0;
    for (const [doc, want] of cases) expect(await jsonError(`bad${i++}.json`, doc), want).toBe(want);
  });

  it('keeps float64 energies and labels beyond the float32 range', () => {
    const ds = readJsonSpectra(file('f64.json', '{"energies": [1e39, 2e39], "spectra": [[1, 2]], "descriptors": {"X": [1e300]}}')) as SpectralDataset;
    expect(Array.from(ds.energies)).toEqual([1e39, 2e39]);
    expect(Array.from(ds.descriptors)).toEqual([1e300]);
  });
});

describe('JSON record form', () => {
  it('reads ids, key aliases and labels; a missing label is NaN', () => {
    const recs = [
      { energy: [1, 2], energies: [9, 10], spectrum: [3, 4], descriptors: { CN: null, OS: 2 }, labels: { X: 1 } },
      { id: 42, energies: [1, 2, 3], mu: [1e39, 0, 1] },
    ];
    const p = file('recs2.json', JSON.stringify(recs));
    const raw = readJsonSpectra(p) as RawSpectrum[];
    expect(raw.map((r) => r.id)).toEqual(['0', '42']);
    expect(Array.from(raw[0].energy)).toEqual([1, 2]);
    expect(Array.from(raw[0].mu)).toEqual([3, 4]);
    expect(raw[0].labels).toEqual({ CN: NaN, OS: 2 });
    expect(raw[1].labels).toEqual({});
    expect(Array.from(raw[1].mu)).toEqual([1e39, 0, 1]);
    expect(raw.map((r) => r.source)).toEqual([`${p}[0]`, `${p}[1]`]);
  });

  it('names the record and field of a bad one', async () => {
    const cases: [unknown, string][] = [
      [[5], ': [0]: expected a spectrum record {id, energy, mu, descriptors}, found 5'],
      [[{ energy: [1, 2], mu: [1, 2] }, null], ': [1]: expected a spectrum record {id, energy, mu, descriptors}, found null'],
      [[[1, 2]], ': [0]: expected a spectrum record {id, energy, mu, descriptors}, found an array of 2'],
      [[{ energy: 'x', mu: [1] }], ': [0].energy: expected an array of numbers, found "x"'],
      ['[{"energy": [1, 2], "mu": [1, 1e999]}]', ': [0].mu[1]: expected a finite number, found Infinity'],
      [[{ energy: [1, 2] }], ': [0]: expected keys "energy" and "mu" (or "energies", "intensity"/"spectrum")'],
      [[{ mu: [1, 2] }], ': [0]: expected keys "energy" and "mu" (or "energies", "intensity"/"spectrum")'],
      [[{ energies: [1], mu: [1] }], ': [0].energies: expected at least 2 points'],
      [[{ energy: [1, 3, 2], mu: [1, 2, 3] }], ': [0].energy[2]: energies must increase strictly: 2 at index 2 follows 3'],
      [[{ energy: [1, 2], intensity: [1, 'a'] }], ': [0].intensity[1]: expected a finite number, found "a"'],
      [[{ energy: [1, 2], mu: [1, 2], labels: null }], ': [0].descriptors: expected an object of descriptor values, found null'],
      [[{ energy: [1, 2], mu: [1, 2], descriptors: [1] }], ': [0].descriptors: expected an object of descriptor values, found an array of 1'],
      [[{ energy: [1, 2], mu: [1, 2], descriptors: 'CN' }], ': [0].descriptors: expected an object of descriptor values, found "CN"'],
      [[{ energy: [1, 2], mu: [1, 2], labels: { CN: '4' } }], ': [0].descriptors.CN: expected a finite number or null (missing label), found "4"'],
    ];
    let i = 0;
    for (const [doc, want] of cases) expect(await jsonError(`rbad${i++}.json`, doc), want).toBe(want);
  });
});

describe('JSON writer', () => {
  it('writes the axis, ids and missing labels as null', () => {
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra: Float32Array.from([0.1, 0.2, 0.3, 0.4]), n: 2, m: 2,
      ids: ['a', 'b'], descriptorNames: ['CN'], descriptors: Float64Array.from([NaN, 4]), axis: 'twotheta',
    };
    const p = join(dir, 'w.json');
    writeJsonSpectra(ds, p);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ energies: [1, 2], axis: 'twotheta', spectra: [[0.1, 0.2], [0.3, 0.4]], ids: ['a', 'b'], descriptors: { CN: [null, 4] } });
    const back = readJsonSpectra(p) as SpectralDataset;
    expect(back.axis).toBe('twotheta');
    writeJsonSpectra({ ...ds, axis: undefined }, p);
    expect(JSON.parse(readFileSync(p, 'utf8')).axis).toBe('energy');
  });
});

/** An Arrow IPC file (or stream) of one record batch with the given columns and schema metadata. */
function arrowBytes(columns: [Field, Data][], n: number, metadata: Record<string, string> = {}, format: 'file' | 'stream' = 'file'): Uint8Array {
  const fields = columns.map((c) => c[0]);
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map((c) => c[1]) });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), format);
}

const floats = (values: number[]) => makeData({ type: new Float64(), length: values.length, data: Float64Array.from(values) });
const spectrumColumn = (m: number, values: number[], child: Data = makeData({ type: new Float32(), length: values.length, data: Float32Array.from(values) })): [Field, Data] => {
  const type = new FixedSizeList(m, new Field('item', child.type, false));
  return [new Field('spectrum', type, false), makeData({ type, length: values.length / m, nullCount: 0, child })];
};
const idColumn = (ids: string[]): [Field, Data] => [new Field('id', new Utf8(), false), vectorFromArray(ids, new Utf8()).data[0]];
const grid = (e: unknown) => ({ 'xlatent.energies': JSON.stringify(e), 'xlatent.layout': 'spectra/1' });

describe('Arrow xlatent layout', () => {
  it('reads numeric descriptor columns of any numeric type, ignores text ones, and numbers rows without an id', () => {
    const bytes = arrowBytes(
      [
        [new Field('CN', new Int32(), true), makeData({ type: new Int32(), length: 2, data: Int32Array.from([4, 6]) })],
        [new Field('note', new Utf8(), true), vectorFromArray(['x', 'y'], new Utf8()).data[0]],
        [new Field('V', new Int64(), true), makeData({ type: new Int64(), length: 2, data: BigInt64Array.from([3n, -2n]) })],
        [new Field('R', new Float64(), true), floats([NaN, 0.5])],
        spectrumColumn(2, [1, 2, 3, 4]),
      ],
      2,
      { ...grid([10, 20]), 'xlatent.axis': 'q' },
    );
    const ds = readArrow(file('noid.arrow', bytes));
    expect(ds).toMatchObject({ n: 2, m: 2, ids: ['0', '1'], descriptorNames: ['CN', 'V', 'R'], axis: 'q' });
    expect(Array.from(ds.descriptors)).toEqual([4, 3, NaN, 6, -2, 0.5]);
    expect(Array.from(ds.spectra)).toEqual([1, 2, 3, 4]);
    expect(Array.from(ds.energies)).toEqual([10, 20]);
    // any other axis is energy
    const other = arrowBytes([spectrumColumn(2, [1, 2])], 1, { ...grid([10, 20]), 'xlatent.axis': 'k' });
    expect(readArrow(file('axis.arrow', other)).axis).toBe('energy');
    const tth = arrowBytes([spectrumColumn(2, [1, 2])], 1, { ...grid([10, 20]), 'xlatent.axis': 'twotheta' });
    expect(readArrow(file('tth.arrow', tth)).axis).toBe('twotheta');
  });

  it('reads float64 spectrum values and the IPC stream format, and null ids as row numbers', async () => {
    const ids: [Field, Data] = [new Field('id', new Utf8(), true), vectorFromArray(['a', null], new Utf8()).data[0]];
    const bytes = arrowBytes([ids, spectrumColumn(2, [1.5, 2.5, 3.5, 4.5], floats([1.5, 2.5, 3.5, 4.5]))], 2, grid([1, 2]), 'stream');
    const p = file('stream.arrows', bytes);
    const ds = readArrow(p);
    expect(ds.ids).toEqual(['a', '1']);
    expect(Array.from(ds.spectra)).toEqual([1.5, 2.5, 3.5, 4.5]);
    const chunks: SpectralDataset[] = [];
    for await (const c of streamArrow(p, 1)) chunks.push(c);
    expect(chunks.map((c) => c.ids)).toEqual([['a'], ['1']]);
    expect(chunks.map((c) => Array.from(c.spectra))).toEqual([[1.5, 2.5], [3.5, 4.5]]);
  });

  it('names what is wrong with the grid metadata and the spectrum column', async () => {
    const spec = () => spectrumColumn(2, [1, 2]);
    const cases: [Uint8Array, string][] = [
      [arrowBytes([spec()], 1, {}), 'column "spectrum" found but no "xlatent.energies" schema metadata holding the grid'],
      [arrowBytes([spec()], 1, { 'xlatent.energies': '[1, 2' }), 'schema metadata "xlatent.energies" is not a JSON array'],
      [arrowBytes([spec()], 1, grid([])), 'schema metadata "xlatent.energies" must be an array of finite numbers'],
      [arrowBytes([spec()], 1, grid({ a: 1 })), 'schema metadata "xlatent.energies" must be an array of finite numbers'],
      [arrowBytes([spec()], 1, grid([1, '2'])), 'schema metadata "xlatent.energies" must be an array of finite numbers'],
      [arrowBytes([spec()], 1, grid([1, null])), 'schema metadata "xlatent.energies" must be an array of finite numbers'],
      [arrowBytes([spec()], 1, grid([2, 1])), 'energies must increase strictly: energies[1] (1) follows energies[0] (2)'],
      [arrowBytes([spec()], 1, grid([1, 2, 3])), 'column "spectrum" must be a FixedSizeList of 3 floats (the grid length), found FixedSizeList[2]<Float32>'],
      [arrowBytes([[new Field('spectrum', new Float64()), floats([1])]], 1, grid([1, 2])), 'column "spectrum" must be a FixedSizeList of 2 floats (the grid length), found Float64'],
      [arrowBytes([spectrumColumn(2, [1, 2], makeData({ type: new Int32(), length: 2, data: Int32Array.from([1, 2]) }))], 1, grid([1, 2])), 'column "spectrum" must hold floats, found Int32'],
      [arrowBytes([spectrumColumn(2, [1, 2, 3, NaN])], 2, grid([1, 2])), 'column "spectrum" row 2, point 2: expected a finite number, found NaN'],
      [arrowBytes([spectrumColumn(2, [1, Infinity, 3, 4])], 2, grid([1, 2])), 'column "spectrum" row 1, point 2: expected a finite number, found Infinity'],
      [arrowBytes([spectrumColumn(2, [1, 2, 1e39, 4], floats([1, 2, 1e39, 4]))], 2, grid([1, 2])), 'column "spectrum" row 2, point 1: expected a number within the float32 range of spectra (magnitude below 3.4e38), found 1e+39'],
    ];
    let i = 0;
    for (const [bytes, want] of cases) {
      const p = file(`meta${i++}.arrow`, bytes);
      expect(await userErrorOf(() => readArrow(p)), want).toBe(`${p}: ${want}`);
    }
  });

  it('refuses null spectrum rows', async () => {
    const child = makeData({ type: new Float32(), length: 4, data: Float32Array.from([1, 2, 3, 4]) });
    const type = new FixedSizeList(2, new Field('item', new Float32(), false));
    const nulls = makeData({ type, length: 2, nullCount: 1, nullBitmap: Uint8Array.from([0b01]), child });
    const p = file('nullrow.arrow', arrowBytes([[new Field('spectrum', type, true), nulls]], 2, grid([1, 2])));
    expect(await userErrorOf(() => readArrow(p))).toBe(`${p}: column "spectrum" has null rows`);
  });

  it('writes and reads the axis; an empty dataset is a file that reads as empty', async () => {
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra: Float32Array.from([1, 2]), n: 1, m: 2, ids: ['a'], descriptorNames: ['CN'], descriptors: Float64Array.from([3]), axis: 'q',
    };
    const p = join(dir, 'q.arrow');
    writeArrow(ds, p);
    expect(readArrow(p)).toMatchObject({ axis: 'q', ids: ['a'], descriptorNames: ['CN'] });
    const e = join(dir, 'empty.arrow');
    writeArrow({ ...ds, n: 0, spectra: new Float32Array(0), ids: [], descriptors: new Float64Array(0) }, e);
    expect(await userErrorOf(() => readArrow(e))).toBe(`${e}: no rows (empty dataset)`);
    expect(await userErrorOf(async () => {
      for await (const c of streamArrow(e, 10)) void c;
    })).toBe(`${e}: no rows (empty dataset)`);
    expect(await userErrorOf(async () => {
      for await (const c of streamArrow(file('junk2.arrow', 'ARROW1 but not really'), 10)) void c;
    })).toMatch(/junk2\.arrow: not a readable Arrow IPC \/ Feather v2 file \(/);
  });

  it('an empty file has no schema, read whole or streamed', async () => {
    const p = file('zero.arrow', '');
    expect(await userErrorOf(() => readArrow(p))).toBe(`${p}: no schema (empty or truncated file)`);
    expect(await userErrorOf(async () => {
      for await (const c of streamArrow(p, 2)) void c;
    })).toBe(`${p}: no schema (empty or truncated file)`);
  });

  it('writes record batches of ARROW_BATCH_ROWS rows and reads them back in order, whole or in slices', async () => {
    const n = ARROW_BATCH_ROWS + 3;
    const spectra = Float32Array.from({ length: 2 * n }, (_, i) => i);
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra, n, m: 2, ids: Array.from({ length: n }, (_, i) => `s${i}`),
      descriptorNames: ['CN'], descriptors: Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : i)),
    };
    const p = join(dir, 'batches.arrow');
    writeArrow(ds, p);
    const back = readArrow(p);
    expect(back.n).toBe(n);
    expect(back.ids[n - 1]).toBe(`s${n - 1}`);
    expect(Array.from(back.spectra.subarray(2 * n - 4))).toEqual([2 * n - 4, 2 * n - 3, 2 * n - 2, 2 * n - 1]);
    expect(Array.from(back.descriptors.subarray(n - 6))).toEqual(Array.from(ds.descriptors.subarray(n - 6)));
    const sizes: number[] = [];
    let last: SpectralDataset | undefined;
    for await (const c of streamArrow(p, 10000)) {
      sizes.push(c.n);
      last = c;
    }
    expect(sizes).toEqual([10000, ARROW_BATCH_ROWS - 10000, 3]);
    expect(last!.ids).toEqual([`s${n - 3}`, `s${n - 2}`, `s${n - 1}`]);
  });
});

describe('Arrow wide layout (pandas to_feather of a reference CSV)', () => {
  const ene = (name: string, values: number[]): [Field, Data] => [new Field(name, new Float64(), true), floats(values)];

  it('takes the first text column as id (dictionary-encoded too), AUX_ labels with nulls, integer ENE_ columns', () => {
    const dict = vectorFromArray(['a', 'b'], new Dictionary(new Utf8(), new Int32())).data[0];
    const aux = makeData({ type: new Float64(), length: 2, data: Float64Array.from([4, 0]), nullCount: 1, nullBitmap: Uint8Array.from([0b01]) });
    const bytes = arrowBytes(
      [
        [new Field('AUX_CN', new Float64(), true), aux],
        [new Field('name', dict.type, true), dict],
        [new Field('ENE_1', new Int32(), true), makeData({ type: new Int32(), length: 2, data: Int32Array.from([5, 6]) })],
        ene('ENE_2.5', [7, 8]),
      ],
      2,
    );
    const ds = readArrow(file('wide-dict.arrow', bytes));
    expect(ds).toMatchObject({ ids: ['a', 'b'], descriptorNames: ['CN'], n: 2, m: 2, axis: 'energy' });
    expect(Array.from(ds.descriptors)).toEqual([4, NaN]);
    expect(Array.from(ds.energies)).toEqual([1, 2.5]);
    expect(Array.from(ds.spectra)).toEqual([5, 7, 6, 8]);
    const noText = readArrow(file('wide-noid.arrow', arrowBytes([ene('ENE_1', [1, 2]), ene('ENE_2', [3, 4])], 2)));
    expect(noText.ids).toEqual(['0', '1']);
    expect(noText.descriptorNames).toEqual([]);
  });

  it('names the column and row of a bad header or value', async () => {
    const idc = idColumn(['a', 'b']);
    const cases: [Uint8Array, string][] = [
      [arrowBytes([idc, ene('ENE_x', [1, 2])], 2), 'column "ENE_x": expected a numeric ENE_<energy> column'],
      [arrowBytes([idc, [new Field('ENE_1', new Utf8()), vectorFromArray(['1', '2'], new Utf8()).data[0]]], 2), 'column "ENE_1": expected a numeric ENE_<energy> column'],
      [arrowBytes([idc, ene('ENE_2', [1, 2]), ene('ENE_1', [3, 4])], 2), 'energies must increase strictly: column "ENE_1" (1) follows column "ENE_2" (2)'],
      [arrowBytes([idc, ene('ENE_1', [1, 2]), ene('ENE_2', [3, NaN])], 2), 'column "ENE_2" row 2: expected a finite number, found NaN'],
      [arrowBytes([idc, ene('ENE_1', [1, 1e39])], 2), 'column "ENE_1" row 2: expected a number within the float32 range of spectra (magnitude below 3.4e38), found 1e+39'],
      [
        arrowBytes([idc, [new Field('ENE_1', new Float64(), true), makeData({ type: new Float64(), length: 2, data: Float64Array.from([1, 0]), nullCount: 1, nullBitmap: Uint8Array.from([0b01]) })]], 2),
        'column "ENE_1" row 2: expected a finite number, found null',
      ],
      [arrowBytes([idc, ene('AUX_CN', [1, 2])], 2), 'expected a "spectrum" FixedSizeList column (xlatent layout) or ENE_<energy> columns; found "id", "AUX_CN"'],
    ];
    let i = 0;
    for (const [bytes, want] of cases) {
      const p = file(`wbad${i++}.arrow`, bytes);
      expect(await userErrorOf(() => readArrow(p)), want).toBe(`${p}: ${want}`);
    }
  });

  it('streams slices numbering rows on, and names the file row of a bad value in a later slice', async () => {
    const p = file('wide-stream.arrow', arrowBytes([ene('ENE_1', [1, 2, 3, NaN, 5])], 5));
    const got: string[][] = [];
    const msg = await userErrorOf(async () => {
      for await (const c of streamArrow(p, 2)) got.push(c.ids);
    });
    expect(got).toEqual([['0', '1']]);
    expect(msg).toBe(`${p}: column "ENE_1" row 4: expected a finite number, found NaN`);
  });
});

describe('Arrow files with corrupt metadata', () => {
  /** What reading `bytes` gives: 'ok', or the UserError message without the path; anything else fails the test. */
  async function outcome(p: string, bytes: Uint8Array, stream: boolean): Promise<string> {
    writeFileSync(p, bytes);
    try {
      if (stream) for await (const c of streamArrow(p, 1)) void c;
      else readArrow(p);
      return 'ok';
    } catch (e) {
      if (!(e instanceof UserError)) throw new Error(`not a UserError: ${(e as Error).stack}`);
      expect(e.message.startsWith(`${p}: `)).toBe(true);
      expect(e.message).not.toMatch(/\n/);
      return e.message.slice(p.length + 2);
    }
  }

  it('a huge or negative count anywhere in the schema and footer is a one-line error naming the file, never a hang', async () => {
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra: Float32Array.from([1, 2, 3, 4]), n: 2, m: 2, ids: ['a', 'b'], descriptorNames: ['CN'], descriptors: Float64Array.from([1, NaN]),
    };
    const good = join(dir, 'fuzz-src.arrow');
    writeArrow(ds, good);
    const bytes = readFileSync(good);
    const p = join(dir, 'fuzz.arrow');
    const seen = new Set<string>();
    // 0x7fffffff or -1 written over every 4 bytes after the leading magic: counts, offsets and lengths all get hit
    for (let i = 8; i + 4 <= bytes.length - 6; i += 4) {
      for (const word of [0x7fffffff, -1]) {
        const bad = Buffer.from(bytes);
        bad.writeInt32LE(word, i);
        seen.add(await outcome(p, bad, false));
      }
    }
    const all = [...seen].join('\n');
    expect(all).toMatch(/not a readable Arrow IPC \/ Feather v2 file \(corrupt metadata: a list of \d+ entries at byte \d+ runs past the end of its \d+-byte block\)/);
    expect(all).toMatch(/record batch 1 of 1 is unreadable \(corrupt footer or message\)/);
    expect(all).toMatch(/column "spectrum" holds fewer values than 2 rows of 2 \(truncated file\?\)/);
    expect(seen.has('ok')).toBe(true);
  });

  it('streamed reads of corrupt files fail the same way, a negative block offset included (it made the reader spin)', async () => {
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra: Float32Array.from([1, 2, 3, 4]), n: 2, m: 2, ids: ['a', 'b'], descriptorNames: [], descriptors: new Float64Array(0),
    };
    const good = join(dir, 'fuzz-stream-src.arrow');
    writeArrow(ds, good);
    const bytes = readFileSync(good);
    const p = join(dir, 'fuzz-stream.arrow');
    const seen = new Set<string>();
    for (let i = 8; i + 4 <= bytes.length - 6; i += 4) {
      for (const word of [-1]) {
        const bad = Buffer.from(bytes);
        bad.writeInt32LE(word, i);
        seen.add(await outcome(p, bad, true));
      }
    }
    const all = [...seen].join('\n');
    expect(all).toMatch(/not a readable Arrow IPC \/ Feather v2 file \(corrupt metadata: a list of/);
    expect(all).toMatch(/not a readable Arrow IPC \/ Feather v2 file \(corrupt footer or message: a read at byte -\d+\)/);
    expect(seen.has('ok')).toBe(true);
  });

  it('a file cut short while it is streamed is an error, not an endless wait', async () => {
    const n = ARROW_BATCH_ROWS + 1;
    const ds: SpectralDataset = {
      energies: Float64Array.from([1, 2]), spectra: new Float32Array(2 * n), n, m: 2, ids: Array.from({ length: n }, (_, i) => String(i)), descriptorNames: [], descriptors: new Float64Array(0),
    };
    const p = join(dir, 'shrinks.arrow');
    writeArrow(ds, p);
    const it = streamArrow(p, ARROW_BATCH_ROWS);
    expect((await it.next()).value?.n).toBe(ARROW_BATCH_ROWS);
    writeFileSync(p, readFileSync(p).subarray(0, 200));
    expect(await userErrorOf(() => it.next())).toMatch(/^.*shrinks\.arrow: not a readable Arrow IPC \/ Feather v2 file \(corrupt footer or message: nothing to read at byte \d+\)$/);
  });
});

describe('Arrow id columns', () => {
  it('a numeric id column of the xlatent layout gives the ids and is not a descriptor', () => {
    const type = new FixedSizeList(2, new Field('item', new Float32(), false));
    const spec = makeData({ type, length: 2, nullCount: 0, child: makeData({ type: new Float32(), length: 4, data: Float32Array.from([1, 2, 3, 4]) }) });
    const bytes = arrowBytes(
      [
        [new Field('id', new Int32()), makeData({ type: new Int32(), length: 2, data: Int32Array.from([7, 8]) })],
        [new Field('CN', new Float64()), floats([4, 5])],
        [new Field('spectrum', type), spec],
      ],
      2,
      { 'xlatent.energies': '[1,2]' },
    );
    const ds = readArrow(file('intid.arrow', bytes));
    expect(ds.ids).toEqual(['7', '8']);
    expect(ds.descriptorNames).toEqual(['CN']);
    expect(Array.from(ds.descriptors)).toEqual([4, 5]);
  });

  it('the wide layout takes a large-utf8 id, and skips dictionary-encoded numbers when looking for one', () => {
    const numDict = vectorFromArray([1.5, 2.5], new Dictionary(new Float64(), new Int32())).data[0];
    const large = vectorFromArray(['p', 'q'], new LargeUtf8()).data[0];
    const bytes = arrowBytes(
      [
        [new Field('code', numDict.type), numDict],
        [new Field('name', new LargeUtf8()), large],
        [new Field('ENE_1', new Float64()), floats([1, 2])],
      ],
      2,
    );
    expect(readArrow(file('large.arrow', bytes)).ids).toEqual(['p', 'q']);
  });
});
