import { UserError, at, quote } from '../../util/errors.js';
import type { RawSpectrum, SpectralDataset } from '../dataset.js';
import { linearAxis } from '../grid.js';
import { readBytes, stem } from './columns.js';
import { FLOAT32_RANGE } from './reader.js';


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
    // parseNpy checked finiteness in float64; a float64 beyond float32's range would become Infinity here.
    spectra[i] = matrix.data[i];
    if (!Number.isFinite(spectra[i])) {
      throw new UserError(
        `row ${Math.floor(i / matrix.cols) + 1}, column ${(i % matrix.cols) + 1}: ${FLOAT32_RANGE}, found ${matrix.data[i]}`,
        path,
      );
    }
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

/** A 2-D matrix read from .npy, row-major. */
export interface NpyMatrix {
  /** Rows (patterns). */
  rows: number;
  /** Columns (points per pattern). */
  cols: number;
  /** rows x cols values, row-major (transposed from Fortran order when the file was). */
  data: Float64Array;
}

/**
 * Strict reader for NumPy .npy version 1-3 files holding a 1-D or 2-D array
 * of little- or big-endian float64/float32 (C or Fortran order). Any other
 * dtype, a malformed header or a size mismatch is a UserError; nothing in the
 * header is evaluated. A 1-D array is one row.
 */
export function parseNpy(bytes: Uint8Array, source: string): NpyMatrix {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new UserError('not a .npy file (missing \\x93NUMPY magic)', source);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw new UserError(`unsupported .npy format version ${major}.${bytes[7]}`, source);
  if (start + hlen > bytes.length) throw new UserError('.npy header runs past the end of the file', source);
  const header = Buffer.from(bytes.subarray(start, start + hlen)).toString(major === 3 ? 'utf8' : 'latin1').trim();
  if (!/^\{.*\}$/s.test(header)) throw new UserError(`malformed .npy header: ${header.slice(0, 80)}`, source);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(`.npy header lacks descr, fortran_order or shape: ${header.slice(0, 80)}`, source);
  }
  const dtypes: Record<string, { size: number; little: boolean; f64: boolean }> = {
    '<f8': { size: 8, little: true, f64: true }, '>f8': { size: 8, little: false, f64: true },
    '<f4': { size: 4, little: true, f64: false }, '>f4': { size: 4, little: false, f64: false },
  };
  const dt = dtypes[descr];
  if (!dt) throw new UserError(`.npy dtype ${quote(descr)} is not supported; expected float64 or float32 ('<f8', '<f4')`, source);
  const dims = shapeText.split(',').map((t) => t.trim()).filter((t) => t !== '').map((t) => {
    if (!/^\d+$/.test(t)) throw new UserError(`.npy shape entry ${quote(t)} is not a non-negative integer`, source);
    return Number(t);
  });
  if (dims.length < 1 || dims.length > 2) throw new UserError(`.npy array has ${dims.length} dimensions; expected a 2-D matrix (patterns x points) or 1-D`, source);
  const [rows, cols] = dims.length === 2 ? dims : [1, dims[0]];
  const dataStart = start + hlen;
  const need = rows * cols * dt.size;
  if (bytes.length - dataStart !== need) {
    throw new UserError(`.npy data holds ${bytes.length - dataStart} bytes; shape (${dims.join(', ')}) of ${descr} needs ${need}`, source);
  }
  const data = new Float64Array(rows * cols);
  const fort = fortran === 'True';
  for (let k = 0; k < rows * cols; k++) {
    const off = dataStart + k * dt.size;
    const v = dt.f64 ? dv.getFloat64(off, dt.little) : dv.getFloat32(off, dt.little);
    // Fortran order stores column by column: element k is (k % rows, k / rows)
    const idx = fort ? (k % rows) * cols + Math.floor(k / rows) : k;
    data[idx] = v;
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new UserError(`non-finite value ${data[k]} at row ${Math.floor(k / cols) + 1}, column ${(k % cols) + 1}`, at(source));
    }
  }
  return { rows, cols, data };
}

/** Reads a .npy file; see {@link parseNpy}. */
export function readNpyFile(path: string): NpyMatrix {
  return parseNpy(readBytes(path), path);
}

/**
 * One RawSpectrum per matrix row on a shared abscissa (the .npy holds
 * intensities only). Ids are "<file stem>:<row number from 1>".
 */
export function npyToSpectra(m: NpyMatrix, axis: ArrayLike<number>, source: string): RawSpectrum[] {
  if (axis.length !== m.cols) throw new UserError(`abscissa has ${axis.length} values but the patterns have ${m.cols} points`, source);
  for (let i = 1; i < axis.length; i++) if (!(axis[i] > axis[i - 1])) throw new UserError(`abscissa must increase strictly (value ${i + 1})`, source);
  const x = Float64Array.from(axis);
  const base = stem(source);
  return Array.from({ length: m.rows }, (_, r) => ({
    id: `${base}:${r + 1}`,
    energy: x,
    mu: m.data.slice(r * m.cols, (r + 1) * m.cols),
    labels: {},
    source,
  }));
}
