import * as tf from '@tensorflow/tfjs';
import { f32Values, fusedNativeAddon } from '../backends/native-fused.js';
import type { NativeAddon } from '../backends/native-addon.js';
import { NATIVE_DENSE } from '../backends/native-kernels.js';
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
 * x W + b. Inference uses the fused kernel; training keeps matMul and add
 * apart because the fused op's gradient always computes dL/dx, a wasted
 * (batch x inputs x units) product on the first layer, whose input is data.
 */
export function applyDense(x: tf.Tensor2D, d: Dense, training = false): tf.Tensor2D {
  if (!training) return tf.fused.matMul({ a: x, b: d.kernel, bias: d.bias }) as tf.Tensor2D;
  const addon = fusedNativeAddon();
  if (addon && x.shape[1] === d.kernel.shape[0] && d.bias.shape[0] === d.kernel.shape[1]) {
    return tf.engine().runKernel(NATIVE_DENSE, { x, w: d.kernel, b: d.bias }) as tf.Tensor2D;
  }
  return tf.add(tf.matMul(x, d.kernel), d.bias);
}

/**
 * Column means of x [n, h] as (1/n, ..., 1/n) x: a product instead of a
 * reduction over the outer axis, which the plain CPU backend implements with
 * a full transpose (in the forward pass and again in the gradient).
 */
export function columnMean(x: tf.Tensor2D): tf.Tensor1D {
  const [n, h] = x.shape;
  return tf.reshape(tf.matMul(tf.fill([1, n], 1 / n) as tf.Tensor2D, x), [h]);
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
    case 'prelu': {
      const addon = fusedNativeAddon();
      return addon ? nativePrelu(addon, x, alpha!) : (tf.prelu(x, alpha! as tf.Tensor) as tf.Tensor2D);
    }
    case 'relu':
      return tf.relu(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** PReLU whose gradient (input and slopes) is one native call: tfjs's takes about eight ops. */
function nativePrelu(addon: NativeAddon, x: tf.Tensor2D, alpha: tf.Tensor1D): tf.Tensor2D {
  const [n, h] = x.shape;
  if (alpha.shape[0] !== h) return tf.prelu(x, alpha as tf.Tensor) as tf.Tensor2D;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, aIn] = args as [tf.Tensor2D, tf.Tensor1D];
    (args[2] as tf.GradSaveFunc)([xIn, aIn]);
    return {
      value: tf.prelu(xIn, aIn as tf.Tensor) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dx = new Float32Array(n * h);
        const da = new Float32Array(h);
        addon.preluBackward(f32Values(dy), f32Values(saved[0]), f32Values(saved[1]), n, h, dx, da);
        return [tf.tensor2d(dx, [n, h]), tf.tensor1d(da)];
      },
    };
  });
  return op(x, alpha) as tf.Tensor2D;
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
  const addon = fusedNativeAddon();
  if (addon) return nativeBatchNormTraining(addon, x, bn);
  const n = x.shape[0];
  const mean = columnMean(x);
  const centred: tf.Tensor2D = tf.sub(x, mean);
  const variance = columnMean(tf.square(centred));
  // The running-statistics update feeds no loss, so the gradient tape prunes it.
  const m = bn.momentum;
  bn.mean.assign(tf.tidy(() => tf.add(tf.mul(bn.mean, 1 - m), tf.mul(mean, m))));
  bn.variance.assign(
    tf.tidy(() => tf.add(tf.mul(bn.variance, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1)))),
  );
  // Written out rather than tf.batchNorm, whose gradient needs a scale tensor.
  return tf.mul(centred, tf.rsqrt(tf.add(variance, bn.epsilon)));
}

/**
 * applyBatchNorm's training mode as one native call forward and one backward
 * (the op-by-op version takes about ten ops each way). The running statistics
 * get the same float arithmetic as there.
 */
function nativeBatchNormTraining(addon: NativeAddon, x: tf.Tensor2D, bn: BatchNorm): tf.Tensor2D {
  const [n, h] = x.shape;
  const mean = new Float32Array(h);
  const variance = new Float32Array(h);
  const rstd = new Float32Array(h);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xIn = args[0] as tf.Tensor2D;
    const out = new Float32Array(n * h);
    addon.bnTrainForward(f32Values(xIn), n, h, bn.epsilon, out, mean, variance, rstd);
    // The backward pass reads the output and rstd as plain arrays: tensors made
    // here and saved would outlive the forward pass (tfjs's leak check flags that).
    return {
      value: tf.tensor2d(out, [n, h]),
      gradFunc: (dy: tf.Tensor) => {
        const dx = new Float32Array(n * h);
        addon.bnTrainBackward(f32Values(dy), out, rstd, n, h, dx);
        return tf.tensor2d(dx, [n, h]);
      },
    };
  });
  const y = op(x) as tf.Tensor2D;
  const f = Math.fround;
  const m = bn.momentum;
  const keep = f(1 - m);
  const mNew = f(m);
  const vNew = f((m * n) / Math.max(n - 1, 1));
  const rm = f32Values(bn.mean);
  const rv = f32Values(bn.variance);
  const nextMean = rm.map((v, j) => f(f(v * keep) + f(mean[j] * mNew)));
  const nextVar = rv.map((v, j) => f(f(v * keep) + f(variance[j] * vNew)));
  tf.tidy(() => {
    bn.mean.assign(tf.tensor1d(nextMean));
    bn.variance.assign(tf.tensor1d(nextVar));
  });
  return y;
}

/** Inverted dropout with a mask drawn from `mode.rng`; identity outside training or at rate 0. */
export function applyDropout(x: tf.Tensor2D, rate: number, mode: ForwardMode): tf.Tensor2D {
  if (!mode.training || rate <= 0) return x;
  if (!mode.rng) throw new Error('applyDropout: training mode needs an rng');
  return tf.mul(x, dropoutMask(mode.rng, x.shape[0], x.shape[1], rate));
}
