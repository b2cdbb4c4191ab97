/**
 * The 'native' backend's versions of xlatent's kernels (src/ops/kernel-names.ts):
 * whole loss terms, batch norm, PReLU, the dense layer and the AdamW update
 * as single calls into the C addon, working on the cpu backend's
 * Float32Arrays in place. One KernelConfig per kernel, registered from one
 * list by registerNativeBackend. XLATENT_FUSED=0 leaves them out (the
 * generic tf-op kernels run instead, to profile or compare).
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import {
  ADAMW, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, DENSE, MLP_TRAIN, MLP_TRAIN_GRAD, PRELU, PRELU_GRAD, RANK_LOSS, RANK_LOSS_GRAD,
  SMOOTHNESS_LOSS, SMOOTHNESS_LOSS_GRAD, type AdamWAttrs, type BatchNormAttrs, type RankLossAttrs, type SmoothnessAttrs,
} from '../ops/kernel-names.js';
import { adamwLists } from '../ops/generic/adamw.js';
import { tapSplit } from '../ops/generic/smoothness.js';
import { kernelConfigs, type KernelTable } from '../ops/run.js';
import { BinaryOp, type NativeAddon } from './native-addon.js';
import { inPlace, nativeBinary, values } from './native-kernels.js';
import { nativeMlpTrain, nativeMlpTrainGrad } from './native-mlp.js';
import { alloc, release } from './native-pool.js';

type TensorInfo = tf.TensorInfo;
type Args = { inputs: tf.NamedTensorMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Make = (addon: NativeAddon) => (args: Args) => TensorInfo | TensorInfo[];

/**
 * The loss kernels compute their gradient (for dy = 1) with the value, in
 * the same pass; it waits here, keyed by the loss tensor's data, until the
 * gradient kernel asks for it (or the loss is released).
 */
const pendingGradients = new WeakMap<object, Float32Array>();

function f32(backend: MathBackendCPU, t: TensorInfo, what: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${what}: expected a float32 tensor, got ${t.dtype}`);
  return values(backend, t);
}

/** dy (a scalar) times a saved gradient of `shape`, as tf.mul(gradient, dy) computes it. */
function scaled(addon: NativeAddon, backend: MathBackendCPU, grad: Float32Array, shape: number[], dy: TensorInfo): TensorInfo {
  const out = alloc(backend, grad.length);
  out.set(grad);
  inPlace(addon, backend, BinaryOp.Mul, out, shape, dy);
  return backend.makeTensorInfo(shape, 'float32', out);
}

function rankLossValue(addon: NativeAddon, backend: MathBackendCPU, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap | undefined) {
  const { z, y, valid } = inputs;
  const [n, k] = y.shape as [number, number];
  const width = z.shape[1] as number;
  const grad = alloc(backend, n * width);
  const mask = (attrs as unknown as RankLossAttrs).masked ? f32(backend, valid, RANK_LOSS) : null;
  const value = addon.rankLoss(f32(backend, z, RANK_LOSS), width, f32(backend, y, RANK_LOSS), k, mask, n, k, grad);
  return { value, grad, shape: [n, width] };
}

/**
 * dy times the gradient the loss kernel computed with the value (computed
 * again if it is gone), whose buffer is then free: the tape asks once.
 */
function scaledPending(addon: NativeAddon, backend: MathBackendCPU, inputs: tf.NamedTensorMap, shape: number[], recompute: () => Float32Array): TensorInfo {
  const pending = pendingGradients.get(inputs.loss.dataId);
  pendingGradients.delete(inputs.loss.dataId);
  const grad = pending ?? recompute();
  const out = scaled(addon, backend, grad, shape, inputs.dy);
  release(backend, grad);
  return out;
}

/** What a loss kernel computes in one pass: its value and its gradient for dy = 1. */
type LossPass = (addon: NativeAddon, backend: MathBackendCPU, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap | undefined) => { value: number; grad: Float32Array };

/**
 * A loss kernel (the value; the gradient waits in pendingGradients) and its
 * gradient kernel (dy times the waiting gradient, of the shape of input `wrt`).
 */
function lossKernels(pass: LossPass, wrt: string): [Make, Make] {
  const loss: Make = (addon) => ({ inputs, backend: b, attrs }) => {
    const backend = b as MathBackendCPU;
    const { value, grad } = pass(addon, backend, inputs, attrs);
    const out = backend.makeTensorInfo([], 'float32', new Float32Array([value]));
    pendingGradients.set(out.dataId, grad);
    return out;
  };
  const lossGrad: Make = (addon) => ({ inputs, backend: b, attrs }) => {
    const backend = b as MathBackendCPU;
    return scaledPending(addon, backend, inputs, inputs[wrt].shape, () => pass(addon, backend, inputs, attrs).grad);
  };
  return [loss, lossGrad];
}

const smoothnessValue: LossPass = (addon, backend, inputs, attrs) => {
  const [n, m] = inputs.x.shape;
  const taps = Float32Array.from((attrs as unknown as SmoothnessAttrs).taps);
  const grad = alloc(backend, n * m);
  const value = addon.smoothnessLoss(f32(backend, inputs.x, SMOOTHNESS_LOSS), n, m, taps, tapSplit(taps.length).left, grad);
  return { value, grad };
};

const [rankLoss, rankLossGrad] = lossKernels(rankLossValue, 'z');
const [smoothnessLoss, smoothnessLossGrad] = lossKernels(smoothnessValue, 'x');

const batchNormTrain: Make = (addon) => ({ inputs, backend: b, attrs }) => {
  const backend = b as MathBackendCPU;
  const x = inputs.x;
  const [n, h] = x.shape as [number, number];
  const { epsilon, momentum } = attrs as unknown as BatchNormAttrs;
  const out = alloc(backend, n * h);
  const mean = new Float32Array(h);
  const variance = new Float32Array(h);
  const rstd = new Float32Array(h);
  addon.bnTrainForward(f32(backend, x, BATCH_NORM_TRAIN), n, h, epsilon, out, mean, variance, rstd);
  // The running statistics in float32 steps, as the generic kernel's tf ops compute them.
  const f = Math.fround;
  const keep = f(1 - momentum);
  const mNew = f(momentum);
  const vNew = f((momentum * n) / Math.max(n - 1, 1));
  const rm = f32(backend, inputs.runningMean, BATCH_NORM_TRAIN).map((v, j) => f(f(v * keep) + f(mean[j] * mNew)));
  const rv = f32(backend, inputs.runningVariance, BATCH_NORM_TRAIN).map((v, j) => f(f(v * keep) + f(variance[j] * vNew)));
  return [
    backend.makeTensorInfo([n, h], 'float32', out),
    backend.makeTensorInfo([h], 'float32', rm),
    backend.makeTensorInfo([h], 'float32', rv),
    backend.makeTensorInfo([h], 'float32', rstd),
  ];
};

const batchNormTrainGrad: Make = (addon) => ({ inputs, backend: b }) => {
  const backend = b as MathBackendCPU;
  const [n, h] = inputs.y.shape;
  const dx = alloc(backend, n * h);
  addon.bnTrainBackward(f32(backend, inputs.dy, BATCH_NORM_TRAIN_GRAD), values(backend, inputs.y), values(backend, inputs.rstd), n, h, dx);
  return backend.makeTensorInfo([n, h], 'float32', dx);
};

const prelu: Make = (addon) => ({ inputs, backend: b }) =>
  nativeBinary(addon, b as MathBackendCPU, BinaryOp.Prelu, inputs.x, inputs.alpha);

const preluGrad: Make = (addon) => ({ inputs, backend: b }) => {
  const backend = b as MathBackendCPU;
  const [n, h] = inputs.x.shape;
  const dx = alloc(backend, n * h);
  const da = new Float32Array(h);
  addon.preluBackward(f32(backend, inputs.dy, PRELU_GRAD), f32(backend, inputs.x, PRELU_GRAD), f32(backend, inputs.alpha, PRELU_GRAD), n, h, dx, da);
  return [backend.makeTensorInfo([n, h], 'float32', dx), backend.makeTensorInfo([h], 'float32', da)];
};

/** One GEMM and an in-place bias add: no separate product and sum tensors. */
const dense: Make = (addon) => ({ inputs, backend: b }) => {
  const backend = b as MathBackendCPU;
  const { x, w, b: bias } = inputs;
  const [n, k] = x.shape as [number, number];
  const units = w.shape[1] as number;
  const out = alloc(backend, n * units);
  addon.gemm(f32(backend, x, DENSE), f32(backend, w, DENSE), out, 1, n, units, k, 0, 0, 0, 0);
  inPlace(addon, backend, BinaryOp.Add, out, [n, units], bias);
  return backend.makeTensorInfo([n, units], 'float32', out);
};

/** All parameters and gradients copied into flat vectors, one C loop, the result cut back into the parameters' shapes. */
const adamw: Make = (addon) => ({ inputs, backend: b, attrs }) => {
  const backend = b as MathBackendCPU;
  const { beta1, beta2, decay, stepSize, bc2Sqrt, epsilon } = attrs as unknown as AdamWAttrs;
  const { params, grads } = adamwLists(inputs);
  const [m, v] = [inputs.m, inputs.v].map((t) => {
    const copy = alloc(backend, t.size);
    copy.set(f32(backend, t, ADAMW));
    return copy;
  });
  const p = alloc(backend, m.length);
  const g = alloc(backend, m.length);
  let off = 0;
  params.forEach((param, i) => {
    p.set(f32(backend, param, ADAMW), off);
    g.set(f32(backend, grads[i], ADAMW), off);
    off += param.size;
  });
  addon.adamw(p, m, v, g, [beta1, 1 - beta1, beta2, 1 - beta2, decay, stepSize, 1 / bc2Sqrt, epsilon]);
  off = 0;
  const out = params.map((param) => {
    const part = alloc(backend, param.size);
    part.set(p.subarray(off, off + param.size));
    off += param.size;
    return backend.makeTensorInfo(param.shape, 'float32', part);
  });
  release(backend, p);
  release(backend, g);
  return [...out, backend.makeTensorInfo([m.length], 'float32', m), backend.makeTensorInfo([v.length], 'float32', v)];
};

const NATIVE_FUSED: KernelTable<Make> = {
  [RANK_LOSS]: rankLoss,
  [RANK_LOSS_GRAD]: rankLossGrad,
  [SMOOTHNESS_LOSS]: smoothnessLoss,
  [SMOOTHNESS_LOSS_GRAD]: smoothnessLossGrad,
  [BATCH_NORM_TRAIN]: batchNormTrain,
  [BATCH_NORM_TRAIN_GRAD]: batchNormTrainGrad,
  [PRELU]: prelu,
  [PRELU_GRAD]: preluGrad,
  [DENSE]: dense,
  [ADAMW]: adamw,
  [MLP_TRAIN]: nativeMlpTrain,
  [MLP_TRAIN_GRAD]: nativeMlpTrainGrad,
};

/** The kernel configs of every native fused kernel for `backendName`. */
export function nativeFusedKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  const table = Object.fromEntries(Object.entries(NATIVE_FUSED).map(([name, make]) => [name, make(addon)]));
  return kernelConfigs(backendName, table as KernelTable<ReturnType<Make>>);
}
