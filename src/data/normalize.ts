import { UserError } from '../util/errors.js';

/**
 * Intensity normalizations, fitted once (on training rows) and stored with
 * the model as plain JSON so inference applies exactly the same transform.
 *
 * - `none`: identity.
 * - `minmax`: each spectrum to [0, 1]: (x - min) / (max - min). A constant
 *   spectrum (max = min) becomes all zeros rather than NaN.
 * - `area`: each spectrum divided by its trapezoid area over the grid, so
 *   the area is 1. An all-zero spectrum stays zero; any other spectrum with
 *   a non-positive area is a UserError (a sign flip would be silent
 *   corruption).
 * - `standardize`: each channel (energy point) to zero mean and unit std,
 *   with mean and population std (ddof = 0, as scikit-learn's
 *   StandardScaler) fitted on the training rows only. A constant channel
 *   (std = 0) gets std 1, so it maps to 0 instead of NaN (scikit-learn does
 *   the same).
 *
 * Inverting: `standardize` and `none` invert from the stored parameters
 * alone. `minmax` and `area` use a factor per spectrum that the parameters
 * cannot hold; pass the factors from {@link spectrumFactors} (computed on the
 * raw spectra) to {@link invertNormalization} to undo them.
 */
export type NormalizationKind = 'none' | 'minmax' | 'area' | 'standardize';

/** Fitted parameters: JSON-serialisable, stored with the model. */
export type NormalizationParams =
  | { kind: 'none' }
  | { kind: 'minmax' }
  | { kind: 'area'; /** The grid the trapezoid areas are taken over. */ energies: number[] }
  | { kind: 'standardize'; /** Per-channel training mean. */ mean: number[]; /** Per-channel training std (1 where the channel is constant). */ std: number[] };

/** Per-spectrum affine factors: normalized = (raw - offset) / scale. */
export interface SpectrumFactors {
  offset: Float64Array;
  scale: Float64Array;
}

/**
 * Fits a normalization.
 * @param kind which transform
 * @param spectra n x m row-major intensities
 * @param n number of rows in `spectra`
 * @param m points per spectrum
 * @param energies the grid (length m), used by `area`
 * @param rows rows to fit on (the training rows); default all. Only `standardize` has fitted statistics.
 */
export function fitNormalization(
  kind: NormalizationKind,
  spectra: Float32Array,
  n: number,
  m: number,
  energies: ArrayLike<number>,
  rows?: ArrayLike<number>,
): NormalizationParams {
  checkShape(spectra, n, m);
  switch (kind) {
    case 'none':
    case 'minmax':
      return { kind };
    case 'area':
      if (energies.length !== m) throw new Error(`fitNormalization: ${energies.length} energies for ${m} points`);
      return { kind, energies: Array.from(energies) };
    case 'standardize': {
      const use = rows ?? Int32Array.from({ length: n }, (_, i) => i);
      if (use.length === 0) throw new UserError('cannot fit standardize normalization on zero training rows');
      const mean = new Float64Array(m);
      for (let r = 0; r < use.length; r++) {
        const off = use[r] * m;
        for (let c = 0; c < m; c++) mean[c] += spectra[off + c];
      }
      for (let c = 0; c < m; c++) mean[c] /= use.length;
      const vari = new Float64Array(m);
      for (let r = 0; r < use.length; r++) {
        const off = use[r] * m;
        for (let c = 0; c < m; c++) {
          const d = spectra[off + c] - mean[c];
          vari[c] += d * d;
        }
      }
      const std = Array.from(vari, (v, c) => {
        const s = Math.sqrt(v / use.length);
        // Relative test: float32 round-off leaves a tiny variance on a channel that is constant in truth.
        return s > 1e-6 * Math.max(1e-30, Math.abs(mean[c])) ? s : 1;
      });
      return { kind, mean: Array.from(mean), std };
    }
    default:
      throw new UserError(`unknown normalization "${kind as string}" (expected none, minmax, area or standardize)`);
  }
}

function checkShape(spectra: ArrayLike<number>, n: number, m: number): void {
  if (spectra.length !== n * m) throw new Error(`normalization: spectra has ${spectra.length} values, expected n*m = ${n * m}`);
}

/** Trapezoid area of one spectrum over the grid. */
export function trapezoidArea(y: ArrayLike<number>, x: ArrayLike<number>, offset = 0): number {
  let a = 0;
  for (let c = 1; c < x.length; c++) a += 0.5 * (y[offset + c] + y[offset + c - 1]) * (x[c] - x[c - 1]);
  return a;
}

/**
 * The per-spectrum offset and scale of a per-spectrum normalization
 * (minmax, area) for raw `spectra`; identity factors for the others.
 */
export function spectrumFactors(params: NormalizationParams, spectra: Float32Array, n: number, m: number): SpectrumFactors {
  checkShape(spectra, n, m);
  const offset = new Float64Array(n);
  const scale = new Float64Array(n).fill(1);
  if (params.kind === 'minmax') {
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      const off = i * m;
      for (let c = 0; c < m; c++) {
        const v = spectra[off + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      offset[i] = lo;
      // A constant spectrum maps to zeros: scale 1 after subtracting its value.
      scale[i] = hi > lo ? hi - lo : 1;
    }
  } else if (params.kind === 'area') {
    if (params.energies.length !== m) {
      throw new UserError(`area normalization was fitted on ${params.energies.length} grid points; these spectra have ${m}`);
    }
    for (let i = 0; i < n; i++) {
      const a = trapezoidArea(spectra, params.energies, i * m);
      if (a > 0) scale[i] = a;
      else {
        let allZero = true;
        for (let c = 0; c < m && allZero; c++) allZero = spectra[i * m + c] === 0;
        if (!allZero) {
          throw new UserError(
            `spectrum ${i}: area normalization needs a positive area, found ${a}; use minmax or standardize for baseline-subtracted data`,
          );
        }
      }
    }
  }
  return { offset, scale };
}

/** Applies fitted parameters to n x m `spectra`, returning a new array. */
export function applyNormalization(params: NormalizationParams, spectra: Float32Array, n: number, m: number): Float32Array {
  checkShape(spectra, n, m);
  const out = new Float32Array(n * m);
  switch (params.kind) {
    case 'none':
      out.set(spectra);
      return out;
    case 'standardize': {
      if (params.mean.length !== m) {
        throw new UserError(`standardize normalization was fitted on ${params.mean.length} grid points; these spectra have ${m}`);
      }
      const { mean, std } = params;
      for (let i = 0; i < n; i++) {
        const off = i * m;
        for (let c = 0; c < m; c++) out[off + c] = (spectra[off + c] - mean[c]) / std[c];
      }
      return out;
    }
    case 'minmax':
    case 'area': {
      const f = spectrumFactors(params, spectra, n, m);
      for (let i = 0; i < n; i++) {
        const off = i * m;
        const o = f.offset[i];
        const s = f.scale[i];
        for (let c = 0; c < m; c++) out[off + c] = (spectra[off + c] - o) / s;
      }
      return out;
    }
    default:
      throw new UserError(`unknown normalization "${(params as { kind: string }).kind}"`);
  }
}

/**
 * Undoes a normalization. `standardize` and `none` need nothing else;
 * `minmax` and `area` need the per-spectrum `factors` of the raw spectra
 * (from {@link spectrumFactors}) and throw a UserError without them.
 */
export function invertNormalization(
  params: NormalizationParams,
  spectra: Float32Array,
  n: number,
  m: number,
  factors?: SpectrumFactors,
): Float32Array {
  checkShape(spectra, n, m);
  const out = new Float32Array(n * m);
  if (params.kind === 'none') {
    out.set(spectra);
    return out;
  }
  if (params.kind === 'standardize') {
    const { mean, std } = params;
    for (let i = 0; i < n; i++) {
      const off = i * m;
      for (let c = 0; c < m; c++) out[off + c] = spectra[off + c] * std[c] + mean[c];
    }
    return out;
  }
  if (!factors) {
    throw new UserError(
      `${params.kind} normalization rescales each spectrum by its own factor, so it cannot be inverted from the stored parameters alone (results stay in normalized units)`,
    );
  }
  if (factors.offset.length !== n || factors.scale.length !== n) throw new Error('invertNormalization: factors do not match n');
  for (let i = 0; i < n; i++) {
    const off = i * m;
    for (let c = 0; c < m; c++) out[off + c] = spectra[off + c] * factors.scale[i] + factors.offset[i];
  }
  return out;
}

/** Whether `params` can be inverted without per-spectrum factors. */
export function isInvertible(params: NormalizationParams): boolean {
  return params.kind === 'none' || params.kind === 'standardize';
}
