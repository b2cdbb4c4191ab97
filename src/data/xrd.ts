import { UserError, quote } from '../util/errors.js';
import type { RawSpectrum } from './dataset.js';
import { trapezoidArea } from './normalize.js';
import { readColumnsFile, type ColumnsOptions } from './formats/columns.js';

/**
 * Powder X-ray diffraction: axis conversion between 2-theta and q, SNIP
 * background removal, intensity normalization, and the reader for two-column
 * xy files (NumPy .npy matrices of patterns: formats/npy.ts).
 */

/** Characteristic X-ray lines (Angstrom), Kalpha1 from Hoelzer et al. 1997 / Deslattes 2003; Kalpha the 2:1 weighted Ka1/Ka2 mean. */
export const XRD_WAVELENGTHS: Readonly<Record<string, number>> = Object.freeze({
  CuKa1: 1.5405929,
  CuKa: 1.5418,
  MoKa1: 0.70931715,
  MoKa: 0.71073,
  CoKa1: 1.788996,
  CoKa: 1.79026,
  FeKa1: 1.936042,
  CrKa1: 2.28970,
  AgKa1: 0.5594075,
});

/** Unit of the scattering vector q. */
export type QUnit = '1/A' | '1/nm';

/** Wavelength in Angstrom from a number (Angstrom) or a source name such as "CuKa1" (case-insensitive). */
export function resolveWavelength(w: number | string): number {
  if (typeof w === 'number') {
    if (!(w > 0) || !Number.isFinite(w)) throw new UserError(`wavelength must be a positive number of Angstrom, got ${w}`);
    return w;
  }
  const hit = Object.entries(XRD_WAVELENGTHS).find(([k]) => k.toLowerCase() === w.replace(/[\s-]/g, '').toLowerCase());
  if (hit) return hit[1];
  const n = Number(w);
  if (Number.isFinite(n) && n > 0) return n;
  throw new UserError(`unknown X-ray source ${quote(w)}; use a wavelength in Angstrom or one of ${Object.keys(XRD_WAVELENGTHS).join(', ')}`);
}

function qScale(unit: QUnit): number {
  if (unit === '1/A') return 1;
  if (unit === '1/nm') return 10;
  throw new UserError(`q unit must be "1/A" or "1/nm", got ${quote(String(unit))}`);
}

/** q = 4 pi sin(2theta / 2) / lambda for 2-theta in degrees; q in `unit` (default 1/A). */
export function twoThetaToQ(twoTheta: ArrayLike<number>, wavelength: number | string, unit: QUnit = '1/A'): Float64Array {
  const lam = resolveWavelength(wavelength);
  const s = qScale(unit);
  const out = new Float64Array(twoTheta.length);
  for (let i = 0; i < out.length; i++) {
    const t = twoTheta[i];
    if (!(t >= 0 && t <= 180)) throw new UserError(`2-theta must lie in [0, 180] degrees, got ${t} (value ${i + 1})`);
    out[i] = ((4 * Math.PI * Math.sin((t * Math.PI) / 360)) / lam) * s;
  }
  return out;
}

/** 2-theta (degrees) from q in `unit`; q beyond 4 pi / lambda cannot be reached at that wavelength and is an error. */
export function qToTwoTheta(q: ArrayLike<number>, wavelength: number | string, unit: QUnit = '1/A'): Float64Array {
  const lam = resolveWavelength(wavelength);
  const s = qScale(unit);
  const out = new Float64Array(q.length);
  for (let i = 0; i < out.length; i++) {
    const x = (q[i] / s) * lam / (4 * Math.PI);
    if (!(x >= 0 && x <= 1)) {
      throw new UserError(`q = ${q[i]} ${unit} is not reachable with lambda = ${lam} A (maximum ${((4 * Math.PI) / lam * s).toFixed(3)} ${unit})`);
    }
    out[i] = (360 / Math.PI) * Math.asin(x);
  }
  return out;
}

/** Options of {@link snipBackground}. */
export interface SnipOptions {
  /**
   * Largest clipping half-width in points: a little wider than the widest
   * peak (FWHM in points). Default 20.
   */
  halfWidth?: number;
  /**
   * Apply the log-log-square-root transform first (Morhac et al. 1997) so
   * the clipping treats strong and weak peaks alike. Default true.
   */
  lls?: boolean;
}

/**
 * Background under a powder pattern by SNIP (Statistics-sensitive Non-linear
 * Iterative Peak-clipping; C.G. Ryan et al., Nucl. Instr. Meth. B 34 (1988)
 * 396; M. Morhac et al., NIM A 401 (1997) 113): for window p = 1..halfWidth,
 * each point becomes min(y[i], (y[i-p] + y[i+p]) / 2). Peaks narrower than
 * the window are clipped away; the smooth background stays.
 */
export function snipBackground(y: ArrayLike<number>, opts: SnipOptions = {}): Float64Array {
  const m = opts.halfWidth ?? 20;
  if (!Number.isInteger(m) || m < 1) throw new UserError(`SNIP halfWidth must be a positive integer number of points, got ${m}`);
  const lls = opts.lls ?? true;
  const n = y.length;
  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new UserError(`intensity ${i + 1} is ${y[i]}; SNIP needs finite values`);
    v[i] = lls ? Math.log(Math.log(Math.sqrt(Math.max(0, y[i]) + 1) + 1) + 1) : y[i];
  }
  let w = new Float64Array(n);
  for (let p = 1; p <= m; p++) {
    for (let i = 0; i < n; i++) {
      w[i] = i - p >= 0 && i + p < n ? Math.min(v[i], (v[i - p] + v[i + p]) / 2) : v[i];
    }
    [v, w] = [w, v];
  }
  if (lls) for (let i = 0; i < n; i++) v[i] = (Math.exp(Math.exp(v[i]) - 1) - 1) ** 2 - 1;
  // where the input was negative the transform clamped at 0: never put the background above the data
  for (let i = 0; i < n; i++) if (v[i] > y[i]) v[i] = y[i];
  return v;
}

/** Intensity normalization of a pattern. */
export type XrdNormalization = 'none' | 'max' | 'area';

/** y scaled so its maximum is 1 ('max') or its trapezoid area over x is 1 ('area'). */
export function normalizeIntensity(x: ArrayLike<number>, y: ArrayLike<number>, mode: XrdNormalization): Float64Array {
  const out = Float64Array.from(y as ArrayLike<number>);
  if (mode === 'none') return out;
  let s: number;
  if (mode === 'max') {
    s = -Infinity;
    for (let i = 0; i < out.length; i++) s = Math.max(s, out[i]);
  } else if (mode === 'area') {
    s = trapezoidArea(out, x);
  } else throw new UserError(`intensity normalization must be none, max or area, got ${quote(String(mode))}`);
  if (!(s > 0) || !Number.isFinite(s)) throw new UserError(`cannot normalize by ${mode}: it is ${s} (pattern empty or all background?)`);
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}

/** Settings of {@link preprocessXrd}; plain JSON, stored with a model. */
export interface XrdPreprocessing {
  /** Abscissa wanted: '2theta' (degrees) or 'q'. Default: keep the input's. */
  axis?: 'twotheta' | 'q';
  /** Abscissa of the input patterns. Default 'twotheta'. */
  inputAxis?: 'twotheta' | 'q';
  /** Wavelength (Angstrom) or source name, needed to convert between 2-theta and q. */
  wavelength?: number | string;
  /** q unit of input and output. Default '1/A'. */
  qUnit?: QUnit;
  /** SNIP background removal settings; omitted or false: no background removal. */
  background?: SnipOptions | false;
  /** Intensity normalization after background removal. Default 'max'. */
  normalize?: XrdNormalization;
}

/** Axis conversion, background subtraction and intensity normalization of one pattern. */
export function preprocessXrd(s: RawSpectrum, p: XrdPreprocessing = {}): RawSpectrum {
  const from = p.inputAxis ?? 'twotheta';
  const to = p.axis ?? from;
  const unit = p.qUnit ?? '1/A';
  let x: Float64Array = Float64Array.from(s.energy);
  if (from !== to) {
    if (p.wavelength === undefined) throw new UserError('converting between 2-theta and q needs a wavelength (Angstrom or a source such as CuKa1)', s.source);
    x = from === 'twotheta' ? twoThetaToQ(x, p.wavelength, unit) : qToTwoTheta(x, p.wavelength, unit);
  }
  let y: Float64Array = Float64Array.from(s.mu);
  if (p.background) {
    const bg = snipBackground(y, p.background);
    y = y.map((v, i) => v - bg[i]);
  }
  y = normalizeIntensity(x, y, p.normalize ?? 'max');
  return { ...s, energy: x, mu: y };
}

/** Reads a two-column (2-theta or q, intensity) xy file; see parseColumns for options. */
export function readXyFile(path: string, opts: ColumnsOptions = {}): RawSpectrum {
  const got = readColumnsFile(path, { ...opts, y: opts.y !== undefined && !Array.isArray(opts.y) ? opts.y : 1 });
  return got[0];
}
