import * as tf from '@tensorflow/tfjs';
import { detach } from './detach.js';

/**
 * Reconstruction loss with an amplitude-flexible target (RankAAE): the
 * decoder may rescale a spectrum within [lo, hi] without penalty in the MSE,
 * r = |mean(xhat)| / |mean(x)| per spectrum (taken as a constant there),
 * while amplitudeWeight * mean((r - 1)^2) pulls the amplitude back to 1.
 * Meant for non-negative spectra (mu(E), intensities); with clamp [1, 1] and
 * weight 0 it is the plain MSE.
 *
 * @param xhat [n, m] reconstructions
 * @param x [n, m] inputs
 * @param clamp [lo, hi] range the target amplitude may be rescaled within
 * @param amplitudeWeight weight of the amplitude-ratio penalty
 */
export function reconstructionLoss(
  xhat: tf.Tensor2D,
  x: tf.Tensor2D,
  clamp: readonly [number, number],
  amplitudeWeight: number,
): tf.Scalar {
  // The floor keeps a zero-mean input row from producing 0/0; such data (e.g. per-channel
  // standardised spectra) should use amplitudeClamp [1, 1] and amplitudeWeight 0 anyway.
  const r = tf.div(tf.abs(tf.mean(xhat, 1)), tf.maximum(tf.abs(tf.mean(x, 1)), 1e-12));
  const target = tf.mul(x, tf.expandDims(tf.clipByValue(detach(r), clamp[0], clamp[1]), 1));
  const mse = tf.mean(tf.squaredDifference(xhat, target)) as tf.Scalar;
  if (amplitudeWeight === 0) return mse;
  return tf.add(mse, tf.mul(tf.mean(tf.square(tf.sub(r, 1))), amplitudeWeight)) as tf.Scalar;
}
