import { UserError } from '../../util/errors.js';
import type { RawSpectrum } from '../dataset.js';
import { sanitizeGrid } from '../xas/energy-grid.js';
import { columnIndex, parseTable, readText, stem, tableColumn } from './columns.js';
import type { FormatReader } from './reader.js';

/** Columns FEFF writes to xmu.dat, in order. */
export const FEFF_XMU_COLUMNS = ['omega', 'e', 'k', 'mu', 'mu0', 'chi'] as const;

/** A FEFF spectrum with the header FEFF wrote. */
export interface FeffSpectrum extends RawSpectrum {
  /** Comment lines of the file (FEFF version, potentials, edge, ...), "#" removed. */
  header: string[];
  /** Column that became `mu`. */
  column: string;
}

/** Options of {@link parseFeffXmu}. */
export interface FeffOptions {
  /** Which column to read as the spectrum: 'mu' (default), 'mu0' (embedded-atom background) or 'chi'. */
  column?: 'mu' | 'mu0' | 'chi';
  /** Identifier; default: the name of the folder holding xmu.dat when the file is called xmu.dat, else the file name. */
  id?: string;
}

/**
 * FEFF xmu.dat: "#" header lines, then rows of omega, e, k, mu, mu0, chi.
 * omega is the absolute photon energy (eV) and becomes the abscissa; e is
 * relative to the edge and is not used.
 */
export function parseFeffXmu(text: string, source: string, opts: FeffOptions = {}): FeffSpectrum {
  const table = parseTable(text, source, { comment: '#' });
  if (table.ncols < 4) throw new UserError(`a FEFF xmu.dat has at least 4 columns (omega e k mu), found ${table.ncols}`, source);
  // FEFF's label line ends with "@#"; take the header's word list when it names omega
  const labelLine = [...table.header].reverse().find((h) => /\bomega\b/i.test(h));
  table.labels = labelLine
    ? labelLine.replace(/@#\s*$/, '').trim().split(/\s+/).slice(0, table.ncols)
    : FEFF_XMU_COLUMNS.slice(0, table.ncols).map(String);
  if (table.labels.length !== table.ncols) table.labels = FEFF_XMU_COLUMNS.slice(0, table.ncols).map(String);
  const want = opts.column ?? 'mu';
  const xi = columnIndex(table, 'omega', source);
  const yi = columnIndex(table, want, source);
  const g = sanitizeGrid(tableColumn(table, xi), tableColumn(table, yi), source, (i) => table.lines[i]);
  const name = stem(source);
  const parent = source.split(/[\\/]/).slice(-2, -1)[0];
  const id = opts.id ?? (name.toLowerCase() === 'xmu' && parent ? parent : name);
  return { id, energy: g.energy, mu: g.mu, labels: {}, source, header: table.header, column: want };
}

/** Reads a FEFF xmu.dat file; see {@link parseFeffXmu}. */
export function readFeffFile(path: string, opts: FeffOptions = {}): FeffSpectrum {
  return parseFeffXmu(readText(path), path, opts);
}

/** True when text looks like FEFF output (a "#" header naming the omega column, or FEFF in line 1). */
export function looksLikeFeffXmu(text: string): boolean {
  const head = text.slice(0, 20000);
  return /^#.*\bfeff/im.test(head.split(/\r?\n/)[0] ?? '') || /^#\s+omega\s+e\s+k\s+mu/m.test(head);
}

/** Registry entry (see index.ts): FEFF xmu.dat. */
export const feffFormat: FormatReader = {
  name: 'feff',
  describe: 'FEFF xmu.dat (omega e k mu mu0 chi): mu against omega (absolute energy)',
  detect: (_p, head) => looksLikeFeffXmu(head.toString('utf8')),
  read: (p) => [readFeffFile(p)],
};
