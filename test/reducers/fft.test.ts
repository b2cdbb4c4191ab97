import { describe, expect, it } from 'vitest';
import { FftPlan, isFftSize, nextFftSize, unitRoots } from '../../src/reducers/fft.js';
import { Rng } from '../../src/util/random.js';

/** The DFT by its definition, in long sums. */
function naiveDft(x: Float64Array, n: number, sign: 1 | -1): Float64Array {
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let e = 0; e < n; e++) {
      const a = (sign * 2 * Math.PI * ((e * k) % n)) / n;
      re += x[2 * e] * Math.cos(a) - x[2 * e + 1] * Math.sin(a);
      im += x[2 * e] * Math.sin(a) + x[2 * e + 1] * Math.cos(a);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

describe('mixed-radix single-precision FFT (2^a 3^b 5^c)', () => {
  it('sizes: 2^a 3^b 5^c only', () => {
    expect([1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 96, 100, 486, 750, 1024].every(isFftSize)).toBe(true);
    expect([0, 7, 14, 22, 26, 49, 1.5].some(isFftSize)).toBe(false);
    expect(nextFftSize(97)).toBe(100);
    expect(nextFftSize(151)).toBe(160);
    expect(nextFftSize(600)).toBe(600);
    expect(nextFftSize(601)).toBe(625);
  });

  it('roots of unity agree with Math.cos/sin to rounding', () => {
    for (const n of [1, 3, 5, 8, 12, 54, 96, 100]) {
      const w = unitRoots(n);
      for (let t = 0; t < n; t++) {
        expect(Math.abs(w[2 * t] - Math.cos((2 * Math.PI * t) / n))).toBeLessThan(1e-15);
        expect(Math.abs(w[2 * t + 1] - Math.sin((2 * Math.PI * t) / n))).toBeLessThan(1e-15);
      }
    }
  });

  it('equals the naive DFT forward and inverse, for one sequence and for interleaved lanes', () => {
    const rng = new Rng(1);
    const run = (plan: FftPlan, x: Float64Array, lanes: number, sign: 1 | -1): Float64Array => {
      // x holds (re, im) pairs element-major; the plan takes planar arrays.
      const len = x.length / 2;
      const re = Float32Array.from({ length: len }, (_, t) => x[2 * t]);
      const im = Float32Array.from({ length: len }, (_, t) => x[2 * t + 1]);
      plan.transform(re, im, 0, new Float32Array(len), new Float32Array(len), 0, lanes, sign);
      return Float64Array.from({ length: 2 * len }, (_, t) => (t % 2 ? im : re)[t >> 1]);
    };
    for (const n of [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 25, 27, 30, 32, 36, 40, 48, 60, 64, 72, 96, 125, 150, 162, 256, 300]) {
      const plan = new FftPlan(n);
      for (const sign of [-1, 1] as const) {
        const x = Float64Array.from({ length: 2 * n }, () => rng.normal());
        const want = naiveDft(x, n, sign);
        const y = run(plan, x, 1, sign);
        let err = 0;
        let scale = 0;
        for (let t = 0; t < 2 * n; t++) {
          err = Math.max(err, Math.abs(y[t] - want[t]));
          scale = Math.max(scale, Math.abs(want[t]));
        }
        // float32 arithmetic: rounding grows like sqrt(log n) times 2^-24.
        expect(err / scale).toBeLessThan(2e-6);
        // Lanes: 3 sequences element-major, each transformed as alone, bit for bit.
        const L = 3;
        const z = new Float64Array(2 * n * L);
        const seqs = [x, x.map((v) => v * 2 - 1), x.map((v, t) => v * (t % 3))];
        for (let l = 0; l < L; l++)
          for (let e = 0; e < n; e++) {
            z[2 * (e * L + l)] = seqs[l][2 * e];
            z[2 * (e * L + l) + 1] = seqs[l][2 * e + 1];
          }
        const zt = run(plan, z, L, sign);
        for (let l = 0; l < L; l++) {
          const one = run(plan, seqs[l], 1, sign);
          for (let e = 0; e < n; e++) {
            expect(zt[2 * (e * L + l)]).toBe(one[2 * e]);
            expect(zt[2 * (e * L + l) + 1]).toBe(one[2 * e + 1]);
          }
        }
      }
      // Inverse of forward, divided by n, is the identity.
      const x = Float64Array.from({ length: 2 * n }, () => rng.normal());
      const y = run(plan, run(plan, x, 1, -1), 1, 1);
      for (let t = 0; t < 2 * n; t++) expect(Math.abs(y[t] / n - x[t])).toBeLessThan(1e-5);
    }
  });

  it('rejects other lengths', () => {
    expect(() => new FftPlan(14)).toThrow(/2\^a 3\^b 5\^c/);
  });
});
