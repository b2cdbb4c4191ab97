import { UserError } from '../../util/errors.js';
import { indexAtOrAbove } from './energy-grid.js';
import { polyfit, polyval, type Polynomial } from './polyfit.js';

/** The fitted pre-edge line: mu(E) ~ (a + b E) / E^nvict below the edge (b = 0 for a constant). */
export interface PreEdgeFit {
  /** Line fitted to mu E^nvict. */
  line: Polynomial;
  /** Victoreen exponent used (0: plain line in mu). */
  nvict: number;
}

/**
 * Fits the pre-edge line over [e0 + pre1, e0 + pre2] (eV, inclusive), the
 * standard background model of Athena and larch's pre_edge: a straight line
 * in mu E^nvict (nvict = 0 gives a straight line in mu); npre = 0 fits a
 * constant instead, which is safer when the range is short and close to the
 * edge (a line through the edge's Lorentzian tail extrapolates upwards).
 */
export function fitPreEdge(
  energy: Float64Array,
  mu: Float64Array,
  e0: number,
  pre1: number,
  pre2: number,
  nvict = 0,
  where = 'pre-edge fit',
  npre: 0 | 1 = 1,
): PreEdgeFit {
  const i0 = indexAtOrAbove(energy, e0 + pre1);
  const i1 = indexAtOrAbove(energy, e0 + pre2 + 1e-9);
  if (i1 - i0 < npre + 1) {
    throw new UserError(`pre-edge range [E0${fmt(pre1)}, E0${fmt(pre2)}] eV holds ${Math.max(0, i1 - i0)} points; needs ${npre + 1}`, where);
  }
  const y = new Float64Array(energy.length);
  for (let i = i0; i < i1; i++) y[i] = mu[i] * Math.pow(energy[i], nvict);
  return { line: polyfit(energy, y, npre, i0, i1, where), nvict };
}

/** Pre-edge background at every energy. */
export function evalPreEdge(fit: PreEdgeFit, energy: ArrayLike<number>): Float64Array {
  const out = new Float64Array(energy.length);
  for (let i = 0; i < energy.length; i++) out[i] = polyval(fit.line, energy[i]) / Math.pow(energy[i], fit.nvict);
  return out;
}

function fmt(v: number): string {
  return v >= 0 ? `+${v}` : `${v}`;
}
