import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameWeights, synthCsv, tempDir, tinyConfig, xlatent, xlatentAsync } from './helpers.js';

let dir: string;
let data: string;

/** Spearman's rho written out here (average ranks for ties, Pearson on ranks), independent of src/metrics. */
function spearmanOf(x: number[], y: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
    const r = new Array<number>(v.length);
    for (let s = 0; s < order.length; ) {
      let e = s;
      while (e + 1 < order.length && v[order[e + 1]] === v[order[s]]) e++;
      for (let t = s; t <= e; t++) r[order[t]] = (s + e) / 2;
      s = e + 1;
    }
    return r;
  };
  const [rx, ry] = [ranks(x), ranks(y)];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(rx), mean(ry)];
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

beforeAll(() => {
  dir = tempDir();
  data = synthCsv(dir, 400);
});

describe('xlatent train + evaluate', () => {
  it('trains from a config, writes a model directory and evaluates it as JSON', () => {
    const cfg = tinyConfig(dir, data);
    const t = xlatent(['train', '--config', cfg]);
    expect(t.stderr).toContain('backend: cpu');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('max inter-axis |spearman|');
    const model = join(dir, 'run', 'model');
    for (const f of ['metadata.json', 'encoder/model.json', 'decoder/model.json', 'metrics.jsonl']) {
      expect(existsSync(join(model, f)), f).toBe(true);
    }
    const run = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8'));
    expect(run.config.training.epochs).toBe(3);
    // The config's backend, recorded as what ran.
    expect(run.backend).toMatchObject({ name: 'cpu', requested: 'cpu' });
    const e = xlatent(['evaluate', '--model', join(dir, 'run'), '--json']);
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout);
    for (const name of ['OS', 'CN', 'BL']) {
      expect(typeof ev.descriptors[name].spearman).toBe('number');
      expect(Number.isFinite(ev.descriptors[name].r2)).toBe(true);
    }
    expect(ev.descriptors.CN.classifier.confusion.length).toBe(3);
    expect(ev.reconstruction.mse).toBeGreaterThan(0);
    // Evaluating on the training file itself scores every row with the stored thresholds.
    const all = JSON.parse(xlatent(['evaluate', '--model', join(dir, 'run'), '--data', data, '--json']).stdout);
    expect(all.n).toBe(400);
    // The inter-axis figure is the largest |Spearman| between two latent columns, computed here from embed's latents.
    const out = join(dir, 'all-latents.csv');
    expect(xlatent(['embed', '--model', join(dir, 'run'), '--data', data, '--out', out]).code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(1, 4).map(Number));
    expect(rows).toHaveLength(400);
    let worst = 0;
    for (let a = 0; a < 3; a++)
      for (let b = a + 1; b < 3; b++) worst = Math.max(worst, Math.abs(spearmanOf(rows.map((r) => r[a]), rows.map((r) => r[b]))));
    expect(all.maxInterAxisSpearman).toBeCloseTo(worst, 4);
    const [pa, pb] = all.maxInterAxisPair;
    expect(Math.abs(all.interAxisSpearman[pa][pb])).toBeCloseTo(worst, 4);
  });

  it('flags override the config', () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'run-override');
    const t = xlatent(['train', '--config', cfg, '--epochs', '1', '--seed', '11', '--out', out]);
    expect(t.code).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.config.training.epochs).toBe(1);
    expect(run.config.seed).toBe(11);
  });

  it('runs several trials in worker processes with seeds seed+i and keeps the best by validation score', () => {
    const cfg = tinyConfig(dir, data);
    const out = join(dir, 'trials-run');
    const t = xlatent(['train', '--config', cfg, '--epochs', '2', '--trials', '2', '--workers', '2', '--out', out]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('running 2 trials in 2 worker processes');
    const summary = JSON.parse(readFileSync(join(out, 'model', 'trials.json'), 'utf8'));
    expect(summary.trials.map((r: { seed: number }) => r.seed)).toEqual([7, 8]);
    const best = summary.trials.reduce((a: { bestScore: number }, b: { bestScore: number }) => (b.bestScore > a.bestScore ? b : a));
    expect(summary.chosen).toBe(best.trial);
    // Trials in worker processes compute exactly what the same trials compute one after another in-process.
    const sequential = join(dir, 'trials-sequential');
    expect(xlatent(['train', '--config', cfg, '--epochs', '2', '--trials', '2', '--workers', '1', '--out', sequential]).code).toBe(0);
    const inProcess = JSON.parse(readFileSync(join(sequential, 'model', 'trials.json'), 'utf8'));
    expect(inProcess.trials.map((r: { bestScore: number }) => r.bestScore)).toEqual(summary.trials.map((r: { bestScore: number }) => r.bestScore));
  });

  it('a killed run resumed with --resume ends with the weights of an uninterrupted run', async () => {
    const epochs = '5';
    const cfg = tinyConfig(dir, data);
    const straight = join(dir, 'straight');
    expect(xlatent(['train', '--config', cfg, '--epochs', epochs, '--out', straight]).code).toBe(0);

    const killed = join(dir, 'killed');
    const child = xlatentAsync(['train', '--config', cfg, '--epochs', epochs, '--out', killed]);
    const state = join(killed, 'trials', 'trial-0', 'last');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        // Kill as soon as a checkpoint exists and before the run could finish.
        if (existsSync(state)) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 5);
      child.on('exit', () => {
        clearInterval(timer);
        resolve();
      });
      child.on('error', reject);
    });
    expect(existsSync(join(killed, 'model'))).toBe(false);
    const resumed = xlatent(['train', '--config', cfg, '--epochs', epochs, '--out', killed, '--resume']);
    expect(resumed.code).toBe(0);
    // The kill fell while epochs remained, so the resume trained some (a message after epoch 5 would prove nothing).
    const after = Number(/resumed after epoch (\d+)/.exec(resumed.stderr)?.[1]);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(5);
    sameWeights(straight, killed);
  });
});

describe('bad input gives one line, exit code 2, and no partial output', () => {
  const cases: [string, string, RegExp][] = [
    ['missing file', '', /not found|no such file/i],
    ['ragged row', 'ragged', /ragged\.csv:3:\d+: expected 8 fields/],
    ['NaN value', 'nan', /nan\.csv:2:\d+: column "ENE_7100": expected a finite number/],
    ['text in a number column', 'text', /text\.csv:3:\d+: .*AUX_CN.*"four"/],
    ['energies out of order', 'order', /increas/],
    ['empty dataset', 'empty', /no (data )?rows|empty/i],
  ];
  const header = 'id,AUX_OS,AUX_CN,AUX_BL,ENE_7100,ENE_7101,ENE_7102,ENE_7103';
  const row = (i: number) => `s${i},${2 + (i % 3) * 0.5},${4 + (i % 3)},${1.9 + (i % 5) * 0.05},0.1,0.5,0.9,1.0`;
  const good = Array.from({ length: 20 }, (_, i) => row(i));
  const files: Record<string, string> = {
    ragged: [header, good[0], 's1,2,4,1.9,0.1,0.5', ...good.slice(2)].join('\n'),
    nan: [header, 's0,2,4,1.9,NaN,0.5,0.9,1.0', ...good.slice(1)].join('\n'),
    text: [header, good[0], 's1,2,four,1.9,0.1,0.5,0.9,1.0', ...good.slice(2)].join('\n'),
    order: ['id,AUX_OS,AUX_CN,AUX_BL,ENE_7100,ENE_7102,ENE_7101,ENE_7103', ...good].join('\n'),
    empty: header + '\n',
  };
  for (const [label, key, pattern] of cases) {
    it(label, () => {
      const d = tempDir();
      const f = join(d, `${key || 'missing'}.csv`);
      if (key) writeFileSync(f, files[key] + '\n');
      const r = xlatent(['train', '--config', tinyConfig(d, f)]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend'));
      expect(lines.length, r.stderr).toBe(1);
      expect(lines[0]).toContain(f);
      expect(lines[0]).toMatch(pattern);
      expect(existsSync(join(d, 'run', 'model'))).toBe(false);
    });
  }

  it('unknown descriptor name lists the available ones', () => {
    const d = tempDir();
    const f = join(d, 'ok.csv');
    writeFileSync(f, [header, ...good].join('\n') + '\n');
    const cfgPath = tinyConfig(d, f);
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('[OS, CN, BL]', '[OS, CNN, BL]').replace('discrete: [CN]', 'discrete: []'));
    const r = xlatent(['train', '--config', cfgPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CNN');
    expect(r.stderr).toMatch(/OS, CN, BL/);
  });

  it('a config typo names the key', () => {
    const d = tempDir();
    const cfgPath = tinyConfig(d, join(d, 'x.csv'), 'trainig:\n  epochs: 2\n');
    const r = xlatent(['train', '--config', cfgPath]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('trainig: unknown key');
    expect(readdirSync(d)).not.toContain('run');
  });

  it('a bad override flag names the config field it overrides', () => {
    const d = tempDir();
    const cfgPath = tinyConfig(d, join(d, 'x.csv'));
    for (const [flags, field] of [[['--epochs', '0'], 'training.epochs'], [['--workers', '-1'], 'training.workers'], [['--seed', '1.5'], 'seed']] as const) {
      const r = xlatent(['train', '--config', cfgPath, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`command-line flags: ${field}:`);
    }
    expect(readdirSync(d)).not.toContain('run');
  });
});
