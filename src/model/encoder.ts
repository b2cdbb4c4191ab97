import type { NetworkConfig } from '../config/schema.js';
import type { Rng } from '../util/random.js';
import { Mlp } from './mlp.js';

/**
 * The encoder: spectrum (m points) -> nStyle latent coordinates. Hidden
 * blocks are dense -> activation -> affine-free batch norm -> dropout; the
 * latent itself goes through an affine-free batch norm, which keeps it near
 * zero mean and unit variance, the scale of the N(0, I) prior.
 *
 * @param rng initial weights
 * @param m spectrum length
 * @param net network settings
 */
export function createEncoder(rng: Rng, m: number, net: NetworkConfig): Mlp {
  return new Mlp(rng, {
    inputs: m,
    hidden: net.hidden,
    depth: net.depth,
    outputs: net.nStyle,
    activation: net.activation,
    batchNorm: true,
    dropout: net.dropout,
    output: 'batchnorm',
  });
}
