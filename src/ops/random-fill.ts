/**
 * Random fills drawn from the project's Rng (xoshiro128**): inverted-dropout
 * masks and Gaussian augmentation noise. Both are a visible share of a
 * training step in JavaScript, so a faster generator of the same streams
 * (the native addon's, installed when the native backend is set up) may take
 * over; it must give the same values and leave the generator in the same
 * state.
 */
import type { Rng } from '../util/random.js';

/** The faster generators: each advances the 4-word xoshiro128** `state` in place. */
export interface RandomFillers {
  /** Fills `out`: 0 where a 16-bit half-draw is below threshold, else `keep`. */
  dropoutMask(state: Uint32Array, out: Float32Array, threshold: number, keep: number): void;
  /** Adds std * Rng.normal() deviates to x; `spare` = [1 if a deviate is cached, its value], read and updated. */
  addNormal(state: Uint32Array, spare: Float64Array, x: Float32Array, std: number): void;
}

let fillers: RandomFillers | undefined;

/** The faster generators in use, if any. */
export function randomFillers(): RandomFillers | undefined {
  return fillers;
}

/** Installs (or, with undefined, removes) the faster generators. */
export function setRandomFillers(f: RandomFillers | undefined): void {
  fillers = f;
}

/** Runs fill on a copy of rng's state words and spare deviate, then stores both back into rng. */
function withState(rng: Rng, fill: (s: Uint32Array, spare: Float64Array) => void): void {
  const state = rng.getState();
  const s = Uint32Array.from(state.s);
  const spare = Float64Array.of(state.spare === null ? 0 : 1, state.spare ?? 0);
  fill(s, spare);
  rng.setState({ s: Array.from(s), spare: spare[0] ? spare[1] : null });
}

/**
 * Fills `out` with an inverted-dropout mask: each entry 0 with probability
 * threshold / 65536, else `keep`. Each 32-bit draw decides two entries
 * through its 16-bit halves.
 */
export function fillDropoutMask(rng: Rng, out: Float32Array, threshold: number, keep: number): void {
  const f = fillers;
  if (f) return withState(rng, (s) => f.dropoutMask(s, out, threshold, keep));
  const even = out.length & ~1;
  for (let i = 0; i < even; i += 2) {
    const u = rng.nextUint32();
    out[i] = (u & 0xffff) < threshold ? 0 : keep;
    out[i + 1] = u >>> 16 < threshold ? 0 : keep;
  }
  if (even < out.length) out[even] = (rng.nextUint32() & 0xffff) < threshold ? 0 : keep;
}

/** x[i] += std * rng.normal() for every i, in order (the trainer's augmentation noise). */
export function addNormalNoise(rng: Rng, x: Float32Array, std: number): void {
  const f = fillers;
  if (f) return withState(rng, (s, spare) => f.addNormal(s, spare, x, std));
  for (let i = 0; i < x.length; i++) x[i] += std * rng.normal();
}
