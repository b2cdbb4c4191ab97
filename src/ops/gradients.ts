/**
 * Gradients of xlatent's kernels (one GradConfig each, registered from one
 * list, as tfjs-core's register_all_gradients.ts). Each delegates to the
 * kernel's gradient kernel, so a backend with its own gradient kernel runs
 * it and every other backend the generic one.
 */
import * as tf from '@tensorflow/tfjs';

import {
  BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, DENSE, PRELU, PRELU_GRAD, RANK_LOSS, RANK_LOSS_GRAD, SMOOTHNESS_LOSS,
  SMOOTHNESS_LOSS_GRAD,
} from './kernel-names.js';
import { runOp } from './run.js';

type Saved = tf.Tensor[];

/** Data inputs (descriptors, masks) get no gradient. */
const none = (t: tf.Tensor) => () => tf.zerosLike(t);

const rankLossGrad: tf.GradConfig = {
  kernelName: RANK_LOSS,
  inputsToSave: ['z', 'y', 'valid'],
  outputsToSave: [true],
  gradFunc: (dy, saved: Saved, attrs) => {
    const [z, y, valid, loss] = saved;
    return {
      z: () => runOp(RANK_LOSS_GRAD, { dy: dy as tf.Tensor, z, y, valid, loss }, attrs) as tf.Tensor,
      y: none(y),
      valid: none(valid),
    };
  },
};

const smoothnessLossGrad: tf.GradConfig = {
  kernelName: SMOOTHNESS_LOSS,
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved: Saved, attrs) => {
    const [x, loss] = saved;
    return { x: () => runOp(SMOOTHNESS_LOSS_GRAD, { dy: dy as tf.Tensor, x, loss }, attrs) as tf.Tensor };
  },
};

const batchNormTrainGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x'],
  outputsToSave: [true, false, false, true],
  // Only y feeds a loss; the running statistics carry no gradient.
  gradFunc: (dys, saved: Saved, attrs) => {
    const [x, y, rstd] = saved;
    const dy = (dys as tf.Tensor[])[0];
    return {
      x: () => runOp(BATCH_NORM_TRAIN_GRAD, { dy, x, y, rstd }, attrs) as tf.Tensor,
      runningMean: () => tf.zerosLike(rstd),
      runningVariance: () => tf.zerosLike(rstd),
    };
  },
};

const preluGrad: tf.GradConfig = {
  kernelName: PRELU,
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dy, saved: Saved) => {
    const [x, alpha] = saved;
    // Both gradients come from one kernel call; the tape asks for each separately.
    const [dx, dalpha] = runOp(PRELU_GRAD, { dy: dy as tf.Tensor, x, alpha }) as tf.Tensor[];
    return { x: () => dx, alpha: () => dalpha };
  },
};

/** Each input's gradient only where the tape asks for it: none for x where x is data (unlike tf.fused.matMul's). */
const denseGrad: tf.GradConfig = {
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved: Saved) => {
    const [x, w] = saved as tf.Tensor2D[];
    const g = dy as tf.Tensor2D;
    return {
      x: () => tf.matMul(g, w, false, true),
      w: () => tf.matMul(x, g, true, false),
      b: () => tf.sum(g, 0),
    };
  },
};

const GRADIENTS: readonly tf.GradConfig[] = [rankLossGrad, smoothnessLossGrad, batchNormTrainGrad, preluGrad, denseGrad];

let registered = false;

/** Registers every gradient above (idempotent). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const g of GRADIENTS) tf.registerGradient(g);
}
