import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { UserError, quote } from '../../util/errors.js';
import type { RawSpectrum, SpectralDataset } from '../dataset.js';
import { ArrowSpectraWriter, readArrow, streamArrow, type SpectraHeader } from './arrow.js';
import { JsonSpectraWriter, readJsonSpectra } from './json.js';
import { readLongCsv, streamLongCsv } from './long-csv.js';
import { CsvSpectraWriter, ENERGY_PREFIX, readReferenceCsv, streamReferenceCsv, type CsvWriteOptions } from './reference-csv.js';
import { xdiFormat } from './xdi.js';
import { athenaFormat } from './athena.js';
import { fdmnesFormat } from './fdmnes.js';
import { feffFormat } from './feff.js';
import { columnsFormat } from './columns.js';
import { folderFormat } from './folder.js';
import { matrixFormat } from './matrix.js';
import { pyfititFormat } from './pyfitit.js';
import { readNpyDataset } from './npy.js';
import type { FormatReader, ReadOptions, ReadResult } from './reader.js';
import { writeWhole, type SpectraWriter } from './spectra-writer.js';

export type { FormatReader, ReadOptions, ReadResult } from './reader.js';
export type { SpectraWriter } from './spectra-writer.js';

const ext = (p: string) => extname(p).toLowerCase();
const headText = (head: Buffer) => head.toString('utf8');
/** First header line of a text head (skipping a BOM, blank and # lines). */
function firstLine(head: Buffer): string {
  for (const line of headText(head).replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line.trim() !== '' && !line.startsWith('#')) return line;
  }
  return '';
}

/** Whether a header line ends in at least 3 numeric cells (the long-csv energy row). */
function isEnergyHeader(line: string): boolean {
  const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  let numeric = 0;
  for (let j = cells.length - 1; j >= 0 && cells[j] !== '' && Number.isFinite(Number(cells[j])); j--) numeric++;
  return numeric >= 3;
}

/**
 * Registered readers, most specific first. To add a format, write
 * src/data/formats/<name>.ts exporting a FormatReader and add one line here.
 */
export const readers: FormatReader[] = [
  // XAS formats recognised by content come first: their files end in .txt/.dat like generic text
  xdiFormat,
  athenaFormat,
  fdmnesFormat,
  feffFormat,
  {
    name: 'arrow',
    describe: 'Apache Arrow IPC / Feather v2 (.arrow, .feather, .ipc)',
    detect: (p, head) => ['.arrow', '.feather', '.ipc', '.arrows'].includes(ext(p)) || head.subarray(0, 6).toString('latin1') === 'ARROW1',
    read: (p) => readArrow(p),
    stream: (p, _o, rows) => streamArrow(p, rows),
  },
  {
    name: 'json',
    describe: 'JSON: {energies, spectra, descriptors, ids} or an array of {id, energy, mu, descriptors} records',
    detect: (p, head) => ext(p) === '.json' || /^\s*[[{]/.test(headText(head)),
    read: (p) => readJsonSpectra(p),
  },
  {
    name: 'csv',
    describe: 'reference RankAAE CSV: id columns, AUX_<NAME> descriptors, ENE_<energy> spectrum columns',
    detect: (p, head) => ['.csv', '.tsv', '.txt'].includes(ext(p)) && firstLine(head).includes(ENERGY_PREFIX),
    read: (p, o) => readReferenceCsv(p, o),
    stream: (p, o, rows) => streamReferenceCsv(p, o, rows),
  },
  {
    name: 'long-csv',
    describe: 'CSV whose header holds label names then the energies; one spectrum per row',
    // Only .csv/.tsv with at least 3 energies: a two-column "E mu" .txt/.dat file also starts with numbers.
    detect: (p, head) => ['.csv', '.tsv'].includes(ext(p)) && isEnergyHeader(firstLine(head)),
    read: (p, o) => readLongCsv(p, o),
    stream: (p, o, rows) => streamLongCsv(p, o, rows),
  },
  {
    name: 'npy',
    describe: 'NumPy .npy 2-D float matrix, one pattern or spectrum per row (needs the abscissa: --axis kind:start:step)',
    detect: (p, head) => ext(p) === '.npy' || head.subarray(0, 6).toString('latin1') === '\x93NUMPY',
    read: (p, o) => readNpyDataset(p, o.abscissa),
  },
  matrixFormat,
  // fallbacks: plain column text by extension, folders of spectrum files (pyFitIt sample folders first)
  columnsFormat,
  pyfititFormat,
  folderFormat,
];

/** Names of the registered readers, for messages and CLI choices. */
export function formatNames(): string[] {
  return readers.map((r) => r.name);
}

/** Reads up to 4 KiB from the start of a file (empty for folders). */
function readHead(path: string): Buffer {
  if (statSync(path).isDirectory()) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const got = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The reader for `path`: the named one, or under 'auto' the first that detects it. */
export function pickReader(path: string, format = 'auto'): FormatReader {
  if (format !== 'auto') {
    const r = readers.find((x) => x.name === format);
    if (!r) throw new UserError(`unknown format ${quote(format)} (expected auto or one of ${formatNames().join(', ')})`);
    return r;
  }
  if (!existsSync(path)) throw new UserError('file not found', path);
  const head = readHead(path);
  const r = readers.find((x) => x.detect(path, head));
  if (!r) {
    throw new UserError(
      `cannot tell the format from the name and content; pass a format (one of ${formatNames().join(', ')}). ` +
        `Known formats: ${readers.map((x) => `${x.name} = ${x.describe}`).join('; ')}`,
      path,
    );
  }
  return r;
}

/** Reads `path` with the named or detected reader. */
export async function readSpectra(path: string, format = 'auto', options: ReadOptions = {}): Promise<ReadResult> {
  return pickReader(path, format).read(path, options);
}

/** Spectra read per call of {@link streamSpectra} by default: 8 MB of float32 at 256 points. */
export const STREAM_ROWS = 8192;

/**
 * Reads `path` in chunks of at most `rows` spectra when its reader can
 * (CSV, Arrow: memory stays at a chunk, however large the file), else whole
 * as one chunk. Chunks of a table share its grid and descriptors.
 */
export async function* streamSpectra(path: string, format = 'auto', options: ReadOptions = {}, rows = STREAM_ROWS): AsyncGenerator<ReadResult> {
  const reader = pickReader(path, format);
  if (reader.stream) yield* reader.stream(path, options, rows);
  else yield await reader.read(path, options);
}

/** Output formats, chosen by file extension. */
export type WriteOptions = CsvWriteOptions;

/** A writer in the format the extension of `path` names: .arrow/.feather/.ipc, .csv, .json. */
export function openSpectraWriter(path: string, header: SpectraHeader, options: WriteOptions = {}): SpectraWriter {
  const e = ext(path);
  if (e === '.arrow' || e === '.feather' || e === '.ipc') return new ArrowSpectraWriter(path, header);
  if (e === '.csv') return new CsvSpectraWriter(path, header, options);
  if (e === '.json') return new JsonSpectraWriter(path, header);
  throw new UserError(`cannot tell the output format from the extension ${quote(e)} (expected .arrow, .feather, .csv or .json)`, path);
}

/** Writes `ds` in the format its extension names: .arrow/.feather/.ipc, .csv, .json. */
export function writeSpectra(ds: SpectralDataset, path: string, options: WriteOptions = {}): void {
  writeWhole(openSpectraWriter(path, ds, options), ds);
}
