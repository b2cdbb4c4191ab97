/**
 * Names, inputs and attributes of xlatent's own TF.js kernels: the fused
 * training operations (as tfjs-core's kernel_names.ts does for its kernels).
 * Each has a generic implementation in tf ops (src/ops/generic, the fallback
 * every backend gets) and may have faster ones registered by a backend
 * (native: the C addon; webgpu: WGSL). A gradient kernel (…Grad) takes the
 * incoming gradient `dy` plus what the forward pass saved.
 */
/** Pairwise rank loss with force balance: {z [n, w], y [n, k], valid [n, k]} -> scalar (src/ops/index.ts rankLoss). */
export const RANK_LOSS = 'XlatentRankLoss';
/** {dy, z, y, valid, loss} -> dL/dz [n, w] (zero beyond axis k). */
export const RANK_LOSS_GRAD = 'XlatentRankLossGrad';
export interface RankLossAttrs {
  /**
   * Whether `valid` masks missing labels (1 known, 0 missing); when false it is
   * ignored (tfjs saves every input a gradient names, so it is always passed).
   */
  masked: boolean;
}

/** mean((x - smooth(x))^2) over x [n, m], replicate-padded Gaussian taps: {x} -> scalar. */
export const SMOOTHNESS_LOSS = 'XlatentSmoothnessLoss';
/** {dy, x, loss} -> dL/dx [n, m]. */
export const SMOOTHNESS_LOSS_GRAD = 'XlatentSmoothnessLossGrad';
export interface SmoothnessAttrs {
  /** Smoothing taps (odd or even count); `floor((taps - 1) / 2)` of them lie before the centre. */
  taps: number[];
}

/**
 * Training-mode affine-free batch norm of x [n, h] with the batch's column
 * means and biased variances, which also moves the running statistics:
 * {x, runningMean [h], runningVariance [h]} -> [y, runningMean', runningVariance', rstd],
 * running' = running (1 - momentum) + batch momentum (the variance's batch
 * term unbiased by n / (n - 1), as torch.nn.BatchNorm1d), rstd = 1 / sqrt(variance + epsilon).
 */
export const BATCH_NORM_TRAIN = 'XlatentBatchNormTrain';
/** {dy, x, y, rstd} -> dL/dx [n, h]. */
export const BATCH_NORM_TRAIN_GRAD = 'XlatentBatchNormTrainGrad';
export interface BatchNormAttrs {
  epsilon: number;
  /** Weight of the batch statistic in the running average. */
  momentum: number;
}

/** PReLU of x [n, h] with per-column slopes alpha [h]: {x, alpha} -> y. */
export const PRELU = 'XlatentPrelu';
/** {dy, x, alpha} -> [dL/dx, dL/dalpha]. */
export const PRELU_GRAD = 'XlatentPreluGrad';

/** Dense layer x [n, k] W [k, u] + b [u] for training: {x, w, b} -> y [n, u] (gradients in tf ops, lazily per input). */
export const DENSE = 'XlatentDense';

/**
 * One AdamW step over a list of parameters sharing flat moment vectors:
 * {m, v, p0 .. p(count-1), g0 .. g(count-1)} -> [p0' .. p(count-1)', m', v'] (no gradient).
 * m and v hold all parameters concatenated in list order.
 */
export const ADAMW = 'XlatentAdamW';
export interface AdamWAttrs {
  beta1: number;
  beta2: number;
  /** 1 - lr * weightDecay. */
  decay: number;
  /** lr / (1 - beta1^t). */
  stepSize: number;
  /** sqrt(1 - beta2^t). */
  bc2Sqrt: number;
  epsilon: number;
}

/** Input names of the i-th parameter and its gradient in an ADAMW kernel call. */
export const adamwParam = (i: number) => `p${i}`;
export const adamwGrad = (i: number) => `g${i}`;

/** Every kernel name above: a backend that registers some of them gets the generic version of the rest. */
export const XLATENT_KERNELS = [
  RANK_LOSS, RANK_LOSS_GRAD, SMOOTHNESS_LOSS, SMOOTHNESS_LOSS_GRAD, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD,
  PRELU, PRELU_GRAD, DENSE, ADAMW,
] as const;
