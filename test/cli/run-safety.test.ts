import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { flockMissing, requireOrSkip } from '../require.js';
import { BIN, exited, synthCsv, tempDir, tinyConfig, waitFor, xlatent, xlatentAsync } from './helpers.js';

const TRIAL_WORKER = join(__dirname, '../../dist/pipeline/trial-worker.js');

/**
 * What a careless or hostile user does to a run directory: two runs into one
 * --out, a failing re-run over a finished run, --resume with other data, seed
 * or config, degenerate data. Each case is a CLI run of the built binary
 * (Ctrl-C and kills: interrupt-resume.test.ts).
 */

let dir: string;
let data: string;
let header: string[];
let rows: string[][];

beforeAll(() => {
  dir = tempDir();
  data = synthCsv(dir, 200);
  const lines = readFileSync(data, 'utf8').trim().split('\n');
  header = lines[0].split(',');
  rows = lines.slice(1).map((l) => l.split(','));
});

/** A copy of the synthetic data with cells changed by `edit(row, index)` (returning the new cells). */
function variant(name: string, edit: (cells: string[], i: number) => string[], keep = rows.length, head = header): string {
  const p = join(dir, name);
  writeFileSync(p, [head.join(','), ...rows.slice(0, keep).map((c, i) => edit([...c], i).join(','))].join('\n') + '\n');
  return p;
}
const col = (name: string) => header.indexOf(name);

const hasFlock = requireOrSkip('flock(1), which locks run directories', flockMissing());

describe('one run directory, one run', () => {
  it.skipIf(!hasFlock)('refuses a second run into the same --out (exit 2), and a SIGKILLed holder frees it', async () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'locked');
    const first = xlatentAsync(['train', '--config', cfg, '--epochs', '300', '--out', out]);
    const firstDone = exited(first);
    await waitFor(() => existsSync(join(out, 'run.json')), 'the first run to start');
    const runJson = readFileSync(join(out, 'run.json'), 'utf8');
    const second = xlatent(['train', '--config', cfg, '--epochs', '2', '--seed', '9', '--out', out]);
    expect(second.code, second.stderr).toBe(2);
    const lines = second.stderr.trim().split('\n').filter((l) => !l.startsWith('backend'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/another xlatent run is writing this run directory \(xlatent train: pid \d+ on .*\); wait for it to finish or choose another --out$/);
    expect(readFileSync(join(out, 'run.json'), 'utf8')).toBe(runJson);
    // The trial itself is locked too: a trial worker started by hand on it is refused.
    const worker = spawnSync(process.execPath, [TRIAL_WORKER, join(out, 'config.resolved.json'), '0', '--resume'], { encoding: 'utf8' });
    expect(worker.status, worker.stderr).toBe(2);
    expect(worker.stderr).toMatch(/another xlatent process is training trial 0 of this run/);
    first.kill('SIGKILL');
    await firstDone;
    const third = xlatent(['train', '--config', cfg, '--epochs', '2', '--out', out]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/held an earlier run/);
  });

  it('without flock(1) the run warns that the directory is not locked', () => {
    const cfg = tinyConfig(dir, data);
    const r = spawnSync(process.execPath, [BIN, 'train', '--config', cfg, '--epochs', '1', '--out', join(dir, 'no-flock')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: join(dir, 'empty-path'), CI: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: this run directory is not locked against a second run \(flock\(1\) from util-linux is not installed\)/);
  });

  it('a failed re-run leaves the earlier run as it was: refused data, and training that fails midway', () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'kept');
    expect(xlatent(['train', '--config', cfg, '--epochs', '2', '--out', out]).code).toBe(0);
    const snapshot = () =>
      ['run.json', 'config.resolved.json', 'evaluation.json', 'trials/trial-0/result.json', 'trials/trial-0/last/variables.bin', 'model/encoder/weights.bin'].map((f) =>
        readFileSync(join(out, f)).toString('base64'),
      );
    const before = snapshot();
    // All-NaN labels: refused before the run directory is touched.
    const nan = variant('nan-labels.csv', (c) => ((c[col('AUX_CN')] = 'NaN'), c));
    const refused = xlatent(['train', '--config', cfg, '--data', nan, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/descriptor CN is labelled on 0 of the 140 training rows/);
    expect(snapshot()).toEqual(before);
    // Spectra that overflow the losses: training starts, diverges at epoch 1, and the earlier run is put back.
    const huge = variant('huge.csv', (c) => c.map((v, j) => (header[j].startsWith('ENE_') ? String(Number(v) * 1e30) : v)));
    const diverged = xlatent(['train', '--config', cfg, '--data', huge, '--out', out]);
    expect(diverged.code).toBe(2);
    expect(diverged.stderr).toMatch(/training diverged at epoch 1/);
    expect(diverged.stderr).toMatch(/earlier run .* was put back/);
    expect(snapshot()).toEqual(before);
    expect(readdirSync(out).filter((e) => e.startsWith('.') && e !== '.lock' && !e.startsWith('.model-'))).toEqual([]);
  });
});

describe('resuming', () => {
  it('--resume refuses other data, another seed or another config, naming what changed', () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'identity');
    expect(xlatent(['train', '--config', cfg, '--epochs', '1', '--out', out]).code).toBe(0);
    const runJson = readFileSync(join(out, 'run.json'), 'utf8');
    const cases: [string[], RegExp][] = [
      [['--epochs', '1', '--seed', '8'], /the seed changed \(the run used 7, this command gives 8\)/],
      [['--epochs', '1', '--data', variant('other.csv', (c, i) => (i === 5 ? ((c[col('AUX_OS')] = '2.25'), c) : c))], /the data changed: .*other\.csv now has SHA-256/],
      [['--epochs', '2'], /the configuration changed \(training\.epochs: 1 -> 2\)/],
    ];
    for (const [flags, message] of cases) {
      const r = xlatent(['train', '--config', cfg, '--out', out, '--resume', ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const edited = join(dir, 'edited.yaml');
    writeFileSync(edited, readFileSync(cfg, 'utf8').replace('batchSize: 64', 'batchSize: 32'));
    const r = xlatent(['train', '--config', edited, '--epochs', '1', '--out', out, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/training\.batchSize: 64 -> 32/);
    // The same data under another name is the same data.
    const copy = join(dir, 'copy.csv');
    writeFileSync(copy, readFileSync(data));
    expect(xlatent(['train', '--config', cfg, '--epochs', '1', '--out', out, '--resume', '--data', copy]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).config.seed).toBe(JSON.parse(runJson).config.seed);
    // A trial result from another computation is never gathered into this run.
    const result = join(out, 'trials', 'trial-0', 'result.json');
    writeFileSync(result, readFileSync(result, 'utf8').replace(/"configSha256": "[0-9a-f]{4}/, '"configSha256": "0000'));
    const mixed = xlatent(['train', '--config', cfg, '--epochs', '1', '--out', out, '--resume']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/result\.json: made by another computation than this run \(configSha256/);
  });
});

describe('data checked before the first epoch', () => {
  const noRun = (d: string) => expect(readdirSync(d)).not.toContain('run');

  it('all-NaN labels, 1-point spectra and an empty training split fail with exit 2 before anything is written', () => {
    const split = (cfgPath: string, fractions: string) =>
      writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('  discrete: [CN]\n', `  discrete: [CN]\n  split: ${fractions}\n`));
    // [case, data file, split fractions, message]
    const cases: [string, () => string, string, RegExp][] = [
      ['all-NaN labels', () => variant('all-nan.csv', (c) => ((c[col('AUX_BL')] = 'NaN'), c)), '', /descriptor BL is labelled on 0 of the 140 training rows/],
      [
        '1-point spectra',
        () => {
          const first = header.findIndex((h) => h.startsWith('ENE_'));
          const keep = header.map((h, j) => !h.startsWith('ENE_') || j === first);
          return variant('one-point.csv', (c) => c.filter((_, j) => keep[j]), rows.length, header.filter((_, j) => keep[j]));
        },
        '',
        /1 grid point; training needs at least 2/,
      ],
      ['empty training split', () => data, '{ train: 0, validation: 0.5, test: 0.5 }', /0 training rows/],
    ];
    for (const [label, file, extra, message] of cases) {
      const d = tempDir();
      const cfgPath = tinyConfig(d, file());
      if (extra) split(cfgPath, extra);
      const r = xlatent(['train', '--config', cfgPath]);
      expect(r.code, `${label}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend'));
      expect(lines, label).toHaveLength(1);
      expect(lines[0], label).toMatch(message);
      noRun(d);
    }
  });

  it('warns about a constant descriptor, a barely labelled one and a tiny validation split', () => {
    const d = tempDir();
    const file = variant('degenerate.csv', (c, i) => {
      c[col('AUX_CN')] = '5';
      if (i >= 10) c[col('AUX_BL')] = 'NaN';
      return c;
    });
    const cfgPath = tinyConfig(d, file);
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('  discrete: [CN]\n', '  discrete: [CN]\n  split: { train: 0.85, validation: 0.05, test: 0.1 }\n'));
    const r = xlatent(['train', '--config', cfgPath, '--epochs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: descriptor CN has the same value \(5\) on every labelled training row/);
    expect(r.stderr).toMatch(/warning: descriptor BL is labelled on only \d of the 170 training rows/);
    expect(r.stderr).toMatch(/warning: the validation split has only 10 rows: Spearman correlations on fewer than 20 rows are unreliable/);
  });

  it('a 4-spectrum dataset trains with warnings that the test split is empty and validation a single row', () => {
    const d = tempDir();
    const cfgPath = tinyConfig(d, variant('four.csv', (c) => c, 4));
    const r = xlatent(['train', '--config', cfgPath, '--epochs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the split has no test rows: evaluation\.json scores the validation rows/);
    expect(r.stderr).toMatch(/warning: the validation split has only 1 row:/);
  });
});
