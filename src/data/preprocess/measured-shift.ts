import { UserError } from '../../util/errors.js';
import { fitEnergyShift, type ShiftFit } from './energy-shift.js';
import { xasNormalization } from './pipeline.js';
import type { PreprocessParams } from './schema.js';

// Apart from fit.ts (which reads files) so that embedding, which calls it, runs without Node modules (the browser entry).

/** Fits the shift that puts a measured reference spectrum onto the calculated reference stored in `p`. */
export function fitMeasuredShift(p: PreprocessParams, measured: { energy: ArrayLike<number>; mu: ArrayLike<number> }, where: string): ShiftFit & { window: number } {
  if (!p.reference) {
    throw new UserError(
      'the model stores no calculated reference spectrum (preprocess.calibrate.reference.calculated in its training config), so a measured reference cannot be aligned to it; give the shift in eV instead (--shift)',
      where,
    );
  }
  const fit = fitEnergyShift(p.reference, measured, {
    method: p.reference.method,
    window: p.reference.window,
    xas: xasNormalization(p.xas),
    whereCalculated: `calculated reference "${p.reference.id}"`,
    whereMeasured: where,
  });
  return { ...fit, window: p.reference.window };
}
