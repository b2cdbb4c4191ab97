import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import { fitAxisCalibration } from '../export/calibration.js';
import { gridMetaFor, type ModelMetadata } from '../export/metadata.js';
import { writeModelDir } from '../export/model-dir.js';
import { buildOodReference, reconstructionMse } from '../export/ood.js';
import { fitReadout, readoutScores } from '../export/readout.js';
import { loadSpecFromTfjsDir } from '../export/tfjs.js';
import { column } from '../metrics/axes.js';
import { evaluateLatents, type Evaluation } from '../metrics/evaluation.js';
import { runNetworkAsync } from '../model/infer.js';
import type { NetworkSpec } from '../model/spec.js';
import type { TrainingArrays } from '../train/trainer.js';
import { removeAtomicTemps, replaceDirByLink, writeJsonAtomic } from '../util/atomic.js';
import { lockDir } from '../util/dir-lock.js';
import { UserError } from '../util/errors.js';
import { InterruptedError } from '../util/exit.js';
import { quantileSorted } from '../util/quantile.js';
import { environmentInfo } from '../util/versions.js';
import { checkTrainingData } from './check-data.js';
import type { Launcher, TrialOutcome } from './launcher.js';
import { InProcessLauncher, ProcessLauncher, workerCount } from './local-launchers.js';
import { dataSourceName, evaluationPart, prepareData, type PreparedData } from './prepare-data.js';
import { dropPrevious, restorePrevious, runPaths, setAsidePrevious, trialDir, type RunPaths } from './run-dir.js';
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
}

/** Latents and reconstructions of one split under the chosen networks (asynchronous reads: the backend may be a GPU). */
async function project(encoder: NetworkSpec, decoder: NetworkSpec, part: TrainingArrays) {
  const z = await runNetworkAsync(encoder, part.x, part.n);
  const xhat = await runNetworkAsync(decoder, z, part.n);
  return { z, xhat };
}

/** Percentiles 0..100 of each latent axis on the training rows: what sweeps use for their range. */
function latentPercentiles(z: Float32Array, n: number, d: number): number[][] {
  return Array.from({ length: d }, (_, a) => {
    const sorted = column(z, n, d, a).sort();
    return Array.from({ length: 101 }, (_, p) => quantileSorted(sorted, p / 100));
  });
}

/**
 * Picks the best finished trial, evaluates it on the test split and writes
 * the model directory (networks, metadata with grid, normalization, axis
 * calibration, OOD reference and metrics, plus the training curves).
 */
export async function finalizeRun(
  cfg: TrainConfig,
  data: PreparedData,
  trials: TrialResult[],
  opts: RunOptions,
): Promise<{ evaluation: Evaluation; metadata: ModelMetadata; best: TrialResult }> {
  const paths = runPaths(cfg.output);
  // Model selection: the validation score of each trial's best epoch (src/train/score.ts), not a z-score across trials.
  const best = trials.reduce((a, b) => (b.bestScore > a.bestScore ? b : a));
  const dir = trialDir(paths, best.trial);
  const encoder = await loadSpecFromTfjsDir(join(dir, 'best-model', 'encoder'));
  const decoder = await loadSpecFromTfjsDir(join(dir, 'best-model', 'decoder'));
  const d = cfg.network.nStyle;
  const names = cfg.data.descriptors;
  const k = names.length;
  const train = await project(encoder, decoder, data.train);
  const { part: evalPart, label: evalLabel } = evaluationPart(data);
  const ev = await project(encoder, decoder, evalPart);
  const evaluation = evaluateLatents({
    names,
    discrete: cfg.data.discrete,
    d,
    evaluated: { z: ev.z, y: Float64Array.from(evalPart.y), n: evalPart.n, label: evalLabel },
    train: { z: train.z, y: Float64Array.from(data.train.y), n: data.train.n },
    spectra: evalPart.x,
    reconstructions: ev.xhat,
    m: evalPart.m,
  });
  const calibration = names.map((name, j) =>
    fitAxisCalibration(column(train.z, data.train.n, d, j), column(data.train.y, data.train.n, k, j), {
      descriptor: name,
      axis: j,
      discrete: cfg.data.discrete.includes(name),
    }),
  );
  // Descriptors known for a few spectra, read off the latent position (export/readout.ts), scored on the evaluation split.
  const R = data.readout.names.length;
  const readouts = data.readout.names.map((name, j) => fitReadout(name, train.z, data.train.n, d, column(data.readout.train, data.train.n, R, j)));
  const readoutEval = Object.fromEntries(
    readouts.map((r, j) => [r.descriptor, { ...readoutScores(r, ev.z, evalPart.n, column(data.readout[evalLabel], evalPart.n, R, j)), fittedOn: r.n, looR2: r.looR2 }]),
  );
  if (readouts.length > 0) evaluation.readouts = readoutEval;
  const ood = buildOodReference(reconstructionMse(data.train.x, train.xhat, data.train.n, data.train.m));
  const metricsJsonl = join(dir, 'metrics.jsonl');
  const extraFiles: Record<string, string> = {};
  if (existsSync(metricsJsonl)) extraFiles['metrics.jsonl'] = readFileSync(metricsJsonl, 'utf8');
  extraFiles['trials.json'] = JSON.stringify({ chosen: best.trial, rule: 'highest validation score of the best epoch', trials }, null, 2) + '\n';
  let metadata: ModelMetadata | undefined;
  // The model switches in atomically (never absent, even to a reader in the middle of the switch).
  await replaceDirByLink(paths.model, async (contentDir) => {
    metadata = await writeModelDir(
    contentDir,
    {
      encoder,
      decoder,
      metadata: {
        grid: gridMetaFor(data.dataset.energies),
        axisKind: data.dataset.axis ?? 'energy',
        normalization: data.normalization,
        preprocess: data.preprocess,
        descriptors: names.map((name, j) => ({
          name,
          axis: j,
          direction: calibration[j].direction,
          discrete: cfg.data.discrete.includes(name),
        })),
        nStyle: d,
        training: { config: JSON.parse(JSON.stringify(cfg)) as Record<string, unknown> },
        backend: opts.backend,
        metrics: {
          evaluation: JSON.parse(JSON.stringify(evaluation)) as Record<string, unknown>,
          chosenTrial: best.trial,
          bestEpoch: best.bestEpoch,
          bestValidationScore: best.bestScore,
          splitSizes: { train: data.train.n, validation: data.validation.n, test: data.test.n },
          latentPercentiles: latentPercentiles(train.z, data.train.n, d),
          environment: environmentInfo(),
        },
        calibration,
        ood,
        ...(readouts.length > 0 ? { readouts } : {}),
      },
    },
    extraFiles,
    );
  });
  writeJsonAtomic(paths.evaluation, evaluation);
  return { evaluation, metadata: metadata!, best };
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
    const launcher: Launcher = workers > 1 ? new ProcessLauncher(workers) : new InProcessLauncher(async () => ({ data, identity }));
    if (workers > 1) opts.log(`running ${cfg.training.trials} trials in ${launcher.description}`);
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
