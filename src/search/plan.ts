import { dirname, isAbsolute, join, resolve } from 'node:path';
import { keysAt, loadTrainConfig, readConfigFile, resolveConfigPaths, schemaAt, validate } from '../config/load.js';
import { TrainConfigSchema, type TrainConfig } from '../config/schema.js';
import { UserError, at } from '../util/errors.js';
import { rungBudgets } from './halving.js';
import { SearchSchema, type Domain, type SearchSpec } from './schema.js';
import { drawRandom, formatValue, gridCombinations, sampleSeed, setPath, sortedSpace, type Params, type Space } from './space.js';

/** One configuration of a search. */
export interface SearchTrial {
  /** Its name and folder, e.g. "t-03". */
  id: string;
  /** Draw index (the sampler's trial number, and the tie-breaker of equal scores). */
  index: number;
  /** The searched values. */
  params: Params;
  /** Seed of this trial's draws (random sampling); null in a grid. */
  sampleSeed: number | null;
  /** The training config: the base config with `params` set; cfg.output is the trial's run folder, training.epochs its largest budget. */
  cfg: TrainConfig;
}

/** A search file read, checked and expanded into its trials. */
export interface SearchPlan {
  /** The search file, as given. */
  file: string;
  spec: SearchSpec;
  /** The base training config (paths resolved). */
  base: TrainConfig;
  /** Search directory. */
  out: string;
  space: Space;
  /** Epochs of each rung; one rung (the base config's epochs) without halving. */
  budgets: number[];
  /** A rung keeps the best 1/reduction of its trials (1 without halving: one rung). */
  reduction: number;
  trials: SearchTrial[];
  /** file:line of the `ensemble` section (where its refusals point). */
  ensembleAt: string;
}

/**
 * Fields a search may not set, and why: they do not change the numbers
 * (output, backend, workers, checkpoints) or they would make trials
 * incomparable (seed: the split follows it).
 */
const FORBIDDEN: Record<string, string> = {
  seed: 'the split follows the seed, so trials with other seeds would be scored on other validation rows; set the seed in the base config',
  output: 'each trial trains in its own folder of the search directory',
  backend: 'the backend does not change what is learnt; set it in the base config or with --backend',
  'training.workers': 'it does not change the numbers',
  'training.checkpointEvery': 'it does not change the numbers',
  'training.trials': 'set the seeds per configuration in the base config',
};

/** Checks one searched path and its values against the training config schema; `where` is file:line. */
function checkDomain(path: string, d: Domain, halving: boolean, line: string): void {
  const where = `${line}: space.${path}`;
  const keys = path.split('.');
  if (keys.some((k) => k === '')) throw new UserError('not a dotted path such as network.hidden', where);
  const why = FORBIDDEN[path];
  if (why) throw new UserError(`cannot be searched: ${why}`, where);
  if (halving && path === 'training.epochs') throw new UserError('cannot be searched with halving: the rungs set the epochs', where);
  const field = schemaAt(TrainConfigSchema, keys);
  if (!field) {
    let known = 0;
    while (known < keys.length && schemaAt(TrainConfigSchema, keys.slice(0, known + 1))) known++;
    const parent = keys.slice(0, known);
    const has = keysAt(TrainConfigSchema, parent);
    throw new UserError(`not a field of the training config: ${parent.length ? parent.join('.') : 'the top level'} has ${has ? has.join(', ') : 'no fields'}`, where);
  }
  const values: unknown[] = d.choice ?? [...(d.range ?? d.logRange ?? d.intRange!)];
  for (const v of values) {
    const r = field.safeParse(v);
    if (!r.success) throw new UserError(`${formatValue(v)} is not a value of ${path}: ${r.error.issues[0].message}`, where);
  }
  const real = d.range ?? d.logRange;
  if (real) {
    const probe = field.safeParse((real[0] + real[1]) / 2 + 1e-9);
    if (!probe.success) throw new UserError(`does not take the real numbers a range draws (${probe.error.issues[0].message}); use intRange or choice`, where);
  }
}

/** Trial names: t-0 .. t-9, or t-00 .. t-99 and so on, so they sort in draw order. */
function trialIds(n: number): string[] {
  const width = Math.max(2, String(n - 1).length);
  return Array.from({ length: n }, (_, i) => `t-${String(i).padStart(width, '0')}`);
}

export interface PlanOverrides {
  /** Search directory instead of the file's `output`. */
  out?: string;
  /** Backend instead of the base config's (does not change the numbers). */
  backend?: TrainConfig['backend'];
  /** Launcher instead of the file's `launcher.kind`. */
  launcher?: 'local' | 'slurm';
  /** Local worker processes instead of the file's `launcher.workers`. */
  workers?: number;
}

/**
 * Reads a search file and expands it into trials, each validated as a
 * training config before anything runs: the search file against its strict
 * schema (errors name the file, line and key), every searched path and value
 * against the training config's schema (the line of the path), then every
 * drawn config as a whole (the trial and its values).
 */
export function planSearch(file: string, overrides: PlanOverrides = {}): SearchPlan {
  const doc = readConfigFile(file);
  const spec = validate(doc.raw, SearchSchema, file, doc.lineOf);
  if (overrides.launcher) spec.launcher.kind = overrides.launcher;
  if (overrides.workers !== undefined) spec.launcher.workers = overrides.workers;
  const dir = dirname(resolve(file));
  const baseFile = isAbsolute(spec.base) ? spec.base : resolve(dir, spec.base);
  const base = loadTrainConfig(baseFile);
  if (overrides.backend) base.backend = overrides.backend;
  const out = resolve(overrides.out ?? (isAbsolute(spec.output) ? spec.output : resolve(dir, spec.output)));
  const space = sortedSpace(spec.space);
  for (const [path, d] of space) checkDomain(path, d, spec.halving !== undefined, at(file, doc.lineOf(['space', path])));
  for (const [a] of space) {
    const inside = space.find(([b]) => b.startsWith(a + '.'));
    if (inside) throw new UserError(`space names both ${a} and ${inside[0]}, which lies inside it`, at(file, doc.lineOf(['space', inside[0]])));
  }
  let budgets = [base.training.epochs];
  let reduction = 1;
  if (spec.halving) {
    const h = spec.halving;
    const max = h.maxEpochs ?? base.training.epochs;
    if (h.minEpochs > max) throw new UserError(`minEpochs ${h.minEpochs} is above maxEpochs ${max}${h.maxEpochs === undefined ? ' (the base config\'s training.epochs)' : ''}`, at(file, doc.lineOf(['halving', 'minEpochs'])));
    budgets = rungBudgets(h.minEpochs, max, h.reduction);
    reduction = h.reduction;
  }
  const draws = spec.sampler === 'grid' ? gridCombinations(space) : Array.from({ length: spec.trials! }, (_, i) => drawRandom(space, spec.seed, i));
  const ensembleAt = at(file, doc.lineOf(['ensemble', 'top']));
  if (spec.ensemble && spec.ensemble.top > draws.length) {
    throw new UserError(`ensemble.top ${spec.ensemble.top} asks for more members than the search has trials (${draws.length})`, ensembleAt);
  }
  const ids = trialIds(draws.length);
  const trials = draws.map((params, index): SearchTrial => {
    const id = ids[index];
    const raw = structuredClone(base) as unknown as Record<string, unknown>;
    for (const [path, v] of Object.entries(params)) setPath(raw, path, v);
    setPath(raw, 'output', join(out, 'trials', id));
    setPath(raw, 'training.epochs', budgets[budgets.length - 1]);
    const shown = Object.entries(params).map(([p, v]) => `${p}=${formatValue(v)}`).join(', ');
    const cfg = validate(raw, TrainConfigSchema, `${file}: trial ${id} (${shown})`);
    resolveConfigPaths(cfg, dir);
    return { id, index, params, sampleSeed: spec.sampler === 'random' ? sampleSeed(spec.seed, index) : null, cfg };
  });
  return { file, spec, base, out, space, budgets, reduction, trials, ensembleAt };
}

/** A trial's config for one rung: its epochs set to the rung's budget. */
export function rungConfig(trial: SearchTrial, epochs: number): TrainConfig {
  const cfg = structuredClone(trial.cfg);
  cfg.training.epochs = epochs;
  return cfg;
}
