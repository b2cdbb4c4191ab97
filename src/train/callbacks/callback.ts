import type * as tf from '@tensorflow/tfjs';
import type { NetworkSpec } from '../../model/spec.js';
import type { StoredTensor } from '../checkpoint.js';
import type { EpochRecord } from '../epoch-record.js';

/**
 * What callbacks see of a running fit (Lightning's `trainer` argument): the
 * loop's progress, a stop flag, and snapshots of the networks and of the
 * whole training state.
 */
export interface FitLoopView {
  /** Epochs the fit runs to (training.epochs). */
  readonly maxEpochs: number;
  /** Last completed epoch (0 before the first; the checkpoint's epoch right after a resume). */
  readonly epoch: number;
  /** Epoch the fit resumed after (0 for a fresh start). */
  readonly resumedFrom: number;
  /** One record per completed epoch, from epoch 1. */
  readonly history: readonly EpochRecord[];
  /**
   * Set to end the fit once the current epoch is complete (Lightning's
   * `trainer.should_stop`). The loop checks it between epochs, so a stop
   * always leaves a whole epoch behind, which a checkpoint can resume exactly.
   */
  shouldStop: boolean;
  /** Inference-mode copies of the encoder and decoder as they are now (read asynchronously: the backend may be a GPU). */
  networks(): Promise<{ encoder: NetworkSpec; decoder: NetworkSpec }>;
  /**
   * Everything needed to continue exactly from here: the loop's state, the
   * state of every stateful callback and every tensor (weights, batch-norm
   * statistics, optimizer moments). Written by checkpoint callbacks.
   */
  checkpointContent(): CheckpointContent;
}

/** A checkpoint before it is written: JSON state plus named tensors (variables are read when written). */
export interface CheckpointContent {
  state: Record<string, unknown>;
  tensors: [string, tf.Variable | StoredTensor][];
}

/** The part of a checkpoint one stateful callback owns. */
export interface CallbackState {
  /** Plain JSON. */
  state: unknown;
  /** Named tensors; stored under `<stateKey>.<name>`. */
  tensors?: [string, StoredTensor][];
}

/**
 * A piece of training behaviour the caller installs (checkpointing, best
 * epoch tracking, metric logging, progress, stopping), modelled on PyTorch
 * Lightning's Callback. Hooks run in installation order, except that
 * callbacks which write checkpoints run after all others so that the state
 * they write includes every other callback's update for that epoch. Hooks
 * may be async; the loop awaits them.
 */
export interface Callback {
  /** Stateful callbacks: the key their state has in checkpoints (unique among the installed callbacks). */
  readonly stateKey?: string;
  /** True for callbacks that write checkpoints (ordered last). */
  readonly writesCheckpoints?: boolean;
  /** The callback's state for a checkpoint (stateful callbacks). */
  stateDict?(loop: FitLoopView): CallbackState;
  /** Restores the state `stateDict` produced; `where` names the checkpoint for error messages. */
  loadStateDict?(loop: FitLoopView, saved: CallbackState, where: string): void | Promise<void>;
  /** After the state is set up (fresh or resumed), before the first epoch. */
  onFitStart?(loop: FitLoopView): void | Promise<void>;
  /** After every training batch (`batch` is 1-based), once the event loop has had a turn. */
  onBatchEnd?(loop: FitLoopView, epoch: number, batch: number, nBatches: number): void | Promise<void>;
  /** After every epoch, its validation and learning-rate update. */
  onEpochEnd?(loop: FitLoopView, rec: EpochRecord): void | Promise<void>;
  /** When the loop ends normally (all epochs done or stopped); not after an error. */
  onFitEnd?(loop: FitLoopView): void | Promise<void>;
}

/** Callbacks in the order their hooks run: checkpoint writers last, otherwise as installed. */
export function hookOrder(callbacks: readonly Callback[]): Callback[] {
  return [...callbacks.filter((c) => !c.writesCheckpoints), ...callbacks.filter((c) => c.writesCheckpoints)];
}
