import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrainConfig } from '../../src/config/load.js';
import { UserError } from '../../src/util/errors.js';

function writeConfig(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'xlatent-config-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('loadTrainConfig', () => {
  it('fills defaults and resolves data.file against the config folder', () => {
    const p = writeConfig('a.yaml', 'data:\n  file: spectra.csv\n  descriptors: [CN]\n');
    const cfg = loadTrainConfig(p);
    expect(cfg.data.file).toBe(join(p, '..', 'spectra.csv'));
    expect(cfg.network.nStyle).toBe(4);
    expect(cfg.losses.rank.lrRatio).toBe(10);
    expect(cfg.training.epochs).toBe(150);
    expect(cfg.data.split).toEqual({ train: 0.7, validation: 0.15, test: 0.15 });
  });

  it('reads JSON configs the same way as YAML', () => {
    const y = loadTrainConfig(writeConfig('a.yaml', 'seed: 3\ndata:\n  file: /x.csv\n  descriptors: [OS, CN]\n'));
    const j = loadTrainConfig(writeConfig('a.json', JSON.stringify({ seed: 3, data: { file: '/x.csv', descriptors: ['OS', 'CN'] } })));
    // output resolves against each config's own folder; everything else is identical
    expect({ ...j, output: '' }).toEqual({ ...y, output: '' });
    expect(j.output.endsWith('runs/model')).toBe(true);
  });

  it('names an unknown key (typo) with its line and the accepted keys', () => {
    const p = writeConfig('typo.yaml', 'data:\n  file: x.csv\n  descriptors: [CN]\nnetwork:\n  hiden: 32\n');
    const e = errorOf(() => loadTrainConfig(p));
    expect(e.message).toContain('typo.yaml:5');
    expect(e.message).toContain('network.hiden: unknown key');
    expect(e.message).toContain('hidden');
  });

  it('names a wrong type with the key path', () => {
    const p = writeConfig('type.yaml', 'data:\n  file: x.csv\n  descriptors: [CN]\ntraining:\n  epochs: ten\n');
    const e = errorOf(() => loadTrainConfig(p));
    expect(e.message).toMatch(/type\.yaml:5: training\.epochs: .*expected number/);
  });

  it('reports YAML syntax errors with line and column', () => {
    const p = writeConfig('syntax.yaml', 'data:\n  file: x.csv\n  descriptors: [CN\n');
    expect(errorOf(() => loadTrainConfig(p)).message).toMatch(/syntax\.yaml:\d+:\d+: not valid YAML/);
  });

  it('rejects missing files, missing required fields and unsupported extensions', () => {
    expect(errorOf(() => loadTrainConfig('/nonexistent/c.yaml')).message).toContain('config file not found');
    expect(errorOf(() => loadTrainConfig(writeConfig('b.yaml', 'seed: 1\n'))).message).toContain('data');
    expect(errorOf(() => loadTrainConfig(writeConfig('c.toml', 'x=1'))).message).toContain('unsupported config extension');
  });

  it('accepts generated data (data.synth) instead of a file, but not both or neither', () => {
    const cfg = loadTrainConfig(writeConfig('s.yaml', 'data:\n  synth: { count: 50, descriptors: [OS, DW] }\n  descriptors: [DW]\n'));
    expect(cfg.data.synth).toMatchObject({ count: 50, points: 128, descriptors: ['OS', 'DW'] });
    expect(cfg.data.file).toBeUndefined();
    const both = writeConfig('b.yaml', 'data:\n  file: x.csv\n  synth: { count: 5 }\n  descriptors: [OS]\n');
    expect(errorOf(() => loadTrainConfig(both)).message).toContain('exactly one of data.file');
    const none = writeConfig('n.yaml', 'data:\n  descriptors: [OS]\n');
    expect(errorOf(() => loadTrainConfig(none)).message).toContain('exactly one of data.file');
  });
});
