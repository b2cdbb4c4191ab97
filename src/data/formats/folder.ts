import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { UserError, asUserError, at, quote } from '../../util/errors.js';
import { decodeText, readInputText, statInput } from '../../util/read-file.js';
import type { RawSpectrum } from '../dataset.js';
import { parseAthenaProject, type AthenaOptions } from './athena.js';
import { parseColumns, parseNumber, readBytes, splitLines, type ColumnsOptions } from './columns.js';
import { looksLikeFdmnes, parseFdmnes, type FdmnesOptions } from './fdmnes.js';
import { looksLikeFeffXmu, parseFeffXmu, type FeffOptions } from './feff.js';
import { looksLikeXdi, parseXdi, type XdiOptions } from './xdi.js';
import type { FormatReader } from './reader.js';

/** Per-file spectrum formats this module can read. */
export type SpectrumFileFormat = 'auto' | 'xdi' | 'athena' | 'feff' | 'fdmnes' | 'columns';

/** Options for reading one spectrum file of any supported format. */
export interface SpectrumFileOptions {
  /** Force a format instead of sniffing it from the extension and first lines. Default 'auto'. */
  format?: SpectrumFileFormat;
  /** Options passed to the XDI reader. */
  xdi?: XdiOptions;
  /** Options passed to the Athena reader. */
  athena?: AthenaOptions;
  /** Options passed to the FEFF reader. */
  feff?: FeffOptions;
  /** Options passed to the FDMNES reader. */
  fdmnes?: FdmnesOptions;
  /** Options passed to the plain column reader. */
  columns?: ColumnsOptions;
}

/** Which reader a file needs, from its extension and first bytes. */
export function sniffFormat(path: string, bytes: Uint8Array): Exclude<SpectrumFileFormat, 'auto'> {
  if ((bytes[0] === 0x1f && bytes[1] === 0x8b) || extname(path).toLowerCase() === '.prj') return 'athena';
  const head = Buffer.from(bytes.subarray(0, 20000)).toString('utf8');
  if (looksLikeXdi(head)) return 'xdi';
  if (/^#\s*Athena project file/.test(head)) return 'athena';
  if (looksLikeFdmnes(head)) return 'fdmnes';
  if (looksLikeFeffXmu(head)) return 'feff';
  return 'columns';
}

/** Reads one file of any supported format; Athena projects give one spectrum per mu(E) group. */
export function readSpectrumFile(path: string, opts: SpectrumFileOptions = {}): RawSpectrum[] {
  const bytes = readBytes(path);
  const format = !opts.format || opts.format === 'auto' ? sniffFormat(path, bytes) : opts.format;
  const text = () => decodeText(bytes, path);
  switch (format) {
    case 'athena':
      return parseAthenaProject(bytes, path, opts.athena).spectra;
    case 'xdi':
      return [parseXdi(text(), path, opts.xdi)];
    case 'fdmnes':
      return [parseFdmnes(text(), path, opts.fdmnes)];
    case 'feff':
      return [parseFeffXmu(text(), path, opts.feff)];
    case 'columns':
      return parseColumns(text(), path, opts.columns);
    default:
      throw new UserError(`unknown format ${quote(String(format))}; expected auto, xdi, athena, feff, fdmnes or columns`, path);
  }
}

/** A label table as text cells. */
export interface LabelTable {
  /** Header names. */
  columns: string[];
  /** Data rows (cells as text, trimmed). */
  rows: string[][];
  /** 1-based file line of each row. */
  lines: number[];
  /** Path, for messages. */
  source: string;
}

/** Cells read as "no value": empty, NA, N/A, NaN, null, None, "-". */
export function isMissingCell(s: string): boolean {
  return /^(|na|n\/a|nan|null|none|-)$/i.test(s.trim());
}

/** Parses CSV (RFC 4180 quoting; comma, semicolon or tab delimiter sniffed from the header). */
export function parseLabelTable(text: string, source: string): LabelTable {
  const lines = splitLines(text.replace(/^\uFEFF/, ''));
  const first = lines.find((l) => l.trim() !== '') ?? '';
  const delim = first.includes(',') ? ',' : first.includes('\t') ? '\t' : first.includes(';') ? ';' : ',';
  const records: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let inQuotes = false;
  let startLine = 1;
  for (let li = 0; li < lines.length; li++) {
    const l = lines[li];
    if (!inQuotes) {
      if (l.trim() === '') continue;
      startLine = li + 1;
    }
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (inQuotes) {
        if (c === '"' && l[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') inQuotes = false;
        else cell += c;
      } else if (c === '"' && cell.trim() === '') {
        inQuotes = true;
        cell = '';
      } else if (c === delim) {
        cells.push(cell.trim());
        cell = '';
      } else cell += c;
    }
    if (inQuotes) {
      cell += '\n';
      continue;
    }
    cells.push(cell.trim());
    records.push({ cells, line: startLine });
    cells = [];
    cell = '';
  }
  if (inQuotes) throw new UserError('unterminated quoted field', at(source, startLine));
  if (records.length === 0) throw new UserError('label table is empty', source);
  const columns = records[0].cells;
  const rows: string[][] = [];
  const lineNos: number[] = [];
  for (const r of records.slice(1)) {
    if (r.cells.length !== columns.length) {
      throw new UserError(`expected ${columns.length} fields as in the header, found ${r.cells.length}`, at(source, r.line));
    }
    rows.push(r.cells);
    lineNos.push(r.line);
  }
  return { columns, rows, lines: lineNos, source };
}

/** Options of {@link readFolder}. */
export interface FolderOptions extends SpectrumFileOptions {
  /** Label table (CSV) joined to the spectra by file name. Optional. */
  labels?: string;
  /** Column of the label table holding file names / spectrum ids. Default: the first of file, filename, name, id, path, sample; else the first column. */
  key?: string;
  /** Label columns to keep. Default: every numeric column except the key. */
  labelColumns?: string[];
  /** What to do with spectra that have no row in the table: 'error' (default) or 'skip' (drop them, with a warning). */
  unlabeled?: 'error' | 'skip';
  /** Descend into sub-folders. Default true. */
  recursive?: boolean;
  /** File extensions to read (with dot, case-insensitive). Default: .xdi .prj .dat .txt .xmu .nor .xy .asc; README/LICENSE files are never read. */
  extensions?: string[];
}

/** Result of {@link readFolder}. */
export interface FolderResult {
  /** Spectra in sorted file order (Athena groups in file order), labels filled from the table. */
  spectra: RawSpectrum[];
  /** Label names attached to every spectrum (NaN where the table had no value). */
  labelNames: string[];
  /** Non-fatal problems: missing label values, skipped files or columns, unused table rows. */
  warnings: string[];
}

const DEFAULT_EXTENSIONS = ['.xdi', '.prj', '.dat', '.txt', '.xmu', '.nor', '.xy', '.asc'];

function listFiles(dir: string, recursive: boolean, exts: Set<string>, exclude: string | undefined): string[] {
  const out: string[] = [];
  // Folders already walked, by device and inode: a symbolic link back up the tree is not followed twice.
  const seen = new Set<string>();
  const walk = (d: string) => {
    const dst = statInput(d);
    const key = `${dst.dev}:${dst.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch (e) {
      throw asUserError(e) ?? e;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      const st = statInput(p);
      if (st.isDirectory()) {
        if (recursive) walk(p);
        continue;
      }
      if (/^(readme|license|licence)/i.test(name)) continue;
      if (exclude && resolve(p) === exclude) continue;
      if (exts.has(extname(name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Keys under which a spectrum can be found in a label table. */
function joinKeys(s: RawSpectrum, dir: string, multi: boolean): string[] {
  const rel = relative(dir, s.source).split(sep).join('/');
  const noExt = (p: string) => (extname(p) ? p.slice(0, -extname(p).length) : p);
  const keys = [s.id];
  if (!multi) keys.push(rel, noExt(rel), basename(rel), noExt(basename(rel)));
  else keys.push(`${rel}:${s.id}`, `${basename(rel)}:${s.id}`, `${noExt(basename(rel))}:${s.id}`);
  return keys;
}

/**
 * Reads every spectrum file in a folder (any supported format) and, when a
 * label table is given, joins its numeric columns to the spectra by file
 * name: the key may be the path relative to the folder or the bare file
 * name, with or without extension (for Athena projects: the group label).
 * Missing label values become NaN with a warning; spectra without a row are
 * an error listing them (or are skipped with `unlabeled: 'skip'`).
 */
export function readFolder(dir: string, opts: FolderOptions = {}): FolderResult {
  const warnings: string[] = [];
  const exts = new Set((opts.extensions ?? DEFAULT_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const labelsPath = opts.labels;
  const files = listFiles(dir, opts.recursive ?? true, exts, labelsPath ? resolve(labelsPath) : undefined);
  if (files.length === 0) throw new UserError(`no spectrum files (${[...exts].join(' ')}) found`, dir);
  const spectra: RawSpectrum[] = [];
  const multiFile = new Set<string>();
  for (const f of files) {
    const got = readSpectrumFile(f, opts);
    if (got.length > 1) multiFile.add(f);
    spectra.push(...got);
  }
  if (!labelsPath) return { spectra, labelNames: [], warnings };

  const table = parseLabelTable(readInputText(labelsPath), labelsPath);
  const joined = joinLabelTable(
    spectra.map((s) => ({
      keys: joinKeys(s, dir, multiFile.has(s.source)),
      name: multiFile.has(s.source) ? `${relative(dir, s.source)}:${s.id}` : relative(dir, s.source),
    })),
    table,
    opts,
  );
  const labelled: RawSpectrum[] = [];
  spectra.forEach((s, i) => {
    const row = joined.labels[i];
    if (row) labelled.push({ ...s, labels: { ...s.labels, ...row } });
  });
  return { spectra: labelled, labelNames: joined.labelNames, warnings: [...warnings, ...joined.warnings] };
}

/** Options of {@link joinLabelTable}. */
export interface LabelJoinOptions {
  /** Key column (default: the first of file, filename, file_name, name, id, path, sample; else the first column). */
  key?: string;
  /** Label columns to keep (default: every numeric column except the key). */
  labelColumns?: string[];
  /** Items without a row: 'error' (default) or 'skip' (dropped, with a warning). */
  unlabeled?: 'error' | 'skip';
}

/**
 * Joins a label table to spectra by key: each item lists the keys it may be
 * found under and a display name. Returns, per item, its numeric labels (NaN
 * for missing cells, with a warning naming the line) or null when it has no
 * row and `unlabeled` is 'skip'; items without a row are otherwise an error
 * listing them. Shared by the folder and matrix readers.
 */
export function joinLabelTable(
  items: { keys: string[]; name: string }[],
  table: LabelTable,
  opts: LabelJoinOptions = {},
): { labels: (Record<string, number> | null)[]; labelNames: string[]; warnings: string[] } {
  const labelsPath = table.source;
  const warnings: string[] = [];
  const lower = table.columns.map((c) => c.toLowerCase());
  let keyCol: number;
  if (opts.key !== undefined) {
    keyCol = table.columns.indexOf(opts.key);
    if (keyCol < 0) throw new UserError(`no key column ${quote(opts.key)}; columns are ${table.columns.join(', ')}`, labelsPath);
  } else {
    keyCol = ['file', 'filename', 'file_name', 'name', 'id', 'path', 'sample'].map((k) => lower.indexOf(k)).find((i) => i >= 0) ?? 0;
  }
  // numeric columns: every non-missing cell parses as a number
  const numeric = table.columns.map((_, c) => c !== keyCol && table.rows.some((r) => !isMissingCell(r[c])) && table.rows.every((r) => isMissingCell(r[c]) || !Number.isNaN(parseNumber(r[c]))));
  let labelCols: number[];
  if (opts.labelColumns) {
    labelCols = opts.labelColumns.map((name) => {
      const c = table.columns.indexOf(name);
      if (c < 0) throw new UserError(`no label column ${quote(name)}; columns are ${table.columns.join(', ')}`, labelsPath);
      if (!numeric[c]) {
        const r = table.rows.findIndex((row) => !isMissingCell(row[c]) && Number.isNaN(parseNumber(row[c])));
        throw new UserError(`label column ${quote(name)} is not numeric: ${quote(table.rows[r][c])}`, at(labelsPath, table.lines[r]));
      }
      return c;
    });
  } else {
    labelCols = table.columns.map((_, c) => c).filter((c) => numeric[c]);
    const textCols = table.columns.filter((_, c) => c !== keyCol && !numeric[c]);
    if (textCols.length) warnings.push(`label columns not numeric, left out: ${textCols.join(', ')}`);
  }
  const rowOf = new Map<string, number>();
  table.rows.forEach((r, i) => {
    const k = r[keyCol].replace(/\\/g, '/');
    const prev = rowOf.get(k);
    if (prev !== undefined) throw new UserError(`key ${quote(k)} appears twice (also line ${table.lines[prev]})`, at(labelsPath, table.lines[i]));
    rowOf.set(k, i);
  });
  const used = new Set<number>();
  const orphans: string[] = [];
  const labels = items.map((item) => {
    const row = item.keys.map((k) => rowOf.get(k)).find((r) => r !== undefined);
    if (row === undefined) {
      orphans.push(item.name);
      return null;
    }
    used.add(row);
    const out: Record<string, number> = {};
    for (const c of labelCols) {
      const cellText = table.rows[row][c];
      out[table.columns[c]] = isMissingCell(cellText) ? NaN : parseNumber(cellText);
      if (isMissingCell(cellText)) warnings.push(`${at(labelsPath, table.lines[row])}: no ${table.columns[c]} for ${quote(table.rows[row][keyCol])} (NaN)`);
    }
    return out;
  });
  if (orphans.length > 0) {
    const list = orphans.slice(0, 20).join(', ') + (orphans.length > 20 ? `, ... (${orphans.length - 20} more)` : '');
    if ((opts.unlabeled ?? 'error') === 'error') {
      throw new UserError(`${orphans.length} spectra have no row in the label table (key column ${quote(table.columns[keyCol])}): ${list}. Add rows, or pass unlabeled: 'skip'`, labelsPath);
    }
    warnings.push(`skipped ${orphans.length} spectra without a label row: ${list}`);
  }
  const unused = table.rows.length - used.size;
  if (unused > 0) warnings.push(`${unused} label table rows match no spectrum`);
  return { labels, labelNames: labelCols.map((c) => table.columns[c]), warnings };
}

/**
 * Registry entry (see index.ts): a folder of spectrum files. The label
 * table is the folder's only top-level .csv file, when it has exactly one;
 * `idColumn` names its key column and `descriptorColumns` the labels to keep.
 */
export const folderFormat: FormatReader = {
  name: 'folder',
  describe: 'folder of XDI/Athena/FEFF/FDMNES/column files; labels from its single top-level .csv, joined by file name',
  detect: (p, head) => head.length === 0 && statSync(p).isDirectory(),
  read: (p, o) => {
    const csvs = readdirSync(p).filter((f) => f.toLowerCase().endsWith('.csv'));
    const labels = csvs.length === 1 ? join(p, csvs[0]) : undefined;
    const r = readFolder(p, { labels, key: o.idColumn, labelColumns: o.descriptorColumns });
    for (const w of r.warnings.slice(0, 20)) process.stderr.write(`warning: ${w}\n`);
    if (r.warnings.length > 20) process.stderr.write(`warning: ... and ${r.warnings.length - 20} more\n`);
    return r.spectra;
  },
};
