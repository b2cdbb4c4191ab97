import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { TrainConfig } from '../config/schema.js';
import { sha256Hex } from '../export/digest.js';
import { canonicalJson } from '../export/metadata.js';
import type { EnsembleEvaluation } from '../metrics/estimates.js';
import type { Evaluation } from '../metrics/evaluation.js';
import { checkTrainingData } from '../pipeline/check-data.js';
import type { Launcher, TrialOutcome, TrialUnit } from '../pipeline/launcher.js';
import { InProcessLauncher, ProcessLauncher, workerCount } from '../pipeline/local-launchers.js';
import { checkConfigForData, dataSourceName, prepareData, type PreparedData } from '../pipeline/prepare-data.js';
import { runPaths, trialDir } from '../pipeline/run-dir.js';
import { checkSameIdentity, datasetSha256, identityConfig, runIdentityWith, sameIdentity, type RunIdentity } from '../pipeline/run-identity.js';
import { SlurmLauncher } from '../pipeline/slurm-launcher.js';
import { finalizeRun } from '../pipeline/train-run.js';
import { readMetricsFile } from '../report/metrics-file.js';
import { TRIAL_RESULT_FILE, gatherTrialResults, readTrialResult } from '../pipeline/trials.js';
import { removeAtomicTemps, temporaryName, writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { changedFields } from '../util/diff.js';
import { lockDir } from '../util/dir-lock.js';
import { UserError, terminalSafe } from '../util/errors.js';
import { InterruptedError } from '../util/exit.js';
import { readJsonIfExists } from '../util/json-text.js';
import { environmentInfo, xlatentVersion } from '../util/versions.js';
import { promote } from './halving.js';
import { buildLeaderboard, leaderboardCsv, type Leaderboard, type LeaderboardRow } from './leaderboard.js';
import { leaderboardPage, type ScoreCurve } from './leaderboard-page.js';
import { rungConfig, type SearchPlan, type SearchTrial } from './plan.js';
import { rungRecord, rungRecordPath, searchPaths, searchTrialDir, type RungRecord, type SearchPaths } from './search-dir.js';
import { buildSearchEnsemble, checkSearchEnsemble } from './search-ensemble.js';
import { formatValue } from './space.js';

export interface SearchRunOptions {
  /** Continue the search in the search directory: finished rungs and trials are kept, unfinished trials continue from their checkpoints. */
  resume: boolean;
  /** Compute backend description, stored with the model. */
  backend: Record<string, unknown>;
  log: (line: string) => void;
  /** Aborting it (Ctrl-C) stops running trials after their epoch, checkpointed; the search then ends with InterruptedError. */
  signal?: AbortSignal;
}

export interface SearchResult {
  paths: SearchPaths;
  leaderboard: Leaderboard;
  best: LeaderboardRow;
  /** The winner's evaluation on the test split. */
  evaluation: Evaluation;
  /** The search's model directory: the winner's, or the ensemble of the top trials. */
  modelDir: string;
  /** With `ensemble`: the member trials, best first, and the ensemble's estimates on the test rows. */
  ensemble?: { members: string[]; evaluation?: EnsembleEvaluation };
}

/** What `search.json` records; --resume refuses a search whose identity changed. */
interface SearchRecord {
  format: 'xlatent-search';
  version: 1;
  identity: Record<string, unknown>;
  searchSha256: string;
}

/**
 * Prepared data per distinct data configuration (seed, data, preprocess:
 * what the split, grid and normalization depend on), with its hash: trials
 * that search only network, loss or optimizer fields share one copy.
 */
export class SearchData {
  private readonly cache = new Map<string, Promise<{ data: PreparedData; dataSha256: string }>>();

  get(cfg: TrainConfig): Promise<{ data: PreparedData; dataSha256: string }> {
    const key = canonicalJson({ seed: cfg.seed, data: cfg.data, preprocess: cfg.preprocess ?? null });
    let entry = this.cache.get(key);
    if (!entry) {
      entry = prepareData(cfg).then((data) => ({ data, dataSha256: datasetSha256(data.dataset) }));
      this.cache.set(key, entry);
    }
    return entry;
  }

  async identity(cfg: TrainConfig): Promise<RunIdentity> {
    return runIdentityWith(cfg, (await this.get(cfg)).dataSha256);
  }
}

const shown = (t: SearchTrial) => Object.entries(t.params).map(([p, v]) => `${p}=${formatValue(v)}`).join(', ');

/**
 * Loads the data of every trial and checks each trial's config against it
 * (memory, latent size, discrete descriptors, split), before anything is
 * written or launched. Returns the data and the warnings, one per distinct text.
 */
export async function preflight(plan: SearchPlan): Promise<{ data: SearchData; warnings: string[] }> {
  const data = new SearchData();
  const warnings = new Set<string>();
  const prepared = new Map<string, PreparedData>();
  for (const t of plan.trials) {
    try {
      const { data: d } = await data.get(t.cfg);
      prepared.set(t.id, d);
      checkConfigForData(t.cfg, d.dataset);
      for (const w of [...d.warnings, ...checkTrainingData(t.cfg, d)]) warnings.add(w);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`trial ${t.id} (${shown(t)}): ${e.message}`, plan.file);
      throw e;
    }
  }
  for (const w of checkSearchEnsemble(plan, prepared)) warnings.add(w);
  return { data, warnings: [...warnings] };
}

/** What makes two searches the same: their trials (drawn values and full base config), budgets and sampler. */
function searchIdentity(plan: SearchPlan): Record<string, unknown> {
  return {
    sampler: plan.spec.sampler,
    seed: plan.spec.seed,
    budgets: plan.budgets,
    reduction: plan.reduction,
    base: identityConfig(plan.base),
    trials: Object.fromEntries(plan.trials.map((t) => [t.id, t.params])),
    xlatentVersion: xlatentVersion(),
  };
}

/** Refuses a second search into a directory that holds one, and a --resume of a different search. */
function checkResumable(recorded: SearchRecord | undefined, identity: Record<string, unknown>, paths: SearchPaths, resume: boolean): void {
  if (!recorded) return;
  if (!resume) throw new UserError('holds a search already; continue it with --resume, or choose another --out', paths.out);
  const where = paths.searchJson;
  const changed = changedFields(recorded.identity, identity);
  if (changed.length > 0) {
    throw new UserError(
      `--resume: this search file describes another search than the one in this directory (${changed.slice(0, 3).join('; ')}${changed.length > 3 ? `; and ${changed.length - 3} more` : ''}); run without --resume into another --out`,
      where,
    );
  }
}

/** Points `path` at `target` (relative) by a link renamed into place. */
function linkInto(path: string, target: string): boolean {
  const tmp = join(path, '..', temporaryName('model'));
  try {
    symlinkSync(target, tmp, 'dir');
    renameSync(tmp, path);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * The whole `xlatent search`: every drawn config checked against its data;
 * the directory locked; search.json written (or, with --resume, compared);
 * then rung by rung the trials of the rung are trained through the launcher
 * (local processes or a Slurm job array), their results gathered from the
 * shared directory and checked (config hash, data hash, xlatent version),
 * recorded, ranked, and the best 1/reduction promoted: they continue from
 * their checkpoints with the next budget. Finally the leaderboard, the best
 * config as a plain training config, and the winner's model directory.
 */
export async function runSearch(plan: SearchPlan, opts: SearchRunOptions): Promise<SearchResult> {
  const paths = searchPaths(plan.out);
  const identity = searchIdentity(plan);
  // Checked again under the lock; first here, so that a wrong directory is refused before the data is loaded.
  checkResumable(readJsonIfExists<SearchRecord>(paths.searchJson), identity, paths, opts.resume);
  const { data, warnings } = await preflight(plan);
  for (const w of warnings) opts.log(`warning: ${w}`);
  const lock = await lockDir(paths.out, { busy: 'another xlatent search is running in this directory', hint: 'wait for it to finish or choose another --out', what: 'xlatent search' });
  try {
    if (opts.signal?.aborted) throw new InterruptedError('stopped before the search started; nothing was changed');
    if (!lock.held) opts.log(`warning: this search directory is not locked against a second search (${lock.why})`);
    else removeAtomicTemps(paths.out);
    const recorded = readJsonIfExists<SearchRecord>(paths.searchJson);
    checkResumable(recorded, identity, paths, opts.resume);
    if (!recorded && opts.resume) opts.log(`note: nothing to resume in ${paths.out}; starting afresh`);
    if (!recorded) {
      const searchRecord = { format: 'xlatent-search', version: 1, identity, searchSha256: sha256Hex(canonicalJson(identity)), file: resolve(plan.file), environment: environmentInfo(), started: new Date().toISOString() };
      writeJsonAtomic(paths.searchJson, searchRecord);
    }
    for (const t of plan.trials) {
      writeJsonAtomic(join(searchTrialDir(paths, t.id), 'sample.json'), { trial: t.id, index: t.index, params: t.params, sampleSeed: t.sampleSeed, searchSeed: plan.spec.seed, trainingSeed: t.cfg.seed });
    }
    opts.log(
      `search: ${plan.trials.length} trials (${plan.spec.sampler}) over ${plan.space.map(([p]) => p).join(', ')}; ` +
        (plan.budgets.length > 1 ? `successive halving, rungs of ${plan.budgets.join(', ')} epochs keeping 1/${plan.reduction}` : `${plan.budgets[0]} epochs each`) +
        `; ${dataSourceName(plan.base.data)}`,
    );
    const records: Map<string, RungRecord>[] = [];
    const promoted: Set<string>[] = [];
    let active = plan.trials;
    for (let r = 0; r < plan.budgets.length; r++) {
      records[r] = await runRung(plan, paths, data, r, active, records, opts);
      writeLeaderboard(plan, paths, records, promoted);
      if (r === plan.budgets.length - 1) break;
      const scores = active.map((t) => ({ index: t.index, score: records[r].get(t.id)!.score }));
      promoted[r] = new Set(promote(scores, plan.reduction).map((i) => plan.trials[i].id));
      active = plan.trials.filter((t) => promoted[r].has(t.id));
      opts.log(`rung ${r}: ${active.map((t) => t.id).join(', ')} go on to ${plan.budgets[r + 1]} epochs`);
    }
    const leaderboard = writeLeaderboard(plan, paths, records, promoted);
    const best = leaderboard.rows[0];
    const winner = plan.trials[best.index];
    const cfg = rungConfig(winner, best.epochs);
    writeBestConfig(paths, cfg, best, plan);
    if (plan.spec.ensemble) {
      const built = await buildSearchEnsemble(plan, paths, leaderboard, { ...opts, prepare: async (c) => (await data.get(c)).data });
      if (!linkInto(paths.model, relative(paths.out, paths.ensemble))) opts.log(`note: could not link ${paths.model}; the model is ${paths.ensemble}`);
      return { paths, leaderboard, best, evaluation: built.evaluation, modelDir: paths.ensemble, ensemble: { members: built.trials, evaluation: built.ensembleEvaluation } };
    }
    const { data: prepared } = await data.get(cfg);
    const final = await finalizeRun(cfg, prepared, records[best.rungs - 1].get(winner.id)!.results, { resume: false, backend: opts.backend, log: opts.log });
    const modelDir = runPaths(cfg.output).model;
    if (!linkInto(paths.model, relative(paths.out, modelDir))) opts.log(`note: could not link ${paths.model}; the model is ${modelDir}`);
    else if (existsSync(paths.ensemble)) {
      // An ensemble of an earlier run of this search (whose file has since dropped the section) is no model of it now.
      rmSync(paths.ensemble, { recursive: true, force: true });
      opts.log(`removed ${paths.ensemble}: the search file no longer asks for an ensemble, and ${paths.model} is the winner's model`);
    }
    return { paths, leaderboard, best, evaluation: final.evaluation, modelDir };
  } finally {
    await lock.release();
  }
}

/** Trains (or gathers) one rung: returns each active trial's record. */
async function runRung(
  plan: SearchPlan,
  paths: SearchPaths,
  data: SearchData,
  r: number,
  active: SearchTrial[],
  records: Map<string, RungRecord>[],
  opts: SearchRunOptions,
): Promise<Map<string, RungRecord>> {
  const epochs = plan.budgets[r];
  const done = new Map<string, RungRecord>();
  const units: TrialUnit[] = [];
  const expected = new Map<string, RunIdentity>();
  for (const t of active) {
    const cfg = rungConfig(t, epochs);
    const identity = await data.identity(cfg);
    expected.set(t.id, identity);
    const recordPath = rungRecordPath(paths, t.id, r);
    const rec = readJsonIfExists<RungRecord>(recordPath);
    if (rec) {
      for (const res of rec.results) checkSameIdentity(res, identity, recordPath);
      done.set(t.id, rec);
      continue;
    }
    const run = runPaths(cfg.output);
    mkdirSync(run.out, { recursive: true });
    writeJsonAtomic(run.resolvedConfig, cfg);
    writeJsonAtomic(run.runJson, { config: cfg, identity, search: { file: resolve(plan.file), trial: t.id, rung: r, epochs }, data: { source: dataSourceName(cfg.data) }, environment: environmentInfo(), backend: opts.backend });
    for (let j = 0; j < cfg.training.trials; j++) {
      const dir = trialDir(run, j);
      const res = readTrialResult(dir);
      if (res && sameIdentity(res, identity)) continue;
      if (res && archivedEarlier(res, t.id, j, r, records)) rmSync(join(dir, TRIAL_RESULT_FILE)); // promoted: it continues past that rung
      else if (res) checkSameIdentity(res, identity, join(dir, TRIAL_RESULT_FILE));
      const label = cfg.training.trials > 1 ? `${t.id}/seed ${cfg.seed + j}` : t.id;
      units.push({ cfg, configPath: run.resolvedConfig, trial: j, label, name: label });
    }
  }
  const trained = active.length - done.size - new Set(units.map((u) => u.cfg.output)).size;
  opts.log(`rung ${r}: ${active.length} trial${active.length > 1 ? 's' : ''} x ${epochs} epochs${done.size + trained > 0 ? ` (${done.size + trained} already trained)` : ''}`);
  if (units.length > 0) {
    const launcher = makeLauncher(plan, paths, data, units.length);
    if (plan.spec.launcher.kind === 'slurm' || units.length > 1) opts.log(`rung ${r}: running ${units.length} in ${launcher.description}`);
    const outcomes = await launcher.run({ units, resume: true, name: `rung-${r}` }, { log: opts.log, signal: opts.signal });
    checkRungOutcomes(outcomes, r, plan);
  }
  for (const t of active) {
    if (done.has(t.id)) continue;
    const cfg = rungConfig(t, epochs);
    const results = gatherTrialResults(runPaths(cfg.output), Array.from({ length: cfg.training.trials }, (_, j) => j), expected.get(t.id)!);
    const rec = rungRecord(t.id, r, epochs, results);
    writeJsonAtomic(rungRecordPath(paths, t.id, r), rec);
    done.set(t.id, rec);
  }
  return done;
}

/** True when `res` is seed trial j's result of an earlier rung of this trial, already kept in that rung's record. */
function archivedEarlier(res: Partial<RunIdentity>, id: string, j: number, r: number, records: Map<string, RungRecord>[]): boolean {
  for (let q = 0; q < r; q++) {
    const kept = records[q]?.get(id)?.results[j];
    if (kept && sameIdentity(res, kept)) return true;
  }
  return false;
}

function makeLauncher(plan: SearchPlan, paths: SearchPaths, data: SearchData, units: number): Launcher {
  const l = plan.spec.launcher;
  if (l.kind === 'slurm') return new SlurmLauncher(l.slurm, paths.slurm);
  const workers = workerCount(l.workers, units);
  if (workers > 1) return new ProcessLauncher(workers);
  return new InProcessLauncher(async (cfg) => ({ data: (await data.get(cfg)).data, identity: await data.identity(cfg) }));
}

/** Throws when a trial of the rung did not finish: failures (exit 2) before stops (exit 130); both say how to continue. */
function checkRungOutcomes(outcomes: TrialOutcome[], r: number, plan: SearchPlan): void {
  const cont = `continue with \`xlatent search --config ${plan.file} --resume\` (finished trials are kept, the others continue from their checkpoints)`;
  const failed = outcomes.filter((o) => o.state === 'failed');
  if (failed.length > 0) throw new UserError(`rung ${r}: ${failed.map((f) => (f.state === 'failed' ? f.message : '')).join('; ')}; ${cont}`);
  const stopped = outcomes.filter((o) => o.state === 'stopped');
  if (stopped.length > 0) {
    const why = stopped.map((o) => (o.state === 'stopped' && o.message ? o.message : `${o.unit.label} stopped`)).join('; ');
    throw new InterruptedError(`rung ${r}: ${why}; ${cont}`);
  }
}

/** Validation score per epoch of each trial's best seed, from its metrics.jsonl (trials not yet trained have none). */
function scoreCurves(plan: SearchPlan, lb: Leaderboard): Map<string, ScoreCurve> {
  const curves = new Map<string, ScoreCurve>();
  for (const row of lb.rows) {
    if (row.seed === null) continue;
    const cfg = plan.trials[row.index].cfg;
    const file = join(trialDir(runPaths(cfg.output), row.seed - cfg.seed), 'metrics.jsonl');
    if (!existsSync(file)) continue;
    const lines = readMetricsFile(file).filter((l) => l.epoch <= row.epochs);
    curves.set(row.trial, { epochs: lines.map((l) => l.epoch), scores: lines.map((l) => l.score ?? NaN) });
  }
  return curves;
}

function writeLeaderboard(plan: SearchPlan, paths: SearchPaths, records: Map<string, RungRecord>[], promoted: Set<string>[]): Leaderboard {
  const lb = buildLeaderboard(plan, records, promoted);
  writeJsonAtomic(paths.leaderboardJson, lb);
  writeFileAtomic(paths.leaderboardCsv, leaderboardCsv(lb));
  writeFileAtomic(paths.leaderboardHtml, leaderboardPage(lb, { title: `xlatent search: ${plan.file}`, base: plan.base, curves: scoreCurves(plan, lb) }));
  return lb;
}

/** The winner as a plain training config: `xlatent train --config best-config.yaml` trains exactly that trial again. */
function writeBestConfig(paths: SearchPaths, cfg: TrainConfig, best: LeaderboardRow, plan: SearchPlan): void {
  const plain = JSON.parse(JSON.stringify({ ...cfg, output: 'best-run' })) as Record<string, unknown>;
  const header = [
    `# Best configuration of the search ${resolve(plan.file)}`,
    `# trial ${best.trial}: validation score ${best.score ?? 'none'} at ${best.epochs} epochs (best epoch ${best.bestEpoch ?? '-'}), rank 1 of ${plan.trials.length}`,
    `# searched: ${Object.entries(best.params).map(([p, v]) => `${p} = ${formatValue(v)}`).join(', ')}`,
    '# Re-run it with: xlatent train --config best-config.yaml  (same seed, same epochs: the same model)',
  ];
  // Comment lines stay comment lines whatever a path or value holds (a line break would start a setting).
  writeFileAtomic(paths.bestConfig, header.map((l) => terminalSafe(l)).join('\n') + '\n' + stringify(plain));
}
