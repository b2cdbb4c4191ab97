import { UserError, quote } from '../../util/errors.js';
import type { SpectralDataset } from '../dataset.js';
import { linearAxis } from '../grid.js';
import { readNpyFile } from '../xrd.js';

/**
 * A NumPy matrix of patterns (rows) as a dataset. The file holds intensities
 * only, so the abscissa must be given: XRD sets such as CrystalShift's store
 * q on a fixed grid described in their README, not in the file.
 *
 * @param abscissa what the columns measure, their first value and step
 */
export function readNpyDataset(
  path: string,
  abscissa: { kind: 'energy' | 'twotheta' | 'q'; start: number; step: number } | undefined,
): SpectralDataset {
  if (!abscissa) {
    throw new UserError('a .npy file holds intensities only; give its abscissa as kind:start:step, e.g. --axis q:15:0.1', path);
  }
  const matrix = readNpyFile(path);
  const energies = linearAxis(abscissa.start, abscissa.step, matrix.cols);
  const spectra = new Float32Array(matrix.rows * matrix.cols);
  for (let i = 0; i < spectra.length; i++) {
    const v = matrix.data[i];
    if (!Number.isFinite(v)) {
      throw new UserError(`row ${Math.floor(i / matrix.cols) + 1}, column ${(i % matrix.cols) + 1}: expected a finite number, found ${v}`, path);
    }
    spectra[i] = v;
  }
  const width = String(matrix.rows).length;
  return {
    energies,
    spectra,
    n: matrix.rows,
    m: matrix.cols,
    ids: Array.from({ length: matrix.rows }, (_, r) => `row_${String(r + 1).padStart(width, '0')}`),
    descriptorNames: [],
    descriptors: new Float64Array(0),
    axis: abscissa.kind,
    source: path,
  };
}

/** Parses `--axis kind:start:step` (kind: energy, twotheta or q). */
export function parseAbscissaArg(text: string | undefined): { kind: 'energy' | 'twotheta' | 'q'; start: number; step: number } | undefined {
  if (text === undefined) return undefined;
  const [kind, start, step] = text.split(':');
  const a = Number(start);
  const d = Number(step);
  if (!['energy', 'twotheta', 'q'].includes(kind) || !Number.isFinite(a) || !(d > 0)) {
    throw new UserError(`--axis: expected kind:start:step with kind energy, twotheta or q and step > 0 (e.g. q:15:0.1), found ${quote(text)}`);
  }
  return { kind: kind as 'energy' | 'twotheta' | 'q', start: a, step: d };
}
