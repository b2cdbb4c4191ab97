import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEnsembleModel, runCrossValidation } from '../../src/index.js';
import { synthCsv, tempDir, tinyConfig, xlatent } from '../cli/helpers.js';

/** `ensemble: { top: k }` in a search file: the top trials of the leaderboard become the model `embed` uses. */

let dir: string;
let data: string;
const read = (p: string) => readFileSync(p, 'utf8');

function searchFile(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `base: tiny.yaml\n${body}`);
  return f;
}

beforeAll(() => {
  dir = tempDir('xlatent-search-ensemble-');
  data = synthCsv(dir, 200);
  tinyConfig(dir, data);
});

describe('xlatent search with ensemble', () => {
  it('the top k trials of the leaderboard form the ensemble that embed and evaluate use', async () => {
    const f = searchFile('search.yaml', 'seed: 4\ntrials: 3\nspace:\n  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }\nlauncher: { workers: 1 }\nensemble: { top: 2 }\n');
    const out = join(dir, 's');
    const r = xlatent(['search', '--config', f, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lb = JSON.parse(read(join(out, 'leaderboard.json')));
    const top = lb.rows.slice(0, 2);
    expect(lb.ensemble).toEqual({ top: 2, members: top.map((x: { trial: string }) => x.trial) });
    expect(r.stderr).toContain(`ensemble: ${lb.ensemble.members.join(', ')} (the top 2 of the leaderboard, best seed each)`);
    expect(r.stdout).toMatch(new RegExp(`model: +.*ensemble \\(ensemble of ${lb.ensemble.members.join(', ')}\\)`));
    expect(r.stdout).toMatch(/ensemble of 2 networks/);

    // OUT/model is the ensemble; each member is the named trial's best seed, with its score.
    const meta = JSON.parse(read(join(out, 'model', 'metadata.json')));
    const members = meta.ensemble.members.map((m: { source: { run: string; seed: number; validationScore: number } }) => m.source);
    expect(members.map((s: { run: string }) => basename(s.run))).toEqual(lb.ensemble.members);
    expect(members.map((s: { seed: number }) => s.seed)).toEqual(top.map((x: { seed: number }) => x.seed));
    expect(members.map((s: { validationScore: number }) => s.validationScore)).toEqual(top.map((x: { score: number }) => x.score));
    expect(JSON.parse(read(join(out, 'model', 'trials.json'))).rule).toMatch(/^the top 2 trials of the search's leaderboard/);
    // The leaderboard table says which rows are members.
    const [head, ...rows] = read(join(out, 'leaderboard.csv')).trim().split('\n');
    const col = head.split(',').indexOf('ensemble_member');
    expect(col).toBeGreaterThan(0);
    expect(rows.map((row) => row.split(',')[col])).toEqual(['1', '2', '']);
    expect(read(join(out, 'leaderboard.html'))).toContain(`The model is an ensemble of the top 2 trials (best seed each): ${lb.ensemble.members.join(', ')}.`);

    // embed through the search's model: estimates with their spread across the two trials.
    const e = xlatent(['embed', '--model', join(out, 'model'), '--data', data, '--out', join(dir, 'emb.csv')]);
    expect(e.code, e.stderr).toBe(0);
    const [eh, ...er] = read(join(dir, 'emb.csv')).trim().split('\n');
    const cols = eh.split(',');
    for (const c of ['pred_OS', 'pred_OS_std', 'pred_CN_std', 'pred_BL_std', 'ood_flag']) expect(cols).toContain(c);
    const std = er.map((line) => Number(line.split(',')[cols.indexOf('pred_BL_std')]));
    expect(std.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(std.some((v) => v > 0)).toBe(true);
    const ev = xlatent(['evaluate', '--model', join(out, 'model'), '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).ensemble.descriptors.OS.memberSpearman).toHaveLength(2);

    // The library builds the same members from the trial folders (ranked by validation score), as `xlatent ensemble` does.
    const folders = [...lb.ensemble.members].reverse().map((t: string) => join(out, 'trials', t, 'trials', 'trial-0'));
    const lib = await buildEnsembleModel(folders, 2, { out: join(dir, 'lib-model') });
    expect(lib.members.map((m) => m.bestScore)).toEqual(top.map((x: { score: number }) => x.score));
    expect(lib.metadata.ensemble!.members.map((m) => basename(String(m.source!.run)))).toEqual(lb.ensemble.members);
    expect(typeof runCrossValidation).toBe('function');

    // The members change no trial: a --resume with another top trains nothing and rebuilds the ensemble.
    writeFileSync(f, read(f).replace('top: 2', 'top: 3'));
    const again = xlatent(['search', '--config', f, '--out', out, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/rung 0: 3 trials x 3 epochs \(3 already trained\)/);
    expect(JSON.parse(read(join(out, 'model', 'metadata.json'))).ensemble.members).toHaveLength(3);
    expect(JSON.parse(read(join(out, 'leaderboard.json'))).ensemble.members).toEqual(lb.rows.map((x: { trial: string }) => x.trial));

    // Without the section, a --resume makes the winner the model and takes the stale ensemble away.
    writeFileSync(f, read(f).replace('ensemble: { top: 3 }\n', ''));
    const plain = xlatent(['search', '--config', f, '--out', out, '--resume']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain('the search file no longer asks for an ensemble');
    expect(existsSync(join(out, 'ensemble'))).toBe(false);
    expect(JSON.parse(read(join(out, 'model', 'metadata.json'))).ensemble).toBeUndefined();
    expect(JSON.parse(read(join(out, 'leaderboard.json'))).ensemble).toBeUndefined();
  });

  it('refuses before training: trials that take spectra differently, more members than trials', () => {
    const mixed = searchFile('mixed.yaml', 'sampler: grid\nspace:\n  data.normalization: { choice: [none, minmax] }\nensemble:\n  top: 2\n');
    const out = join(dir, 'never');
    const r = xlatent(['search', '--config', mixed, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/mixed\.yaml:6: ensemble: trials t-00 and t-01 cannot form one ensemble: their normalization differ; search only fields that leave the data, preprocessing and normalization alike, or drop the ensemble section$/);
    expect(existsSync(out)).toBe(false);

    const many = searchFile('many.yaml', 'trials: 3\nspace:\n  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }\nensemble: { top: 4 }\n');
    const m = xlatent(['search', '--config', many, '--out', out, '--dry-run']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/many\.yaml:5: ensemble\.top 4 asks for more members than the search has trials \(3\)/);
    writeFileSync(join(dir, 'one.yaml'), read(many).replace('top: 4', 'top: 1'));
    const o = xlatent(['search', '--config', join(dir, 'one.yaml'), '--dry-run']);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/one\.yaml:5.*ensemble\.top.*(>=|at least|too small).*2/i);

    // With halving, members beyond the trials of the last rung are noted.
    const halving = searchFile('halving.yaml', 'trials: 3\nspace:\n  optimizer.lr: { logRange: [3.0e-4, 3.0e-3] }\nhalving: { minEpochs: 1, reduction: 3 }\nensemble: { top: 2 }\n');
    const h = xlatent(['search', '--config', halving, '--out', out, '--dry-run']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toMatch(/warning: ensemble\.top 2: successive halving takes 1 trial to the last rung \(3 epochs\); the other members are trials it halted after fewer epochs/);
    expect(existsSync(out)).toBe(false);
  });
});
