/**
 * The smoothness term: MSE between decoder output and its Gaussian-smoothed
 * version (gradient through both, as in the reference), discouraging
 * high-frequency ripples the data do not support. The loss is the fused
 * smoothness op (src/ops/index.ts); gaussianSmooth is its tf-op smoothing.
 */
export { smoothnessLoss } from '../../ops/index.js';
export { gaussianSmooth } from '../../ops/generic/smoothness.js';

/** Normalised Gaussian kernel of `size` taps centred at (size - 1) / 2. */
export function gaussianKernel(size: number, sigma: number): Float32Array {
  const k = new Float32Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}
