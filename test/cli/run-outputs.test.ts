import { copyFileSync, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameWeights, synthCsv, tempDir, xlatentOk } from './helpers.js';

/**
 * What the README promises a training run writes and accepts, checked
 * through the binary as a user runs it: `--data` and `--backend` override
 * the config file, `training.workers: 0` runs trials one process per core,
 * and the run directory holds run.json, config.resolved.json (re-runnable,
 * to the same weights), trials/trial-<i>/ with its result.json, the model
 * link and evaluation.json. One tiny run is shared by the file.
 */
const PKG = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
const HEX64 = /^[0-9a-f]{64}$/;

let dir: string;
let data: string;
let run: string;
let stderr: string;
let runJson: Record<string, any>;
let resolved: Record<string, any>;

beforeAll(() => {
  dir = tempDir('xlatent-run-outputs-');
  data = synthCsv(dir, 300);
  // The config names another data file and backend: the flags must win.
  writeFileSync(
    join(dir, 'tiny.yaml'),
    `seed: 7
data:
  file: not-this-file.csv
  descriptors: [OS, CN, BL]
  discrete: [CN]
network: { nStyle: 3, hidden: 16, depth: 3, discriminator: { hidden: 16, depth: 2 } }
losses: { adversarial: { priorSamples: 64 } }
training: { epochs: 3, batchSize: 64, trials: 2, workers: 0 }
backend: cpu
output: run
`,
  );
  const t = xlatentOk(['train', '--config', join(dir, 'tiny.yaml'), '--data', data, '--backend', 'wasm']);
  stderr = t.stderr;
  run = join(dir, 'run');
  runJson = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  resolved = JSON.parse(readFileSync(join(run, 'config.resolved.json'), 'utf8'));
});

describe('xlatent train: flags, workers and what the run directory holds', () => {
  it('--data and --backend override the config; workers: 0 runs the 2 trials in parallel worker processes', () => {
    expect(stderr).toContain('backend: wasm (requested wasm)');
    expect(stderr).toContain(`300 spectra x 48 points from ${data}`);
    // One worker per core, at most one per trial (a 1-core machine trains them one after another in-process).
    if (cpus().length > 1) expect(stderr).toContain('running 2 trials in 2 worker processes');
    else expect(stderr).not.toContain('worker processes');
    expect(resolved.data.file).toBe(data);
    expect(resolved.backend).toBe('wasm');
    expect(runJson.backend).toMatchObject({ name: 'wasm', requested: 'wasm', threads: 1 });
    expect(JSON.parse(readFileSync(join(run, 'model', 'metadata.json'), 'utf8')).backend.name).toBe('wasm');
  });

  it('config.resolved.json is the config with every default filled in; run.json records it with versions, backend and hashes', () => {
    expect(resolved.training).toMatchObject({ epochs: 3, batchSize: 64, trials: 2, workers: 0, checkpointEvery: 1, augmentNoise: 0 });
    // Defaults the file never gave.
    expect(resolved.optimizer).toMatchObject({ lr: 0.001, weightDecay: 0.01, betas: [0.9, 0.999] });
    expect(resolved.network).toMatchObject({ activation: 'prelu', decoderOutput: 'softplus' });
    expect(resolved.data).toMatchObject({ normalization: 'none', split: { train: 0.7, validation: 0.15, test: 0.15 } });
    expect(resolved.output).toBe(run);
    expect(runJson.config).toEqual(resolved);
    expect(runJson.identity.configSha256).toMatch(HEX64);
    expect(runJson.identity.dataSha256).toMatch(HEX64);
    expect(runJson.identity.xlatentVersion).toBe(PKG.version);
    expect(runJson.environment).toMatchObject({ xlatent: PKG.version, node: process.version });
    expect(runJson.environment.packages['@tensorflow/tfjs']).toMatch(/^\d+\.\d+\.\d+/);
    expect(runJson.chosenTrial).toBeOneOf([0, 1]);
    expect(Date.parse(runJson.finished)).toBeGreaterThanOrEqual(Date.parse(runJson.started));
  });

  it('trials/trial-<i>/ hold last/ and best/ checkpoints, metrics files, best-model/ and a result.json carrying the run identity', () => {
    expect(readdirSync(join(run, 'trials')).sort()).toEqual(['trial-0', 'trial-1']);
    const results = [0, 1].map((i) => {
      const t = join(run, 'trials', `trial-${i}`);
      for (const f of ['last/state.json', 'last/variables.bin', 'best/state.json', 'best-model/encoder/model.json', 'best-model/decoder/weights.bin', 'metrics.csv']) {
        expect(existsSync(join(t, f)), `trial-${i}/${f}`).toBe(true);
      }
      expect(readFileSync(join(t, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3]);
      const r = JSON.parse(readFileSync(join(t, 'result.json'), 'utf8'));
      expect(r).toMatchObject({ trial: i, seed: 7 + i, epochs: 3, ...runJson.identity });
      expect(r.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(r.bestEpoch).toBeLessThanOrEqual(3);
      // The best score is that epoch's validation score in the trial's own log.
      const log = readFileSync(join(t, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(r.bestScore).toBe(Math.max(...log.map((l) => l.score)));
      return r;
    });
    // The chosen trial has the higher score, and the model directory holds its best networks.
    const chosen = results[0].bestScore >= results[1].bestScore ? 0 : 1;
    expect(runJson.chosenTrial).toBe(chosen);
    const best = join(run, 'trials', `trial-${chosen}`, 'best-model', 'encoder', 'weights.bin');
    expect(readFileSync(join(run, 'model', 'encoder', 'weights.bin')).equals(readFileSync(best))).toBe(true);
  });

  it('model is a link to a hidden sibling directory; evaluation.json is the test-split evaluation that evaluate prints', () => {
    expect(lstatSync(join(run, 'model')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(run, 'model'))).toMatch(/^\.model-[0-9a-f]+$/);
    const ev = JSON.parse(readFileSync(join(run, 'evaluation.json'), 'utf8'));
    expect(ev.split).toBe('test');
    expect(ev.n).toBe(45); // 15% of 300
    expect(Object.keys(ev.descriptors)).toEqual(['OS', 'CN', 'BL']);
    // On the backend the run trained and evaluated on, the numbers are the same.
    const again = JSON.parse(xlatentOk(['evaluate', '--model', run, '--json', '--backend', 'wasm']).stdout);
    expect(again.n).toBe(45);
    for (const d of ['OS', 'CN', 'BL']) expect(again.descriptors[d].spearman).toBeCloseTo(ev.descriptors[d].spearman, 10);
    expect(again.reconstruction.mse).toBeCloseTo(ev.reconstruction.mse, 10);
  });

  it('config.resolved.json trains again as it is, from a renamed copy of the data, to the same identity and bit-identical weights', () => {
    const copy = join(dir, 'renamed-copy.csv');
    copyFileSync(data, copy);
    const again = join(dir, 'again');
    xlatentOk(['train', '--config', join(run, 'config.resolved.json'), '--data', copy, '--out', again]);
    const r = JSON.parse(readFileSync(join(again, 'run.json'), 'utf8'));
    expect(r.identity).toEqual(runJson.identity);
    expect(r.backend.name).toBe('wasm');
    sameWeights(run, again);
  });

  it('compare scores baselines beside this RankAAE model on its own test split', () => {
    writeFileSync(
      join(dir, 'compare.yaml'),
      `data: { file: ${data}, descriptors: [OS, CN, BL], discrete: [CN] }
methods:
  - pca
  - { method: umap, label: umap-tight, params: { nNeighbors: 8, nEpochs: 50 } }
model: ${join(run, 'model')}
out: cmp
evaluation: { trustK: 7 }
`,
    );
    xlatentOk(['compare', '--config', join(dir, 'compare.yaml')]);
    const out = join(dir, 'cmp');
    const table = JSON.parse(readFileSync(join(out, 'baselines.json'), 'utf8'));
    expect(table.rows.map((r: string[]) => r[0])).toEqual(['pca', 'umap-tight', 'rankaae']);
    expect(table.test).toBe(45);
    expect(table.columns.join(' ')).toMatch(/T\(7\)/);
    const csv = readFileSync(join(out, 'embeddings', 'rankaae-test.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(46);
    expect(readFileSync(join(out, 'comparison.md'), 'utf8')).toMatch(/\| rankaae \| 3 \|/);
  });
});
