import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import { buildAugmentation } from '../data/augment.js';
import { fitAxisCalibration } from '../export/calibration.js';
import { gridMetaFor, type ModelMetadata } from '../export/metadata.js';
import { writeModelDir } from '../export/model-dir.js';
import { buildOodReference, reconstructionMse } from '../export/ood.js';
import { fitReadout, readoutScores } from '../export/readout.js';
import { loadSpecFromTfjsDir, saveSpecAsTfjs } from '../export/tfjs.js';
import { column } from '../metrics/axes.js';
import { evaluateLatents, type Evaluation } from '../metrics/evaluation.js';
import { runNetwork } from '../model/infer.js';
import type { NetworkSpec } from '../model/spec.js';
import { RankAAETrainer, type EpochRecord, type TrainingArrays } from '../train/trainer.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { quantileSorted } from '../util/quantile.js';
import { UserError } from '../util/errors.js';
import { environmentInfo } from '../util/versions.js';
import { ProgressBar } from '../cli/progress.js';
import { dataSourceName, evaluationPart, prepareData, type PreparedData } from './prepare-data.js';
import { readTrialResult, runTrialsInWorkers, TRIAL_RESULT_FILE, workerCount, type TrialResult } from './trials.js';

/**
 * A training run on disk:
 *   OUT/run.json                 resolved config, versions, backend (written first)
 *   OUT/config.resolved.json     the config with defaults filled in (re-runnable)
 *   OUT/trials/trial-<i>/        checkpoints (last/, best/), metrics.jsonl/.csv, best-model/, result.json
 *   OUT/model/                   the chosen trial's model directory (atomic)
 *   OUT/evaluation.json          test-split evaluation of the model
 */
export interface RunPaths {
  out: string;
  runJson: string;
  resolvedConfig: string;
  trials: string;
  model: string;
  evaluation: string;
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
  };
}

export const trialDir = (paths: RunPaths, trial: number) => join(paths.trials, `trial-${trial}`);

/** Seed of trial i: the run seed plus i, so each trial is reproducible on its own. */
export const trialSeed = (cfg: TrainConfig, trial: number) => cfg.seed + trial;

export interface RunOptions {
  resume: boolean;
  /** Compute backend description (from backend selection), stored in run.json and the model. */
  backend: Record<string, unknown>;
  /** Where progress and notes go. */
  log: (line: string) => void;
}

function statusLine(rec: EpochRecord, names: string[]): string {
  const l = rec.losses;
  const f = (x: number | undefined) => (x === undefined ? '-' : Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toExponential(1));
  const rho = rec.validation.spearman.map((r, i) => `${names[i] ?? i}=${Number.isFinite(r) ? r.toFixed(2) : 'nan'}`).join(' ');
  return `rec ${f(l.reconstruction)} rank ${f(l.rank)} adv ${f(l.adversarial)} | val rho ${rho} inter ${rec.validation.maxInterAxis.toFixed(2)}`;
}

/** Trains one trial in this process and leaves its result in its folder. */
export async function runTrial(cfg: TrainConfig, data: PreparedData, trial: number, opts: RunOptions): Promise<TrialResult> {
  const paths = runPaths(cfg.output);
  const dir = trialDir(paths, trial);
  const done = readTrialResult(dir);
  if (done && opts.resume) {
    opts.log(`trial ${trial}: already finished (best epoch ${done.bestEpoch}, score ${done.bestScore.toFixed(4)})`);
    return done;
  }
  const epochs = cfg.training.epochs;
  const names = cfg.data.descriptors;
  let bar: ProgressBar | undefined;
  const started = Date.now();
  // Ctrl-C ends the epoch in progress, writes the `last` checkpoint and stops: `--resume` continues from there.
  const stop = new AbortController();
  const trainer = new RankAAETrainer({
    network: cfg.network,
    losses: cfg.losses,
    optimizer: cfg.optimizer,
    training: cfg.training,
    seed: trialSeed(cfg, trial),
    checkpointDir: dir,
    resume: opts.resume,
    descriptorNames: names,
    signal: stop.signal,
    augment: buildAugmentation(cfg.training.augment, data.dataset.energies, data.normalization),
    onEpoch: (rec) => {
      bar ??= new ProgressBar(epochs, cfg.training.trials > 1 ? `trial ${trial}` : 'train', process.stderr, undefined, rec.epoch - 1);
      bar.update(rec.epoch, statusLine(rec, names));
    },
  });
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupt: finishing this epoch and writing a checkpoint (press Ctrl-C again to quit now)\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await trainer.fit(data.train, data.validation);
  } finally {
    process.off('SIGINT', onSigint);
  }
  bar?.finish();
  if (result.stopped) {
    throw new UserError(`trial ${trial} interrupted after epoch ${result.history.length}; continue it with the same command plus --resume`);
  }
  if (result.resumedFrom > 0) opts.log(`trial ${trial}: resumed after epoch ${result.resumedFrom}`);
  await saveSpecAsTfjs(result.encoder, join(dir, 'best-model', 'encoder'), 'encoder');
  await saveSpecAsTfjs(result.decoder, join(dir, 'best-model', 'decoder'), 'decoder');
  const summary: TrialResult = {
    trial,
    seed: trialSeed(cfg, trial),
    bestEpoch: result.bestEpoch,
    bestScore: result.bestScore,
    epochs: result.history.length,
    seconds: (Date.now() - started) / 1000,
  };
  writeJsonAtomic(join(dir, TRIAL_RESULT_FILE), summary);
  return summary;
}

/** Latents and reconstructions of one split under the chosen networks. */
function project(encoder: NetworkSpec, decoder: NetworkSpec, part: TrainingArrays) {
  const z = runNetwork(encoder, part.x, part.n);
  const xhat = runNetwork(decoder, z, part.n);
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
  const train = project(encoder, decoder, data.train);
  const { part: evalPart, label: evalLabel } = evaluationPart(data);
  const ev = project(encoder, decoder, evalPart);
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
  const metadata = await writeModelDir(
    paths.model,
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
  writeJsonAtomic(paths.evaluation, evaluation);
  return { evaluation, metadata, best };
}

/**
 * The whole `xlatent train`: writes run.json, trains every trial (in worker
 * processes when several run at once), and finalizes the model directory.
 */
export async function runTraining(cfg: TrainConfig, opts: RunOptions & { extraWorkerArgs: string[] }) {
  const paths = runPaths(cfg.output);
  if (opts.resume && !existsSync(paths.trials)) opts.log(`note: nothing to resume in ${paths.out}; starting afresh`);
  // Data problems must surface before anything is written to the run directory.
  const data = await prepareData(cfg);
  if (!opts.resume && existsSync(paths.trials)) {
    opts.log(`note: ${paths.out} held an earlier run; starting afresh (use --resume to continue a run instead)`);
    rmSync(paths.trials, { recursive: true, force: true });
  }
  mkdirSync(paths.out, { recursive: true });
  writeJsonAtomic(paths.resolvedConfig, cfg);
  const runInfo = { config: cfg, environment: environmentInfo(), backend: opts.backend, started: new Date().toISOString() };
  writeJsonAtomic(paths.runJson, runInfo);
  for (const w of data.warnings) opts.log(`warning: ${w}`);
  opts.log(
    `data: ${data.dataset.n} spectra x ${data.dataset.m} points from ${dataSourceName(cfg.data)}; split train ${data.train.n} / validation ${data.validation.n} / test ${data.test.n}; descriptors ${cfg.data.descriptors.join(', ') || 'none (unconstrained autoencoder)'}${cfg.data.readout.length ? `; read out ${cfg.data.readout.join(', ')}` : ''}`,
  );
  const trialIds = Array.from({ length: cfg.training.trials }, (_, i) => i);
  const workers = workerCount(cfg.training.workers, cfg.training.trials);
  let results: TrialResult[];
  if (workers > 1) {
    opts.log(`running ${cfg.training.trials} trials in ${workers} worker processes`);
    await runTrialsInWorkers({
      configPath: paths.resolvedConfig,
      trials: trialIds,
      workers,
      extraArgs: opts.extraWorkerArgs,
      log: opts.log,
    });
    results = trialIds.map((t) => {
      const r = readTrialResult(trialDir(paths, t));
      if (!r) throw new UserError(`trial ${t} finished without a result file`, trialDir(paths, t));
      return r;
    });
  } else {
    results = [];
    for (const t of trialIds) results.push(await runTrial(cfg, data, t, opts));
  }
  const final = await finalizeRun(cfg, data, results, opts);
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  writeJsonAtomic(paths.runJson, {
    ...runInfo,
    finished: new Date().toISOString(),
    seconds: (Date.now() - Date.parse(runInfo.started)) / 1000,
    // Peak resident memory of this process (worker processes report their own in their logs).
    peakRssMiB,
    chosenTrial: final.best.trial,
  });
  opts.log(`done in ${((Date.now() - Date.parse(runInfo.started)) / 1000).toFixed(1)} s, peak memory ${peakRssMiB} MiB`);
  return { paths, ...final };
}
