import { UserError, at, quote } from '../../util/errors.js';
import { AtomicFileWriter } from '../../util/atomic.js';
import type { SpectraHeader } from './spectra-writer.js';
import { writeWhole } from './spectra-writer.js';
import type { SpectralDataset } from '../dataset.js';
import {
  CsvScanner,
  ID_NAMES,
  csvField,
  csvLayoutReader,
  fixedText,
  float32Text,
  parseNumberBytes,
  readHeader,
  type ColumnRole,
  type CsvLayoutOptions,
  type OpenedCsv,
} from './csv-table.js';

/**
 * The reference RankAAE CSV layout (one spectrum per row):
 *
 *   id,AUX_OS,AUX_CN,AUX_BL,ENE_7100,ENE_7100.63,...
 *   fe_0001,2.731,4,1.9312,0.01022,0.00871,...
 *
 * - `ENE_<energy>` columns hold the spectrum; `<energy>` is the grid value
 *   and must increase strictly from left to right.
 * - `AUX_<NAME>` columns hold descriptors, named `<NAME>` in the dataset.
 *   An empty field (or NaN/NA) is a missing label and becomes NaN.
 * - Columns named in `descriptorColumns` are descriptors too, under their
 *   own name (for files without the AUX_ prefix).
 * - Any other column is an id column. The row id comes from `idColumn`, else
 *   the first column named id/name/sample/file/filename/label/spectrum, else
 *   the first other column (pandas' unnamed index column counts), else the
 *   0-based row number.
 */
export interface CsvReadOptions extends CsvLayoutOptions {
  /** Extra columns, by exact header name, to read as descriptors (for CSVs without `AUX_`). */
  descriptorColumns?: string[];
  /** Column whose text is the row id. */
  idColumn?: string;
}

export const ENERGY_PREFIX = 'ENE_';
export const DESCRIPTOR_PREFIX = 'AUX_';

const reference = csvLayoutReader(referenceLayout);
/** Reads a reference-layout CSV into a SpectralDataset. */
export const readReferenceCsv = reference.read;
/** Reads a reference-layout CSV `rows` spectra at a time (a block of the file in memory at a time). */
export const streamReferenceCsv = reference.stream;
/** Opens a reference-layout CSV and reads its header. */
export const openReferenceCsv = reference.open;

function referenceLayout(path: string, scanner: CsvScanner, options: CsvReadOptions): Omit<OpenedCsv, 'scanner' | 'source'> {
  const names = readHeader(scanner);
  const headerLine = scanner.line;
  const roles: ColumnRole[] = [];
  const energies: number[] = [];
  const descriptorNames: string[] = [];
  const explicit = new Set(options.descriptorColumns ?? []);
  for (const name of explicit) {
    if (!names.includes(name)) {
      throw new UserError(
        `descriptor column ${quote(name)} not found (columns: ${summarizeNames(names)})`,
        at(path, headerLine),
      );
    }
  }
  const otherColumns: number[] = [];
  for (let j = 0; j < names.length; j++) {
    const name = names[j];
    if (name.startsWith(ENERGY_PREFIX)) {
      const e = parseNumberBytes(Buffer.from(name.slice(ENERGY_PREFIX.length)), 0, name.length - ENERGY_PREFIX.length);
      if (!Number.isFinite(e)) {
        throw new UserError(`column ${quote(name)}: expected ENE_<energy> with a numeric energy`, scanner.where(j));
      }
      if (energies.length > 0 && !(e > energies[energies.length - 1])) {
        const prev = names[roles.lastIndexOf('spectrum')];
        throw new UserError(
          `energies must increase strictly from left to right: column ${quote(name)} (${e}) follows ${quote(prev)} (${energies[energies.length - 1]})`,
          scanner.where(j),
        );
      }
      energies.push(e);
      roles.push('spectrum');
    } else if (name.startsWith(DESCRIPTOR_PREFIX) || explicit.has(name)) {
      const d = explicit.has(name) ? name : name.slice(DESCRIPTOR_PREFIX.length);
      if (d === '') throw new UserError(`column ${quote(name)}: expected AUX_<NAME> with a name`, scanner.where(j));
      if (descriptorNames.includes(d)) {
        throw new UserError(`descriptor ${quote(d)} appears twice (column ${quote(name)})`, scanner.where(j));
      }
      descriptorNames.push(d);
      roles.push('descriptor');
    } else {
      roles.push('skip');
      otherColumns.push(j);
    }
  }
  if (energies.length === 0) {
    throw new UserError(
      `no spectrum columns (expected ENE_<energy> columns; found ${summarizeNames(names)}). ` +
        'For a header that holds the energies themselves use the long-csv format.',
      at(path, headerLine),
    );
  }
  const idColumn =
    options.idColumn !== undefined
      ? names.indexOf(options.idColumn)
      : (otherColumns.find((j) => ID_NAMES.has(names[j].toLowerCase())) ?? otherColumns[0] ?? -1);
  // A name not found is index -1, whose role is undefined: refused like a spectrum or descriptor column.
  if (options.idColumn !== undefined && roles[idColumn] !== 'skip') {
    throw new UserError(
      `id column ${quote(options.idColumn)} not found among the non-spectrum, non-descriptor columns (${summarizeNames(otherColumns.map((j) => names[j])) || 'none'})`,
      at(path, headerLine),
    );
  }
  return { layout: { names, roles: roles.map((r, j) => (j === idColumn ? 'id' : r)), idColumn }, energies, descriptorNames };
}

/** Options of {@link writeReferenceCsv}. */
export interface CsvWriteOptions {
  /**
   * Decimals of spectrum values; omit for the shortest text that reads back
   * as the same float32 (lossless).
   */
  decimals?: number;
}

/**
 * Writes the reference layout chunk by chunk: `id`, `AUX_<name>`...,
 * `ENE_<energy>`... Energies and descriptors are written losslessly
 * (shortest float64 text); missing labels as empty fields. Rows go to the
 * file as they come (no output-sized string), which appears when committed.
 */
export class CsvSpectraWriter {
  private readonly file: AtomicFileWriter;
  private readonly fmt: (v: number) => string;

  constructor(path: string, header: SpectraHeader, options: CsvWriteOptions = {}) {
    const dec = options.decimals;
    if (dec !== undefined && !(Number.isInteger(dec) && dec >= 0 && dec <= 20)) {
      throw new UserError(`decimals must be an integer from 0 to 20, found ${dec}`);
    }
    this.fmt = dec === undefined ? float32Text : (v: number) => fixedText(v, dec);
    this.file = new AtomicFileWriter(path);
    const names = ['id', ...header.descriptorNames.map((d) => DESCRIPTOR_PREFIX + d), ...Array.from(header.energies, (e) => ENERGY_PREFIX + String(e))];
    this.file.write(names.map(csvField).join(',') + '\n');
  }

  write(ds: SpectralDataset): void {
    const k = ds.descriptorNames.length;
    for (let i = 0; i < ds.n; i++) {
      const row = [csvField(ds.ids[i])];
      for (let j = 0; j < k; j++) {
        const v = ds.descriptors[i * k + j];
        row.push(Number.isNaN(v) ? '' : String(v));
      }
      const off = i * ds.m;
      for (let c = 0; c < ds.m; c++) row.push(this.fmt(ds.spectra[off + c]));
      this.file.write(row.join(',') + '\n');
    }
  }

  commit(): void {
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes `ds` in the reference layout (see {@link CsvSpectraWriter}). */
export function writeReferenceCsv(ds: SpectralDataset, path: string, options: CsvWriteOptions = {}): void {
  writeWhole(new CsvSpectraWriter(path, ds, options), ds);
}

/** Short list of column names for messages (first few and a count). */
export function summarizeNames(names: string[], max = 8): string {
  const shown = names.slice(0, max).map((s) => quote(s)).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} columns)` : shown;
}
