import { UserError, asUserError, at, quote } from '../../util/errors.js';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { guardInput } from '../../util/io-guard.js';
import { checkRegularFile, checkUtf8, statInput } from '../../util/read-file.js';
import type { SpectralDataset } from '../dataset.js';
import { FLOAT32_RANGE } from './reader.js';

/**
 * Byte-level CSV tokenizer and numeric table filler shared by the CSV
 * readers. It never builds arrays of arrays or one string per number: fields
 * are byte ranges into the file buffer, and numbers are parsed from those
 * bytes straight into typed arrays (a 50,000 x 256 file is ~13 million
 * numbers). Every error names `file:line:column` (1-based; the column counts
 * bytes from the start of the line, which equals characters for ASCII).
 *
 * Accepted CSV: RFC 4180 quoting ("a,b", doubled quotes inside), LF or CRLF
 * line ends, an optional UTF-8 byte-order mark, blank lines and lines whose
 * first character is `#` skipped. The delimiter is a comma unless the header
 * holds tabs or semicolons and no commas.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;
const HASH = 35;


/** Bytes a chunked CSV read takes from the file at a time. */
export const CSV_BLOCK_BYTES = 16 * 1024 * 1024;

/** More bytes of a file, a block at a time; null at the end. */
export interface ByteSource {
  read(): Buffer | null;
  close(): void;
}

/** Blocks of a regular file (checked, and remembered as an input; see util/read-file.ts). */
export function fileByteSource(path: string, blockBytes = CSV_BLOCK_BYTES): ByteSource {
  checkRegularFile(statInput(path), path);
  guardInput(path);
  let fd: number | null;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw asUserError(e) ?? e;
  }
  checkRegularFile(fstatSync(fd), path);
  let pos = 0;
  return {
    read() {
      if (fd === null) return null;
      const buf = Buffer.allocUnsafe(blockBytes);
      let got = 0;
      while (got < blockBytes) {
        const r = readSync(fd, buf, got, blockBytes - got, pos);
        if (r === 0) break;
        got += r;
        pos += r;
      }
      if (got === 0) {
        this.close();
        return null;
      }
      return buf.subarray(0, got);
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/**
 * Steps through the records of a CSV buffer; the fields of the current
 * record are byte ranges. With a {@link ByteSource} the buffer is one block
 * of the file at a time: a record cut by the end of a block is read again
 * once the next block is appended, so memory stays at about a block however
 * large the file (`buf` changes then: read it after each next()).
 */
export class CsvScanner {
  /** Start byte of each field's content (inside quotes for quoted fields). */
  starts = new Int32Array(64);
  /** End byte (exclusive) of each field's content. */
  ends = new Int32Array(64);
  /** 1 when the field was quoted and holds doubled quotes that must be unescaped. */
  escaped = new Uint8Array(64);
  /** Number of fields in the current record. */
  count = 0;
  /** 1-based line number where the current record starts. */
  line = 0;
  /** Byte offset of the start of the current record's first line (for columns). */
  lineStart = 0;
  /** Field delimiter byte. */
  readonly delimiter: number;
  private pos: number;
  private nextLine = 1;
  /** No more bytes will come: a record may end at the end of the buffer. */
  private final: boolean;

  /**
   * @param buf the file contents (or, with `source`, its first block)
   * @param file the path, used in error messages
   * @param source the rest of the file, read as records need it
   */
  constructor(
    public buf: Buffer,
    readonly file: string,
    private readonly source?: ByteSource,
  ) {
    this.final = !source;
    this.pos = 0;
    // The header line (past blank and comment lines) must be complete to find the delimiter.
    let header = headerStart(this.buf, bomLength(this.buf));
    while (!this.final && (header < 0 || this.buf.indexOf(LF, header) < 0)) {
      this.refill();
      header = headerStart(this.buf, bomLength(this.buf));
    }
    this.pos = bomLength(this.buf);
    this.delimiter = detectDelimiter(this.buf, header < 0 ? this.pos : header);
  }

  /** Appends the next block to what is left of the buffer (from the current position). */
  private refill(): void {
    const more = this.source!.read();
    if (!more) {
      this.final = true;
      return;
    }
    const rest = this.buf.subarray(this.pos);
    this.buf = rest.length > 0 ? Buffer.concat([rest, more]) : more;
    this.pos = 0;
  }

  /** Advances to the next record; false at the end of the file. */
  next(): boolean {
    for (;;) {
      const r = this.scan();
      if (r >= 0) return r === 1;
      this.refill();
    }
  }

  /** Reads one record: 1 read, 0 end of file, -1 the buffer ends inside it (more bytes needed). */
  private scan(): number {
    const buf = this.buf;
    const n = buf.length;
    const d = this.delimiter;
    const final = this.final;
    const pos0 = this.pos;
    const line0 = this.nextLine;
    const incomplete = () => {
      this.pos = pos0;
      this.nextLine = line0;
      return -1;
    };
    // Skip blank and comment lines.
    for (;;) {
      if (this.pos >= n) return final ? 0 : incomplete();
      const c = buf[this.pos];
      if (c === LF) {
        this.pos++;
        this.nextLine++;
      } else if (c === CR) {
        this.pos++;
      } else if (c === HASH) {
        // A comment cut by the end of the buffer is read again from the loop's first check.
        while (this.pos < n && buf[this.pos] !== LF) this.pos++;
      } else break;
    }
    this.line = this.nextLine;
    this.lineStart = this.pos;
    let pos = this.pos;
    let count = 0;
    for (;;) {
      if (count === this.starts.length) this.grow();
      let start: number;
      let end: number;
      let esc = 0;
      if (buf[pos] === QUOTE) {
        start = pos + 1;
        let p = start;
        for (;;) {
          if (p >= n) {
            if (!final) return incomplete();
            throw new UserError(
              'unterminated quoted field (expected a closing ")',
              at(this.file, this.line, start - this.lineStart),
            );
          }
          const c = buf[p];
          if (c === QUOTE) {
            // A quote that ends the buffer is taken as closing; the record then ends at the buffer's end and is read again with more bytes.
            if (buf[p + 1] === QUOTE) {
              esc = 1;
              p += 2;
              continue;
            }
            break;
          }
          if (c === LF) this.nextLine++;
          p++;
        }
        end = p;
        pos = p + 1;
        const c = pos < n ? buf[pos] : LF;
        if (c !== d && c !== LF && c !== CR) {
          throw new UserError(
            'unexpected character after a closing quote (expected a delimiter or the end of the line)',
            at(this.file, this.line, pos - this.lineStart + 1),
          );
        }
      } else {
        start = pos;
        while (pos < n) {
          const c = buf[pos];
          if (c === d || c === LF || c === CR) break;
          pos++;
        }
        end = pos;
      }
      this.starts[count] = start;
      this.ends[count] = end;
      this.escaped[count] = esc;
      count++;
      if (pos < n && buf[pos] === d) {
        pos++;
        continue;
      }
      // End of record: a CR or LF in this buffer, or the end of the file. Its line end is skipped,
      // and counted, by the next call as a blank line.
      if (!final && pos >= n) return incomplete();
      break;
    }
    this.pos = pos;
    this.count = count;
    return 1;
  }

  /** Text of field i of the current record (unquoted and unescaped); invalid UTF-8 is an error at the field. */
  text(i: number): string {
    const bytes = this.buf.subarray(this.starts[i], this.ends[i]);
    if (!isUtf8(bytes)) checkUtf8(bytes, this.file, 0, this.line, this.column(i) - 1);
    const s = bytes.toString('utf8');
    return this.escaped[i] ? s.replaceAll('""', '"') : s;
  }

  /** 1-based column of field i's first byte in its line. */
  column(i: number): number {
    return this.starts[i] - this.lineStart + 1;
  }

  /** Location string `file:line:column` of field i (or of the line end when i is past the last field). */
  where(i: number): string {
    if (i >= this.count) {
      const last = this.count - 1;
      return at(this.file, this.line, this.ends[last] - this.lineStart + 1);
    }
    return at(this.file, this.line, this.column(i));
  }

  /** Upper bound on the number of records left, for preallocation. */
  remainingLinesUpperBound(): number {
    let lines = 1;
    let p = this.pos;
    for (;;) {
      const q = this.buf.indexOf(LF, p);
      if (q < 0) break;
      lines++;
      p = q + 1;
    }
    return lines;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const s = new Int32Array(size);
    s.set(this.starts);
    const e = new Int32Array(size);
    e.set(this.ends);
    const x = new Uint8Array(size);
    x.set(this.escaped);
    this.starts = s;
    this.ends = e;
    this.escaped = x;
  }
}

/** 3 when the buffer starts with a UTF-8 byte-order mark, else 0. */
function bomLength(buf: Buffer): number {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

/** Offset of the first line that is not blank or a comment (as {@link CsvScanner} skips them); -1 when the buffer ends first. */
function headerStart(buf: Buffer, from: number): number {
  let p = from;
  while (p < buf.length) {
    const c = buf[p];
    if (c === LF || c === CR) p++;
    else if (c === HASH) {
      p = buf.indexOf(LF, p);
      if (p < 0) return -1;
    } else return p;
  }
  return -1;
}

function detectDelimiter(buf: Buffer, from: number): number {
  let end = buf.indexOf(LF, from);
  if (end < 0) end = buf.length;
  let commas = 0;
  let tabs = 0;
  let semis = 0;
  for (let i = from; i < end; i++) {
    const c = buf[i];
    if (c === 44) commas++;
    else if (c === 9) tabs++;
    else if (c === 59) semis++;
  }
  if (commas === 0 && tabs > 0) return 9;
  if (commas === 0 && semis > 0) return 59;
  return 44;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Parses a decimal number (`-1.25e3`, `.5`, `7`) from buf[start, end),
 * ignoring surrounding spaces. Returns NaN when the bytes are not a finite
 * decimal number (empty, text, `nan`, `inf`): callers report those.
 *
 * Up to 15 significant digits with a power of ten within +-22 take Clinger's
 * fast path (an exact integer times or divided by an exact power of ten is
 * one correctly rounded operation), so results equal Number(text) bit for
 * bit; longer inputs fall back to Number().
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  if (start >= end) return NaN;
  let p = start;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  } else if (buf[p] === 43) p++;
  let mant = 0;
  let sig = 0; // significant digits kept in mant
  let digits = 0;
  let exp10 = 0;
  let c = buf[p];
  while (p < end && c >= 48 && c <= 57) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: counting leading zeros as significant only sends more inputs to the Number() fallback, which gives the same bits
    if (sig > 0 || c !== 48) {
      mant = mant * 10 + (c - 48);
      sig++;
    }
    digits++;
    c = buf[++p];
  }
  if (p < end && c === 46) {
    c = buf[++p];
    while (p < end && c >= 48 && c <= 57) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: counting leading zeros as significant only sends more inputs to the Number() fallback, which gives the same bits
      if (sig > 0 || c !== 48) {
        mant = mant * 10 + (c - 48);
        sig++;
      }
      exp10--;
      digits++;
      c = buf[++p];
    }
  }
  if (digits === 0) return NaN;
  if (p < end && (c === 101 || c === 69)) {
    c = buf[++p];
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = buf[++p];
    }
    let e = 0;
    let edigits = 0;
    while (p < end && c >= 48 && c <= 57) {
      e = e * 10 + (c - 48);
      edigits++;
      c = buf[++p];
    }
    if (edigits === 0) return NaN;
    exp10 += eneg ? -e : e;
  }
  if (p !== end) return NaN;
  // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator,BlockStatement: narrowing the fast path only sends inputs to the Number() fallback, which gives the same bits
  if (sig <= 15 && exp10 >= -22 && exp10 <= 22) {
    // Stryker disable next-line EqualityOperator: at exp10 = 0 both branches compute mant exactly
    const v = exp10 < 0 ? mant / POW10[-exp10] : mant * POW10[exp10];
    return neg ? -v : v;
  }
  // The syntax is checked above, so Number() sees a plain decimal (sign included).
  const v = Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
  return Number.isFinite(v) ? v : NaN;
}

/** Words that mean "no value" in a descriptor column (pandas writes an empty field). */
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

/** Explains why `text` is not a finite number, for error messages. */
export function describeBadNumber(text: string): string {
  const t = text.trim();
  if (t === '') return 'found an empty field';
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return `found the non-finite value ${quote(t)}`;
  return `found ${quote(t)}`;
}

/** What a CSV column holds. */
export type ColumnRole = 'id' | 'descriptor' | 'spectrum' | 'skip';

/** Column layout for {@link fillTable}. */
export interface TableLayout {
  /** Header names, for messages. */
  names: string[];
  /** Role of every column (same length as names). */
  roles: ColumnRole[];
  /** Index of the id column, or -1 to use the row number. */
  idColumn: number;
}

/** What {@link fillTable} read. */
export interface TableData {
  spectra: Float32Array;
  descriptors: Float64Array;
  ids: string[];
  n: number;
}

/**
 * Reads the remaining records of `scanner` (at most `maxRows`; `firstRow` numbers
 * rows without an id column) into typed arrays following `layout`: spectrum columns (in column order) into an n x m Float32Array,
 * descriptor columns into an n x k Float64Array (empty or NaN-like fields
 * become NaN, a missing label). Spectrum fields must be finite numbers.
 */
export function fillTable(scanner: CsvScanner, layout: TableLayout, maxRows = Infinity, firstRow = 0): TableData {
  const { roles, names } = layout;
  const width = roles.length;
  let m = 0;
  let k = 0;
  for (const r of roles) {
    if (r === 'spectrum') m++;
    else if (r === 'descriptor') k++;
  }
  let cap = Math.max(1, Math.min(maxRows, scanner.remainingLinesUpperBound()));
  let spectra = new Float32Array(cap * m);
  let descriptors = new Float64Array(cap * k);
  const ids: string[] = [];
  let n = 0;
  while (n < maxRows && scanner.next()) {
    if (scanner.count !== width) {
      // A lone empty field is a whitespace-only line; treat it as blank.
      if (scanner.count === 1 && scanner.text(0).trim() === '') continue;
      // where(width): the first extra field, or the end of the line when fields are missing.
      throw new UserError(`expected ${width} fields (as in the header), found ${scanner.count}`, scanner.where(width));
    }
    if (n === cap) {
      // Quoted newlines, or more rows than the block held; grow geometrically.
      cap = Math.min(maxRows, cap * 2);
      const s = new Float32Array(cap * m);
      s.set(spectra);
      spectra = s;
      const dd = new Float64Array(cap * k);
      dd.set(descriptors);
      descriptors = dd;
    }
    // Read after next(): the scanner may have replaced its buffer and grown its offset arrays.
    const buf = scanner.buf;
    const st = scanner.starts;
    const en = scanner.ends;
    let sj = n * m;
    let dj = n * k;
    for (let j = 0; j < width; j++) {
      const role = roles[j];
      if (role === 'spectrum') {
        const v = scanner.escaped[j] ? NaN : parseNumberBytes(buf, st[j], en[j]);
        if (v !== v) {
          throw new UserError(
            `column ${quote(names[j])}: expected a finite number, ${describeBadNumber(scanner.text(j))}`,
            scanner.where(j),
          );
        }
        spectra[sj] = v;
        // Finite in float64 but past float32's range: it would be stored as Infinity.
        if (!Number.isFinite(spectra[sj])) {
          throw new UserError(`column ${quote(names[j])}: ${FLOAT32_RANGE}, found ${quote(scanner.text(j).trim())}`, scanner.where(j));
        }
        sj++;
      } else if (role === 'descriptor') {
        let v = scanner.escaped[j] ? NaN : parseNumberBytes(buf, st[j], en[j]);
        if (v !== v) {
          const t = scanner.text(j).trim();
          if (!MISSING.has(t.toLowerCase())) {
            throw new UserError(
              `descriptor column ${quote(names[j])}: expected a finite number or an empty field (missing label), ${describeBadNumber(t)}`,
              scanner.where(j),
            );
          }
          v = NaN;
        }
        descriptors[dj++] = v;
      }
    }
    ids.push(layout.idColumn >= 0 ? csvTextValue(scanner.text(layout.idColumn)) : String(firstRow + n));
    n++;
  }
  return {
    spectra: spectra.length === n * m ? spectra : spectra.slice(0, n * m),
    descriptors: descriptors.length === n * k ? descriptors : descriptors.slice(0, n * k),
    ids,
    n,
  };
}

/** Reads the header record and rejects duplicate names (naming both columns). */
export function readHeader(scanner: CsvScanner): string[] {
  if (!scanner.next()) throw new UserError('empty file (expected a header line)', scanner.file);
  const names: string[] = [];
  const seen = new Map<string, number>();
  for (let j = 0; j < scanner.count; j++) {
    const name = scanner.text(j).trim();
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new UserError(
        `duplicate column name ${quote(name)} (columns ${prev + 1} and ${j + 1}); every column needs its own name`,
        scanner.where(j),
      );
    }
    seen.set(name, j);
    names.push(name);
  }
  return names;
}

/** Names that mark an id column when no id column is given explicitly. */
export const ID_NAMES = new Set(['id', 'name', 'sample', 'file', 'filename', 'label', 'spectrum']);

/** A plain decimal number: safe in a spreadsheet whatever its sign. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A text cell of every CSV xlatent writes (ids, names): quoted when it holds
 * a delimiter, quote or line break, and, when it starts with = + - @, a tab
 * or a carriage return, prefixed with ' so that a spreadsheet shows it as
 * text instead of running it as a formula (OWASP "CSV injection"). A cell
 * that is a plain number such as -0.5 is left as it is. Numeric columns are
 * written without this helper.
 */
export function csvField(s: string): string {
  const t = /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

/** The text {@link csvField} protected: its leading ' dropped again, so ids survive a CSV round trip unchanged. */
export function csvTextValue(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) && !PLAIN_NUMBER.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/**
 * Shortest decimal text that reads back as the same float32 (Number's own
 * toString is shortest for float64, which prints float32 noise digits).
 */
export function float32Text(v: number): string {
  // Rounding to more digits is never farther from v (a p-digit number is also a (p+1)-digit one),
  // so "round-trips with p digits" is monotone in p and a bisection over 6..9 finds the shortest.
  const ok = (p: number) => Math.fround(Number(v.toPrecision(p))) === v;
  let p: number;
  if (ok(7)) p = ok(6) ? 6 : 7;
  else p = ok(8) ? 8 : 9;
  return String(Number(v.toPrecision(p)));
}

/** Fixed number of decimals without a trailing "-0" artefact. */
export function fixedText(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return s.startsWith('-') && Number(s) === 0 ? s.slice(1) : s;
}

/** A CSV whose header has been read: the scanner positioned on the first data row and how to read the rows. */
export interface OpenedCsv {
  scanner: CsvScanner;
  source: ByteSource;
  layout: TableLayout;
  energies: ArrayLike<number>;
  descriptorNames: string[];
}

/** Options every CSV layout takes (see reference-csv.ts). */
export interface CsvLayoutOptions {
  descriptorColumns?: string[];
  idColumn?: string;
  /** Bytes read from the file at a time (default 16 MiB; tests use tiny blocks to cross every boundary). */
  blockBytes?: number;
}

/**
 * The three ways to read one CSV layout, from the function that reads its
 * header into a table layout: open (header only), read (every row) and
 * stream (`rows` at a time, a block of the file in memory at a time).
 */
export function csvLayoutReader<O extends CsvLayoutOptions>(header: (path: string, scanner: CsvScanner, options: O) => Omit<OpenedCsv, 'scanner' | 'source'>) {
  const open = (path: string, options: O = {} as O): OpenedCsv => {
    const { scanner, source } = openCsv(path, options.blockBytes);
    try {
      return { scanner, source, ...header(path, scanner, options) };
    } catch (e) {
      source.close();
      throw e;
    }
  };
  return {
    open,
    read(path: string, options: O = {} as O): SpectralDataset {
      const c = open(path, options);
      try {
        return readTableDataset(path, c.scanner, c.layout, c.energies, c.descriptorNames);
      } finally {
        c.source.close();
      }
    },
    *stream(path: string, options: O, rows: number): Generator<SpectralDataset> {
      const c = open(path, options);
      try {
        yield* streamTableDataset(path, c.scanner, c.layout, c.energies, c.descriptorNames, rows);
      } finally {
        c.source.close();
      }
    },
  };
}

/** A CSV file opened for reading a block at a time; close `source` when done. */
export function openCsv(path: string, blockBytes = CSV_BLOCK_BYTES): { scanner: CsvScanner; source: ByteSource } {
  const source = fileByteSource(path, blockBytes);
  try {
    return { scanner: new CsvScanner(source.read() ?? Buffer.alloc(0), path, source), source };
  } catch (e) {
    source.close();
    throw e;
  }
}

/**
 * Reads every data row of a one-spectrum-per-row CSV into a dataset; both CSV
 * layouts (reference and long) end here once they know their columns.
 */
export function readTableDataset(
  path: string,
  scanner: CsvScanner,
  layout: TableLayout,
  energies: ArrayLike<number>,
  descriptorNames: string[],
): SpectralDataset {
  const table = fillTable(scanner, layout);
  if (table.n === 0) throw new UserError('no data rows after the header (empty dataset)', path);
  return tableChunk(path, table, energies, descriptorNames);
}

function tableChunk(path: string, table: TableData, energies: ArrayLike<number>, descriptorNames: string[]): SpectralDataset {
  return {
    energies: Float64Array.from(energies),
    spectra: table.spectra,
    n: table.n,
    m: energies.length,
    ids: table.ids,
    descriptorNames,
    descriptors: table.descriptors,
    axis: 'energy',
    source: path,
  };
}

/** The data rows of a CSV, at most `rows` at a time (the scanner reads the file a block at a time). */
export function* streamTableDataset(
  path: string,
  scanner: CsvScanner,
  layout: TableLayout,
  energies: ArrayLike<number>,
  descriptorNames: string[],
  rows: number,
): Generator<SpectralDataset> {
  let total = 0;
  for (;;) {
    const table = fillTable(scanner, layout, rows, total);
    if (table.n === 0) {
      if (total === 0) throw new UserError('no data rows after the header (empty dataset)', path);
      return;
    }
    total += table.n;
    yield tableChunk(path, table, energies, descriptorNames);
  }
}
