/**
 * How the best epoch is chosen, by the size of the validation split
 * (training.selection): a Spearman correlation on a handful of rows jumps
 * from epoch to epoch, so on small splits the raw score would pick a lucky
 * epoch and drive the plateau schedule by noise.
 *
 * - `score`: at least `minRows` validation rows: the epoch's validation score;
 * - `smoothed`: 3 to minRows - 1 rows: the mean of the finite scores of the
 *   last `window` epochs, and no epoch can be best before the window is full
 *   (a fit shorter than the window has no best epoch: the trial then takes
 *   its last, src/pipeline/trials.ts). The rule does not depend on how many
 *   epochs the fit runs, so a run continued with more epochs (--resume, the
 *   rungs of a search) chooses as the longer run would in one go;
 * - `last`: fewer than 3 rows rank nothing: the last epoch is the model and
 *   the learning rate is never reduced.
 */
export type SelectionMode = 'score' | 'smoothed' | 'last';

export interface SelectionOptions {
  /** Validation rows needed for the plain score. */
  minRows: number;
  /** Epochs the smoothed score averages. */
  window: number;
}

/** Fewer validation rows than this leave nothing to rank (a Spearman needs 3). */
export const MIN_RANKABLE_ROWS = 3;

export function selectionMode(validationRows: number, opts: SelectionOptions): SelectionMode {
  if (validationRows >= opts.minRows) return 'score';
  return validationRows >= MIN_RANKABLE_ROWS ? 'smoothed' : 'last';
}

/**
 * The score the latest epoch is ranked by: its own score, or under
 * `smoothed` the mean of the finite scores among the last `window` (NaN when
 * none is finite).
 *
 * @param scores validation scores of every epoch so far, the latest last
 */
export function selectionScore(mode: SelectionMode, scores: readonly number[], window: number): number {
  const latest = scores[scores.length - 1];
  if (mode !== 'smoothed') return latest;
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, scores.length - window); i < scores.length; i++) {
    if (Number.isFinite(scores[i])) {
      sum += scores[i];
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

/** Whether epoch `epoch` (1-based) may be chosen as the best under `mode`. */
export function mayBeBest(mode: SelectionMode, epoch: number, window: number): boolean {
  return mode !== 'smoothed' || epoch >= window;
}

/** A one-line note on what a mode means for a run with this many validation rows (for the run's warnings). */
export function selectionNote(mode: SelectionMode, validationRows: number, opts: SelectionOptions): string | undefined {
  if (mode === 'smoothed') {
    return `with ${validationRows} validation rows (< training.selection.minRows = ${opts.minRows}) the best epoch is chosen by the validation score averaged over ${opts.window} epochs, and the learning-rate schedule follows that average`;
  }
  if (mode === 'last') {
    return `with ${validationRows} validation row${validationRows === 1 ? '' : 's'} nothing can be ranked: the last epoch becomes the model and the learning rate is never reduced (use xlatent cv, or more validation rows)`;
  }
  return undefined;
}
