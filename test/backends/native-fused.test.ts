/**
 * What only the native backend's versions of xlatent's kernels promise
 * (their value/gradient parity with cpu is in fused-ops.test.ts): they are
 * registered in place of the generic ones, NaN descriptors count as
 * missing, AdamW, inference batch norm and dropout masks equal cpu bit for
 * bit, batch-norm running statistics follow cpu's, and results do not depend
 * on the thread count. Skips when the addon is not built.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNativeAddon, type NativeAddon } from '../../src/backends/native-addon.js';
import { nativeMissing, requireOrSkip } from '../require.js';
import { registerNativeBackend } from '../../src/backends/native-backend.js';
import { applyActivation, applyBatchNorm, createBatchNorm } from '../../src/model/layers.js';
import { dropoutMask, normalTensor } from '../../src/model/random-tensors.js';
import { addNormalNoise, randomFillers, setRandomFillers } from '../../src/ops/random-fill.js';
import { GENERIC_KERNELS } from '../../src/ops/generic/index.js';
import { XLATENT_KERNELS } from '../../src/ops/kernel-names.js';
import { rankLoss } from '../../src/ops/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { gaussianKernel, gaussianSmooth, smoothnessLoss } from '../../src/train/losses/smoothness.js';
import { Rng } from '../../src/util/random.js';

const load = loadNativeAddon();
const haveNative = requireOrSkip('the native addon (fused native kernels)', nativeMissing());

/** |a - b| <= rtol * max(|b|, mean |b|) elementwise. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5) {
  expect(a.length).toBe(b.length);
  let mean = 0;
  for (let i = 0; i < b.length; i++) mean += Math.abs(b[i]) / b.length;
  for (let i = 0; i < b.length; i++) {
    expect(Number.isFinite(a[i])).toBe(true);
    expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(rtol * Math.max(Math.abs(b[i]), mean) + 1e-12);
  }
}

/** Value and gradient w.r.t. the first argument of a scalar loss. */
function valueAndGrad(f: (z: tf.Tensor2D) => tf.Scalar, z: tf.Tensor2D): { value: number; grad: Float32Array } {
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => f(x as tf.Tensor2D))(z);
  const out = { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  tf.dispose([value, grad]);
  return out;
}

/**
 * Latents, descriptors with ties (values on a coarse grid) and, optionally, missing
 * entries handled as the trainer does: NaN replaced by 0 in y, valid = 0 there.
 */
function rankData(n: number, width: number, k: number, seed: number, missing: number) {
  const rng = new Rng(seed);
  const z = new Float32Array(n * width);
  rng.fillNormal(z);
  const y = new Float32Array(n * k);
  const valid = new Float32Array(n * k).fill(1);
  for (let i = 0; i < y.length; i++) {
    y[i] = Math.round(rng.uniform() * 12) / 4;
    if (rng.uniform() < missing) {
      y[i] = 0;
      valid[i] = 0;
    }
  }
  return { z, y, valid };
}

describe.skipIf(!haveNative)('fused native training kernels', () => {
  let addon: NativeAddon;
  beforeAll(async () => {
    addon = registerNativeBackend();
    await tf.setBackend('native');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Value and gradient of `f` on the cpu backend (generic kernels), from the same data. */
  async function onCpu<T>(f: () => T): Promise<T> {
    await tf.setBackend('cpu');
    try {
      return f();
    } finally {
      await tf.setBackend('native');
    }
  }

  it('registers its own version of every xlatent kernel; cpu runs the generic ones', async () => {
    const generic = new Map(GENERIC_KERNELS.map((k) => [k.kernelName, k.kernelFunc]));
    for (const name of XLATENT_KERNELS) {
      expect(tf.getKernel(name, 'native')?.kernelFunc, name).toBeDefined();
      expect(tf.getKernel(name, 'native')!.kernelFunc, name).not.toBe(generic.get(name));
    }
    const d = rankData(20, 3, 2, 1, 0);
    await onCpu(() => valueAndGrad((x) => rankLoss(x, tf.tensor2d(d.y, [20, 2])), tf.tensor2d(d.z, [20, 3])));
    expect(tf.getKernel(XLATENT_KERNELS[0], 'cpu')!.kernelFunc).toBe(generic.get(XLATENT_KERNELS[0]));
  });

  it('rank loss: NaN descriptors count as missing', () => {
    const n = 80;
    const k = 2;
    const d = rankData(n, k, k, 5, 0.25);
    const yNan = d.y.map((v, i) => (d.valid[i] === 0 ? NaN : v));
    const z = tf.tensor2d(d.z, [n, k]);
    const masked = valueAndGrad((x) => rankLoss(x, tf.tensor2d(d.y, [n, k]), tf.tensor2d(d.valid, [n, k])), z);
    const nan = valueAndGrad((x) => rankLoss(x, tf.tensor2d(yNan, [n, k])), z);
    expect(nan.value).toBe(masked.value);
    expect(Array.from(nan.grad)).toEqual(Array.from(masked.grad));
    z.dispose();
  });

  it('the addon\'s smoothing equals the tf-op smoothing (replicate padding) for odd and even tap counts', () => {
    const n = 37;
    const m = 90;
    const x = new Rng(9).fillNormal(new Float32Array(n * m)) as Float32Array;
    for (const [size, sigma] of [[17, 3], [4, 1], [2, 0.5]] as const) {
      const kernel = gaussianKernel(size, sigma);
      const ref = tf.tidy(() => gaussianSmooth(tf.tensor2d(x, [n, m]), kernel).dataSync());
      const smooth = new Float32Array(n * m);
      addon.smooth(x, n, m, kernel, Math.floor((size - 1) / 2), smooth);
      expectClose(smooth, ref);
    }
  });

  it('AdamW: the native update equals the tf-op update on cpu bit for bit', async () => {
    const rng = new Rng(21);
    const shapes = [[7, 5], [5], [3, 4]];
    const init = shapes.map((s) => rng.fillNormal(new Float32Array(s.reduce((a, b) => a * b, 1))) as Float32Array);
    const gradSeq = [0, 1, 2].map(() => init.map((p) => rng.fillNormal(new Float32Array(p.length)) as Float32Array));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const params = init.map((p, i) => tf.variable(tf.tensor(p, shapes[i])));
      const opt = new AdamW(params, { lr: 0.01, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 });
      gradSeq.forEach((gs, step) => {
        // The second parameter gets no gradient in the middle step (treated as zero).
        const grads: tf.NamedTensorMap = {};
        params.forEach((p, i) => {
          if (!(step === 1 && i === 1)) grads[p.name] = tf.tensor(gs[i], shapes[i]);
        });
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
      });
      const out = {
        params: params.map((p) => Array.from(p.dataSync())),
        moments: opt.namedVariables().map(([, v]) => Array.from(v.dataSync())),
      };
      expect(params.map((p) => p.shape)).toEqual(shapes);
      tf.dispose(params);
      opt.dispose();
      return out;
    };
    const ref = await run('cpu');
    const got = await run('native');
    expect(got).toEqual(ref);
    expect(got.params[0]).not.toEqual(Array.from(init[0]));
  });

  it('batch norm (training) and PReLU: native values, gradients and running statistics equal cpu', async () => {
    const n = 150;
    const h = 7;
    const rng = new Rng(31);
    const x = rng.fillNormal(new Float32Array(n * h)) as Float32Array;
    for (let i = 0; i < x.length; i++) x[i] = x[i] * (1 + (i % h)) + (i % h) - 2;
    const alpha = Float32Array.from({ length: h }, (_, j) => 0.01 + 0.1 * j);
    const w = rng.fillNormal(new Float32Array(n * h)) as Float32Array;
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const bn = createBatchNorm(h);
      const xt = tf.tensor2d(x, [n, h]);
      const at = tf.tensor1d(alpha);
      const wt = tf.tensor2d(w, [n, h]);
      // A weighted sum makes every output element's gradient distinct.
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(applyBatchNorm(applyActivation(a as tf.Tensor2D, 'prelu', b as tf.Tensor1D), bn, true), wt)) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(f)([xt, at]);
      const out = {
        value: value.dataSync()[0],
        dx: Array.from(grads[0].dataSync()),
        dalpha: Array.from(grads[1].dataSync()),
        mean: Array.from(bn.mean.dataSync()),
        variance: Array.from(bn.variance.dataSync()),
        y: [] as number[],
      };
      const y = tf.tidy(() => applyBatchNorm(xt, bn, true));
      out.y = Array.from(y.dataSync());
      tf.dispose([xt, at, wt, y, value, ...grads, bn.mean, bn.variance]);
      return out;
    };
    const ref = await run('cpu');
    const before = tf.memory().numTensors;
    const got = await run('native');
    expect(tf.memory().numTensors).toBe(before);
    expectClose([got.value], [ref.value], 1e-4);
    expectClose(got.dx, ref.dx);
    expectClose(got.dalpha, ref.dalpha);
    expectClose(got.mean, ref.mean);
    expectClose(got.variance, ref.variance);
    expectClose(got.y, ref.y);
  });

  it('inference batch norm (FusedBatchNorm) equals cpu bit for bit', async () => {
    const x = new Rng(8).fillNormal(new Float32Array(60 * 5)) as Float32Array;
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const xt = tf.tensor2d(x, [60, 5]);
        const a = tf.batchNorm(xt, tf.tensor1d([0.1, -2, 3, 0, 1]), tf.tensor1d([1, 0.5, 2, 3, 1e-3]), undefined, undefined, 1e-5);
        const b = tf.batchNorm(xt, tf.tensor1d([0.5]), tf.tensor1d([1, 2, 3, 4, 5]), tf.tensor1d([1, 0, 1, 0, 2]), tf.tensor1d([3]), 1e-3);
        return [Array.from(a.dataSync()), Array.from(b.dataSync())];
      });
    };
    const ref = await run('cpu');
    expect(await run('native')).toEqual(ref);
  });

  it('dropout masks: the native generator gives the JS masks and leaves the Rng in the same state', async () => {
    const native = randomFillers();
    expect(native).toBeDefined();
    const draw = async (filler: typeof native) => {
      setRandomFillers(filler);
      const rng = new Rng(77);
      rng.normal(); // leaves a spare deviate, which must survive
      const masks = [[13, 7, 0.25], [4, 64, 0.04], [1, 1, 0.5]].map(([r, c, p]) => {
        const t = dropoutMask(rng, r, c, p);
        const v = Array.from(t.dataSync());
        t.dispose();
        return v;
      });
      return { masks, after: [rng.normal(), rng.nextUint32()] };
    };
    const ref = await draw(undefined);
    const got = await draw(native);
    expect(got).toEqual(ref);
    expect(ref.masks[0].filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  it('augmentation noise: the native generator adds the JS deviates and leaves the Rng in the same state', () => {
    const native = randomFillers();
    expect(native).toBeDefined();
    const draw = (adder: typeof native, spareFirst: boolean) => {
      setRandomFillers(adder);
      try {
        const rng = new Rng(91);
        if (spareFirst) rng.normal(); // a cached deviate must be used first, then the stream continues
        // Odd lengths leave a spare behind for the next call; values of both signs and sizes.
        const arrays = [5, 1, 0, 4096, 257].map((len, j) => Float32Array.from({ length: len }, (_, i) => (i % 7) - 3 + j * 0.125));
        for (const [j, x] of arrays.entries()) addNormalNoise(rng, x, [0.02, 1, 0.5, 3, 1e-3][j]);
        return { values: arrays.map((a) => Array.from(a)), after: [rng.normal(), rng.normal(), rng.nextUint32()] };
      } finally {
        setRandomFillers(native);
      }
    };
    for (const spareFirst of [false, true]) {
      const ref = draw(undefined, spareFirst);
      expect(draw(native, spareFirst)).toEqual(ref);
      // The noise is there: std 3 on 4096 values moves each by about 3.
      const moved = ref.values[3].map((v, i) => Math.abs(v - ((i % 7) - 3 + 0.375)));
      expect(moved.reduce((a, b) => a + b, 0) / moved.length).toBeGreaterThan(2);
    }
  });

  it('prior samples and discriminator noise (normalTensor) are rng.fillNormal values through either generator, in reused buffers too', () => {
    const native = randomFillers();
    expect(native).toBeDefined();
    const draw = (filler: typeof native) => {
      setRandomFillers(filler);
      try {
        const rng = new Rng(5);
        const values: number[][] = [];
        // The first tensor is disposed unread, so the second gets its pooled buffer back (a buffer read out is
        // pinned), which must not keep the old values.
        for (const [j, [r, c, std]] of ([[64, 6, 1], [64, 6, 1], [3, 5, 0.5], [3, 5, 0.5]] as const).entries()) {
          const t = normalTensor(rng, r, c, std);
          if (j > 0) values.push(Array.from(t.dataSync()));
          t.dispose();
        }
        return { values, after: [rng.normal(), rng.nextUint32()] };
      } finally {
        setRandomFillers(native);
      }
    };
    const rng = new Rng(5);
    const expected = [[64, 6, 1], [64, 6, 1], [3, 5, 0.5], [3, 5, 0.5]].map(([r, c, std]) => Array.from(rng.fillNormal(new Float32Array(r * c), 0, std))).slice(1);
    const after = [rng.normal(), rng.nextUint32()];
    for (const filler of [undefined, native]) expect(draw(filler)).toEqual({ values: expected, after });
  });

  it('fused losses give bitwise identical results for 1 and 2 threads', () => {
    const n = 600;
    const d = rankData(n, 6, 5, 4, 0.1);
    const x = new Rng(6).fillNormal(new Float32Array(n * 256)) as Float32Array;
    const kernel = gaussianKernel(17, 3);
    const before = addon.threads();
    const run = (threads: number) => {
      addon.setThreads(threads);
      const gz = new Float32Array(n * 6);
      const gx = new Float32Array(n * 256);
      const r = addon.rankLoss(d.z, 6, d.y, 5, d.valid, n, 5, gz);
      const s = addon.smoothnessLoss(x, n, 256, kernel, 8, gx);
      return { r, s, gz: Array.from(gz), gx: Array.from(gx) };
    };
    try {
      expect(run(2)).toEqual(run(1));
    } finally {
      addon.setThreads(before);
    }
  });
});
