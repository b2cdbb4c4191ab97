/**
 * Goodness of fit of one descriptor against one latent axis: how much of the
 * descriptor's variance a straight line (or a parabola) through the latent
 * values explains. RankAAE papers report these per constrained axis.
 */

/** Result of a least-squares polynomial fit y ~ c0 + c1 x (+ c2 x^2). */
export interface PolyFit {
  /** Coefficients in increasing power: [c0, c1] or [c0, c1, c2], in the units of x and y. */
  coefficients: number[];
  /** Coefficient of determination 1 - SS_res / SS_tot; NaN when y is constant or too few points. */
  r2: number;
  /** Number of (finite) points used. */
  n: number;
}

/** Least-squares line y ~ c0 + c1 x. Pairs with a non-finite x or y are skipped. */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): PolyFit {
  return polyFit(x, y, 1);
}

/** Least-squares parabola y ~ c0 + c1 x + c2 x^2. Pairs with a non-finite x or y are skipped. */
export function quadraticFit(x: ArrayLike<number>, y: ArrayLike<number>): PolyFit {
  return polyFit(x, y, 2);
}

/** R^2 of the linear fit (shorthand). */
export function linearR2(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return linearFit(x, y).r2;
}

/** R^2 of the quadratic fit (shorthand). */
export function quadraticR2(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return quadraticFit(x, y).r2;
}

/**
 * Polynomial least squares of degree 1 or 2. x is centred and scaled before
 * the normal equations are formed (raw energies or latent values far from 0
 * would make them ill-conditioned), and the coefficients are mapped back.
 */
export function polyFit(x: ArrayLike<number>, y: ArrayLike<number>, degree: 1 | 2): PolyFit {
  if (x.length !== y.length) throw new Error(`polyFit: lengths differ (${x.length} vs ${y.length})`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]);
      ys.push(y[i]);
    }
  }
  const n = xs.length;
  const p = degree + 1;
  const nanFit: PolyFit = { coefficients: new Array(p).fill(NaN), r2: NaN, n };
  if (n < p) return nanFit;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sx = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    sx += (xs[i] - mx) ** 2;
    sst += (ys[i] - my) ** 2;
  }
  sx = Math.sqrt(sx / n);
  if (sx === 0) return nanFit;
  // Normal equations in t = (x - mx) / sx.
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const t = (xs[i] - mx) / sx;
    const pw = [1, t, t * t];
    for (let r = 0; r < p; r++) {
      b[r] += pw[r] * ys[i];
      for (let c = 0; c < p; c++) A[r * p + c] += pw[r] * pw[c];
    }
  }
  const beta = solveSymmetric(A, b, p);
  if (!beta) return nanFit;
  let ssr = 0;
  for (let i = 0; i < n; i++) {
    const t = (xs[i] - mx) / sx;
    let f = beta[0] + beta[1] * t;
    if (p === 3) f += beta[2] * t * t;
    ssr += (ys[i] - f) ** 2;
  }
  // Back to powers of x: t = (x - mx)/sx.
  let coefficients: number[];
  if (p === 2) {
    coefficients = [beta[0] - (beta[1] * mx) / sx, beta[1] / sx];
  } else {
    const s2 = sx * sx;
    coefficients = [
      beta[0] - (beta[1] * mx) / sx + (beta[2] * mx * mx) / s2,
      beta[1] / sx - (2 * beta[2] * mx) / s2,
      beta[2] / s2,
    ];
  }
  return { coefficients, r2: sst === 0 ? NaN : 1 - ssr / sst, n };
}

/** Gaussian elimination with partial pivoting for a tiny system; null when singular. */
export function solveSymmetric(A: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const M = Float64Array.from(A);
  const v = Float64Array.from(b);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(M[r * p + c]) > Math.abs(M[piv * p + c])) piv = r;
    if (Math.abs(M[piv * p + c]) < 1e-12 * Math.max(1, Math.abs(M[0]))) return null;
    if (piv !== c) {
      for (let k = 0; k < p; k++) [M[c * p + k], M[piv * p + k]] = [M[piv * p + k], M[c * p + k]];
      [v[c], v[piv]] = [v[piv], v[c]];
    }
    for (let r = c + 1; r < p; r++) {
      const f = M[r * p + c] / M[c * p + c];
      for (let k = c; k < p; k++) M[r * p + k] -= f * M[c * p + k];
      v[r] -= f * v[c];
    }
  }
  const out = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = v[r];
    for (let k = r + 1; k < p; k++) s -= M[r * p + k] * out[k];
    out[r] = s / M[r * p + r];
  }
  return out;
}
