import * as tf from '@tensorflow/tfjs';
import { mlpTrain, type MlpTrainLayer } from '../ops/index.js';
import type { Rng } from '../util/random.js';
import {
  type Activation,
  type BatchNorm,
  type Dense,
  type ForwardMode,
  applyActivation,
  applyBatchNorm,
  applyDense,
  applyDropout,
  createBatchNorm,
  createDense,
  createPreluAlpha,
} from './layers.js';
import { dropoutMask } from './random-tensors.js';

/** Shape and behaviour of a fully connected network (encoder, decoder or discriminator body). */
export interface MlpOptions {
  /** Input width. */
  inputs: number;
  /** Width of every hidden layer. */
  hidden: number;
  /** Number of dense layers including the output layer (>= 2). */
  depth: number;
  /** Output width. */
  outputs: number;
  /** Hidden activation. */
  activation: Activation;
  /** Affine-free batch norm after each hidden activation. */
  batchNorm: boolean;
  /** Dropout rate after each hidden block. */
  dropout: number;
  /** What follows the output dense layer. */
  output: 'batchnorm' | 'softplus' | 'linear';
}

/** One hidden block: dense -> activation -> [batch norm] -> dropout. */
export interface HiddenBlock {
  dense: Dense;
  /** PReLU slopes (prelu activation only). */
  alpha?: tf.Variable<tf.Rank.R1>;
  bn?: BatchNorm;
}

/**
 * A fully connected network with explicit variables. The same class serves
 * the encoder (output batch norm on the latent), the decoder (softplus or
 * linear output) and the discriminator body (no batch norm, one logit).
 */
export class Mlp {
  readonly options: MlpOptions;
  readonly blocks: HiddenBlock[] = [];
  readonly out: Dense;
  readonly outBn?: BatchNorm;

  /** @param rng draws the initial weights */
  constructor(rng: Rng, options: MlpOptions) {
    if (options.depth < 2) throw new Error(`Mlp: depth must be >= 2, got ${options.depth}`);
    this.options = options;
    let width = options.inputs;
    for (let i = 0; i < options.depth - 1; i++) {
      const block: HiddenBlock = { dense: createDense(rng, width, options.hidden) };
      if (options.activation === 'prelu') block.alpha = createPreluAlpha(options.hidden);
      if (options.batchNorm) block.bn = createBatchNorm(options.hidden);
      this.blocks.push(block);
      width = options.hidden;
    }
    this.out = createDense(rng, width, options.outputs);
    if (options.output === 'batchnorm') this.outBn = createBatchNorm(options.outputs);
  }

  /** Runs the network; in training mode this also updates batch-norm running statistics. */
  forward(x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
    if (mode.training) return this.forwardTraining(x, mode);
    let h = x;
    for (const b of this.blocks) {
      h = applyDense(h, b.dense, mode.training);
      h = applyActivation(h, this.options.activation, b.alpha);
      if (b.bn) h = applyBatchNorm(h, b.bn, mode.training);
      h = applyDropout(h, this.options.dropout, mode);
    }
    h = applyDense(h, this.out, mode.training);
    if (this.outBn) return applyBatchNorm(h, this.outBn, mode.training);
    if (this.options.output === 'softplus') return tf.softplus(h);
    return h;
  }

  /**
   * Training mode as one op (src/ops mlpTrain): batch statistics, the running
   * statistics moved, and dropout masks drawn from mode.rng layer by layer,
   * in the order the layers use them.
   */
  private forwardTraining(x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
    const { dropout, activation, batchNorm, output } = this.options;
    if (dropout > 0 && !mode.rng) throw new Error('Mlp: training mode needs an rng');
    const rows = x.shape[0];
    const norms = [...this.blocks.map((b) => b.bn), this.outBn].filter((bn): bn is BatchNorm => bn !== undefined);
    const layers: MlpTrainLayer[] = this.blocks.map((b) => ({
      w: b.dense.kernel,
      b: b.dense.bias,
      alpha: b.alpha,
      mask: dropout > 0 ? dropoutMask(mode.rng!, rows, b.dense.bias.shape[0], dropout) : undefined,
      running: b.bn,
    }));
    layers.push({ w: this.out.kernel, b: this.out.bias, running: this.outBn });
    const { epsilon, momentum } = norms[0] ?? { epsilon: 1e-5, momentum: 0.1 };
    if (norms.some((bn) => bn.epsilon !== epsilon || bn.momentum !== momentum)) throw new Error('Mlp: batch-norm layers differ in epsilon or momentum');
    const { y, running } = mlpTrain(x, layers, { hidden: this.blocks.length, activation, batchNorm, dropout: dropout > 0, output, epsilon, momentum });
    // The running-statistics update feeds no loss, so the gradient tape prunes it.
    running.forEach((r, i) => {
      norms[i].mean.assign(r.mean);
      norms[i].variance.assign(r.variance);
    });
    tf.dispose([...layers.flatMap((l) => (l.mask ? [l.mask] : [])), ...running.flatMap((r) => [r.mean, r.variance])]);
    return y;
  }

  /** The variables an optimizer updates. */
  trainableVariables(): tf.Variable[] {
    return this.namedVariables()
      .filter(([, v]) => v.trainable)
      .map(([, v]) => v);
  }

  /**
   * Every variable (weights and batch-norm running statistics) under a
   * stable name, e.g. `block0.kernel`, `out.bias`, `block2.bn.mean`: the
   * checkpoint layout.
   */
  namedVariables(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    this.blocks.forEach((b, i) => {
      out.push([`block${i}.kernel`, b.dense.kernel], [`block${i}.bias`, b.dense.bias]);
      if (b.alpha) out.push([`block${i}.prelu`, b.alpha]);
      if (b.bn) out.push([`block${i}.bn.mean`, b.bn.mean], [`block${i}.bn.variance`, b.bn.variance]);
    });
    out.push(['out.kernel', this.out.kernel], ['out.bias', this.out.bias]);
    if (this.outBn) out.push(['out.bn.mean', this.outBn.mean], ['out.bn.variance', this.outBn.variance]);
    return out;
  }

  dispose(): void {
    for (const [, v] of this.namedVariables()) v.dispose();
  }
}
