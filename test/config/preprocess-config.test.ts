import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrainConfig } from '../../src/config/load.js';
import { UserError } from '../../src/util/errors.js';

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'xlatent-config-'));
  const p = join(dir, 'c.yaml');
  writeFileSync(p, text);
  return p;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

const base = 'data:\n  file: calc.csv\n  descriptors: [OS]\n';

describe('the preprocess and augment sections', () => {
  it('fill documented defaults and resolve reference files against the config folder', () => {
    const p = writeConfig(
      base +
        'preprocess:\n  broaden: [{ kind: fdmnes, gammaHole: 1.2, eFermi: 7112 }]\n  calibrate:\n    reference: { calculated: refs/calc.txt, measured: refs/meas.xdi }\n  xas: {}\ntraining:\n  augment: { energyShift: 0.3 }\n',
    );
    const cfg = loadTrainConfig(p);
    expect(cfg.preprocess!.broaden).toEqual([{ kind: 'fdmnes', gammaHole: 1.2, gammaMax: 15, eCent: 30, eLarg: 30, eFermi: 7112 }]);
    expect(cfg.preprocess!.calibrate.reference).toMatchObject({ calculated: join(p, '..', 'refs', 'calc.txt'), measured: join(p, '..', 'refs', 'meas.xdi'), method: 'derivative', window: 20 });
    expect(cfg.preprocess!.xas).toMatchObject({ pre1: -200, pre2: -30, norm1: 150, norm2: null, output: 'norm', e0Window: null });
    expect(cfg.preprocess!.onFailure).toBe('error');
    expect(cfg.training.augment).toEqual({ energyShift: 0.3, broaden: 0, noise: 0, slope: 0, curvature: 0, scale: 0, probability: 1 });
    // no section: no preprocessing, augmentation off
    const plain = loadTrainConfig(writeConfig(base));
    expect(plain.preprocess).toBeUndefined();
    expect(plain.training.augment.energyShift).toBe(0);
  });

  it('name the file, line and key path of a mistake', () => {
    const typo = writeConfig(base + 'preprocess:\n  xas:\n    pre1: -50\n    nnrom: 1\n');
    expect(messageOf(() => loadTrainConfig(typo))).toMatch(/c\.yaml:7: preprocess\.xas\.nnrom: unknown key \(expected one of e0, pre1, pre2, norm1, norm2, nnorm/);
    const kernel = writeConfig(base + 'preprocess:\n  broaden:\n    - { kind: voigt, fwhm: 1 }\n');
    expect(messageOf(() => loadTrainConfig(kernel))).toMatch(/preprocess\.broaden\.0\.kind/);
    const both = writeConfig(base + 'preprocess:\n  calibrate: { measuredShift: 2, reference: { calculated: a.txt, measured: b.txt } }\n');
    expect(messageOf(() => loadTrainConfig(both))).toMatch(/either calibrate\.measuredShift or calibrate\.reference\.measured/);
    const negative = writeConfig(base + 'training:\n  augment: { noise: -0.1 }\n');
    expect(messageOf(() => loadTrainConfig(negative))).toMatch(/training\.augment\.noise/);
  });
});
