/**
 * Successive halving (Jamieson & Talwalkar 2016; the synchronous form of
 * ASHA, Li et al. 2020): every trial gets the smallest budget, the best
 * 1/reduction of a rung go on with reduction times the budget, until the
 * largest budget. A rung's decisions wait for all of its trials, so they
 * depend only on the scores, never on which trial finished first: the same
 * search gives the same leaderboard on one machine or on a cluster.
 */

/** Score of a trial in a rung; null when it has none (every validation score NaN). */
export interface RungScore {
  /** Position of the trial in the search (its draw index): the tie-breaker. */
  index: number;
  score: number | null;
}

/**
 * Epoch budgets of the rungs: minEpochs x reduction^r while below maxEpochs,
 * then maxEpochs itself (so the last rung trains exactly maxEpochs).
 */
export function rungBudgets(minEpochs: number, maxEpochs: number, reduction: number): number[] {
  if (!(minEpochs >= 1 && maxEpochs >= minEpochs && reduction >= 2)) {
    throw new Error(`invalid halving budgets: min ${minEpochs}, max ${maxEpochs}, reduction ${reduction}`);
  }
  const budgets: number[] = [];
  for (let b = minEpochs; b < maxEpochs; b *= reduction) budgets.push(b);
  budgets.push(maxEpochs);
  return budgets;
}

/** Higher score first, a missing score last, equal scores by index. */
export function compareScores(a: RungScore, b: RungScore): number {
  const sa = a.score ?? -Infinity;
  const sb = b.score ?? -Infinity;
  if (sa !== sb) return sb - sa;
  return a.index - b.index;
}

/** How many of `n` trials in a rung go on to the next: the best 1/reduction, at least one. */
export function promotedCount(n: number, reduction: number): number {
  return Math.max(1, Math.floor(n / reduction));
}

/** The indices of the trials that continue to the next rung, best first. */
export function promote(scores: RungScore[], reduction: number): number[] {
  return [...scores]
    .sort(compareScores)
    .slice(0, promotedCount(scores.length, reduction))
    .map((s) => s.index);
}
