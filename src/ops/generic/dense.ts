import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { DENSE } from '../kernel-names.js';

/** x W + b in tf ops, for any backend. */
export const denseGeneric: GenericKernel = {
  kernelName: DENSE,
  kernelFunc: ({ inputs }) => tf.tidy(() => tf.add(tf.matMul(inputs.x as tf.Tensor2D, inputs.w as tf.Tensor2D), inputs.b)),
};
