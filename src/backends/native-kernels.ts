/**
 * Native kernel implementations for the 'native' backend: each takes the
 * tfjs `cpu` kernel of the same name as fallback and uses the addon only for
 * float32 inputs it fully supports (so int32/bool/complex paths, odd batch
 * broadcasts and empty tensors keep the exact `cpu` behaviour). Chosen from a
 * profile of a RankAAE training step: matmuls, broadcast elementwise ops over
 * B x B x k pair tensors, and reductions dominate there.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { BinaryOp, ReduceOp, UnaryOp, type NativeAddon } from './native-addon.js';
import { alloc, release } from './native-pool.js';

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The float32 values behind a tensor of the cpu-derived backend (never write into them). */
export function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

function isDenseF32(backend: MathBackendCPU, ...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => {
    if (t === undefined) return true;
    if (t.dtype !== 'float32') return false;
    const v = backend.data.get(t.dataId).values;
    return v instanceof Float32Array && v.length === tf.util.sizeFromShape(t.shape) && v.length > 0;
  });
}

/** Element strides of `shape` aligned right to a rank-`rank` output, 0 on broadcast (size-1) dims. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const rank = outShape.length;
  const out = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = rank - shape.length + i;
    out[d] = shape[i] === 1 && outShape[d] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return out;
}

/** The addon's rank limit (XL_MAX_RANK). */
const MAX_RANK = 8;

/** a op b broadcast; comparisons give a bool tensor, which tfjs keeps as a Uint8Array the addon fills directly. */
export function nativeBinary(addon: NativeAddon, backend: MathBackendCPU, op: BinaryOp, a: TensorInfo, b: TensorInfo, dtype: 'float32' | 'bool' = 'float32'): TensorInfo {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(outShape);
  const out = dtype === 'bool' ? new Uint8Array(size) : alloc(backend, size);
  if (size > 0) {
    addon.binary(op, values(backend, a), broadcastStrides(a.shape, outShape), values(backend, b), broadcastStrides(b.shape, outShape), out, outShape);
  }
  return backend.makeTensorInfo(outShape, dtype, out);
}

function nativeUnary(addon: NativeAddon, backend: MathBackendCPU, op: UnaryOp, x: TensorInfo, p0 = 0, p1 = 0): TensorInfo {
  const out = alloc(backend, tf.util.sizeFromShape(x.shape));
  addon.unary(op, values(backend, x), out, p0, p1);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

/** A kernel config set: name -> native kernelFunc given the cpu one as fallback. */
export type NativeKernelFactory = (addon: NativeAddon, cpu: KernelFunc) => KernelFunc;

const binary = (op: BinaryOp, names: [string, string] = ['a', 'b'], dtype: 'float32' | 'bool' = 'float32'): NativeKernelFactory => (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const a = args.inputs[names[0]] as TensorInfo;
  const b = args.inputs[names[1]] as TensorInfo;
  if (!isDenseF32(backend, a, b) || a.shape.length > MAX_RANK || b.shape.length > MAX_RANK) return cpu(args);
  return nativeBinary(addon, backend, op, a, b, dtype);
};

const unary = (op: UnaryOp, params: (attrs: tf.NamedAttrMap) => [number, number] = () => [0, 0]): NativeKernelFactory => (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const x = args.inputs.x as TensorInfo;
  if (!isDenseF32(backend, x)) return cpu(args);
  const [p0, p1] = params(args.attrs ?? {});
  return nativeUnary(addon, backend, op, x, p0, p1);
};

const reduce = (op: ReduceOp, axisAttr: string): NativeKernelFactory => (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const x = args.inputs.x as TensorInfo;
  if (!isDenseF32(backend, x) || x.shape.length > MAX_RANK) return cpu(args);
  const attrs = args.attrs ?? {};
  const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
  const flags = x.shape.map((_, d) => (axes.includes(d) ? 1 : 0));
  let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = alloc(backend, tf.util.sizeFromShape(outShape));
  addon.reduce(op, values(backend, x), x.shape, flags, out);
  if (attrs.keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

interface MatMulPlan {
  outShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  aStride: number;
  bStride: number;
}

/** Shapes of a (batched) matmul, or undefined where the batch dims need the cpu kernel's own broadcast rule. */
function planMatMul(a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): MatMulPlan | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return undefined;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  if (tf.util.sizeFromShape(outer) !== batch) return undefined;
  return {
    outShape: [...outer, m, n],
    batch, m, n, k,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
  };
}

function matMulInto(addon: NativeAddon, backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean, p: MatMulPlan): Float32Array {
  const out = alloc(backend, p.batch * p.m * p.n);
  addon.gemm(values(backend, a), values(backend, b), out, p.batch, p.m, p.n, p.k, transA ? 1 : 0, transB ? 1 : 0, p.aStride, p.bStride);
  return out;
}

const batchMatMul: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const transA = Boolean(args.attrs?.transposeA);
  const transB = Boolean(args.attrs?.transposeB);
  const plan = isDenseF32(backend, a, b) ? planMatMul(a, b, transA, transB) : undefined;
  if (!plan) return cpu(args);
  return backend.makeTensorInfo(plan.outShape, 'float32', matMulInto(addon, backend, a, b, transA, transB, plan));
};

/** Broadcast-applies `op` with `t` into `out` (shape outShape) in place. */
export function inPlace(addon: NativeAddon, backend: MathBackendCPU, op: BinaryOp, out: Float32Array, outShape: number[], t: TensorInfo): void {
  tf.backend_util.assertAndGetBroadcastShape(outShape, t.shape);
  const full = tf.util.computeStrides(outShape).concat(1);
  addon.binary(op, out, full.slice(-outShape.length), values(backend, t), broadcastStrides(t.shape, outShape), out, outShape);
}

const fusedMatMul: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { a, b, bias, preluActivationWeights: prelu } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs ?? {};
  const transA = Boolean(attrs.transposeA);
  const transB = Boolean(attrs.transposeB);
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  const plan = isDenseF32(backend, a, b, bias, prelu) ? planMatMul(a!, b!, transA, transB) : undefined;
  const known = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'].includes(activation);
  // The bias/prelu weights must broadcast into the product's shape (never widen it).
  const fits = (t?: TensorInfo) => !t || (plan !== undefined && tf.util.arraysEqual(tf.backend_util.assertAndGetBroadcastShape(plan.outShape, t.shape), plan.outShape));
  if (!plan || !known || !fits(bias) || !fits(prelu) || (activation === 'prelu' && !prelu)) return cpu(args);
  const out = matMulInto(addon, backend, a!, b!, transA, transB, plan);
  if (bias) inPlace(addon, backend, BinaryOp.Add, out, plan.outShape, bias);
  switch (activation) {
    case 'relu': addon.unary(UnaryOp.Relu, out, out, 0, 0); break;
    case 'relu6': addon.unary(UnaryOp.Relu6, out, out, 0, 0); break;
    case 'elu': addon.unary(UnaryOp.Elu, out, out, 0, 0); break;
    case 'sigmoid': addon.unary(UnaryOp.Sigmoid, out, out, 0, 0); break;
    case 'leakyrelu': addon.unary(UnaryOp.LeakyRelu, out, out, Number(attrs.leakyreluAlpha ?? 0.2), 0); break;
    case 'prelu': inPlace(addon, backend, BinaryOp.Prelu, out, plan.outShape, prelu!); break;
  }
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
};

const compare = (op: BinaryOp): NativeKernelFactory => binary(op, ['a', 'b'], 'bool');

const select: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { condition, t, e } = args.inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
  const cond = backend.data.get(condition.dataId).values;
  if (!isDenseF32(backend, t, e) || !(cond instanceof Uint8Array) || !tf.util.arraysEqual(condition.shape, t.shape) || !tf.util.arraysEqual(t.shape, e.shape)) return cpu(args);
  const out = alloc(backend, cond.length);
  addon.select(cond, values(backend, t), values(backend, e), out);
  return backend.makeTensorInfo(t.shape, 'float32', out);
};

/** Strided copy of a box of x (begin/size per dim) into a new dense tensor. */
function nativeSlice(addon: NativeAddon, backend: MathBackendCPU, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const strides = tf.util.computeStrides(x.shape).concat(1);
  let offset = 0;
  begin.forEach((b, d) => (offset += b * strides[d]));
  const out = alloc(backend, tf.util.sizeFromShape(size));
  if (out.length > 0) {
    const src = values(backend, x).subarray(offset);
    addon.binary(BinaryOp.Copy, src, strides, src, strides.map(() => 0), out, size);
  }
  return backend.makeTensorInfo(size, 'float32', out);
}

const slice: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const x = args.inputs.x as TensorInfo;
  if (!isDenseF32(backend, x) || x.shape.length > MAX_RANK) return cpu(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs!.begin as number[], args.attrs!.size as number[]);
  // Contiguous slices are a subarray copy on cpu already.
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return cpu(args);
  return nativeSlice(addon, backend, x, begin, size);
};

const splitV: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const x = args.inputs.x as TensorInfo;
  if (!isDenseF32(backend, x) || x.shape.length > MAX_RANK) return cpu(args);
  const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs!.numOrSizeSplits as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const t = nativeSlice(addon, backend, x, begin.slice(), size);
    begin[axis] += s;
    return t;
  });
};

const transpose: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const x = args.inputs.x as TensorInfo;
  if (!isDenseF32(backend, x) || x.shape.length > MAX_RANK) return cpu(args);
  const perm = args.attrs!.perm as number[];
  const inStrides = tf.util.computeStrides(x.shape).concat(1);
  const outShape = perm.map((p) => x.shape[p]);
  const strides = perm.map((p) => inStrides[p]);
  const src = values(backend, x);
  const out = alloc(backend, src.length);
  addon.binary(BinaryOp.Copy, src, strides, src, strides.map(() => 0), out, outShape);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

/** Largest im2col buffer (floats) the native convolutions allocate; bigger ones use the cpu kernel. */
const MAX_COLS = 1 << 26;

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function convGeom(ci: ConvInfo): number[] {
  return [ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels, ci.filterHeight, ci.filterWidth, ci.strideHeight, ci.strideWidth,
    ci.dilationHeight, ci.dilationWidth, ci.padInfo.top, ci.padInfo.left, ci.outHeight, ci.outWidth];
}

/** Conv info for NHWC attrs, or undefined (NCHW, oversized) to use the cpu kernel. */
function convInfoOf(inShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dilations: number | [number, number]): ConvInfo | undefined {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || inShape.length !== 4 || filterShape.length !== 4) return undefined;
  const ci = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as [number, number], dilations, attrs.pad as 'valid', attrs.dimRoundingMode as 'round' | undefined, false, 'channelsLast');
  const rows = ci.batchSize * ci.outHeight * ci.outWidth;
  return rows * ci.filterHeight * ci.filterWidth * ci.inChannels > MAX_COLS ? undefined : ci;
}

function im2col(addon: NativeAddon, backend: MathBackendCPU, x: Float32Array, ci: ConvInfo): { cols: Float32Array; rows: number; k: number } {
  const rows = ci.batchSize * ci.outHeight * ci.outWidth;
  const k = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const cols = alloc(backend, rows * k);
  addon.im2col(x, convGeom(ci), cols);
  return { cols, rows, k };
}

/** Conv2D as im2col + one GEMM against the [fh*fw*cin, cout] filter. */
const conv2D: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  const ci = isDenseF32(backend, x, filter) ? convInfoOf(x.shape, filter.shape, attrs, (attrs.dilations as [number, number]) ?? 1) : undefined;
  if (!ci) return cpu(args);
  const { cols, rows, k } = im2col(addon, backend, values(backend, x), ci);
  const out = alloc(backend, rows * ci.outChannels);
  addon.gemm(cols, values(backend, filter), out, 1, rows, ci.outChannels, k, 0, 0, 0, 0);
  release(backend, cols);
  return backend.makeTensorInfo(ci.outShape, 'float32', out);
};

/** dx = col2im(dy x filter^T). */
const conv2DBackpropInput: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  const ci = isDenseF32(backend, dy, filter) ? convInfoOf(attrs.inputShape as number[], filter.shape, attrs, 1) : undefined;
  if (!ci) return cpu(args);
  const rows = ci.batchSize * ci.outHeight * ci.outWidth;
  const k = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const dcols = alloc(backend, rows * k);
  addon.gemm(values(backend, dy), values(backend, filter), dcols, 1, rows, k, ci.outChannels, 0, 1, 0, 0);
  const dx = alloc(backend, tf.util.sizeFromShape(ci.inShape));
  addon.col2im(dcols, convGeom(ci), dx);
  release(backend, dcols);
  return backend.makeTensorInfo(ci.inShape, 'float32', dx);
};

/** dW = im2col(x)^T x dy. */
const conv2DBackpropFilter: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const ci = isDenseF32(backend, x, dy) ? convInfoOf(x.shape, attrs.filterShape as number[], attrs, 1) : undefined;
  if (!ci) return cpu(args);
  const { cols, rows, k } = im2col(addon, backend, values(backend, x), ci);
  const dw = alloc(backend, k * ci.outChannels);
  addon.gemm(cols, values(backend, dy), dw, 1, k, ci.outChannels, rows, 1, 0, 0, 0);
  release(backend, cols);
  return backend.makeTensorInfo(ci.filterShape, 'float32', dw);
};

/** Inference batch norm (FusedBatchNorm) with per-channel (last-dim) or scalar parameters, computed in double as on cpu. */
const fusedBatchNorm: NativeKernelFactory = (addon, cpu) => (args) => {
  const backend = args.backend as MathBackendCPU;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  if (!x || !mean || !variance || !isDenseF32(backend, x, mean, variance, offset, scale) || x.shape.length < 1) return cpu(args);
  const h = x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo | undefined, dflt: number): Float32Array | undefined => {
    if (!t) return new Float32Array(h).fill(dflt);
    const v = values(backend, t);
    if (v.length === h) return v;
    return v.length === 1 ? new Float32Array(h).fill(v[0]) : undefined;
  };
  const params = [perChannel(mean, 0), perChannel(variance, 1), perChannel(scale, 1), perChannel(offset, 0)];
  if (h === 0 || params.some((p) => p === undefined)) return cpu(args);
  const [m, v, sc, off] = params as Float32Array[];
  const xv = values(backend, x);
  const out = alloc(backend, xv.length);
  addon.bnInfer(xv, xv.length / h, h, m, v, sc, off, num(args.attrs?.varianceEpsilon, 0.001), out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
};

const num = (v: unknown, dflt: number) => (typeof v === 'number' ? v : dflt);

/** Every kernel the 'native' backend runs through the addon, by tfjs kernel name. */
export const NATIVE_KERNELS: Record<string, NativeKernelFactory> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Add: binary(BinaryOp.Add),
  Sub: binary(BinaryOp.Sub),
  Multiply: binary(BinaryOp.Mul),
  RealDiv: binary(BinaryOp.Div),
  Maximum: binary(BinaryOp.Max),
  Minimum: binary(BinaryOp.Min),
  SquaredDifference: binary(BinaryOp.SquaredDifference),
  Pow: binary(BinaryOp.Pow),
  Prelu: binary(BinaryOp.Prelu, ['x', 'alpha']),
  Neg: unary(UnaryOp.Neg),
  Abs: unary(UnaryOp.Abs),
  Square: unary(UnaryOp.Square),
  Sqrt: unary(UnaryOp.Sqrt),
  Rsqrt: unary(UnaryOp.Rsqrt),
  Exp: unary(UnaryOp.Exp),
  Log: unary(UnaryOp.Log),
  Log1p: unary(UnaryOp.Log1p),
  Expm1: unary(UnaryOp.Expm1),
  Sigmoid: unary(UnaryOp.Sigmoid),
  Softplus: unary(UnaryOp.Softplus),
  Relu: unary(UnaryOp.Relu),
  Relu6: unary(UnaryOp.Relu6),
  Elu: unary(UnaryOp.Elu),
  Step: unary(UnaryOp.Step, (a) => [num(a.alpha, 0), 0]),
  Sign: unary(UnaryOp.Sign),
  Tanh: unary(UnaryOp.Tanh),
  Reciprocal: unary(UnaryOp.Reciprocal),
  Floor: unary(UnaryOp.Floor),
  LeakyRelu: unary(UnaryOp.LeakyRelu, (a) => [num(a.alpha, 0.2), 0]),
  ClipByValue: unary(UnaryOp.Clip, (a) => [num(a.clipValueMin, -Infinity), num(a.clipValueMax, Infinity)]),
  Greater: compare(BinaryOp.Greater),
  GreaterEqual: compare(BinaryOp.GreaterEqual),
  Less: compare(BinaryOp.Less),
  LessEqual: compare(BinaryOp.LessEqual),
  Equal: compare(BinaryOp.Equal),
  NotEqual: compare(BinaryOp.NotEqual),
  Select: select,
  Slice: slice,
  SplitV: splitV,
  Transpose: transpose,
  FusedBatchNorm: fusedBatchNorm,
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Sum: reduce(ReduceOp.Sum, 'axis'),
  Mean: reduce(ReduceOp.Mean, 'axis'),
  Max: reduce(ReduceOp.Max, 'reductionIndices'),
  Min: reduce(ReduceOp.Min, 'axis'),
  Prod: reduce(ReduceOp.Prod, 'axis'),
};
