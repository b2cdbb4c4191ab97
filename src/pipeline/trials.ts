import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import { buildAugmentation } from '../data/augment.js';
import { saveSpecAsTfjs } from '../export/tfjs.js';
import { BestModel } from '../train/callbacks/best-model.js';
import type { Callback } from '../train/callbacks/callback.js';
import { MetricsLogger } from '../train/callbacks/metrics-logger.js';
import { BEST_CHECKPOINT, LAST_CHECKPOINT, ModelCheckpoint } from '../train/callbacks/model-checkpoint.js';
import { ProgressCallback } from '../train/callbacks/progress.js';
import { StopOnSignal } from '../train/callbacks/stop-signal.js';
import { recoverCheckpoint } from '../train/checkpoint.js';
import { RankAAETrainer } from '../train/trainer.js';
import { removeAtomicTemps, writeJsonAtomic } from '../util/atomic.js';
import { lockDir } from '../util/dir-lock.js';
import { UserError } from '../util/errors.js';
import { readJsonIfExists } from '../util/json-text.js';
import type { PreparedData } from './prepare-data.js';
import { runPaths, trialDir, trialSeed, type RunPaths } from './run-dir.js';
import { checkSameIdentity, type RunIdentity } from './run-identity.js';

/** Summary a finished trial leaves in its folder, with the identity of the computation that made it. */
export interface TrialResult extends RunIdentity {
  trial: number;
  seed: number;
  bestEpoch: number;
  bestScore: number;
  epochs: number;
  seconds: number;
}

export const TRIAL_RESULT_FILE = 'result.json';

export function readTrialResult(dir: string): TrialResult | null {
  return readJsonIfExists<TrialResult>(join(dir, TRIAL_RESULT_FILE)) ?? null;
}

export interface TrialOptions {
  /** Continue from the trial's checkpoint (or keep its result when it finished). */
  resume: boolean;
  log: (line: string) => void;
  /** Aborting it stops the trial at the end of the current epoch, with `last` written. */
  signal?: AbortSignal;
  /** Text of the progress bar; no bar when absent. */
  progressLabel?: string;
  /** Names the trial in log lines (default "trial <i>"). */
  name?: string;
}

/** How a trial ended: finished (result.json written) or stopped on request (checkpointed, resumable). */
export type TrialEnd = { state: 'finished'; result: TrialResult } | { state: 'stopped'; epoch: number };

/**
 * One trial, the unit every launcher starts (in this process, in a worker
 * process, on another machine): trains trial `trial` of the run in
 * cfg.output with seed `seed + trial` and leaves checkpoints, metrics, the
 * best epoch's networks and result.json in its folder. The folder is locked
 * while the trial runs, so two processes never train the same trial.
 */
export async function runTrial(cfg: TrainConfig, data: PreparedData, identity: RunIdentity, trial: number, opts: TrialOptions): Promise<TrialEnd> {
  const dir = trialDir(runPaths(cfg.output), trial);
  const started = Date.now();
  const lock = await lockDir(dir, { busy: `another xlatent process is training trial ${trial} of this run`, what: `training trial ${trial}` });
  try {
    const done = readTrialResult(dir);
    if (done && opts.resume) {
      checkSameIdentity(done, identity, join(dir, TRIAL_RESULT_FILE));
      opts.log(`${opts.name ?? `trial ${trial}`}: already finished (best epoch ${done.bestEpoch}, score ${done.bestScore.toFixed(4)})`);
      return { state: 'finished', result: done };
    }
    let resumeFrom: string | undefined;
    if (opts.resume) {
      recoverCheckpoint(dir, BEST_CHECKPOINT);
      resumeFrom = recoverCheckpoint(dir, LAST_CHECKPOINT);
      removeAtomicTemps(dir);
    } else if (done || existsSync(join(dir, LAST_CHECKPOINT))) {
      throw new UserError(`trial ${trial} was already trained here; continue it with --resume`, dir);
    }
    const names = cfg.data.descriptors;
    const best = new BestModel();
    const callbacks: Callback[] = [best, new MetricsLogger(dir, names), new ModelCheckpoint(dir, cfg.training.checkpointEvery)];
    if (opts.signal) callbacks.push(new StopOnSignal(opts.signal));
    if (opts.progressLabel) callbacks.push(new ProgressCallback(opts.progressLabel, names));
    const trainer = new RankAAETrainer({
      network: cfg.network,
      losses: cfg.losses,
      optimizer: cfg.optimizer,
      training: cfg.training,
      seed: trialSeed(cfg, trial),
      callbacks,
      resumeFrom,
      augment: buildAugmentation(cfg.training.augment, data.dataset.energies, data.normalization),
    });
    const result = await trainer.fit(data.train, data.validation);
    if (result.stopped) return { state: 'stopped', epoch: result.history.length };
    if (result.resumedFrom > 0) opts.log(`${opts.name ?? `trial ${trial}`}: resumed after epoch ${result.resumedFrom}`);
    // No epoch could win (every score undefined, or a fit shorter than the smoothing window of
    // training.selection): the last epoch is the trial's model, ranked by its own (selection) score.
    const last = result.history[result.history.length - 1];
    const chosen = best.networks()
      ? { nets: best.networks()!, epoch: best.bestEpoch, score: best.bestScore }
      : { nets: { encoder: result.finalEncoder, decoder: result.finalDecoder }, epoch: last?.epoch ?? 0, score: last ? (last.selectionScore ?? last.score) : -Infinity };
    await saveSpecAsTfjs(chosen.nets.encoder, join(dir, 'best-model', 'encoder'), 'encoder');
    await saveSpecAsTfjs(chosen.nets.decoder, join(dir, 'best-model', 'decoder'), 'decoder');
    const summary: TrialResult = {
      trial,
      seed: trialSeed(cfg, trial),
      bestEpoch: chosen.epoch,
      bestScore: chosen.score,
      epochs: result.history.length,
      seconds: (Date.now() - started) / 1000,
      ...identity,
    };
    writeJsonAtomic(join(dir, TRIAL_RESULT_FILE), summary);
    return { state: 'finished', result: summary };
  } finally {
    await lock.release();
  }
}

/**
 * The results of finished trials, read from their folders (where any
 * launcher's trials leave them), each checked to come from this run's
 * computation.
 */
export function gatherTrialResults(paths: RunPaths, trials: number[], identity: RunIdentity): TrialResult[] {
  return trials.map((t) => {
    const dir = trialDir(paths, t);
    const r = readTrialResult(dir);
    if (!r) throw new UserError(`trial ${t} finished without a result file`, dir);
    checkSameIdentity(r, identity, join(dir, TRIAL_RESULT_FILE));
    return r;
  });
}
