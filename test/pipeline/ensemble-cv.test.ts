import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthCsv, tempDir, tinyConfig, xlatent } from '../cli/helpers.js';

/**
 * Ensembles from the trials of a run, `xlatent ensemble`, and `xlatent cv`
 * on a 40-spectrum labelled set, through the CLI.
 */
let dir: string;
let data: string;
const ok = (args: string[]) => {
  const r = xlatent(args, dir);
  expect(r.code, `xlatent ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

beforeAll(() => {
  dir = tempDir('xlatent-ensemble-cv-');
  data = synthCsv(dir, 300);
});

describe('ensembles of trials', () => {
  it('training.trials: 2 makes a 2-member ensemble; embed writes estimates with their spread; evaluate scores the ensemble', () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'ens');
    const t = ok(['train', '--config', cfg, '--epochs', '3', '--trials', '2', '--workers', '2', '--out', out]);
    expect(t.stdout).toMatch(/model: .* an ensemble of trials [01], [01]\)/);
    const meta = JSON.parse(readFileSync(join(out, 'model', 'metadata.json'), 'utf8'));
    expect(meta.ensemble.members).toHaveLength(2);
    expect(meta.ensemble.members.map((m: { source: { seed: number } }) => m.source.seed).sort()).toEqual([7, 8]);
    expect(meta.ood.metric).toBe('reconstruction+latent');
    expect(meta.ood.rows).toBe('held-out');
    expect(meta.ood.reconstruction.n).toBe(90); // validation + test rows of 300
    expect(meta.metrics.ensemble.rows).toMatch(/test split \(shared by every member\)/);
    expect(existsSync(join(out, 'model', 'members', '1', 'encoder', 'model.json'))).toBe(true);

    ok(['embed', '--model', out, '--data', data, '--out', 'ens.csv']);
    const [head, ...rows] = readFileSync(join(dir, 'ens.csv'), 'utf8').trim().split('\n');
    const cols = head.split(',');
    for (const c of ['pred_OS', 'pred_OS_std', 'pred_CN_std', 'pred_BL_std', 'latent_distance', 'ood_percentile', 'ood_flag']) expect(cols).toContain(c);
    const std = rows.map((r) => Number(r.split(',')[cols.indexOf('pred_OS_std')]));
    expect(std.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(std.some((v) => v > 0)).toBe(true);
    ok(['embed', '--model', out, '--data', data, '--out', 'ens.json']);
    expect(JSON.parse(readFileSync(join(dir, 'ens.json'), 'utf8')).ensemble.latent).toMatch(/z columns are member 0/);

    const e = ok(['evaluate', '--model', out]);
    expect(e.stdout).toMatch(/ensemble of 2 networks on test split \(shared by every member\) \(45 spectra\)/);
    expect(e.stdout).toMatch(/out of distribution \(ood_flag\): \d+ of 45 spectra/);
    const ev = JSON.parse(ok(['evaluate', '--model', out, '--json']).stdout);
    expect(ev.ensemble.descriptors.OS.memberSpearman).toHaveLength(2);
    expect(ev.ensemble.descriptors.CN.accuracy).toBeGreaterThanOrEqual(0);
  });

  it('`xlatent ensemble` rebuilds a run\'s model from its best trials; training.ensemble may change on --resume', () => {
    const out = join(dir, 'ens');
    const one = ok(['ensemble', '--from', out, '--members', '1']);
    expect(one.stdout).toMatch(/model: .*ens\/model \(trial [01] score/);
    expect(JSON.parse(readFileSync(join(out, 'model', 'metadata.json'), 'utf8')).ensemble).toBeUndefined();
    expect(xlatent(['ensemble', '--from', out, '--members', '3'], dir).stderr).toMatch(/3 members asked for, but only 2 finished trials found/);
    // Choosing the members changes no trial: a resume keeps the trials and rebuilds the model.
    const cfg = tinyConfig(dir, data);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('  batchSize: 64', '  batchSize: 64\n  trials: 2\n  ensemble: 2'));
    const r = ok(['train', '--config', cfg, '--epochs', '3', '--out', out, '--resume']);
    expect(r.stderr).toMatch(/trial 0: already finished/);
    expect(JSON.parse(readFileSync(join(out, 'model', 'metadata.json'), 'utf8')).ensemble.members).toHaveLength(2);
    // runs whose networks take spectra differently never join one ensemble
    const other = join(dir, 'minmax.yaml');
    writeFileSync(other, readFileSync(cfg, 'utf8').replace('  discrete: [CN]', '  discrete: [CN]\n  normalization: minmax').replace('  trials: 2\n  ensemble: 2\n', ''));
    ok(['train', '--config', other, '--epochs', '1', '--out', join(dir, 'minmax')]);
    const mixed = xlatent(['ensemble', '--from', out, join(dir, 'minmax'), '--members', '3', '--out', join(dir, 'mixed')], dir);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/(minmax|ens): its trials cannot join an ensemble with .*(ens|minmax): their normalization differ/);
    expect(existsSync(join(dir, 'mixed'))).toBe(false);
    const bad = xlatent(['train', '--config', cfg, '--epochs', '3', '--trials', '1', '--out', join(dir, 'never')], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/training\.ensemble: an ensemble cannot have more members than there are trials/);
  });
});

describe('xlatent cv on a 40-spectrum labelled set', () => {
  it('trains one model per fold in worker processes, every spectrum tested once, with out-of-fold scores and small-split guards', () => {
    const small = synthCsv(join(dir), 40);
    const cfg = tinyConfig(dir, small, '');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(`output: ${join(dir, 'run')}`, `output: ${join(dir, 'cv')}`).replace('batchSize: 64', 'batchSize: 16'));
    const r = ok(['cv', '--config', cfg, '--folds', '5', '--workers', '2', '--epochs', '4']);
    expect(r.stdout).toMatch(/Cross-validation: 5 folds over 40 spectra/);
    expect(r.stdout).toMatch(/\| OS \| -?\d\.\d{3} ± \d\.\d{3} \| /);
    // the guards: each fold validates on 6 rows and says how the best epoch is chosen
    expect(r.stderr).toMatch(/fold \d: warning: with 6 validation rows \(< training\.selection\.minRows = 20\) the best epoch is chosen by the validation score averaged over 5 epochs/);
    const cv = JSON.parse(readFileSync(join(dir, 'cv', 'cv.json'), 'utf8'));
    expect(cv.folds).toBe(5);
    expect(cv.n).toBe(40);
    expect(cv.sizes.map((s: { test: number }) => s.test)).toEqual([8, 8, 8, 8, 8]);
    expect(cv.sizes.every((s: { train: number; validation: number }) => s.train === 26 && s.validation === 6)).toBe(true);
    for (const name of ['OS', 'CN', 'BL']) {
      const d = cv.descriptors[name];
      expect(d.perFold.spearman.values).toHaveLength(5);
      expect(d.outOfFold.n).toBe(40);
      const defined = d.perFold.spearman.values.filter((v: number | null) => v !== null);
      expect(d.perFold.spearman.mean).toBeCloseTo(defined.reduce((a: number, b: number) => a + b, 0) / defined.length, 10);
    }
    expect(cv.descriptors.CN.perFold.accuracy.values).toHaveLength(5);
    expect(cv.descriptors.CN.outOfFold.classifierAccuracy).toBeGreaterThan(0);
    // OS moves the edge: even 4 epochs on 26 spectra order it out of fold
    expect(cv.descriptors.OS.outOfFold.spearman).toBeGreaterThan(0.5);
    const [head, ...rows] = readFileSync(join(dir, 'cv', 'cv.csv'), 'utf8').trim().split('\n');
    expect(head).toBe('id,fold,label_OS,pred_OS,label_CN,pred_CN,label_BL,pred_BL,ood_flag');
    expect(new Set(rows.map((l) => l.split(',')[0])).size).toBe(40);
    expect(rows.filter((l) => l.split(',')[1] === '3')).toHaveLength(8);
    // every fold is a run of its own, with its model, and ranked epochs by the smoothed score
    for (let f = 0; f < 5; f++) {
      const metrics = readFileSync(join(dir, 'cv', `fold-${f}`, 'model', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(metrics.every((m: { selectionScore?: number }) => typeof m.selectionScore === 'number')).toBe(true);
      expect(metrics.every((m: { lr: number }) => m.lr === 1e-3)).toBe(true);
    }
    expect(readFileSync(join(dir, 'cv', 'cv.md'), 'utf8')).toMatch(/out-of-fold Spearman/);
  });
});
