import * as tf from '@tensorflow/tfjs';

import { f32Values, fusedNativeAddon } from '../../backends/native-fused.js';

/** Normalised Gaussian kernel of `size` taps centred at (size - 1) / 2. */
export function gaussianKernel(size: number, sigma: number): Float32Array {
  const k = new Float32Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/**
 * Gaussian smoothing of each row with replicate padding (edge values
 * repeated), so the output has the input's length and the edges are not
 * pulled towards zero.
 *
 * @param x [n, m] rows to smooth
 * @param kernel taps from gaussianKernel
 */
export function gaussianSmooth(x: tf.Tensor2D, kernel: Float32Array): tf.Tensor2D {
  const [n, m] = x.shape;
  const size = kernel.length;
  const left = Math.floor((size - 1) / 2);
  const right = size - 1 - left;
  const parts: tf.Tensor2D[] = [];
  if (left > 0) parts.push(tf.tile(tf.slice(x, [0, 0], [n, 1]), [1, left]));
  parts.push(x);
  if (right > 0) parts.push(tf.tile(tf.slice(x, [0, m - 1], [n, 1]), [1, right]));
  const padded = parts.length === 1 ? x : tf.concat(parts, 1);
  const w = tf.tensor3d(kernel, [size, 1, 1]);
  // conv1d is a cross-correlation; the Gaussian is symmetric, so that is the convolution.
  const y = tf.conv1d(tf.reshape(padded, [n, m + size - 1, 1]) as tf.Tensor3D, w, 1, 'valid');
  return tf.reshape(y, [n, m]);
}

/**
 * Smoothness loss: MSE between decoder output and its Gaussian-smoothed
 * version (gradient flows through both, as in the reference), discouraging
 * high-frequency ripples the data do not support.
 *
 * @param xhat [n, m] decoder outputs
 * @param kernel taps from gaussianKernel
 *
 * On the 'native' backend the value and gradient come from one fused C call;
 * elsewhere from tf ops (conv1d over the padded rows).
 */
export function smoothnessLoss(xhat: tf.Tensor2D, kernel: Float32Array): tf.Scalar {
  const addon = fusedNativeAddon();
  if (!addon || kernel.length < 1) return tf.mean(tf.squaredDifference(xhat, gaussianSmooth(xhat, kernel)));
  const [n, m] = xhat.shape;
  const left = Math.floor((kernel.length - 1) / 2);
  // The gradient stays a plain array until asked for (a saved tensor made here would trip tfjs's leak check).
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor2D;
    const grad = new Float32Array(n * m);
    const value = addon.smoothnessLoss(f32Values(x), n, m, kernel, left, grad);
    return { value: tf.scalar(value), gradFunc: (dy: tf.Tensor) => tf.mul(tf.tensor2d(grad, [n, m]), dy) as tf.Tensor2D };
  });
  return op(xhat) as tf.Scalar;
}
