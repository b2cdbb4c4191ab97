import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LossesSchema, NetworkSchema, OptimizerSchema, TrainingSchema } from '../../src/config/schema.js';
import { runNetwork } from '../../src/model/infer.js';
import type { NetworkSpec } from '../../src/model/spec.js';
import { BestModel } from '../../src/train/callbacks/best-model.js';
import type { FitLoopView } from '../../src/train/callbacks/callback.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { MetricsLogger } from '../../src/train/callbacks/metrics-logger.js';
import { ModelCheckpoint } from '../../src/train/callbacks/model-checkpoint.js';
import { StopOnSignal } from '../../src/train/callbacks/stop-signal.js';
import { RankAAETrainer, type TrainerOptions } from '../../src/train/trainer.js';
import { spearman } from '../../src/metrics/correlation.js';
import { peakSpectra } from './synthetic.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'xlatent-trainer-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tinyOptions(epochs: number, extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    network: NetworkSchema.parse({ nStyle: 3, hidden: 12, depth: 3, discriminator: { hidden: 12, depth: 2 } }),
    losses: LossesSchema.parse({ adversarial: { priorSamples: 64, alphaRampEpochs: 5 } }),
    optimizer: OptimizerSchema.parse({ plateau: { patience: 1 } }),
    training: TrainingSchema.parse({ epochs, batchSize: 50, augmentNoise: 0.01 }),
    seed: 7,
    ...extra,
  };
}

function maxAbsDiff(a: NetworkSpec, b: NetworkSpec): number {
  let d = 0;
  a.layers.forEach((l, i) => {
    const m = b.layers[i];
    for (const key of ['kernel', 'bias', 'alpha', 'mean', 'variance'] as const) {
      const x = (l as Record<string, unknown>)[key] as Float32Array | undefined;
      const y = (m as Record<string, unknown>)[key] as Float32Array | undefined;
      if (!x || !y) continue;
      for (let j = 0; j < x.length; j++) d = Math.max(d, Math.abs(x[j] - y[j]));
    }
  });
  return d;
}

describe('RankAAETrainer', () => {
  const train = peakSpectra(160, 24, 1, 0.1);
  const val = peakSpectra(60, 24, 2, 0.1);

  it('resumed from a checkpoint ends with the weights of an uninterrupted run, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const fullDir = join(root, 'full');
    const fullBest = new BestModel();
    const full = await new RankAAETrainer({
      ...tinyOptions(4),
      callbacks: [
        { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
        fullBest,
        new ModelCheckpoint(fullDir, 1),
        new MetricsLogger(fullDir, ['d0', 'd1']),
      ],
    }).fit(train, val);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(full.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);

    const dir = join(root, 'resumed');
    // Interrupted as by Ctrl-C during epoch 2 of 4: it stops after that epoch and checkpoints.
    const abort = new AbortController();
    let batches = 0;
    const first = await new RankAAETrainer({
      ...tinyOptions(4),
      callbacks: [
        new BestModel(),
        new ModelCheckpoint(dir, 3),
        new MetricsLogger(dir, ['d0', 'd1']),
        {
          onBatchEnd: (_loop, epoch, batch, nBatches) => {
            batches++;
            expect(nBatches).toBe(4); // 160 rows in batches of 50
            if (epoch === 2 && batch === 1) abort.abort();
          },
        },
        new StopOnSignal(abort.signal),
      ],
    }).fit(train, val);
    expect(first.stopped).toBe(true);
    expect(batches).toBe(8);
    expect(first.history).toHaveLength(2);
    expect(existsSync(join(dir, 'last', 'state.json'))).toBe(true);
    expect(existsSync(join(dir, 'best', 'variables.bin'))).toBe(true);
    const best = new BestModel();
    const resumed = await new RankAAETrainer({
      ...tinyOptions(4),
      callbacks: [best, new ModelCheckpoint(dir, 1), new MetricsLogger(dir, ['d0', 'd1'])],
      resumeFrom: join(dir, 'last'),
    }).fit(train, val);
    expect(resumed.resumedFrom).toBe(2);
    expect(maxAbsDiff(resumed.finalEncoder, full.finalEncoder)).toBe(0);
    expect(maxAbsDiff(resumed.finalDecoder, full.finalDecoder)).toBe(0);
    expect(maxAbsDiff(best.networks()!.encoder, fullBest.networks()!.encoder)).toBe(0);
    expect(resumed.history.map((h) => h.score)).toEqual(full.history.map((h) => h.score));
    expect(best.bestEpoch).toBe(fullBest.bestEpoch);
    expect(tf.memory().numTensors).toBe(before);

    const jsonl = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(jsonl.map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3, 4]);
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',')).toContain('spearman_d1');
    expect(csv).toHaveLength(5);
  });

  it('a checkpoint written right after a resume equals the one it resumed from (every state restored)', async () => {
    const dir = join(root, 'roundtrip');
    await new RankAAETrainer({ ...tinyOptions(3), callbacks: [new BestModel(), new ModelCheckpoint(dir, 1)] }).fit(train, val);
    const again = join(root, 'roundtrip-again');
    const probe = { onFitStart: async (loop: FitLoopView) => {
      const content = loop.checkpointContent();
      await saveCheckpoint(again, content.state, content.tensors);
      loop.shouldStop = true;
    } };
    await new RankAAETrainer({ ...tinyOptions(6), callbacks: [new BestModel(), probe], resumeFrom: join(dir, 'last') }).fit(train, val);
    const a = loadCheckpoint<Record<string, unknown>>(join(dir, 'last'));
    const b = loadCheckpoint<Record<string, unknown>>(again);
    // training.epochs may differ on resume; everything else (schedule, generator, history, steps, callback states) must not.
    const comparable = (st: Record<string, unknown>) => ({ ...st, config: { ...(st.config as object), training: undefined } });
    expect(comparable(b.state)).toEqual(comparable(a.state));
    expect((a.state.callbacks as { best: { bestEpoch: number } }).best.bestEpoch).toBeGreaterThan(0);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    expect([...a.tensors.keys()].some((k) => k.startsWith('best.'))).toBe(true);
    for (const [name, t] of a.tensors) expect(Array.from(b.tensors.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('resumes the plateau schedule where it was: the learning rates of the remaining epochs equal an uninterrupted run', async () => {
    // Validation labels reversed: the better the axes learn the training order, the lower the validation score,
    // so it rarely improves and the schedule (patience 1) cuts the rates before and after the resume point.
    const reversed = { ...val, y: val.y.map((v) => -v) };
    const opts = (epochs: number, extra: Partial<TrainerOptions> = {}) => ({ ...tinyOptions(epochs, extra), optimizer: OptimizerSchema.parse({ plateau: { patience: 1, factor: 0.5 } }) });
    const full = await new RankAAETrainer(opts(6)).fit(train, reversed);
    const lr = OptimizerSchema.parse({}).lr;
    const multipliers = full.history.map((h) => h.lr / lr);
    // Preconditions that make the comparison meaningful: a cut before the resume point and one after it.
    expect(multipliers[2], multipliers.join(', ')).toBeLessThan(1);
    expect(multipliers[5], multipliers.join(', ')).toBeLessThan(multipliers[2]);
    const dir = join(root, 'plateau');
    await new RankAAETrainer(opts(3, { callbacks: [new ModelCheckpoint(dir, 1)] })).fit(train, reversed);
    const resumed = await new RankAAETrainer(opts(6, { resumeFrom: join(dir, 'last') })).fit(train, reversed);
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.history.map((h) => h.lr)).toEqual(full.history.map((h) => h.lr));
    expect(maxAbsDiff(resumed.finalEncoder, full.finalEncoder)).toBe(0);
  });

  it('keeps the best weights of epochs before the resume when no later epoch beats them', async () => {
    // Validation labels reversed: the better the axes learn the training order, the lower the validation score,
    // so the best epoch comes early and the resumed fit must end with the checkpoint's best networks.
    const reversed = { ...val, y: val.y.map((v) => -v) };
    const fullBest = new BestModel();
    await new RankAAETrainer({ ...tinyOptions(5), callbacks: [fullBest] }).fit(train, reversed);
    expect(fullBest.bestEpoch).toBeLessThanOrEqual(2);
    const dir = join(root, 'best-early');
    await new RankAAETrainer({ ...tinyOptions(2), callbacks: [new BestModel(), new ModelCheckpoint(dir, 1)] }).fit(train, reversed);
    const best = new BestModel();
    await new RankAAETrainer({ ...tinyOptions(5), callbacks: [best], resumeFrom: join(dir, 'last') }).fit(train, reversed);
    expect(best.bestEpoch).toBe(fullBest.bestEpoch);
    expect(best.bestScore).toBe(fullBest.bestScore);
    expect(maxAbsDiff(best.networks()!.encoder, fullBest.networks()!.encoder)).toBe(0);
    expect(maxAbsDiff(best.networks()!.decoder, fullBest.networks()!.decoder)).toBe(0);
  });

  it('refuses to resume with a different configuration or seed, naming the field', async () => {
    const last = join(root, 'resumed', 'last');
    const opts = tinyOptions(5, { resumeFrom: last, callbacks: [new BestModel()] });
    opts.network = { ...opts.network, hidden: 10 };
    await expect(new RankAAETrainer(opts).fit(train, val)).rejects.toThrow(/different configuration \(network\.hidden: 12 -> 10\)/);
    await expect(new RankAAETrainer(tinyOptions(5, { resumeFrom: last, seed: 8, callbacks: [new BestModel()] })).fit(train, val)).rejects.toThrow(/seed: 7 -> 8/);
    // A checkpoint carries the state of the callbacks that were installed; one it lacks cannot be restored.
    await expect(new RankAAETrainer(tinyOptions(5, { resumeFrom: join(root, 'full', 'last'), callbacks: [{ stateKey: 'other', stateDict: () => ({ state: 1 }), loadStateDict: () => {} }] })).fit(train, val)).rejects.toThrow(/no "other" state/);
  });

  it('rejects non-finite spectra and too few latent axes', async () => {
    const bad = { ...train, x: train.x.slice() };
    bad.x[30] = NaN;
    await expect(new RankAAETrainer(tinyOptions(1)).fit(bad, val)).rejects.toThrow(/row 1, column 6/);
    const opts = tinyOptions(1);
    opts.network = { ...opts.network, nStyle: 1 };
    await expect(new RankAAETrainer(opts).fit(train, val)).rejects.toThrow(/nStyle >= 2/);
  });

  it('on a 7-row validation split ranks epochs by the smoothed score, never before the window is full', async () => {
    const small = peakSpectra(7, 24, 5, 0);
    const best = new BestModel();
    const opts = tinyOptions(7, { callbacks: [best] });
    opts.training = TrainingSchema.parse({ epochs: 7, batchSize: 50, selection: { window: 3 } });
    const r = await new RankAAETrainer(opts).fit(train, small);
    for (const [i, h] of r.history.entries()) {
      const last3 = r.history.slice(Math.max(0, i - 2), i + 1).map((e) => e.score);
      expect(h.selectionScore).toBeCloseTo(last3.reduce((a, b) => a + b, 0) / last3.length, 12);
    }
    expect(r.history[0].best || r.history[1].best).toBe(false);
    // the first epoch that may win does, even below an earlier (ineligible) average
    expect(r.history[2].best).toBe(true);
    expect(best.bestScore).toBe(Math.max(...r.history.slice(2).map((h) => h.selectionScore!)));
    // a fit shorter than the window has no best epoch (the trial then takes its last: src/pipeline/trials.ts)
    const short = new BestModel();
    const opts2 = tinyOptions(2, { callbacks: [short] });
    opts2.training = TrainingSchema.parse({ epochs: 2, batchSize: 50, selection: { window: 5 } });
    const r2 = await new RankAAETrainer(opts2).fit(train, small);
    expect(r2.history.map((h) => h.best)).toEqual([false, false]);
    expect(short.networks()).toBeUndefined();
  });

  it('with under 3 validation rows takes the last epoch and never lowers the learning rate', async () => {
    const tiny = peakSpectra(2, 24, 6, 0);
    const best = new BestModel();
    const r = await new RankAAETrainer(tinyOptions(4, { callbacks: [best] })).fit(train, tiny);
    expect(r.history.every((h) => h.best)).toBe(true);
    expect(best.bestEpoch).toBe(4);
    expect(new Set(r.history.map((h) => h.lr)).size).toBe(1);
    expect(r.history[0].selectionScore).toBeUndefined();
  });

  it('stops with a clear error when the losses overflow', async () => {
    const huge = { ...train, x: train.x.map((v) => v * 1e30) };
    await expect(new RankAAETrainer(tinyOptions(1)).fit(huge, val)).rejects.toThrow(/diverged at epoch 1: the \w+ loss is/);
  });

  it('learns latent axes that follow peak position and width (Spearman > 0.8)', async () => {
    const data = peakSpectra(600, 32, 11);
    const valid = peakSpectra(200, 32, 12);
    const best = new BestModel();
    const result = await new RankAAETrainer({
      network: NetworkSchema.parse({ nStyle: 2, hidden: 24, depth: 3, discriminator: { hidden: 16, depth: 2 } }),
      losses: LossesSchema.parse({ adversarial: { priorSamples: 128, alphaRampEpochs: 20 } }),
      optimizer: OptimizerSchema.parse({}),
      training: TrainingSchema.parse({ epochs: 6, batchSize: 100 }),
      seed: 3,
      callbacks: [best],
    }).fit(data, valid);
    const bestRec = result.history[best.bestEpoch - 1];
    expect(bestRec.validation.spearman[0]).toBeGreaterThan(0.8);
    expect(bestRec.validation.spearman[1]).toBeGreaterThan(0.8);
    // The exported inference spec gives the same correlations.
    const z = runNetwork(best.networks()!.encoder, valid.x, valid.n);
    for (let j = 0; j < 2; j++) {
      const axis = Array.from({ length: valid.n }, (_, i) => z[i * 2 + j]);
      const desc = Array.from({ length: valid.n }, (_, i) => valid.y[i * 2 + j]);
      expect(spearman(axis, desc)).toBeCloseTo(bestRec.validation.spearman[j], 4);
    }
    for (const h of result.history) {
      for (const term of ['adversarial', 'rank', 'reconstruction', 'cycle', 'smoothness'] as const) {
        expect(Number.isFinite(h.losses[term])).toBe(true);
      }
    }
  });
});
