import { commitOrAbort } from '../../util/atomic.js';
import type { SpectralDataset } from '../dataset.js';

/** The columns shared by every chunk of a dataset: what a chunk writer needs up front. */
export interface SpectraHeader {
  energies: Float64Array;
  descriptorNames: string[];
  axis?: 'energy' | 'twotheta' | 'q';
}

/** Writes a dataset chunk by chunk; the file appears complete on commit, never half-written. */
export interface SpectraWriter {
  write(ds: SpectralDataset): void;
  commit(): void;
  /** Drops what was written; the target is left as it was. */
  abort(): void;
}

/** Writes all of `ds` with `w` and commits, or aborts on any failure. */
export function writeWhole(w: SpectraWriter, ds: SpectralDataset): void {
  commitOrAbort(w, (x) => x.write(ds));
}
