import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLeaderboard, leaderboardCsv } from '../../src/search/leaderboard.js';
import { leaderboardPage } from '../../src/search/leaderboard-page.js';
import { planSearch } from '../../src/search/plan.js';
import type { RungRecord } from '../../src/search/search-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'xlatent-lb-'));
writeFileSync(join(dir, 'base.yaml'), 'data:\n  synth: { count: 100 }\n  descriptors: [OS]\ntraining: { epochs: 8 }\n');
const hostile = ['<script>alert(1)</script>', '=HYPERLINK("http://x")', 'plain'];
writeFileSync(
  join(dir, 'search.yaml'),
  `base: base.yaml\nsampler: grid\nspace:\n  data.format: { choice: ${JSON.stringify(hostile)} }\n  optimizer.lr: { choice: [0.001, 0.01] }\nhalving: { minEpochs: 2, maxEpochs: 8, reduction: 2 }\n`,
);
const plan = planSearch(join(dir, 'search.yaml'));

const rec = (trial: string, rung: number, score: number | null): RungRecord => ({ trial, rung, epochs: plan.budgets[rung], score, bestEpoch: score === null ? null : 1, seed: 0, results: [] });

/** Rung 0 done for all six, rung 1 for the promoted three, rung 2 (the last) for one. */
function records() {
  const r0 = new Map([['t-00', 0.1], ['t-01', 0.5], ['t-02', null], ['t-03', 0.7], ['t-04', 0.5], ['t-05', 0.2]].map(([t, s]) => [t as string, rec(t as string, 0, s as number | null)]));
  const r1 = new Map([['t-03', 0.8], ['t-01', 0.6], ['t-04', 0.9]].map(([t, s]) => [t as string, rec(t as string, 1, s as number)]));
  return { r0, r1 };
}

describe('leaderboard', () => {
  it('ranks by the rung reached, then the score there, then draw order; says which trials were halted', () => {
    const { r0, r1 } = records();
    const promoted0 = new Set(['t-03', 't-01', 't-04']);
    // While rung 1 runs: nothing halted at rung 1 yet, rung-0 losers halted.
    const partial = buildLeaderboard(plan, [r0, r1], [promoted0]);
    expect(partial.rows.map((r) => [r.trial, r.status])).toEqual([
      ['t-04', 'pending'],
      ['t-03', 'pending'],
      ['t-01', 'pending'],
      ['t-05', 'halted'],
      ['t-00', 'halted'],
      ['t-02', 'halted'],
    ]);
    const r2 = new Map([['t-04', rec('t-04', 2, 0.95)]]);
    const lb = buildLeaderboard(plan, [r0, r1, r2], [promoted0, new Set(['t-04'])]);
    expect(lb.rows.map((r) => [r.rank, r.trial, r.status, r.epochs, r.score])).toEqual([
      [1, 't-04', 'complete', 8, 0.95],
      [2, 't-03', 'halted', 4, 0.8],
      [3, 't-01', 'halted', 4, 0.6],
      [4, 't-05', 'halted', 2, 0.2],
      [5, 't-00', 'halted', 2, 0.1],
      [6, 't-02', 'halted', 2, null],
    ]);
    expect(lb.rows[0].rungScores).toEqual([0.5, 0.9, 0.95]);
    expect(lb.ensemble).toBeUndefined(); // no ensemble section in this search file
    // With `ensemble: {top: k}`: the first k rows with a score, once no trial is pending; a row without a score never joins.
    const withTop = (top: number) => ({ ...plan, spec: { ...plan.spec, ensemble: { top } } });
    expect(buildLeaderboard(withTop(2), [r0, r1], [promoted0]).ensemble).toBeUndefined();
    expect(buildLeaderboard(withTop(2), [r0, r1, r2], [promoted0, new Set(['t-04'])]).ensemble).toEqual({ top: 2, members: ['t-04', 't-03'] });
    const all = buildLeaderboard(withTop(6), [r0, r1, r2], [promoted0, new Set(['t-04'])]);
    expect(all.ensemble!.members).toEqual(['t-04', 't-03', 't-01', 't-05', 't-00']);
    const csv = leaderboardCsv(all).trim().split('\n');
    expect(csv[0].endsWith(',seed,sample_seed,ensemble_member')).toBe(true);
    expect(csv.slice(1).map((l) => l.split(',').pop())).toEqual(['1', '2', '3', '4', '5', '']);
  });

  it('CSV cells that a spreadsheet would run as formulas are protected; numbers stay numbers', () => {
    const { r0 } = records();
    const csv = leaderboardCsv(buildLeaderboard(plan, [r0], []));
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('rank,trial,status,epochs,score,best_epoch,score_rung0_2ep,score_rung1_4ep,score_rung2_8ep,data.format,optimizer.lr,seed,sample_seed');
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(csv).toMatch(/,<script>alert\(1\)<\/script>,0\.001,/);
    expect(lines.find((l) => l.includes(',t-02,'))).toMatch(/^\d,t-02,pending,2,,,,,,/);
  });

  it('the page escapes every value from the search file', () => {
    const { r0, r1 } = records();
    const html = leaderboardPage(buildLeaderboard(plan, [r0, r1], [new Set(['t-03', 't-01', 't-04'])]), { title: 'search <b>x</b>', base: plan.base });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<svg'); // the score-by-rung and score-by-parameter figures
    expect((html.match(/<figure>/g) ?? []).length).toBe(3);
  });
});
