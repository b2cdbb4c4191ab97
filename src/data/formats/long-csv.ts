import { UserError, at, quote } from '../../util/errors.js';
import type { SpectralDataset } from '../dataset.js';
import { CsvScanner, ID_NAMES, csvLayoutReader, parseNumberBytes, readHeader, type ColumnRole, type OpenedCsv } from './csv-table.js';
import { summarizeNames, type CsvReadOptions } from './reference-csv.js';

/**
 * The plain "energy row" CSV layout, one spectrum per row, whose header
 * holds the energies themselves:
 *
 *   name,CN,OS,7100,7100.5,7101,...
 *   sample_a,6,2.5,0.012,0.013,0.015,...
 *
 * - Label columns come first: every header cell before the first one that
 *   is a number. Energy columns are that cell and every cell after it; all
 *   of them must be numbers, increasing strictly from left to right.
 * - The id column is `idColumn` if given, else the first label column named
 *   id/name/sample/file/filename/label/spectrum (case-insensitive); without
 *   one, ids are the 0-based row numbers.
 * - The other label columns are descriptors under their header name (empty
 *   or NaN fields are missing labels), unless `descriptorColumns` is given:
 *   then only those are descriptors and remaining label columns are ignored
 *   (the way to carry text columns other than the id).
 * - A header with no label columns at all is allowed (spectra only).
 */
export const readLongCsv = (path: string, options: CsvReadOptions = {}) => long.read(path, options);
const long = csvLayoutReader(longLayout);
/** Reads a long-layout CSV `rows` spectra at a time (a block of the file in memory at a time). */
export const streamLongCsv = long.stream;
/** Opens a long-layout CSV and reads its header. */
export const openLongCsv = long.open;

function longLayout(path: string, scanner: CsvScanner, options: CsvReadOptions): Omit<OpenedCsv, 'scanner' | 'source'> {
  const names = readHeader(scanner);
  const headerLine = scanner.line;
  const buf = scanner.buf;
  const first = names.findIndex((_, j) => Number.isFinite(parseNumberBytes(buf, scanner.starts[j], scanner.ends[j])));
  if (first < 0) {
    throw new UserError(
      `no energy columns: expected header cells after the labels to be energies (numbers), found ${summarizeNames(names)}. ` +
        'For ENE_<energy> headers use the reference csv format.',
      at(path, headerLine),
    );
  }
  const energies = new Float64Array(names.length - first);
  for (let j = first; j < names.length; j++) {
    const e = parseNumberBytes(buf, scanner.starts[j], scanner.ends[j]);
    if (!Number.isFinite(e)) {
      throw new UserError(`header cell ${quote(names[j])}: expected an energy (a number) like the cells before it`, scanner.where(j));
    }
    if (j > first && !(e > energies[j - first - 1])) {
      throw new UserError(
        `energies must increase strictly from left to right: column ${quote(names[j])} follows ${quote(names[j - 1])}`,
        scanner.where(j),
      );
    }
    energies[j - first] = e;
  }
  const labels = names.slice(0, first);
  const explicit = options.descriptorColumns;
  for (const d of explicit ?? []) {
    if (!labels.includes(d)) {
      throw new UserError(`descriptor column ${quote(d)} not found among the label columns (${summarizeNames(labels)})`, at(path, headerLine));
    }
  }
  const idColumn = options.idColumn !== undefined ? labels.indexOf(options.idColumn) : labels.findIndex((l) => ID_NAMES.has(l.toLowerCase()));
  if (options.idColumn !== undefined && idColumn < 0) {
    throw new UserError(`id column ${quote(options.idColumn)} not found among the label columns (${summarizeNames(labels)})`, at(path, headerLine));
  }
  const roles: ColumnRole[] = names.map((_, j) => {
    if (j >= first) return 'spectrum';
    if (j === idColumn) return 'id';
    if (explicit) return explicit.includes(names[j]) ? 'descriptor' : 'skip';
    return 'descriptor';
  });
  const descriptorNames = names.filter((_, j) => roles[j] === 'descriptor');
  return { layout: { names, roles, idColumn }, energies, descriptorNames };
}
