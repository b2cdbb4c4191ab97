import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import { ADAMW, adamwGrad, adamwParam, type AdamWAttrs } from '../kernel-names.js';

/** The parameters and gradients of an ADAMW kernel call, in list order. */
export function adamwLists(inputs: tf.NamedTensorMap): { params: tf.Tensor[]; grads: tf.Tensor[] } {
  const params: tf.Tensor[] = [];
  const grads: tf.Tensor[] = [];
  for (let i = 0; inputs[adamwParam(i)]; i++) {
    params.push(inputs[adamwParam(i)]);
    grads.push(inputs[adamwGrad(i)]);
  }
  return { params, grads };
}

/** Tensors as one flat vector, in order. */
export const flatten = (ts: tf.Tensor[]): tf.Tensor1D =>
  (ts.length === 1 ? tf.reshape(ts[0], [-1]) : tf.concat(ts.map((x) => tf.reshape(x, [-1])))) as tf.Tensor1D;

/** A flat vector cut back into tensors of the given shapes. */
export function unflatten(flat: tf.Tensor1D, like: tf.Tensor[]): tf.Tensor[] {
  const parts = like.length === 1 ? [flat] : tf.split(flat, like.map((t) => t.size));
  return parts.map((part, i) => tf.reshape(part, like[i].shape));
}

/**
 * One AdamW step in tf ops, for any backend: torch.optim.AdamW's arithmetic,
 * all parameters as one flat vector (a dozen ops per step plus a few per
 * parameter, instead of a dozen per parameter).
 */
export const adamwGeneric: GenericKernel = {
  kernelName: ADAMW,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const { params, grads } = adamwLists(inputs);
      const { beta1, beta2, decay, stepSize, bc2Sqrt, epsilon } = attrs as unknown as AdamWAttrs;
      const g = flatten(grads);
      const m = tf.add(tf.mul(inputs.m, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(inputs.v, beta2), tf.mul(tf.square(g), 1 - beta2));
      const denom = tf.add(tf.mul(tf.sqrt(v), 1 / bc2Sqrt), epsilon);
      const p = tf.add(tf.mul(flatten(params), decay), tf.mul(tf.div(m, denom), -stepSize)) as tf.Tensor1D;
      return [...unflatten(p, params), m, v];
    }),
};
