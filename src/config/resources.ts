import { totalmem } from 'node:os';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from './schema.js';

/**
 * Will a training config fit in memory? Checked once the grid length is
 * known and before any network is built, so an oversized network is a
 * one-line config error instead of a process that grows until the kernel
 * kills it (or a RangeError from deep inside TF.js).
 */

/** Parameters of a fully connected network: depth dense layers, depth - 1 hidden of width `hidden`. */
function mlpParameters(inputs: number, hidden: number, depth: number, outputs: number): number {
  return (inputs + 1) * hidden + (depth - 2) * (hidden + 1) * hidden + (hidden + 1) * outputs + 3 * (depth - 1) * hidden;
}

/** What {@link estimateTrainingMemory} counts. */
export interface TrainingMemoryEstimate {
  /** Trainable parameters of encoder, decoder and discriminator. */
  parameters: number;
  /** Largest single weight matrix, in elements. */
  largestTensor: number;
  /** Bytes for weights, gradients and the AdamW moments of every optimizer. */
  stateBytes: number;
  /** Bytes for one batch's activations kept for the backward pass. */
  activationBytes: number;
  totalBytes: number;
}

/**
 * A lower-end estimate of the memory one training trial needs: float32
 * weights and gradients, two AdamW moments in each of the (up to four)
 * optimizers that update a variable, and the activations of a batch through
 * encoder, decoder and discriminator (about six tensors per hidden layer).
 *
 * @param inputWidth points per spectrum (the grid length)
 */
export function estimateTrainingMemory(cfg: TrainConfig, inputWidth: number): TrainingMemoryEstimate {
  const net = cfg.network;
  const disc = net.discriminator;
  const enc = mlpParameters(inputWidth, net.hidden, net.depth, net.nStyle);
  const dec = mlpParameters(net.nStyle, net.hidden, net.depth, inputWidth);
  const dis = mlpParameters(net.nStyle, disc.hidden, disc.depth, 1);
  const parameters = enc + dec + dis;
  const largestTensor = Math.max(inputWidth * net.hidden, net.hidden * net.hidden, disc.hidden * disc.hidden);
  const stateBytes = 4 * parameters * (1 + 1 + 2 * 4);
  const rows = cfg.training.batchSize + cfg.losses.adversarial.priorSamples;
  const activationBytes = 4 * 6 * (rows * net.hidden * (net.depth - 1) * 2 + rows * disc.hidden * (disc.depth - 1) + rows * inputWidth * 2);
  return { parameters, largestTensor, stateBytes, activationBytes, totalBytes: stateBytes + activationBytes };
}

/** Largest typed array length V8 allocates (2^32 - 1 elements is beyond what TF.js kernels index). */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;
}

/**
 * Throws a UserError naming network.hidden / network.depth (and the batch
 * size) when the estimate exceeds `budgetBytes` (default: 80% of this
 * machine's memory) or one weight matrix exceeds what a tensor can hold.
 */
export function checkTrainingFits(cfg: TrainConfig, inputWidth: number, budgetBytes = 0.8 * totalmem()): TrainingMemoryEstimate {
  const est = estimateTrainingMemory(cfg, inputWidth);
  const net = cfg.network;
  const sizes = `network.hidden ${net.hidden}, network.depth ${net.depth}, discriminator.hidden ${net.discriminator.hidden}, training.batchSize ${cfg.training.batchSize}, ${inputWidth}-point spectra`;
  if (est.largestTensor > MAX_TENSOR_ELEMENTS) {
    throw new UserError(`one weight matrix would hold ${est.largestTensor.toExponential(2)} values, more than a tensor can (${sizes}); reduce network.hidden`, 'network.hidden');
  }
  if (est.totalBytes > budgetBytes) {
    throw new UserError(
      `training would need about ${gib(est.totalBytes)} (${est.parameters.toExponential(2)} parameters; ${sizes}), more than the ${gib(budgetBytes)} available; reduce network.hidden, network.depth or training.batchSize`,
      'network',
    );
  }
  return est;
}
