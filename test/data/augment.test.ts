import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LossesSchema, NetworkSchema, OptimizerSchema, TrainingSchema } from '../../src/config/schema.js';
import { AugmentSchema, buildAugmentation } from '../../src/data/augment.js';
import { linspace } from '../../src/data/grid.js';
import { applyNormalization, fitNormalization } from '../../src/data/normalize.js';
import { halfStepEnergy } from '../../src/data/xas/edge-position.js';
import { ModelCheckpoint } from '../../src/train/callbacks/model-checkpoint.js';
import { StopOnSignal } from '../../src/train/callbacks/stop-signal.js';
import { RankAAETrainer, type TrainerOptions } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/random.js';
import { peakSpectra } from '../train/synthetic.js';

const energies = linspace(7100, 7160, 121);
/** An arctan edge at 7130 eV (half step exactly there). */
const edge = Float32Array.from(energies, (e) => 0.5 + Math.atan((e - 7130) / 1.5) / Math.PI);
const none = { kind: 'none' } as const;
const aug = (o: object) => AugmentSchema.parse(o);

describe('training augmentations', () => {
  it('are off unless configured (no hook, so no random draws change)', () => {
    expect(buildAugmentation(aug({}), energies, none)).toBeUndefined();
    expect(buildAugmentation(aug({ noise: 0.1, probability: 0 }), energies, none)).toBeUndefined();
  });

  it('move the edge by the drawn energy offset, drawn from the given generator', () => {
    const hook = buildAugmentation(aug({ energyShift: 2 }), energies, none)!;
    const x = edge.slice();
    hook(x, 1, energies.length, new Rng(3));
    const expected = 2 * new Rng(3).normal();
    expect(Math.abs(expected)).toBeGreaterThan(0.1);
    expect(halfStepEnergy(energies, x, 7130) - 7130).toBeCloseTo(expected, 1);
    const again = edge.slice();
    hook(again, 1, energies.length, new Rng(3));
    expect(again).toEqual(x);
  });

  it('broaden, tilt, bend, rescale and add noise, in edge-step units before the intensity normalization', () => {
    const rows = 200;
    const x = new Float32Array(rows * energies.length);
    for (let r = 0; r < rows; r++) x.set(edge, r * energies.length);
    const hook = buildAugmentation(aug({ broaden: 3, slope: 0.05, curvature: 0.02, scale: 0.05, noise: 0.01 }), energies, none)!;
    hook(x, rows, energies.length, new Rng(1));
    const at = (r: number, c: number) => x[r * energies.length + c];
    // the post-edge plateau scatters by the scale error, the far pre-edge by slope and curvature
    const plateau = Array.from({ length: rows }, (_, r) => at(r, 110));
    const mean = plateau.reduce((a, b) => a + b, 0) / rows;
    const sd = Math.sqrt(plateau.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
    expect(sd).toBeGreaterThan(0.04);
    expect(sd).toBeLessThan(0.1);
    // broadening (uniform in [0, 3] eV FWHM) lowers the steepest slope of the edge on average
    let slopes = 0;
    for (let r = 0; r < rows; r++) slopes += (at(r, 61) - at(r, 59)) / (energies[61] - energies[59]);
    expect(slopes / rows).toBeLessThan((edge[61] - edge[59]) / (energies[61] - energies[59]) * 0.9);
  });

  it('undo and redo the intensity normalization: standardized inputs stay standardized, minmax ones ignore the scale error', () => {
    const rows = 64;
    const raw = new Float32Array(rows * energies.length);
    const rng = new Rng(9);
    for (let r = 0; r < rows; r++) for (let c = 0; c < energies.length; c++) raw[r * energies.length + c] = edge[c] * (1 + 0.2 * rng.uniform());
    const std = fitNormalization('standardize', raw, rows, energies.length, energies) as { kind: 'standardize'; mean: number[]; std: number[] };
    const xs = applyNormalization(std, raw, rows, energies.length);
    buildAugmentation(aug({ scale: 0.5 }), energies, std)!(xs, rows, energies.length, new Rng(2));
    // the hook's scale factors, undone: every row of raw data was multiplied by exp(0.5 N(0,1))
    const draw = new Rng(2);
    for (let r = 0; r < rows; r++) {
      const f = Math.exp(0.5 * draw.normal());
      for (const c of [40, 60, 100]) expect(xs[r * energies.length + c] * std.std[c] + std.mean[c]).toBeCloseTo(raw[r * energies.length + c] * f, 4);
    }
    const mm = fitNormalization('minmax', raw, rows, energies.length, energies);
    const xm = applyNormalization(mm, raw, rows, energies.length);
    const before = xm.slice();
    buildAugmentation(aug({ scale: 0.5 }), energies, mm)!(xm, rows, energies.length, new Rng(2));
    for (let i = 0; i < xm.length; i += 37) expect(xm[i]).toBeCloseTo(before[i], 5);
  });
});

describe('the trainer with an augmentation hook', () => {
  let root: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = mkdtempSync(join(tmpdir(), 'xlatent-augment-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const train = peakSpectra(120, 24, 1);
  const val = peakSpectra(40, 24, 2);
  const grid = linspace(0, 23, 24);
  const opts = (extra: Partial<TrainerOptions>): TrainerOptions => ({
    network: NetworkSchema.parse({ nStyle: 3, hidden: 12, depth: 3, discriminator: { hidden: 12, depth: 2 } }),
    losses: LossesSchema.parse({ adversarial: { priorSamples: 32, alphaRampEpochs: 5 } }),
    optimizer: OptimizerSchema.parse({}),
    training: TrainingSchema.parse({ epochs: 3, batchSize: 40 }),
    seed: 5,
    augment: buildAugmentation(aug({ energyShift: 0.5, noise: 0.02, scale: 0.05 }), grid, none),
    ...extra,
  });

  it('changes training, and a resumed run still ends with the weights of an uninterrupted one', async () => {
    const plain = await new RankAAETrainer(opts({ augment: undefined })).fit(train, val);
    const full = await new RankAAETrainer(opts({ callbacks: [new ModelCheckpoint(join(root, 'full'), 1)] })).fit(train, val);
    expect(full.finalEncoder.layers[0]).not.toEqual(plain.finalEncoder.layers[0]);
    const abort = new AbortController();
    const dir = join(root, 'resumed');
    const stopInEpoch2 = { onBatchEnd: (_loop: unknown, epoch: number) => void (epoch === 2 && abort.abort()) };
    await new RankAAETrainer(opts({ callbacks: [new ModelCheckpoint(dir, 1), stopInEpoch2, new StopOnSignal(abort.signal)] })).fit(train, val);
    const resumed = await new RankAAETrainer(opts({ callbacks: [new ModelCheckpoint(dir, 1)], resumeFrom: join(dir, 'last') })).fit(train, val);
    expect(resumed.resumedFrom).toBe(2);
    const a = full.finalEncoder.layers[0] as { kernel: Float32Array };
    const b = resumed.finalEncoder.layers[0] as { kernel: Float32Array };
    expect(Array.from(b.kernel)).toEqual(Array.from(a.kernel));
  });
});
