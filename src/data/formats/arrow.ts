import {
  AsyncByteQueue,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  Schema,
  Struct,
  Type,
  Utf8,
  type Dictionary,
  makeData,
  vectorFromArray,
  type Data,
  type Vector,
} from 'apache-arrow';
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { UserError, quote } from '../../util/errors.js';
import { AtomicFileWriter } from '../../util/atomic.js';
import { checkRegularFile, readInputBytes, statInput } from '../../util/read-file.js';
import { guardInput } from '../../util/io-guard.js';
import { concatDatasets, type SpectralDataset } from '../dataset.js';
import { writeWhole, type SpectraHeader } from './spectra-writer.js';

export type { SpectraHeader } from './spectra-writer.js';
import { DESCRIPTOR_PREFIX, ENERGY_PREFIX, summarizeNames } from './reference-csv.js';
import { FLOAT32_RANGE } from './reader.js';

/**
 * Apache Arrow IPC file (= Feather v2, uncompressed), the fast reload format.
 *
 * Layout written by {@link writeArrow}:
 * - column `id`: utf8, one per spectrum;
 * - one float64 column per descriptor, named by the descriptor (null = missing label);
 * - column `spectrum`: FixedSizeList<float32>[m], one list per spectrum;
 * - schema metadata `xlatent.energies`: the grid as a JSON array of numbers,
 *   `xlatent.axis`: energy | twotheta | q, `xlatent.layout`: "spectra/1".
 * Rows go into record batches of {@link ARROW_BATCH_ROWS}, so a large file
 * can be read (and written) a batch at a time.
 *
 * {@link readArrow} also takes wide tables such as pandas' `df.to_feather()`
 * of a reference-layout CSV: numeric `ENE_<energy>` columns become the
 * spectrum, `AUX_<NAME>` columns descriptors, the first utf8 column the id.
 *
 * Record batches are read by index from the file's footer, never by the
 * library's message loop: a corrupt footer pointing at a message that is
 * not a record batch is an error, not an endless loop.
 */
export const ARROW_LAYOUT = 'spectra/1';

/**
 * apache-arrow decodes its metadata with the flatbuffers runtime, which
 * trusts every vector length it reads: a flipped byte in a footer can claim
 * two billion entries and send the decoder into a loop that never ends or
 * fills the heap. Every vector must fit in its buffer (each entry takes at
 * least a byte), so a longer one is refused as corrupt before it is walked.
 * Installed once, on the very flatbuffers instance apache-arrow uses.
 */
function boundFlatbufferVectors(): void {
  const requireFromArrow = createRequire(createRequire(import.meta.url).resolve('apache-arrow'));
  const proto = (requireFromArrow('flatbuffers') as { ByteBuffer: { prototype: Record<string, unknown> } }).ByteBuffer.prototype as {
    __vector_len(offset: number): number;
    readInt32(offset: number): number;
    capacity(): number;
    __xlatentBounded?: boolean;
  };
  if (proto.__xlatentBounded) return;
  const vectorLength = proto.__vector_len;
  proto.__vector_len = function (offset: number): number {
    const len = vectorLength.call(this, offset);
    const start = offset + this.readInt32(offset) + 4;
    if (!(len >= 0) || (len > 0 && start + len > this.capacity())) {
      throw new Error(`corrupt metadata: a list of ${len} entries at byte ${start} runs past the end of its ${this.capacity()}-byte block`);
    }
    return len;
  };
  proto.__xlatentBounded = true;
}
boundFlatbufferVectors();
/** Rows per record batch written. */
export const ARROW_BATCH_ROWS = 16384;


/** A sink of raw bytes for the Arrow writer that passes them straight to a file (nothing is queued). */
export class FileSink extends AsyncByteQueue {
  constructor(private readonly out: AtomicFileWriter) {
    super();
  }
  override write(value: unknown): void {
    const b = value as Uint8Array;
    if (b && b.byteLength > 0) this.out.write(b);
  }
}

/** Writes a dataset chunk by chunk as one Arrow IPC file, atomically. */
export class ArrowSpectraWriter {
  private readonly file: AtomicFileWriter;
  private readonly writer = new RecordBatchFileWriter();
  private readonly schema: Schema;
  private readonly fields: Field[];
  private readonly m: number;
  private rows = 0;

  constructor(path: string, header: SpectraHeader) {
    this.m = header.energies.length;
    this.fields = [new Field('id', new Utf8(), false)];
    for (const name of header.descriptorNames) this.fields.push(new Field(name, new Float64(), true));
    this.fields.push(new Field('spectrum', new FixedSizeList(this.m, new Field('item', new Float32(), false)), false));
    const metadata = new Map<string, string>([
      ['xlatent.layout', ARROW_LAYOUT],
      ['xlatent.energies', JSON.stringify(Array.from(header.energies))],
      ['xlatent.axis', header.axis ?? 'energy'],
    ]);
    this.schema = new Schema(this.fields, metadata);
    this.file = new AtomicFileWriter(path);
    this.writer.reset(new FileSink(this.file));
  }

  /** Appends the rows of `ds` (same grid and descriptors as the header), in batches. */
  write(ds: SpectralDataset): void {
    for (let a = 0; a < ds.n; a += ARROW_BATCH_ROWS) this.writeBatch(ds, a, Math.min(ds.n, a + ARROW_BATCH_ROWS));
  }

  private writeBatch(ds: SpectralDataset, a: number, b: number): void {
    const k = ds.descriptorNames.length;
    const n = b - a;
    const children: Data[] = [vectorFromArray(ds.ids.slice(a, b), new Utf8()).data[0]];
    for (let j = 0; j < k; j++) {
      const col = new Float64Array(n);
      let nulls = 0;
      const valid = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) {
        const v = ds.descriptors[(a + i) * k + j];
        col[i] = v;
        if (Number.isNaN(v)) nulls++;
        else valid[i >> 3] |= 1 << (i & 7);
      }
      children.push(makeData({ type: new Float64(), length: n, data: col, nullCount: nulls, nullBitmap: nulls > 0 ? valid : undefined }));
    }
    const listType = this.fields[this.fields.length - 1].type as FixedSizeList;
    const values = makeData({ type: new Float32(), length: n * this.m, data: ds.spectra.subarray(a * this.m, b * this.m) });
    children.push(makeData({ type: listType, length: n, nullCount: 0, child: values }));
    const struct = makeData({ type: new Struct(this.fields), length: n, nullCount: 0, children });
    this.writer.write(new RecordBatch(this.schema, struct));
    this.rows += n;
  }

  /** Writes the footer and moves the file into place. */
  commit(): void {
    // An empty dataset still gets its schema (one batch of no rows).
    if (this.rows === 0) {
      const k = this.fields.length - 2;
      const none: SpectralDataset = { energies: new Float64Array(this.m), spectra: new Float32Array(0), n: 0, m: this.m, ids: [], descriptorNames: new Array(k).fill(''), descriptors: new Float64Array(0) };
      this.writeBatch(none, 0, 0);
    }
    this.writer.finish();
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes `ds` as an Arrow IPC file; float32 intensities and float64 grid/labels round-trip exactly. */
export function writeArrow(ds: SpectralDataset, path: string): void {
  writeWhole(new ArrowSpectraWriter(path, ds), ds);
}

/** Turns errors of the Arrow library (plain Errors about corrupt bytes) into UserErrors naming the file. */
function arrowError(e: unknown, path: string): UserError {
  if (e instanceof UserError) return e;
  return new UserError(`not a readable Arrow IPC / Feather v2 file (${String((e as Error)?.message ?? e).split('\n')[0]})`, path);
}

/** Reads an Arrow IPC file or stream (Feather v2) into a SpectralDataset. */
export function readArrow(path: string): SpectralDataset {
  const bytes = readInputBytes(path);
  const chunks: SpectralDataset[] = [];
  let layout: ArrowLayout | undefined;
  try {
    const reader = RecordBatchReader.from(bytes);
    reader.open();
    if (!reader.schema) throw new UserError('no schema (empty or truncated file)', path);
    layout = arrowLayout(reader.schema, path);
    let row = 0;
    const add = (batch: RecordBatch | null, i: number) => {
      if (!batch) throw new UserError(`record batch ${i + 1} of ${reader.numRecordBatches} is unreadable (corrupt footer or message)`, path);
      chunks.push(layout!.toChunk(batch, row));
      row += batch.numRows;
    };
    if (reader.isFile()) {
      for (let i = 0; i < reader.numRecordBatches; i++) add(reader.readRecordBatch(i), i);
    } else {
      let i = 0;
      for (const batch of reader) add(batch, i++);
    }
  } catch (e) {
    throw arrowError(e, path);
  }
  const ds = chunks.length === 1 ? chunks[0] : concatDatasets(chunks, layout!.header(path));
  if (ds.n === 0) throw new UserError('no rows (empty dataset)', path);
  return ds;
}

/**
 * Reads an Arrow file a slice of at most `rows` rows at a time, from disk
 * (the file is not held in memory; a record batch is, while its slices are
 * handed out).
 */
export async function* streamArrow(path: string, rows: number): AsyncGenerator<SpectralDataset> {
  checkRegularFile(statInput(path), path);
  guardInput(path);
  const handle = await open(path, 'r');
  let total = 0;
  try {
    let reader;
    let layout: ArrowLayout;
    let batches = 0;
    try {
      reader = await RecordBatchReader.from(boundedReads(handle));
      await reader.open();
      if (!reader.schema) throw new UserError('no schema (empty or truncated file)', path);
      layout = arrowLayout(reader.schema, path);
      if (reader.isFile()) batches = reader.numRecordBatches;
    } catch (e) {
      throw arrowError(e, path);
    }
    const slices = function* (batch: RecordBatch) {
      for (let a = 0; a < batch.numRows; a += rows) {
        let chunk: SpectralDataset;
        try {
          chunk = layout.toChunk(batch.slice(a, Math.min(batch.numRows, a + rows)), total);
        } catch (e) {
          throw arrowError(e, path);
        }
        total += chunk.n;
        yield chunk;
      }
    };
    if (reader.isFile()) {
      for (let i = 0; i < batches; i++) {
        let batch: RecordBatch | null;
        try {
          batch = await reader.readRecordBatch(i);
        } catch (e) {
          throw arrowError(e, path);
        }
        if (!batch) throw new UserError(`record batch ${i + 1} of ${batches} is unreadable (corrupt footer or message)`, path);
        yield* slices(batch);
      }
    } else {
      const it = reader[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<RecordBatch>;
        try {
          r = await it.next();
        } catch (e) {
          throw arrowError(e, path);
        }
        if (r.done) break;
        yield* slices(r.value);
      }
    }
    if (total === 0) throw new UserError('no rows (empty dataset)', path);
  } finally {
    await handle.close();
  }
}

/**
 * The file handle as apache-arrow's async reader uses it (fd, stat, read), with reads that cannot
 * spin: that reader loops until it has the bytes it asked for, so a corrupt footer offset (a
 * negative position, or one whose read returns nothing) would otherwise make it loop forever.
 */
function boundedReads(handle: FileHandle): FileHandle {
  const bounded = {
    fd: handle.fd,
    stat: () => handle.stat(),
    close: () => handle.close(),
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      if (!(position >= 0)) throw new Error(`corrupt footer or message: a read at byte ${position}`);
      const r = await handle.read(buffer, offset, length, position);
      if (r.bytesRead === 0 && length > 0) throw new Error(`corrupt footer or message: nothing to read at byte ${position}`);
      return r;
    },
  };
  // apache-arrow calls only these four (isFileHandle checks fd and stat).
  return bounded as unknown as FileHandle;
}

/** How the columns of an Arrow schema map to a dataset, and the conversion of one record batch. */
interface ArrowLayout {
  header(path: string): SpectralDataset;
  /** The rows of `batch` as a dataset; `first` is the row number of its first row in the file (for ids and messages). */
  toChunk(batch: RecordBatch, first: number): SpectralDataset;
}

function checkIncreasing(e: Float64Array, path: string, name: (i: number) => string): void {
  for (let i = 1; i < e.length; i++) {
    if (!(e[i] > e[i - 1])) {
      throw new UserError(`energies must increase strictly: ${name(i)} (${e[i]}) follows ${name(i - 1)} (${e[i - 1]})`, path);
    }
  }
}

function stringColumn(v: Vector | null, n: number, first: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = v?.get(i);
    out[i] = x === null || x === undefined ? String(first + i) : String(x);
  }
  return out;
}

function floatColumn(v: Vector, n: number, path: string, name: string, allowMissing: boolean, out: Float64Array | Float32Array, stride: number, offset: number, first: number): void {
  for (let i = 0; i < n; i++) {
    const x = v.get(i);
    // Number() takes the bigint of a 64-bit integer column too.
    let num = x === null || x === undefined ? NaN : Number(x);
    if (!Number.isFinite(num)) {
      if (!allowMissing) throw new UserError(`column ${quote(name)} row ${first + i + 1}: expected a finite number, found ${x}`, path);
      num = NaN;
    }
    out[i * stride + offset] = num;
    // Finite in float64 but past float32's range (spectra are float32): it would be stored as Infinity.
    if (Number.isFinite(num) && !Number.isFinite(out[i * stride + offset])) {
      throw new UserError(`column ${quote(name)} row ${first + i + 1}: ${FLOAT32_RANGE}, found ${x}`, path);
    }
  }
}

function isNumeric(typeId: Type): boolean {
  return typeId === Type.Float || typeId === Type.Int || typeId === Type.Decimal;
}

function childOf(batch: RecordBatch, name: string, path: string): Vector {
  const v = batch.getChild(name);
  if (!v) throw new UserError(`a record batch lacks column ${quote(name)}`, path);
  return v;
}

function arrowLayout(schema: Schema, path: string): ArrowLayout {
  return schema.fields.some((f) => f.name === 'spectrum') ? spectrumLayout(schema, path) : wideLayout(schema, path);
}

function emptyDataset(energies: Float64Array, descriptorNames: string[], axis: SpectralDataset['axis'], path: string): SpectralDataset {
  return { energies, spectra: new Float32Array(0), n: 0, m: energies.length, ids: [], descriptorNames, descriptors: new Float64Array(0), axis, source: path };
}

function spectrumLayout(schema: Schema, path: string): ArrowLayout {
  const meta = schema.metadata;
  const gridText = meta.get('xlatent.energies');
  if (!gridText) throw new UserError('column "spectrum" found but no "xlatent.energies" schema metadata holding the grid', path);
  let grid: unknown;
  try {
    grid = JSON.parse(gridText);
  } catch {
    throw new UserError('schema metadata "xlatent.energies" is not a JSON array', path);
  }
  if (!Array.isArray(grid) || grid.length < 1 || grid.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new UserError('schema metadata "xlatent.energies" must be an array of finite numbers', path);
  }
  const energies = Float64Array.from(grid as number[]);
  checkIncreasing(energies, path, (i) => `energies[${i}]`);
  const m = energies.length;
  const specField = schema.fields.find((f) => f.name === 'spectrum')!;
  if (specField.type.typeId !== Type.FixedSizeList || (specField.type as FixedSizeList).listSize !== m) {
    throw new UserError(`column "spectrum" must be a FixedSizeList of ${m} floats (the grid length), found ${specField.type}`, path);
  }
  const descFields = schema.fields.filter((f) => f.name !== 'spectrum' && f.name !== 'id' && isNumeric(f.type.typeId));
  const descriptorNames = descFields.map((f) => f.name);
  const k = descFields.length;
  const axisMeta = meta.get('xlatent.axis');
  const axis = axisMeta === 'twotheta' || axisMeta === 'q' ? axisMeta : 'energy';
  const hasId = schema.fields.some((f) => f.name === 'id');
  return {
    header: () => emptyDataset(energies, descriptorNames, axis, path),
    toChunk: (batch, first) => {
      const n = batch.numRows;
      const spectra = new Float32Array(n * m);
      const data = childOf(batch, 'spectrum', path).data[0];
      if (data.nullCount > 0) throw new UserError('column "spectrum" has null rows', path);
      const child = data.children[0];
      if (!child || child.typeId !== Type.Float) throw new UserError(`column "spectrum" must hold floats, found ${child?.type}`, path);
      const vals = child.values as Float32Array | Float64Array;
      // A slice's child values already start at its first list (arrow slices the value buffers).
      const start = 0;
      const len = n * m;
      if (start + len > vals.length) throw new UserError(`column "spectrum" holds fewer values than ${n} rows of ${m} (truncated file?)`, path);
      for (let t = 0; t < len; t++) {
        const v = vals[start + t];
        if (!Number.isFinite(v)) {
          const i = first + Math.floor(t / m);
          throw new UserError(`column "spectrum" row ${i + 1}, point ${(t % m) + 1}: expected a finite number, found ${v}`, path);
        }
        spectra[t] = v;
        if (!Number.isFinite(spectra[t])) {
          throw new UserError(`column "spectrum" row ${first + Math.floor(t / m) + 1}, point ${(t % m) + 1}: ${FLOAT32_RANGE}, found ${v}`, path);
        }
      }
      const descriptors = new Float64Array(n * k);
      descFields.forEach((f, j) => floatColumn(childOf(batch, f.name, path), n, path, f.name, true, descriptors, k, j, first));
      const ids = stringColumn(hasId ? childOf(batch, 'id', path) : null, n, first);
      return { energies, spectra, n, m, ids, descriptorNames, descriptors, axis, source: path };
    },
  };
}

function wideLayout(schema: Schema, path: string): ArrowLayout {
  const fields = schema.fields;
  const eneFields = fields.filter((f) => f.name.startsWith(ENERGY_PREFIX));
  if (eneFields.length === 0) {
    throw new UserError(`expected a "spectrum" FixedSizeList column (xlatent layout) or ENE_<energy> columns; found ${summarizeNames(fields.map((f) => f.name))}`, path);
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
  const auxFields = fields.filter((f) => f.name.startsWith(DESCRIPTOR_PREFIX));
  const descriptorNames = auxFields.map((f) => f.name.slice(DESCRIPTOR_PREFIX.length));
  const k = auxFields.length;
  // pandas writes string columns as utf8; arrow builders may dictionary-encode them.
  const idField = fields.find(
    (f) => f.typeId === Type.Utf8 || f.typeId === Type.LargeUtf8 || (f.typeId === Type.Dictionary && !isNumeric((f.type as Dictionary).dictionary.typeId)),
  );
  return {
    header: () => emptyDataset(energies, descriptorNames, 'energy', path),
    toChunk: (batch, first) => {
      const n = batch.numRows;
      const spectra = new Float32Array(n * m);
      eneFields.forEach((f, c) => floatColumn(childOf(batch, f.name, path), n, path, f.name, false, spectra, m, c, first));
      const descriptors = new Float64Array(n * k);
      auxFields.forEach((f, j) => floatColumn(childOf(batch, f.name, path), n, path, f.name, true, descriptors, k, j, first));
      const ids = stringColumn(idField ? childOf(batch, idField.name, path) : null, n, first);
      return { energies, spectra, n, m, ids, descriptorNames, descriptors, axis: 'energy', source: path };
    },
  };
}
