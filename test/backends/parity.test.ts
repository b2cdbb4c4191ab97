/**
 * Cross-backend parity of the production training computation: the real
 * encoder, decoder and discriminator (dense, PReLU, batch norm, dropout,
 * softplus output, gradient reversal) and the five real loss terms with the
 * gradients of each over its own parameters, as trainStep takes them, from
 * the same seeded weights and random draws on cpu, wasm, native and webgpu.
 * Reads are asynchronous, as a GPU backend needs.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNativeAddon } from '../../src/backends/native-addon.js';
import { nativeMissing, requireOrSkip } from '../require.js';
import { describeBackend, selectBackend } from '../../src/backends/select.js';
import { LossesSchema, NetworkSchema } from '../../src/config/schema.js';
import { createDecoder } from '../../src/model/decoder.js';
import { Discriminator } from '../../src/model/discriminator.js';
import { createEncoder } from '../../src/model/encoder.js';
import { normalTensor } from '../../src/model/random-tensors.js';
import { adversarialLoss } from '../../src/train/losses/adversarial.js';
import { cycleLoss } from '../../src/train/losses/cycle.js';
import { rankLoss } from '../../src/train/losses/rank.js';
import { reconstructionLoss } from '../../src/train/losses/reconstruction.js';
import { gaussianKernel, smoothnessLoss } from '../../src/train/losses/smoothness.js';
import { TERMS, termVariables, type RankAAEModel, type TermName } from '../../src/train/step.js';
import { Rng } from '../../src/util/random.js';
import { peakSpectra } from '../train/synthetic.js';
import { webgpuMissing, webgpuUnavailable } from './webgpu-env.js';

const B = 96;
const M = 48;
const net = NetworkSchema.parse({ nStyle: 4, hidden: 32, depth: 3, discriminator: { hidden: 24, depth: 2 } });
const losses = LossesSchema.parse({ adversarial: { priorSamples: 64 } });
const batch = peakSpectra(B, M, 7, 0.15);

interface Result {
  losses: number[];
  /** Per term, the gradient of each of its variables. */
  grads: Float32Array[][];
}

/** The five terms and their gradients, each from fresh identical weights and draws. */
async function termsAndGradients(): Promise<Result> {
  const out: Result = { losses: [], grads: [] };
  for (const term of TERMS) {
    const rng = new Rng(11);
    const model: RankAAEModel = { encoder: createEncoder(rng, M, net), decoder: createDecoder(rng, M, net), discriminator: new Discriminator(rng, net) };
    const mode = { training: true, rng };
    const x = tf.tensor2d(batch.x, [B, M]);
    const y = tf.tensor2d(Float32Array.from(batch.y, (v) => (Number.isNaN(v) ? 0 : v)), [B, 2]);
    const valid = tf.tensor2d(Float32Array.from(batch.y, (v) => (Number.isNaN(v) ? 0 : 1)), [B, 2]);
    const taps = gaussianKernel(losses.smoothness.kernelSize, losses.smoothness.sigma);
    // As in trainStep: the smoothness term's latents are inputs, computed outside the gradient.
    const zFixed = term === 'smoothness' ? tf.tidy(() => model.encoder.forward(x, mode)) : undefined;
    const loss: Record<TermName, () => tf.Scalar> = {
      adversarial: () => {
        const prior = model.discriminator.forward(normalTensor(rng, 64, net.nStyle), 0.3, mode);
        return adversarialLoss(prior, model.discriminator.forward(model.encoder.forward(x, mode), 0.3, mode));
      },
      rank: () => rankLoss(model.encoder.forward(x, mode), y, valid),
      reconstruction: () => reconstructionLoss(model.decoder.forward(model.encoder.forward(x, mode), mode), x, [0.7, 1.3], 0.1),
      cycle: () => {
        const z = normalTensor(rng, B, net.nStyle);
        return cycleLoss(model.encoder.forward(model.decoder.forward(z, mode), mode), z);
      },
      smoothness: () => smoothnessLoss(model.decoder.forward(zFixed!, mode), taps),
    };
    const vars = termVariables(model, term);
    const { value, grads } = tf.variableGrads(loss[term], vars);
    out.losses.push((await value.data())[0]);
    out.grads.push(await Promise.all(vars.map(async (v) => Float32Array.from(await grads[v.name].data()))));
    tf.dispose([value, ...Object.values(grads), x, y, valid, ...(zFixed ? [zFixed] : [])]);
    for (const n of [model.encoder, model.decoder, model.discriminator]) n.dispose();
  }
  return out;
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

const native = loadNativeAddon();
const webgpu = await webgpuUnavailable();
/** [backend, loss tolerance, gradient tolerance], relative. */
const backends: [string, number, number][] = [
  ['wasm', 1e-4, 2e-3],
  ...(native.ok ? [['native', 1e-5, 1e-4] as [string, number, number]] : []),
  ...(webgpu === undefined ? [['webgpu', 1e-4, 2e-3] as [string, number, number]] : []),
];

let reference: Result;
/** Mean |gradient| over every term and weight: the scale of rounding noise in gradients. */
let gradScale = 0;

describe('backend parity of the production RankAAE losses and gradients', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    reference = await termsAndGradients();
    const all = reference.grads.flat().flatMap((g) => Array.from(g));
    gradScale = all.reduce((a, v) => a + Math.abs(v), 0) / all.length;
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('cpu reference is finite and non-trivial', () => {
    expect(reference.losses.every(Number.isFinite)).toBe(true);
    expect(reference.losses.every((l) => l !== 0)).toBe(true);
    expect(reference.grads.every((gs) => gs.some((g) => g.some((v) => v !== 0)))).toBe(true);
  });

  for (const [name, lossTol, gradTol] of backends) {
    it(`${name} matches cpu (losses ${lossTol}, gradients ${gradTol} relative)`, async () => {
      const sel = await selectBackend(name as 'wasm');
      expect(sel.name).toBe(name);
      if (name === 'native') expect(describeBackend().blas).toBeTruthy();
      const got = await termsAndGradients();
      expectClose(got.losses, reference.losses, lossTol, `${name} losses`);
      got.grads.forEach((gs, t) => gs.forEach((g, i) => expectClose(g, reference.grads[t][i], gradTol, `${name} ${TERMS[t]} gradient ${i}`, 1e-2 * gradScale)));
    });
  }
  requireOrSkip('the native addon (native loss parity)', nativeMissing());
  webgpuMissing(webgpu, 'webgpu parity');

  it('same seed, same backend: bitwise reproducible', async () => {
    await selectBackend(native.ok ? 'native' : 'cpu');
    const [a, b] = [await termsAndGradients(), await termsAndGradients()];
    expect(a.losses).toEqual(b.losses);
    a.grads.forEach((gs, t) => gs.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[t][i]))));
  });
});
