/**
 * Reconstruction errors between input spectra and a model's reconstructions,
 * both n x m row-major. Overall values average over every intensity; the
 * per-spectrum arrays average over one row (for histograms and outliers).
 */
export interface ReconstructionErrors {
  /** Mean squared error over all n*m values. */
  mse: number;
  /** Mean absolute error over all n*m values. */
  mae: number;
  /** MSE of each spectrum (length n). */
  msePerSpectrum: Float64Array;
  /** MAE of each spectrum (length n). */
  maePerSpectrum: Float64Array;
}

/**
 * @param a reference spectra, n x m row-major
 * @param b reconstructions, same shape
 * @param n number of spectra
 * @param m points per spectrum
 */
export function reconstructionErrors(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  m: number,
): ReconstructionErrors {
  if (a.length !== n * m || b.length !== n * m) {
    throw new Error(`reconstructionErrors: expected ${n} x ${m} = ${n * m} values, got ${a.length} and ${b.length}`);
  }
  const msePer = new Float64Array(n);
  const maePer = new Float64Array(n);
  let se = 0;
  let ae = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let t = 0;
    for (let j = i * m, end = j + m; j < end; j++) {
      const d = a[j] - b[j];
      s += d * d;
      t += Math.abs(d);
    }
    msePer[i] = s / m;
    maePer[i] = t / m;
    se += s;
    ae += t;
  }
  const total = n * m;
  return { mse: total ? se / total : NaN, mae: total ? ae / total : NaN, msePerSpectrum: msePer, maePerSpectrum: maePer };
}
