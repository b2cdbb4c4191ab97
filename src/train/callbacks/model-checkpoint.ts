import { join } from 'node:path';
import { saveCheckpoint } from '../checkpoint.js';
import type { EpochRecord } from '../epoch-record.js';
import type { Callback, FitLoopView } from './callback.js';

/** Checkpoint folder names inside a trial folder. */
export const LAST_CHECKPOINT = 'last';
export const BEST_CHECKPOINT = 'best';

/**
 * Writes the training state as checkpoints (Lightning's ModelCheckpoint with
 * save_last): `dir/last` every `every` epochs and whenever the fit ends
 * (finished or stopped), so `--resume` continues exactly from there, and
 * `dir/best` at every epoch that sets a new best validation score. Each is
 * written to a temporary directory and renamed into place
 * (src/train/checkpoint.ts).
 */
export class ModelCheckpoint implements Callback {
  readonly writesCheckpoints = true;
  private savedEpoch = -1;

  /**
   * @param dir folder of `last/` and `best/`
   * @param every write `last` every this many epochs (training.checkpointEvery)
   */
  constructor(
    readonly dir: string,
    readonly every: number,
  ) {}

  onFitStart(loop: FitLoopView): void {
    // A resumed fit's starting point is already on disk.
    this.savedEpoch = loop.epoch;
  }

  async onEpochEnd(loop: FitLoopView, rec: EpochRecord): Promise<void> {
    if (rec.best) await this.save(loop, BEST_CHECKPOINT);
    if (rec.epoch % this.every === 0) await this.saveLast(loop);
  }

  async onFitEnd(loop: FitLoopView): Promise<void> {
    if (this.savedEpoch !== loop.epoch) await this.saveLast(loop);
  }

  private async saveLast(loop: FitLoopView): Promise<void> {
    await this.save(loop, LAST_CHECKPOINT);
    this.savedEpoch = loop.epoch;
  }

  private async save(loop: FitLoopView, name: string): Promise<void> {
    const { state, tensors } = loop.checkpointContent();
    await saveCheckpoint(join(this.dir, name), state, tensors);
  }
}
