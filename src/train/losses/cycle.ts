import * as tf from '@tensorflow/tfjs';

/**
 * Latent cycle loss (the reference's "mutual information" term): prior
 * samples z decoded and encoded again should land on z, so every region of
 * the latent space decodes to a spectrum that maps back to it.
 *
 * @param zCycled encoder(decoder(z)), [n, nStyle]
 * @param z the prior samples, [n, nStyle]
 */
export function cycleLoss(zCycled: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(zCycled, z));
}
