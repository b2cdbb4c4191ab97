import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyBatchNorm, applyDropout, createBatchNorm, createDense } from '../../src/model/layers.js';
import { gradientReversal } from '../../src/model/gradient-reversal.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('batch norm', () => {
  it('normalises with batch statistics in training and updates running stats like PyTorch', () => {
    const bn = createBatchNorm(2);
    // Column 0: 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); column 1 constant 5.
    const x = tf.tensor2d([1, 5, 2, 5, 3, 5, 6, 5], [4, 2]);
    const y = applyBatchNorm(x, bn, true).arraySync();
    const expected0 = [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5));
    y.forEach((row, i) => {
      expect(row[0]).toBeCloseTo(expected0[i], 5);
      expect(row[1]).toBeCloseTo(0, 6);
    });
    const mean = bn.mean.arraySync();
    const variance = bn.variance.arraySync();
    expect(mean[0]).toBeCloseTo(0.1 * 3, 6);
    expect(mean[1]).toBeCloseTo(0.1 * 5, 6);
    expect(variance[0]).toBeCloseTo(0.9 * 1 + 0.1 * (14 / 3), 6);
    expect(variance[1]).toBeCloseTo(0.9, 6);
    tf.dispose([x, bn.mean, bn.variance]);
  });

  it('uses the running statistics (and leaves them alone) in inference', () => {
    const bn = createBatchNorm(1);
    bn.mean.assign(tf.tensor1d([2]));
    bn.variance.assign(tf.tensor1d([4]));
    const x = tf.tensor2d([2, 6, 0], [3, 1]);
    const y = applyBatchNorm(x, bn, false).dataSync();
    expect(Array.from(y).map((v) => +v.toFixed(4))).toEqual([0, +(4 / Math.sqrt(4 + 1e-5)).toFixed(4), +(-2 / Math.sqrt(4 + 1e-5)).toFixed(4)]);
    expect(bn.mean.dataSync()[0]).toBe(2);
    expect(bn.variance.dataSync()[0]).toBe(4);
  });
});

describe('dropout', () => {
  it('zeroes about `rate` of the entries and rescales the rest; same rng state gives the same mask', () => {
    const x = tf.ones([200, 50]) as tf.Tensor2D;
    const a = applyDropout(x, 0.25, { training: true, rng: new Rng(3) }).dataSync();
    const b = applyDropout(x, 0.25, { training: true, rng: new Rng(3) }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const zeros = a.filter((v) => v === 0).length / a.length;
    expect(zeros).toBeGreaterThan(0.22);
    expect(zeros).toBeLessThan(0.28);
    for (const v of a) if (v !== 0) expect(v).toBeCloseTo(1 / 0.75, 6);
    expect(applyDropout(x, 0.25, { training: false })).toBe(x);
  });
});

describe('dense init', () => {
  it('draws weights and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), reproducibly', () => {
    const d = createDense(new Rng(1), 16, 8);
    const k = d.kernel.dataSync();
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(0.2);
    const d2 = createDense(new Rng(1), 16, 8);
    expect(Array.from(d2.bias.dataSync())).toEqual(Array.from(d.bias.dataSync()));
  });
});

describe('gradient reversal', () => {
  it('is the identity forward and multiplies the gradient by -alpha', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const w = tf.tensor1d([0.5, 2, -1]);
    const f = (alpha: number) => (t: tf.Tensor) => tf.sum(tf.mul(gradientReversal(t, alpha), w));
    expect(Array.from(tf.tidy(() => gradientReversal(x, 0.7)).dataSync())).toEqual([1, -2, 3]);
    const plain = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, w)))(x).dataSync();
    const reversed = tf.grad(f(0.7))(x).dataSync();
    for (let i = 0; i < 3; i++) expect(reversed[i]).toBeCloseTo(-0.7 * plain[i], 6);
    const zero = tf.grad(f(0))(x).dataSync();
    for (const v of zero) expect(Math.abs(v)).toBe(0);
  });
});
