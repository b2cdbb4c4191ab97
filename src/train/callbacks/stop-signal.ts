import type { Callback, FitLoopView } from './callback.js';

/**
 * Stops the fit at the end of the epoch in which `signal` is aborted (e.g.
 * by a Ctrl-C handler): the loop yields to the event loop after every batch,
 * so a signal handler gets to run, and this callback turns the abort into
 * the loop's stop flag. The checkpoint callback then writes `last` as the
 * fit ends, and a resume continues exactly from there.
 */
export class StopOnSignal implements Callback {
  constructor(readonly signal: AbortSignal) {}

  onFitStart(loop: FitLoopView): void {
    this.check(loop);
  }

  onBatchEnd(loop: FitLoopView): void {
    this.check(loop);
  }

  onEpochEnd(loop: FitLoopView): void {
    this.check(loop);
  }

  private check(loop: FitLoopView): void {
    if (this.signal.aborted) loop.shouldStop = true;
  }
}
