import type { ValidationMetrics } from './score.js';
import type { TermName } from './step.js';

/** What one epoch did; appended to history, metrics.jsonl and metrics.csv. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean unweighted loss of each active term over the epoch's batches. */
  losses: Partial<Record<TermName, number>>;
  /** Base learning rate (optimizer.lr) after this epoch's plateau update; each term uses lr * lrRatio. */
  lr: number;
  /** Gradient-reversal strength used this epoch. */
  alpha: number;
  /** Validation metrics (inference mode). */
  validation: ValidationMetrics;
  /** Same as validation.score. */
  score: number;
  /**
   * On small validation splits (training.selection): the validation score averaged over the
   * last epochs, which ranks the epochs instead of `score`.
   */
  selectionScore?: number;
  /** True when this epoch set a new best (selection) score, or, when nothing can be ranked, is the latest. */
  best: boolean;
  /** Wall time of the epoch (training and validation). */
  seconds: number;
}
