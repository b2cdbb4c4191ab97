import { check } from '../util/errors.js';
import type { Forward } from './decode.js';

/** A straight path in latent space between two encoded spectra, decoded. */
export interface LatentInterpolation {
  /** Path parameter of each step, 0 (spectrum A) to 1 (spectrum B). */
  t: Float64Array;
  /** steps x d latent points on the path. */
  latents: Float32Array;
  /** steps x m decoded spectra. */
  spectra: Float32Array;
  /** Latents of A and B (d each). */
  zA: Float32Array;
  zB: Float32Array;
  /** Decoded A and B (their reconstructions), m each. */
  reconstructionA: Float32Array;
  reconstructionB: Float32Array;
}

/**
 * Encodes spectra A and B, walks the straight line z(t) = (1-t) zA + t zB in
 * `steps` equal steps and decodes each point. A smooth, physically plausible
 * family (e.g. a white line growing steadily) indicates a well-organized
 * latent space; jumps or unphysical intermediates show holes in it.
 * @param encode encoder forward pass (m -> d)
 * @param decode decoder forward pass (d -> m)
 * @param a spectrum A (m values)
 * @param b spectrum B (m values)
 * @param steps number of points including both ends (default 11)
 */
export function interpolateLatent(encode: Forward, decode: Forward, a: Float32Array, b: Float32Array, steps = 11): LatentInterpolation {
  check(a.length === b.length, `spectra A and B differ in length (${a.length} vs ${b.length})`);
  check(Number.isInteger(steps) && steps >= 2, `steps must be an integer >= 2, got ${steps}`, '--steps');
  const m = a.length;
  const both = new Float32Array(2 * m);
  both.set(a, 0);
  both.set(b, m);
  const z = encode(both, 2);
  const d = z.length / 2;
  check(Number.isInteger(d) && d >= 1, 'encoder returned no latent coordinates');
  const zA = z.slice(0, d);
  const zB = z.slice(d, 2 * d);
  const t = new Float64Array(steps);
  const latents = new Float32Array(steps * d);
  for (let s = 0; s < steps; s++) {
    t[s] = s / (steps - 1);
    for (let j = 0; j < d; j++) latents[s * d + j] = (1 - t[s]) * zA[j] + t[s] * zB[j];
  }
  const spectra = decode(latents, steps);
  check(spectra.length === steps * m, `decoder returned ${spectra.length / steps} values per point, expected ${m}`);
  for (let i = 0; i < spectra.length; i++) check(Number.isFinite(spectra[i]), 'decoder produced a non-finite value on the interpolation path');
  return {
    t,
    latents,
    spectra,
    zA,
    zB,
    reconstructionA: spectra.slice(0, m),
    reconstructionB: spectra.slice((steps - 1) * m, steps * m),
  };
}
