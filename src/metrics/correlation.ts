/**
 * Ranks with ties given their average rank (1-based), as scipy.stats.rankdata
 * does by default; Spearman's rho is Pearson's r of these ranks. A NaN gets
 * the rank NaN and the other values are ranked among themselves (as
 * rankdata's nan_policy="omit" would), so a correlation over it is NaN.
 */
export function rankData(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  // A typed-array sort needs no comparator calls and puts NaN last, where both binary searches' tests are false, as
  // for the values above v; each value's run of equals is found by those two searches.
  const sorted = Float64Array.from(x).sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (Number.isNaN(v)) {
      ranks[i] = NaN;
      continue;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    hi = n;
    while (end < hi) {
      const mid = (end + hi) >>> 1;
      if (sorted[mid] <= v) end = mid + 1;
      else hi = mid;
    }
    ranks[i] = (lo + end - 1) / 2 + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when either input is constant (undefined correlation). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: lengths differ (${n} vs ${y.length})`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // A constant input has sxy = 0 and sxx or syy = 0: 0/0 = NaN.
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman rank correlation with average ranks for ties, over the pairs where
 * both values are finite (missing labels are NaN; ranking them would scramble
 * the order); NaN with fewer than two such pairs.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`spearman: lengths differ (${n} vs ${y.length})`);
  let finite = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) finite++;
  if (finite === n) return pearson(rankData(x), rankData(y));
  if (finite < 2) return NaN;
  const xs = new Float64Array(finite);
  const ys = new Float64Array(finite);
  for (let i = 0, t = 0; i < n; i++) {
    if (!(Number.isFinite(x[i]) && Number.isFinite(y[i]))) continue;
    xs[t] = x[i];
    ys[t++] = y[i];
  }
  return pearson(rankData(xs), rankData(ys));
}
