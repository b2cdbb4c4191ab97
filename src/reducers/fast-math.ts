/**
 * x^b for x > 0 as exp2(b log2 x), table-driven (the method of glibc's and
 * ARM's optimized routines): log2 from 256 subintervals of the mantissa and
 * a quadratic, exp2 from 256 subintervals and a quadratic; relative error
 * below 1e-8, finer than the float32 umap-learn computes in. Short
 * polynomials, because every operation sits on the dependency chain. UMAP's layout SGD evaluates one
 * pow per sample, hundreds of millions per fit, each on the critical path of
 * the next sample: V8's Math.pow costs 20-60x a multiply, and the former
 * series form with two divisions made pow half of the loop's time.
 *
 * The tables are built from + - * / only, and native/src/embed.c holds the
 * same function operation by operation, so the JavaScript and C layouts stay
 * bit-identical (Math.log2 / Math.pow may differ from libm in the last bit).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LN2 = 0.6931471805599453;

/** ln(c) for 1 <= c < 2 by 2 atanh((c - 1) / (c + 1)), summed until the terms vanish. */
function lnSeries(c: number): number {
  const t = (c - 1) / (c + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 0; k < 40; k++) {
    sum += term / (2 * k + 1);
    term *= t2;
  }
  return 2 * sum;
}

/** e^z for |z| < 1 by its Taylor series. */
function expSeries(z: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 30; k++) {
    term = (term * z) / k;
    sum += term;
  }
  return sum;
}

/** For subinterval i of the mantissa [1, 2): 1 / c_i and log2(c_i) at its midpoint c_i. */
const INV_C = new Float64Array(256);
const LOG2_C = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const c = 1 + (i + 0.5) / 256;
  INV_C[i] = 1 / c;
  LOG2_C[i] = lnSeries(c) / LN2;
}
/** 2^(k / 256), k = 0..255. */
const EXP2_K = new Float64Array(256);
for (let k = 0; k < 256; k++) EXP2_K[k] = expSeries((k / 256) * LN2);

// Taylor coefficients of log2(1 + r) and 2^f.
const L1 = 1 / LN2;
const L2 = -1 / (2 * LN2);
const E1 = LN2;
const E2 = (LN2 * LN2) / 2;

/** x^b for finite x > 0 (subnormals and x <= 0 are not handled; callers guard d > 0). */
export function fastPow(x: number, b: number): number {
  f64[0] = x;
  const hi = u32[1];
  const e = (hi >>> 20) - 1023;
  const i = (hi >>> 12) & 255;
  u32[1] = (hi & 0x000fffff) | 0x3ff00000;
  // |r| < 1/512: m / c_i - 1 without a division.
  const r = f64[0] * INV_C[i] - 1;
  const log2x = e + LOG2_C[i] + r * (L1 + r * L2);
  let y = b * log2x;
  if (y > 1020) y = 1020;
  else if (y < -1020) y = -1020;
  const j = Math.floor(y * 256);
  const f = y - j / 256;
  const p = 1 + f * (E1 + f * E2);
  u32[0] = 0;
  u32[1] = ((j >> 8) + 1023) << 20;
  return f64[0] * EXP2_K[j & 255] * p;
}
