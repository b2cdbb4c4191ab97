import { csvField } from '../data/formats/csv-table.js';
import { compareScores } from './halving.js';
import type { SearchPlan } from './plan.js';
import type { RungRecord } from './search-dir.js';
import { formatValue, type Params } from './space.js';

/** One configuration's line of the leaderboard. */
export interface LeaderboardRow {
  /** 1 = best. */
  rank: number;
  trial: string;
  index: number;
  /**
   * complete: trained the last rung's budget; halted: left behind by
   * successive halving after rung `rungs - 1`; pending: a rung it was
   * promoted to has not finished yet.
   */
  status: 'complete' | 'halted' | 'pending';
  /** Rungs finished. */
  rungs: number;
  /** Epochs trained (the budget of its last finished rung). */
  epochs: number;
  /** Validation score at its last finished rung (best epoch so far, best seed); null when none. */
  score: number | null;
  bestEpoch: number | null;
  /** Training seed of the seed trial with that score. */
  seed: number | null;
  /** Score at each rung, null where the trial did not get there. */
  rungScores: (number | null)[];
  params: Params;
  /** Seed of the draw (random sampling); null in a grid. */
  sampleSeed: number | null;
}

/** The leaderboard as leaderboard.json holds it: deterministic (no times, no host paths), so two launchers' boards compare byte for byte. */
export interface Leaderboard {
  format: 'xlatent-search-leaderboard';
  version: 1;
  sampler: 'random' | 'grid';
  seed: number;
  budgets: number[];
  reduction: number;
  rule: string;
  parameters: string[];
  rows: LeaderboardRow[];
  /**
   * With the search file's `ensemble` section, once no trial is pending: the
   * trials whose best seeds form the search's model, best first (the first
   * `top` rows that have a score).
   */
  ensemble?: { top: number; members: string[] };
}

export const RANKING_RULE =
  'ranked by the last rung finished (further is better), then by the validation score there (best epoch so far, best seed), then by draw order';

/**
 * Ranks the trials of a search from their rung records. `records[r]` holds
 * the records of rung r; `promoted[r]` the trials that went on to rung r + 1
 * (undefined while rung r is still running).
 */
export function buildLeaderboard(plan: SearchPlan, records: Map<string, RungRecord>[], promoted: Set<string>[]): Leaderboard {
  const last = plan.budgets.length - 1;
  const rows = plan.trials.map((t): LeaderboardRow => {
    const mine = records.map((m) => m.get(t.id));
    const done = mine.filter((r): r is RungRecord => r !== undefined);
    const top = done[done.length - 1];
    const rungs = done.length;
    // Halted: its last rung is decided (promotions made) and it was not among those that went on.
    const halted = rungs > 0 && rungs <= last && promoted[rungs - 1] !== undefined && !promoted[rungs - 1].has(t.id);
    const status = rungs === last + 1 ? 'complete' : halted ? 'halted' : 'pending';
    return {
      rank: 0,
      trial: t.id,
      index: t.index,
      status,
      rungs,
      epochs: top?.epochs ?? 0,
      score: top?.score ?? null,
      bestEpoch: top?.bestEpoch ?? null,
      seed: top?.seed ?? null,
      rungScores: plan.budgets.map((_, r) => mine[r]?.score ?? null),
      params: t.params,
      sampleSeed: t.sampleSeed,
    };
  });
  rows.sort((a, b) => b.rungs - a.rungs || compareScores(a, b));
  rows.forEach((r, i) => (r.rank = i + 1));
  const top = plan.spec.ensemble?.top;
  const finished = rows.every((r) => r.status !== 'pending');
  const ensemble = top !== undefined && finished ? { top, members: ensembleMembers(rows, top).map((r) => r.trial) } : undefined;
  return {
    format: 'xlatent-search-leaderboard',
    version: 1,
    sampler: plan.spec.sampler,
    seed: plan.spec.seed,
    budgets: plan.budgets,
    reduction: plan.reduction,
    rule: RANKING_RULE,
    parameters: plan.space.map(([p]) => p),
    rows,
    ...(ensemble ? { ensemble } : {}),
  };
}

/** The rows whose best seeds form the search's ensemble: the first `top` with a score (rows are ranked already). */
export function ensembleMembers(rows: LeaderboardRow[], top: number): LeaderboardRow[] {
  return rows.filter((r) => r.score !== null && r.seed !== null).slice(0, top);
}

const num = (v: number | null) => (v === null ? '' : String(v));

/** leaderboard.csv: one row per trial, best first; parameter columns by path, text cells protected against formula injection. */
export function leaderboardCsv(lb: Leaderboard): string {
  const members = lb.ensemble?.members;
  const header = ['rank', 'trial', 'status', 'epochs', 'score', 'best_epoch', ...lb.budgets.map((b, r) => `score_rung${r}_${b}ep`), ...lb.parameters, 'seed', 'sample_seed', ...(members ? ['ensemble_member'] : [])];
  // ensemble_member: the row's position among the ensemble's members (1 = member 0, the best), empty when not a member.
  const memberCell = (trial: string) => (members!.includes(trial) ? [String(members!.indexOf(trial) + 1)] : ['']);
  const lines = lb.rows.map((row) =>
    [
      String(row.rank),
      csvField(row.trial),
      row.status,
      String(row.epochs),
      num(row.score),
      num(row.bestEpoch),
      ...row.rungScores.map(num),
      ...lb.parameters.map((p) => (typeof row.params[p] === 'number' ? String(row.params[p]) : csvField(formatValue(row.params[p])))),
      num(row.seed),
      num(row.sampleSeed),
      ...(members ? memberCell(row.trial) : []),
    ].join(','),
  );
  return [header.map(csvField).join(','), ...lines].join('\n') + '\n';
}

/** The top rows as a plain-text table for the terminal. */
export function leaderboardText(lb: Leaderboard, top = 10): string {
  const head = ['rank', 'trial', 'status', 'epochs', 'score', ...lb.parameters];
  const rows = lb.rows.slice(0, top).map((r) => [String(r.rank), r.trial, r.status, String(r.epochs), r.score === null ? '-' : r.score.toFixed(4), ...lb.parameters.map((p) => formatValue(r.params[p]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const more = lb.rows.length > top ? `\n(${lb.rows.length - top} more in leaderboard.csv)` : '';
  return [line(head), ...rows.map(line)].join('\n') + more;
}
