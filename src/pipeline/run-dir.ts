import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainConfig } from '../config/schema.js';

/**
 * A training run on disk:
 *   OUT/run.json                 resolved config, versions, backend, data and config hashes (written first)
 *   OUT/config.resolved.json     the config with defaults filled in (re-runnable; what trial workers load)
 *   OUT/trials/trial-<i>/        checkpoints (last/, best/), metrics.jsonl/.csv, best-model/, result.json
 *   OUT/model                    the chosen trial's model directory (a link switched atomically, see replaceDirByLink)
 *   OUT/evaluation.json          test-split evaluation of the model
 *   OUT/.previous/               while a fresh run replaces an earlier one: the earlier run.json,
 *                                config.resolved.json and trials/, put back if the new run fails
 *   OUT/.lock                    the run lock (src/util/dir-lock.ts)
 */
export interface RunPaths {
  out: string;
  runJson: string;
  resolvedConfig: string;
  trials: string;
  model: string;
  evaluation: string;
  previous: string;
}

export function runPaths(out: string): RunPaths {
  const o = resolve(out);
  return {
    out: o,
    runJson: join(o, 'run.json'),
    resolvedConfig: join(o, 'config.resolved.json'),
    trials: join(o, 'trials'),
    model: join(o, 'model'),
    evaluation: join(o, 'evaluation.json'),
    previous: join(o, '.previous'),
  };
}

export const trialDir = (paths: RunPaths, trial: number) => join(paths.trials, `trial-${trial}`);

/** Seed of trial i: the run seed plus i, so each trial is reproducible on its own. */
export const trialSeed = (cfg: TrainConfig, trial: number) => cfg.seed + trial;

/**
 * What a fresh run replaces. model/ and evaluation.json are not among them:
 * they stay usable until the new run switches in its own model.
 */
const REPLACED = ['run.json', 'config.resolved.json', 'trials'] as const;

/**
 * Moves an earlier run out of the way of a fresh one, into OUT/.previous,
 * and returns whether there was one. Safe to repeat after a kill at any
 * point: an entry already in .previous belongs to the earlier run, so its
 * top-level namesake is the partial state of a replacement that never
 * finished and is discarded; any other top-level entry is moved in.
 * The caller holds the run lock.
 */
export function setAsidePrevious(paths: RunPaths): boolean {
  for (const name of REPLACED) {
    const top = join(paths.out, name);
    const kept = join(paths.previous, name);
    if (existsSync(kept)) rmSync(top, { recursive: true, force: true });
    else if (existsSync(top)) {
      mkdirSync(paths.previous, { recursive: true });
      renameSync(top, kept);
    }
  }
  return existsSync(paths.previous);
}

/** Puts the earlier run back after a fresh run failed (entry by entry, so a kill midway loses nothing). */
export function restorePrevious(paths: RunPaths): void {
  if (!existsSync(paths.previous)) return;
  for (const name of REPLACED) {
    const top = join(paths.out, name);
    const kept = join(paths.previous, name);
    if (!existsSync(kept)) continue;
    rmSync(top, { recursive: true, force: true });
    renameSync(kept, top);
  }
  rmSync(paths.previous, { recursive: true, force: true });
}

/** Deletes the earlier run once a run has finished and its model is in place. */
export function dropPrevious(paths: RunPaths): void {
  rmSync(paths.previous, { recursive: true, force: true });
}
