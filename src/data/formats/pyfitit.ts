import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, at } from '../../util/errors.js';
import type { SpectralDataset } from '../dataset.js';
import { parseNumber, readText } from './columns.js';
import { parseJsonText } from '../../util/json-text.js';
import { isMissingCell } from './folder.js';
import type { FormatReader } from './reader.js';
import { columnSpectra, intensityCell, parseTextGrid, type TextGrid } from './matrix.js';

/**
 * A pyFitIt sample folder: a parameter table (params.csv, or params.txt in
 * older versions) with one row per sample, and spectrum tables named
 * `<type>_spectra.csv` (or spectra.txt / `<type>_spectra.txt`) whose columns
 * are the spectra: the first column holds the energies, column i + 1 is the
 * spectrum of parameter row i. Older pyFitIt versions store the transpose
 * (one spectrum per row, columns named `e_<energy>`); both are read.
 * meta.json, when present, names the spectrum type to read
 * (`defaultSpType`), the id column (`nameColumn`) and maps text labels to
 * numbers (`labelMaps`: {column: {text: number}}). Without `defaultSpType`
 * the first type in sorted order is read, as pyFitIt does. Numeric parameter
 * columns become descriptors; other text columns are left out with a note.
 */

interface PyfititMeta {
  defaultSpType?: string;
  nameColumn?: string;
  labelMaps?: Record<string, Record<string, number>>;
}

const PARAMS = ['params.csv', 'params.txt'];

/** Spectrum tables in a folder by type ("default" for a bare spectra.txt/.csv). */
function spectrumTables(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    const m = /^(?:(.+)_)?spectra\.(csv|txt)$/.exec(f);
    if (m && statSync(join(dir, f)).isFile()) out.set(m[1] ?? 'default', join(dir, f));
  }
  return out;
}

function readMeta(dir: string): PyfititMeta {
  const p = join(dir, 'meta.json');
  if (!existsSync(p)) return {};
  const v = parseJsonText(readText(p), p);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError('expected a JSON object', p);
  return v as PyfititMeta;
}

/** Whether a spectra table holds one spectrum per row: every header cell an energy (`e_7112.5` or a number) and one row per sample. */
function rowWise(grid: TextGrid, samples: number): boolean {
  return grid.rows.length === samples && grid.header.every((h) => Number.isFinite(parseNumber(h.replace(/^e_/i, ''))));
}

/** Reads a pyFitIt sample folder (see the module comment). */
export function readPyfititSample(dir: string): SpectralDataset {
  const paramsFile = PARAMS.map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!paramsFile) throw new UserError('not a pyFitIt sample: no params.csv or params.txt', dir);
  const tables = spectrumTables(dir);
  if (tables.size === 0) throw new UserError('not a pyFitIt sample: no spectra.txt or <type>_spectra.csv/.txt', dir);
  const meta = readMeta(dir);
  const type = meta.defaultSpType ?? [...tables.keys()].sort()[0];
  const spectraFile = tables.get(type);
  if (!spectraFile) throw new UserError(`meta.json names spectrum type "${type}" but the folder holds ${[...tables.keys()].join(', ')}`, join(dir, 'meta.json'));
  if (tables.size > 1 && !meta.defaultSpType) {
    process.stderr.write(`warning: ${dir}: spectrum types ${[...tables.keys()].join(', ')}; reading "${type}" (set defaultSpType in meta.json to choose)\n`);
  }
  const params = parseTextGrid(readText(paramsFile), paramsFile);
  const n = params.rows.length;
  const grid = parseTextGrid(readText(spectraFile), spectraFile);
  let energies: Float64Array;
  let spectra: Float32Array;
  if (rowWise(grid, n)) {
    const m = grid.header.length;
    const e = grid.header.map((h) => parseNumber(h.replace(/^e_/i, '')));
    for (let c = 1; c < m; c++) {
      if (!(e[c] > e[c - 1])) throw new UserError(`energies must increase: column "${grid.header[c]}" follows "${grid.header[c - 1]}"`, at(spectraFile, grid.headerLine, c + 1));
    }
    energies = Float64Array.from(e);
    spectra = new Float32Array(n * m);
    for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) spectra[r * m + c] = intensityCell(grid, r, c, spectraFile);
  } else {
    const cols = columnSpectra(grid, spectraFile);
    if (cols.ids.length !== n) throw new UserError(`${cols.ids.length} spectrum columns but ${paramsFile} has ${n} rows`, spectraFile);
    energies = cols.energies;
    spectra = cols.spectra;
  }
  // ids: meta's nameColumn, else a "name" column, else the row number
  const nameCol = meta.nameColumn !== undefined ? params.header.indexOf(meta.nameColumn) : params.header.findIndex((h) => h.toLowerCase() === 'name');
  if (meta.nameColumn !== undefined && nameCol < 0) throw new UserError(`meta.json nameColumn "${meta.nameColumn}" is not a column of ${paramsFile}`, join(dir, 'meta.json'));
  const ids = params.rows.map((r, i) => (nameCol >= 0 ? r[nameCol] : String(i)));
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const skipped: string[] = [];
  params.header.forEach((h, c) => {
    if (c === nameCol) return;
    const map = meta.labelMaps?.[h];
    const values = new Float64Array(n);
    let ok = true;
    for (let r = 0; r < n && ok; r++) {
      const cell = params.rows[r][c];
      if (isMissingCell(cell)) values[r] = NaN;
      else if (map && cell in map) values[r] = map[cell];
      else {
        values[r] = parseNumber(cell);
        if (Number.isNaN(values[r])) {
          if (map) throw new UserError(`"${cell}" in column "${h}" has no entry in meta.json labelMaps.${h}`, at(paramsFile, params.lines[r], c + 1));
          ok = false;
        }
      }
    }
    if (ok) {
      names.push(h);
      columns.push(values);
    } else skipped.push(h);
  });
  if (skipped.length > 0) process.stderr.write(`warning: ${paramsFile}: text columns left out of the labels: ${skipped.join(', ')}\n`);
  const k = names.length;
  const descriptors = new Float64Array(n * k);
  columns.forEach((col, j) => col.forEach((v, i) => (descriptors[i * k + j] = v)));
  return { energies, spectra, n, m: energies.length, ids, descriptorNames: names, descriptors, axis: 'energy', source: dir };
}

/** Registry entry (see index.ts): before the generic folder reader, which would otherwise claim the folder. */
export const pyfititFormat: FormatReader = {
  name: 'pyfitit',
  describe: 'pyFitIt sample folder: params.csv/.txt plus <type>_spectra.csv/.txt (energy column, one column per sample), optional meta.json',
  detect: (p, head) =>
    head.length === 0 && statSync(p).isDirectory() && PARAMS.some((f) => existsSync(join(p, f))) && spectrumTables(p).size > 0,
  read: (p) => readPyfititSample(p),
};
