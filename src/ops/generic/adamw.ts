import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { ADAMW, type AdamWAttrs } from '../kernel-names.js';

/** One AdamW step in tf ops, for any backend: torch.optim.AdamW's arithmetic on flat vectors. */
export const adamwGeneric: GenericKernel = {
  kernelName: ADAMW,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const { p, m: m0, v: v0, g } = inputs as Record<'p' | 'm' | 'v' | 'g', tf.Tensor1D>;
      const { beta1, beta2, decay, stepSize, bc2Sqrt, epsilon } = attrs as unknown as AdamWAttrs;
      const m = tf.add(tf.mul(m0, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), 1 - beta2));
      const denom = tf.add(tf.mul(tf.sqrt(v), 1 / bc2Sqrt), epsilon);
      return [tf.add(tf.mul(p, decay), tf.mul(tf.div(m, denom), -stepSize)), m, v];
    }),
};
