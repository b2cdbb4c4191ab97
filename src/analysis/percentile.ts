/**
 * The p-th percentile (0..100) of the finite values in `values`, by linear
 * interpolation between order statistics (numpy's default "linear" method),
 * so sweep ranges match what `np.percentile` gives Python users.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const v = Float64Array.from(Array.prototype.filter.call(values, (x: number) => Number.isFinite(x)) as number[]).sort();
  if (v.length === 0) return NaN;
  const h = (Math.max(0, Math.min(100, p)) / 100) * (v.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo] + (h - lo) * (v[hi] - v[lo]);
}
