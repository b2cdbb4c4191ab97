import { UserError } from '../../util/errors.js';
import { readSpectra } from '../formats/index.js';
import { fitMeasuredShift } from './measured-shift.js';
import { IDENTITY_PREPROCESS, preprocessSpectrum, xasNormalization } from './pipeline.js';

export { fitMeasuredShift } from './measured-shift.js';
import type { PreprocessConfig, PreprocessParams } from './schema.js';

/**
 * Fitting the preprocessing pipeline, once, when a model is trained: the
 * configured steps are copied and the measured-scale shift is resolved
 * (given, or fitted from a reference compound). The result is what the
 * model stores and every later command applies.
 */

/** One spectrum of a file: the one with `id`, or the only one. */
export async function readOneSpectrum(path: string, id?: string): Promise<{ id: string; energy: Float64Array; mu: Float64Array }> {
  const read = await readSpectra(path);
  const list = Array.isArray(read)
    ? read.map((s) => ({ id: s.id, energy: s.energy, mu: s.mu }))
    : read.ids.map((sid, i) => ({ id: sid, energy: read.energies, mu: Float64Array.from(read.spectra.subarray(i * read.m, (i + 1) * read.m)) }));
  if (id !== undefined) {
    const hit = list.find((s) => s.id === id);
    if (!hit) throw new UserError(`no spectrum "${id}" (ids: ${list.slice(0, 8).map((s) => s.id).join(', ')}${list.length > 8 ? ', ...' : ''})`, path);
    return { ...hit, energy: Float64Array.from(hit.energy) };
  }
  if (list.length !== 1) {
    throw new UserError(`holds ${list.length} spectra; name the reference with an id (ids: ${list.slice(0, 8).map((s) => s.id).join(', ')}${list.length > 8 ? ', ...' : ''})`, path);
  }
  return { ...list[0], energy: Float64Array.from(list[0].energy) };
}

/** The stored pipeline for a config's `preprocess` section (identity when there is none). */
export async function fitPreprocess(cfg: PreprocessConfig | undefined): Promise<PreprocessParams> {
  if (!cfg) return { ...IDENTITY_PREPROCESS, shift: { ...IDENTITY_PREPROCESS.shift } };
  let params: PreprocessParams = {
    version: 1,
    broaden: cfg.broaden,
    shift: { calculated: cfg.calibrate.calculatedShift, measured: cfg.calibrate.measuredShift ?? 0 },
    measuredShiftSource: cfg.calibrate.measuredShift !== undefined ? 'given' : 'none',
    shiftFit: null,
    xas: cfg.xas ?? null,
    alignE0: cfg.alignE0 ?? null,
    reference: null,
  };
  const ref = cfg.calibrate.reference;
  if (ref) {
    const calc = await readOneSpectrum(ref.calculated, ref.calculatedId);
    // The reference goes through the calculated role's broadening and shift, but not XAS normalization: the fit normalizes both sides itself.
    const base = { ...params, xas: null, alignE0: null };
    const r = preprocessSpectrum(calc.energy, calc.mu, base, { role: 'calculated' }, `${ref.calculated} [${calc.id}]`);
    params = { ...params, reference: { id: calc.id, energy: Array.from(r.energy), mu: Array.from(r.mu), method: ref.method, window: ref.window } };
    if (ref.measured) {
      const meas = await readOneSpectrum(ref.measured, ref.measuredId);
      const fit = fitMeasuredShift(params, meas, `${ref.measured} [${meas.id}]`);
      params = {
        ...params,
        shift: { ...params.shift, measured: fit.shift },
        measuredShiftSource: 'reference',
        shiftFit: { method: fit.method, score: fit.score, e0Calculated: fit.e0Calculated, e0Measured: fit.e0Measured, window: fit.window },
      };
    }
  }
  return params;
}
