import { UserError, at, quote } from '../../util/errors.js';
import type { RawSpectrum } from '../dataset.js';
import { sanitizeGrid } from '../xas/energy-grid.js';
import { parseNumber, readText, splitLines, stem } from './columns.js';
import type { FormatReader } from './reader.js';

/** An FDMNES spectrum with what its header said. */
export interface FdmnesSpectrum extends RawSpectrum {
  /** Header lines before the data (title, parameter line, column labels). */
  header: string[];
  /** Column labels of the data block. */
  columns: string[];
  /** Column that became `mu`. */
  column: string;
  /** Energy added to the file's abscissa (E_edge for relative output), 0 when the file held photon energies. */
  energyOffset: number;
}

/** Options of {@link parseFdmnes}. */
export interface FdmnesOptions {
  /** Spectrum column: label (case-insensitive) or 0-based index. Default "<xanes>" when present, else column 1. */
  column?: string | number;
  /**
   * Energy (eV) to add to the abscissa. Default: FDMNES's E_edge from the
   * parameter line ("... = E_edge, Z, ...") when the energies are plainly
   * relative (all below E_edge/2), else 0.
   */
  energyOffset?: number;
  /** Identifier; default: file name without extension (and without a "_conv" suffix). */
  id?: string;
}

/**
 * FDMNES output: the plain spectrum file (line 1 a title such as "FDMNES" or
 * FDMNES's numeric parameter line "E_edge Z ... = E_edge, Z, ...", then a
 * label line "Energy <xanes> ...", then rows) and the convolution output
 * `*_conv.txt` (label line then rows). Any run of non-numeric lines before the
 * data is header; the last one names the columns.
 */
export function parseFdmnes(text: string, source: string, opts: FdmnesOptions = {}): FdmnesSpectrum {
  const lines = splitLines(text);
  const header: string[] = [];
  let li = 0;
  for (; li < lines.length; li++) {
    const t = lines[li].trim();
    if (t === '') continue;
    const toks = t.split(/\s+/);
    if (toks.every((x) => !Number.isNaN(parseNumber(x)))) break;
    header.push(t);
    if (header.length > 50) throw new UserError('no numeric data within the first 50 header lines; is this FDMNES output?', source);
  }
  let ncols = 0;
  const values: number[] = [];
  const lineNo: number[] = [];
  for (; li < lines.length; li++) {
    const t = lines[li].trim();
    if (t === '') continue;
    const toks = t.split(/\s+/);
    if (ncols === 0) ncols = toks.length;
    if (toks.length !== ncols) throw new UserError(`expected ${ncols} columns, found ${toks.length}`, at(source, li + 1));
    for (let c = 0; c < ncols; c++) {
      const v = parseNumber(toks[c]);
      if (Number.isNaN(v)) throw new UserError(`${quote(toks[c].slice(0, 40))} is not a number`, at(source, li + 1, c + 1));
      values.push(v);
    }
    lineNo.push(li + 1);
  }
  if (ncols < 2) throw new UserError(`expected at least 2 data columns (energy, spectrum), found ${ncols}`, source);
  const last = header.length > 0 ? header[header.length - 1].split(/\s+/) : [];
  const columns = last.length === ncols ? last : Array.from({ length: ncols }, (_, c) => (c === 0 ? 'energy' : `col${c}`));
  let yi: number;
  if (typeof opts.column === 'number') {
    if (!Number.isInteger(opts.column) || opts.column < 1 || opts.column >= ncols) throw new UserError(`column ${opts.column} out of range 1..${ncols - 1}`, source);
    yi = opts.column;
  } else {
    const want = (opts.column ?? '<xanes>').toLowerCase();
    yi = columns.findIndex((c, i) => i > 0 && c.toLowerCase() === want);
    if (yi < 0) {
      if (opts.column !== undefined) throw new UserError(`no column ${quote(opts.column)}; columns are ${columns.join(', ')}`, source);
      yi = 1;
    }
  }
  const n = lineNo.length;
  const energy = new Float64Array(n);
  const mu = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    energy[r] = values[r * ncols];
    mu[r] = values[r * ncols + yi];
  }
  let offset = opts.energyOffset ?? 0;
  if (opts.energyOffset === undefined) {
    const param = header.find((h) => /=\s*E_edge/i.test(h));
    const eEdge = param ? parseNumber(param.trim().split(/\s+/)[0]) : NaN;
    if (eEdge > 0 && energy.every((e) => e < eEdge / 2)) offset = eEdge;
  }
  if (offset !== 0) for (let r = 0; r < n; r++) energy[r] += offset;
  const g = sanitizeGrid(energy, mu, source, (i) => lineNo[i]);
  return {
    id: opts.id ?? stem(source).replace(/_conv$/, ''),
    energy: g.energy,
    mu: g.mu,
    labels: {},
    source,
    header,
    columns,
    column: columns[yi],
    energyOffset: offset,
  };
}

/** Reads an FDMNES output file; see {@link parseFdmnes}. */
export function readFdmnesFile(path: string, opts: FdmnesOptions = {}): FdmnesSpectrum {
  return parseFdmnes(readText(path), path, opts);
}

/** True when text looks like FDMNES output (title "FDMNES", an E_edge parameter line, or an "Energy <xanes>" label line). */
export function looksLikeFdmnes(text: string): boolean {
  const head = splitLines(text.slice(0, 4000)).slice(0, 4).map((l) => l.trim());
  return head.some((l) => /^fdmnes\b/i.test(l) || /=\s*E_edge/i.test(l) || /^energy\s+<xanes>/i.test(l));
}

/** Registry entry (see index.ts): FDMNES output and _conv.txt. */
export const fdmnesFormat: FormatReader = {
  name: 'fdmnes',
  describe: 'FDMNES output (.txt, _conv.txt): "Energy <xanes>" columns',
  detect: (_p, head) => looksLikeFdmnes(head.toString('utf8')),
  read: (p) => [readFdmnesFile(p)],
};
