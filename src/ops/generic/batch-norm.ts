/**
 * Training-mode affine-free batch norm in tf ops, for any backend. Column
 * means are products (1/n, ..., 1/n) x: a reduction over the outer axis is
 * a full transpose on the plain CPU backend. The gradient kernel is the
 * exact op sequence automatic differentiation of the forward pass runs, so
 * it gives the bits tf.grad would (test/backends/fused-ops.test.ts).
 */
import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, type BatchNormAttrs } from '../kernel-names.js';

function forward(x: tf.Tensor2D, epsilon: number) {
  const [n, h] = x.shape;
  const avg = tf.fill([1, n], 1 / n) as tf.Tensor2D;
  const mean = tf.reshape(tf.matMul(avg, x), [h]) as tf.Tensor1D;
  const centred: tf.Tensor2D = tf.sub(x, mean);
  const variance = tf.reshape(tf.matMul(avg, tf.square(centred)), [h]) as tf.Tensor1D;
  const shifted = tf.add(variance, epsilon);
  const rstd = tf.rsqrt(shifted) as tf.Tensor1D;
  return { avg, mean, centred, variance, shifted, rstd, y: tf.mul(centred, rstd) as tf.Tensor2D };
}

export const batchNormTrainGeneric: GenericKernel = {
  kernelName: BATCH_NORM_TRAIN,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const x = inputs.x as tf.Tensor2D;
      const { epsilon, momentum: m } = attrs as unknown as BatchNormAttrs;
      const f = forward(x, epsilon);
      const n = x.shape[0];
      const mean = tf.add(tf.mul(inputs.runningMean, 1 - m), tf.mul(f.mean, m));
      const variance = tf.add(tf.mul(inputs.runningVariance, 1 - m), tf.mul(f.variance, (m * n) / Math.max(n - 1, 1)));
      return [f.y, mean, variance, f.rstd];
    }),
};

export const batchNormTrainGradGeneric: GenericKernel = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const dy = inputs.dy as tf.Tensor2D;
      const x = inputs.x as tf.Tensor2D;
      const h = x.shape[1];
      const { avg, centred, shifted, rstd } = forward(x, (attrs as unknown as BatchNormAttrs).epsilon);
      // Multiply (centred, then rstd), Rsqrt, Add, Reshape, MatMul, Square, Sub, Reshape, MatMul.
      const gCentred = tf.mul(dy, rstd);
      const gRstd = tf.reshape(tf.sum(tf.mul(dy, centred), [0]), [h]);
      const gVariance = tf.neg(tf.div(gRstd, tf.mul(tf.pow(shifted, 1.5), 2)));
      const gSquare = tf.matMul(avg, tf.reshape(gVariance, [1, h]), true, false);
      const gC = tf.add(gCentred, tf.mul(gSquare, tf.mul(centred, 2)));
      const gMean = tf.reshape(tf.neg(tf.sum(gC, [0])), [h]);
      return tf.add(gC, tf.matMul(avg, tf.reshape(gMean, [1, h]), true, false));
    }),
};
