import type { TrainConfig } from '../config/schema.js';
import { buildEnsembleModel, ensembleFace, ensembleMismatch, type BuiltModel } from '../pipeline/ensemble.js';
import type { PreparedData } from '../pipeline/prepare-data.js';
import { runPaths, trialDir } from '../pipeline/run-dir.js';
import { UserError } from '../util/errors.js';
import { promotedCount } from './halving.js';
import { ensembleMembers, RANKING_RULE, type Leaderboard } from './leaderboard.js';
import type { SearchPlan } from './plan.js';
import type { SearchPaths } from './search-dir.js';

/**
 * The search file's `ensemble: { top: k }`: the first k rows of the
 * leaderboard, each by the seed trial that gave its score, become one
 * ensemble model directory (src/pipeline/ensemble.ts). The members are read
 * from their trial folders only, so trials trained by any launcher (worker
 * processes here, Slurm array tasks on other nodes writing to the shared
 * search directory) join alike; buildEnsembleModel checks each folder's
 * config and data hashes and version and refuses mixtures.
 */

/**
 * Refuses, before anything trains, an ensemble over trials whose networks
 * would take spectra differently (a searched grid, preprocessing, split or
 * normalization field); returns a note when members would come from earlier
 * rungs of successive halving (fewer epochs).
 */
export function checkSearchEnsemble(plan: SearchPlan, prepared: Map<string, PreparedData>): string[] {
  const top = plan.spec.ensemble?.top;
  if (top === undefined) return [];
  const [first, ...rest] = plan.trials;
  const ref = ensembleFace(first.cfg, prepared.get(first.id)!);
  for (const t of rest) {
    const why = ensembleMismatch(ensembleFace(t.cfg, prepared.get(t.id)!), ref);
    if (why) {
      throw new UserError(
        `ensemble: trials ${first.id} and ${t.id} cannot form one ensemble: ${why}; search only fields that leave the data, preprocessing and normalization alike, or drop the ensemble section`,
        plan.ensembleAt,
      );
    }
  }
  let last = plan.trials.length;
  for (let r = 1; r < plan.budgets.length; r++) last = promotedCount(last, plan.reduction);
  if (top <= last) return [];
  return [
    `ensemble.top ${top}: successive halving takes ${last} trial${last === 1 ? '' : 's'} to the last rung (${plan.budgets[plan.budgets.length - 1]} epochs); the other members are trials it halted after fewer epochs`,
  ];
}

/** Writes the ensemble of the leaderboard's top trials to OUT/ensemble; returns the model and its members' trial names, best first. */
export async function buildSearchEnsemble(
  plan: SearchPlan,
  paths: SearchPaths,
  lb: Leaderboard,
  opts: { backend: Record<string, unknown>; log: (line: string) => void; prepare: (cfg: TrainConfig) => Promise<PreparedData> },
): Promise<BuiltModel & { trials: string[] }> {
  const top = plan.spec.ensemble!.top;
  const rows = ensembleMembers(lb.rows, top);
  if (rows.length === 0) throw new UserError('ensemble: no trial of the search has a validation score; there is nothing to build a model from', plan.ensembleAt);
  if (rows.length < top) opts.log(`warning: ensemble.top ${top}, but only ${rows.length} trial${rows.length === 1 ? ' has' : 's have'} a validation score; the model has ${rows.length} member${rows.length === 1 ? '' : 's'}`);
  const folders = rows.map((row) => {
    const cfg = plan.trials[row.index].cfg;
    return trialDir(runPaths(cfg.output), row.seed! - cfg.seed);
  });
  const trials = rows.map((r) => r.trial);
  opts.log(`ensemble: ${trials.join(', ')} (the top ${rows.length} of the leaderboard, best seed each)`);
  const built = await buildEnsembleModel(folders, folders.length, {
    out: paths.ensemble,
    ranked: true,
    rule: `the top ${rows.length} trials of the search's leaderboard (${RANKING_RULE}), each by its best seed: ${trials.join(', ')}`,
    backend: opts.backend,
    log: opts.log,
    prepare: opts.prepare,
  });
  return { ...built, trials };
}
