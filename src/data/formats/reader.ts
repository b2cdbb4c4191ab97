import type { RawSpectrum, SpectralDataset } from '../dataset.js';

/**
 * The contract of one input format. It lives apart from the registry
 * (index.ts), which imports every reader, so that a reader can name its
 * own type without importing the registry back.
 */

/** Options every reader receives; a reader ignores the ones that do not apply to its format. */
export interface ReadOptions {
  /** Columns, by exact name, to read as descriptors in CSVs without the `AUX_` prefix. */
  descriptorColumns?: string[];
  /** Column whose text is the spectrum id (CSV layouts). */
  idColumn?: string;
  /** CSV: bytes read from the file at a time (default 16 MiB). */
  blockBytes?: number;
  /**
   * Abscissa of a matrix that holds intensities only (NumPy .npy of XRD patterns or spectra):
   * what it measures, its first value and its step.
   */
  abscissa?: { kind: 'energy' | 'twotheta' | 'q'; start: number; step: number };
  /** Label table (CSV) joined to the spectra by id, for formats that keep labels in a separate file (matrix). */
  labels?: string;
}

/** What a reader returns: spectra on one grid, or spectra each on their own grid (resampled later). */
export type ReadResult = SpectralDataset | RawSpectrum[];

/** One input format. */
export interface FormatReader {
  /** Name used by `data.format` in configs and `--format` (e.g. "csv", "xdi"). */
  name: string;
  /** One line for help texts. */
  describe: string;
  /**
   * Whether this reader claims the path, judged from its name and first
   * bytes (up to 4 KiB; a folder gets an empty buffer). The first reader in
   * {@link readers} that claims a path reads it under `format: auto`.
   */
  detect(path: string, head: Buffer): boolean;
  /** Reads the whole input; throws UserError naming file and line/field on bad input. */
  read(path: string, options: ReadOptions): ReadResult | Promise<ReadResult>;
  /**
   * Reads the input `rows` spectra at a time without holding the whole file
   * (formats of large tables: CSV, Arrow). Readers without it are read whole.
   */
  stream?(path: string, options: ReadOptions, rows: number): Iterable<SpectralDataset> | AsyncIterable<SpectralDataset>;
}

/** What spectrum values must be (they are stored as float32), for messages. */
export const FLOAT32_RANGE = 'expected a number within the float32 range of spectra (magnitude below 3.4e38)';
