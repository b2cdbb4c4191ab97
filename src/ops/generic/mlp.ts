/**
 * A training-mode MLP in xlatent's own kernels and tf ops, for any backend
 * without a fused version: the forward pass is the layer-by-layer op
 * sequence the networks ran before the op existed, and the gradient kernel
 * the op sequence automatic differentiation of it runs (tfjs's own
 * Multiply, Relu, Sigmoid and Softplus gradients, the dense, batch-norm and
 * PReLU gradients of src/ops/gradients.ts), so every backend computes
 * exactly what it did (test/backends/fused-ops.test.ts).
 */
import * as tf from '@tensorflow/tfjs';

import type { GenericKernel } from './kernel.js';
import {
  BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, DENSE, MLP_TRAIN, MLP_TRAIN_GRAD, PRELU, PRELU_GRAD, mlpInputIndex, mlpNormCount,
  type MlpTrainAttrs,
} from '../kernel-names.js';
import { runKernel } from './run-kernel.js';

/**
 * What the generic forward kernel keeps for its gradient, per hidden layer:
 * the dense output, the activation output, [the batch-norm output and its
 * rstd], [the output after dropout]; for the output layer: its dense output
 * [and rstd]. Returns each saved tensor's position among those outputs.
 */
function savedLayout(a: MlpTrainAttrs) {
  let i = 1 + 2 * mlpNormCount(a);
  const hidden = [];
  for (let l = 0; l < a.hidden; l++) {
    const pre = i++;
    const act = i++;
    const bn = a.batchNorm ? i++ : act;
    const rstd = a.batchNorm ? i++ : undefined;
    const out = a.dropout ? i++ : bn;
    hidden.push({ pre, act, bn, rstd, out });
  }
  // A linear output layer's dense output is y itself, which its gradient does not need.
  const pre = a.output === 'linear' ? undefined : i++;
  const rstd = a.output === 'batchnorm' ? i++ : undefined;
  return { hidden, output: { pre, rstd } };
}

function activate(a: MlpTrainAttrs, pre: tf.Tensor2D, alpha: tf.Tensor | undefined): tf.Tensor2D {
  switch (a.activation) {
    case 'prelu':
      return runKernel(PRELU, { x: pre, alpha: alpha! }) as tf.Tensor2D;
    case 'relu':
      return tf.relu(pre);
    case 'swish':
      return tf.mul(pre, tf.sigmoid(pre));
  }
}

/** Batch norm with its running statistics: [y, running mean', running variance', rstd]. */
function norm(a: MlpTrainAttrs, x: tf.Tensor, inputs: tf.Tensor[], mean: number, variance: number): tf.Tensor[] {
  return runKernel(BATCH_NORM_TRAIN, { x, runningMean: inputs[mean], runningVariance: inputs[variance] }, { epsilon: a.epsilon, momentum: a.momentum }) as tf.Tensor[];
}

export const mlpTrainGeneric: GenericKernel = {
  kernelName: MLP_TRAIN,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const a = attrs as unknown as MlpTrainAttrs;
      const ins = inputs as unknown as tf.Tensor[];
      const idx = mlpInputIndex(a);
      const stats: tf.Tensor[] = [];
      const saved: tf.Tensor[] = [];
      let h = ins[idx.x] as tf.Tensor2D;
      for (let l = 0; l < a.hidden; l++) {
        const L = idx.layers[l];
        const pre = runKernel(DENSE, { x: h, w: ins[L.w], b: ins[L.b] }) as tf.Tensor2D;
        const act = activate(a, pre, L.alpha === undefined ? undefined : ins[L.alpha]);
        saved.push(pre, act);
        h = act;
        if (a.batchNorm) {
          const [y, mean, variance, rstd] = norm(a, act, ins, L.runningMean!, L.runningVariance!);
          stats.push(mean, variance);
          saved.push(y, rstd);
          h = y as tf.Tensor2D;
        }
        if (a.dropout) {
          h = tf.mul(h, ins[L.mask!]);
          saved.push(h);
        }
      }
      const O = idx.layers[a.hidden];
      const pre = runKernel(DENSE, { x: h, w: ins[O.w], b: ins[O.b] }) as tf.Tensor2D;
      if (a.output !== 'linear') saved.push(pre);
      let y: tf.Tensor = pre;
      if (a.output === 'batchnorm') {
        const [out, mean, variance, rstd] = norm(a, pre, ins, O.runningMean!, O.runningVariance!);
        stats.push(mean, variance);
        saved.push(rstd);
        y = out;
      } else if (a.output === 'softplus') {
        y = tf.softplus(pre);
      }
      return [y, ...stats, ...saved];
    }),
};

/** dL/dW and dL/db of a dense layer, as its gradient (src/ops/gradients.ts) computes them. */
const denseGrads = (x: tf.Tensor, g: tf.Tensor) => [tf.matMul(x as tf.Tensor2D, g as tf.Tensor2D, true, false), tf.sum(g, 0)];

export const mlpTrainGradGeneric: GenericKernel = {
  kernelName: MLP_TRAIN_GRAD,
  kernelFunc: ({ inputs, attrs }) =>
    tf.tidy(() => {
      const a = attrs as unknown as MlpTrainAttrs;
      const all = inputs as unknown as tf.Tensor[];
      const idx = mlpInputIndex(a);
      const ins = all.slice(1, 1 + idx.count);
      const outs = all.slice(1 + idx.count);
      const s = savedLayout(a);
      const bnAttrs = { epsilon: a.epsilon, momentum: a.momentum };
      const layerInput = (l: number) => (l === 0 ? ins[idx.x] : outs[s.hidden[l - 1].out]);
      const grads: tf.Tensor[][] = [];
      // The output layer.
      let g = all[0];
      const O = idx.layers[a.hidden];
      if (a.output === 'batchnorm') {
        g = runKernel(BATCH_NORM_TRAIN_GRAD, { dy: g, x: outs[s.output.pre!], y: outs[0], rstd: outs[s.output.rstd!] }, bnAttrs) as tf.Tensor;
      } else if (a.output === 'softplus') {
        g = tf.mul(g, tf.sigmoid(outs[s.output.pre!]));
      }
      grads[a.hidden] = denseGrads(layerInput(a.hidden), g);
      g = tf.matMul(g as tf.Tensor2D, ins[O.w] as tf.Tensor2D, false, true);
      for (let l = a.hidden - 1; l >= 0; l--) {
        const L = idx.layers[l];
        const S = s.hidden[l];
        if (a.dropout) g = tf.mul(g, tf.cast(ins[L.mask!], 'float32'));
        if (a.batchNorm) g = runKernel(BATCH_NORM_TRAIN_GRAD, { dy: g, x: outs[S.act], y: outs[S.bn], rstd: outs[S.rstd!] }, bnAttrs) as tf.Tensor;
        const pre = outs[S.pre];
        let dalpha: tf.Tensor[] = [];
        if (a.activation === 'prelu') {
          const [dx, da] = runKernel(PRELU_GRAD, { dy: g, x: pre, alpha: ins[L.alpha!] }) as tf.Tensor[];
          g = dx;
          dalpha = [da];
        } else if (a.activation === 'relu') {
          g = tf.mul(g, tf.cast(tf.step(pre), 'float32'));
        } else {
          // swish = pre * sigmoid(pre): the Multiply gradient to pre, plus the Sigmoid gradient of its other factor.
          const sig = tf.sigmoid(pre);
          const dSig = tf.mul(g, tf.cast(pre, 'float32'));
          g = tf.add(tf.mul(g, tf.cast(sig, 'float32')), tf.mul(dSig, tf.mul(sig, tf.sub(tf.scalar(1), sig))));
        }
        grads[l] = [...denseGrads(layerInput(l), g), ...dalpha];
        if (l > 0) g = tf.matMul(g as tf.Tensor2D, ins[L.w] as tf.Tensor2D, false, true);
      }
      return [g, ...grads.flat()];
    }),
};
