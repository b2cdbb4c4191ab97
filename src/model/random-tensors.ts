import * as tf from '@tensorflow/tfjs';
import { addNormalNoise, fillDropoutMask } from '../ops/random-fill.js';
import { tensorArray } from '../ops/tensor-arrays.js';
import type { Rng } from '../util/random.js';

/**
 * Random tensors drawn from the project's seeded Rng rather than from TF.js
 * random ops: the generator state is then the only thing a checkpoint needs
 * to reproduce every dropout mask and noise sample after a resume.
 */

/** A [rows, cols] tensor of N(0, std^2) deviates. */
export function normalTensor(rng: Rng, rows: number, cols: number, std = 1): tf.Tensor2D {
  // 0 + std * z, as rng.fillNormal(out, 0, std) writes, through the native generator where one is installed.
  const out = tensorArray(rows * cols).fill(0);
  addNormalNoise(rng, out, std);
  return tf.tensor2d(out, [rows, cols]);
}

/**
 * Inverted-dropout mask: each entry is 0 with probability `rate`, otherwise
 * 1 / (1 - rate), so the expected activation is unchanged (as torch.nn.Dropout).
 */
export function dropoutMask(rng: Rng, rows: number, cols: number, rate: number): tf.Tensor2D {
  const out = tensorArray(rows * cols);
  // Each 32-bit draw decides two entries through its 16-bit halves (rate resolution 1/65536):
  // mask generation is a visible share of a training step, and this halves it.
  fillDropoutMask(rng, out, Math.round(rate * 65536), 1 / (1 - rate));
  return tf.tensor2d(out, [rows, cols]);
}
