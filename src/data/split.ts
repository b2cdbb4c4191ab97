import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/** Fractions of the rows in each part; they must sum to 1 (within 1e-6). */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/**
 * One fold of a k-fold cross-validation (`xlatent cv`): the rows, shuffled
 * by the seed, are cut into `folds` parts; part `fold` is the test part, and
 * a `validation` fraction of the other rows validates.
 */
export interface FoldSpec {
  folds: number;
  /** 0-based. */
  fold: number;
  /** Fraction of the rows outside the test fold used for validation. */
  validation: number;
}

/** Either split: fractions, or one fold of k. */
export type SplitSpec = SplitFractions | FoldSpec;

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
 * A {@link FoldSpec} gives one fold of a k-fold split instead (see {@link foldSplit}).
 *
 * @param n number of rows
 * @param fractions train/validation/test fractions, each in [0, 1], or a fold
 * @param seed integer seed for the shuffle
 */
export function splitRows(n: number, spec: SplitSpec, seed: number): Split {
  if (!Number.isInteger(n) || n < 0) throw new Error(`splitRows: n must be a non-negative integer, found ${n}`);
  if ('folds' in spec) return foldSplit(n, spec, seed);
  const fractions = spec;
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

/**
 * Fold `spec.fold` of a seeded k-fold split: the rows in the seed's shuffled
 * order are cut into `folds` consecutive parts whose sizes differ by at most
 * one, so the test parts of folds 0..k-1 (same n and seed) partition the
 * rows and every row is tested exactly once. Of the other rows, in the same
 * shuffled order, the first round(validation x count) validate (at least one
 * when validation > 0 and two remain for training); the rest train.
 */
export function foldSplit(n: number, spec: FoldSpec, seed: number): Split {
  const { folds, fold, validation } = spec;
  if (!Number.isInteger(folds) || folds < 2) throw new UserError(`split.folds must be an integer >= 2, found ${folds}`, 'split');
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new UserError(`split.fold must be one of 0..${folds - 1}, found ${fold}`, 'split');
  if (!(validation >= 0 && validation < 1)) throw new UserError(`split.validation must be in [0, 1), found ${validation}`, 'split');
  if (n < folds) throw new UserError(`${folds} folds need at least ${folds} rows, found ${n}`, 'split');
  const perm = new Rng(seed).permutation(n);
  const start = Math.floor((fold * n) / folds);
  const end = Math.floor(((fold + 1) * n) / folds);
  const test = perm.slice(start, end).sort();
  const rest = Int32Array.from([...perm.slice(0, start), ...perm.slice(end)]);
  let nVal = Math.round(validation * rest.length);
  if (validation > 0 && nVal === 0 && rest.length >= 3) nVal = 1;
  return { train: rest.slice(nVal).sort(), validation: rest.slice(0, nVal).sort(), test };
}
