/**
 * Standard normal CDF and quantile in double precision, for the
 * Shapiro-Wilk p-value (no statistics library is installed).
 */

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * Upper tail Q(x) = 1 - Phi(x). A Taylor series of Phi around 0 for |x| < 3
 * and Laplace's continued fraction of Mills' ratio beyond; both are accurate
 * to about 1e-15 relative there.
 */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 1 - normalSf(-x);
  if (x < 3) {
    // Phi(x) - 1/2 = pdf(x) * sum x^(2k+1) / (1*3*...*(2k+1))
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (x * x) / (2 * k + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 0.5 - normalPdf(x) * sum;
  }
  if (x > 40) return 0;
  // Lentz evaluation of Q(x) = pdf(x) / (x + 1/(x + 2/(x + 3/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    D = x + k * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = x + k / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalPdf(x) / f;
}

/** Standard normal CDF Phi(x). */
export function normalCdf(x: number): number {
  return x < 0 ? normalSf(-x) : 1 - normalSf(x);
}

/**
 * Quantile Phi^-1(p): Wichura's AS 241 (PPND16) rational approximations,
 * polished by one Newton step against {@link normalCdf}.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  let x: number;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    x =
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
          45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
          133.14166789178437745) * r + 3.387132872796366608)) /
      (((((((5226.495278852545561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
        21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
        42.313330701600911252) * r + 1);
  } else {
    let r = q < 0 ? p : 1 - p;
    r = Math.sqrt(-Math.log(r));
    if (r <= 5) {
      r -= 1.6;
      x =
        (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
          1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
          4.6303378461565452959) * r + 1.42343711074968357734) /
        (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
          0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
          2.05319162663775882187) * r + 1);
    } else {
      r -= 5;
      x =
        (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
          0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
          5.4637849111641143699) * r + 6.6579046435011037772) /
        (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
          7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
          0.59983220655588793769) * r + 1);
    }
    if (q < 0) x = -x;
  }
  // One Newton step removes any residual error of the rational fit.
  const pdf = normalPdf(x);
  if (pdf > 1e-300) {
    const err = p < 0.5 ? normalCdf(x) - p : p - 1 + normalSf(x);
    x -= err / pdf;
  }
  return x;
}
