import { join, resolve } from 'node:path';
import type { TrialResult } from '../pipeline/trials.js';

/**
 * A search on disk:
 *   OUT/search.json            the search as resolved (space, sampler, budgets, base config), versions, its hash (what --resume checks)
 *   OUT/trials/<id>/           one training run per configuration (run.json, config.resolved.json, trials/trial-<j>/ ...)
 *   OUT/trials/<id>/sample.json   the drawn values and the seed of the draw
 *   OUT/trials/<id>/rung-<r>.json the trial's results at rung r (score, best epoch, each seed's result.json)
 *   OUT/leaderboard.csv|json   every trial ranked (rewritten after each rung)
 *   OUT/leaderboard.html       the same as a page, with score-by-rung and score-by-parameter figures
 *   OUT/best-config.yaml       the winner as a plain training config (`xlatent train --config` re-runs it)
 *   OUT/model                  the search's model: a link to the winner's model in its run folder, or to OUT/ensemble
 *   OUT/ensemble/              with `ensemble: {top: k}`: the model directory of the top k trials as one ensemble
 *   OUT/slurm/                 job array scripts, submission records and task logs (slurm launcher)
 *   OUT/.lock                  held while `xlatent search` runs
 */
export interface SearchPaths {
  out: string;
  searchJson: string;
  trials: string;
  leaderboardCsv: string;
  leaderboardJson: string;
  leaderboardHtml: string;
  bestConfig: string;
  model: string;
  ensemble: string;
  slurm: string;
}

export function searchPaths(out: string): SearchPaths {
  const o = resolve(out);
  return {
    out: o,
    searchJson: join(o, 'search.json'),
    trials: join(o, 'trials'),
    leaderboardCsv: join(o, 'leaderboard.csv'),
    leaderboardJson: join(o, 'leaderboard.json'),
    leaderboardHtml: join(o, 'leaderboard.html'),
    bestConfig: join(o, 'best-config.yaml'),
    model: join(o, 'model'),
    ensemble: join(o, 'ensemble'),
    slurm: join(o, 'slurm'),
  };
}

export const searchTrialDir = (paths: SearchPaths, id: string) => join(paths.trials, id);
export const rungRecordPath = (paths: SearchPaths, id: string, rung: number) => join(searchTrialDir(paths, id), `rung-${rung}.json`);

/** A trial's results at one rung: what the leaderboard and the next rung's decisions read. */
export interface RungRecord {
  trial: string;
  rung: number;
  epochs: number;
  /** Highest validation score over the trial's seeds (each the best epoch so far); null when none is finite. */
  score: number | null;
  /** Best epoch of the seed with that score. */
  bestEpoch: number | null;
  /** Training seed of that seed trial. */
  seed: number | null;
  /** The result.json of each seed trial, with its config hash, data hash and xlatent version. */
  results: TrialResult[];
}


/** A rung's record from the seed trials' results: the best seed's score (non-finite scores count as none). */
export function rungRecord(trial: string, rung: number, epochs: number, results: TrialResult[]): RungRecord {
  const scored = results.filter((r) => Number.isFinite(r.bestScore));
  const best = scored.reduce<TrialResult | undefined>((a, b) => (a === undefined || b.bestScore > a.bestScore ? b : a), undefined);
  return { trial, rung, epochs, score: best?.bestScore ?? null, bestEpoch: best?.bestEpoch ?? null, seed: best?.seed ?? null, results };
}
