import { UserError, quote } from '../util/errors.js';
import type { SpectralDataset } from './dataset.js';
import { readSpectra, streamSpectra, STREAM_ROWS, type ReadOptions, type ReadResult } from './formats/index.js';
import { applyGrid, assembleSpectra, type GridSpec, type OutsidePolicy } from './grid.js';
import { preprocessInput, type SpectrumRole } from './preprocess/pipeline.js';
import type { PreprocessParams } from './preprocess/schema.js';

/** Options of {@link loadSpectra}. */
export interface LoadOptions extends ReadOptions {
  /** Reader name or 'auto' (default): detect from the file name and content. */
  format?: string;
  /**
   * Descriptors to keep, in this order (latent-axis order for training).
   * Unknown names are a UserError listing the available ones. Omit to keep all.
   */
  descriptors?: string[];
  /** Resample onto this grid; omit to keep the file's common grid. */
  grid?: GridSpec;
  /** Grid beyond a spectrum's range: 'error' (default) or 'clamp' (flat extension, with warnings). */
  outside?: OutsidePolicy;
  /** Run the preprocessing pipeline (broadening, calibration, XAS normalization, alignment) before the grid. */
  preprocess?: { params: PreprocessParams; role: SpectrumRole; skipFailed?: boolean };
}

/** A loaded dataset and the warnings loading produced (e.g. flat-extended spectra). */
export interface LoadResult {
  dataset: SpectralDataset;
  warnings: string[];
}

/**
 * Reads a spectra file with the right reader, preprocesses it when asked,
 * puts per-spectrum grids onto a common grid, applies the requested grid and
 * picks the requested descriptors in the requested order.
 */
export async function loadSpectra(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  return toDataset(await readSpectra(path, options.format ?? 'auto', options), path, options);
}

/**
 * {@link loadSpectra} a chunk of at most `rows` spectra at a time, for files
 * larger than memory: CSV and Arrow tables are read a block at a time; other
 * formats come whole, as one chunk. Every chunk is on the same grid (a
 * `{points}` grid spans a table's own grid, which every chunk shares).
 */
export async function* loadSpectraChunks(path: string, options: LoadOptions = {}, rows = STREAM_ROWS): AsyncGenerator<LoadResult> {
  for await (const read of streamSpectra(path, options.format ?? 'auto', options, rows)) yield toDataset(read, path, options);
}

/** The steps of {@link loadSpectra} after reading, for spectra that come from elsewhere (e.g. the generator). */
export function toDataset(read: ReadResult, source: string, options: LoadOptions = {}): LoadResult {
  const axis = Array.isArray(read) ? undefined : read.axis;
  const pre = options.preprocess
    ? preprocessInput(read, options.preprocess.params, { role: options.preprocess.role, skipFailed: options.preprocess.skipFailed })
    : undefined;
  const input = pre ? pre.spectra : read;
  let result: LoadResult;
  if (Array.isArray(input)) {
    result = assembleSpectra(input, options.grid, { outside: options.outside, source });
    if (axis) result.dataset.axis = axis;
  } else {
    result = applyGrid(input, options.grid, { outside: options.outside });
  }
  if (options.descriptors) result = { ...result, dataset: selectDescriptors(result.dataset, options.descriptors) };
  if (pre && pre.skipped.length > 0) {
    const list = pre.skipped.slice(0, 5).join('; ') + (pre.skipped.length > 5 ? `; ... (${pre.skipped.length - 5} more)` : '');
    result.warnings.unshift(`left out ${pre.skipped.length} spectra the preprocessing could not handle: ${list}`);
  }
  return result;
}

/** A dataset keeping only `names`, in that order; unknown names are a UserError listing the available ones. */
export function selectDescriptors(ds: SpectralDataset, names: string[]): SpectralDataset {
  const idx = names.map((name) => {
    const j = ds.descriptorNames.indexOf(name);
    if (j < 0) {
      const available = ds.descriptorNames.length > 0 ? ds.descriptorNames.join(', ') : 'none';
      const hint = ds.descriptorNames.length === 0 ? ' (reference CSVs name them AUX_<NAME>; other CSVs need descriptor columns listed)' : '';
      throw new UserError(`unknown descriptor ${quote(name)} (available: ${available})${hint}`, ds.source);
    }
    return j;
  });
  if (new Set(names).size !== names.length) throw new UserError(`descriptor listed twice in ${names.join(', ')}`, ds.source);
  const k = ds.descriptorNames.length;
  const k2 = idx.length;
  const descriptors = new Float64Array(ds.n * k2);
  for (let i = 0; i < ds.n; i++) for (let t = 0; t < k2; t++) descriptors[i * k2 + t] = ds.descriptors[i * k + idx[t]];
  return { ...ds, descriptorNames: [...names], descriptors };
}
