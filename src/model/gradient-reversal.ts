import * as tf from '@tensorflow/tfjs';

/**
 * Gradient reversal layer (Ganin & Lempitsky 2015): the identity on the way
 * forward, the incoming gradient times -alpha on the way back. Put between
 * the encoder and the discriminator, one minimisation step trains the
 * discriminator to separate prior samples from latents while pushing the
 * encoder to make them indistinguishable.
 *
 * @param x tensor passed through unchanged
 * @param alpha reversal strength (>= 0); 0 blocks the gradient entirely
 */
export function gradientReversal<T extends tf.Tensor>(x: T, alpha: number): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([]);
    return {
      value: tf.clone(input),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, -alpha),
    };
  });
  return op(x) as T;
}
