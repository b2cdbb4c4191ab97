import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { UserError, at } from '../../util/errors.js';
import type { SpectralDataset } from '../dataset.js';
import { parseNumber, readText, splitLines, stem } from './columns.js';
import { isMissingCell, joinLabelTable, parseLabelTable, type LabelJoinOptions } from './folder.js';
import { FLOAT32_RANGE } from './reader.js';
import type { FormatReader } from './reader.js';

/**
 * A matrix of spectra stored column-wise, as simulation codes and pyFitIt
 * write them: the first column holds the energies, every further column is
 * one spectrum, and the header row names them. Labels come from a separate
 * table (CSV) joined by those names: the `labels` option (config
 * `data.labels`), else a `<name>_labels.csv` or `<name>.labels.csv` next to
 * the file. Delimiter: tab, comma or semicolon as the header uses, else
 * white space.
 */

/** A delimited text table with a header row, every cell kept as text. */
export interface TextGrid {
  header: string[];
  rows: string[][];
  /** 1-based file line of each row. */
  lines: number[];
  /** 1-based file line of the header. */
  headerLine: number;
}

/** Splits delimited text with a header (tab, comma or semicolon as the header uses, else runs of white space). */
export function parseTextGrid(text: string, source: string, comment = '#'): TextGrid {
  const all = splitLines(text.replace(/^\uFEFF/, ''));
  let split: ((s: string) => string[]) | null = null;
  let header: string[] | null = null;
  let headerLine = 0;
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let li = 0; li < all.length; li++) {
    const t = all[li].trim();
    if (t === '' || comment.includes(t[0])) continue;
    if (!split) {
      const d = t.includes('\t') ? '\t' : t.includes(',') ? ',' : t.includes(';') ? ';' : null;
      split = d ? (s) => s.split(d).map((c) => c.trim().replace(/^"(.*)"$/, '$1')) : (s) => s.split(/\s+/);
      header = split(t);
      headerLine = li + 1;
      continue;
    }
    const cells = split(t);
    if (cells.length !== header!.length) throw new UserError(`expected ${header!.length} fields as in the header, found ${cells.length}`, at(source, li + 1));
    rows.push(cells);
    lines.push(li + 1);
  }
  if (!header) throw new UserError('empty file: no header row', source);
  if (rows.length === 0) throw new UserError('no data rows after the header', source);
  return { header, rows, lines, headerLine };
}

/** A cell that must be a finite number; the error names file, line and column. */
export function numberCell(grid: TextGrid, r: number, c: number, source: string, what = 'value'): number {
  const v = parseNumber(grid.rows[r][c]);
  if (!Number.isFinite(v)) {
    throw new UserError(`${what} "${grid.rows[r][c]}" in column "${grid.header[c]}" is not a finite number`, at(source, grid.lines[r], c + 1));
  }
  return v;
}

/** A spectrum value: a finite number within float32's range (spectra are float32, a larger value would be Infinity). */
export function intensityCell(grid: TextGrid, r: number, c: number, source: string): number {
  const v = numberCell(grid, r, c, source, 'intensity');
  if (!Number.isFinite(Math.fround(v))) {
    throw new UserError(`intensity "${grid.rows[r][c]}" in column "${grid.header[c]}": ${FLOAT32_RANGE}`, at(source, grid.lines[r], c + 1));
  }
  return v;
}

/**
 * Spectra as columns of a text grid: column `energyColumn` is the abscissa
 * (increasing or decreasing, no repeats), the others are spectra named by
 * their header cells. Returns the n x m row-major matrix on increasing energies.
 */
export function columnSpectra(grid: TextGrid, source: string, energyColumn = 0): { energies: Float64Array; spectra: Float32Array; ids: string[] } {
  const m = grid.rows.length;
  const cols = grid.header.map((_, c) => c).filter((c) => c !== energyColumn);
  if (cols.length === 0) throw new UserError('no spectrum columns besides the energy column', source);
  if (m < 2) throw new UserError(`needs at least 2 energies, found ${m}`, source);
  const e = Float64Array.from({ length: m }, (_, r) => numberCell(grid, r, energyColumn, source, 'energy'));
  // Stryker disable next-line EqualityOperator: with e[1] === e[0] both directions fail the strict check at r = 1 with the same message
  const descending = e[1] < e[0];
  for (let r = 1; r < m; r++) {
    if (descending ? !(e[r] < e[r - 1]) : !(e[r] > e[r - 1])) {
      throw new UserError(`energies must increase (or decrease) strictly: ${e[r]} follows ${e[r - 1]}`, at(source, grid.lines[r], energyColumn + 1));
    }
  }
  const order = Array.from({ length: m }, (_, r) => (descending ? m - 1 - r : r));
  const spectra = new Float32Array(cols.length * m);
  cols.forEach((c, i) => order.forEach((r, j) => (spectra[i * m + j] = intensityCell(grid, r, c, source))));
  const ids = cols.map((c) => grid.header[c]);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new UserError(`spectrum column "${id}" appears twice in the header`, at(source, grid.headerLine));
    seen.add(id);
  }
  return { energies: Float64Array.from(order, (r) => e[r]), spectra, ids };
}

/** Options of {@link readSpectraMatrix}. */
export interface MatrixOptions extends LabelJoinOptions {
  /** Label table (CSV) joined by spectrum name; default `<name>_labels.csv` or `<name>.labels.csv` beside the file, when present. */
  labels?: string;
}

/** The label table next to a matrix file, when there is one. */
function siblingLabels(path: string): string | undefined {
  const base = join(dirname(path), stem(path));
  return [`${base}_labels.csv`, `${base}.labels.csv`].find((p) => existsSync(p));
}

/** Reads a column-wise matrix of spectra and joins its label table. */
export function readSpectraMatrix(path: string, opts: MatrixOptions = {}): SpectralDataset {
  const grid = parseTextGrid(readText(path), path);
  const { energies, spectra, ids } = columnSpectra(grid, path);
  const n = ids.length;
  const labelsPath = opts.labels ?? siblingLabels(path);
  let names: string[] = [];
  let descriptors = new Float64Array(0);
  if (labelsPath) {
    const table = parseLabelTable(readText(labelsPath), labelsPath);
    const joined = joinLabelTable(ids.map((id) => ({ keys: [id], name: id })), table, { ...opts, unlabeled: 'error' });
    for (const w of joined.warnings.slice(0, 20)) process.stderr.write(`warning: ${w}\n`);
    names = joined.labelNames;
    descriptors = new Float64Array(n * names.length);
    joined.labels.forEach((row, i) => names.forEach((name, j) => (descriptors[i * names.length + j] = row![name])));
  }
  return { energies, spectra, n, m: energies.length, ids, descriptorNames: names, descriptors, axis: 'energy', source: path };
}

/** Whether a header line starts with an energy column and names at least two spectra (not numbers). */
function looksLikeMatrixHeader(line: string): boolean {
  const cells = line.split(/[\t,;]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cells.length < 3) return false;
  if (!/^(e|energy|energies|e_?ev|energy_?ev|energy \(ev\)|omega|x)$/i.test(cells[0])) return false;
  return cells.slice(1).some((c) => !isMissingCell(c) && Number.isNaN(parseNumber(c)));
}

/** Registry entry (see index.ts). */
export const matrixFormat: FormatReader = {
  name: 'matrix',
  describe: 'spectra stored column-wise (.csv/.tsv): energy column, then one named column per spectrum; labels from a separate table joined by name',
  detect: (p, head) => {
    if (!['.csv', '.tsv'].includes(extname(p).toLowerCase())) return false;
    const first = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#'));
    return first !== undefined && looksLikeMatrixHeader(first);
  },
  read: (p, o) => readSpectraMatrix(p, { labels: o.labels, key: o.idColumn, labelColumns: o.descriptorColumns }),
};
