import * as tf from '@tensorflow/tfjs';

/**
 * Pairwise rank constraint tying latent axis i to descriptor i, with force
 * balance, as in RankAAE. For every ordered pair of rows (a, b) and every
 * constrained axis i, prod = (z_ai - z_bi) * sign(y_ai - y_bi) is positive
 * when the latent orders the pair like the descriptor. The loss is
 * -mean(prod), except that the positive (already correct) products of axis
 * i are scaled by neg_i / max(pos_i, neg_i, 1), pos_i/neg_i being the counts
 * of correctly/wrongly ordered pairs: once most pairs are right, the few
 * wrong ones dominate the gradient instead of the latent just stretching.
 *
 * Rows with a missing descriptor (valid = 0) take part in no pair of that
 * descriptor; each axis is averaged over its own valid pairs, so with no
 * missing values the normalisation is the reference's (n^2 - n) k.
 *
 * Written with a handful of broadcast ops on the [n, n, k] pair tensor:
 * sum(prod * w) with w = scale on positive products and 1 elsewhere equals
 * sum(prod) + (scale - 1) * sum(relu(prod)).
 *
 * @param latent [n, nStyle] latents; the first k axes are constrained
 * @param descriptors [n, k] descriptor values, missing entries replaced by any finite number
 * @param valid [n, k] 1 where the descriptor is known, 0 where missing; omit when none is missing
 */
export function rankLoss(latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  const [n, k] = descriptors.shape;
  if (latent.shape[0] !== n || latent.shape[1] < k) {
    throw new Error(`rankLoss: latent ${latent.shape} does not cover descriptors ${descriptors.shape}`);
  }
  const z = k === latent.shape[1] ? latent : tf.slice(latent, [0, 0], [n, k]);
  // Target ordering of every pair; zero for ties and for pairs with a missing label.
  let t: tf.Tensor = tf.sign(tf.sub(tf.expandDims(descriptors, 1), tf.expandDims(descriptors, 0)));
  let pairs: tf.Tensor;
  if (valid) {
    t = tf.mul(t, tf.mul(tf.expandDims(valid, 1), tf.expandDims(valid, 0)));
    const nv = tf.sum(valid, 0);
    pairs = tf.maximum(tf.sub(tf.square(nv), nv), 1);
  } else {
    pairs = tf.scalar(Math.max(n * n - n, 1));
  }
  const prod = tf.mul(tf.sub(tf.expandDims(z, 1), tf.expandDims(z, 0)), t);
  const pos = tf.sum(tf.step(prod), [0, 1]);
  const neg = tf.sum(tf.step(tf.neg(prod)), [0, 1]);
  // The scale is a ratio of counts: a constant for the gradient, as in the reference.
  const scaleMinusOne = tf.sub(tf.div(neg, tf.maximum(tf.maximum(pos, neg), 1)), 1);
  const perAxis = tf.add(tf.sum(prod, [0, 1]), tf.mul(scaleMinusOne, tf.sum(tf.relu(prod), [0, 1])));
  return tf.neg(tf.mean(tf.div(perAxis, pairs)));
}
