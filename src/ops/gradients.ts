/**
 * Gradients of xlatent's kernels (one GradConfig each, registered from one
 * list, as tfjs-core's register_all_gradients.ts). Each delegates to the
 * kernel's gradient kernel, so a backend with its own gradient kernel runs
 * it and every other backend the generic one.
 */
import * as tf from '@tensorflow/tfjs';

import {
  BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, DENSE, MLP_TRAIN, MLP_TRAIN_GRAD, PRELU, PRELU_GRAD, RANK_LOSS, RANK_LOSS_GRAD,
  SMOOTHNESS_LOSS, SMOOTHNESS_LOSS_GRAD, mlpInputIndex, type MlpTrainAttrs,
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

/** More outputs than any network has (tfjs wants a fixed list; absent outputs are skipped). */
const MLP_MAX_OUTPUTS = 1024;

/**
 * One gradient kernel call gives every weight's gradient; dL/dx, a product
 * as large as the first layer, is computed only if the tape asks for it
 * (not where x is data). Inputs arrive as an array, so gradients are keyed
 * by position.
 */
const mlpTrainGrad: tf.GradConfig = {
  kernelName: MLP_TRAIN,
  saveAllInputs: true,
  outputsToSave: new Array<boolean>(MLP_MAX_OUTPUTS).fill(true),
  gradFunc: (dys, saved: Saved, attrs) => {
    const a = attrs as unknown as MlpTrainAttrs;
    const idx = mlpInputIndex(a);
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const inputs = saved.slice(0, idx.count);
    const [g0, ...weightGrads] = runOp(MLP_TRAIN_GRAD, [dy, ...saved], attrs) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = {};
    inputs.forEach((t, i) => (out[i] = none(t)));
    out[idx.x] = () => tf.matMul(g0 as tf.Tensor2D, inputs[idx.layers[0].w] as tf.Tensor2D, false, true);
    let k = 0;
    idx.layers.forEach((layer) => {
      for (const i of [layer.w, layer.b, layer.alpha]) {
        if (i === undefined) continue;
        const g = weightGrads[k++];
        out[i] = () => g;
      }
    });
    return out;
  },
};

const GRADIENTS: readonly tf.GradConfig[] = [rankLossGrad, smoothnessLossGrad, batchNormTrainGrad, preluGrad, denseGrad, mlpTrainGrad];

let registered = false;

/** Registers every gradient above (idempotent). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const g of GRADIENTS) tf.registerGradient(g);
}
