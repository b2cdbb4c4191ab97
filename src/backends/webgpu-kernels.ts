/**
 * The webgpu backend's versions of xlatent's kernels (src/ops/kernel-names.ts):
 * WGSL programs (webgpu-programs.ts) for the losses, batch norm, the PReLU
 * gradient and AdamW, where the generic tf-op versions would run a dozen or
 * more dispatches (and the rank loss n x n x k pair tensors); PReLU and the
 * dense layer reuse tfjs-backend-webgpu's own Prelu and fused matmul. One
 * KernelConfig per kernel, registered from one list when the backend is
 * set up (webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';

import {
  ADAMW, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, DENSE, PRELU, PRELU_GRAD, RANK_LOSS, RANK_LOSS_GRAD, SMOOTHNESS_LOSS,
  SMOOTHNESS_LOSS_GRAD, type AdamWAttrs, type BatchNormAttrs, type RankLossAttrs, type SmoothnessAttrs,
} from '../ops/kernel-names.js';
import { adamwLists, flatten } from '../ops/generic/adamw.js';
import { tapSplit } from '../ops/generic/smoothness.js';
import { kernelConfigs, type KernelTable } from '../ops/run.js';
import * as P from './webgpu-programs.js';
import type { WebGPUProgram } from './webgpu-programs.js';

type TensorInfo = tf.TensorInfo;
type Args = { inputs: tf.NamedTensorMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Uniform = { type: string; data: number[] };

/** What these kernels use of tfjs-backend-webgpu's WebGPUBackend (declared here: the package is optional). */
interface WebGPUBackend {
  runWebGPUProgram(program: WebGPUProgram, inputs: TensorInfo[], outputDtype: tf.DataType, uniforms?: Uniform[]): TensorInfo;
  disposeData(dataId: object): boolean;
}

const int = (v: number): Uniform => ({ type: 'int32', data: [v] });
const float = (v: number): Uniform => ({ type: 'float32', data: [v] });

/** Runs a program; uniforms in the order of its `uniforms` declaration. */
function run(backend: WebGPUBackend, program: WebGPUProgram, inputs: TensorInfo[], uniforms: Uniform[] = []): TensorInfo {
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/** Calls another webgpu kernel (tfjs's own) by name. */
function kernel(name: string, backend: WebGPUBackend, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap = {}): TensorInfo {
  const k = tf.getKernel(name, 'webgpu');
  if (!k) throw new Error(`webgpu kernel ${name} is not registered`);
  return k.kernelFunc({ inputs, backend, attrs } as never) as TensorInfo;
}

/** A [1] result as a scalar (a reshape shares the buffer). */
function scalar(backend: WebGPUBackend, t: TensorInfo): TensorInfo {
  const out = kernel('Reshape', backend, { x: t }, { shape: [] });
  backend.disposeData(t.dataId);
  return out;
}

function dispose(backend: WebGPUBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/** Pair statistics per row and per axis of the rank loss. */
function rankStatistics(backend: WebGPUBackend, { inputs, attrs }: Args) {
  const { z, y, valid } = inputs;
  const [n, k] = y.shape as [number, number];
  const w = z.shape[1] as number;
  const masked = (attrs as unknown as RankLossAttrs).masked ? 1 : 0;
  const rows = run(backend, P.rankRows(n, k), [z, y, valid], [int(n), int(k), int(w), int(masked)]);
  const axes = run(backend, P.rankAxes(k), [rows], [int(n), P.outputsUniform(k)]);
  return { rows, axes, n, k, w };
}

const rankLoss = (args: Args) => {
  const backend = args.backend as WebGPUBackend;
  const { rows, axes, k } = rankStatistics(backend, args);
  const total = run(backend, P.rankTotal(k), [axes], [int(k), P.outputsUniform(1)]);
  dispose(backend, rows, axes);
  return scalar(backend, total);
};

const rankLossGrad = (args: Args) => {
  const backend = args.backend as WebGPUBackend;
  const { rows, axes, n, k, w } = rankStatistics(backend, args);
  const grad = run(backend, P.rankGrad(n, w), [rows, axes, args.inputs.dy], [int(n), int(k), int(w)]);
  dispose(backend, rows, axes);
  return grad;
};

function residual(backend: WebGPUBackend, x: TensorInfo, attrs: tf.NamedAttrMap | undefined) {
  const taps = (attrs as unknown as SmoothnessAttrs).taps;
  const [n, m] = x.shape as [number, number];
  const { left } = tapSplit(taps.length);
  return { d: run(backend, P.smoothResidual(n, m, taps, left), [x], [int(m)]), n, m, taps, left };
}

const smoothnessLoss = ({ inputs, backend: b, attrs }: Args) => {
  const backend = b as WebGPUBackend;
  const { d, n, m } = residual(backend, inputs.x, attrs);
  const total = run(backend, P.sumOfSquares(), [d], [int(n * m), float(1 / (n * m)), P.outputsUniform(1)]);
  dispose(backend, d);
  return scalar(backend, total);
};

const smoothnessLossGrad = ({ inputs, backend: b, attrs }: Args) => {
  const backend = b as WebGPUBackend;
  const { d, n, m, taps, left } = residual(backend, inputs.x, attrs);
  const grad = run(backend, P.smoothGrad(n, m, taps, left), [d, inputs.dy], [int(m)]);
  dispose(backend, d);
  return grad;
};

const batchNormTrain = ({ inputs, backend: b, attrs }: Args) => {
  const backend = b as WebGPUBackend;
  const x = inputs.x;
  const [n, h] = x.shape as [number, number];
  const { epsilon, momentum } = attrs as unknown as BatchNormAttrs;
  const moments = run(backend, P.columnMoments(h), [x], [int(n), int(h), P.outputsUniform(h)]);
  const rstd = run(backend, P.batchNormRstd(h), [moments], [float(epsilon)]);
  const y = run(backend, P.batchNormApply(n, h), [x, moments, rstd], [int(h)]);
  const keep = float(1 - momentum);
  const mean = run(backend, P.runningUpdate(h), [inputs.runningMean, moments], [int(0), keep, float(momentum)]);
  const variance = run(backend, P.runningUpdate(h), [inputs.runningVariance, moments], [int(1), keep, float((momentum * n) / Math.max(n - 1, 1))]);
  dispose(backend, moments);
  return [y, mean, variance, rstd];
};

const batchNormTrainGrad = ({ inputs, backend: b }: Args) => {
  const backend = b as WebGPUBackend;
  const { dy, y, rstd } = inputs;
  const [n, h] = y.shape as [number, number];
  const stats = run(backend, P.batchNormGradStats(h), [dy, y], [int(n), int(h), P.outputsUniform(h)]);
  const dx = run(backend, P.batchNormGrad(n, h), [dy, y, rstd, stats], [int(h)]);
  dispose(backend, stats);
  return dx;
};

const prelu = ({ inputs, backend }: Args) => kernel('Prelu', backend as WebGPUBackend, { x: inputs.x, alpha: inputs.alpha });

const preluGrad = ({ inputs, backend: b }: Args) => {
  const backend = b as WebGPUBackend;
  const { dy, x, alpha } = inputs;
  const [n, h] = x.shape as [number, number];
  return [
    run(backend, P.preluGradX(n, h), [dy, x, alpha], [int(h)]),
    run(backend, P.preluGradAlpha(h), [dy, x], [int(n), int(h), P.outputsUniform(h)]),
  ];
};

/** tfjs's fused matmul with the bias added in the same pass. */
const dense = ({ inputs, backend }: Args) =>
  kernel('_FusedMatMul', backend as WebGPUBackend, { a: inputs.x, b: inputs.w, bias: inputs.b }, { transposeA: false, transposeB: false, activation: 'linear' });

/** The flat vectors as the generic kernel builds them, three WGSL passes, the result cut back into the parameters' shapes. */
const adamw = ({ inputs, backend: b, attrs }: Args) => {
  const backend = b as WebGPUBackend;
  const { params, grads } = adamwLists(inputs);
  const [p, g] = tf.tidy(() => [flatten(params), flatten(grads)]);
  const size = p.size;
  const u = P.adamUniforms(attrs as unknown as AdamWAttrs);
  const m1 = run(backend, P.adamFirstMoment(size), [inputs.m, g], u);
  const v1 = run(backend, P.adamSecondMoment(size), [inputs.v, g], u);
  const p1 = run(backend, P.adamParams(size), [p, m1, v1], u);
  let off = 0;
  const out = params.map((param) => {
    const piece = kernel('Slice', backend, { x: p1 }, { begin: [off], size: [param.size] });
    off += param.size;
    const shaped = kernel('Reshape', backend, { x: piece }, { shape: param.shape });
    dispose(backend, piece);
    return shaped;
  });
  dispose(backend, p1);
  tf.dispose([p, g]);
  return [...out, m1, v1];
};

const WEBGPU_KERNELS: KernelTable<(args: Args) => TensorInfo | TensorInfo[]> = {
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
};

/** The kernel configs of every WGSL kernel for `backendName`. */
export function webgpuKernels(backendName: string): tf.KernelConfig[] {
  return kernelConfigs(backendName, WEBGPU_KERNELS);
}
