/**
 * Pooled value arrays for the tensors the trainer fills every batch
 * (src/ops/tensor-arrays.ts): on the native backend they come from its pool
 * and return to it when the tensor goes, the tensor holds exactly what was
 * written, and training gives the same bits with pooled arrays (holding old
 * values) as with fresh zeroed ones; elsewhere each array is new.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { selectBackend } from '../../src/backends/select.js';
import { LossesSchema, NetworkSchema, OptimizerSchema, TrainingSchema } from '../../src/config/schema.js';
import { setTensorArrayProvider, tensorArray, tensorArrayProvider } from '../../src/ops/tensor-arrays.js';
import { RankAAETrainer } from '../../src/train/trainer.js';
import { peakSpectra } from '../train/synthetic.js';

const native = loadNativeAddon();

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Final weights of a short fit (dropout, noise and batches all drawn each step), as one array. */
async function fitWeights(): Promise<Float32Array> {
  const data = peakSpectra(300, 40, 3);
  const val = peakSpectra(60, 40, 4);
  const result = await new RankAAETrainer({
    network: NetworkSchema.parse({ nStyle: 3, hidden: 16, depth: 3, dropout: 0.1, discriminator: { hidden: 8, depth: 2 } }),
    losses: LossesSchema.parse({ adversarial: { priorSamples: 64 } }),
    optimizer: OptimizerSchema.parse({}),
    training: TrainingSchema.parse({ epochs: 2, batchSize: 64, augmentNoise: 0.02 }),
    seed: 11,
  }).fit(data, val);
  tf.disposeVariables();
  const parts = [result.finalEncoder, result.finalDecoder].flatMap((s) =>
    s.layers.flatMap((l) => ['kernel', 'bias', 'alpha', 'mean', 'variance'].map((k) => (l as Record<string, unknown>)[k]).filter((v): v is Float32Array => v instanceof Float32Array)),
  );
  return Float32Array.from(parts.flatMap((p) => Array.from(p)));
}

describe('tensorArray', () => {
  it.runIf(native.ok)('on native: reuses the array of a disposed tensor, and a tensor holds what was written', async () => {
    await selectBackend('native');
    const a = tensorArray(4096);
    a.fill(0.5);
    const t = tf.tensor2d(a, [64, 64]);
    const live = tensorArray(4096);
    expect(live).not.toBe(a);
    live.fill(2);
    const u = tf.tensor2d(live, [64, 64]);
    t.dispose();
    const again = tensorArray(4096);
    expect(again).toBe(a);
    expect(Array.from(await u.data()).every((v) => v === 2)).toBe(true);
    u.dispose();
  });

  it.runIf(native.ok)('on native: training gives the same bits with pooled arrays as with fresh ones', async () => {
    await selectBackend('native');
    const pooled = await fitWeights();
    const pooledAgain = await fitWeights();
    await selectBackend('native');
    const provider = tensorArrayProvider();
    expect(provider).toBeDefined();
    let fresh: Float32Array;
    try {
      setTensorArrayProvider(undefined);
      fresh = await fitWeights();
    } finally {
      setTensorArrayProvider(provider);
    }
    expect(pooled.every(Number.isFinite)).toBe(true);
    expect(Array.from(pooledAgain)).toEqual(Array.from(pooled));
    expect(Array.from(fresh)).toEqual(Array.from(pooled));
  });
  if (!native.ok) it.skip(`native tensorArray skipped: ${native.error}`, () => {});

  it('on cpu: a new zeroed array every time', async () => {
    await selectBackend('cpu');
    const a = tensorArray(1024);
    tf.tensor1d(a).dispose();
    const b = tensorArray(1024);
    expect(b).not.toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
  });
});
