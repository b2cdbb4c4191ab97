/**
 * Inverted-dropout masks drawn from the project's Rng (xoshiro128**). Mask
 * drawing is a visible share of a training step, so a faster generator of
 * the same stream (the native addon's, registered when the native backend is
 * set up) may take over; it must give the same masks and leave the
 * generator in the same state.
 */
import type { Rng } from '../util/random.js';

/** Fills `out` from the 4-word xoshiro128** `state` (advanced in place): 0 where a 16-bit half-draw is below threshold, else `keep`. */
export type MaskFiller = (state: Uint32Array, out: Float32Array, threshold: number, keep: number) => void;

let filler: MaskFiller | undefined;

/** The faster generator in use, if any. */
export function dropoutMaskFiller(): MaskFiller | undefined {
  return filler;
}

/** Installs (or, with undefined, removes) the faster generator. */
export function setDropoutMaskFiller(f: MaskFiller | undefined): void {
  filler = f;
}

/**
 * Fills `out` with an inverted-dropout mask: each entry 0 with probability
 * threshold / 65536, else `keep`. Each 32-bit draw decides two entries
 * through its 16-bit halves.
 */
export function fillDropoutMask(rng: Rng, out: Float32Array, threshold: number, keep: number): void {
  if (filler) {
    const state = rng.getState();
    const s = Uint32Array.from(state.s);
    filler(s, out, threshold, keep);
    rng.setState({ s: Array.from(s), spare: state.spare });
    return;
  }
  const even = out.length & ~1;
  for (let i = 0; i < even; i += 2) {
    const u = rng.nextUint32();
    out[i] = (u & 0xffff) < threshold ? 0 : keep;
    out[i + 1] = u >>> 16 < threshold ? 0 : keep;
  }
  if (even < out.length) out[even] = (rng.nextUint32() & 0xffff) < threshold ? 0 : keep;
}
