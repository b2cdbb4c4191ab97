import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/** Fractions of the rows in each part; they must sum to 1 (within 1e-6). */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** Row indices of each part, each sorted ascending (file order within a part). */
export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Seeded shuffled train/validation/test split: every row lands in exactly
 * one part, and the same (n, fractions, seed) always gives the same split.
 *
 * Part sizes use largest remainders, so they sum to n and each differs from
 * n * fraction by less than one row.
 *
 * Unlike this, the reference RankAAE code splits by row order (first rows
 * train, last rows test). Files are usually written family by family
 * (compound, structure type, simulation batch), so an ordered split tests on
 * families the model never saw in training, or, for small families, leaks
 * near-duplicates across parts without anyone choosing that. Shuffle first;
 * group-aware splitting is the caller's job when it matters.
 *
 * @param n number of rows
 * @param fractions train/validation/test fractions, each in [0, 1]
 * @param seed integer seed for the shuffle
 */
export function splitRows(n: number, fractions: SplitFractions, seed: number): Split {
  if (!Number.isInteger(n) || n < 0) throw new Error(`splitRows: n must be a non-negative integer, found ${n}`);
  const parts = ['train', 'validation', 'test'] as const;
  for (const p of parts) {
    const f = fractions[p];
    if (!Number.isFinite(f) || f < 0 || f > 1) throw new UserError(`split.${p} must be in [0, 1], found ${f}`, 'split');
  }
  const sum = fractions.train + fractions.validation + fractions.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new UserError(
      `split fractions must sum to 1, found ${fractions.train} + ${fractions.validation} + ${fractions.test} = ${sum}`,
      'split',
    );
  }
  const exact = parts.map((p) => (n * fractions[p]) / sum);
  const sizes = exact.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  // Largest remainder first; ties go to the earlier part (train, then validation).
  const order = [0, 1, 2].sort((a, b) => exact[b] - sizes[b] - (exact[a] - sizes[a]) || a - b);
  for (let t = 0; left > 0; t = (t + 1) % 3, left--) sizes[order[t]]++;
  const perm = new Rng(seed).permutation(n);
  const train = perm.slice(0, sizes[0]).sort();
  const validation = perm.slice(sizes[0], sizes[0] + sizes[1]).sort();
  const test = perm.slice(sizes[0] + sizes[1]).sort();
  return { train, validation, test };
}
