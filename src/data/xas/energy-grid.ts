import { UserError } from '../../util/errors.js';

/**
 * Puts a measured (energy, value) series into the form every consumer
 * expects: finite, strictly increasing abscissa. Monochromators scanned
 * downwards are reversed; points recorded twice at one energy (a common
 * artefact of step scans that restart a region) are averaged, which is what
 * merging repeated readings means physically. Non-finite values are a user
 * problem and are reported with `where` (file and, through `lineOf`, line).
 */
export function sanitizeGrid(
  energy: ArrayLike<number>,
  mu: ArrayLike<number>,
  where: string,
  lineOf?: (i: number) => number | undefined,
): { energy: Float64Array; mu: Float64Array } {
  const n = energy.length;
  if (mu.length !== n) throw new UserError(`abscissa has ${n} values but intensity has ${mu.length}`, where);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(energy[i]) || !Number.isFinite(mu[i])) {
      const line = lineOf?.(i);
      throw new UserError(
        `non-finite value (energy ${energy[i]}, intensity ${mu[i]}) in data point ${i + 1}; expected finite numbers`,
        line !== undefined ? `${where}:${line}` : where,
      );
    }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  let increasing = true;
  for (let i = 1; i < n && increasing; i++) if (!(energy[i] > energy[i - 1])) increasing = false;
  if (!increasing) order.sort((a, b) => energy[a] - energy[b] || a - b);
  const e: number[] = [];
  const m: number[] = [];
  let count = 0;
  for (const i of order) {
    if (e.length > 0 && energy[i] === e[e.length - 1]) {
      // running mean of duplicates
      count++;
      m[m.length - 1] += (mu[i] - m[m.length - 1]) / count;
    } else {
      e.push(energy[i]);
      m.push(mu[i]);
      count = 1;
    }
  }
  if (e.length < 2) throw new UserError(`needs at least 2 distinct abscissa values, found ${e.length}`, where);
  return { energy: Float64Array.from(e), mu: Float64Array.from(m) };
}

/** Index of the first energy >= value (energy increasing); energy.length when none. */
export function indexAtOrAbove(energy: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = energy.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (energy[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
