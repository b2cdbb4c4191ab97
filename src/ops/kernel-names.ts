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

/**
 * A whole fully connected network in training mode (src/ops/index.ts
 * mlpTrain): hidden layers dense -> activation -> [batch norm] -> [dropout],
 * then a dense output layer -> batch norm, softplus or nothing. Inputs are an
 * array (their number depends on the network; {@link mlpInputIndex}), outputs
 * [y, then the updated running mean and variance of each batch-norm layer in
 * order, then whatever the backend's gradient kernel needs saved]. No kernel
 * may change its inputs.
 */
export const MLP_TRAIN = 'XlatentMlpTrain';
/**
 * [dy, ...the forward inputs, ...the forward outputs] -> [dL/d(first dense
 * output), then dW, db (and dalpha for PReLU) of each layer in order]; dL/dx
 * is that first gradient times W0^T, computed only where needed.
 */
export const MLP_TRAIN_GRAD = 'XlatentMlpTrainGrad';
export interface MlpTrainAttrs {
  /** Hidden layers (>= 1); the output layer comes after them. */
  hidden: number;
  activation: 'prelu' | 'relu' | 'swish';
  /** Affine-free batch norm after each hidden activation. */
  batchNorm: boolean;
  /** A dropout mask (inverted dropout, already scaled) after each hidden layer. */
  dropout: boolean;
  output: 'batchnorm' | 'softplus' | 'linear';
  /** Batch norm's epsilon and running-average momentum (every batch-norm layer). */
  epsilon: number;
  momentum: number;
}

/** Positions of one layer's tensors in an MLP_TRAIN input array (undefined: the layer has none). */
export interface MlpLayerInputs {
  w: number;
  b: number;
  alpha?: number;
  mask?: number;
  runningMean?: number;
  runningVariance?: number;
}

/**
 * The MLP_TRAIN input layout: [x, then per hidden layer w, b, (alpha),
 * (mask), (running mean, running variance), then the output layer's w, b,
 * (running mean, running variance)]. `layers` holds the hidden layers then
 * the output layer.
 */
export function mlpInputIndex(a: MlpTrainAttrs): { x: 0; layers: MlpLayerInputs[]; count: number } {
  let i = 1;
  const layers: MlpLayerInputs[] = [];
  for (let l = 0; l <= a.hidden; l++) {
    const hidden = l < a.hidden;
    const layer: MlpLayerInputs = { w: i++, b: i++ };
    if (hidden && a.activation === 'prelu') layer.alpha = i++;
    if (hidden && a.dropout) layer.mask = i++;
    if (hidden ? a.batchNorm : a.output === 'batchnorm') {
      layer.runningMean = i++;
      layer.runningVariance = i++;
    }
    layers.push(layer);
  }
  return { x: 0, layers, count: i };
}

/** Batch-norm layers of the network, i.e. pairs of running statistics after y in the outputs. */
export const mlpNormCount = (a: MlpTrainAttrs) => (a.batchNorm ? a.hidden : 0) + (a.output === 'batchnorm' ? 1 : 0);

/** Every kernel name above that every backend implements (its own version or the generic one). */
export const XLATENT_KERNELS = [
  RANK_LOSS, RANK_LOSS_GRAD, SMOOTHNESS_LOSS, SMOOTHNESS_LOSS_GRAD, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD,
  PRELU, PRELU_GRAD, DENSE, ADAMW,
] as const;

/**
 * Kernels made of the ones above: a backend may bring its own version;
 * without one it runs the generic version, composed of the kernels above on
 * that backend.
 */
export const XLATENT_COMPOSITE_KERNELS = [MLP_TRAIN, MLP_TRAIN_GRAD] as const;
