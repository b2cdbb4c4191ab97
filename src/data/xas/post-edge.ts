import { UserError } from '../../util/errors.js';
import { indexAtOrAbove } from './energy-grid.js';
import { polyfit, type Polynomial } from './polyfit.js';

/**
 * Fits the post-edge polynomial of degree `nnorm` (0..3) to the pre-edge
 * subtracted mu over [e0 + norm1, e0 + norm2] (eV, inclusive). Its value at
 * E0 is the edge step; its shape above E0 is what flattening removes.
 */
export function fitPostEdge(
  energy: Float64Array,
  muMinusPre: Float64Array,
  e0: number,
  norm1: number,
  norm2: number,
  nnorm: number,
  where = 'post-edge fit',
): Polynomial {
  if (!Number.isInteger(nnorm) || nnorm < 0 || nnorm > 3) throw new UserError(`nnorm must be 0, 1, 2 or 3, got ${nnorm}`, where);
  const i0 = indexAtOrAbove(energy, e0 + norm1);
  const i1 = indexAtOrAbove(energy, e0 + norm2 + 1e-9);
  if (i1 - i0 < nnorm + 1) {
    throw new UserError(
      `post-edge range [E0+${norm1}, E0+${norm2}] eV holds ${Math.max(0, i1 - i0)} points; a degree-${nnorm} fit needs ${nnorm + 1}`,
      where,
    );
  }
  return polyfit(energy, muMinusPre, nnorm, i0, i1, where);
}
