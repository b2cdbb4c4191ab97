import { UserError } from '../../util/errors.js';

/**
 * A least-squares polynomial in x. Coefficients refer to the scaled variable
 * t = (x - center) / scale, which keeps the normal equations well conditioned
 * for x ~ 10^4 eV (raw powers of 7000 eV overflow the precision of a cubic
 * fit long before anything interesting happens).
 */
export interface Polynomial {
  /** c[0] + c[1] t + c[2] t^2 ..., with t = (x - center) / scale. */
  coefs: number[];
  /** Shift applied to x before evaluation. */
  center: number;
  /** Scale applied to x - center before evaluation; never 0. */
  scale: number;
}

/** Value of `p` at x. */
export function polyval(p: Polynomial, x: number): number {
  const t = (x - p.center) / p.scale;
  let v = 0;
  for (let i = p.coefs.length - 1; i >= 0; i--) v = v * t + p.coefs[i];
  return v;
}

/** Coefficients of the same polynomial in the raw variable x (c0 + c1 x + ...), for reporting. */
export function rawCoefficients(p: Polynomial): number[] {
  const n = p.coefs.length;
  const out = new Array<number>(n).fill(0);
  // Expand c_k ((x - center)/scale)^k with the binomial theorem.
  for (let k = 0; k < n; k++) {
    const ck = p.coefs[k] / Math.pow(p.scale, k);
    let binom = 1;
    for (let j = 0; j <= k; j++) {
      out[j] += ck * binom * Math.pow(-p.center, k - j);
      binom = (binom * (k - j)) / (j + 1);
    }
  }
  return out;
}

/**
 * Least-squares fit of a polynomial of `degree` to the points x[i0..i1),
 * y[i0..i1). Throws UserError (naming `where`) when there are fewer points
 * than coefficients.
 */
export function polyfit(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  degree: number,
  i0 = 0,
  i1 = x.length,
  where = 'polynomial fit',
): Polynomial {
  const n = i1 - i0;
  const m = degree + 1;
  if (n < m) throw new UserError(`needs at least ${m} points for a degree-${degree} fit, the range holds ${n}`, where);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = i0; i < i1; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const center = (lo + hi) / 2;
  const scale = hi > lo ? (hi - lo) / 2 : 1;
  // Normal equations A c = b with A[j][k] = sum t^(j+k); degree <= 3 in practice.
  const A = Array.from({ length: m }, () => new Float64Array(m + 1));
  const pw = new Float64Array(2 * m);
  for (let i = i0; i < i1; i++) {
    const t = (x[i] - center) / scale;
    pw[0] = 1;
    for (let k = 1; k < 2 * m; k++) pw[k] = pw[k - 1] * t;
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < m; k++) A[j][k] += pw[j + k];
      A[j][m] += pw[j] * y[i];
    }
  }
  const coefs = solveAugmented(A, m);
  if (coefs === null) throw new UserError(`points do not determine a degree-${degree} polynomial (repeated x values?)`, where);
  return { coefs, center, scale };
}

/** Gaussian elimination with partial pivoting on an m x (m+1) augmented matrix; null when singular. */
function solveAugmented(A: Float64Array[], m: number): number[] | null {
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(A[r][col]) > Math.abs(A[piv][col])) piv = r;
    if (Math.abs(A[piv][col]) < 1e-12 * Math.max(1, Math.abs(A[0][0]))) return null;
    [A[col], A[piv]] = [A[piv], A[col]];
    for (let r = col + 1; r < m; r++) {
      const f = A[r][col] / A[col][col];
      for (let c = col; c <= m; c++) A[r][c] -= f * A[col][c];
    }
  }
  const out = new Array<number>(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = A[r][m];
    for (let c = r + 1; c < m; c++) s -= A[r][c] * out[c];
    out[r] = s / A[r][r];
  }
  return out;
}
