import { ProgressBar } from '../../util/progress.js';
import type { EpochRecord } from '../epoch-record.js';
import type { Callback, FitLoopView } from './callback.js';

/** The losses and validation correlations of an epoch in one short line. */
export function epochStatus(rec: EpochRecord, names: readonly string[]): string {
  const l = rec.losses;
  const f = (x: number | undefined) => (x === undefined ? '-' : Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toExponential(1));
  const rho = rec.validation.spearman.map((r, i) => `${names[i] ?? i}=${Number.isFinite(r) ? r.toFixed(2) : 'nan'}`).join(' ');
  return `rec ${f(l.reconstruction)} rank ${f(l.rank)} adv ${f(l.adversarial)} | val rho ${rho} inter ${rec.validation.maxInterAxis.toFixed(2)}`;
}

/** A progress bar over the epochs with each epoch's losses and validation correlations (Lightning's progress bar callback). */
export class ProgressCallback implements Callback {
  private bar?: ProgressBar;

  /**
   * @param label text before the bar, e.g. "train" or "trial 2"
   * @param descriptorNames names of the constrained descriptors, for the correlations
   * @param stream where to draw (stderr keeps stdout free for results)
   */
  constructor(
    readonly label: string,
    readonly descriptorNames: readonly string[],
    readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  onFitStart(loop: FitLoopView): void {
    this.bar = new ProgressBar(loop.maxEpochs, this.label, this.stream, undefined, loop.epoch);
  }

  onEpochEnd(_loop: FitLoopView, rec: EpochRecord): void {
    this.bar?.update(rec.epoch, epochStatus(rec, this.descriptorNames));
  }

  onFitEnd(): void {
    this.bar?.finish();
  }
}
