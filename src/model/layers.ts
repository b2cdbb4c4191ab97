import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, dense, prelu } from '../ops/index.js';
import type { Rng } from '../util/random.js';
import { dropoutMask } from './random-tensors.js';

/**
 * Building blocks of the networks, written as plain functions over explicit
 * tf.Variables (not tf.layers) so that every random draw and every piece of
 * state (batch-norm running statistics) is under our control and can be
 * checkpointed and restored exactly.
 */

/**
 * A variable initialised from `init`, whose temporary initial tensor is
 * disposed (tf.variable shares its buffer but leaves it alive otherwise).
 */
export function ownedVariable<R extends tf.Rank>(init: () => tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  return tf.tidy(() => tf.variable(init(), trainable));
}

/** Hidden-layer activation. */
export type Activation = 'prelu' | 'swish' | 'relu';

/** How a forward pass runs. */
export interface ForwardMode {
  /** Training: batch statistics (and running-statistics update), dropout and input noise on. */
  training: boolean;
  /** Source of dropout masks and noise; required when `training` is true. */
  rng?: Rng;
}

/** Fully connected layer y = x W + b. */
export interface Dense {
  /** inputs x units. */
  kernel: tf.Variable<tf.Rank.R2>;
  /** units. */
  bias: tf.Variable<tf.Rank.R1>;
}

/**
 * A dense layer initialised like torch.nn.Linear: weights and bias uniform
 * in [-1/sqrt(inputs), 1/sqrt(inputs)], drawn from `rng`.
 */
export function createDense(rng: Rng, inputs: number, units: number): Dense {
  const bound = 1 / Math.sqrt(inputs);
  const w = new Float32Array(inputs * units);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
  const b = new Float32Array(units);
  for (let i = 0; i < b.length; i++) b[i] = (2 * rng.uniform() - 1) * bound;
  return {
    kernel: ownedVariable(() => tf.tensor2d(w, [inputs, units]), true),
    bias: ownedVariable(() => tf.tensor1d(b), true),
  };
}

/**
 * x W + b. Inference uses tfjs's fused kernel; training uses the dense op,
 * whose gradient skips dL/dx where x is data (the fused op's always computes
 * it, a wasted batch x inputs x units product on the first layer).
 */
export function applyDense(x: tf.Tensor2D, d: Dense, training = false): tf.Tensor2D {
  if (!training) return tf.fused.matMul({ a: x, b: d.kernel, bias: d.bias }) as tf.Tensor2D;
  return dense(x, d.kernel, d.bias);
}

/** Per-channel PReLU slopes, initialised to 0.01 (torch.nn.PReLU(init=0.01)). */
export function createPreluAlpha(units: number, init = 0.01): tf.Variable<tf.Rank.R1> {
  return ownedVariable(() => tf.fill([units], init) as tf.Tensor1D, true);
}

/**
 * Applies a hidden activation. `alpha` holds the PReLU slopes (ignored by the others).
 */
export function applyActivation(x: tf.Tensor2D, fn: Activation, alpha?: tf.Tensor1D): tf.Tensor2D {
  switch (fn) {
    case 'prelu':
      return prelu(x, alpha!);
    case 'relu':
      return tf.relu(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/**
 * Affine-free batch normalization state: running mean and unbiased running
 * variance, updated as torch.nn.BatchNorm1d does (momentum 0.1).
 */
export interface BatchNorm {
  mean: tf.Variable<tf.Rank.R1>;
  variance: tf.Variable<tf.Rank.R1>;
  /** Added to the variance before the square root. */
  epsilon: number;
  /** Weight of the new batch statistic in the running average. */
  momentum: number;
}

export function createBatchNorm(units: number, epsilon = 1e-5, momentum = 0.1): BatchNorm {
  return {
    mean: ownedVariable(() => tf.zeros([units]) as tf.Tensor1D, false),
    variance: ownedVariable(() => tf.ones([units]) as tf.Tensor1D, false),
    epsilon,
    momentum,
  };
}

/**
 * Training mode normalises with the batch's own mean and (biased) variance and
 * moves the running statistics towards them (the running variance uses the
 * unbiased n/(n-1) estimate, as PyTorch); inference mode uses the running
 * statistics only.
 */
export function applyBatchNorm(x: tf.Tensor2D, bn: BatchNorm, training: boolean): tf.Tensor2D {
  if (!training) return tf.batchNorm(x, bn.mean, bn.variance, undefined, undefined, bn.epsilon) as tf.Tensor2D;
  const { y, runningMean, runningVariance } = batchNormTrain(x, bn, bn.epsilon, bn.momentum);
  // The running-statistics update feeds no loss, so the gradient tape prunes it.
  bn.mean.assign(runningMean);
  bn.variance.assign(runningVariance);
  tf.dispose([runningMean, runningVariance]);
  return y;
}

/** Inverted dropout with a mask drawn from `mode.rng`; identity outside training or at rate 0. */
export function applyDropout(x: tf.Tensor2D, rate: number, mode: ForwardMode): tf.Tensor2D {
  if (!mode.training || rate <= 0) return x;
  if (!mode.rng) throw new Error('applyDropout: training mode needs an rng');
  return tf.mul(x, dropoutMask(mode.rng, x.shape[0], x.shape[1], rate));
}
