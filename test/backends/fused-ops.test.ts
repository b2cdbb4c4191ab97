/**
 * xlatent's fused ops (src/ops) as TF.js kernels: the generic tf-op kernels
 * every backend gets give exactly the bits automatic differentiation of the
 * plain tf-op forward passes gives (so the cpu and wasm paths compute what
 * they did before the ops existed), backends without their own kernels get
 * the generic ones on first use, and every op, value and gradient, agrees
 * with cpu on every backend present (native, wasm, webgpu).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { nativeMissing, requireOrSkip } from '../require.js';
import { selectBackend } from '../../src/backends/select.js';
import { GENERIC_KERNELS } from '../../src/ops/generic/index.js';
import { gaussianSmooth } from '../../src/ops/generic/smoothness.js';
import { adamwStep, batchNormTrain, dense, prelu, rankLoss, smoothnessLoss } from '../../src/ops/index.js';
import { PRELU, RANK_LOSS, XLATENT_KERNELS } from '../../src/ops/kernel-names.js';
import { registerBackendKernels } from '../../src/ops/run.js';
import { gaussianKernel } from '../../src/train/losses/smoothness.js';
import { Rng } from '../../src/util/random.js';
import { webgpuMissing, webgpuUnavailable } from './webgpu-env.js';

const rng = new Rng(3);
const normal = (n: number, scale = 1) => Float32Array.from(rng.fillNormal(new Float32Array(n)) as Float32Array, (v) => v * scale);
const [n, w, k, m, h] = [70, 5, 3, 40, 9];
const data = {
  z: normal(n * w),
  // Descriptors on a coarse grid (ties), one in seven missing.
  y: Float32Array.from(normal(n * k), (v) => Math.round(v * 3) / 3),
  valid: Float32Array.from({ length: n * k }, (_, i) => (i % 7 === 0 ? 0 : 1)),
  x: normal(n * m),
  xh: Float32Array.from(normal(n * h), (v, i) => v * (1 + (i % h)) + (i % h) - 2),
  alpha: normal(h, 0.1),
  dy: normal(n * h),
  w: normal(m * h, 0.3),
  b: normal(h),
  p: normal(100),
  g: normal(100),
};
const tapSets = [gaussianKernel(17, 3), gaussianKernel(4, 1), gaussianKernel(2, 0.5), gaussianKernel(1, 1)];

/** Every op's value and gradients on the active backend (read asynchronously, as a GPU needs). */
async function allOps(): Promise<Record<string, number[]>> {
  const out: Record<string, tf.Tensor> = {};
  const [Z, Y, V] = [tf.tensor2d(data.z, [n, w]), tf.tensor2d(data.y, [n, k]), tf.tensor2d(data.valid, [n, k])];
  for (const masked of [false, true]) {
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => rankLoss(z as tf.Tensor2D, Y, masked ? V : undefined))(Z, tf.scalar(1.7));
    Object.assign(out, { [`rank ${masked ? 'masked' : ''}`]: value, [`d rank ${masked ? 'masked' : ''}`]: grad });
  }
  const X = tf.tensor2d(data.x, [n, m]);
  // One tap gives exactly zero (no smoothing), which the bitwise test below covers.
  for (const taps of tapSets.slice(0, 3)) {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => smoothnessLoss(x as tf.Tensor2D, taps))(X, tf.scalar(0.3));
    Object.assign(out, { [`smoothness ${taps.length}`]: value, [`d smoothness ${taps.length}`]: grad });
  }
  const [XH, A, DY] = [tf.tensor2d(data.xh, [n, h]), tf.tensor1d(data.alpha), tf.tensor2d(data.dy, [n, h])];
  const running = { mean: tf.tensor1d(data.b), variance: tf.tensor1d(data.alpha.map((v) => 1 + Math.abs(v))) };
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor, a: tf.Tensor) => {
    const r = batchNormTrain(prelu(x as tf.Tensor2D, a as tf.Tensor1D), running, 1e-5, 0.1);
    Object.assign(out, { 'running mean': tf.keep(r.runningMean), 'running variance': tf.keep(r.runningVariance) });
    return tf.sum(tf.mul(r.y, DY)) as tf.Scalar;
  })([XH, A]);
  Object.assign(out, { 'prelu+bn': value, 'd prelu+bn / dx': grads[0], 'd prelu+bn / dalpha': grads[1] });
  const [W, B] = [tf.tensor2d(data.w, [m, h]), tf.tensor1d(data.b)];
  const f = (x: tf.Tensor, wt: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dense(x as tf.Tensor2D, wt as tf.Tensor2D, b as tf.Tensor1D), DY)) as tf.Scalar;
  tf.grads(f)([X, W, B]).forEach((g, i) => (out[`d dense ${'xWb'[i]}`] = g));
  out.dense = dense(X, W, B);
  // Three parameters of different shapes sharing the flat moments (100 values).
  const shapes = [[7, 10], [20], [2, 5]];
  const cut = (a: Float32Array) => { let o = 0; return shapes.map((sh) => { const n = sh.reduce((x, y) => x * y, 1); const t = tf.tensor(a.slice(o, o + n), sh); o += n; return t; }); };
  const step = adamwStep(cut(data.p), cut(data.g), tf.tensor1d(data.g.map((x) => 0.1 * x)), tf.tensor1d(data.g.map((x) => x * x)), {
    beta1: 0.9, beta2: 0.999, decay: 0.99, stepSize: 0.01, bc2Sqrt: 0.3, epsilon: 1e-8,
  });
  step.params.forEach((t, i) => {
    expect(t.shape).toEqual(shapes[i]);
    out[`adamw p${i}`] = t;
  });
  Object.assign(out, { 'adamw m': step.m, 'adamw v': step.v });
  const res: Record<string, number[]> = {};
  for (const [key, t] of Object.entries(out)) res[key] = Array.from(await t.data());
  tf.dispose([...Object.values(out), Z, Y, V, X, XH, A, DY, W, B, running.mean, running.variance]);
  return res;
}

/** |got - ref| <= rtol max(|ref|, mean |ref|) for every value of every op. */
function expectAllClose(got: Record<string, number[]>, ref: Record<string, number[]>, rtol: number): void {
  expect(Object.keys(got)).toEqual(Object.keys(ref));
  for (const [key, r] of Object.entries(ref)) {
    const g = got[key];
    expect(g.length, key).toBe(r.length);
    const scale = r.reduce((a, v) => a + Math.abs(v), 0) / r.length;
    r.forEach((v, i) => {
      const err = Math.abs(g[i] - v) / Math.max(Math.abs(v), scale, 1e-30);
      if (!(err <= rtol)) expect.fail(`${key}[${i}]: ${g[i]} vs ${v} (relative error ${err.toExponential(2)} > ${rtol})`);
    });
  }
}

/** Bitwise equality of two tensors' values. */
function expectSameBits(a: tf.Tensor, b: tf.Tensor, what: string): void {
  expect(Array.from(a.dataSync()), what).toEqual(Array.from(b.dataSync()));
}

describe('generic (tf-op) kernels on cpu', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('smoothness: value and gradient are the bits of tf.grad through the conv1d forward pass', () => {
    const X = tf.tensor2d(data.x, [n, m]);
    for (const taps of tapSets) {
      const plain = (x: tf.Tensor) => tf.mean(tf.squaredDifference(x, gaussianSmooth(x as tf.Tensor2D, taps))) as tf.Scalar;
      const op = (x: tf.Tensor) => smoothnessLoss(x as tf.Tensor2D, taps);
      const [a, b] = [tf.valueAndGrad(op)(X, tf.scalar(0.37)), tf.valueAndGrad(plain)(X, tf.scalar(0.37))];
      expectSameBits(a.value, b.value, `value, ${taps.length} taps`);
      expectSameBits(a.grad, b.grad, `gradient, ${taps.length} taps`);
    }
  });

  it('batch norm: output and gradient are the bits of tf.grad through the column-mean forward pass', () => {
    const [X, DY] = [tf.tensor2d(data.xh, [n, h]), tf.tensor2d(data.dy, [n, h])];
    const plain = (x: tf.Tensor) => {
      const avg = tf.fill([1, n], 1 / n) as tf.Tensor2D;
      const centred = tf.sub(x, tf.reshape(tf.matMul(avg, x as tf.Tensor2D), [h]));
      const variance = tf.reshape(tf.matMul(avg, tf.square(centred) as tf.Tensor2D), [h]);
      return tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5)));
    };
    const running = { mean: tf.zeros([h]) as tf.Tensor1D, variance: tf.ones([h]) as tf.Tensor1D };
    const op = (x: tf.Tensor) => batchNormTrain(x as tf.Tensor2D, running, 1e-5, 0.1).y;
    const [a, b] = [tf.grad(op)(X, DY), tf.grad(plain)(X, DY)];
    expectSameBits(a, b, 'gradient');
    expectSameBits(op(X), plain(X), 'value');
  });

  it("PReLU and dense: gradients are the bits of tfjs's own Prelu and MatMul + Add gradients", () => {
    const [X, A, DY, XM, W, B] = [tf.tensor2d(data.xh, [n, h]), tf.tensor1d(data.alpha), tf.tensor2d(data.dy, [n, h]), tf.tensor2d(data.x, [n, m]), tf.tensor2d(data.w, [m, h]), tf.tensor1d(data.b)];
    const gp = tf.grads((x: tf.Tensor, a: tf.Tensor) => prelu(x as tf.Tensor2D, a as tf.Tensor1D))([X, A], DY);
    const rp = tf.grads((x: tf.Tensor, a: tf.Tensor) => tf.prelu(x, a))([X, A], DY);
    gp.forEach((g, i) => expectSameBits(g, rp[i], `prelu gradient ${i}`));
    const gd = tf.grads((x: tf.Tensor, wt: tf.Tensor, b: tf.Tensor) => dense(x as tf.Tensor2D, wt as tf.Tensor2D, b as tf.Tensor1D))([XM, W, B], DY);
    const rd = tf.grads((x: tf.Tensor, wt: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, wt as tf.Tensor2D), b))([XM, W, B], DY);
    gd.forEach((g, i) => expectSameBits(g, rd[i], `dense gradient ${i}`));
  });

  it('a backend with none of the kernels gets the generic ones on first use; its own kernels replace them', async () => {
    const cpuFactory = tf.findBackendFactory('cpu')!;
    tf.registerBackend('xlatent-plain', cpuFactory, -1);
    for (const c of tf.getKernelsForBackend('cpu')) {
      if (!(XLATENT_KERNELS as readonly string[]).includes(c.kernelName)) tf.registerKernel({ ...c, backendName: 'xlatent-plain' });
    }
    try {
      await tf.setBackend('xlatent-plain');
      expect(tf.getKernel(RANK_LOSS, 'xlatent-plain')).toBeUndefined();
      const loss = rankLoss(tf.tensor2d(data.z, [n, w]), tf.tensor2d(data.y, [n, k]));
      expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
      const generic = new Map(GENERIC_KERNELS.map((g) => [g.kernelName, g.kernelFunc]));
      for (const name of XLATENT_KERNELS) expect(tf.getKernel(name, 'xlatent-plain')?.kernelFunc, name).toBe(generic.get(name));
      // A backend's own version (here: PReLU as 2x) takes over from the generic one.
      registerBackendKernels([{ kernelName: PRELU, backendName: 'xlatent-plain', kernelFunc: ({ inputs }) => tf.mul(inputs.x as tf.Tensor, 2) as never }]);
      expect(Array.from(prelu(tf.tensor2d([1, -1], [1, 2]), tf.tensor1d([0.5, 0.5])).dataSync())).toEqual([2, -2]);
    } finally {
      await tf.setBackend('cpu');
      for (const c of tf.getKernelsForBackend('xlatent-plain')) tf.unregisterKernel(c.kernelName, 'xlatent-plain');
      tf.removeBackend('xlatent-plain');
    }
  });

  it('ops reject shapes that do not fit, naming them', () => {
    const z = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => rankLoss(z, tf.zeros([4, 3]) as tf.Tensor2D)).toThrow(/latent 4,2 does not cover descriptors 4,3/);
    expect(() => rankLoss(z, tf.zeros([4, 2]) as tf.Tensor2D, tf.ones([4, 1]) as tf.Tensor2D)).toThrow(/valid 4,1 does not match/);
    expect(() => prelu(z, tf.zeros([3]) as tf.Tensor1D)).toThrow(/3 slopes for 2 columns/);
    expect(() => dense(z, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D)).toThrow(/do not fit/);
    expect(() => smoothnessLoss(z, new Float32Array(0))).toThrow(/no taps/);
    const m8 = tf.zeros([8]) as tf.Tensor1D;
    expect(() => adamwStep([z], [z], tf.zeros([7]) as tf.Tensor1D, m8, { beta1: 0.9, beta2: 0.999, decay: 1, stepSize: 1, bc2Sqrt: 1, epsilon: 1e-8 })).toThrow(/1 parameters \(8 values\).*moments of 7/);
    expect(() => adamwStep([z], [tf.zeros([2, 4])], m8, m8, { beta1: 0.9, beta2: 0.999, decay: 1, stepSize: 1, bc2Sqrt: 1, epsilon: 1e-8 })).toThrow(/gradient 0 has shape 2,4, parameter 4,2/);
  });
});

const native = loadNativeAddon();
const webgpu = await webgpuUnavailable();
/**
 * Backends to compare with cpu: [name, relative tolerance]. Sums run in other
 * orders there (SIMD lanes, GPU workgroup trees), which column sums with
 * cancellation (the PReLU slope gradient) feel most.
 */
const backends: [string, number][] = [
  ['wasm', 1e-4],
  ...(native.ok ? [['native', 1e-5] as [string, number]] : []),
  ...(webgpu === undefined ? [['webgpu', 1e-4] as [string, number]] : []),
];

describe('every fused op, value and gradients, on every backend against cpu', () => {
  let reference: Record<string, number[]>;
  beforeAll(async () => {
    await selectBackend('cpu');
    reference = await allOps();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('the cpu reference is finite and not trivial', () => {
    for (const [key, v] of Object.entries(reference)) {
      expect(v.every(Number.isFinite), key).toBe(true);
      expect(v.some((x) => x !== 0), key).toBe(true);
    }
  });

  for (const [name, rtol] of backends) {
    it(`${name} agrees with cpu to ${rtol} relative`, async () => {
      const sel = await selectBackend(name as 'wasm');
      expect(sel.name).toBe(name);
      expectAllClose(await allOps(), reference, rtol);
    });
  }
  requireOrSkip('the native addon (native op parity)', nativeMissing());
  webgpuMissing(webgpu, 'webgpu op parity');
});
