/** PReLU in tf ops, for any backend; the gradient is tfjs's own Prelu gradient, op for op. */
import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { PRELU, PRELU_GRAD } from '../kernel-names.js';

export const preluGeneric: GenericKernel = {
  kernelName: PRELU,
  kernelFunc: ({ inputs }) => tf.prelu(inputs.x, inputs.alpha),
};

export const preluGradGeneric: GenericKernel = {
  kernelName: PRELU_GRAD,
  kernelFunc: ({ inputs }) =>
    tf.tidy(() => {
      const { dy, x, alpha } = inputs as { dy: tf.Tensor2D; x: tf.Tensor2D; alpha: tf.Tensor1D };
      const mask = tf.greater(x, 0);
      const dx = tf.where(mask, dy, tf.mul(dy, alpha));
      const dalpha = tf.reshape(tf.sum(tf.where(mask, tf.zerosLike(dy), tf.mul(dy, x)), [0]), alpha.shape);
      return [dx, dalpha];
    }),
};
