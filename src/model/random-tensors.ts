import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/**
 * Random tensors drawn from the project's seeded Rng rather than from TF.js
 * random ops: the generator state is then the only thing a checkpoint needs
 * to reproduce every dropout mask and noise sample after a resume.
 */

/** A [rows, cols] tensor of N(0, std^2) deviates. */
export function normalTensor(rng: Rng, rows: number, cols: number, std = 1): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  rng.fillNormal(out, 0, std);
  return tf.tensor2d(out, [rows, cols]);
}

/**
 * Inverted-dropout mask: each entry is 0 with probability `rate`, otherwise
 * 1 / (1 - rate), so the expected activation is unchanged (as torch.nn.Dropout).
 */
export function dropoutMask(rng: Rng, rows: number, cols: number, rate: number): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  // Compare raw 32-bit draws with a threshold: one integer test per entry.
  const threshold = Math.round(rate * 4294967296);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < out.length; i++) out[i] = rng.nextUint32() < threshold ? 0 : keep;
  return tf.tensor2d(out, [rows, cols]);
}
