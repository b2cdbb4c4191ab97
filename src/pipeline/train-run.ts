import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import type { ModelMetadata } from '../export/metadata.js';
import type { Evaluation } from '../metrics/evaluation.js';
import { removeAtomicTemps, writeJsonAtomic } from '../util/atomic.js';
import { lockDir } from '../util/dir-lock.js';
import { UserError } from '../util/errors.js';
import { InterruptedError } from '../util/exit.js';
import { environmentInfo } from '../util/versions.js';
import { checkTrainingData } from './check-data.js';
import type { Launcher, TrialOutcome } from './launcher.js';
import { InProcessLauncher, ProcessLauncher, workerCount } from './local-launchers.js';
import { chooseRunMembers, loadTrainedMember, writeMembersModel } from './ensemble.js';
import { dataSourceName, prepareData, type PreparedData } from './prepare-data.js';
import { dropPrevious, restorePrevious, runPaths, setAsidePrevious, type RunPaths } from './run-dir.js';
import { checkSameRun, readRunRecord, runIdentity } from './run-identity.js';
import { gatherTrialResults, type TrialResult } from './trials.js';

export { runPaths, type RunPaths } from './run-dir.js';

export interface RunOptions {
  /** Continue the run in cfg.output: unfinished trials from their checkpoints, finished ones kept. */
  resume: boolean;
  /** Compute backend description (from backend selection), stored in run.json and the model. */
  backend: Record<string, unknown>;
  /** Where progress and notes go. */
  log: (line: string) => void;
  /** Aborting it (Ctrl-C) stops every trial at the end of its epoch with its checkpoint written; the run then ends with InterruptedError. */
  signal?: AbortSignal;
  /** Starts the trials (default: this process for one worker, else training.workers worker processes). */
  launcher?: Launcher;
}

/**
 * Writes the run's model from its finished trials: the best trial, or the
 * best training.ensemble trials as an ensemble (src/pipeline/ensemble.ts),
 * with evaluation.json of the best trial on the test split.
 */
export async function finalizeRun(
  cfg: TrainConfig,
  data: PreparedData,
  trials: TrialResult[],
  opts: RunOptions,
): Promise<{ evaluation: Evaluation; metadata: ModelMetadata; best: TrialResult; members: TrialResult[] }> {
  const paths = runPaths(cfg.output);
  // Model selection: the validation score of each trial's best epoch (src/train/score.ts), not a z-score across trials.
  const chosen = chooseRunMembers(cfg, trials);
  const members = [];
  for (const result of chosen) members.push(await loadTrainedMember(cfg, data, paths.out, result));
  const built = await writeMembersModel(members, paths.model, {
    backend: opts.backend,
    replaceLink: true,
    rule: chosen.length > 1 ? `the ${chosen.length} highest validation scores of the trials' best epochs (training.ensemble)` : undefined,
    candidates: trials,
  });
  writeJsonAtomic(paths.evaluation, built.evaluation);
  if (built.ensembleEvaluation) opts.log(`model: an ensemble of trials ${chosen.map((t) => t.trial).join(', ')} (best first)`);
  return { evaluation: built.evaluation, metadata: built.metadata, best: chosen[0], members: chosen };
}

/** Throws for failed trials (one line each) and, when some were stopped, InterruptedError. */
function checkOutcomes(outcomes: TrialOutcome[], paths: RunPaths): void {
  const failed = outcomes.filter((o) => o.state === 'failed');
  // A single trial's own error keeps its one-line message as it is.
  if (failed.length === 1 && outcomes.length === 1 && failed[0].error) throw failed[0].error;
  if (failed.length > 0) throw new UserError(failed.map((f) => f.message).join('; '));
  const stopped = outcomes.filter((o) => o.state === 'stopped');
  if (stopped.length > 0) {
    throw new InterruptedError(
      `${stopped.length === outcomes.length ? 'training' : `trial${stopped.length > 1 ? 's' : ''} ${stopped.map((o) => o.unit.trial).join(', ')}`} stopped with checkpoints written in ${paths.trials}; continue with the same command plus --resume`,
    );
  }
}

/**
 * The whole `xlatent train`. Data and config are checked before the run
 * directory is touched; then the directory is locked against other runs,
 * an earlier run in it is set aside (put back if this one fails), run.json
 * is written, the trials are started and gathered through a launcher, and
 * the best trial becomes the model.
 */
export async function runTraining(cfg: TrainConfig, opts: RunOptions) {
  const paths = runPaths(cfg.output);
  const data = await prepareData(cfg);
  const warnings = checkTrainingData(cfg, data);
  const identity = runIdentity(cfg, data.dataset);
  const lock = await lockDir(paths.out, {
    busy: 'another xlatent run is writing this run directory',
    hint: 'wait for it to finish or choose another --out',
    what: 'xlatent train',
  });
  let setAside = false;
  let committed = false;
  try {
    if (opts.signal?.aborted) throw new InterruptedError('stopped before training started; nothing was changed');
    if (!lock.held) opts.log(`warning: this run directory is not locked against a second run (${lock.why})`);
    else removeAtomicTemps(paths.out); // leftovers of writers killed midway (with the lock, no writer is live)
    const recorded = opts.resume ? readRunRecord(paths.runJson) : undefined;
    if (recorded) checkSameRun(recorded, cfg, identity, paths.runJson);
    else if (opts.resume) opts.log(`note: nothing to resume in ${paths.out}; starting afresh`);
    if (!opts.resume) {
      // A fresh run would set aside (and then delete) a search trial's state, which its search still reads.
      const search = readRunRecord(paths.runJson)?.search;
      if (search) throw new UserError(`holds trial ${search.trial} of the search ${search.file}; to train that trial again, give another --out`, paths.out);
      setAside = setAsidePrevious(paths);
      if (setAside) opts.log(`note: ${paths.out} held an earlier run; it stays in ${paths.previous} until this run finishes and is put back if it fails (use --resume to continue a run instead)`);
    }
    mkdirSync(paths.out, { recursive: true });
    writeJsonAtomic(paths.resolvedConfig, cfg);
    const runInfo = { config: cfg, identity, data: { source: dataSourceName(cfg.data) }, environment: environmentInfo(), backend: opts.backend, started: new Date().toISOString() };
    writeJsonAtomic(paths.runJson, runInfo);
    for (const w of [...data.warnings, ...warnings]) opts.log(`warning: ${w}`);
    opts.log(
      `data: ${data.dataset.n} spectra x ${data.dataset.m} points from ${dataSourceName(cfg.data)}; split train ${data.train.n} / validation ${data.validation.n} / test ${data.test.n}; descriptors ${cfg.data.descriptors.join(', ') || 'none (unconstrained autoencoder)'}${cfg.data.readout.length ? `; read out ${cfg.data.readout.join(', ')}` : ''}`,
    );
    const trials = Array.from({ length: cfg.training.trials }, (_, i) => i);
    const workers = workerCount(cfg.training.workers, cfg.training.trials);
    const launcher: Launcher = opts.launcher ?? (workers > 1 ? new ProcessLauncher(workers) : new InProcessLauncher(async () => ({ data, identity })));
    if (workers > 1 && !opts.launcher) opts.log(`running ${cfg.training.trials} trials in ${launcher.description}`);
    const units = trials.map((trial) => ({ cfg, configPath: paths.resolvedConfig, trial, label: trials.length > 1 ? `trial ${trial}` : 'train' }));
    const outcomes = await launcher.run({ units, resume: opts.resume, name: 'trials' }, { log: opts.log, signal: opts.signal });
    checkOutcomes(outcomes, paths);
    const results = gatherTrialResults(paths, trials, identity);
    const final = await finalizeRun(cfg, data, results, opts);
    committed = true;
    dropPrevious(paths);
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    const seconds = (Date.now() - Date.parse(runInfo.started)) / 1000;
    // Peak resident memory of this process (worker processes report their own in their logs).
    writeJsonAtomic(paths.runJson, { ...runInfo, finished: new Date().toISOString(), seconds, peakRssMiB, chosenTrial: final.best.trial });
    opts.log(`done in ${seconds.toFixed(1)} s, peak memory ${peakRssMiB} MiB`);
    return { paths, ...final };
  } catch (e) {
    if (setAside && !committed && !(e instanceof InterruptedError)) {
      restorePrevious(paths);
      opts.log(`note: the earlier run in ${paths.out} was put back`);
    }
    throw e;
  } finally {
    await lock.release();
  }
}
