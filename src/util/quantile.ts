// The one quantile formula of the project (sweep ranges, the OOD reference, reports).

/**
 * Linear interpolation between the order statistics of `sorted` at the
 * fractional index `h` (0 <= h <= n - 1): sorted[⌊h⌋] + (h - ⌊h⌋)(sorted[⌊h⌋+1] - sorted[⌊h⌋]).
 */
export function interpolateSorted(sorted: ArrayLike<number>, h: number): number {
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Quantile p (0..1) of ascending `sorted`, with linear interpolation between order statistics (numpy's default, "type 7"). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  return interpolateSorted(sorted, (sorted.length - 1) * p);
}

/**
 * The p-th percentiles (0..100) of the finite values in `values`, by linear
 * interpolation between order statistics (numpy's default "linear" method),
 * so sweep ranges match what `np.percentile` gives Python users. Sorts once
 * for all of `ps`; NaN for each p when no value is finite.
 */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  const v = Float64Array.from(Array.prototype.filter.call(values, (x: number) => Number.isFinite(x)) as number[]).sort();
  return ps.map((p) => (v.length === 0 ? NaN : quantileSorted(v, Math.max(0, Math.min(100, p)) / 100)));
}

/** The p-th percentile (0..100) of the finite values in `values`; see {@link percentiles}. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentiles(values, [p])[0];
}
