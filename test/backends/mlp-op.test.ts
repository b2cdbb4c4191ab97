/**
 * The fused training-mode MLP op (src/ops mlpTrain): on every backend it
 * gives the bits of the layer ops it replaces (dense, activation, batch
 * norm, dropout, output), values, running statistics and gradients; the
 * native backend's one-call kernels included, with any thread count; and it
 * leaks no tensors or pooled buffers.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { selectBackend } from '../../src/backends/select.js';
import { batchNormTrain, dense, mlpTrain, prelu, type MlpTrainAttrs, type MlpTrainLayer } from '../../src/ops/index.js';
import { Rng } from '../../src/util/random.js';

const native = loadNativeAddon();
/** Rows and layer widths: small, and large enough that the native kernels use threads (2^18 values, 2^24 products). */
const SMALL = { rows: 37, widths: [11, 9, 9, 4] };
const LARGE = { rows: 1100, widths: [256, 64, 64, 256] };

/** Structures covering every activation, output, and batch norm and dropout on and off. */
const CASES: MlpTrainAttrs[] = [
  { hidden: 2, activation: 'prelu', batchNorm: true, dropout: true, output: 'batchnorm', epsilon: 1e-5, momentum: 0.1 },
  { hidden: 2, activation: 'prelu', batchNorm: true, dropout: true, output: 'softplus', epsilon: 1e-5, momentum: 0.1 },
  { hidden: 2, activation: 'prelu', batchNorm: false, dropout: true, output: 'linear', epsilon: 1e-5, momentum: 0.1 },
  { hidden: 2, activation: 'relu', batchNorm: true, dropout: false, output: 'softplus', epsilon: 1e-3, momentum: 0.2 },
  { hidden: 2, activation: 'swish', batchNorm: false, dropout: true, output: 'batchnorm', epsilon: 1e-5, momentum: 0.1 },
];

/** Seeded inputs, weights, masks and running statistics (values spanning both signs, some exact zeros). */
function network(a: MlpTrainAttrs, { rows, widths } = SMALL) {
  const rng = new Rng(5);
  const normal = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
  const x = tf.tensor2d(normal(rows * widths[0]), [rows, widths[0]]);
  x.dataSync()[3] = 0;
  const layers: MlpTrainLayer[] = [];
  for (let l = 0; l <= a.hidden; l++) {
    const [i, o] = [widths[l], widths[l + 1]];
    const hidden = l < a.hidden;
    const norm = hidden ? a.batchNorm : a.output === 'batchnorm';
    layers.push({
      w: tf.tensor2d(normal(i * o, 1 / Math.sqrt(i)), [i, o]),
      b: tf.tensor1d(normal(o, 0.1)),
      alpha: hidden && a.activation === 'prelu' ? tf.tensor1d(normal(o, 0.2)) : undefined,
      mask: hidden && a.dropout ? tf.tensor2d(Float32Array.from({ length: rows * o }, () => (rng.uniform() < 0.2 ? 0 : 1.25)), [rows, o]) : undefined,
      running: norm ? { mean: tf.tensor1d(normal(o, 0.3)), variance: tf.tensor1d(normal(o).map((v) => 1 + Math.abs(v))) } : undefined,
    });
  }
  const dy = tf.tensor2d(normal(rows * widths[a.hidden + 1]), [rows, widths[a.hidden + 1]]);
  return { x, layers, dy };
}

/** The layer ops in sequence, as the networks ran them before mlpTrain. */
function plain(x: tf.Tensor2D, layers: MlpTrainLayer[], a: MlpTrainAttrs) {
  const running: tf.Tensor[] = [];
  const norm = (h: tf.Tensor2D, l: MlpTrainLayer) => {
    const r = batchNormTrain(h, l.running!, a.epsilon, a.momentum);
    running.push(r.runningMean, r.runningVariance);
    return r.y;
  };
  let h = x;
  layers.slice(0, a.hidden).forEach((l) => {
    h = dense(h, l.w, l.b);
    h = a.activation === 'prelu' ? prelu(h, l.alpha!) : a.activation === 'relu' ? tf.relu(h) : tf.mul(h, tf.sigmoid(h));
    if (a.batchNorm) h = norm(h, l);
    if (a.dropout) h = tf.mul(h, l.mask!);
  });
  const o = layers[a.hidden];
  h = dense(h, o.w, o.b);
  const y = a.output === 'batchnorm' ? norm(h, o) : a.output === 'softplus' ? tf.softplus(h) : h;
  return { y, running };
}

/** Output, running statistics and the gradient of sum(y * dy) w.r.t. x and every weight, as arrays. */
async function run(a: MlpTrainAttrs, fused: boolean, size = SMALL): Promise<Float32Array[]> {
  const { x, layers, dy } = network(a, size);
  const weights = layers.flatMap((l) => [l.w, l.b, ...(l.alpha ? [l.alpha] : [])]);
  const f = (xx: tf.Tensor, ...ws: tf.Tensor[]) => {
    let k = 0;
    const ls = layers.map((l) => ({ ...l, w: ws[k++] as tf.Tensor2D, b: ws[k++] as tf.Tensor1D, alpha: l.alpha ? (ws[k++] as tf.Tensor1D) : undefined }));
    const r = fused ? mlpTrain(xx as tf.Tensor2D, ls, a) : plain(xx as tf.Tensor2D, ls, a);
    const stats = fused ? (r as ReturnType<typeof mlpTrain>).running.flatMap((s) => [s.mean, s.variance]) : (r as ReturnType<typeof plain>).running;
    out.push(tf.keep(r.y.clone()), ...stats.map((s) => tf.keep(s.clone())));
    return tf.sum(tf.mul(r.y, dy)) as tf.Scalar;
  };
  const out: tf.Tensor[] = [];
  const grads = tf.grads(f)([x, ...weights]);
  const res = await Promise.all([...out, ...grads].map(async (t) => Float32Array.from(await t.data())));
  tf.dispose([...out, ...grads, x, dy, ...layers.flatMap((l) => [l.w, l.b, l.alpha, l.mask, l.running?.mean, l.running?.variance]).filter((t) => t !== undefined) as tf.Tensor[]]);
  return res;
}

function expectSameBits(got: Float32Array[], want: Float32Array[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => expect(Array.from(g), `${what}, array ${i}`).toEqual(Array.from(want[i])));
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('mlpTrain', () => {
  for (const backend of ['cpu', 'wasm', ...(native.ok ? ['native'] : [])]) {
    it(`on ${backend}: the layer ops' values, running statistics and gradients, bit for bit, for every structure`, async () => {
      await selectBackend(backend as 'cpu');
      for (const a of CASES) {
        const before = tf.memory().numTensors;
        const [fused, reference] = [await run(a, true), await run(a, false)];
        expect(fused.every((t) => t.every(Number.isFinite)), `${JSON.stringify(a)}: finite`).toBe(true);
        expectSameBits(fused, reference, `${backend} ${a.activation} ${a.output} bn=${a.batchNorm} dropout=${a.dropout}`);
        expect(tf.memory().numTensors).toBe(before);
      }
    });
  }
  if (!native.ok) it.skip(`native mlpTrain skipped: ${native.error}`, () => {});

  it.runIf(native.ok)('on native: the same bits with 1 and 2 threads, at a size where the kernels split work', async () => {
    await selectBackend('native');
    const addon = native.ok ? native.addon : undefined;
    const before = addon!.threads();
    try {
      const results = [];
      for (const threads of [1, 2]) {
        addon!.setThreads(threads);
        results.push(await run(CASES[1], true, LARGE));
      }
      expectSameBits(results[1], results[0], 'threads 2 vs 1');
    } finally {
      addon!.setThreads(before);
    }
  });

  it('rejects layers that do not fit, naming the layer', () => {
    const a = CASES[2];
    const { x, layers } = network(a);
    expect(() => mlpTrain(x, layers.slice(1), a)).toThrow(/2 layers for 2 hidden/);
    expect(() => mlpTrain(x, [{ ...layers[0], mask: undefined }, ...layers.slice(1)], a)).toThrow(/layer 0: dropout needs a \[37, 9\] mask/);
    expect(() => mlpTrain(x, [layers[0], { ...layers[1], w: layers[0].w }, layers[2]], a)).toThrow(/layer 1: W 11,9/);
    tf.dispose([x, ...layers.flatMap((l) => [l.w, l.b, l.alpha, l.mask]).filter((t) => t !== undefined) as tf.Tensor[]]);
  });
});
