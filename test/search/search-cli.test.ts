import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exited, sameWeights, synthCsv, tempDir, tinyConfig, waitFor, xlatent, xlatentAsync } from '../cli/helpers.js';

/** `xlatent search` with the local launcher, through the built binary, on tiny trials. */

let dir: string;
let search: string;

/** A search of three trials with successive halving: rungs of 2 and 4 epochs, the best third goes on. */
function searchYaml(extra = ''): string {
  return `base: tiny.yaml
seed: 2
trials: 3
space:
  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }
  network.hidden: { choice: [8, 16] }
halving: { minEpochs: 2, maxEpochs: 4, reduction: 3 }
launcher: { workers: 1 }
${extra}`;
}

beforeAll(() => {
  dir = tempDir('xlatent-search-');
  tinyConfig(dir, synthCsv(dir, 120));
  search = join(dir, 'search.yaml');
  writeFileSync(search, searchYaml());
});

const read = (p: string) => readFileSync(p, 'utf8');

describe('xlatent search (local)', () => {
  it('ranks the trials, writes the leaderboard and a best config that `xlatent train` reproduces bit for bit', () => {
    const out = join(dir, 's1');
    const r = xlatent(['search', '--config', search, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rung 0: 3 trials x 2 epochs/);
    expect(r.stderr).toMatch(/rung 0: t-0\d go on to 4 epochs/);
    const lb = JSON.parse(read(join(out, 'leaderboard.json')));
    expect(lb.budgets).toEqual([2, 4]);
    expect(lb.rows.map((x: { status: string }) => x.status)).toEqual(['complete', 'halted', 'halted']);
    const best = lb.rows[0];
    expect(best.rungScores[0]).toBeGreaterThanOrEqual(Math.max(lb.rows[1].score, lb.rows[2].score)); // the best of rung 0 went on
    expect(read(join(out, 'leaderboard.csv')).trim().split('\n')).toHaveLength(4);
    expect(read(join(out, 'leaderboard.html'))).toContain('Validation score by epoch');
    expect(r.stdout).toMatch(new RegExp(`best: ${best.trial}, score ${best.score.toFixed(4)} after 4 epochs`));
    // Each trial records its draw.
    const sample = JSON.parse(read(join(out, 'trials', best.trial, 'sample.json')));
    expect(sample.params).toEqual(best.params);
    // The winner, re-trained from the plain config in one go (no rungs), is the same model.
    const again = xlatent(['train', '--config', join(out, 'best-config.yaml'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    sameWeights(out, join(out, 'best-run'));
    const result = JSON.parse(read(join(out, 'best-run', 'trials', 'trial-0', 'result.json')));
    expect(result.bestScore).toBe(best.score);

    // Any trial, halted ones too, trains again from its run folder's config to the same score.
    const halted = lb.rows[2];
    const into = xlatent(['train', '--config', join(out, 'trials', halted.trial, 'config.resolved.json')]);
    expect(into.code).toBe(2);
    expect(into.stderr).toMatch(new RegExp(`${halted.trial}: holds trial ${halted.trial} of the search .*search\\.yaml; to train that trial again, give another --out`));
    const alone = xlatent(['train', '--config', join(out, 'trials', halted.trial, 'config.resolved.json'), '--out', join(dir, 'alone'), '--json']);
    expect(alone.code, alone.stderr).toBe(0);
    expect(JSON.parse(read(join(dir, 'alone', 'trials', 'trial-0', 'result.json'))).bestScore).toBe(halted.score);

    // --resume of a finished search trains nothing and gives the same leaderboard.
    const csv = read(join(out, 'leaderboard.csv'));
    const resumed = xlatent(['search', '--config', search, '--out', out, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/running \d+ in/);
    expect(read(join(out, 'leaderboard.csv'))).toBe(csv);
    expect(JSON.parse(resumed.stdout)).toEqual(lb);

    // A second search into the same directory is refused; so is --resume with another search.
    const twice = xlatent(['search', '--config', search, '--out', out]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/holds a search already; continue it with --resume/);
    const other = join(dir, 'other.yaml');
    writeFileSync(other, searchYaml().replace('seed: 2', 'seed: 9'));
    const changed = xlatent(['search', '--config', other, '--out', out, '--resume']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/search\.json: --resume: this search file describes another search .*(seed: 2 -> 9|trials\.t-0\d)/);

    // Results of another xlatent version (or config, or data) are never mixed in.
    const record = join(out, 'trials', best.trial, 'rung-0.json');
    const rec = JSON.parse(read(record));
    rec.results[0].xlatentVersion = '0.0.1';
    writeFileSync(record, JSON.stringify(rec));
    const mixed = xlatent(['search', '--config', search, '--out', out, '--resume']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim().split('\n').pop()).toMatch(/rung-0\.json: made by another computation than this run \(xlatentVersion 0\.0\.1 vs .*never mixed$/);
    // The same for a trial's own result.json, gathered when its rung record is missing.
    rec.results[0].xlatentVersion = JSON.parse(read(join(out, 'search.json'))).identity.xlatentVersion;
    writeFileSync(record, JSON.stringify(rec));
    const second = lb.rows[1].trial;
    rmSync(join(out, 'trials', second, 'rung-0.json'));
    const resultFile = join(out, 'trials', second, 'trials', 'trial-0', 'result.json');
    writeFileSync(resultFile, read(resultFile).replace(/"configSha256": "[0-9a-f]+"/, '"configSha256": "0123456789abcdef"'));
    const mixed2 = xlatent(['search', '--config', search, '--out', out, '--resume']);
    expect(mixed2.code).toBe(2);
    expect(mixed2.stderr.trim().split('\n').pop()).toMatch(new RegExp(`${second}/trials/trial-0/result\\.json: made by another computation than this run \\(configSha256 0123456789ab vs`));
  });

  it('a search killed midway continues with --resume and ends with the same leaderboard', async () => {
    const out = join(dir, 'killed');
    const child = xlatentAsync(['search', '--config', search, '--out', out]);
    const done = exited(child);
    await waitFor(() => existsSync(join(out, 'trials', 't-01', 'trials', 'trial-0', 'last')), 'a checkpoint of the second trial');
    child.kill('SIGKILL');
    await done;
    expect(existsSync(join(out, 'trials', 't-00', 'trials', 'trial-0', 'result.json'))).toBe(true);
    expect(existsSync(join(out, 'model'))).toBe(false);
    const resumed = xlatent(['search', '--config', search, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/rung 0: 3 trials x 2 epochs \([12] already trained\)/);
    expect(read(join(out, 'leaderboard.csv'))).toBe(read(join(dir, 's1', 'leaderboard.csv')));
  });

  it('several seeds per configuration (training.trials) in worker processes: the best seed counts', () => {
    const sub = join(dir, 'seeds');
    mkdirSync(sub);
    tinyConfig(sub, join(dir, 'synth.csv'));
    writeFileSync(join(sub, 'tiny.yaml'), read(join(sub, 'tiny.yaml')).replace(/training:\n {2}epochs: 3\n {2}batchSize: 64\n/, 'training: { epochs: 2, batchSize: 64, trials: 2 }\n'));
    const f = join(sub, 'search.yaml');
    writeFileSync(f, 'base: tiny.yaml\nseed: 1\ntrials: 2\nspace:\n  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }\nlauncher: { workers: 2 }\n');
    const out = join(sub, 'out');
    const r = xlatent(['search', '--config', f, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/running 4 in 2 worker processes/);
    expect(r.stderr).toMatch(/t-01\/seed 8 \[/); // progress lines name the trial and seed
    for (const row of JSON.parse(read(join(out, 'leaderboard.json'))).rows) {
      const scores = [0, 1].map((j) => JSON.parse(read(join(out, 'trials', row.trial, 'trials', `trial-${j}`, 'result.json'))).bestScore);
      expect(row.score).toBe(Math.max(...scores));
      expect(row.seed).toBe(7 + scores.indexOf(row.score));
    }
  });

  it('--dry-run checks every drawn config against the data and writes nothing; a config the data refuses names the trial', () => {
    const out = join(dir, 'dry');
    const r = xlatent(['search', '--config', search, '--out', out, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^3 trials, rungs of 2, 4 epochs/);
    expect(r.stdout).toMatch(/t-02 {2}network\.hidden=(8|16) {2}optimizer\.lr=0\.00\d+/);
    expect(existsSync(out)).toBe(false);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, searchYaml().replace('network.hidden: { choice: [8, 16] }', 'network.nStyle: { choice: [2, 3] }'));
    const refused = xlatent(['search', '--config', bad, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yaml: trial t-0\d \(network\.nStyle=2, optimizer\.lr=[\d.]+\): network\.nStyle: 3 constrained descriptors need network\.nStyle >= 3/);
    expect(existsSync(out)).toBe(false);
  });
});
