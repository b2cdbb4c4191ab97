/**
 * The in-memory form every reader produces and every consumer takes: one
 * energy grid shared by all rows, spectra as one row-major Float32Array
 * (typed arrays keep 50,000 x 256 spectra well inside Node's heap), and
 * named descriptors (structural labels such as CN, OS, bond length) as a
 * row-major Float64Array.
 */
export interface SpectralDataset {
  /** Abscissa of every spectrum: energy in eV for XAS, 2-theta (deg) or q (1/nm) for XRD. Strictly increasing. */
  energies: Float64Array;
  /** n x m row-major intensities (mu(E) for XAS). Always finite. */
  spectra: Float32Array;
  /** Number of spectra (rows). */
  n: number;
  /** Number of grid points per spectrum (columns). */
  m: number;
  /** One identifier per row (file name, id column or row number as text). */
  ids: string[];
  /** Names of the descriptor columns, e.g. ["OS", "CN", "BL"]. */
  descriptorNames: string[];
  /** n x k row-major descriptor values, k = descriptorNames.length. NaN marks a missing label. */
  descriptors: Float64Array;
  /** What the abscissa is; XAS energies unless a reader knows otherwise. */
  axis?: 'energy' | 'twotheta' | 'q';
  /** Where the rows came from, for metadata and error messages. */
  source?: string;
}

/** Row i of the spectra as a subarray view (no copy). */
export function spectrumRow(ds: SpectralDataset, i: number): Float32Array {
  return ds.spectra.subarray(i * ds.m, (i + 1) * ds.m);
}

/** Column j of the descriptors, copied. */
export function descriptorColumn(ds: SpectralDataset, j: number): Float64Array {
  const k = ds.descriptorNames.length;
  const out = new Float64Array(ds.n);
  for (let i = 0; i < ds.n; i++) out[i] = ds.descriptors[i * k + j];
  return out;
}

/** A new dataset holding the given rows, in the given order. */
export function selectRows(ds: SpectralDataset, rows: ArrayLike<number>): SpectralDataset {
  const k = ds.descriptorNames.length;
  const spectra = new Float32Array(rows.length * ds.m);
  const descriptors = new Float64Array(rows.length * k);
  const ids: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    spectra.set(ds.spectra.subarray(i * ds.m, (i + 1) * ds.m), r * ds.m);
    descriptors.set(ds.descriptors.subarray(i * k, (i + 1) * k), r * k);
    ids[r] = ds.ids[i];
  }
  return { ...ds, spectra, descriptors, ids, n: rows.length };
}

/**
 * One spectrum as a reader finds it, on its own grid, before resampling onto
 * the dataset's common grid. Readers of per-file formats (XDI, Athena, FEFF,
 * two-column text) return these.
 */
export interface RawSpectrum {
  /** Identifier: file name (plus group name for multi-spectrum files). */
  id: string;
  /** Abscissa values, strictly increasing after the reader's checks. */
  energy: Float64Array;
  /** Intensity at each abscissa value (mu(E) for XAS). */
  mu: Float64Array;
  /** Labels known for this spectrum (descriptor name -> value). */
  labels: Record<string, number>;
  /** Where it was read from, for error messages. */
  source: string;
}

/**
 * The rows of several datasets on one grid with the same descriptors, in
 * order, as one dataset (`header` gives grid, names, axis and source when
 * there are no parts). Readers that read in chunks end here.
 */
export function concatDatasets(parts: SpectralDataset[], header: SpectralDataset): SpectralDataset {
  const m = header.m;
  const k = header.descriptorNames.length;
  const n = parts.reduce((s, p) => s + p.n, 0);
  const spectra = new Float32Array(n * m);
  const descriptors = new Float64Array(n * k);
  const ids: string[] = new Array(n);
  let row = 0;
  for (const p of parts) {
    spectra.set(p.spectra.subarray(0, p.n * m), row * m);
    descriptors.set(p.descriptors.subarray(0, p.n * k), row * k);
    for (let i = 0; i < p.n; i++) ids[row + i] = p.ids[i];
    row += p.n;
  }
  return { ...header, spectra, descriptors, ids, n };
}
