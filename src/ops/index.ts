/**
 * xlatent's fused training operations as TF.js ops. Each runs one named
 * kernel (src/ops/kernel-names.ts) on the active backend, with a registered
 * gradient: the native and webgpu backends bring their own kernels, every
 * other backend gets the tf-op versions (src/ops/generic). Callers never
 * ask which backend runs.
 */
import * as tf from '@tensorflow/tfjs';

import { registerGradients } from './gradients.js';
import {
  ADAMW, BATCH_NORM_TRAIN, DENSE, MLP_TRAIN, PRELU, RANK_LOSS, SMOOTHNESS_LOSS, adamwGrad, adamwParam, mlpNormCount, type AdamWAttrs,
  type MlpTrainAttrs,
} from './kernel-names.js';
import { runOp } from './run.js';

export type { AdamWAttrs, MlpTrainAttrs } from './kernel-names.js';

registerGradients();

/**
 * Pairwise rank constraint tying latent axis i to descriptor i, with force
 * balance, as in RankAAE. For every ordered pair of rows (a, b) and every
 * constrained axis i, prod = (z_ai - z_bi) * sign(y_ai - y_bi) is positive
 * when the latent orders the pair like the descriptor. The loss is
 * -mean(prod), except that the positive (already correct) products of axis
 * i are scaled by neg_i / max(pos_i, neg_i, 1), pos_i/neg_i being the counts
 * of correctly/wrongly ordered pairs: once most pairs are right, the few
 * wrong ones dominate the gradient instead of the latent just stretching.
 * The scale is a ratio of counts and carries no gradient (as in the reference).
 *
 * Rows with a missing descriptor (valid = 0) take part in no pair of that
 * descriptor; each axis is averaged over its own valid pairs, so with no
 * missing values the normalisation is the reference's (n^2 - n) k.
 *
 * @param latent [n, nStyle] latents; the first k axes are constrained
 * @param descriptors [n, k] descriptor values, missing entries replaced by any finite number
 * @param valid [n, k] 1 where the descriptor is known, 0 where missing; omit when none is missing
 */
export function rankLoss(latent: tf.Tensor2D, descriptors: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  const [n, k] = descriptors.shape;
  if (latent.shape[0] !== n || latent.shape[1] < k) {
    throw new Error(`rankLoss: latent ${latent.shape} does not cover descriptors ${descriptors.shape}`);
  }
  if (valid && !tf.util.arraysEqual(valid.shape, descriptors.shape)) {
    throw new Error(`rankLoss: valid ${valid.shape} does not match descriptors ${descriptors.shape}`);
  }
  // Without a mask the descriptors stand in for it (kernels ignore it then).
  return runOp(RANK_LOSS, { z: latent, y: descriptors, valid: valid ?? descriptors }, { masked: valid !== undefined }) as tf.Scalar;
}

/**
 * mean((x - smooth(x))^2) with smooth(x) each row of x convolved with
 * `taps` under replicate padding (edge values repeated); the gradient
 * flows through both terms, as in the reference.
 *
 * @param x [n, m] rows (decoder outputs)
 * @param taps smoothing taps, e.g. src/train/losses/smoothness.ts gaussianKernel
 */
export function smoothnessLoss(x: tf.Tensor2D, taps: Float32Array): tf.Scalar {
  if (taps.length < 1) throw new Error('smoothnessLoss: no taps');
  return runOp(SMOOTHNESS_LOSS, { x }, { taps: Array.from(taps) }) as tf.Scalar;
}

/** Outputs of {@link batchNormTrain}. */
export interface BatchNormTrainResult {
  /** (x - mean) / sqrt(variance + epsilon) with the batch's column statistics. */
  y: tf.Tensor2D;
  /** The running mean moved towards the batch mean (no gradient). */
  runningMean: tf.Tensor1D;
  /** The running variance moved towards the batch's unbiased variance (no gradient). */
  runningVariance: tf.Tensor1D;
}

/**
 * Training-mode affine-free batch norm of x [n, h] with the batch's own
 * column statistics, and the running statistics' update (as torch.nn.BatchNorm1d).
 * @param running the running mean and variance [h]
 * @param epsilon added to the variance before the square root
 * @param momentum weight of the batch statistic in the running average
 */
export function batchNormTrain(
  x: tf.Tensor2D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D },
  epsilon: number,
  momentum: number,
): BatchNormTrainResult {
  const h = x.shape[1];
  if (running.mean.shape[0] !== h || running.variance.shape[0] !== h) {
    throw new Error(`batchNormTrain: running statistics of ${running.mean.shape[0]} and ${running.variance.shape[0]} for ${h} columns`);
  }
  const [y, runningMean, runningVariance, rstd] = runOp(
    BATCH_NORM_TRAIN,
    { x, runningMean: running.mean, runningVariance: running.variance },
    { epsilon, momentum },
  ) as tf.Tensor[];
  // rstd exists for the gradient, which keeps its own copy.
  rstd.dispose();
  return { y: y as tf.Tensor2D, runningMean: runningMean as tf.Tensor1D, runningVariance: runningVariance as tf.Tensor1D };
}

/** PReLU of x [n, h] with per-column slopes alpha [h]. */
export function prelu(x: tf.Tensor2D, alpha: tf.Tensor1D): tf.Tensor2D {
  if (x.shape[1] !== alpha.shape[0]) throw new Error(`prelu: ${alpha.shape[0]} slopes for ${x.shape[1]} columns`);
  return runOp(PRELU, { x, alpha }) as tf.Tensor2D;
}

/**
 * x W + b for training: its gradient computes dL/dx only where the tape
 * needs it (tf.fused.matMul's always does, a wasted product on a first
 * layer whose input is data).
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1]) {
    throw new Error(`dense: x ${x.shape}, W ${w.shape} and b ${b.shape} do not fit`);
  }
  return runOp(DENSE, { x, w, b }) as tf.Tensor2D;
}

/**
 * One AdamW step (torch.optim.AdamW's arithmetic) over parameters whose
 * first and second moments are kept concatenated, in list order, in `m` and `v`.
 * @param params the current parameters
 * @param grads their gradients, same shapes
 * @returns the new parameters (same shapes) and moments
 */
export function adamwStep(
  params: tf.Tensor[],
  grads: tf.Tensor[],
  m: tf.Tensor1D,
  v: tf.Tensor1D,
  attrs: AdamWAttrs,
): { params: tf.Tensor[]; m: tf.Tensor1D; v: tf.Tensor1D } {
  const total = params.reduce((a, p) => a + p.size, 0);
  if (params.length === 0 || grads.length !== params.length || m.size !== total || v.size !== total) {
    throw new Error(`adamwStep: ${params.length} parameters (${total} values), ${grads.length} gradients, moments of ${m.size} and ${v.size}`);
  }
  const inputs: tf.NamedTensorMap = { m, v };
  params.forEach((p, i) => {
    if (!tf.util.arraysEqual(grads[i].shape, p.shape)) throw new Error(`adamwStep: gradient ${i} has shape ${grads[i].shape}, parameter ${p.shape}`);
    inputs[adamwParam(i)] = p;
    inputs[adamwGrad(i)] = grads[i];
  });
  const out = runOp(ADAMW, inputs, { ...attrs }) as tf.Tensor[];
  return { params: out.slice(0, params.length), m: out[params.length] as tf.Tensor1D, v: out[params.length + 1] as tf.Tensor1D };
}

/** One layer of {@link mlpTrain}. */
export interface MlpTrainLayer {
  /** [inputs, units] weights. */
  w: tf.Tensor2D;
  /** [units] bias. */
  b: tf.Tensor1D;
  /** [units] PReLU slopes (hidden layers, PReLU activation). */
  alpha?: tf.Tensor1D;
  /** [rows, units] inverted-dropout mask, 0 or 1 / (1 - rate) (hidden layers, with dropout). */
  mask?: tf.Tensor2D;
  /** Running mean and variance [units] (layers followed by batch norm). */
  running?: { mean: tf.Tensor1D; variance: tf.Tensor1D };
}

/**
 * A fully connected network in training mode as one op: each hidden layer
 * dense -> activation -> [affine-free batch norm with the batch's
 * statistics] -> [dropout], then the output layer dense -> batch norm,
 * softplus or nothing (as src/model/mlp.ts describes). The native backend
 * runs the whole pass, and its gradient, as one call each; every other
 * backend the layer ops in sequence, with the values and gradients they
 * always gave.
 *
 * @param x [rows, inputs]
 * @param layers the hidden layers, then the output layer
 * @param attrs the network's structure (`hidden` = layers.length - 1)
 * @returns the output [rows, units of the last layer] and, per batch-norm
 *   layer in order, its moved running statistics (no gradient)
 */
export function mlpTrain(x: tf.Tensor2D, layers: MlpTrainLayer[], attrs: MlpTrainAttrs): { y: tf.Tensor2D; running: { mean: tf.Tensor1D; variance: tf.Tensor1D }[] } {
  if (layers.length !== attrs.hidden + 1 || attrs.hidden < 1) throw new Error(`mlpTrain: ${layers.length} layers for ${attrs.hidden} hidden layers`);
  const inputs: tf.Tensor[] = [x];
  let width = x.shape[1];
  layers.forEach((l, i) => {
    const hidden = i < attrs.hidden;
    const units = l.w.shape[1];
    const where = `mlpTrain layer ${i}`;
    if (l.w.shape[0] !== width || l.b.shape[0] !== units) throw new Error(`${where}: W ${l.w.shape} and b ${l.b.shape} do not fit ${width} inputs`);
    inputs.push(l.w, l.b);
    if (hidden && attrs.activation === 'prelu') {
      if (!l.alpha || l.alpha.shape[0] !== units) throw new Error(`${where}: PReLU needs ${units} slopes`);
      inputs.push(l.alpha);
    }
    if (hidden && attrs.dropout) {
      if (!l.mask || !tf.util.arraysEqual(l.mask.shape, [x.shape[0], units])) throw new Error(`${where}: dropout needs a [${x.shape[0]}, ${units}] mask`);
      inputs.push(l.mask);
    }
    if (hidden ? attrs.batchNorm : attrs.output === 'batchnorm') {
      if (!l.running || l.running.mean.shape[0] !== units || l.running.variance.shape[0] !== units) throw new Error(`${where}: batch norm needs running statistics of ${units}`);
      inputs.push(l.running.mean, l.running.variance);
    }
    width = units;
  });
  const out = runOp(MLP_TRAIN, inputs, { ...attrs }) as tf.Tensor[];
  const norms = mlpNormCount(attrs);
  const running = Array.from({ length: norms }, (_, i) => ({ mean: out[1 + 2 * i] as tf.Tensor1D, variance: out[2 + 2 * i] as tf.Tensor1D }));
  // What the backend saved for the gradient; the gradient keeps its own references.
  tf.dispose(out.slice(1 + 2 * norms));
  return { y: out[0] as tf.Tensor2D, running };
}
