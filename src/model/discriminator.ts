import * as tf from '@tensorflow/tfjs';
import type { NetworkConfig } from '../config/schema.js';
import type { Rng } from '../util/random.js';
import { gradientReversal } from './gradient-reversal.js';
import type { ForwardMode } from './layers.js';
import { Mlp } from './mlp.js';
import { normalTensor } from './random-tensors.js';

/**
 * The adversary on latent vectors: Gaussian input noise (training only),
 * gradient reversal, then PReLU/dropout blocks without batch norm and one
 * logit ("this came from the prior").
 */
export class Discriminator {
  readonly body: Mlp;
  /** Std of the training-time input noise. */
  readonly noise: number;

  /**
   * @param rng initial weights
   * @param net network settings (nStyle and the `discriminator` group)
   */
  constructor(rng: Rng, net: NetworkConfig) {
    this.noise = net.discriminator.noise;
    this.body = new Mlp(rng, {
      inputs: net.nStyle,
      hidden: net.discriminator.hidden,
      depth: net.discriminator.depth,
      outputs: 1,
      activation: 'prelu',
      batchNorm: false,
      dropout: net.discriminator.dropout,
      output: 'linear',
    });
  }

  /**
   * Logits [rows, 1] for latents `z`; the gradient reaching `z` is reversed and scaled by `alpha`.
   */
  forward(z: tf.Tensor2D, alpha: number, mode: ForwardMode): tf.Tensor2D {
    let h = z;
    if (mode.training && this.noise > 0) {
      if (!mode.rng) throw new Error('Discriminator: training mode needs an rng');
      h = tf.add(h, normalTensor(mode.rng, z.shape[0], z.shape[1], this.noise));
    }
    return this.body.forward(gradientReversal(h, alpha), mode);
  }

  trainableVariables(): tf.Variable[] {
    return this.body.trainableVariables();
  }

  namedVariables(): [string, tf.Variable][] {
    return this.body.namedVariables();
  }

  dispose(): void {
    this.body.dispose();
  }
}
