import { UserError, at, quote } from '../../util/errors.js';
import { decodeText, gunzipBounded, isGzip } from '../../util/read-file.js';
import type { RawSpectrum } from '../dataset.js';
import { sanitizeGrid } from '../xas/energy-grid.js';
import type { NormalizationParams } from '../xas/normalize.js';
import { parseNumber, readBytes } from './columns.js';
import type { FormatReader } from './reader.js';

/** A Perl value as Athena writes it: string, number, nested list, hash or undef. */
export type PerlValue = string | number | null | PerlValue[] | { [k: string]: PerlValue };

/** One Athena group read as a spectrum. */
export interface AthenaSpectrum extends RawSpectrum {
  /** Athena's internal group name ($old_group). */
  group: string;
  /** The group's @args as key/value pairs (label, bkg_e0, bkg_pre1, ...). */
  args: Record<string, PerlValue>;
  /** i0 channel when the project kept it (same length as energy), else null. */
  i0: Float64Array | null;
  /** True when Athena stored normalized mu(E) (is_nor) rather than mu(E). */
  isNormalized: boolean;
  /** Athena's own normalization settings for this group, in this project's parameter names. */
  athenaNormalization: NormalizationParams;
  /** Energy shift (bkg_eshift, eV) Athena applies to this group; already added to `energy` unless applyEshift was false. */
  eshift: number;
}

/** Options of {@link parseAthenaProject}. */
export interface AthenaOptions {
  /** Add each group's bkg_eshift to its energies, as Athena displays them. Default true. */
  applyEshift?: boolean;
}

/** Result of {@link parseAthenaProject}. */
export interface AthenaProject {
  /** mu(E) groups in file order. */
  spectra: AthenaSpectrum[];
  /** Groups that are not mu(E) (chi(k), detector, background...) and were left out, with the reason. */
  skipped: string[];
}

/**
 * Reads an Athena project file (.prj): gzip-compressed or plain Perl source
 * written by Demeter/Athena, one group per `$old_group = ...; @args = (...);
 * @x = (...); @y = (...); [record]` block. The Perl is parsed as data (a
 * small literal grammar: quoted strings, numbers, undef, lists, hashes);
 * nothing is evaluated. The spectrum id is the group's label.
 */
export function parseAthenaProject(bytes: Uint8Array | string, source: string, opts: AthenaOptions = {}): AthenaProject {
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else text = decodeText(isGzip(bytes) ? gunzipBounded(bytes, source) : bytes, source);
  if (!/Athena project file|\$old_group\s*=/.test(text.slice(0, 4000))) {
    throw new UserError('not an Athena project file: no "# Athena project file" header or $old_group statement', source);
  }
  const statements = new PerlStatements(text, source).all();
  const spectra: AthenaSpectrum[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, number>();
  let cur: { group: string; line: number; vars: Map<string, { v: PerlValue; line: number }> } | null = null;
  const finish = () => {
    if (!cur) return;
    const r = buildGroup(cur.group, cur.line, cur.vars, source, opts);
    if (typeof r === 'string') skipped.push(r);
    else {
      const k = seen.get(r.id) ?? 0;
      seen.set(r.id, k + 1);
      if (k > 0) r.id = `${r.id} (${k + 1})`;
      spectra.push(r);
    }
    cur = null;
  };
  for (const st of statements) {
    if (st.kind === 'record') {
      finish();
      continue;
    }
    if (st.sigil === '$' && st.name === 'old_group') {
      finish();
      cur = { group: String(st.value ?? ''), line: st.line, vars: new Map() };
      continue;
    }
    if (cur && st.sigil === '@') cur.vars.set(st.name, { v: st.value, line: st.line });
  }
  finish();
  if (spectra.length === 0 && skipped.length === 0) throw new UserError('the project holds no groups', source);
  return { spectra, skipped };
}

function buildGroup(
  group: string,
  line: number,
  vars: Map<string, { v: PerlValue; line: number }>,
  source: string,
  opts: AthenaOptions,
): AthenaSpectrum | string {
  const argList = vars.get('args')?.v;
  const args: Record<string, PerlValue> = {};
  if (Array.isArray(argList)) for (let i = 0; i + 1 < argList.length; i += 2) args[String(argList[i])] = argList[i + 1];
  const label = typeof args.label === 'string' && args.label.trim() !== '' ? args.label : group;
  const datatype = String(args.datatype ?? '').toLowerCase();
  const flag = (k: string) => Number(args[k] ?? 0) === 1;
  if (datatype === 'chi' || flag('is_chi')) return `${label}: chi(k) record`;
  if (datatype === 'detector' || datatype === 'background' || flag('is_bkg') || flag('is_diff') || flag('is_fft') || flag('is_bft')) {
    return `${label}: ${datatype || 'non-mu(E)'} record`;
  }
  const x = numericArray(vars.get('x'), 'x', source);
  const y = numericArray(vars.get('y'), 'y', source);
  if (!x || !y) return `${label}: no @x/@y arrays`;
  if (x.values.length !== y.values.length) {
    throw new UserError(`group ${quote(label)}: @x has ${x.values.length} values but @y has ${y.values.length}`, at(source, x.line));
  }
  const eshift = Number(args.bkg_eshift ?? 0) || 0;
  const energy = opts.applyEshift === false ? x.values : x.values.map((e) => e + eshift);
  const g = sanitizeGrid(energy, y.values, `${at(source, y.line)} (group ${quote(label)})`);
  const i0raw = numericArray(vars.get('i0'), 'i0', source);
  const i0 = i0raw && i0raw.values.length === x.values.length && g.energy.length === x.values.length ? sortLike(energy, i0raw.values) : null;
  const num = (k: string): number | undefined => {
    const v = Number(args[k]);
    return args[k] !== undefined && args[k] !== '' && Number.isFinite(v) ? v : undefined;
  };
  const nn = num('bkg_nnorm');
  const athenaNormalization: NormalizationParams = {
    e0: num('bkg_e0') !== undefined ? num('bkg_e0')! + (opts.applyEshift === false ? 0 : eshift) : null,
    pre1: num('bkg_pre1'),
    pre2: num('bkg_pre2'),
    norm1: num('bkg_nor1'),
    norm2: num('bkg_nor2'),
    // Athena counts coefficients (1 = constant, 3 = quadratic); larch counts degree
    nnorm: nn !== undefined ? Math.max(0, Math.min(3, nn - 1)) : null,
    flatten: num('bkg_flatten') === undefined ? undefined : num('bkg_flatten') === 1,
  };
  return {
    id: label,
    energy: g.energy,
    mu: g.mu,
    labels: {},
    source,
    group,
    args,
    i0,
    isNormalized: flag('is_nor'),
    athenaNormalization: Object.fromEntries(Object.entries(athenaNormalization).filter(([, v]) => v !== undefined)),
    eshift,
  };
}

function sortLike(energy: Float64Array, v: Float64Array): Float64Array {
  const order = Array.from(energy.keys()).sort((a, b) => energy[a] - energy[b]);
  return Float64Array.from(order, (i) => v[i]);
}

function numericArray(entry: { v: PerlValue; line: number } | undefined, name: string, source: string): { values: Float64Array; line: number } | null {
  if (!entry || !Array.isArray(entry.v) || entry.v.length === 0) return null;
  const out = new Float64Array(entry.v.length);
  for (let i = 0; i < out.length; i++) {
    const item = entry.v[i];
    const v = typeof item === 'number' ? item : typeof item === 'string' ? parseNumber(item.trim()) : NaN;
    if (!Number.isFinite(v)) throw new UserError(`@${name} element ${i + 1} is ${JSON.stringify(item)}, expected a number`, at(source, entry.line));
    out[i] = v;
  }
  return { values: out, line: entry.line };
}

type Statement = { kind: 'assign'; sigil: '$' | '@' | '%'; name: string; value: PerlValue; line: number } | { kind: 'record'; line: number; sigil?: undefined; name?: undefined; value?: undefined };

/** A tokenizer/parser for the literal subset of Perl that Athena writes. */
class PerlStatements {
  private pos = 0;
  private line = 1;
  constructor(private readonly s: string, private readonly source: string) {}

  all(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      this.skip();
      if (this.pos >= this.s.length) return out;
      const c = this.s[this.pos];
      const line = this.line;
      if (c === '[' && this.s.startsWith('[record]', this.pos)) {
        this.pos += 8;
        out.push({ kind: 'record', line });
        continue;
      }
      if (c === '$' || c === '@' || c === '%') {
        this.pos++;
        const name = this.word();
        this.skip();
        if (this.s[this.pos] !== '=') throw this.error(`expected "=" after ${c}${name}`);
        this.pos++;
        const value = this.value();
        this.skip();
        if (this.s[this.pos] === ';') this.pos++;
        out.push({ kind: 'assign', sigil: c, name, value, line });
        continue;
      }
      // anything else (a bare "1;", a stray word) is skipped up to the next statement end
      this.skipStatement();
    }
  }

  private error(msg: string): UserError {
    return new UserError(`Athena project: ${msg}`, at(this.source, this.line));
  }

  private skip(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  private skipStatement(): void {
    while (this.pos < this.s.length && this.s[this.pos] !== ';' && this.s[this.pos] !== '\n') this.pos++;
    this.pos++;
    if (this.s[this.pos - 1] === '\n') this.line++;
  }

  private word(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_:]*/.exec(this.s.slice(this.pos, this.pos + 256));
    if (!m) throw this.error('expected a variable name');
    this.pos += m[0].length;
    return m[0];
  }

  private value(): PerlValue {
    this.skip();
    const s = this.s;
    const c = s[this.pos];
    if (c === "'" || c === '"') return this.quoted(c);
    if (c === '(' || c === '[') return this.list(c === '(' ? ')' : ']');
    if (c === '{') return this.hash();
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(s.slice(this.pos, this.pos + 64));
    if (m) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    if (s.startsWith('undef', this.pos)) {
      this.pos += 5;
      return null;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_:]*/.exec(s.slice(this.pos, this.pos + 256));
    if (w) {
      this.pos += w[0].length;
      return w[0];
    }
    throw this.error(`unexpected ${quote(s.slice(this.pos, this.pos + 20))}`);
  }

  private quoted(q: string): string {
    const s = this.s;
    const startLine = this.line;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= s.length) {
        this.line = startLine;
        throw this.error('unterminated quoted string');
      }
      const c = s[this.pos++];
      if (c === '\n') this.line++;
      if (c === q) return out;
      if (c === '\\' && this.pos < s.length) {
        const n = s[this.pos++];
        // single quotes only unescape \\ and \'; keep other backslashes verbatim
        if (n === q || n === '\\') out += n;
        else if (q === '"' && n === 'n') out += '\n';
        else if (q === '"' && n === 't') out += '\t';
        else out += '\\' + n;
      } else out += c;
    }
  }

  private list(close: string): PerlValue[] {
    this.pos++;
    const out: PerlValue[] = [];
    for (;;) {
      this.skip();
      if (this.pos >= this.s.length) throw this.error(`missing ${quote(close)}`);
      if (this.s[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s.startsWith('=>', this.pos)) this.pos += 2;
      else if (this.s[this.pos] !== close) throw this.error(`expected "," or ${quote(close)}, found ${quote(this.s.slice(this.pos, this.pos + 20))}`);
    }
  }

  private hash(): Record<string, PerlValue> {
    const items = this.list('}');
    const out: Record<string, PerlValue> = {};
    for (let i = 0; i + 1 < items.length; i += 2) out[String(items[i])] = items[i + 1];
    return out;
  }
}

/** Reads an Athena project file; see {@link parseAthenaProject}. */
export function readAthenaFile(path: string, opts: AthenaOptions = {}): AthenaProject {
  return parseAthenaProject(readBytes(path), path, opts);
}

/** Registry entry (see index.ts): Athena projects, by extension or gzip/Perl header. */
export const athenaFormat: FormatReader = {
  name: 'athena',
  describe: 'Athena project (.prj, gzip or plain): one spectrum per mu(E) group, id = group label',
  detect: (p, head) => p.toLowerCase().endsWith('.prj') || /^#\s*Athena project file/.test(head.toString('latin1')),
  read: (p) => readAthenaFile(p).spectra,
};
