import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadTrainConfig } from '../config/load.js';
import { ensembleSize, type TrainConfig } from '../config/schema.js';
import { augmentsAnything, buildAugmentation } from '../data/augment.js';
import { fitAxisCalibration, type AxisCalibration } from '../export/calibration.js';
import { evaluateEnsemble, runMembers, type ModelMember } from '../export/ensemble.js';
import { sha256Hex } from '../export/digest.js';
import { canonicalJson, gridMetaFor, type ModelMetadata } from '../export/metadata.js';
import { writeModelDir } from '../export/model-dir.js';
import { buildHeldOutOod, reconstructionMse, type HeldOutOodReference } from '../export/ood.js';
import { fitReadout, readoutScores } from '../export/readout.js';
import { loadSpecFromTfjsDir } from '../export/tfjs.js';
import { column } from '../metrics/axes.js';
import type { EnsembleEvaluation } from '../metrics/estimates.js';
import { evaluateLatents, type Evaluation } from '../metrics/evaluation.js';
import { runNetworkAsync } from '../model/infer.js';
import type { NetworkSpec } from '../model/spec.js';
import type { TrainingArrays } from '../train/trainer.js';
import { replaceDirByLink, writeJsonAtomic } from '../util/atomic.js';
import { lockDir } from '../util/dir-lock.js';
import { UserError, check } from '../util/errors.js';
import { quantileSorted } from '../util/quantile.js';
import { Rng } from '../util/random.js';
import { environmentInfo } from '../util/versions.js';
import { evaluationPart, prepareData, type PreparedData } from './prepare-data.js';
import { runPaths, trialDir } from './run-dir.js';
import { runIdentity } from './run-identity.js';
import { readTrialResult, TRIAL_RESULT_FILE, type TrialResult } from './trials.js';

/**
 * Model directories from trained trials: the best trial alone, or the best
 * N as an ensemble (src/export/ensemble.ts), whether they are the trials of
 * one run (`xlatent train` with training.trials > 1) or of several runs
 * (other seeds, the trials of a hyperparameter search) that share the same
 * data and preprocessing.
 *
 * For every member it stores, computed from the member's own run:
 * - the axis calibration, fitted on its training rows;
 * - its OOD reference (src/export/ood.ts): the Gaussian of its training
 *   latents, and the reconstruction errors and latent distances of its
 *   held-out rows (validation and test), perturbed with the run's training
 *   augmentation when it has one (seeded by the trial seed, so rebuilding a
 *   model gives the same reference).
 * Member 0 (the best validation score) supplies the model's own networks,
 * latent percentiles and test evaluation; the ensemble's estimates are also
 * scored on the test rows no member trained or validated on.
 */

/** One trained trial with everything its model directory entry needs. */
export interface TrainedMember {
  encoder: NetworkSpec;
  decoder: NetworkSpec;
  nStyle: number;
  calibration: AxisCalibration[];
  ood: HeldOutOodReference;
  /** Percentiles 0..100 of each latent axis on the training rows (what sweeps use for their range). */
  latentPercentiles: number[][];
  /** The run's resolved config and prepared data (split, normalization). */
  cfg: TrainConfig;
  data: PreparedData;
  /** Run directory and the trial's result.json. */
  run: string;
  result: TrialResult;
}

/** Percentiles 0..100 of each latent axis of n x d latents. */
function latentPercentiles(z: Float32Array, n: number, d: number): number[][] {
  return Array.from({ length: d }, (_, a) => {
    const sorted = column(z, n, d, a).sort();
    return Array.from({ length: 101 }, (_, p) => quantileSorted(sorted, p / 100));
  });
}

/** Rows of several parts, stacked. */
function stack(parts: TrainingArrays[]): TrainingArrays {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const { m, k } = parts[0];
  const x = new Float32Array(n * m);
  const y = new Float64Array(n * k);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * m);
    y.set(p.y, at * k);
    at += p.n;
  }
  return { x, y, n, m, k };
}

/**
 * The OOD reference of a trained network: held-out rows (validation and
 * test; the training rows only when a run held nothing out), augmented as
 * in training when the config augments.
 */
async function oodReference(cfg: TrainConfig, data: PreparedData, encoder: NetworkSpec, decoder: NetworkSpec, trainZ: Float32Array, seed: number): Promise<HeldOutOodReference> {
  const heldOut = [data.validation, data.test].filter((p) => p.n > 0);
  const rows = heldOut.reduce((s, p) => s + p.n, 0) >= 2 ? 'held-out' : 'training';
  const part = rows === 'held-out' ? stack(heldOut) : data.train;
  const x = part.x.slice();
  const augment = buildAugmentation(cfg.training.augment, data.dataset.energies, data.normalization);
  const rng = new Rng(seed);
  const noise = cfg.training.augmentNoise;
  if (noise > 0) for (let i = 0; i < x.length; i++) x[i] += noise * rng.normal();
  augment?.(x, part.n, part.m, rng);
  const z = await runNetworkAsync(encoder, x, part.n);
  const mse = reconstructionMse(x, await runNetworkAsync(decoder, z, part.n), part.n, part.m);
  return buildHeldOutOod({ z: trainZ, n: data.train.n }, { z, mse, n: part.n }, cfg.network.nStyle, {
    rows,
    augmented: noise > 0 || augmentsAnything(cfg.training.augment),
  });
}

/**
 * Loads a finished trial's best networks and derives its calibration, OOD
 * reference and latent percentiles from the run's prepared data.
 */
export async function loadTrainedMember(cfg: TrainConfig, data: PreparedData, run: string, result: TrialResult): Promise<TrainedMember> {
  const dir = trialDir(runPaths(run), result.trial);
  const encoder = await loadSpecFromTfjsDir(join(dir, 'best-model', 'encoder'));
  const decoder = await loadSpecFromTfjsDir(join(dir, 'best-model', 'decoder'));
  const d = cfg.network.nStyle;
  const k = cfg.data.descriptors.length;
  const z = await runNetworkAsync(encoder, data.train.x, data.train.n);
  const calibration = cfg.data.descriptors.map((name, j) =>
    fitAxisCalibration(column(z, data.train.n, d, j), column(data.train.y, data.train.n, k, j), { descriptor: name, axis: j, discrete: cfg.data.discrete.includes(name) }),
  );
  return {
    encoder,
    decoder,
    nStyle: d,
    calibration,
    ood: await oodReference(cfg, data, encoder, decoder, z, result.seed),
    latentPercentiles: latentPercentiles(z, data.train.n, d),
    cfg,
    data,
    run,
    result,
  };
}

/** Ranks trial results best first: validation score descending, undefined scores last, then trial order. */
export function rankTrials<T extends Pick<TrialResult, 'bestScore' | 'trial'>>(results: T[]): T[] {
  const key = (r: T) => (typeof r.bestScore === 'number' && Number.isFinite(r.bestScore) ? r.bestScore : -Infinity);
  return [...results].sort((a, b) => key(b) - key(a) || a.trial - b.trial);
}

/** What {@link writeMembersModel} and {@link buildEnsembleModel} produced. */
export interface BuiltModel {
  /** The model directory written. */
  dir: string;
  metadata: ModelMetadata;
  /** Member 0 on its run's test split (validation or training rows when the run has none). */
  evaluation: Evaluation;
  /** Ensembles: the ensemble's estimates on the test rows no member trained or validated on. */
  ensembleEvaluation?: EnsembleEvaluation;
  /** The members' trial results, best first. */
  members: TrialResult[];
}

/** Rows (dataset indices) of member 0's test split that no other member used for training or validation. */
function commonTestRows(members: TrainedMember[]): number[] {
  const used = new Set<number>();
  for (const mem of members.slice(1)) for (const part of [mem.data.split.train, mem.data.split.validation]) for (const i of part) used.add(i);
  return Array.from(members[0].data.split.test).filter((i) => !used.has(i));
}

/** The ensemble's estimates on the rows every member held out of training and validation (undefined for one member or under 3 rows). */
function scoreEnsembleOnTest(members: TrainedMember[]): EnsembleEvaluation | undefined {
  if (members.length < 2) return undefined;
  const rows = commonTestRows(members);
  if (rows.length < 3) return undefined;
  const { data, cfg } = members[0];
  const m = data.dataset.m;
  const k = cfg.data.descriptors.length;
  // The normalized spectra of those rows (members share the normalization: checked when they are gathered).
  const position = new Map(Array.from(data.split.test, (row, i) => [row, i]));
  const x = new Float32Array(rows.length * m);
  rows.forEach((row, r) => x.set(data.test.x.subarray(position.get(row)! * m, (position.get(row)! + 1) * m), r * m));
  const out = runMembers(members.map(asModelMember), x, rows.length, m);
  const labels = Object.fromEntries(cfg.data.descriptors.map((name, j) => [name, Float64Array.from(rows, (_, r) => data.test.y[position.get(rows[r])! * k + j])]));
  const levels = Object.fromEntries(members[0].calibration.filter((c) => c.levels).map((c) => [c.descriptor, c.levels!]));
  const shared = rows.length === data.split.test.length;
  return evaluateEnsemble(out, labels, shared ? 'test split (shared by every member)' : `the ${rows.length} test rows no member trained or validated on`, levels);
}

function asModelMember(m: TrainedMember): ModelMember {
  return { encoder: m.encoder, decoder: m.decoder, nStyle: m.nStyle, calibration: m.calibration, ood: m.ood };
}

/** SHA-256 of what fixes a run's split: row count, split spec and seed. */
function splitSha256(mem: TrainedMember): string {
  return sha256Hex(canonicalJson({ n: mem.data.dataset.n, split: mem.cfg.data.split, seed: mem.cfg.seed }));
}

/**
 * Writes the model directory of `members` (best first; one member: a
 * single-network model as before ensembles existed). `replaceLink` switches a
 * run's `model` link atomically; otherwise `dir` is written atomically.
 */
export async function writeMembersModel(
  members: TrainedMember[],
  dir: string,
  opts: { backend: Record<string, unknown>; replaceLink?: boolean; rule?: string; candidates?: unknown[] },
): Promise<BuiltModel> {
  check(members.length >= 1, 'a model needs at least one trained trial');
  const primary = members[0];
  const { cfg, data, encoder, decoder } = primary;
  const d = cfg.network.nStyle;
  const names = cfg.data.descriptors;
  // Asynchronous reads: the backend may be a GPU.
  const project = async (part: TrainingArrays) => {
    const z = await runNetworkAsync(encoder, part.x, part.n);
    return { z, xhat: await runNetworkAsync(decoder, z, part.n) };
  };
  const train = await project(data.train);
  const { part: evalPart, label: evalLabel } = evaluationPart(data);
  const ev = await project(evalPart);
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
  // Descriptors known for a few spectra, read off member 0's latent position (export/readout.ts), scored on the evaluation split.
  const R = data.readout.names.length;
  const readouts = data.readout.names.map((name, j) => fitReadout(name, train.z, data.train.n, d, column(data.readout.train, data.train.n, R, j)));
  if (readouts.length > 0) {
    evaluation.readouts = Object.fromEntries(
      readouts.map((r, j) => [r.descriptor, { ...readoutScores(r, ev.z, evalPart.n, column(data.readout[evalLabel], evalPart.n, R, j)), fittedOn: r.n, looR2: r.looR2 }]),
    );
  }
  const ensembleEvaluation = scoreEnsembleOnTest(members);
  const trialPath = trialDir(runPaths(primary.run), primary.result.trial);
  const metricsJsonl = join(trialPath, 'metrics.jsonl');
  const extraFiles: Record<string, string> = {};
  if (existsSync(metricsJsonl)) extraFiles['metrics.jsonl'] = readFileSync(metricsJsonl, 'utf8');
  extraFiles['trials.json'] =
    JSON.stringify(
      {
        chosen: primary.result.trial,
        rule: opts.rule ?? 'highest validation score of the best epoch',
        members: members.map((m) => ({ run: m.run, trial: m.result.trial, bestScore: m.result.bestScore })),
        trials: opts.candidates ?? members.map((m) => m.result),
      },
      null,
      2,
    ) + '\n';
  const ensemble =
    members.length > 1
      ? {
          combine: 'mean' as const,
          members: members.map((m, i) => ({
            encoder: i === 0 ? 'encoder' : `members/${i}/encoder`,
            decoder: i === 0 ? 'decoder' : `members/${i}/decoder`,
            nStyle: m.nStyle,
            source: {
              run: m.run,
              trial: m.result.trial,
              seed: m.result.seed,
              validationScore: Number.isFinite(m.result.bestScore) ? m.result.bestScore : null,
              bestEpoch: m.result.bestEpoch,
              configSha256: m.result.configSha256,
              splitSha256: splitSha256(m),
            },
            calibration: m.calibration,
            ood: m.ood,
          })),
        }
      : undefined;
  let written: ModelMetadata | undefined;
  const write = async (target: string) => {
    written = await writeModelDir(
      target,
      {
        encoder,
        decoder,
        ensembleNetworks: ensemble ? members.map((m) => ({ encoder: m.encoder, decoder: m.decoder })) : undefined,
        metadata: {
          grid: gridMetaFor(data.dataset.energies),
          axisKind: data.dataset.axis ?? 'energy',
          normalization: data.normalization,
          preprocess: data.preprocess,
          descriptors: names.map((name, j) => ({ name, axis: j, direction: primary.calibration[j].direction, discrete: cfg.data.discrete.includes(name) })),
          nStyle: d,
          training: { config: JSON.parse(JSON.stringify(cfg)) as Record<string, unknown> },
          backend: opts.backend,
          metrics: {
            evaluation: JSON.parse(JSON.stringify(evaluation)) as Record<string, unknown>,
            chosenTrial: primary.result.trial,
            bestEpoch: primary.result.bestEpoch,
            bestValidationScore: primary.result.bestScore,
            splitSizes: { train: data.train.n, validation: data.validation.n, test: data.test.n },
            latentPercentiles: primary.latentPercentiles,
            environment: environmentInfo(),
            ...(ensembleEvaluation ? { ensemble: JSON.parse(JSON.stringify(ensembleEvaluation)) as Record<string, unknown> } : {}),
          },
          calibration: primary.calibration,
          ood: primary.ood,
          ...(readouts.length > 0 ? { readouts } : {}),
          ensemble,
        },
      },
      extraFiles,
    );
  };
  if (opts.replaceLink) await replaceDirByLink(dir, write);
  else await write(dir);
  return { dir, metadata: written!, evaluation, ensembleEvaluation, members: members.map((m) => m.result) };
}

/** Options of {@link buildEnsembleModel}. */
export interface BuildEnsembleOptions {
  /**
   * Model directory to write (replaced atomically). Default, when `source` is
   * one run directory: that run's `model` (its link switched atomically, and
   * its evaluation.json rewritten, under the run lock). Required otherwise.
   */
  out?: string;
  /** Compute backend description stored with the model (default: {name: 'unknown'}). */
  backend?: Record<string, unknown>;
  /** Progress notes. */
  log?: (line: string) => void;
  /** The trials are given best first (e.g. a search's leaderboard order): keep that order instead of ranking them by validation score. */
  ranked?: boolean;
  /** How the members were chosen, recorded in the model's trials.json (default: by validation score). */
  rule?: string;
  /** Prepares a run's data from its config (default: prepareData); a caller that holds the prepared data already passes its cache. */
  prepare?: (cfg: TrainConfig) => Promise<PreparedData>;
}

/** A trial folder: its run directory (two levels up) and result. */
interface Candidate {
  run: string;
  result: TrialResult;
}

/** The finished trials named by `source`: every trial of a run directory, or the given trial folders. */
function gatherCandidates(source: string | string[]): Candidate[] {
  const entries = typeof source === 'string' ? [source] : source;
  check(entries.length > 0, 'no run or trial directories given');
  const out: Candidate[] = [];
  for (const entry of entries) {
    const p = resolve(entry);
    check(existsSync(p) && statSync(p).isDirectory(), 'not a directory', p);
    if (existsSync(join(p, TRIAL_RESULT_FILE))) {
      const result = readTrialResult(p)!;
      const run = dirname(dirname(p));
      check(basename(dirname(p)) === 'trials', 'a trial folder lies in <run>/trials/', p);
      out.push({ run, result });
      continue;
    }
    const paths = runPaths(p);
    check(existsSync(paths.resolvedConfig), 'neither a run directory (config.resolved.json) nor a finished trial folder (result.json)', p);
    const cfg = loadTrainConfig(paths.resolvedConfig);
    let found = 0;
    for (let t = 0; t < cfg.training.trials; t++) {
      const result = readTrialResult(trialDir(paths, t));
      if (result) {
        out.push({ run: p, result });
        found++;
      }
    }
    check(found > 0, 'the run has no finished trial (trials/trial-<i>/result.json)', p);
  }
  return out;
}

/** What a member's networks take and give: two trials join one ensemble only when these agree. */
export function ensembleFace(cfg: TrainConfig, data: PreparedData) {
  return {
    grid: gridMetaFor(data.dataset.energies),
    axis: data.dataset.axis ?? 'energy',
    preprocess: data.preprocess,
    normalization: data.normalization,
    descriptors: cfg.data.descriptors,
    discrete: cfg.data.discrete,
  };
}

/** Why two trials cannot join one ensemble (the part of their face that differs), or undefined when they can. */
export function ensembleMismatch(a: ReturnType<typeof ensembleFace>, b: ReturnType<typeof ensembleFace>): string | undefined {
  for (const key of Object.keys(a) as (keyof typeof a)[]) {
    if (canonicalJson(a[key]) !== canonicalJson(b[key])) {
      // The same kind fitted on other training rows (a per-channel normalization) is the one case a user can fix by the split alone.
      const refitted = key === 'normalization' && a.normalization.kind === b.normalization.kind;
      return `their ${key} differ${refitted ? ' (a per-channel normalization is fitted on each run\'s training rows; use one split seed, or a per-spectrum normalization)' : ''}`;
    }
  }
  return undefined;
}

/** Refuses members whose networks take spectra differently (grid, preprocessing, normalization, descriptors). */
function checkCompatible(members: TrainedMember[]): void {
  const first = members[0];
  const ref = ensembleFace(first.cfg, first.data);
  for (const m of members.slice(1)) {
    const why = ensembleMismatch(ensembleFace(m.cfg, m.data), ref);
    if (why) throw new UserError(`its trials cannot join an ensemble with ${first.run}: ${why}`, m.run);
    if (m.result.dataSha256 !== first.result.dataSha256) throw new UserError(`trained on other data than ${first.run} (data SHA-256 ${m.result.dataSha256.slice(0, 12)} vs ${first.result.dataSha256.slice(0, 12)})`, m.run);
    if (m.result.xlatentVersion !== first.result.xlatentVersion) {
      throw new UserError(`trained by xlatent ${m.result.xlatentVersion}, ${first.run} by ${first.result.xlatentVersion}; results of different versions are never mixed`, m.run);
    }
  }
}

/**
 * Builds a model directory from the best `members` finished trials among
 * `source`: a run directory (its trials) or a list of trial folders
 * (`<run>/trials/trial-<i>`) and/or run directories, e.g. the top trials of
 * a hyperparameter search. Trials are ranked by their validation score
 * (result.json `bestScore`); `members` = 1 writes a single-network model.
 * Every trial must come from a run with the same data, preprocessing,
 * normalization and descriptors (their networks may differ, nStyle
 * included) and the same xlatent version; each run's config.resolved.json
 * must still describe its trials (config hash). Each run's data is prepared
 * again from its config to compute the members' calibrations and OOD
 * references.
 *
 * @param source a run directory, or run directories and trial folders
 * @param members how many of the best trials form the model (>= 1, at most the finished trials)
 * @returns the directory written, its metadata, member 0's evaluation and the ensemble's
 */
export async function buildEnsembleModel(source: string | string[], members: number, options: BuildEnsembleOptions = {}): Promise<BuiltModel> {
  check(Number.isInteger(members) && members >= 1, `members must be a positive integer, got ${members}`);
  const log = options.log ?? (() => {});
  const candidates = gatherCandidates(source);
  check(members <= candidates.length, `${members} members asked for, but only ${candidates.length} finished trial${candidates.length === 1 ? '' : 's'} found`);
  const indexed = candidates.map((c, i) => ({ ...c, bestScore: c.result.bestScore, trial: i }));
  const byRank = options.ranked ? indexed : rankTrials(indexed);
  const chosen = byRank.slice(0, members);
  const prepared = new Map<string, { cfg: TrainConfig; data: PreparedData }>();
  const trained: TrainedMember[] = [];
  for (const c of chosen) {
    let run = prepared.get(c.run);
    if (!run) {
      const paths = runPaths(c.run);
      const cfg = loadTrainConfig(paths.resolvedConfig);
      log(`preparing the data of ${c.run}`);
      const data = await (options.prepare ?? prepareData)(cfg);
      const identity = runIdentity(cfg, data.dataset);
      if (identity.configSha256 !== c.result.configSha256 || identity.dataSha256 !== c.result.dataSha256) {
        throw new UserError('its config.resolved.json or data no longer match the trials it holds (config or data hash differs)', c.run);
      }
      run = { cfg, data };
      prepared.set(c.run, run);
    }
    trained.push(await loadTrainedMember(run.cfg, run.data, c.run, c.result));
  }
  checkCompatible(trained);
  const oneRun = typeof source === 'string' || (source.length === 1 && !existsSync(join(resolve(source[0]), TRIAL_RESULT_FILE)));
  const runDir = oneRun ? resolve(typeof source === 'string' ? source : source[0]) : undefined;
  check(options.out !== undefined || runDir !== undefined, 'give an output model directory (out) when the trials come from more than one run');
  const rule = options.rule ?? `best ${members} of ${candidates.length} finished trials by validation score`;
  const backend = options.backend ?? { name: 'unknown' };
  const candidatesOut = byRank.map((c) => ({ run: c.run, ...c.result }));
  if (options.out !== undefined) return writeMembersModel(trained, resolve(options.out), { backend, rule, candidates: candidatesOut });
  const paths = runPaths(runDir!);
  const lock = await lockDir(paths.out, { busy: 'another xlatent run is writing this run directory', hint: 'wait for it to finish', what: 'building the ensemble' });
  try {
    const built = await writeMembersModel(trained, paths.model, { backend, rule, candidates: candidatesOut, replaceLink: true });
    writeJsonAtomic(paths.evaluation, built.evaluation);
    return built;
  } finally {
    await lock.release();
  }
}

/** The members a run's model takes from its finished trials (training.ensemble), best first. */
export function chooseRunMembers(cfg: TrainConfig, trials: TrialResult[]): TrialResult[] {
  return rankTrials(trials).slice(0, ensembleSize(cfg.training));
}
