/**
 * Cross-backend parity: the same forward/backward computations (dense chain
 * with PReLU and affine-free batch norm, softplus decoder output, BCE, MSE,
 * the pairwise rank loss, conv1d smoothing) on cpu, wasm and native, from the
 * same seeded weights, must agree within float32 tolerance. Native cases skip
 * with the reason in their name when the addon is not built.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { rankLoss } from '../../src/backends/bench-workload.js';
import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { describeBackend, selectBackend } from '../../src/backends/select.js';
import { Rng } from '../../src/util/random.js';

const B = 96;
const D = 48;
const H = 32;
const Z = 6;
const K = 5;
/** Which of the five dense layers are hidden (PReLU + batch norm); the others are linear outputs. */
const HIDDEN = [true, true, false, true, false];

interface Inputs {
  x: Float32Array;
  desc: Float32Array;
  weights: { shape: number[]; values: Float32Array }[];
}

function makeInputs(seed: number): Inputs {
  const rng = new Rng(seed);
  const mat = (shape: number[], scale: number) => {
    const v = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) as Float32Array;
    for (let i = 0; i < v.length; i++) v[i] *= scale;
    return { shape, values: v };
  };
  const widths = [D, H, H, Z, H, D];
  const weights: Inputs['weights'] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    weights.push(mat([widths[i], widths[i + 1]], Math.sqrt(2 / widths[i])));
    weights.push(mat([widths[i + 1]], 0.1));
    if (HIDDEN[i]) weights.push(mat([widths[i + 1]], 0.05)); // PReLU slopes
  }
  const x = new Float32Array(B * D).map(() => rng.uniform());
  const desc = new Float32Array(B * K).map(() => rng.uniform());
  return { x, desc, weights };
}

function batchNorm(h: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(h, 0);
  return tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

/** Loss terms and their gradients with respect to every weight, as plain arrays. */
function forwardBackward(inp: Inputs): { losses: number[]; grads: Float32Array[] } {
  let losses: number[] = [];
  let grads: Float32Array[] = [];
  // Plain arrays are read inside but never returned from tidy (it would walk them element by element).
  tf.tidy(() => {
    const x = tf.tensor2d(inp.x, [B, D]);
    const desc = tf.tensor2d(inp.desc, [B, K]);
    const ws = inp.weights.map((w) => tf.tensor(w.values, w.shape));
    const kernel = tf.tensor3d([0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05], [7, 1, 1]);
    // Offset of layer i's weight matrix in ws (bias follows, then the PReLU slopes of hidden layers).
    const at = HIDDEN.map((_, i) => HIDDEN.slice(0, i).reduce((o, h) => o + (h ? 3 : 2), 0));
    const layer = (h: tf.Tensor2D, i: number, hidden: boolean) => {
      const y = tf.add(tf.matMul(h, ws[at[i]] as tf.Tensor2D), ws[at[i] + 1]) as tf.Tensor2D;
      return hidden ? batchNorm(tf.prelu(y, ws[at[i] + 2]) as tf.Tensor2D) : y;
    };
    const terms = (...w: tf.Tensor[]) => {
      ws.splice(0, ws.length, ...w);
      const z = batchNorm(layer(layer(layer(x, 0, true), 1, true), 2, false));
      const out = layer(layer(z, 3, true), 4, false);
      const xh = tf.div(tf.softplus(tf.mul(out, 2)), 2) as tf.Tensor2D;
      const mse = tf.losses.meanSquaredError(x, xh);
      const bce = tf.losses.sigmoidCrossEntropy(tf.greater(x, 0.5).toFloat(), out);
      const rank = rankLoss(z, desc);
      const padded = tf.concat([tf.tile(tf.slice(xh, [0, 0], [-1, 1]), [1, 3]), xh, tf.tile(tf.slice(xh, [0, D - 1], [-1, 1]), [1, 3])], 1);
      const smooth = tf.reshape(tf.conv1d(tf.expandDims(padded, 2) as tf.Tensor3D, kernel, 1, 'valid'), [B, D]);
      const smoothness = tf.losses.meanSquaredError(smooth, xh);
      return [mse, bce, rank, smoothness] as tf.Scalar[];
    };
    const total = (...w: tf.Tensor[]) => tf.addN(terms(...w)) as tf.Scalar;
    losses = terms(...ws).map((t) => t.dataSync()[0]);
    grads = tf.grads(total)(ws).map((g) => g.dataSync() as Float32Array);
  });
  return { losses, grads };
}

/**
 * |a - b| <= rtol * max(|b|, mean |b|, floor) over all entries. `floor` matters for
 * gradients that are exactly zero in theory (a bias feeding batch norm) and so pure rounding noise.
 */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, what: string, floor = 1e-30) {
  expect(a.length).toBe(b.length);
  let mean = 0;
  for (let i = 0; i < b.length; i++) mean += Math.abs(b[i]) / b.length;
  for (let i = 0; i < b.length; i++) {
    expect(Number.isFinite(a[i]), `${what}[${i}] is finite`).toBe(true);
    const err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), mean, floor);
    if (err > rtol) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (relative error ${err.toExponential(2)} > ${rtol})`);
  }
}

const inputs = makeInputs(7);
const native = loadNativeAddon();
let reference: ReturnType<typeof forwardBackward>;
/** Mean |gradient| over every weight: the scale of rounding noise in gradients. */
let gradScale = 0;

describe('backend parity on a RankAAE-like forward/backward pass', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    reference = forwardBackward(inputs);
    const all = reference.grads.flatMap((g) => Array.from(g));
    gradScale = all.reduce((a, v) => a + Math.abs(v), 0) / all.length;
  });

  it('cpu reference is finite and non-trivial', () => {
    expect(reference.losses.every(Number.isFinite)).toBe(true);
    expect(reference.losses.every((l) => l !== 0)).toBe(true);
    expect(reference.grads.some((g) => g.some((v) => v !== 0))).toBe(true);
  });

  it('wasm matches cpu', async () => {
    const sel = await selectBackend('wasm');
    expect(sel.name).toBe('wasm');
    const got = forwardBackward(inputs);
    expectClose(got.losses, reference.losses, 1e-4, 'wasm losses');
    got.grads.forEach((g, i) => expectClose(g, reference.grads[i], 2e-3, `wasm grad ${i}`, 1e-2 * gradScale));
  });

  it.skipIf(!native.ok)('native matches cpu', async () => {
    const sel = await selectBackend('native');
    expect(sel.name).toBe('native');
    expect(describeBackend().blas).toBeTruthy();
    const got = forwardBackward(inputs);
    expectClose(got.losses, reference.losses, 1e-5, 'native losses');
    got.grads.forEach((g, i) => expectClose(g, reference.grads[i], 1e-4, `native grad ${i}`, 1e-2 * gradScale));
  });

  if (!native.ok) it.skip(`native parity skipped: ${native.error}`, () => {});

  it('same seed, same backend: bitwise reproducible', async () => {
    await selectBackend(native.ok ? 'native' : 'cpu');
    const a = forwardBackward(inputs);
    const b = forwardBackward(inputs);
    expect(a.losses).toEqual(b.losses);
    a.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[i])));
  });
});
