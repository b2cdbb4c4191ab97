import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adversarialAlpha, adversarialLoss, bceWithLogits } from '../../src/train/losses/adversarial.js';
import { cycleLoss } from '../../src/train/losses/cycle.js';
import { detach } from '../../src/train/losses/detach.js';
import { rankLoss } from '../../src/train/losses/rank.js';
import { reconstructionLoss } from '../../src/train/losses/reconstruction.js';
import { gaussianKernel, gaussianSmooth, smoothnessLoss } from '../../src/train/losses/smoothness.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
const col = (v: number[]) => tf.tensor2d(v, [v.length, 1]);

/**
 * A direct transcription of the reference rank loss on row-major z (n x width) and y (n x k):
 * t = sign(y_a - y_b), prod = (z_a - z_b) t, positive products scaled by neg / max(pos, neg, 1),
 * each axis averaged over its valid ordered pairs (rows with valid = 0 take part in none), then over axes.
 */
function referenceRankLoss(zz: number[], y: number[], valid: number[] | null, n: number, k: number, width: number): number {
  let total = 0;
  for (let c = 0; c < k; c++) {
    let pos = 0;
    let neg = 0;
    let nv = 0;
    const prods: number[] = [];
    for (let a = 0; a < n; a++) {
      if (valid && !valid[a * k + c]) continue;
      nv++;
      for (let b = 0; b < n; b++) {
        if (valid && !valid[b * k + c]) continue;
        const p = (zz[a * width + c] - zz[b * width + c]) * Math.sign(y[a * k + c] - y[b * k + c]);
        prods.push(p);
        if (p > 0) pos++;
        if (p < 0) neg++;
      }
    }
    const scale = neg / Math.max(pos, neg, 1);
    total += prods.reduce((acc, p) => acc + (p > 0 ? p * scale : p), 0) / (nv * nv - nv);
  }
  return -total / k;
}

/** The gradient of `loss` at z equals central differences of `reference`, entry by entry. */
function expectReferenceGradient(loss: (z: tf.Tensor) => tf.Scalar, z: number[], shape: [number, number], reference: (z: number[]) => number): void {
  const g = tf.grad(loss)(tf.tensor2d(z, shape)).dataSync();
  const h = 1e-4;
  for (let i = 0; i < z.length; i++) {
    const up = z.slice();
    const down = z.slice();
    up[i] += h;
    down[i] -= h;
    expect(g[i]).toBeCloseTo((reference(up) - reference(down)) / (2 * h), 4);
  }
}

describe('adversarial loss', () => {
  it('is BCE-with-logits: prior samples labelled 1, latents labelled 0', () => {
    const prior = tf.tensor2d([0, 2], [2, 1]);
    const latent = tf.tensor2d([1], [1, 1]);
    const expected = (Math.log(2) + Math.log(1 + Math.exp(-2))) / 2 + Math.log(1 + Math.E);
    expect(value(adversarialLoss(prior, latent))).toBeCloseTo(expected, 5);
    expect(value(bceWithLogits(tf.tensor1d([-3]), 0))).toBeCloseTo(Math.log(1 + Math.exp(-3)), 6);
    // Stable for large logits.
    expect(value(bceWithLogits(tf.tensor1d([-100]), 1))).toBeCloseTo(100, 3);
  });

  it('ramps alpha as alphaLimit * tanh(epoch / ramp), matching the reference constant at default ramp', () => {
    expect(adversarialAlpha(0, 0.7172, 300)).toBe(0);
    expect(adversarialAlpha(150, 0.7172, 300)).toBeCloseTo(0.7172 * Math.tanh(0.5), 10);
    const reference = (ep: number) => 0.7172 * Math.tanh((5000 * ep) / (739 * 2000));
    expect(adversarialAlpha(100, 0.7172, 295.6)).toBeCloseTo(reference(100), 10);
  });
});

describe('rank loss', () => {
  it('matches a hand computation with force balance', () => {
    // Pairs (0,1), (0,2) ordered right (prod 2, 1), (1,2) wrong (prod -1), each twice:
    // pos = 4, neg = 2, scale = 0.5, sum = 0.5 * 6 - 2 = 1, loss = -1 / (9 - 3).
    expect(value(rankLoss(col([0, 2, 1]), col([0, 1, 2])))).toBeCloseTo(-1 / 6, 6);
  });

  it('is lower for correctly ordered latents than for reversed ones', () => {
    const d = col([0.1, 0.5, 0.7, 2]);
    const right = value(rankLoss(col([-1, 0, 0.5, 3]), d));
    const reversed = value(rankLoss(col([3, 0.5, 0, -1]), d));
    expect(right).toBeCloseTo(0, 6); // no wrong pair: positive terms scaled by 0
    expect(reversed).toBeGreaterThan(1);
    expect(right).toBeLessThan(reversed);
  });

  it('has the hand-computed gradient, which pushes towards the descriptor order', () => {
    const d = col([0, 1, 2]);
    const g = tf.grad((z: tf.Tensor) => rankLoss(z as tf.Tensor2D, d))(col([0, 2, 1])).dataSync();
    expect(g[0]).toBeCloseTo(1 / 3, 5);
    expect(g[1]).toBeCloseTo(1 / 6, 5);
    expect(g[2]).toBeCloseTo(-1 / 2, 5);
    // A gradient-descent step closes the gap of the wrongly ordered pair (rows 1 and 2).
    expect(2 - 0.1 * g[1] - (1 - 0.1 * g[2])).toBeLessThan(1);
  });

  it('uses only the first k axes and averages over axes', () => {
    const z = tf.tensor2d([0, 5, 7, 2, 3, -1, 1, 9, 4], [3, 3]); // axis 2 is free
    const d = tf.tensor2d([0, 0, 1, 1, 2, 2], [3, 2]);
    const a0 = value(rankLoss(col([0, 2, 1]), col([0, 1, 2])));
    const a1 = value(rankLoss(col([5, 3, 9]), col([0, 1, 2])));
    expect(value(rankLoss(z, d))).toBeCloseTo((a0 + a1) / 2, 6);
  });

  it('matches a direct transcription of the reference formula, value and gradient, on random data with ties', () => {
    const rng = new Rng(4);
    const n = 14;
    const k = 2;
    const z = Array.from({ length: n * 3 }, () => rng.normal());
    const y = Array.from({ length: n * k }, () => Math.round(rng.uniform() * 4)); // many ties
    const reference = (zz: number[]) => referenceRankLoss(zz, y, null, n, k, 3);
    const yt = tf.tensor2d(y, [n, k]);
    const loss = (zt: tf.Tensor) => rankLoss(zt as tf.Tensor2D, yt);
    expect(value(loss(tf.tensor2d(z, [n, 3])))).toBeCloseTo(reference(z), 5);
    expectReferenceGradient(loss, z, [n, 3], reference);
  });

  it('lets rows with a missing descriptor take part in no pair of that descriptor (value and gradient against the reference over valid pairs)', () => {
    const rng = new Rng(11);
    const n = 12;
    const k = 2;
    const z = Array.from({ length: n * 3 }, () => rng.normal());
    const y = Array.from({ length: n * k }, () => Math.round(rng.uniform() * 3));
    // Axis 0: rows 2, 5 and 9 missing; axis 1: row 0 missing. Their y values are junk that must not count.
    const valid = Array.from({ length: n * k }, (_, i) => ([2 * k, 5 * k, 9 * k, 1].includes(i) ? 0 : 1));
    const reference = (zz: number[]) => referenceRankLoss(zz, y, valid, n, k, 3);
    const yt = tf.tensor2d(y, [n, k]);
    const vt = tf.tensor2d(valid, [n, k]);
    const loss = (zt: tf.Tensor) => rankLoss(zt as tf.Tensor2D, yt, vt);
    const zt = tf.tensor2d(z, [n, 3]);
    const masked = value(loss(zt));
    expect(Math.abs(masked)).toBeGreaterThan(0.05);
    expect(masked).toBeCloseTo(reference(z), 5);
    // The mask matters: the same data without it is another value.
    expect(Math.abs(value(rankLoss(zt, yt)) - masked)).toBeGreaterThan(1e-3);
    expectReferenceGradient(loss, z, [n, 3], reference);
  });
});

describe('reconstruction loss', () => {
  it('rescales the target by the clamped amplitude ratio and penalises the ratio', () => {
    // Row 0: r = 1, MSE 1 per point. Row 1: r = 2 -> target x * 1.3, error 0.7 per point, penalty (2-1)^2.
    const xhat = tf.tensor2d([2, 2, 2, 2], [2, 2]);
    const x = tf.tensor2d([1, 3, 1, 1], [2, 2]);
    const expected = (1 + 1 + 0.49 + 0.49) / 4 + 0.1 * ((0 + 1) / 2);
    expect(value(reconstructionLoss(xhat, x, [0.7, 1.3], 0.1))).toBeCloseTo(expected, 5);
    expect(value(reconstructionLoss(xhat, x, [0.7, 1.3], 0))).toBeCloseTo(0.745, 5);
  });
});

describe('cycle loss', () => {
  it('is the MSE between cycled and original latents', () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([1, 0, 3, 7], [2, 2]);
    expect(value(cycleLoss(a, b))).toBeCloseTo((0 + 4 + 0 + 9) / 4, 6);
  });
});

describe('detach', () => {
  it('passes the value and stops the gradient (x + detach(x) has gradient 1, not 2)', () => {
    const x = tf.tensor1d([1.5, -2, 3]);
    expect(Array.from(detach(x).dataSync())).toEqual([1.5, -2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.add(t, detach(t)), tf.scalar(3))))(x).dataSync();
    expect(Array.from(g)).toEqual([3, 3, 3]);
  });
});

describe('smoothness loss', () => {
  it('builds a normalised symmetric Gaussian kernel', () => {
    const k = gaussianKernel(17, 3);
    expect(k.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    for (let i = 0; i < 8; i++) expect(k[i]).toBeCloseTo(k[16 - i], 7);
    expect(k[8]).toBeGreaterThan(k[7]);
    // Exactly exp(-(i - c)^2 / (2 sigma^2)) over its sum.
    const raw = Array.from({ length: 17 }, (_, i) => Math.exp(-((i - 8) ** 2) / 18));
    const sum = raw.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 17; i++) expect(k[i]).toBeCloseTo(raw[i] / sum, 7);
    expect(k).toHaveLength(17);
  });

  it('smooths with replicate padding and gives the hand-computed MSE', () => {
    const k = gaussianKernel(3, 1);
    const [a, b] = [k[0], k[1]];
    const x = tf.tensor2d([1, 1, 5, 0], [1, 4]);
    const s = gaussianSmooth(x, k).dataSync();
    // Padded row: 1 | 1 1 5 0 | 0.
    const expected = [a * 1 + b * 1 + a * 1, a * 1 + b * 1 + a * 5, a * 1 + b * 5 + a * 0, a * 5 + b * 0 + a * 0];
    for (let i = 0; i < 4; i++) expect(s[i]).toBeCloseTo(expected[i], 5);
    const mse = expected.reduce((acc, e, i) => acc + ([1, 1, 5, 0][i] - e) ** 2, 0) / 4;
    expect(value(smoothnessLoss(x, k))).toBeCloseTo(mse, 5);
    // A constant spectrum is already smooth, edges included.
    expect(value(smoothnessLoss(tf.fill([2, 9], 3) as tf.Tensor2D, gaussianKernel(5, 2)))).toBeCloseTo(0, 8);
  });
});
