import { loadNativeAddon, type NativeAddon } from '../backends/native-addon.js';

/**
 * Single-precision matrix products for the reducers: the native addon's
 * OpenBLAS sgemm when it is built, else a cache-blocked JavaScript kernel.
 * The reducers only call this on blocks whose float32 rounding they bound
 * (row blocks of at most a few thousand, accumulated in Float64 outside).
 */

let addon: NativeAddon | null | undefined;

/** The native addon, or null when it is unavailable (XLATENT_NATIVE=0, not built, failed to load). */
export function gemmAddon(): NativeAddon | null {
  if (addon === undefined) {
    const load = loadNativeAddon();
    addon = load.ok ? load.addon : null;
  }
  return addon;
}

/**
 * c (r x s) = op(a) op(b), overwritten, all row-major float32.
 * @param a r x k (or k x r when transA)
 * @param b k x s (or s x k when transB)
 * @param native false forces the JavaScript kernel (tests compare the two)
 */
export function sgemm(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  r: number,
  s: number,
  k: number,
  transA: boolean,
  transB: boolean,
  native = true,
): void {
  const nat = native ? gemmAddon() : null;
  if (nat) {
    nat.gemm(a, b, c, 1, r, s, k, transA ? 1 : 0, transB ? 1 : 0, 0, 0);
    return;
  }
  c.fill(0, 0, r * s);
  // i-p-j loop order with a Float64 row accumulator: unit stride in b and c.
  const acc = new Float64Array(s);
  for (let i = 0; i < r; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * r + i] : a[i * k + p];
      if (av === 0) continue;
      if (transB) for (let j = 0; j < s; j++) acc[j] += av * b[j * k + p];
      else {
        const off = p * s;
        for (let j = 0; j < s; j++) acc[j] += av * b[off + j];
      }
    }
    const o = i * s;
    for (let j = 0; j < s; j++) c[o + j] = acc[j];
  }
}
