import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Schema,
  Table,
  Type,
  Utf8,
  RecordBatch,
  Struct,
  type Dictionary,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type Data,
  type Vector,
} from 'apache-arrow';
import { UserError, quote } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { SpectralDataset } from '../dataset.js';
import { readFileBytes } from './csv-table.js';
import { DESCRIPTOR_PREFIX, ENERGY_PREFIX, summarizeNames } from './reference-csv.js';

/**
 * Apache Arrow IPC file (= Feather v2, uncompressed), the fast reload format.
 *
 * Layout written by {@link writeArrow}:
 * - column `id`: utf8, one per spectrum;
 * - one float64 column per descriptor, named by the descriptor (null = missing label);
 * - column `spectrum`: FixedSizeList<float32>[m], one list per spectrum;
 * - schema metadata `xlatent.energies`: the grid as a JSON array of numbers,
 *   `xlatent.axis`: energy | twotheta | q, `xlatent.layout`: "spectra/1".
 *
 * {@link readArrow} also takes wide tables such as pandas' `df.to_feather()`
 * of a reference-layout CSV: numeric `ENE_<energy>` columns become the
 * spectrum, `AUX_<NAME>` columns descriptors, the first utf8 column the id.
 */
export const ARROW_LAYOUT = 'spectra/1';

/** Writes `ds` as an Arrow IPC file; float32 intensities and float64 grid/labels round-trip exactly. */
export function writeArrow(ds: SpectralDataset, path: string): void {
  const { n, m } = ds;
  const k = ds.descriptorNames.length;
  const fields: Field[] = [new Field('id', new Utf8(), false)];
  const children: Data[] = [vectorFromArray(ds.ids, new Utf8()).data[0]];
  for (let j = 0; j < k; j++) {
    const col = new Float64Array(n);
    let nulls = 0;
    const valid = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      const v = ds.descriptors[i * k + j];
      col[i] = v;
      if (Number.isNaN(v)) nulls++;
      else valid[i >> 3] |= 1 << (i & 7);
    }
    fields.push(new Field(ds.descriptorNames[j], new Float64(), true));
    children.push(
      makeData({ type: new Float64(), length: n, data: col, nullCount: nulls, nullBitmap: nulls > 0 ? valid : undefined }),
    );
  }
  const listType = new FixedSizeList(m, new Field('item', new Float32(), false));
  fields.push(new Field('spectrum', listType, false));
  const values = makeData({ type: new Float32(), length: n * m, data: ds.spectra });
  children.push(makeData({ type: listType, length: n, nullCount: 0, child: values }));
  const metadata = new Map<string, string>([
    ['xlatent.layout', ARROW_LAYOUT],
    ['xlatent.energies', JSON.stringify(Array.from(ds.energies))],
    ['xlatent.axis', ds.axis ?? 'energy'],
  ]);
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  const table = new Table(schema, [new RecordBatch(schema, struct)]);
  writeFileAtomic(path, tableToIPC(table, 'file'));
}

/** Reads an Arrow IPC file or stream (Feather v2) into a SpectralDataset. */
export function readArrow(path: string): SpectralDataset {
  const bytes = readFileBytes(path);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new UserError(`not a readable Arrow IPC / Feather v2 file (${(e as Error).message})`, path);
  }
  if (table.numRows === 0) throw new UserError('no rows (empty dataset)', path);
  return table.schema.fields.some((f) => f.name === 'spectrum') ? readSpectrumLayout(table, path) : readWideLayout(table, path);
}

function checkIncreasing(e: Float64Array, path: string, name: (i: number) => string): void {
  for (let i = 1; i < e.length; i++) {
    if (!(e[i] > e[i - 1])) {
      throw new UserError(`energies must increase strictly: ${name(i)} (${e[i]}) follows ${name(i - 1)} (${e[i - 1]})`, path);
    }
  }
}

function stringColumn(v: Vector, n: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = v.get(i);
    out[i] = x === null || x === undefined ? String(i) : String(x);
  }
  return out;
}

function floatColumn(v: Vector, n: number, path: string, name: string, allowMissing: boolean, out: Float64Array | Float32Array, stride: number, offset: number): void {
  for (let i = 0; i < n; i++) {
    const x = v.get(i);
    let num = x === null || x === undefined ? NaN : typeof x === 'bigint' ? Number(x) : Number(x);
    if (!Number.isFinite(num)) {
      if (!allowMissing) throw new UserError(`column ${quote(name)} row ${i + 1}: expected a finite number, found ${x}`, path);
      num = NaN;
    }
    out[i * stride + offset] = num;
  }
}

function isNumeric(typeId: Type): boolean {
  return typeId === Type.Float || typeId === Type.Int || typeId === Type.Decimal;
}

function readSpectrumLayout(table: Table, path: string): SpectralDataset {
  const n = table.numRows;
  const meta = table.schema.metadata;
  const gridText = meta.get('xlatent.energies');
  if (!gridText) throw new UserError('column "spectrum" found but no "xlatent.energies" schema metadata holding the grid', path);
  let grid: unknown;
  try {
    grid = JSON.parse(gridText);
  } catch {
    throw new UserError('schema metadata "xlatent.energies" is not a JSON array', path);
  }
  if (!Array.isArray(grid) || grid.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new UserError('schema metadata "xlatent.energies" must be an array of finite numbers', path);
  }
  const energies = Float64Array.from(grid as number[]);
  checkIncreasing(energies, path, (i) => `energies[${i}]`);
  const m = energies.length;
  const specField = table.schema.fields.find((f) => f.name === 'spectrum')!;
  if (specField.type.typeId !== Type.FixedSizeList || (specField.type as FixedSizeList).listSize !== m) {
    throw new UserError(`column "spectrum" must be a FixedSizeList of ${m} floats (the grid length), found ${specField.type}`, path);
  }
  const spectra = new Float32Array(n * m);
  let row = 0;
  for (const batch of table.batches) {
    const data = batch.getChild('spectrum')!.data[0];
    if (data.nullCount > 0) throw new UserError('column "spectrum" has null rows', path);
    const child = data.children[0];
    if (child.typeId !== Type.Float) throw new UserError(`column "spectrum" must hold floats, found ${child.type}`, path);
    const vals = child.values as Float32Array | Float64Array;
    // A sliced list column shifts its child by whole lists.
    const start = child.offset + data.offset * m;
    const len = batch.numRows * m;
    for (let t = 0; t < len; t++) {
      const v = vals[start + t];
      if (!Number.isFinite(v)) {
        const i = row + Math.floor(t / m);
        throw new UserError(`column "spectrum" row ${i + 1}, point ${(t % m) + 1}: expected a finite number, found ${v}`, path);
      }
      spectra[row * m + t] = v;
    }
    row += batch.numRows;
  }
  const descriptorNames: string[] = [];
  const descFields = table.schema.fields.filter((f) => f.name !== 'spectrum' && f.name !== 'id' && isNumeric(f.type.typeId));
  const k = descFields.length;
  const descriptors = new Float64Array(n * k);
  descFields.forEach((f, j) => {
    descriptorNames.push(f.name);
    floatColumn(table.getChild(f.name)!, n, path, f.name, true, descriptors, k, j);
  });
  const idCol = table.getChild('id');
  const ids = idCol ? stringColumn(idCol, n) : Array.from({ length: n }, (_, i) => String(i));
  const axisMeta = meta.get('xlatent.axis');
  const axis = axisMeta === 'twotheta' || axisMeta === 'q' ? axisMeta : 'energy';
  return { energies, spectra, n, m, ids, descriptorNames, descriptors, axis, source: path };
}

function readWideLayout(table: Table, path: string): SpectralDataset {
  const n = table.numRows;
  const fields = table.schema.fields;
  const eneFields = fields.filter((f) => f.name.startsWith(ENERGY_PREFIX));
  if (eneFields.length === 0) {
    throw new UserError(
      `expected a "spectrum" FixedSizeList column (xlatent layout) or ENE_<energy> columns; found ${summarizeNames(fields.map((f) => f.name))}`,
      path,
    );
  }
  const energies = Float64Array.from(eneFields, (f) => {
    const e = Number(f.name.slice(ENERGY_PREFIX.length));
    if (!Number.isFinite(e) || !isNumeric(f.type.typeId)) {
      throw new UserError(`column ${quote(f.name)}: expected a numeric ENE_<energy> column`, path);
    }
    return e;
  });
  checkIncreasing(energies, path, (i) => `column ${quote(eneFields[i].name)}`);
  const m = energies.length;
  const spectra = new Float32Array(n * m);
  eneFields.forEach((f, c) => floatColumn(table.getChild(f.name)!, n, path, f.name, false, spectra, m, c));
  const auxFields = fields.filter((f) => f.name.startsWith(DESCRIPTOR_PREFIX));
  const k = auxFields.length;
  const descriptors = new Float64Array(n * k);
  auxFields.forEach((f, j) => floatColumn(table.getChild(f.name)!, n, path, f.name, true, descriptors, k, j));
  // pandas writes string columns as utf8; arrow builders may dictionary-encode them.
  const idField = fields.find(
    (f) => f.typeId === Type.Utf8 || f.typeId === Type.LargeUtf8 || (f.typeId === Type.Dictionary && !isNumeric((f.type as Dictionary).dictionary.typeId)),
  );
  const ids = idField ? stringColumn(table.getChild(idField.name)!, n) : Array.from({ length: n }, (_, i) => String(i));
  return {
    energies,
    spectra,
    n,
    m,
    ids,
    descriptorNames: auxFields.map((f) => f.name.slice(DESCRIPTOR_PREFIX.length)),
    descriptors,
    axis: 'energy',
    source: path,
  };
}
