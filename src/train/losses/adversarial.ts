import * as tf from '@tensorflow/tfjs';

/**
 * Mean binary cross-entropy of logits against a constant label (0 or 1),
 * in the numerically stable softplus form of torch's BCEWithLogitsLoss:
 * label 1 -> mean softplus(-x), label 0 -> mean softplus(x).
 */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.mean(tf.softplus(label === 1 ? tf.neg(logits) : logits));
}

/**
 * The adversarial loss of one batch: the discriminator should call prior
 * samples real (label 1) and encoder latents fake (label 0). Minimised
 * through the gradient-reversal layer, the same number trains the
 * discriminator and (reversed) the encoder.
 *
 * @param priorLogits discriminator logits on N(0, I) samples
 * @param latentLogits discriminator logits on encoder latents
 */
export function adversarialLoss(priorLogits: tf.Tensor, latentLogits: tf.Tensor): tf.Scalar {
  return tf.add(bceWithLogits(priorLogits, 1), bceWithLogits(latentLogits, 0));
}

/**
 * The gradient-reversal strength at a (1-based) epoch:
 * alpha = alphaLimit * tanh(epoch / alphaRampEpochs).
 *
 * The reference writes alpha = 0.7172 * tanh(5000 * epoch / (739 * 2000)),
 * i.e. alphaLimit 0.7172 and alphaRampEpochs = 739 * 2000 / 5000 = 295.6;
 * our default of 300 is that ramp rounded.
 */
export function adversarialAlpha(epoch: number, alphaLimit: number, alphaRampEpochs: number): number {
  return alphaLimit * Math.tanh(epoch / alphaRampEpochs);
}
