/**
 * Reduce-on-plateau on the validation score (higher is better), as
 * torch.optim.lr_scheduler.ReduceLROnPlateau(mode='max', threshold_mode='abs'):
 * after more than `patience` epochs without an improvement of at least
 * `threshold`, every learning rate is multiplied by `factor`, never going
 * below `minLr`. One multiplier is shared by all optimizers, so their
 * lrRatio proportions are kept until one hits the floor.
 */
export interface PlateauState {
  /** Best score seen (-Infinity before the first epoch). */
  best: number;
  /** Epochs since the last improvement. */
  badEpochs: number;
  /** Current multiplier of every base learning rate. */
  multiplier: number;
}

export interface PlateauOptions {
  /** Multiplier applied on a plateau (0 < factor <= 1). */
  factor: number;
  /** Epochs without improvement tolerated before reducing. */
  patience: number;
  /** Floor of every learning rate. */
  minLr: number;
  /** Smallest score increase that counts as an improvement. */
  threshold?: number;
}

export class PlateauSchedule {
  readonly options: PlateauOptions;
  state: PlateauState = { best: -Infinity, badEpochs: 0, multiplier: 1 };

  constructor(options: PlateauOptions) {
    this.options = options;
  }

  /**
   * Feeds one epoch's score; returns true when the learning rates were just
   * reduced. An undefined score (NaN: nothing to correlate) is no evidence of
   * a plateau and leaves the state as it is.
   */
  update(score: number): boolean {
    const s = this.state;
    if (!Number.isFinite(score)) return false;
    const threshold = this.options.threshold ?? 1e-4;
    if (Number.isFinite(score) && score > s.best + threshold) {
      s.best = score;
      s.badEpochs = 0;
      return false;
    }
    s.badEpochs++;
    if (s.badEpochs > this.options.patience) {
      s.multiplier *= this.options.factor;
      s.badEpochs = 0;
      return true;
    }
    return false;
  }

  /** The learning rate for a base rate (lr * lrRatio) under the current multiplier. */
  lr(base: number): number {
    return Math.max(base * this.state.multiplier, Math.min(this.options.minLr, base));
  }
}
