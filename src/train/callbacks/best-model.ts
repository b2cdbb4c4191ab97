import type { NetworkSpec } from '../../model/spec.js';
import { specFromTensors, specTensors } from '../checkpoint.js';
import type { EpochRecord } from '../epoch-record.js';
import type { Callback, CallbackState, FitLoopView } from './callback.js';

/**
 * Best-epoch tracking (the monitor part of Lightning's ModelCheckpoint):
 * keeps inference-mode copies of the encoder and decoder of the epoch with
 * the highest validation score, i.e. every epoch whose record says `best`.
 * Stateful, so a checkpoint carries the best weights so far and a resumed
 * fit ends with the same best networks as an uninterrupted one.
 */
export class BestModel implements Callback {
  readonly stateKey = 'best';
  /** Epoch (1-based) with the highest validation score; 0 while no epoch has a finite score. */
  bestEpoch = 0;
  /** That epoch's validation score, smoothed on small validation splits (-Infinity while none). */
  bestScore = -Infinity;
  private best?: { encoder: NetworkSpec; decoder: NetworkSpec };

  async onEpochEnd(loop: FitLoopView, rec: EpochRecord): Promise<void> {
    if (!rec.best) return;
    this.bestEpoch = rec.epoch;
    this.bestScore = rec.selectionScore ?? rec.score;
    this.best = await loop.networks();
  }

  /** The networks of the best epoch; undefined while no epoch has a finite score (e.g. every score NaN). */
  networks(): { encoder: NetworkSpec; decoder: NetworkSpec } | undefined {
    return this.best;
  }

  stateDict(): CallbackState {
    return {
      state: { bestEpoch: this.bestEpoch, bestScore: Number.isFinite(this.bestScore) ? this.bestScore : null },
      tensors: this.best ? [...specTensors('encoder', this.best.encoder), ...specTensors('decoder', this.best.decoder)] : [],
    };
  }

  async loadStateDict(loop: FitLoopView, saved: CallbackState, where: string): Promise<void> {
    const s = saved.state as { bestEpoch: number; bestScore: number | null };
    this.bestEpoch = s.bestEpoch;
    this.bestScore = s.bestScore ?? -Infinity;
    this.best = undefined;
    if (this.bestEpoch > 0) {
      const tensors = new Map(saved.tensors ?? []);
      const current = await loop.networks();
      this.best = {
        encoder: specFromTensors('encoder', current.encoder, tensors, where),
        decoder: specFromTensors('decoder', current.decoder, tensors, where),
      };
    }
  }
}
