import { normalPdf, normalSf } from '../../metrics/normal-distribution.js';
import { UserError } from '../../util/errors.js';

/**
 * Broadening of calculated spectra, so that a raw (unconvolved) calculation
 * looks like a measurement: Gaussian (instrument resolution), Lorentzian
 * (a constant lifetime width) and the energy-dependent Lorentzian that
 * FDMNES's own convolution applies (core-hole width plus an arctangent
 * inelastic term that grows with the photoelectron energy).
 *
 * The convolution is exact for the piecewise-linear spectrum through the
 * data points: each segment is integrated against the kernel analytically
 * (kernel CDF and first moment), so a kernel narrower than the grid step
 * is still handled correctly and non-uniform grids need no resampling.
 * Beyond the data the spectrum continues with its end values (FDMNES and
 * pyFitIt do the same above the last point); the output is on the input grid.
 */

/** Gaussian of full width at half maximum `fwhm` (eV): instrument resolution. */
export interface GaussianBroadening {
  kind: 'gaussian';
  fwhm: number;
}

/** Lorentzian of full width at half maximum `fwhm` (eV): a constant lifetime width. */
export interface LorentzianBroadening {
  kind: 'lorentzian';
  fwhm: number;
}

/**
 * FDMNES's convolution: a Lorentzian whose full width at the output energy E is
 * Gamma(E) = gammaHole + gammaMax (1/2 + 1/pi arctan(pi/3 gammaMax/eLarg (e - 1/e^2))),
 * e = (E - eFermi) / eCent, and gammaHole below eFermi, where the spectrum is
 * also set to zero (those final states are occupied). Keyword names in the
 * FDMNES manual: Gamma_hole, Gamma_max, Ecent, Elarg, Efermi.
 */
export interface FdmnesBroadening {
  kind: 'fdmnes';
  /** Core-hole lifetime width (eV), e.g. about 1.2 eV at the Fe K edge. */
  gammaHole: number;
  /** Width the inelastic term reaches far above the edge (eV); FDMNES default 15. */
  gammaMax: number;
  /** Energy above eFermi where the inelastic term is at half its rise (eV); FDMNES default 30. */
  eCent: number;
  /** Energy over which it rises (eV); FDMNES default 30. */
  eLarg: number;
  /** Fermi level in the spectrum's own energy scale (eV): below it the spectrum is cut to 0. */
  eFermi: number;
}

export type Broadening = GaussianBroadening | LorentzianBroadening | FdmnesBroadening;

/** Gaussian kernels are integrated over +-this many sigma; the mass beyond is below 1e-15. */
const GAUSS_REACH = 8;

/** Full width (eV) of the FDMNES Lorentzian at energy `energy`. */
export function fdmnesWidth(p: FdmnesBroadening, energy: number): number {
  if (energy <= p.eFermi) return p.gammaHole;
  const e = (energy - p.eFermi) / p.eCent;
  return p.gammaHole + p.gammaMax * (0.5 + Math.atan((Math.PI / 3) * (p.gammaMax / p.eLarg) * (e - 1 / (e * e))) / Math.PI);
}

function checkStep(p: Broadening, where: string): void {
  const positive = (v: number, name: string) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new UserError(`${p.kind} broadening: ${name} must be a positive number of eV, got ${v}`, where);
  };
  if (p.kind === 'fdmnes') {
    positive(p.gammaHole, 'gammaHole');
    positive(p.gammaMax, 'gammaMax');
    positive(p.eCent, 'eCent');
    positive(p.eLarg, 'eLarg');
    if (!Number.isFinite(p.eFermi)) throw new UserError(`fdmnes broadening: eFermi must be a finite energy, got ${p.eFermi}`, where);
  } else positive(p.fwhm, 'fwhm');
}

/**
 * Convolves one spectrum with one broadening kernel. `energy` must increase
 * strictly. Returns a new array on the same grid.
 */
export function broadenSpectrum(energy: ArrayLike<number>, mu: ArrayLike<number>, p: Broadening, where = 'broadening'): Float64Array {
  checkStep(p, where);
  const n = energy.length;
  if (n < 2 || mu.length !== n) throw new UserError(`broadening needs at least 2 points and as many intensities as energies (got ${n} and ${mu.length})`, where);
  const y = Float64Array.from(mu);
  if (p.kind === 'fdmnes') for (let j = 0; j < n; j++) if (energy[j] < p.eFermi) y[j] = 0;
  const out = new Float64Array(n);
  if (p.kind === 'gaussian') {
    // FWHM = 2 sqrt(2 ln 2) sigma.
    const sigma = p.fwhm / (2 * Math.sqrt(2 * Math.LN2));
    for (let i = 0; i < n; i++) out[i] = convolveAt(energy, y, energy[i], gaussianKernel(sigma), GAUSS_REACH * sigma);
  } else {
    for (let i = 0; i < n; i++) {
      const fwhm = p.kind === 'lorentzian' ? p.fwhm : fdmnesWidth(p, energy[i]);
      out[i] = convolveAt(energy, y, energy[i], lorentzianKernel(fwhm / 2), Infinity);
    }
  }
  return out;
}

/** Applies several kernels in order (e.g. FDMNES lifetime widths, then a Gaussian resolution). */
export function broadenAll(energy: ArrayLike<number>, mu: ArrayLike<number>, steps: readonly Broadening[], where = 'broadening'): Float64Array {
  let y: Float64Array = Float64Array.from(mu);
  for (const s of steps) y = broadenSpectrum(energy, y, s, where);
  return y;
}

/**
 * A normalized kernel K(t) through its antiderivatives: F0 = int K dt (0 at
 * -inf, 1 at +inf) and F1 = int t K dt. `k` and `scale` (Lorentzian only)
 * allow Simpson's rule on segments short against sqrt(t^2 + scale^2), the
 * length over which K changes there: its error is below 1e-7 of the
 * segment's weight and it needs no atan or log.
 */
interface Kernel {
  f0(t: number): number;
  f1(t: number): number;
  k?(t: number): number;
  scale?: number;
}

function gaussianKernel(sigma: number): Kernel {
  return {
    f0: (t) => 1 - normalSf(t / sigma),
    f1: (t) => -sigma * normalPdf(t / sigma),
  };
}

function lorentzianKernel(halfWidth: number): Kernel {
  const g = halfWidth;
  return {
    f0: (t) => 0.5 + Math.atan(t / g) / Math.PI,
    f1: (t) => (g / (2 * Math.PI)) * Math.log(t * t + g * g),
    k: (t) => g / (Math.PI * (t * t + g * g)),
    scale: g,
  };
}

/** Segments shorter than this fraction of sqrt(t^2 + scale^2) use Simpson's rule. */
const SIMPSON = 0.05;

/**
 * int mu(x) K(x - e) dx for mu linear between the points and constant beyond
 * the ends; segments farther than `reach` from e are skipped (their weight
 * is below double precision for the Gaussian).
 */
function convolveAt(x: ArrayLike<number>, y: Float64Array, e: number, k: Kernel, reach: number): number {
  const n = x.length;
  let lo = 0;
  let hi = n - 1;
  if (Number.isFinite(reach)) {
    while (lo < n - 1 && x[lo + 1] < e - reach) lo++;
    while (hi > 0 && x[hi - 1] > e + reach) hi--;
  }
  let s = lo === 0 ? y[0] * k.f0(x[0] - e) : 0;
  let f0Prev = NaN;
  let f1Prev = NaN;
  const scale2 = (k.scale ?? 0) ** 2;
  for (let j = lo; j < hi; j++) {
    const t0 = x[j] - e;
    const t1 = x[j + 1] - e;
    const dx = t1 - t0;
    const near = Math.min(Math.abs(t0), Math.abs(t1));
    if (k.k && t0 * t1 > 0 && dx < SIMPSON * Math.sqrt(near * near + scale2)) {
      s += (dx / 6) * (y[j] * k.k(t0) + 2 * (y[j] + y[j + 1]) * k.k(0.5 * (t0 + t1)) + y[j + 1] * k.k(t1));
      f0Prev = NaN;
      continue;
    }
    if (Number.isNaN(f0Prev)) {
      f0Prev = k.f0(t0);
      f1Prev = k.f1(t0);
    }
    const f0 = k.f0(t1);
    const f1 = k.f1(t1);
    const slope = (y[j + 1] - y[j]) / dx;
    s += (y[j] + slope * (e - x[j])) * (f0 - f0Prev) + slope * (f1 - f1Prev);
    f0Prev = f0;
    f1Prev = f1;
  }
  if (hi === n - 1) s += y[n - 1] * (1 - k.f0(x[n - 1] - e));
  return s;
}
