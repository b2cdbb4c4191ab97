/**
 * The smoothness loss in tf ops, for any backend: replicate padding by
 * tiled edge columns, a conv1d with the taps, mean squared difference. Its
 * gradient kernel is the exact op sequence that automatic differentiation
 * of this forward pass runs (Mean, SquaredDifference, Conv2D, Concat, Tile
 * and Slice gradients, summed in tape order), so it gives the bits that
 * tf.grad would; test/backends/fused-ops.test.ts checks that.
 */
import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { SMOOTHNESS_LOSS, SMOOTHNESS_LOSS_GRAD, type SmoothnessAttrs } from '../kernel-names.js';

/** Taps before and after the centre. */
export function tapSplit(size: number): { left: number; right: number } {
  const left = Math.floor((size - 1) / 2);
  return { left, right: size - 1 - left };
}

/**
 * Gaussian smoothing of each row with replicate padding (edge values
 * repeated), so the output has the input's length and the edges are not
 * pulled towards zero.
 *
 * @param x [n, m] rows to smooth
 * @param taps filter taps (src/train/losses/smoothness.ts gaussianKernel)
 */
export function gaussianSmooth(x: tf.Tensor2D, taps: ArrayLike<number>): tf.Tensor2D {
  const [n, m] = x.shape;
  const size = taps.length;
  const { left, right } = tapSplit(size);
  const parts: tf.Tensor2D[] = [];
  if (left > 0) parts.push(tf.tile(tf.slice(x, [0, 0], [n, 1]), [1, left]));
  parts.push(x);
  if (right > 0) parts.push(tf.tile(tf.slice(x, [0, m - 1], [n, 1]), [1, right]));
  const padded = parts.length === 1 ? x : tf.concat(parts, 1);
  const w = tf.tensor3d(Float32Array.from(taps), [size, 1, 1]);
  // conv1d is a cross-correlation; the Gaussian is symmetric, so that is the convolution.
  const y = tf.conv1d(tf.reshape(padded, [n, m + size - 1, 1]) as tf.Tensor3D, w, 1, 'valid');
  return tf.reshape(y, [n, m]);
}

export const smoothnessLossGeneric: GenericKernel = {
  kernelName: SMOOTHNESS_LOSS,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const x = inputs.x as tf.Tensor2D;
      return tf.mean(tf.squaredDifference(x, gaussianSmooth(x, (attrs as unknown as SmoothnessAttrs).taps)));
    }),
};

/** Sum of the tiled copies' gradients, as the Tile gradient adds them up (from zero). */
function untile(g: tf.Tensor2D, copies: number): tf.Tensor2D {
  const n = g.shape[0];
  let acc: tf.Tensor2D = tf.zeros([n, 1]);
  for (let j = 0; j < copies; j++) acc = tf.add(acc, tf.slice(g, [0, j], [n, 1]));
  return acc;
}

export const smoothnessLossGradGeneric: GenericKernel = {
  kernelName: SMOOTHNESS_LOSS_GRAD,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const dy = inputs.dy as tf.Scalar;
      const x = inputs.x as tf.Tensor2D;
      const taps = (attrs as unknown as SmoothnessAttrs).taps;
      const [n, m] = x.shape;
      const size = taps.length;
      const { left, right } = tapSplit(size);
      const width = m + size - 1;
      const smooth = gaussianSmooth(x, taps);
      // Mean, then SquaredDifference (x first, then the smoothed rows).
      const gD = tf.div(tf.mul(tf.reshape(dy, [1, 1]), tf.ones([n, m])), n * m);
      const two = tf.scalar(2);
      let gx: tf.Tensor2D = tf.mul(gD, tf.mul(two, tf.sub(x, smooth)));
      const gSmooth = tf.mul(gD, tf.mul(two, tf.sub(smooth, x)));
      // The reshapes around conv1d, and Conv2D's input gradient.
      const gRes = tf.reshape(tf.reshape(gSmooth, [n, m, 1]), [n, 1, m, 1]) as tf.Tensor4D;
      const filter = tf.reshape(tf.tensor3d(Float32Array.from(taps), [size, 1, 1]), [1, size, 1, 1]) as tf.Tensor4D;
      const gIn = tf.conv2dTranspose(gRes, filter, [n, 1, width, 1], [1, 1], 'valid');
      const gPadded = tf.reshape(tf.reshape(gIn, [n, width, 1]), [n, width]) as tf.Tensor2D;
      if (left === 0 && right === 0) return tf.add(gx, gPadded);
      // Concat: the middle part goes to x; then the right edge column, then the left (reverse tape order).
      const sizes = [...(left > 0 ? [left] : []), m, ...(right > 0 ? [right] : [])];
      const parts = tf.split(gPadded, sizes, 1) as tf.Tensor2D[];
      const gLeft = left > 0 ? parts[0] : undefined;
      const gMid = parts[left > 0 ? 1 : 0];
      const gRight = right > 0 ? parts[parts.length - 1] : undefined;
      gx = tf.add(gx, gMid);
      if (gRight) gx = tf.add(gx, tf.pad(untile(gRight, right), [[0, 0], [m - 1, 0]]));
      if (gLeft) gx = tf.add(gx, tf.pad(untile(gLeft, left), [[0, 0], [0, m - 1]]));
      return gx;
    }),
};
