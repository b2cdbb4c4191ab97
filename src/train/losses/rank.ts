import * as tf from '@tensorflow/tfjs';

import { f32Values, fusedNativeAddon } from '../../backends/native-fused.js';
import type { NativeAddon } from '../../backends/native-addon.js';

/**
 * Pairwise rank constraint tying latent axis i to descriptor i, with force
 * balance, as in RankAAE. For every ordered pair of rows (a, b) and every
 * constrained axis i, prod = (z_ai - z_bi) * sign(y_ai - y_bi) is positive
 * when the latent orders the pair like the descriptor. The loss is
 * -mean(prod), except that the positive (already correct) products of axis
 * i are scaled by neg_i / max(pos_i, neg_i, 1), pos_i/neg_i being the counts
 * of correctly/wrongly ordered pairs: once most pairs are right, the few
 * wrong ones dominate the gradient instead of the latent just stretching.
 * The scale is a ratio of counts and carries no gradient (as in the reference).
 *
 * Rows with a missing descriptor (valid = 0) take part in no pair of that
 * descriptor; each axis is averaged over its own valid pairs, so with no
 * missing values the normalisation is the reference's (n^2 - n) k.
 *
 * @param latent [n, nStyle] latents; the first k axes are constrained
 * @param descriptors [n, k] descriptor values, missing entries replaced by any finite number
 * @param valid [n, k] 1 where the descriptor is known, 0 where missing; omit when none is missing
 *
 * On the 'native' backend this is one fused C call (rankLossFused); elsewhere
 * the tf-op version (rankLossOps). Both give the same value and gradient.
 */
export function rankLoss(latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  const addon = fusedNativeAddon();
  return addon ? rankLossFused(addon, latent, descriptors, valid) : rankLossOps(latent, descriptors, valid);
}

function checkShapes(latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): void {
  const [n, k] = descriptors.shape;
  if (latent.shape[0] !== n || latent.shape[1] < k) {
    throw new Error(`rankLoss: latent ${latent.shape} does not cover descriptors ${descriptors.shape}`);
  }
  if (valid && !tf.util.arraysEqual(valid.shape, descriptors.shape)) {
    throw new Error(`rankLoss: valid ${valid.shape} does not match descriptors ${descriptors.shape}`);
  }
}

/**
 * The rank loss as one native call: value and gradient in O(n^2 k) time
 * with no n x n pair tensors (the tf-op version builds about ten of them).
 * The gradient is computed with the value and saved, since the force-balance
 * scale is a constant of the forward pass anyway. Parameters as rankLoss.
 */
export function rankLossFused(addon: NativeAddon, latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  checkShapes(latent, descriptors, valid);
  const [n, k] = descriptors.shape;
  const width = latent.shape[1];
  const y = f32Values(descriptors);
  const v = valid ? f32Values(valid) : null;
  // The gradient stays a plain array until asked for: a tensor made in the
  // forward pass and saved would outlive it (tfjs's leak check flags that).
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const zIn = args[0] as tf.Tensor2D;
    const grad = new Float32Array(n * width);
    const value = addon.rankLoss(f32Values(zIn), width, y, k, v, n, k, grad);
    return { value: tf.scalar(value), gradFunc: (dy: tf.Tensor) => tf.mul(tf.tensor2d(grad, [n, width]), dy) as tf.Tensor2D };
  });
  return op(latent) as tf.Scalar;
}

/** The rank loss in standard tf ops (any backend). Parameters as rankLoss. */
export function rankLossOps(latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  checkShapes(latent, descriptors, valid);
  const [n, k] = descriptors.shape;
  const z = k === latent.shape[1] ? latent : tf.slice(latent, [0, 0], [n, k]);
  // Target ordering of every pair, axis-major [k, n, n]; zero for ties and for pairs with a missing label.
  let t: tf.Tensor3D = tf.sign(pairwiseDifferences(descriptors));
  let pairs: tf.Tensor1D;
  if (valid) {
    const vt = tf.transpose(valid) as tf.Tensor2D;
    t = tf.mul(t, tf.matMul(tf.reshape(vt, [k, n, 1]), tf.reshape(vt, [k, 1, n])));
    const nv = tf.sum(vt, 1);
    pairs = tf.maximum(tf.sub(tf.square(nv), nv), 1);
  } else {
    pairs = tf.fill([k], Math.max(n * n - n, 1));
  }
  return rankLossOp(z, t, pairs);
}

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
 * Row sums of t, the products prod = (z_a - z_b) t as [k, n n], their
 * positive indicator and the force-balance scale minus one, per axis.
 */
function pairStatistics(z: tf.Tensor2D, t: tf.Tensor3D, k: number, n: number) {
  const rowT = tf.sum(t, 2) as tf.Tensor2D; // [k, n]
  const prod = tf.reshape(tf.mul(pairwiseDifferences(z), t), [k, n * n]) as tf.Tensor2D;
  const pos = tf.step(prod);
  const posCount = tf.sum(pos, 1);
  const negCount = tf.sub(posCount, tf.sum(tf.sign(prod), 1));
  const scaleMinusOne = tf.sub(tf.div(negCount, tf.maximum(tf.maximum(posCount, negCount), 1)), 1) as tf.Tensor1D;
  return { rowT, prod, pos, scaleMinusOne };
}

/**
 * The loss with its gradient written out: for constant pair weights
 * w = 1 + (scale - 1) [prod > 0] (w is symmetric, t antisymmetric),
 * dL/dz[a, i] = -2 / (k pairs_i) sum_b w t[i, a, b].
 * Passes over the [k, n, n] pair tensors are kept few: sum(prod) is
 * 2 sum_a z[a, i] rowT[i, a] with rowT the row sums of t, and the count of
 * wrongly ordered pairs is pos - sum(sign(prod)).
 */
function rankLossOp(z: tf.Tensor2D, t: tf.Tensor3D, pairs: tf.Tensor1D): tf.Scalar {
  const [n, k] = z.shape;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const zIn = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const { rowT, pos, scaleMinusOne, prod } = pairStatistics(zIn, t, k, n);
    const sumProd = tf.mul(tf.sum(tf.mul(tf.transpose(zIn), rowT), 1), 2);
    const perAxis = tf.add(sumProd, tf.mul(scaleMinusOne, tf.sum(tf.relu(prod), 1)));
    const value = tf.neg(tf.mean(tf.div(perAxis, pairs))) as tf.Scalar;
    // Only tensors that exist outside the forward pass are saved (tfjs's leak
    // check rejects new ones kept alive); the backward pass recomputes the rest.
    save([zIn, t, pairs]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zSaved, tSaved, pairsSaved] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor1D];
        const { rowT: rowTSaved, pos: posSaved, scaleMinusOne: cSaved } = pairStatistics(zSaved, tSaved, k, n);
        const rowTPos = tf.sum(tf.reshape(tf.mul(tf.reshape(tSaved, [k, n * n]), posSaved), [k, n, n]), 2);
        const perAxisFactor = tf.div(tf.mul(dy, -2 / k), pairsSaved); // [k]
        const g = tf.mul(
          tf.add(rowTSaved, tf.mul(rowTPos, tf.reshape(cSaved, [k, 1]))),
          tf.reshape(perAxisFactor, [k, 1]),
        );
        return tf.transpose(g) as tf.Tensor2D;
      },
    };
  });
  return op(z) as tf.Scalar;
}
