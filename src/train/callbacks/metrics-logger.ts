import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import type { EpochRecord } from '../epoch-record.js';
import { TERMS } from '../step.js';
import type { Callback, FitLoopView } from './callback.js';

/**
 * Metric logging (Lightning's CSVLogger as a callback): per-epoch metrics
 * next to the checkpoints, metrics.jsonl (one EpochRecord per line) and
 * metrics.csv (flat columns for spreadsheets and plotting). A fresh or
 * resumed fit rewrites both from its history first, so lines of epochs that
 * a resume re-runs never appear twice.
 */
export class MetricsLogger implements Callback {
  readonly jsonlPath: string;
  readonly csvPath: string;
  private readonly names: string[];

  /**
   * @param dir folder of the files
   * @param descriptorNames names for the per-descriptor Spearman columns
   */
  constructor(dir: string, descriptorNames: string[]) {
    this.jsonlPath = join(dir, 'metrics.jsonl');
    this.csvPath = join(dir, 'metrics.csv');
    this.names = descriptorNames;
  }

  onFitStart(loop: FitLoopView): void {
    this.reset(loop.history);
  }

  onEpochEnd(_loop: FitLoopView, rec: EpochRecord): void {
    this.append(rec);
  }

  /** Replaces both files with the given history. */
  reset(history: readonly EpochRecord[]): void {
    writeFileAtomic(this.jsonlPath, history.map((r) => JSON.stringify(r) + '\n').join(''));
    writeFileAtomic(this.csvPath, [this.header(), ...history.map((r) => this.row(r))].join('\n') + '\n');
  }

  append(rec: EpochRecord): void {
    appendFileSync(this.jsonlPath, JSON.stringify(rec) + '\n');
    appendFileSync(this.csvPath, this.row(rec) + '\n');
  }

  private header(): string {
    return [
      'epoch',
      'seconds',
      'lr',
      'alpha',
      ...TERMS.map((t) => `loss_${t}`),
      ...this.names.map((n) => `spearman_${n.replace(/[^A-Za-z0-9_.-]/g, '_')}`),
      'max_inter_axis',
      'reconstruction_mse',
      'relative_mse',
      'score',
      'best',
    ].join(',');
  }

  private row(r: EpochRecord): string {
    const f = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? '' : String(v));
    return [
      r.epoch,
      r.seconds.toFixed(3),
      r.lr,
      r.alpha,
      ...TERMS.map((t) => f(r.losses[t])),
      ...this.names.map((_, i) => f(r.validation.spearman[i])),
      f(r.validation.maxInterAxis),
      f(r.validation.reconstructionMse),
      f(r.validation.relativeMse),
      f(r.score),
      r.best ? 1 : 0,
    ].join(',');
  }
}
