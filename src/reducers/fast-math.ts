/**
 * x^b for x > 0 by exp2(b log2 x) with polynomial log2 and exp2 on the
 * IEEE-754 bits (relative error below 1e-7). UMAP's layout SGD needs one
 * pow per sample, hundreds of millions per fit, and V8's Math.pow costs
 * 20-60x a multiply; the SGD's own noise dwarfs this rounding.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LN2 = Math.LN2;
const SQRT2 = Math.SQRT2;

/** x^b for finite x > 0 (subnormals and x <= 0 are not handled; callers guard d > 0). */
export function fastPow(x: number, b: number): number {
  f64[0] = x;
  const hi = u32[1];
  let e = (hi >>> 20) - 1023;
  u32[1] = (hi & 0x000fffff) | 0x3ff00000;
  let m = f64[0];
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  // ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  const lnm = 2 * t * (1 + t2 * (1 / 3 + t2 * (1 / 5 + t2 * (1 / 7 + t2 * (1 / 9)))));
  let y = b * (e + lnm / LN2);
  if (y > 1020) y = 1020;
  else if (y < -1020) y = -1020;
  const i = Math.floor(y);
  // 2^f = sqrt2 * e^z, z = (f - 1/2) ln 2, |z| < 0.347
  const z = (y - i - 0.5) * LN2;
  const ez = 1 + z * (1 + z * (1 / 2 + z * (1 / 6 + z * (1 / 24 + z * (1 / 120 + z * (1 / 720 + z * (1 / 5040)))))));
  u32[0] = 0;
  u32[1] = (i + 1023) << 20;
  return SQRT2 * ez * f64[0];
}
