import * as tf from '@tensorflow/tfjs';
import type { LossesConfig } from '../config/schema.js';
import type { Discriminator } from '../model/discriminator.js';
import type { ForwardMode } from '../model/layers.js';
import type { Mlp } from '../model/mlp.js';
import { normalTensor } from '../model/random-tensors.js';
import { section } from '../util/profile.js';
import type { Rng } from '../util/random.js';
import type { AdamW } from './adamw.js';
import { adversarialLoss } from './losses/adversarial.js';
import { cycleLoss } from './losses/cycle.js';
import { rankLoss } from './losses/rank.js';
import { reconstructionLoss } from './losses/reconstruction.js';
import { smoothnessLoss } from './losses/smoothness.js';

/** The five loss terms, in the order their sub-steps run within a batch. */
export const TERMS = ['adversarial', 'rank', 'reconstruction', 'cycle', 'smoothness'] as const;
export type TermName = (typeof TERMS)[number];

/** The three networks of a RankAAE. */
export interface RankAAEModel {
  encoder: Mlp;
  decoder: Mlp;
  discriminator: Discriminator;
}

/** One optimizer per active term (terms with weight 0 have none and are skipped). */
export type TermOptimizers = Partial<Record<TermName, AdamW>>;

/** The parameters each term's optimizer updates, exactly as in the reference. */
export function termVariables(model: RankAAEModel, term: TermName): tf.Variable[] {
  const enc = model.encoder.trainableVariables();
  const dec = model.decoder.trainableVariables();
  switch (term) {
    case 'adversarial':
      return [...model.discriminator.trainableVariables(), ...enc];
    case 'rank':
      return enc;
    case 'reconstruction':
    case 'cycle':
      return [...enc, ...dec];
    case 'smoothness':
      return dec;
  }
}

/** One training batch as tensors. */
export interface Batch {
  /** [b, m] spectra (augmentation noise already added). */
  x: tf.Tensor2D;
  /** [b, k] descriptors with missing values replaced by 0. */
  y: tf.Tensor2D;
  /** [b, k] 1 = known, 0 = missing; absent when nothing in the batch is missing. */
  valid?: tf.Tensor2D;
}

export interface StepContext {
  model: RankAAEModel;
  optimizers: TermOptimizers;
  losses: LossesConfig;
  /** Smoothing kernel taps (losses.smoothness.kernelSize / sigma). */
  kernel: Float32Array;
  /** Every dropout mask, noise and prior sample of the step comes from here. */
  rng: Rng;
  /** Gradient-reversal strength for this epoch. */
  alpha: number;
}

/**
 * The five sequential sub-steps of one batch (adversarial, rank,
 * reconstruction, latent cycle, smoothness), each a forward pass in
 * training mode, a gradient of (weight x term) over that term's parameters
 * and one AdamW step, so later sub-steps see the weights earlier ones
 * updated, as in the reference. Returns each active term's unweighted loss
 * (scalars the caller owns and must dispose).
 */
export function trainStep(ctx: StepContext, batch: Batch): Partial<Record<TermName, tf.Scalar>> {
  const { model, losses, rng } = ctx;
  const mode: ForwardMode = { training: true, rng };
  const nStyle = model.encoder.options.outputs;
  const b = batch.x.shape[0];
  const out: Partial<Record<TermName, tf.Scalar>> = {};

  const run = (term: TermName, weight: number, loss: () => tf.Scalar): void => {
    const opt = ctx.optimizers[term];
    if (weight === 0 || !opt) return;
    section('phase', term, () => {
      const { value, grads } = tf.variableGrads(() => tf.mul(section('phase', `${term} forward`, loss), weight) as tf.Scalar, opt.params);
      section('phase', `${term} AdamW`, () => opt.applyGradients(grads));
      tf.dispose(grads);
      out[term] = tf.tidy(() => tf.div(value, weight) as tf.Scalar);
      value.dispose();
    });
  };

  run('adversarial', losses.adversarial.weight, () => {
    const prior = normalTensor(rng, losses.adversarial.priorSamples, nStyle);
    const priorLogits = model.discriminator.forward(prior, ctx.alpha, mode);
    const latentLogits = model.discriminator.forward(model.encoder.forward(batch.x, mode), ctx.alpha, mode);
    return adversarialLoss(priorLogits, latentLogits);
  });

  run('rank', losses.rank.weight, () => rankLoss(model.encoder.forward(batch.x, mode), batch.y, batch.valid));

  run('reconstruction', losses.reconstruction.weight, () => {
    const xhat = model.decoder.forward(model.encoder.forward(batch.x, mode), mode);
    const r = losses.reconstruction;
    return reconstructionLoss(xhat, batch.x, r.amplitudeClamp, r.amplitudeWeight);
  });

  run('cycle', losses.cycle.weight, () => {
    const z = normalTensor(rng, b, nStyle);
    return cycleLoss(model.encoder.forward(model.decoder.forward(z, mode), mode), z);
  });

  if (losses.smoothness.weight > 0 && ctx.optimizers.smoothness && ctx.kernel.length > 1) {
    // Latents are inputs here (detached): only the decoder learns from this term.
    const z = tf.tidy(() => model.encoder.forward(batch.x, mode));
    run('smoothness', losses.smoothness.weight, () => smoothnessLoss(model.decoder.forward(z, mode), ctx.kernel));
    z.dispose();
  }
  return out;
}
