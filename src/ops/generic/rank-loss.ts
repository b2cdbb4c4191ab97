/**
 * The rank loss in tf ops, for any backend (src/ops/index.ts rankLoss has
 * the definition). Value and gradient are written out rather than
 * differentiated: with constant pair weights w = 1 + (scale - 1) [prod > 0]
 * (w symmetric, t antisymmetric), dL/dz[a, i] = -2 / (k pairs_i) sum_b w t[i, a, b].
 * Passes over the [k, n, n] pair tensors are kept few: sum(prod) is
 * 2 sum_a z[a, i] rowT[i, a] with rowT the row sums of t, and the count of
 * wrongly ordered pairs is pos - sum(sign(prod)).
 */
import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { RANK_LOSS, RANK_LOSS_GRAD, type RankLossAttrs } from '../kernel-names.js';

type Inputs = { z: tf.Tensor2D; y: tf.Tensor2D; valid: tf.Tensor2D };

/**
 * d[i, a, b] = x[a, i] - x[b, i] for x of shape [n, k], built as a batched
 * product [x, 1] [1, -x]^T: standard ops whose layout keeps every later
 * reduction on the innermost axis (no broadcasting across a middle axis,
 * which is slow on the plain CPU backend).
 */
function pairwiseDifferences(x: tf.Tensor2D): tf.Tensor3D {
  const [n, k] = x.shape;
  const xt = tf.reshape(tf.transpose(x), [k, n, 1]);
  const ones = tf.onesLike(xt);
  const left = tf.concat([xt, ones], 2); // [k, n, 2]
  const right = tf.concat([ones, tf.neg(xt)], 2); // [k, n, 2]
  return tf.matMul(left, right, false, true);
}

/**
 * The constrained latent columns, the target ordering of every pair
 * (axis-major [k, n, n]; zero for ties and for pairs with a missing label)
 * and each axis's number of valid ordered pairs.
 */
function pairTargets({ z, y, valid }: Inputs, { masked }: RankLossAttrs) {
  const [n, k] = y.shape;
  const zk = k === z.shape[1] ? z : tf.slice(z, [0, 0], [n, k]);
  let t: tf.Tensor3D = tf.sign(pairwiseDifferences(y));
  let pairs: tf.Tensor1D;
  if (masked) {
    const vt = tf.transpose(valid) as tf.Tensor2D;
    t = tf.mul(t, tf.matMul(tf.reshape(vt, [k, n, 1]), tf.reshape(vt, [k, 1, n])));
    const nv = tf.sum(vt, 1);
    pairs = tf.maximum(tf.sub(tf.square(nv), nv), 1);
  } else {
    pairs = tf.fill([k], Math.max(n * n - n, 1));
  }
  return { zk, t, pairs };
}

/**
 * Row sums of t, the products prod = (z_a - z_b) t as [k, n n], their
 * positive indicator and the force-balance scale minus one, per axis.
 */
function pairStatistics(z: tf.Tensor2D, t: tf.Tensor3D) {
  const [n, k] = z.shape;
  const rowT = tf.sum(t, 2) as tf.Tensor2D; // [k, n]
  const prod = tf.reshape(tf.mul(pairwiseDifferences(z), t), [k, n * n]) as tf.Tensor2D;
  const pos = tf.step(prod);
  const posCount = tf.sum(pos, 1);
  const negCount = tf.sub(posCount, tf.sum(tf.sign(prod), 1));
  const scaleMinusOne = tf.sub(tf.div(negCount, tf.maximum(tf.maximum(posCount, negCount), 1)), 1) as tf.Tensor1D;
  return { rowT, prod, pos, scaleMinusOne };
}

export const rankLossGeneric: GenericKernel = {
  kernelName: RANK_LOSS,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const { zk, t, pairs } = pairTargets(inputs as Inputs, attrs as unknown as RankLossAttrs);
      const { rowT, scaleMinusOne, prod } = pairStatistics(zk, t);
      const sumProd = tf.mul(tf.sum(tf.mul(tf.transpose(zk), rowT), 1), 2);
      const perAxis = tf.add(sumProd, tf.mul(scaleMinusOne, tf.sum(tf.relu(prod), 1)));
      return tf.neg(tf.mean(tf.div(perAxis, pairs)));
    }),
};

export const rankLossGradGeneric: GenericKernel = {
  kernelName: RANK_LOSS_GRAD,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const { dy, ...rest } = inputs as Inputs & { dy: tf.Scalar };
      const { zk, t, pairs } = pairTargets(rest, attrs as unknown as RankLossAttrs);
      const [n, k] = zk.shape;
      const { rowT, pos, scaleMinusOne } = pairStatistics(zk, t);
      const rowTPos = tf.sum(tf.reshape(tf.mul(tf.reshape(t, [k, n * n]), pos), [k, n, n]), 2);
      const perAxisFactor = tf.div(tf.mul(dy, -2 / k), pairs); // [k]
      const g = tf.mul(tf.add(rowT, tf.mul(rowTPos, tf.reshape(scaleMinusOne, [k, 1]))), tf.reshape(perAxisFactor, [k, 1]));
      const width = rest.z.shape[1];
      // Axes beyond k get no gradient (as the gradient of the slice that left them out).
      return k === width ? tf.transpose(g) : tf.pad(tf.transpose(g), [[0, 0], [0, width - k]]);
    }),
};
