import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { LossesSchema, NetworkSchema, OptimizerSchema, TrainConfigSchema, TrainingSchema } from '../../src/config/schema.js';
import { GRID, N_AUX, REFERENCE_SETTINGS, referenceSplit } from '../../scripts/reference-workload.js';

// The reference workload is written twice: configs/bench-reference.yaml for the whole `xlatent train` processes of
// `npm run bench`, scripts/reference-workload.ts for its in-process profile and scripts/gpu-check.sh. They drifted
// apart once (the profile had no augmentation noise); this holds them equal.
describe('the reference training workload', () => {
  const cfg = loadConfigFile(join(import.meta.dirname, '..', '..', 'configs', 'bench-reference.yaml'), TrainConfigSchema);

  it('trains the same networks with the same losses, optimizer, batches, noise and seed in both places', () => {
    expect(cfg.network).toEqual(NetworkSchema.parse(REFERENCE_SETTINGS.network));
    expect(cfg.losses).toEqual(LossesSchema.parse({}));
    expect(cfg.optimizer).toEqual(OptimizerSchema.parse({}));
    const script = TrainingSchema.parse({ ...REFERENCE_SETTINGS.training, epochs: cfg.training.epochs });
    expect(cfg.training).toEqual(script);
    expect(cfg.seed).toBe(REFERENCE_SETTINGS.seed);
  });

  it('has the same shape of data: spectra of 256 points, five descriptors, 70% training and 15% validation rows', () => {
    const synth = cfg.data.synth!;
    const split = cfg.data.split;
    if (!('train' in split)) throw new Error('configs/bench-reference.yaml: expected a train/validation/test split');
    expect(synth.points).toBe(GRID);
    expect(cfg.data.descriptors).toHaveLength(N_AUX);
    const { train, validation } = referenceSplit(synth.count);
    expect([train.n, train.m, train.k]).toEqual([Math.floor(split.train * synth.count), GRID, N_AUX]);
    expect(validation.n).toBe(Math.floor(split.validation * synth.count));
  });
});
