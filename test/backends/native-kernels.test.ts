/**
 * Every native kernel against the tfjs `cpu` reference on seeded random
 * inputs: all transpose flags, batch broadcasting, bias/activation fusions,
 * broadcasting shapes, special values, reductions over every axis set.
 * Skips (with the reason in the test name) when the addon is not built.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { nativeMissing, requireOrSkip } from '../require.js';
import { registerNativeBackend } from '../../src/backends/native-backend.js';
import { XLATENT_COMPOSITE_KERNELS, XLATENT_KERNELS } from '../../src/ops/kernel-names.js';
import { Rng } from '../../src/util/random.js';

const load = loadNativeAddon();
const haveNative = requireOrSkip('the native addon (native kernel parity)', nativeMissing());
/** The addon (only called inside the describe that runs when it loaded). */
const addon = () => (load.ok ? load.addon : expect.fail(`native addon: ${load.error}`));

/** Seeded normal data of `shape`. */
function data(shape: number[], seed: number): Float32Array {
  return new Rng(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) as Float32Array;
}

/** Runs `f` on a backend with inputs made there; returns shape, dtype and values. */
function runOn(backend: string, f: () => tf.Tensor | tf.Tensor[]) {
  tf.setBackend(backend);
  // Only tensors leave tidy (it walks returned containers element by element).
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
  tf.dispose(list);
  return res;
}

/**
 * |native - cpu| <= rtol * max(|cpu|, mean |cpu|) elementwise; NaN and infinities must match exactly.
 * The mean floor keeps matmul entries that cancel to ~0 from demanding more than float32 accumulation gives.
 */
function expectParity(f: () => tf.Tensor | tf.Tensor[], rtol = 1e-5) {
  const ref = runOn('cpu', f);
  const got = runOn('native', f);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, k) => {
    const g = got[k];
    expect(g.shape).toEqual(r.shape);
    expect(g.dtype).toBe(r.dtype);
    const finite = r.values.filter(Number.isFinite);
    const floor = finite.reduce((a, v) => a + Math.abs(v), 0) / Math.max(1, finite.length);
    let worst = 0;
    r.values.forEach((v, i) => {
      const a = g.values[i];
      if (!Number.isFinite(v)) {
        expect(Object.is(a, v) || (Number.isNaN(a) && Number.isNaN(v)), `element ${i}: ${a} vs ${v}`).toBe(true);
        return;
      }
      const err = Math.abs(a - v) / Math.max(Math.abs(v), floor, 1e-30);
      worst = Math.max(worst, err);
    });
    expect(worst).toBeLessThanOrEqual(rtol);
  });
}

describe.skipIf(!haveNative)('native kernels match the cpu backend', () => {
  beforeAll(async () => {
    registerNativeBackend();
    await tf.setBackend('native');
  });

  it('registers every cpu kernel under native, plus its own versions of every xlatent kernel, the fused MLP included', () => {
    // xlatent kernels the cpu backend may have got (generic versions) are counted once, on the native side.
    const own = [...XLATENT_KERNELS, ...XLATENT_COMPOSITE_KERNELS] as readonly string[];
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((k) => !own.includes(k));
    const native = tf.getKernelsForBackend('native').map((k) => k.kernelName).sort();
    expect(native).toEqual([...cpu, ...own].sort());
  });

  const mmShapes: [number[], number[], boolean, boolean][] = [];
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const [m, k, n] = [37, 29, 41];
      const a = ta ? [k, m] : [m, k];
      const b = tb ? [n, k] : [k, n];
      mmShapes.push([a, b, ta, tb]);
      mmShapes.push([[3, ...a], [3, ...b], ta, tb]); // batched
      mmShapes.push([[1, ...a], [4, ...b], ta, tb]); // a broadcast over batch
      mmShapes.push([[2, 2, ...a], [1, ...b], ta, tb]); // b broadcast, rank 4
    }
  }
  it.each(mmShapes)('BatchMatMul %j x %j transposeA=%s transposeB=%s', (sa, sb, ta, tb) => {
    expectParity(() => tf.matMul(tf.tensor(data(sa, 1), sa), tf.tensor(data(sb, 2), sb), ta, tb));
  });

  it('BatchMatMul at workload size (1024x256 by 256x64 and the transposed gradients)', () => {
    const x = () => tf.tensor2d(data([1024, 256], 3), [1024, 256]);
    const w = () => tf.tensor2d(data([256, 64], 4), [256, 64]);
    const dy = () => tf.tensor2d(data([1024, 64], 5), [1024, 64]);
    expectParity(() => tf.matMul(x(), w()));
    expectParity(() => tf.matMul(x(), dy(), true, false));
    expectParity(() => tf.matMul(dy(), w(), false, true));
  });

  const activations = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'] as const;
  it.each(activations)('_FusedMatMul with bias and %s activation, all transpose flags', (activation) => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a: [number, number] = ta ? [13, 17] : [17, 13];
        const b: [number, number] = tb ? [11, 13] : [13, 11];
        for (const biasShape of [[11], [17, 11], [1, 11]]) {
          expectParity(() =>
            tf.fused.matMul({
              a: tf.tensor(data(a, 6), a) as tf.Tensor2D,
              b: tf.tensor(data(b, 7), b) as tf.Tensor2D,
              transposeA: ta,
              transposeB: tb,
              bias: tf.tensor(data(biasShape, 8), biasShape),
              activation,
              preluActivationWeights: activation === 'prelu' ? tf.tensor1d(data([11], 9)) : undefined,
              leakyreluAlpha: 0.3,
            }),
          );
        }
      }
    }
  });

  it('_FusedMatMul gradients (through tf.layers-style dense)', () => {
    expectParity(() => {
      const x = tf.tensor2d(data([32, 16], 10), [32, 16]);
      const w = tf.tensor2d(data([16, 8], 11), [16, 8]);
      const b = tf.tensor1d(data([8], 12));
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' })),
      );
      return g([x, w, b]);
    });
  });

  const broadcastPairs: [number[], number[]][] = [
    [[7, 5], [7, 5]],
    [[7, 5], []],
    [[], [7, 5]],
    [[7, 5], [5]],
    [[7, 5], [7, 1]],
    [[1, 5], [7, 5]],
    [[9, 1, 5], [1, 9, 5]],
    [[1, 1, 5], [9, 9, 5]],
    [[2, 3, 4, 5], [3, 1, 5]],
    [[64, 64, 5], [64, 64, 5]],
  ];
  const binaries: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum], ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference], ['pow', (a, b) => tf.pow(tf.abs(a), b)],
    ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less], ['lessEqual', tf.lessEqual],
    ['equal', (a, b) => tf.equal(tf.round(a), tf.round(b))], ['notEqual', (a, b) => tf.notEqual(tf.round(a), tf.round(b))],
  ];
  it.each(binaries)('%s over broadcasting shapes', (_, op) => {
    for (const [sa, sb] of broadcastPairs) {
      expectParity(() => op(tf.tensor(data(sa, 13), sa), tf.tensor(data(sb, 14), sb)));
    }
  });

  it('prelu with per-channel and scalar alpha', () => {
    expectParity(() => tf.prelu(tf.tensor2d(data([50, 8], 15), [50, 8]) as tf.Tensor, tf.tensor1d(data([8], 16)) as tf.Tensor));
    expectParity(() => tf.prelu(tf.tensor2d(data([50, 8], 15), [50, 8]) as tf.Tensor, tf.scalar(0.25) as tf.Tensor));
  });

  it('binary ops propagate NaN and infinities like cpu', () => {
    const special = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 1, -1, 3e38, -3e38, 1e-40]);
    const a = () => tf.tensor2d(special, [10, 1]);
    const b = () => tf.tensor2d(special, [1, 10]);
    for (const [, op] of binaries.slice(0, 7)) expectParity(() => op(a(), b()));
  });

  const specialValues = [NaN, Infinity, -Infinity, 0, -0, 20, -20, 1e-7, 88, -88, 0.5, -0.5];
  const unaries: [string, (x: tf.Tensor) => tf.Tensor, boolean][] = [
    ['neg', tf.neg, false], ['abs', tf.abs, false], ['square', tf.square, false], ['sqrt', (x) => tf.sqrt(tf.abs(x)), false],
    ['rsqrt', (x) => tf.rsqrt(tf.abs(x)), false], ['exp', tf.exp, false], ['log', (x) => tf.log(tf.abs(x)), false],
    ['log1p', (x) => tf.log1p(tf.abs(x)), false], ['expm1', tf.expm1, false], ['sigmoid', tf.sigmoid, false],
    ['softplus', tf.softplus, false], ['relu', tf.relu, false], ['relu6', tf.relu6, false], ['elu', tf.elu, false],
    ['step', (x) => tf.step(x, 0.1), false], ['sign', tf.sign, false], ['tanh', tf.tanh, false],
    ['reciprocal', tf.reciprocal, false], ['floor', tf.floor, false], ['leakyRelu', (x) => tf.leakyRelu(x, 0.3), false],
    ['clipByValue', (x) => tf.clipByValue(x, -0.7, 1.3), false],
  ];
  it.each(unaries)('%s on random and special values', (_, op) => {
    expectParity(() => op(tf.mul(tf.tensor2d(data([40, 30], 17), [40, 30]), 4)));
    expectParity(() => op(tf.tensor1d(specialValues)));
  });

  const reduceAxes: (number | number[] | undefined)[] = [undefined, 0, 1, 2, [0, 1], [0, 2], [1, 2], [0, 1, 2], -1];
  const reductions: [string, (x: tf.Tensor, axis: number | number[] | undefined, keep: boolean) => tf.Tensor][] = [
    ['sum', (x, a, k) => tf.sum(x, a, k)], ['mean', (x, a, k) => tf.mean(x, a, k)], ['max', (x, a, k) => tf.max(x, a, k)],
    ['min', (x, a, k) => tf.min(x, a, k)], ['prod', (x, a, k) => tf.prod(tf.add(tf.mul(x, 0.05), 1), a, k)],
  ];
  it.each(reductions)('%s over every axis set, with and without keepDims', (_, op) => {
    for (const axis of reduceAxes) {
      for (const keep of [false, true]) {
        expectParity(() => op(tf.tensor3d(data([6, 7, 5], 18), [6, 7, 5]), axis, keep));
      }
    }
    // Large enough for the threaded paths (leading kept dim, leading reduced dim).
    expectParity(() => op(tf.tensor3d(data([300, 300, 5], 19), [300, 300, 5]), [0, 1], false));
    expectParity(() => op(tf.tensor3d(data([300, 300, 5], 19), [300, 300, 5]), 2, false));
    expectParity(() => op(tf.tensor3d(data([300, 300, 5], 19), [300, 300, 5]), undefined, false));
  });

  it('max/min keep NaN like cpu', () => {
    const x = () => tf.tensor2d([1, NaN, 3, 4, 5, 6], [2, 3]);
    expectParity(() => [tf.max(x(), 1), tf.min(x(), 1), tf.max(x(), 0), tf.max(x())]);
  });

  it('select, slice, splitV, concat gradient and transpose', () => {
    const x = () => tf.tensor3d(data([8, 9, 10], 20), [8, 9, 10]);
    expectParity(() => tf.where(tf.greater(x(), 0), x(), tf.neg(x())));
    expectParity(() => tf.slice(x(), [1, 2, 3], [5, 4, 6]));
    expectParity(() => tf.slice(x(), [2, 0, 0], [3, -1, -1]));
    expectParity(() => tf.split(x(), [3, 5, 2], 2));
    expectParity(() => tf.split(x(), 3, 1));
    expectParity(() => tf.transpose(x(), [2, 0, 1]));
    expectParity(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.concat([t, tf.square(t)], 1), 3)))(x()));
  });

  const convCases: [string, number[], number[], [number, number], 'valid' | 'same' | number, [number, number]][] = [
    ['conv1d-style smoothing', [6, 1, 40, 1], [1, 17, 1, 1], [1, 1], 'valid', [1, 1]],
    ['3x3 same, 3->4 channels', [2, 9, 8, 3], [3, 3, 3, 4], [1, 1], 'same', [1, 1]],
    ['strided 2x3 valid', [3, 11, 10, 2], [2, 3, 2, 5], [2, 3], 'valid', [1, 1]],
    ['explicit pad 1', [2, 7, 7, 2], [3, 2, 2, 3], [1, 2], 1, [1, 1]],
    ['dilated', [2, 12, 12, 2], [3, 3, 2, 2], [1, 1], 'same', [2, 2]],
  ];
  it.each(convCases)('conv2d %s: forward, input and filter gradients', (_, xs, fs, strides, pad, dil) => {
    expectParity(() => tf.conv2d(tf.tensor4d(data(xs, 22), xs as never), tf.tensor4d(data(fs, 23), fs as never), strides, pad, 'NHWC', dil));
    if (dil[0] === 1 && dil[1] === 1) {
      expectParity(() => {
        const g = tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad))));
        return g([tf.tensor4d(data(xs, 22), xs as never), tf.tensor4d(data(fs, 23), fs as never)]);
      });
    }
  });

  it('conv1d with replicate padding (the smoothness term)', () => {
    expectParity(() => {
      const x = tf.tensor2d(data([16, 64], 24), [16, 64]);
      const k = tf.tensor3d(data([17, 1, 1], 25), [17, 1, 1]);
      return tf.grad((t: tf.Tensor) => {
        const p = tf.concat([tf.tile(tf.slice(t, [0, 0], [-1, 1]), [1, 8]), t, tf.tile(tf.slice(t, [0, 63], [-1, 1]), [1, 8])], 1);
        return tf.sum(tf.square(tf.conv1d(tf.expandDims(p, 2) as tf.Tensor3D, k, 1, 'valid')));
      })(x);
    });
  });

  it('non-float32 inputs keep the exact cpu behaviour (int32 and bool fall back)', () => {
    expectParity(() => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')));
    expectParity(() => tf.sum(tf.tensor1d([1, 2, 3], 'int32')));
    expectParity(() => tf.sum(tf.tensor1d([true, false, true], 'bool')));
    expectParity(() => tf.max(tf.tensor2d([1, 7, 3, 4], [2, 2], 'int32'), 1));
    expectParity(() => tf.neg(tf.tensor1d([1, -2, 3], 'int32')));
  });

  it('gives bitwise identical results for 1 and 2 threads', () => {
    const f = () => {
      const outs = tf.tidy(() => {
        const x = tf.tensor3d(data([1024, 512, 5], 26), [1024, 512, 5]);
        const m = tf.reshape(x, [2048, 1280]);
        return [tf.sum(x, [0, 1]), tf.sum(x), tf.mean(x, 0), tf.max(x, [0, 1]), tf.sum(x, 2), tf.mul(x, x), tf.matMul(m, m, true, false)];
      });
      const vals = outs.map((t) => Array.from(t.dataSync()));
      tf.dispose(outs);
      return vals;
    };
    const before = addon().threads();
    try {
      addon().setThreads(1);
      const one = f();
      addon().setThreads(2);
      expect(f()).toEqual(one);
    } finally {
      addon().setThreads(before);
    }
  });

  it('is deterministic for a fixed thread count', () => {
    const f = () => {
      const outs = tf.tidy(() => {
        const x = tf.tensor3d(data([512, 512, 5], 21), [512, 512, 5]);
        return [tf.sum(x, [0, 1]), tf.sum(x), tf.matMul(tf.reshape(x, [2560, 512]), tf.reshape(x, [2560, 512]), true)];
      });
      const vals = outs.map((t) => Array.from(t.dataSync()));
      tf.dispose(outs);
      return vals;
    };
    tf.setBackend('native');
    expect(f()).toEqual(f());
  });

  it('the addon rejects arrays shorter than the shapes say (no memory corruption)', () => {
    const a = new Float32Array(10);
    expect(() => addon().gemm(a, a, a, 1, 4, 4, 4, 0, 0, 0, 0)).toThrow(/too short/);
    expect(() => addon().binary(0, a, [1], a, [1], a, [11])).toThrow(/too short/);
    expect(() => addon().reduce(0, a, [11], [1], a)).toThrow(/too short/);
    expect(() => addon().binary(0, a, [1], a, [1], a, [1, 1, 1, 1, 1, 1, 1, 1, 1])).toThrow();
  });
});
