/**
 * Ranks with ties given their average rank (1-based), as scipy.stats.rankdata
 * does by default; Spearman's rho is Pearson's r of these ranks.
 */
export function rankData(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]] = avg;
    i = j + 1;
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
