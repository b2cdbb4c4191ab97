import type { z } from 'zod';
import { solveSymmetric } from '../metrics/regression.js';
import { check } from '../util/errors.js';
import type { ReadoutSchema } from './metadata.js';

/**
 * Reading a descriptor off latent position when it is known for only a few
 * spectra: a linear map descriptor = intercept + coef . z fitted by ridge
 * regression on the labelled training spectra, stored with the model and
 * applied by `embed`. Unlike the isotonic axis calibration of a constrained
 * descriptor (calibration.ts), it needs no axis tied to the descriptor, so it
 * serves unconstrained autoencoders and baseline maps, and a handful of
 * labels suffice (d + 1 parameters). Its leave-one-out error is stored with
 * it so a user sees how far to trust it.
 */
export type Readout = z.infer<typeof ReadoutSchema>;

/** Options of {@link fitReadout}. */
export interface ReadoutOptions {
  /** Ridge penalty per labelled spectrum, relative to the latent variance (default 1e-3): keeps the fit defined with few labels. */
  ridge?: number;
}

/**
 * Fits the map on the rows where `y` is finite.
 * @param latent n x d latents, row-major
 * @param y n labels, NaN where unknown
 */
export function fitReadout(descriptor: string, latent: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, opts: ReadoutOptions = {}): Readout {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) rows.push(i);
  const L = rows.length;
  check(L >= 3, `readout of ${descriptor}: needs at least 3 labelled training spectra, found ${L}`, 'data.readout');
  const ridge = opts.ridge ?? 1e-3;
  // Centre on the labelled rows: the intercept is then unpenalized and the system is d x d.
  const zm = new Float64Array(d);
  let ym = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of rows) {
    for (let a = 0; a < d; a++) zm[a] += latent[i * d + a] / L;
    ym += y[i] / L;
    lo = Math.min(lo, y[i]);
    hi = Math.max(hi, y[i]);
  }
  const A = new Float64Array(d * d);
  const b = new Float64Array(d);
  let zVar = 0;
  for (const i of rows) {
    for (let a = 0; a < d; a++) {
      const za = latent[i * d + a] - zm[a];
      b[a] += za * (y[i] - ym);
      zVar += (za * za) / (L * d);
      for (let c = 0; c < d; c++) A[a * d + c] += za * (latent[i * d + c] - zm[c]);
    }
  }
  const lambda = ridge * L * Math.max(zVar, 1e-12);
  for (let a = 0; a < d; a++) A[a * d + a] += lambda;
  // A^-1 column by column (d is the latent size): the coefficients and the leave-one-out leverages need it.
  const Ainv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    const e = new Float64Array(d);
    e[c] = 1;
    const col = solveSymmetric(A, e, d);
    check(col !== null, `readout of ${descriptor}: the labelled spectra's latents are degenerate`, 'data.readout');
    for (let a = 0; a < d; a++) Ainv[a * d + c] = col![a];
  }
  const coef = new Float64Array(d);
  for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) coef[a] += Ainv[a * d + c] * b[c];
  // Leave-one-out residuals of a linear smoother: r_i / (1 - h_ii), h_ii = 1/L + zc_i' A^-1 zc_i.
  let press = 0;
  let tss = 0;
  for (const i of rows) {
    let h = 1 / L;
    let pred = ym;
    for (let a = 0; a < d; a++) {
      const za = latent[i * d + a] - zm[a];
      pred += coef[a] * za;
      for (let c = 0; c < d; c++) h += za * Ainv[a * d + c] * (latent[i * d + c] - zm[c]);
    }
    const r = (y[i] - pred) / Math.max(1 - h, 1e-9);
    press += r * r;
    tss += (y[i] - ym) ** 2;
  }
  let intercept = ym;
  for (let a = 0; a < d; a++) intercept -= coef[a] * zm[a];
  const out: Readout = { descriptor, intercept, coef: Array.from(coef), n: L, ridge, range: [lo, hi] };
  if (L >= d + 2) {
    out.looRmse = Math.sqrt(press / L);
    if (tss > 0) out.looR2 = 1 - press / tss;
  }
  return out;
}

/** The readout's estimate for each of n latent rows (n x coef.length, row-major). */
export function predictReadout(r: Readout, latent: ArrayLike<number>, n: number): Float64Array {
  const d = r.coef.length;
  check(latent.length === n * d, `readout of ${r.descriptor} expects ${d} latent coordinates per spectrum`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = r.intercept;
    for (let a = 0; a < d; a++) s += r.coef[a] * latent[i * d + a];
    out[i] = s;
  }
  return out;
}

/** How well a readout predicts known labels: root-mean-square error and R^2 over the rows with a finite label. */
export function readoutScores(r: Readout, latent: ArrayLike<number>, n: number, labels: ArrayLike<number>): { n: number; rmse: number; r2: number } {
  const pred = predictReadout(r, latent, n);
  let count = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(labels[i])) {
    count++;
    mean += labels[i];
  }
  mean /= Math.max(1, count);
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(labels[i])) {
    sse += (labels[i] - pred[i]) ** 2;
    sst += (labels[i] - mean) ** 2;
  }
  return { n: count, rmse: count > 0 ? Math.sqrt(sse / count) : NaN, r2: count > 1 && sst > 0 ? 1 - sse / sst : NaN };
}
