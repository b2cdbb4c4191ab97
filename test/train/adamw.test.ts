import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../src/train/adamw.js';
import { PlateauSchedule } from '../../src/train/schedule.js';
import { mayBeBest, selectionMode, selectionNote, selectionScore } from '../../src/train/selection.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW', () => {
  it('matches two hand-computed steps with decoupled weight decay', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW([p], { lr: 0.1, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 });
    const grads = [
      [0.5, 0.1],
      [-1, 0.1],
    ];
    // Reference: the AdamW algorithm of Loshchilov & Hutter as torch implements it, in float64.
    const ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      opt.applyGradients({ [p.name]: tf.tensor1d(grads[t - 1]) });
      for (let i = 0; i < 2; i++) {
        const g = grads[t - 1][i];
        ref[i] *= 1 - 0.1 * 0.01;
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        const mhat = m[i] / (1 - 0.9 ** t);
        const vhat = v[i] / (1 - 0.999 ** t);
        ref[i] -= (0.1 * mhat) / (Math.sqrt(vhat) + 1e-8);
      }
      const got = p.dataSync();
      // First step by hand: 1 * (1 - 0.1 * 0.01) - 0.1 * mhat / sqrt(vhat) = 0.999 - 0.1 * 0.5 / 0.5 = 0.899.
      if (t === 1) expect(got[0]).toBeCloseTo(0.899, 6);
      expect(got[0]).toBeCloseTo(ref[0], 5);
      expect(got[1]).toBeCloseTo(ref[1], 5);
    }
    expect(opt.step).toBe(2);
    opt.dispose();
    p.dispose();
  });

  it('updates several parameters of different shapes independently', () => {
    const a = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
    const b = tf.variable(tf.tensor1d([1]));
    const opt = new AdamW([a, b], { lr: 0.1, beta1: 0.9, beta2: 0.999, weightDecay: 0.5 });
    opt.applyGradients({ [a.name]: tf.tensor2d([1, -1, 0, 2], [2, 2]) });
    // First step: p * (1 - lr wd) - lr sign(g) (|mhat| / sqrt(vhat) = 1), unmoved where g = 0.
    const expectedA = [1, 2, 3, 4].map((p, i) => p * 0.95 - 0.1 * Math.sign([1, -1, 0, 2][i]));
    Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expectedA[i], 5));
    expect(a.shape).toEqual([2, 2]);
    // No gradient for b: treated as zero, so only the decay applies.
    expect(b.dataSync()[0]).toBeCloseTo(0.95, 6);
    opt.dispose();
  });
});

describe('plateau schedule', () => {
  it('halves the multiplier after more than `patience` epochs without improvement, down to minLr', () => {
    const s = new PlateauSchedule({ factor: 0.5, patience: 2, minLr: 0.3 });
    const reduced = [1, 2, 2, 2, 1.5, 2, 2].map((score) => s.update(score));
    expect(reduced).toEqual([false, false, false, false, true, false, false]);
    expect(s.state.multiplier).toBe(0.5);
    expect(s.lr(1)).toBe(0.5);
    s.update(0);
    s.update(0);
    s.update(0);
    expect(s.state.multiplier).toBe(0.25);
    expect(s.lr(1)).toBe(0.3);
  });

  it('an undefined score (NaN Spearman on a tiny validation split) is no plateau: the rate stays', () => {
    const s = new PlateauSchedule({ factor: 0.5, patience: 1, minLr: 1e-6 });
    s.update(0.5);
    for (let i = 0; i < 50; i++) expect(s.update(NaN)).toBe(false);
    expect(s.state).toEqual({ best: 0.5, badEpochs: 0, multiplier: 1 });
  });
});

describe('best-epoch selection on small validation splits', () => {
  const opts = { minRows: 20, window: 3 };
  it('plain score from minRows rows on, a smoothed score below, the last epoch under 3 rows', () => {
    expect(selectionMode(20, opts)).toBe('score');
    expect(selectionMode(7, opts)).toBe('smoothed');
    expect(selectionMode(2, opts)).toBe('last');
    expect(selectionScore('score', [0.1, 0.9], 3)).toBe(0.9);
    // the mean of the finite scores of the last `window` epochs
    expect(selectionScore('smoothed', [0.9, 0.1, NaN, 0.4], 3)).toBeCloseTo(0.25, 12);
    expect(selectionScore('smoothed', [NaN, NaN], 3)).toBeNaN();
    expect(mayBeBest('smoothed', 2, 3)).toBe(false);
    expect(mayBeBest('smoothed', 3, 3)).toBe(true);
    expect(mayBeBest('score', 1, 3)).toBe(true);
    expect(selectionNote('smoothed', 7, opts)).toMatch(/averaged over 3 epochs/);
    expect(selectionNote('last', 2, opts)).toMatch(/the last epoch becomes the model/);
  });
});
