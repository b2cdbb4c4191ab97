/**
 * The 'native' backend's training-mode MLP (src/ops mlpTrain): the whole
 * forward pass and the whole backward pass as one addon call each
 * (native/src/mlp.c). The forward pass keeps what the backward one needs
 * (each layer's dense output, normalized activations, dropout output, rstd)
 * in pooled buffers attached to the output tensor's data, so the kernel's
 * only outputs are y and the running statistics; they return to the pool
 * with y. The results are those of the layer ops on this backend, bit for bit.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { mlpInputIndex, type MlpTrainAttrs } from '../ops/kernel-names.js';
import type { NativeAddon } from './native-addon.js';
import { values } from './native-kernels.js';
import { alloc, type PooledBackend } from './native-pool.js';

type TensorInfo = tf.TensorInfo;
type Args = { inputs: tf.NamedTensorMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Backend = MathBackendCPU & PooledBackend;

/** Slots per layer in the addon's layer list (native/src/addon.c XL_MLP_SLOTS). */
const SLOTS = 18;
/** Slot positions (addon.c mlp_parse). */
const S = { dw: 15, db: 16, dalpha: 17 } as const;
const ACTIVATION = { prelu: 0, relu: 1, swish: 2 } as const;
const OUTPUT = { batchnorm: 0, softplus: 1, linear: 2 } as const;

/** What the forward pass left for the backward one. */
interface Saved {
  /** The layer list as the addon reads it. */
  layers: (number | Float32Array | null)[];
  config: number[];
}

/** The forward pass's saved state by the dataId of its y. */
const savedByOutput = new WeakMap<object, Saved>();

function config(a: MlpTrainAttrs, rows: number): number[] {
  const f = Math.fround;
  // Running-average weights in float32, as the generic kernel's scalars are.
  return [ACTIVATION[a.activation], a.batchNorm ? 1 : 0, OUTPUT[a.output], a.epsilon, f(1 - a.momentum), f(a.momentum), f((a.momentum * rows) / Math.max(rows - 1, 1))];
}

/** [y, running mean', running variance' per batch-norm layer]. */
export const nativeMlpTrain = (addon: NativeAddon) => ({ inputs, backend: b, attrs }: Args): TensorInfo[] => {
  const backend = b as Backend;
  const a = attrs as unknown as MlpTrainAttrs;
  const ins = inputs as unknown as TensorInfo[];
  const idx = mlpInputIndex(a);
  const x = ins[idx.x];
  const rows = x.shape[0];
  const layers: Saved['layers'] = [];
  const held: Float32Array[] = [];
  const hold = (n: number) => {
    const buf = alloc(backend, n);
    held.push(buf);
    return buf;
  };
  const stats: TensorInfo[] = [];
  const v = (i: number | undefined) => (i === undefined ? null : values(backend, ins[i]));
  idx.layers.forEach((L, l) => {
    const last = l === a.hidden;
    const [inputs, units] = ins[L.w].shape;
    const norm = last ? a.output === 'batchnorm' : a.batchNorm;
    const rm = norm ? alloc(backend, units) : null;
    const rv = norm ? alloc(backend, units) : null;
    if (rm && rv) stats.push(backend.makeTensorInfo([units], 'float32', rm), backend.makeTensorInfo([units], 'float32', rv));
    const nu = rows * units;
    layers.push(
      inputs, units, v(L.w), v(L.b), v(L.alpha), v(L.mask), v(L.runningMean), v(L.runningVariance), rm, rv,
      !last || a.output === 'softplus' ? hold(nu) : null,
      last ? null : hold(nu),
      !last && L.mask !== undefined ? hold(nu) : null,
      norm ? hold(units) : null,
      !last && a.activation === 'swish' ? hold(nu) : null,
      null, null, null,
    );
  });
  const out = ins[idx.layers[a.hidden].w].shape[1];
  const y = alloc(backend, rows * out);
  const cfg = config(a, rows);
  addon.mlpForward(values(backend, x), rows, layers, cfg, y);
  const yInfo = backend.makeTensorInfo([rows, out], 'float32', y);
  savedByOutput.set(yInfo.dataId, { layers, config: cfg });
  backend.attached.set(yInfo.dataId, held);
  return [yInfo, ...stats];
};

/** [dL/d(first dense output), then dW, db (dalpha) per layer]. */
export const nativeMlpTrainGrad = (addon: NativeAddon) => ({ inputs, backend: b, attrs }: Args): TensorInfo[] => {
  const backend = b as Backend;
  const a = attrs as unknown as MlpTrainAttrs;
  const all = inputs as unknown as TensorInfo[];
  const idx = mlpInputIndex(a);
  const [dy, x, y] = [all[0], all[1 + idx.x], all[1 + idx.count]];
  const saved = savedByOutput.get(y.dataId);
  if (!saved) throw new Error('XlatentMlpTrainGrad: the forward pass of this output was not run on the native backend');
  const rows = x.shape[0];
  const layers = saved.layers.slice();
  const grads: TensorInfo[] = [];
  idx.layers.forEach((L, l) => {
    const [inputs, units] = all[1 + L.w].shape;
    const dw = alloc(backend, inputs * units);
    const db = alloc(backend, units);
    layers[l * SLOTS + S.dw] = dw;
    layers[l * SLOTS + S.db] = db;
    grads.push(backend.makeTensorInfo([inputs, units], 'float32', dw), backend.makeTensorInfo([units], 'float32', db));
    if (L.alpha !== undefined) {
      const da = alloc(backend, units);
      layers[l * SLOTS + S.dalpha] = da;
      grads.push(backend.makeTensorInfo([units], 'float32', da));
    }
  });
  const first = all[1 + idx.layers[0].w].shape[1];
  const g0 = alloc(backend, rows * first);
  addon.mlpBackward(values(backend, x), rows, layers, saved.config, values(backend, dy), values(backend, y), g0);
  return [backend.makeTensorInfo([rows, first], 'float32', g0), ...grads];
};
