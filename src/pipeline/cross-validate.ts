import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import { csvField } from '../data/formats/csv-table.js';
import { runModel } from '../export/ensemble.js';
import { readModelDir } from '../export/model-dir.js';
import { scoreEstimates, type EstimateScores } from '../metrics/estimates.js';
import type { Evaluation } from '../metrics/evaluation.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { check } from '../util/errors.js';
import { InterruptedError } from '../util/exit.js';
import type { Launcher } from './launcher.js';
import { ProcessLauncher, workerCount } from './local-launchers.js';
import { prepareData } from './prepare-data.js';
import { runTraining, type RunOptions } from './train-run.js';

/**
 * k-fold cross-validation (`xlatent cv`): for small labelled sets (tens of
 * spectra), where one split's test part is too small to trust, every
 * spectrum is tested once by a model that never saw it.
 *
 * The rows are shuffled by the config's seed and cut into k folds
 * (data.split `{folds, fold, validation}`, src/data/split.ts). Fold f is a
 * normal training run in OUT/fold-<f> (its own config, trials, model and
 * evaluation; resumable) whose test part is fold f and whose validation
 * part is a fraction of the other rows: the config's validation share of
 * its train + validation rows. Folds start through the same launchers as
 * trials, so with several workers they train in parallel worker processes.
 *
 * Reported per descriptor:
 * - per fold, from each fold's evaluation of its test rows: Spearman and
 *   R^2 (linear fit) of the constrained axis against the descriptor and, for
 *   discrete descriptors, the threshold classifier's accuracy; their mean
 *   and standard deviation across folds (folds where a score is undefined,
 *   e.g. a fold whose labels are all equal, are left out and counted);
 * - out of fold: the calibrated estimates (ensemble means when a fold's
 *   model is an ensemble) of every spectrum by the model of its fold, pooled
 *   over all folds and scored once (Spearman, R^2 of the estimates as
 *   predictions, MAE, nearest-level accuracy), and the threshold
 *   classifier's accuracy pooled over the folds' confusion matrices.
 */

/** Options of {@link runCrossValidation}. */
export interface CrossValidationOptions extends Pick<RunOptions, 'backend' | 'log' | 'signal'> {
  /** Number of folds (>= 2, at most the number of spectra). */
  folds: number;
  /** Continue folds from their checkpoints (finished folds are kept); Ctrl-C (`signal`) stops running folds at the end of their epoch, checkpointed. */
  resume?: boolean;
}

/** Mean, standard deviation (n - 1) and count of the defined values of one score across folds. */
export interface FoldSpread {
  mean: number;
  std: number;
  /** Folds where the score was defined. */
  folds: number;
  values: (number | null)[];
}

/** The scores of one descriptor. */
export interface DescriptorCv {
  perFold: { spearman: FoldSpread; r2: FoldSpread; accuracy?: FoldSpread };
  outOfFold: EstimateScores & { classifierAccuracy?: number };
}

/** What cv.json holds. */
export interface CrossValidation {
  folds: number;
  /** Spectra (each tested once). */
  n: number;
  seed: number;
  /** Fold run directories. */
  runs: string[];
  /** Rows per fold. */
  sizes: { train: number; validation: number; test: number }[];
  descriptors: Record<string, DescriptorCv>;
  /** Out-of-fold spectra flagged out of distribution by their fold's model. */
  oodFlagged: number;
}

function spreadOf(values: number[]): FoldSpread {
  const ok = values.filter(Number.isFinite);
  const mean = ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
  const std = ok.length > 1 ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (ok.length - 1)) : NaN;
  return { mean, std, folds: ok.length, values: values.map((v) => (Number.isFinite(v) ? v : null)) };
}

/** The validation share of the non-test rows a fold keeps, from the config's split. */
function foldValidation(cfg: TrainConfig): number {
  const s = cfg.data.split;
  if ('folds' in s) return s.validation;
  return s.train + s.validation > 0 ? s.validation / (s.train + s.validation) : 0;
}

/** The config of fold f: same everything, its own split and run directory. */
export function foldConfig(cfg: TrainConfig, folds: number, fold: number): TrainConfig {
  const out = structuredClone(cfg);
  out.data.split = { folds, fold, validation: foldValidation(cfg) };
  out.output = join(cfg.output, `fold-${fold}`);
  return out;
}

/** Runs `jobs` with at most `limit` at a time; every job settles before the first error is thrown. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: PromiseSettledResult<T>[] = new Array(jobs.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    for (let j = next++; j < jobs.length; j = next++) {
      results[j] = await jobs[j]().then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  });
  await Promise.all(lanes);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  // A real failure speaks before an interruption.
  const first = failed.find((r) => !(r.reason instanceof InterruptedError)) ?? failed[0];
  if (first) throw first.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * Trains one model per fold and scores them out of fold (see the module
 * comment); writes OUT/cv.json, OUT/cv.csv (one row per spectrum: its fold,
 * labels, out-of-fold estimates and OOD flag) and OUT/cv.md (the table).
 */
export async function runCrossValidation(cfg: TrainConfig, opts: CrossValidationOptions): Promise<CrossValidation> {
  const { folds } = opts;
  check(Number.isInteger(folds) && folds >= 2, `--folds must be an integer >= 2, got ${folds}`);
  const configs = Array.from({ length: folds }, (_, f) => foldConfig(cfg, folds, f));
  // Checked before any fold trains: the split of every fold is valid for this data.
  const first = await prepareData(configs[0]);
  check(first.dataset.n >= folds, `${folds} folds need at least ${folds} spectra, found ${first.dataset.n}`, '--folds');
  mkdirSync(cfg.output, { recursive: true });
  const workers = workerCount(cfg.training.workers, folds * cfg.training.trials);
  // Worker processes share the cores: folds run side by side, each with its trials, never more processes than workers.
  const launcher: Launcher | undefined = workers > 1 ? new ProcessLauncher(workers) : undefined;
  const concurrent = workers > 1 ? Math.max(1, Math.floor(workers / Math.min(cfg.training.trials, workers))) : 1;
  opts.log(`cross-validation: ${folds} folds of ${first.dataset.n} spectra${launcher ? `, up to ${concurrent} at a time in ${launcher.description}` : ''}`);
  const runs = await pool(
    configs.map((foldCfg, f) => () =>
      runTraining(foldCfg, {
        resume: opts.resume ?? false,
        backend: opts.backend,
        log: (line) => opts.log(`fold ${f}: ${line}`),
        signal: opts.signal,
        launcher,
      }),
    ),
    concurrent,
  );
  // Out of fold: each fold's test rows through its own model (ensemble-aware), pooled.
  const names = cfg.data.descriptors;
  const k = names.length;
  const rows: { id: string; fold: number; labels: number[]; pred: number[]; spread: number[]; flag: number }[] = [];
  const sizes: CrossValidation['sizes'] = [];
  const levels = new Map<string, Set<number>>();
  for (let f = 0; f < folds; f++) {
    const data = f === 0 ? first : await prepareData(configs[f]);
    sizes.push({ train: data.train.n, validation: data.validation.n, test: data.test.n });
    const model = await readModelDir(runs[f].paths.model);
    for (const c of model.metadata.calibration) for (const l of c.levels ?? []) (levels.get(c.descriptor) ?? levels.set(c.descriptor, new Set()).get(c.descriptor)!).add(l);
    const out = runModel(model, data.test.x, data.test.n, data.test.m);
    Array.from(data.split.test).forEach((row, i) => {
      rows.push({
        id: data.dataset.ids[row],
        fold: f,
        labels: names.map((_, j) => data.test.y[i * k + j]),
        pred: names.map((nm) => out.predicted[nm]?.[i] ?? NaN),
        spread: names.map((nm) => out.spread?.[nm]?.[i] ?? NaN),
        flag: out.ood ? out.ood.flag[i] : NaN,
      });
    });
  }
  const evaluations: Evaluation[] = runs.map((r) => r.evaluation);
  const descriptors: Record<string, DescriptorCv> = {};
  names.forEach((name, j) => {
    const scores = evaluations.map((ev) => ev.descriptors[name]);
    const discrete = cfg.data.discrete.includes(name);
    const perFold: DescriptorCv['perFold'] = {
      spearman: spreadOf(scores.map((s) => s?.spearman ?? NaN)),
      r2: spreadOf(scores.map((s) => s?.r2 ?? NaN)),
    };
    if (discrete) perFold.accuracy = spreadOf(scores.map((s) => s?.classifier?.accuracy ?? NaN));
    const lv = levels.get(name);
    const outOfFold: DescriptorCv['outOfFold'] = scoreEstimates(
      rows.map((r) => r.pred[j]),
      rows.map((r) => r.labels[j]),
      cfg.training.trials > 1 ? rows.map((r) => r.spread[j]) : undefined,
      discrete && lv ? [...lv].sort((a, b) => a - b) : undefined,
    );
    if (discrete) {
      let right = 0;
      let total = 0;
      for (const s of scores) {
        s?.classifier?.confusion.forEach((row, i) => row.forEach((c, jj) => ((total += c), i === jj && (right += c))));
      }
      outOfFold.classifierAccuracy = total > 0 ? right / total : NaN;
    }
    descriptors[name] = { perFold, outOfFold };
  });
  const result: CrossValidation = {
    folds,
    n: rows.length,
    seed: cfg.seed,
    runs: runs.map((r) => r.paths.out),
    sizes,
    descriptors,
    oodFlagged: rows.reduce((s, r) => s + (r.flag === 1 ? 1 : 0), 0),
  };
  writeJsonAtomic(join(cfg.output, 'cv.json'), result);
  const header = ['id', 'fold', ...names.flatMap((nm) => [`label_${nm}`, `pred_${nm}`, ...(cfg.training.trials > 1 ? [`pred_${nm}_std`] : [])]), 'ood_flag'];
  const cell = (v: number) => (Number.isFinite(v) ? String(v) : '');
  const csv = rows
    .sort((a, b) => a.fold - b.fold)
    .map((r) => [csvField(r.id), String(r.fold), ...names.flatMap((_, j) => [cell(r.labels[j]), cell(r.pred[j]), ...(cfg.training.trials > 1 ? [cell(r.spread[j])] : [])]), cell(r.flag)].join(','));
  writeFileAtomic(join(cfg.output, 'cv.csv'), [header.join(','), ...csv].join('\n') + '\n');
  writeFileAtomic(join(cfg.output, 'cv.md'), formatCrossValidation(result) + '\n');
  return result;
}

/** The cv table (Markdown, also what `xlatent cv` prints). */
export function formatCrossValidation(cv: CrossValidation): string {
  const f = (x: number | undefined, p = 3) => (x !== undefined && Number.isFinite(x) ? x.toFixed(p) : 'n/a');
  const pm = (s: FoldSpread | undefined) => (s ? `${f(s.mean)} ± ${f(s.std)}${s.folds < cv.folds ? ` (${s.folds} folds)` : ''}` : '-');
  const lines = [
    `Cross-validation: ${cv.folds} folds over ${cv.n} spectra (seed ${cv.seed}); each spectrum tested once, by the model of its fold`,
    '',
    '| descriptor | Spearman per fold | R² per fold | accuracy per fold | out-of-fold Spearman | out-of-fold R² | out-of-fold MAE | out-of-fold accuracy |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, d] of Object.entries(cv.descriptors)) {
    const o = d.outOfFold;
    const acc = o.classifierAccuracy !== undefined ? `${f(o.classifierAccuracy)} (thresholds), ${f(o.accuracy)} (nearest level)` : '-';
    lines.push(`| ${name} | ${pm(d.perFold.spearman)} | ${pm(d.perFold.r2)} | ${pm(d.perFold.accuracy)} | ${f(o.spearman)} | ${f(o.r2)} | ${f(o.mae, 4)} | ${acc} |`);
  }
  lines.push(
    '',
    'Per fold: the constrained axis against the descriptor on the fold\'s test spectra (mean ± std across folds; R² of a linear fit; accuracy of the threshold classifier).',
    'Out of fold: the calibrated estimates of all spectra pooled (R² of the estimates as predictions).',
    `Out-of-fold spectra flagged out of distribution: ${cv.oodFlagged} of ${cv.n}.`,
  );
  return lines.join('\n');
}
