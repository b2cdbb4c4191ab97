import { basename, extname } from 'node:path';
import { UserError, at, quote } from '../../util/errors.js';
import { readInputBytes, readInputText } from '../../util/read-file.js';
import type { RawSpectrum } from '../dataset.js';
import { sanitizeGrid } from '../xas/energy-grid.js';
import type { FormatReader } from './reader.js';

/** A numeric table read from column text. */
export interface TextTable {
  /** Column labels: from a label line, or the last comment line with one word per column; null when none. */
  labels: string[] | null;
  /** Number of columns. */
  ncols: number;
  /** Number of data rows. */
  nrows: number;
  /** nrows x ncols row-major values. */
  data: Float64Array;
  /** 1-based file line of each data row, for error messages. */
  lines: Int32Array;
  /** Comment lines before the data, comment character and one leading space removed. */
  header: string[];
}

/** Options of {@link parseTable}. */
export interface ParseTableOptions {
  /** Characters that start a comment line (after leading white space). Default "#!%;". */
  comment?: string;
  /** Field separator: 'auto' (comma when the first data line has one, else white space), 'whitespace', ',', ';' or '\t'. Default 'auto'. */
  delimiter?: 'auto' | 'whitespace' | ',' | ';' | '\t';
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(nan|inf|infinity)$/i;

/** Parses one numeric field; Fortran 'D' exponents accepted. NaN for text that is not a number. */
export function parseNumber(tok: string): number {
  if (NUMBER.test(tok)) return Number(tok.replace(/[dD]/, 'e'));
  if (SPECIAL.test(tok)) return tok.toLowerCase().includes('nan') ? NaN : tok.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

function isNumberToken(tok: string): boolean {
  return NUMBER.test(tok) || SPECIAL.test(tok);
}

/** Splits text into lines, accepting LF, CRLF and lone CR (old Mac) endings. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

function splitter(delimiter: NonNullable<ParseTableOptions['delimiter']>, sample: string): (s: string) => string[] {
  // tabs are white space, so 'auto' only needs to tell commas apart
  const d = delimiter === 'auto' ? (sample.includes(',') ? ',' : 'whitespace') : delimiter;
  // lines arrive trimmed (parseTable)
  if (d === 'whitespace') return (s) => s.split(/\s+/);
  return (s) => s.split(d).map((t) => t.trim());
}

/**
 * Reads a plain numeric table: comment lines, an optional label line, then
 * rows with the same number of numeric fields. Every problem is reported
 * with file and line.
 */
export function parseTable(text: string, source: string, opts: ParseTableOptions = {}): TextTable {
  const comment = opts.comment ?? '#!%;';
  const lines = splitLines(text);
  const header: string[] = [];
  let labels: string[] | null = null;
  let split: ((s: string) => string[]) | null = null;
  let ncols = 0;
  const values: number[] = [];
  const lineNo: number[] = [];
  for (let li = 0; li < lines.length; li++) {
    const raw = lines[li];
    const t = raw.trim();
    if (t === '') continue;
    if (comment.includes(t[0])) {
      if (ncols === 0) header.push(t.slice(1).replace(/^ /, ''));
      continue;
    }
    if (split === null) split = splitter(opts.delimiter ?? 'auto', t);
    const toks = split(t);
    if (ncols === 0) {
      if (!toks.every(isNumberToken)) {
        if (labels !== null) throw new UserError(`expected a row of numbers after the label line, found ${quote(clip(t))}`, at(source, li + 1));
        labels = toks;
        split = null;
        continue;
      }
      ncols = toks.length;
      if (labels !== null && labels.length !== ncols) {
        throw new UserError(`label line has ${labels.length} labels but the data have ${ncols} columns`, at(source, li + 1));
      }
    }
    if (toks.length !== ncols) throw new UserError(`expected ${ncols} columns, found ${toks.length}`, at(source, li + 1));
    for (let c = 0; c < ncols; c++) {
      const v = parseNumber(toks[c]);
      if (Number.isNaN(v) && !SPECIAL.test(toks[c])) throw new UserError(`${quote(clip(toks[c]))} is not a number`, at(source, li + 1, c + 1));
      values.push(v);
    }
    lineNo.push(li + 1);
  }
  if (ncols === 0) throw new UserError('no numeric data rows found', source);
  if (labels === null) {
    // the usual "# energy i0 itrans" line just above the data
    for (let h = header.length - 1; h >= 0; h--) {
      const words = header[h].trim().split(/\s+/);
      if (words[0] === '' || /^[-=/*#]+$/.test(words[0])) continue;
      if (words.length === ncols && !words.every(isNumberToken)) labels = words;
      break;
    }
  }
  return { labels, ncols, nrows: lineNo.length, data: Float64Array.from(values), lines: Int32Array.from(lineNo), header };
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** A column of a table chosen by 0-based index or by label (case-insensitive). */
export function columnIndex(table: TextTable, which: number | string, source: string): number {
  if (typeof which === 'number') {
    if (!Number.isInteger(which) || which < 0 || which >= table.ncols) {
      throw new UserError(`column index ${which} out of range: the file has columns 0..${table.ncols - 1}`, source);
    }
    return which;
  }
  const want = which.toLowerCase();
  const i = table.labels?.findIndex((l) => l.toLowerCase() === want) ?? -1;
  if (i < 0) {
    throw new UserError(`no column labelled ${quote(which)}; columns are ${table.labels ? table.labels.join(', ') : `unlabelled (use indices 0..${table.ncols - 1})`}`, source);
  }
  return i;
}

/** Column `c` of a table, copied. */
export function tableColumn(table: TextTable, c: number): Float64Array {
  return Float64Array.from({ length: table.nrows }, (_, r) => table.data[r * table.ncols + c]);
}

/** Options of {@link parseColumns}. */
export interface ColumnsOptions extends ParseTableOptions {
  /** Abscissa column: 0-based index or label. Default 0. */
  x?: number | string;
  /** Intensity column(s): 0-based index or label; several give several spectra. Default 1. */
  y?: number | string | Array<number | string>;
  /** Identifier of the spectrum (or prefix, with several y columns). Default: file name without extension. */
  id?: string;
}

/**
 * Plain two-column (or more) text: energy and mu(E), 2-theta and intensity,
 * q and intensity... Comment characters, delimiters and columns are options.
 */
export function parseColumns(text: string, source: string, opts: ColumnsOptions = {}): RawSpectrum[] {
  const table = parseTable(text, source, opts);
  const xi = columnIndex(table, opts.x ?? 0, source);
  const ys = Array.isArray(opts.y) ? opts.y : [opts.y ?? 1];
  if (ys.length === 0) throw new UserError('no intensity column chosen', source);
  const base = opts.id ?? stem(source);
  const x = tableColumn(table, xi);
  return ys.map((y) => {
    const yi = columnIndex(table, y, source);
    const g = sanitizeGrid(x, tableColumn(table, yi), source, (i) => table.lines[i]);
    const id = ys.length === 1 ? base : `${base}:${table.labels?.[yi] ?? yi}`;
    return { id, energy: g.energy, mu: g.mu, labels: {}, source };
  });
}

/** Reads a text file whole as UTF-8 (regular files only, bounded; see util/read-file.ts). */
export const readText = readInputText;

/** Reads a file's bytes (regular files only, bounded; see util/read-file.ts). */
export const readBytes = (path: string): Buffer => readInputBytes(path);

/** File name without directory and extension. */
export function stem(path: string): string {
  const b = basename(path);
  const e = extname(b);
  return e ? b.slice(0, -e.length) : b;
}

/** Reads a column text file; see {@link parseColumns}. */
export function readColumnsFile(path: string, opts: ColumnsOptions = {}): RawSpectrum[] {
  return parseColumns(readText(path), path, opts);
}

/** Registry entry (see index.ts): plain numeric columns; the fallback for .dat .xy .xmu .nor .asc .txt. */
export const columnsFormat: FormatReader = {
  name: 'columns',
  describe: 'plain column text (.dat .xy .xmu .nor .asc .txt): energy then mu, comments # ! % ;',
  detect: (p, head) => ['.dat', '.xy', '.xmu', '.nor', '.asc', '.txt'].includes(extname(p).toLowerCase()) && head.length > 0,
  read: (p) => readColumnsFile(p),
};
