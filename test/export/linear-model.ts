import type { NetworkSpec } from '../../src/model/spec.js';
import { Rng } from '../../src/util/random.js';
import { runNetwork } from '../../src/model/infer.js';
import { fitAxisCalibration } from '../../src/export/calibration.js';
import { buildOodReference, reconstructionMse } from '../../src/export/ood.js';
import { syntheticMetadata } from './helpers.js';

/**
 * A model whose behaviour is known in closed form: encoder z = U^T x and
 * decoder x = U z with U (m x k) orthonormal columns built from smooth
 * Gaussian peaks. Spectra in the span of U (plus small noise) reconstruct
 * almost perfectly; spectra off the span do not, so the OOD score must flag
 * them. Descriptor CN is a monotone step function of z0, OS = 1 - 0.5 z1.
 * With `standardize`, the model is stored with a per-channel standardize
 * normalization (mean about 1, std 0.2-0.6): the networks act on
 * standardized spectra and `sample` returns raw ones, x = mean + std x_s,
 * so a command that forgets the stored normalization gets wrong latents.
 */
export function linearModel(m = 60, k = 3, seed = 1, opts: { standardize?: boolean } = {}) {
  const energies = Float64Array.from({ length: m }, (_, i) => 7100 + i * 0.5);
  const U = new Float64Array(m * k);
  for (let a = 0; a < k; a++) {
    const c = 7100 + ((a + 1) * (m - 1) * 0.5) / (k + 1);
    for (let i = 0; i < m; i++) U[i * k + a] = Math.exp(-(((energies[i] - c) / 4) ** 2));
    // Gram-Schmidt against the previous columns.
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += U[i * k + a] * U[i * k + b];
      for (let i = 0; i < m; i++) U[i * k + a] -= dot * U[i * k + b];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += U[i * k + a] ** 2;
    for (let i = 0; i < m; i++) U[i * k + a] /= Math.sqrt(norm);
  }
  const encKernel = Float32Array.from(U); // m x k: z = x U
  const decKernel = new Float32Array(k * m); // k x m: x = z U^T
  for (let i = 0; i < m; i++) for (let a = 0; a < k; a++) decKernel[a * m + i] = U[i * k + a];
  const encoder: NetworkSpec = { inputs: m, outputs: k, layers: [{ kind: 'dense', inputs: m, units: k, kernel: encKernel, bias: new Float32Array(k) }] };
  const decoder: NetworkSpec = { inputs: k, outputs: m, layers: [{ kind: 'dense', inputs: k, units: m, kernel: decKernel, bias: new Float32Array(m) }] };

  const rng = new Rng(seed);
  const mean = Array.from({ length: m }, (_, i) => 1 + 0.5 * Math.sin(i / 7));
  const std = Array.from({ length: m }, (_, i) => 0.2 + 0.4 * ((i * 37) % 11) / 10);
  const cnOf = (z0: number) => (z0 < -0.5 ? 4 : z0 < 0.6 ? 5 : 6);
  const osOf = (z1: number) => 1 - 0.5 * z1;
  /** n in-distribution spectra with their true latents and descriptors. */
  function sample(n: number, noise = 0.01) {
    const z = rng.fillNormal(new Float64Array(n * k)) as Float64Array;
    const x = new Float32Array(n * m);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let a = 0; a < k; a++) s += U[i * k + a] * z[r * k + a];
        x[r * m + i] = s + noise * rng.normal();
      }
    if (opts.standardize) for (let t = 0; t < n * m; t++) x[t] = mean[t % m] + std[t % m] * x[t];
    const cn = Float64Array.from({ length: n }, (_, r) => cnOf(z[r * k]));
    const os = Float64Array.from({ length: n }, (_, r) => osOf(z[r * k + 1]));
    return { z, x, cn, os };
  }

  const train = sample(1500);
  const standardized = opts.standardize ? train.x.map((v, t) => (v - mean[t % m]) / std[t % m]) : train.x;
  const zt = runNetwork(encoder, standardized, 1500);
  const xt = runNetwork(decoder, zt, 1500);
  const col = (a: number) => Float64Array.from({ length: 1500 }, (_, r) => zt[r * k + a]);
  const metadata = {
    ...syntheticMetadata(m, k, ['CN', 'OS']),
    normalization: opts.standardize ? { kind: 'standardize' as const, mean, std } : { kind: 'none' as const },
    calibration: [
      fitAxisCalibration(col(0), train.cn, { descriptor: 'CN', axis: 0, discrete: true }),
      fitAxisCalibration(col(1), train.os, { descriptor: 'OS', axis: 1 }),
    ],
    ood: buildOodReference(reconstructionMse(standardized, xt, 1500, m)),
  };
  return { energies, encoder, decoder, metadata, sample, cnOf, osOf, m, k, rng, mean, std };
}
