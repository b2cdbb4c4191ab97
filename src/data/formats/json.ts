import { UserError, quote } from '../../util/errors.js';
import { parseJsonText } from '../../util/json-text.js';
import { AtomicFileWriter } from '../../util/atomic.js';
import type { SpectraHeader } from './spectra-writer.js';
import type { RawSpectrum, SpectralDataset } from '../dataset.js';
import { writeWhole } from './spectra-writer.js';
import { readInputText } from '../../util/read-file.js';
import { float32Text } from './csv-table.js';
import { FLOAT32_RANGE } from './reader.js';

/**
 * JSON spectra, in one of two forms.
 *
 * Grid form (one shared grid) -> SpectralDataset:
 *
 *   { "energies": [7100, 7100.5, ...],
 *     "spectra": [[0.01, 0.02, ...], ...],          // one array per spectrum, length = energies
 *     "descriptors": { "CN": [4, 6, ...], ... },     // optional; one value per spectrum, null = missing
 *     "ids": ["a", "b", ...],                       // optional; default "0", "1", ...
 *     "axis": "energy" }                            // optional: energy | twotheta | q
 *
 * Record form (each spectrum on its own grid) -> RawSpectrum[]:
 *
 *   [ { "id": "a", "energy": [...], "mu": [...], "descriptors": { "CN": 4 } }, ... ]
 *
 * where `energies` may stand for `energy`, `intensity`/`spectrum` for `mu`
 * and `labels` for `descriptors`. Errors name the file and the field path
 * (`spectra[3][17]`); JSON syntax errors name line and column.
 */
export function readJsonSpectra(path: string): SpectralDataset | RawSpectrum[] {
  const text = readInputText(path);
  const doc = parseJsonText(text, path);
  if (Array.isArray(doc)) return readRecords(doc, path);
  if (doc !== null && typeof doc === 'object') return readGrid(doc as Record<string, unknown>, path);
  throw new UserError('expected an object with "energies" and "spectra", or an array of spectrum records', path);
}

function where(path: string, field: string): string {
  return `${path}: ${field}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return quote(v);
  return typeof v === 'object' ? 'an object' : String(v);
}

/** Copies a JSON array of finite numbers into `out` at `offset`. */
function numbersInto(v: unknown, out: Float32Array | Float64Array, offset: number, len: number, path: string, field: string): void {
  if (!Array.isArray(v)) throw new UserError(`expected an array of ${len} numbers, found ${describe(v)}`, where(path, field));
  if (v.length !== len) throw new UserError(`expected ${len} numbers, found ${v.length}`, where(path, field));
  for (let i = 0; i < len; i++) {
    const x = v[i];
    // Number.isFinite is false for anything but a finite number (JSON's 1e999 parses to Infinity).
    if (!Number.isFinite(x)) throw new UserError(`expected a finite number, found ${describe(x)}`, where(path, `${field}[${i}]`));
    out[offset + i] = x as number;
    // Finite in float64 but past float32's range (spectra are float32): it would be stored as Infinity.
    if (!Number.isFinite(out[offset + i])) throw new UserError(`${FLOAT32_RANGE}, found ${x}`, where(path, `${field}[${i}]`));
  }
}

function numberArray(v: unknown, path: string, field: string): Float64Array {
  if (!Array.isArray(v)) throw new UserError(`expected an array of numbers, found ${describe(v)}`, where(path, field));
  const out = new Float64Array(v.length);
  numbersInto(v, out, 0, v.length, path, field);
  return out;
}

function checkIncreasing(e: Float64Array, path: string, field: string): void {
  for (let i = 1; i < e.length; i++) {
    if (!(e[i] > e[i - 1])) {
      throw new UserError(
        `energies must increase strictly: ${e[i]} at index ${i} follows ${e[i - 1]}`,
        where(path, `${field}[${i}]`),
      );
    }
  }
}

function readGrid(doc: Record<string, unknown>, path: string): SpectralDataset {
  for (const key of ['energies', 'spectra']) {
    if (!(key in doc)) {
      throw new UserError(`missing key ${quote(key)} (expected "energies", "spectra" and optionally "descriptors", "ids", "axis")`, path);
    }
  }
  const known = new Set(['energies', 'spectra', 'descriptors', 'ids', 'axis']);
  for (const key of Object.keys(doc)) {
    if (!known.has(key)) throw new UserError(`unknown key ${quote(key)} (expected one of ${[...known].join(', ')})`, path);
  }
  const energies = numberArray(doc.energies, path, 'energies');
  if (energies.length < 2) throw new UserError('expected at least 2 energies', where(path, 'energies'));
  checkIncreasing(energies, path, 'energies');
  const m = energies.length;
  const rows = doc.spectra;
  if (!Array.isArray(rows)) throw new UserError(`expected an array of spectra, found ${describe(rows)}`, where(path, 'spectra'));
  const n = rows.length;
  if (n === 0) throw new UserError('no spectra (empty dataset)', where(path, 'spectra'));
  const spectra = new Float32Array(n * m);
  for (let i = 0; i < n; i++) numbersInto(rows[i], spectra, i * m, m, path, `spectra[${i}]`);
  let ids: string[];
  if (doc.ids === undefined) ids = Array.from({ length: n }, (_, i) => String(i));
  else {
    if (!Array.isArray(doc.ids) || doc.ids.length !== n) {
      throw new UserError(`expected an array of ${n} ids (one per spectrum), found ${describe(doc.ids)}`, where(path, 'ids'));
    }
    ids = doc.ids.map((x, i) => {
      if (typeof x !== 'string' && typeof x !== 'number') throw new UserError(`expected a string, found ${describe(x)}`, where(path, `ids[${i}]`));
      return String(x);
    });
  }
  const descriptorNames: string[] = [];
  let descriptors = new Float64Array(0);
  if (doc.descriptors !== undefined) {
    const d = doc.descriptors;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) {
      throw new UserError(`expected an object of descriptor arrays, found ${describe(d)}`, where(path, 'descriptors'));
    }
    const entries = Object.entries(d as Record<string, unknown>);
    const k = entries.length;
    descriptors = new Float64Array(n * k);
    entries.forEach(([name, values], j) => {
      descriptorNames.push(name);
      if (!Array.isArray(values) || values.length !== n) {
        throw new UserError(`expected ${n} values (one per spectrum), found ${describe(values)}`, where(path, `descriptors.${name}`));
      }
      for (let i = 0; i < n; i++) descriptors[i * k + j] = labelValue(values[i], path, `descriptors.${name}[${i}]`);
    });
  }
  const axis = doc.axis;
  if (axis !== undefined && axis !== 'energy' && axis !== 'twotheta' && axis !== 'q') {
    throw new UserError(`expected "energy", "twotheta" or "q", found ${describe(axis)}`, where(path, 'axis'));
  }
  return { energies, spectra, n, m, ids, descriptorNames, descriptors, axis: axis ?? 'energy', source: path };
}

function labelValue(v: unknown, path: string, field: string): number {
  if (v === null) return NaN;
  if (!Number.isFinite(v)) throw new UserError(`expected a finite number or null (missing label), found ${describe(v)}`, where(path, field));
  return v as number;
}

function pick(rec: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (k in rec) return rec[k];
  return undefined;
}

function readRecords(doc: unknown[], path: string): RawSpectrum[] {
  if (doc.length === 0) throw new UserError('no spectra (empty array)', path);
  return doc.map((r, i) => {
    const field = `[${i}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new UserError(`expected a spectrum record {id, energy, mu, descriptors}, found ${describe(r)}`, where(path, field));
    }
    const rec = r as Record<string, unknown>;
    const eKey = ['energy', 'energies'].find((k) => k in rec);
    const muKey = ['mu', 'intensity', 'spectrum'].find((k) => k in rec);
    if (!eKey || !muKey) {
      throw new UserError('expected keys "energy" and "mu" (or "energies", "intensity"/"spectrum")', where(path, field));
    }
    const energy = numberArray(rec[eKey], path, `${field}.${eKey}`);
    if (energy.length < 2) throw new UserError('expected at least 2 points', where(path, `${field}.${eKey}`));
    checkIncreasing(energy, path, `${field}.${eKey}`);
    const mu = new Float64Array(energy.length);
    numbersInto(rec[muKey], mu, 0, energy.length, path, `${field}.${muKey}`);
    const labels: Record<string, number> = {};
    const lab = pick(rec, ['descriptors', 'labels']);
    if (lab !== undefined) {
      if (lab === null || typeof lab !== 'object' || Array.isArray(lab)) {
        throw new UserError(`expected an object of descriptor values, found ${describe(lab)}`, where(path, `${field}.descriptors`));
      }
      for (const [name, v] of Object.entries(lab as Record<string, unknown>)) {
        labels[name] = labelValue(v, path, `${field}.descriptors.${name}`);
      }
    }
    const id = rec.id === undefined ? String(i) : String(rec.id);
    return { id, energy, mu, labels, source: `${path}${field}` };
  });
}

/**
 * Writes the grid form (NaN labels as null), losslessly, chunk by chunk:
 * spectra one per line as they come; ids and descriptors (small) are kept
 * and written at the end, so no output-sized string is ever built.
 */
export class JsonSpectraWriter {
  private readonly file: AtomicFileWriter;
  private readonly ids: string[] = [];
  private readonly descriptors: (number | null)[][];
  private rows = 0;

  constructor(path: string, private readonly header: SpectraHeader) {
    this.descriptors = header.descriptorNames.map(() => []);
    this.file = new AtomicFileWriter(path);
    this.file.write(`{\n"energies": ${JSON.stringify(Array.from(header.energies))},\n"axis": ${JSON.stringify(header.axis ?? 'energy')},\n"spectra": [\n`);
  }

  write(ds: SpectralDataset): void {
    const k = ds.descriptorNames.length;
    for (let i = 0; i < ds.n; i++) {
      // Shortest float32 text keeps the file small and reads back to the same float32 values.
      this.file.write(`${this.rows > 0 ? ',\n' : ''}[${Array.from(ds.spectra.subarray(i * ds.m, (i + 1) * ds.m), float32Text).join(',')}]`);
      this.ids.push(ds.ids[i]);
      for (let j = 0; j < k; j++) {
        const v = ds.descriptors[i * k + j];
        this.descriptors[j].push(Number.isNaN(v) ? null : v);
      }
      this.rows++;
    }
  }

  commit(): void {
    const descriptors = Object.fromEntries(this.header.descriptorNames.map((name, j) => [name, this.descriptors[j]]));
    this.file.write(`\n],\n"ids": ${JSON.stringify(this.ids)},\n"descriptors": ${JSON.stringify(descriptors)}\n}\n`);
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes the grid form (see {@link JsonSpectraWriter}). */
export function writeJsonSpectra(ds: SpectralDataset, path: string): void {
  writeWhole(new JsonSpectraWriter(path, ds), ds);
}
