import * as tf from '@tensorflow/tfjs';

/** The value of `x` with no gradient flowing back (torch's `.detach()`; TF.js has no stop-gradient op). */
export function detach<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([]);
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(x) as T;
}
