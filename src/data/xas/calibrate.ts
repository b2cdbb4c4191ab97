import { UserError } from '../../util/errors.js';
import type { RawSpectrum } from '../dataset.js';
import { findE0, type FindE0Options } from './e0.js';

/** A copy of `s` with `eshift` eV added to every energy (a calibration offset). */
export function shiftEnergy<T extends RawSpectrum>(s: T, eshift: number): T {
  if (!Number.isFinite(eshift)) throw new UserError(`energy shift must be a finite number of eV, got ${eshift}`, s.source);
  const energy = new Float64Array(s.energy.length);
  for (let i = 0; i < energy.length; i++) energy[i] = s.energy[i] + eshift;
  return { ...s, energy };
}

/**
 * The shift that moves a measured edge onto its nominal energy, e.g. a
 * reference foil measured at 8981.2 eV whose tabulated E0 is 8979.0 eV
 * gives -2.2 eV; apply it to every spectrum measured with that foil.
 */
export function calibrationShift(measuredE0: number, nominalE0: number): number {
  if (!Number.isFinite(measuredE0) || !Number.isFinite(nominalE0)) throw new UserError(`E0 values must be finite, got ${measuredE0} and ${nominalE0}`);
  return nominalE0 - measuredE0;
}

/** Result of {@link alignToE0}. */
export interface Alignment<T extends RawSpectrum> {
  /** Shifted spectra, in input order. */
  spectra: T[];
  /** E0 found in each spectrum before shifting (eV). */
  e0: number[];
  /** Shift applied to each spectrum (eV). */
  shifts: number[];
}

/**
 * Shifts each spectrum so its own E0 (maximum of the smoothed derivative)
 * lands on `targetE0`. Use for spectra of one compound whose monochromator
 * calibration drifted; spectra of different compounds carry chemical shifts
 * that this would erase, so align those through a reference channel with
 * {@link calibrationShift} instead.
 */
export function alignToE0<T extends RawSpectrum>(spectra: T[], targetE0: number, opts: FindE0Options = {}): Alignment<T> {
  const e0: number[] = [];
  const shifts: number[] = [];
  const out = spectra.map((s) => {
    const found = findE0(s.energy, s.mu, opts, `${s.source} [${s.id}]`).e0;
    e0.push(found);
    shifts.push(targetE0 - found);
    return shiftEnergy(s, targetE0 - found);
  });
  return { spectra: out, e0, shifts };
}
