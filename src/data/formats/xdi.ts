import { UserError, at, quote } from '../../util/errors.js';
import type { RawSpectrum } from '../dataset.js';
import { sanitizeGrid } from '../xas/energy-grid.js';
import { parseNumber, readText, splitLines, stem } from './columns.js';
import type { FormatReader } from './reader.js';

/** hc in eV Angstrom (CODATA 2018), for monochromator angle -> energy. */
export const HC_EV_ANGSTROM = 12398.419843320026;

/** An XDI spectrum: the RawSpectrum plus everything the header said. */
export interface XdiSpectrum extends RawSpectrum {
  /** Header fields as written ("Element.symbol" -> "Fe"); a repeated field keeps its last value, as the spec requires. */
  metadata: Record<string, string>;
  /** XDI version and application versions from line 1, e.g. ["XDI/1.0", "GSE/1.0"]. */
  versions: string[];
  /** Column labels, from Column.N fields or the label line. */
  columns: string[];
  /** Units given in Column.N fields ('' when none). */
  units: string[];
  /** User comment lines (between the /// and --- separators). */
  comments: string[];
  /** How mu was obtained, e.g. "ln(i0/itrans)" or "column mutrans". */
  muFrom: string;
  /** Deviations from the spec that were tolerated (missing separators...). */
  warnings: string[];
}

/** Which mu an XDI file yields. */
export type XdiMode = 'auto' | 'transmission' | 'fluorescence' | 'reference';

/** Options of {@link parseXdi}. */
export interface XdiOptions {
  /**
   * 'auto' (default): a mutrans, mufluor or mu column if present, else
   * ln(i0/itrans), else ifluor/i0. 'transmission': mutrans or ln(i0/itrans).
   * 'fluorescence': mufluor or ifluor/i0. 'reference': murefer or ln(itrans/irefer).
   */
  mode?: XdiMode;
  /** Take mu from this column label instead (case-insensitive); overrides `mode`. */
  column?: string;
  /** Identifier; default: file name without extension. */
  id?: string;
}

const VERSION = /^#\s*XDI\/\d+\.\d+\b/i;
const FIELD = /^#\s*([A-Za-z][A-Za-z0-9_]*)\.([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$/;
// lines arrive trimmed
const FIELD_END = /^#\s*\/{3,}$/;
const HEADER_END = /^#\s*-{3,}$/;

/**
 * Parses XAS Data Interchange text (XDI 1.0 specification,
 * github.com/XraySpectroscopy/XAS-Data-Interchange). Energy comes back in
 * eV whatever the abscissa unit (eV, keV, or monochromator angle in degrees
 * or radians with Mono.d_spacing); mu is read or computed from the detector
 * channels as described in {@link XdiOptions.mode}.
 */
export function parseXdi(text: string, source: string, opts: XdiOptions = {}): XdiSpectrum {
  const lines = splitLines(text);
  // splitLines always yields at least one (possibly empty) line
  if (!VERSION.test(lines[0])) throw new UserError(`expected the XDI version line "# XDI/1.0 ...", found ${quote(lines[0].slice(0, 40))}`, at(source, 1));
  const versions = lines[0].slice(1).trim().split(/\s+/);
  const metadata: Record<string, string> = {};
  const lowerKey = new Map<string, string>();
  const comments: string[] = [];
  const warnings: string[] = [];
  let state: 'fields' | 'comments' | 'labels' = 'fields';
  let labelLine: string | null = null;
  let sawHeaderEnd = false;
  let ncols = 0;
  const values: number[] = [];
  const lineNo: number[] = [];
  for (let li = 1; li < lines.length; li++) {
    const t = lines[li].trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      if (ncols > 0) throw new UserError('comment line inside the data section; XDI data lines must not begin with "#"', at(source, li + 1));
      if (HEADER_END.test(t)) {
        state = 'labels';
        sawHeaderEnd = true;
        continue;
      }
      if (state === 'fields' && FIELD_END.test(t)) {
        state = 'comments';
        continue;
      }
      if (state === 'fields') {
        const fm = FIELD.exec(t);
        if (fm) {
          const key = `${fm[1]}.${fm[2]}`;
          // every key holds a ".", so a missing previous key deletes nothing
          delete metadata[lowerKey.get(key.toLowerCase()) ?? ''];
          lowerKey.set(key.toLowerCase(), key);
          metadata[key] = fm[3];
        } else {
          // not a field: the /// line is missing and comments have begun
          warnings.push(`line ${li + 1}: not a "Namespace.tag: value" field; read as a comment`);
          state = 'comments';
          comments.push(t.replace(/^#\s?/, ''));
        }
        continue;
      }
      if (state === 'comments') comments.push(t.replace(/^#\s?/, ''));
      else labelLine = t.replace(/^#\s*/, '');
      continue;
    }
    const toks = t.split(/\s+/);
    if (ncols === 0) ncols = toks.length;
    if (toks.length !== ncols) throw new UserError(`expected ${ncols} columns as in the first data line, found ${toks.length}`, at(source, li + 1));
    for (let c = 0; c < ncols; c++) {
      const v = parseNumber(toks[c]);
      if (Number.isNaN(v)) throw new UserError(`${quote(toks[c].slice(0, 40))} is not a number`, at(source, li + 1, c + 1));
      values.push(v);
    }
    lineNo.push(li + 1);
  }
  if (ncols === 0) throw new UserError('no data lines after the header', source);
  if (!sawHeaderEnd) warnings.push('no "#----" header-end line before the data');
  const nrows = lineNo.length;
  const field = (k: string): string | undefined => {
    return metadata[lowerKey.get(k.toLowerCase()) ?? ''];
  };
  // Column.N fields name the columns; the label line fills any gaps.
  const fromLine = labelLine ? labelLine.split(/\s+/) : [];
  if (labelLine && fromLine.length !== ncols) warnings.push(`column label line has ${fromLine.length} labels for ${ncols} columns`);
  const columns: string[] = [];
  const units: string[] = [];
  for (let c = 0; c < ncols; c++) {
    const f = field(`Column.${c + 1}`);
    if (f !== undefined && f.trim() !== '') {
      const words = f.split('||')[0].trim().split(/\s+/);
      columns.push(words[0]);
      units.push(words.slice(1).join(' '));
    } else {
      columns.push(fromLine.length === ncols ? fromLine[c] : `col${c + 1}`);
      units.push('');
    }
  }
  const col = (c: number): Float64Array => Float64Array.from({ length: nrows }, (_, r) => values[r * ncols + c]);
  // column 0 is the abscissa, never a detector channel
  const find = (name: string): number | null => {
    const i = columns.findIndex((x, c) => c > 0 && x.toLowerCase() === name);
    return i === -1 ? null : i;
  };
  const energy = abscissaToEnergy(col(0), columns[0], units[0], field('Mono.d_spacing'), source);
  const { mu, muFrom } = computeMu(col, find, columns, opts, source);
  const g = sanitizeGrid(energy, mu, source, (i) => lineNo[i]);
  return {
    id: opts.id ?? stem(source),
    energy: g.energy,
    mu: g.mu,
    labels: {},
    source,
    metadata,
    versions,
    columns,
    units,
    comments,
    muFrom,
    warnings,
  };
}

function abscissaToEnergy(x: Float64Array, label: string, unitsIn: string, dSpacing: string | undefined, source: string): Float64Array {
  const unit = unitsIn.toLowerCase() || (/angle|theta/i.test(label) ? 'degrees' : 'ev');
  if (unit === 'ev') return x;
  if (unit === 'kev') return x.map((v) => v * 1000);
  if (unit.startsWith('deg') || unit.startsWith('rad')) {
    const d = dSpacing === undefined ? NaN : parseFloat(dSpacing);
    if (!(d > 0)) throw new UserError(`abscissa ${quote(label)} is a monochromator angle (${unitsIn || 'degrees'}) but Mono.d_spacing is missing or not a positive number`, source);
    const toRad = unit.startsWith('deg') ? Math.PI / 180 : 1;
    return x.map((a) => HC_EV_ANGSTROM / (2 * d * Math.sin(a * toRad)));
  }
  throw new UserError(`abscissa units ${quote(unitsIn)} are not supported; expected eV, keV, degrees or radians`, source);
}

function computeMu(
  col: (c: number) => Float64Array,
  find: (name: string) => number | null,
  columns: string[],
  opts: XdiOptions,
  source: string,
): { mu: Float64Array; muFrom: string } {
  if (opts.column !== undefined) {
    const i = find(opts.column.toLowerCase());
    if (i === null) throw new UserError(`no column ${quote(opts.column)}; columns are ${columns.join(', ')}`, source);
    return { mu: col(i), muFrom: `column ${columns[i]}` };
  }
  const mode = opts.mode ?? 'auto';
  const direct = (name: string) => {
    const i = find(name);
    return i === null ? null : { mu: col(i), muFrom: `column ${columns[i]}` };
  };
  const ratio = (num: string, den: string, log: boolean) => {
    const a = find(num);
    const b = find(den);
    if (a === null || b === null) return null;
    const x = col(a);
    const y = col(b);
    // ln of a non-positive ratio is NaN; sanitizeGrid reports it with its line
    const mu = x.map((v, r) => (log ? Math.log(v / y[r]) : v / y[r]));
    return { mu, muFrom: log ? `ln(${columns[a]}/${columns[b]})` : `${columns[a]}/${columns[b]}` };
  };
  const tries: Record<XdiMode, Array<() => { mu: Float64Array; muFrom: string } | null>> = {
    transmission: [() => direct('mutrans'), () => ratio('i0', 'itrans', true)],
    fluorescence: [() => direct('mufluor'), () => ratio('ifluor', 'i0', false)],
    reference: [() => direct('murefer'), () => ratio('itrans', 'irefer', true)],
    auto: [
      () => direct('mutrans'), () => direct('mufluor'), () => direct('mu'), () => direct('xmu'),
      () => ratio('i0', 'itrans', true), () => ratio('ifluor', 'i0', false),
      () => direct('normtrans'), () => direct('normfluor'),
    ],
  };
  if (!(mode in tries)) throw new UserError(`unknown XDI mode ${quote(mode)}; expected auto, transmission, fluorescence or reference`, source);
  for (const t of tries[mode]) {
    const r = t();
    if (r) return r;
  }
  throw new UserError(
    `cannot obtain mu (${mode}): needs a mutrans/mufluor/mu column, or i0 with itrans (transmission) or ifluor (fluorescence); columns are ${columns.join(', ')}`,
    source,
  );
}

/** Reads an XDI file; see {@link parseXdi}. */
export function readXdiFile(path: string, opts: XdiOptions = {}): XdiSpectrum {
  return parseXdi(readText(path), path, opts);
}

/** True when text starts like an XDI file (used to sniff formats). */
export function looksLikeXdi(text: string): boolean {
  return VERSION.test(text.slice(0, 200).split(/\r\n|\n|\r/)[0] ?? '');
}

/** Registry entry (see index.ts): XDI files, by version line. */
export const xdiFormat: FormatReader = {
  name: 'xdi',
  describe: 'XAS Data Interchange 1.0 (.xdi): mu from a mu column or ln(i0/itrans) / ifluor/i0',
  detect: (p, head) => looksLikeXdi(head.toString('utf8')) || (p.toLowerCase().endsWith('.xdi') && head.length > 0),
  read: (p) => [readXdiFile(p)],
};
