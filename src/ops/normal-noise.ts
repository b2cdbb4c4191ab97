/**
 * Gaussian noise added in place from the project's Rng (xoshiro128** with
 * Box-Muller, Rng.normal). The trainer's augmentation noise draws one
 * deviate per spectrum value, a visible share of an epoch in JavaScript, so
 * a faster generator of the same stream (the native addon's, installed when
 * the native backend is set up) may take over; it must add the same values
 * and leave the generator in the same state.
 */
import type { Rng } from '../util/random.js';

/**
 * Adds std * z to each x[i] from xoshiro128** `state` (4 words) and `spare`
 * ([1 if a deviate is cached, its value]), both advanced in place.
 */
export type NoiseAdder = (state: Uint32Array, spare: Float64Array, x: Float32Array, std: number) => void;

let adder: NoiseAdder | undefined;

/** The faster generator in use, if any. */
export function normalNoiseAdder(): NoiseAdder | undefined {
  return adder;
}

/** Installs (or, with undefined, removes) the faster generator. */
export function setNormalNoiseAdder(f: NoiseAdder | undefined): void {
  adder = f;
}

/** x[i] += std * rng.normal() for every i, in order. */
export function addNormalNoise(rng: Rng, x: Float32Array, std: number): void {
  if (adder) {
    const state = rng.getState();
    const s = Uint32Array.from(state.s);
    const spare = Float64Array.of(state.spare === null ? 0 : 1, state.spare ?? 0);
    adder(s, spare, x, std);
    rng.setState({ s: Array.from(s), spare: spare[0] ? spare[1] : null });
    return;
  }
  for (let i = 0; i < x.length; i++) x[i] += std * rng.normal();
}
