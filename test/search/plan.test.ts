import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSearch } from '../../src/search/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'xlatent-plan-'));
writeFileSync(
  join(dir, 'base.yaml'),
  `seed: 3
data:
  synth: { count: 120, points: 32 }
  descriptors: [OS, CN]
network: { nStyle: 3, hidden: 16, depth: 3 }
training: { epochs: 12 }
backend: cpu
`,
);

/** Writes a search file with `body` after a base line and returns its path. */
function searchFile(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `base: base.yaml\n${body}`);
  return p;
}

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('search file', () => {
  it('the shipped search configs are valid: nine trials over rungs of 5, 15 and 40 epochs, locally and on Slurm', () => {
    const configs = join(__dirname, '../../configs');
    const local = planSearch(join(configs, 'search-quickstart.yaml'));
    expect(local.trials).toHaveLength(9);
    expect(local.budgets).toEqual([5, 15, 40]);
    expect(local.spec.launcher.kind).toBe('local');
    const slurm = planSearch(join(configs, 'search-slurm.yaml'));
    expect(slurm.trials.map((t) => t.params)).toEqual(local.trials.map((t) => t.params)); // same seed, same draws
    expect(slurm.spec.launcher).toMatchObject({ kind: 'slurm', slurm: { partition: 'debug', time: '00:30:00', mem: '2G', cpusPerTask: 2 } });
  });

  it('expands into trials whose configs are the base with the drawn values, each a validated training config', () => {
    const f = searchFile(
      'ok.yaml',
      `seed: 4
trials: 5
space:
  optimizer.lr: { logRange: [1.0e-4, 1.0e-2] }
  network.discriminator.hidden: { choice: [8, 32] }
  data.grid: { choice: [{ points: 24 }, { points: 32 }] }
halving: { minEpochs: 2, reduction: 2 }
`,
    );
    const plan = planSearch(f);
    expect(plan.budgets).toEqual([2, 4, 8, 12]); // maxEpochs defaults to the base config's epochs
    expect(plan.trials.map((t) => t.id)).toEqual(['t-00', 't-01', 't-02', 't-03', 't-04']);
    expect(plan.out).toBe(join(dir, 'runs', 'search'));
    for (const t of plan.trials) {
      expect(t.cfg.optimizer.lr).toBe(t.params['optimizer.lr']);
      expect(t.cfg.network.discriminator.hidden).toBe(t.params['network.discriminator.hidden']);
      expect(t.cfg.data.grid).toEqual(t.params['data.grid']);
      expect(t.cfg.seed).toBe(3); // every trial on the base seed: one split for all
      expect(t.cfg.network.hidden).toBe(16);
      expect(t.cfg.optimizer.weightDecay).toBe(0.01); // defaults filled in
      expect(t.cfg.output).toBe(join(plan.out, 'trials', t.id));
    }
    // The same file plans the same trials; another seed draws others.
    expect(planSearch(f).trials.map((t) => t.params)).toEqual(plan.trials.map((t) => t.params));
    writeFileSync(f, `base: base.yaml\nseed: 5\ntrials: 5\nspace:\n  optimizer.lr: { logRange: [1.0e-4, 1.0e-2] }\n`);
    expect(planSearch(f).trials[0].params['optimizer.lr']).not.toBe(plan.trials[0].params['optimizer.lr']);
  });

  it('a grid runs every combination', () => {
    const plan = planSearch(searchFile('grid.yaml', `sampler: grid\nspace:\n  network.depth: { intRange: [2, 4] }\n  optimizer.lr: { logRange: [1.0e-4, 1.0e-2], points: 3 }\n`));
    expect(plan.trials).toHaveLength(9);
    expect(plan.trials[1].params).toEqual({ 'network.depth': 2, 'optimizer.lr': 0.001 });
    expect(plan.trials.every((t) => t.sampleSeed === null)).toBe(true);
  });

  it('names file, line and key of every mistake', () => {
    const bad = (name: string, body: string) => errorOf(() => planSearch(searchFile(name, body)));
    expect(bad('e1.yaml', 'trials: 2\nspace:\n  network.hidden: { choice: [8] }\nhalvng: {}\n')).toMatch(/e1\.yaml:5: halvng: unknown key \(expected one of base, output, seed, sampler, trials, space, halving, launcher, ensemble\)/);
    expect(bad('e2.yaml', 'trials: 2\nspace:\n  network.hiden: { choice: [8] }\n')).toMatch(/e2\.yaml:4: space\.network\.hiden: not a field of the training config: network has nStyle, hidden, depth/);
    expect(bad('e3.yaml', 'trials: 2\nspace:\n  network.hidden: { choice: [8, -1] }\n')).toMatch(/e3\.yaml:4: space\.network\.hidden: -1 is not a value of network\.hidden: Too small/);
    expect(bad('e4.yaml', 'trials: 2\nspace:\n  network.hidden: { range: [8, 64] }\n')).toMatch(/e4\.yaml:4: space\.network\.hidden: does not take the real numbers a range draws .*use intRange or choice/);
    expect(bad('e5.yaml', 'trials: 2\nspace:\n  seed: { choice: [1, 2] }\n')).toMatch(/e5\.yaml:4: space\.seed: cannot be searched: the split follows the seed/);
    expect(bad('e6.yaml', 'trials: 2\nspace:\n  network.hidden: { range: [8, 64], points: 2, log: true }\n')).toMatch(/e6\.yaml:4: space\.network\.hidden\.log: `log` goes with intRange/);
    expect(bad('e7.yaml', 'space:\n  network.hidden: { choice: [8] }\n')).toMatch(/e7\.yaml: sampler: random sampling needs `trials`/);
    expect(bad('e8.yaml', 'sampler: grid\ntrials: 3\nspace:\n  network.hidden: { choice: [8] }\n')).toMatch(/e8\.yaml:3: trials: a grid runs every combination/);
    expect(bad('e9.yaml', 'trials: 2\nspace:\n  network: { choice: [{}] }\n  network.hidden: { choice: [8] }\n')).toMatch(/e9\.yaml:5: space names both network and network\.hidden/);
    expect(bad('e10.yaml', 'trials: 2\nspace:\n  training.epochs: { choice: [3, 4] }\nhalving: { minEpochs: 2 }\n')).toMatch(/e10\.yaml:4: space\.training\.epochs: cannot be searched with halving/);
    expect(bad('e11.yaml', 'trials: 2\nspace:\n  network.hidden: { choice: [8] }\nhalving: { minEpochs: 20 }\n')).toMatch(/e11\.yaml:5: minEpochs 20 is above maxEpochs 12 \(the base config's training\.epochs\)/);
    // A drawn config that breaks the training schema as a whole names the trial and its values.
    expect(bad('e12.yaml', 'trials: 1\nspace:\n  data.split: { choice: [{ train: 0.5, validation: 0.2, test: 0.2, extra: 1 }] }\n')).toMatch(/e12\.yaml:4: space\.data\.split: .*is not a value of data\.split: Unrecognized key: "extra"/);
    expect(bad('e13.yaml', 'trials: 2\nspace:\n  network.hidden: { choice: [8] }\nlauncher: { kind: slurm, slurm: { partition: "a b" } }\n')).toMatch(/e13\.yaml:5: launcher\.slurm\.partition: letters, digits/);
    expect(bad('e14.yaml', 'trials: 2\nspace:\n  network.hidden: { choice: [8] }\nlauncher: { kind: slurm, slurm: { extra: ["--account=x\\n#SBATCH --mem=1T"] } }\n')).toMatch(/e14\.yaml:5: launcher\.slurm\.extra\.0: one sbatch option/);
    expect(bad('e15.yaml', 'trials: 2\nspace:\n  netwrk.hidden: { choice: [8] }\n')).toMatch(/e15\.yaml:4: space\.netwrk\.hidden: not a field of the training config: the top level has seed, data, preprocess, network/);
    // A drawn config that breaks a rule across fields names the trial and its values.
    expect(bad('e16.yaml', 'trials: 1\nspace:\n  data.file: { choice: [spectra.csv] }\n')).toMatch(/e16\.yaml: trial t-00 \(data\.file=spectra\.csv\): data: give exactly one of data\.file .* and data\.synth/);
    expect(errorOf(() => planSearch(join(dir, 'missing.yaml')))).toMatch(/missing\.yaml: config file not found/);
  });
});
