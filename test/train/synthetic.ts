import { Rng } from '../../src/util/random.js';
import type { TrainingArrays } from '../../src/train/trainer.js';

/**
 * Synthetic spectra for training tests: one Gaussian peak on a grid of m
 * points whose position follows descriptor 0 and whose width follows
 * descriptor 1 (both uniform in [0, 1]), on a small constant background.
 */
export function peakSpectra(n: number, m: number, seed: number, missingFraction = 0): TrainingArrays {
  const rng = new Rng(seed);
  const x = new Float32Array(n * m);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const d0 = rng.uniform();
    const d1 = rng.uniform();
    const centre = 0.25 + 0.5 * d0;
    const width = 0.03 + 0.06 * d1;
    for (let j = 0; j < m; j++) {
      const e = j / (m - 1);
      x[i * m + j] = 0.1 + Math.exp(-((e - centre) ** 2) / (2 * width * width));
    }
    y[i * 2] = rng.uniform() < missingFraction ? NaN : d0;
    y[i * 2 + 1] = rng.uniform() < missingFraction ? NaN : d1;
  }
  return { x, y, n, m, k: 2 };
}
