import type { NetworkConfig } from '../config/schema.js';
import type { Rng } from '../util/random.js';
import { Mlp } from './mlp.js';

/**
 * The decoder: nStyle latent coordinates -> spectrum (m points), with the
 * encoder's hidden blocks and a softplus (plain ln(1 + e^x), so exported
 * graphs use a standard op) or linear output.
 *
 * @param rng initial weights
 * @param m spectrum length
 * @param net network settings
 */
export function createDecoder(rng: Rng, m: number, net: NetworkConfig): Mlp {
  return new Mlp(rng, {
    inputs: net.nStyle,
    hidden: net.hidden,
    depth: net.depth,
    outputs: m,
    activation: net.activation,
    batchNorm: true,
    dropout: net.dropout,
    output: net.decoderOutput,
  });
}
