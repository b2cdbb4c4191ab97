/**
 * Complex fast Fourier transforms of lengths 2^a 3^b 5^c (Stockham autosort,
 * radix-4, -2, -3 and -5 stages) in single precision, for the grid
 * convolutions of FFT-accelerated t-SNE (./tsne-fft.ts), whose
 * interpolation error (~1e-2) is far above float32 rounding: single
 * precision halves the memory traffic and doubles the C twin's vector width.
 * Every operation is rounded to float32 (Math.fround here; float arithmetic
 * in C, without FMA contraction); rounding the exact double result of a
 * float32 + - * to float32 is the same as float32 arithmetic (53 >= 2 x 24 + 2),
 * so the two agree bit for bit. Written here rather than taken from npm because
 * the native addon has a C twin of this code (xl_fft in
 * native/src/embed.c) that must give the same bits: both build the same
 * stages and the same roots of unity with + - * / only, in the same order,
 * so an embedding does not depend on whether the addon was built.
 *
 * Data are planar (separate real and imaginary Float32Arrays) and hold
 * `lanes` independent sequences stored element-major: element e of lane l
 * is at e lanes + l. lanes = 1 is one contiguous sequence; lanes = W
 * transforms the columns of a row-major grid of width W, every butterfly
 * sweeping contiguous lanes (which the C twin vectorizes).
 */

/** True when n = 2^a 3^b 5^c (n >= 1). */
export function isFftSize(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  while (n % 3 === 0) n /= 3;
  while (n % 5 === 0) n /= 5;
  return n === 1;
}

/** The smallest 2^a 3^b 5^c >= n. */
export function nextFftSize(n: number): number {
  let m = Math.max(1, Math.ceil(n));
  while (!isFftSize(m)) m++;
  return m;
}

/** A transform length's stages (4s, then a 2 if needed, then 3s, then 5s) and its roots of unity. */
export class FftPlan {
  readonly factors: number[] = [];
  /** cos and sin of 2 pi t / n for t < n, interleaved, rounded to float32. */
  readonly roots: Float32Array;

  constructor(readonly n: number) {
    if (!isFftSize(n)) throw new Error(`FFT length ${n} is not of the form 2^a 3^b 5^c`);
    let r = n;
    while (r % 4 === 0) {
      this.factors.push(4);
      r /= 4;
    }
    if (r % 2 === 0) {
      this.factors.push(2);
      r /= 2;
    }
    while (r % 3 === 0) {
      this.factors.push(3);
      r /= 3;
    }
    while (r % 5 === 0) {
      this.factors.push(5);
      r /= 5;
    }
    this.roots = Float32Array.from(unitRoots(n));
  }

  /**
   * Unnormalized DFT in place: X_k = sum_e x_e exp(sign 2 pi i e k / n)
   * (sign -1 forward, +1 inverse) of each lane.
   * @param re real parts, n lanes values from `off`
   * @param im imaginary parts, same layout
   * @param sre scratch of the same size from `sOff` (and sim), overwritten
   */
  transform(re: Float32Array, im: Float32Array, off: number, sre: Float32Array, sim: Float32Array, sOff: number, lanes: number, sign: 1 | -1): void {
    let ar = re;
    let ai = im;
    let ao = off;
    let br = sre;
    let bi = sim;
    let bo = sOff;
    let ns = 1;
    for (const R of this.factors) {
      if (R === 4) stage4(ar, ai, ao, br, bi, bo, this.n, ns, lanes, sign, this.roots);
      else if (R === 2) stage2(ar, ai, ao, br, bi, bo, this.n, ns, lanes, sign, this.roots);
      else if (R === 3) stage3(ar, ai, ao, br, bi, bo, this.n, ns, lanes, sign, this.roots);
      else stage5(ar, ai, ao, br, bi, bo, this.n, ns, lanes, sign, this.roots);
      ns *= R;
      [ar, br] = [br, ar];
      [ai, bi] = [bi, ai];
      [ao, bo] = [bo, ao];
    }
    if (ar !== re || ao !== off) {
      const len = this.n * lanes;
      re.set(ar.subarray(ao, ao + len), off);
      im.set(ai.subarray(ao, ao + len), off);
    }
  }
}

/**
 * cos and sin of 2 pi t / n from Taylor series on angles reduced to
 * [-pi/4, pi/4] by exact integer octant tests, with + - * / only, so that
 * C (roots() in native/src/embed.c) computes the same bits.
 */
export function unitRoots(n: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let t = 0; t < n; t++) {
    const o = 8 * t;
    let c: number;
    let s: number;
    if (o <= n) {
      const phi = (2 * Math.PI * t) / n;
      c = cosSeries(phi);
      s = sinSeries(phi);
    } else if (o <= 3 * n) {
      const phi = (Math.PI * (4 * t - n)) / (2 * n);
      c = -sinSeries(phi);
      s = cosSeries(phi);
    } else if (o <= 5 * n) {
      const phi = (Math.PI * (2 * t - n)) / n;
      c = -cosSeries(phi);
      s = -sinSeries(phi);
    } else if (o <= 7 * n) {
      const phi = (Math.PI * (4 * t - 3 * n)) / (2 * n);
      c = sinSeries(phi);
      s = -cosSeries(phi);
    } else {
      const phi = (2 * Math.PI * (t - n)) / n;
      c = cosSeries(phi);
      s = sinSeries(phi);
    }
    out[2 * t] = c;
    out[2 * t + 1] = s;
  }
  return out;
}

function sinSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; k <= 12; k++) {
    term = (term * -x2) / (2 * k * (2 * k + 1));
    sum += term;
  }
  return sum;
}

function cosSeries(x: number): number {
  const x2 = x * x;
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= 12; k++) {
    term = (term * -x2) / ((2 * k - 1) * (2 * k));
    sum += term;
  }
  return sum;
}

/*
 * One Stockham stage of radix R over n elements (ns = product of the
 * earlier radices): for j < n / R, the R inputs j + r n / R, each times
 * w^(r k n / (ns R)) with k = j mod ns, go through a size-R DFT to outputs
 * (j - k) R + k + r ns.
 */

const f = Math.fround;

function stage2(ar: Float32Array, ai: Float32Array, ao: number, br: Float32Array, bi: Float32Array, bo: number, n: number, ns: number, L: number, sign: number, w: Float32Array): void {
  const m = n / 2;
  const stride = n / (ns * 2);
  // j = q ns + k in increasing order, without a division per j.
  for (let q = 0, j = 0; q < m / ns; q++)
    for (let k = 0; k < ns; k++, j++) {
      const t = k * stride;
      const c1 = w[2 * t];
      const s1 = sign * w[2 * t + 1];
      const i0 = ao + j * L;
      const i1 = ao + (j + m) * L;
      const o0 = bo + ((j - k) * 2 + k) * L;
      const o1 = o0 + ns * L;
      for (let l = 0; l < L; l++) {
        const x0 = ar[i0 + l];
        const y0 = ai[i0 + l];
        const u = ar[i1 + l];
        const v = ai[i1 + l];
        const x1 = f(f(u * c1) - f(v * s1));
        const y1 = f(f(u * s1) + f(v * c1));
        br[o0 + l] = x0 + x1;
        bi[o0 + l] = y0 + y1;
        br[o1 + l] = x0 - x1;
        bi[o1 + l] = y0 - y1;
      }
    }
}

function stage3(ar: Float32Array, ai: Float32Array, ao: number, br: Float32Array, bi: Float32Array, bo: number, n: number, ns: number, L: number, sign: number, w: Float32Array): void {
  const m = n / 3;
  // sin(2 pi / 3) times the sign; cos(2 pi / 3) = -1/2 exactly.
  const h = f(sign * (Math.sqrt(3) / 2));
  const stride = n / (ns * 3);
  // j = q ns + k in increasing order, without a division per j.
  for (let q = 0, j = 0; q < m / ns; q++)
    for (let k = 0; k < ns; k++, j++) {
      const t = k * stride;
      const c1 = w[2 * t];
      const s1 = sign * w[2 * t + 1];
      const c2 = w[4 * t];
      const s2 = sign * w[4 * t + 1];
      const i0 = ao + j * L;
      const i1 = ao + (j + m) * L;
      const i2 = ao + (j + 2 * m) * L;
      const o0 = bo + ((j - k) * 3 + k) * L;
      const o1 = o0 + ns * L;
      const o2 = o1 + ns * L;
      for (let l = 0; l < L; l++) {
        const x0 = ar[i0 + l];
        const y0 = ai[i0 + l];
        let u = ar[i1 + l];
        let v = ai[i1 + l];
        const x1 = f(f(u * c1) - f(v * s1));
        const y1 = f(f(u * s1) + f(v * c1));
        u = ar[i2 + l];
        v = ai[i2 + l];
        const x2 = f(f(u * c2) - f(v * s2));
        const y2 = f(f(u * s2) + f(v * c2));
        const sx = f(x1 + x2);
        const sy = f(y1 + y2);
        const dx = f(h * f(x1 - x2));
        const dy = f(h * f(y1 - y2));
        const mx = f(x0 - f(0.5 * sx));
        const my = f(y0 - f(0.5 * sy));
        br[o0 + l] = x0 + sx;
        bi[o0 + l] = y0 + sy;
        br[o1 + l] = mx - dy;
        bi[o1 + l] = my + dx;
        br[o2 + l] = mx + dy;
        bi[o2 + l] = my - dx;
      }
    }
}

function stage4(ar: Float32Array, ai: Float32Array, ao: number, br: Float32Array, bi: Float32Array, bo: number, n: number, ns: number, L: number, sign: number, w: Float32Array): void {
  const m = n / 4;
  const stride = n / (ns * 4);
  // j = q ns + k in increasing order, without a division per j.
  for (let q = 0, j = 0; q < m / ns; q++)
    for (let k = 0; k < ns; k++, j++) {
      const t = k * stride;
      const c1 = w[2 * t];
      const s1 = sign * w[2 * t + 1];
      const c2 = w[4 * t];
      const s2 = sign * w[4 * t + 1];
      const c3 = w[6 * t];
      const s3 = sign * w[6 * t + 1];
      const i0 = ao + j * L;
      const i1 = ao + (j + m) * L;
      const i2 = ao + (j + 2 * m) * L;
      const i3 = ao + (j + 3 * m) * L;
      const o0 = bo + ((j - k) * 4 + k) * L;
      const o1 = o0 + ns * L;
      const o2 = o1 + ns * L;
      const o3 = o2 + ns * L;
      for (let l = 0; l < L; l++) {
        const x0 = ar[i0 + l];
        const y0 = ai[i0 + l];
        let u = ar[i1 + l];
        let v = ai[i1 + l];
        const x1 = f(f(u * c1) - f(v * s1));
        const y1 = f(f(u * s1) + f(v * c1));
        u = ar[i2 + l];
        v = ai[i2 + l];
        const x2 = f(f(u * c2) - f(v * s2));
        const y2 = f(f(u * s2) + f(v * c2));
        u = ar[i3 + l];
        v = ai[i3 + l];
        const x3 = f(f(u * c3) - f(v * s3));
        const y3 = f(f(u * s3) + f(v * c3));
        const ax = f(x0 + x2);
        const ay = f(y0 + y2);
        const bx = f(x0 - x2);
        const by = f(y0 - y2);
        const cx = f(x1 + x3);
        const cy = f(y1 + y3);
        // (x1 - x3) times sign * i.
        const dx = -sign * f(y1 - y3);
        const dy = sign * f(x1 - x3);
        br[o0 + l] = ax + cx;
        bi[o0 + l] = ay + cy;
        br[o1 + l] = bx + dx;
        bi[o1 + l] = by + dy;
        br[o2 + l] = ax - cx;
        bi[o2 + l] = ay - cy;
        br[o3 + l] = bx - dx;
        bi[o3 + l] = by - dy;
      }
    }
}

function stage5(ar: Float32Array, ai: Float32Array, ao: number, br: Float32Array, bi: Float32Array, bo: number, n: number, ns: number, L: number, sign: number, w: Float32Array): void {
  const m = n / 5;
  // cos and sin of 2 pi / 5 and 4 pi / 5 from the roots table (the same bits in C), the sines times the sign.
  const ca = w[2 * m];
  const sa = sign * w[2 * m + 1];
  const cb = w[4 * m];
  const sb = sign * w[4 * m + 1];
  const stride = n / (ns * 5);
  // j = q ns + k in increasing order, without a division per j.
  for (let q = 0, j = 0; q < m / ns; q++)
    for (let k = 0; k < ns; k++, j++) {
      const t = k * stride;
      const c1 = w[2 * t];
      const s1 = sign * w[2 * t + 1];
      const c2 = w[4 * t];
      const s2 = sign * w[4 * t + 1];
      const c3 = w[6 * t];
      const s3 = sign * w[6 * t + 1];
      const c4 = w[8 * t];
      const s4 = sign * w[8 * t + 1];
      const i0 = ao + j * L;
      const i1 = ao + (j + m) * L;
      const i2 = ao + (j + 2 * m) * L;
      const i3 = ao + (j + 3 * m) * L;
      const i4 = ao + (j + 4 * m) * L;
      const o0 = bo + ((j - k) * 5 + k) * L;
      const o1 = o0 + ns * L;
      const o2 = o1 + ns * L;
      const o3 = o2 + ns * L;
      const o4 = o3 + ns * L;
      for (let l = 0; l < L; l++) {
        const x0 = ar[i0 + l];
        const y0 = ai[i0 + l];
        let u = ar[i1 + l];
        let v = ai[i1 + l];
        const x1 = f(f(u * c1) - f(v * s1));
        const y1 = f(f(u * s1) + f(v * c1));
        u = ar[i2 + l];
        v = ai[i2 + l];
        const x2 = f(f(u * c2) - f(v * s2));
        const y2 = f(f(u * s2) + f(v * c2));
        u = ar[i3 + l];
        v = ai[i3 + l];
        const x3 = f(f(u * c3) - f(v * s3));
        const y3 = f(f(u * s3) + f(v * c3));
        u = ar[i4 + l];
        v = ai[i4 + l];
        const x4 = f(f(u * c4) - f(v * s4));
        const y4 = f(f(u * s4) + f(v * c4));
        // X_1,4 = x0 + ca t1 + cb t2 +- i (sa d1 + sb d2); X_2,3 = x0 + cb t1 + ca t2 +- i (sb d1 - sa d2).
        const t1x = f(x1 + x4);
        const t1y = f(y1 + y4);
        const t2x = f(x2 + x3);
        const t2y = f(y2 + y3);
        const d1x = f(x1 - x4);
        const d1y = f(y1 - y4);
        const d2x = f(x2 - x3);
        const d2y = f(y2 - y3);
        const ax = f(x0 + f(f(ca * t1x) + f(cb * t2x)));
        const ay = f(y0 + f(f(ca * t1y) + f(cb * t2y)));
        const bx = f(x0 + f(f(cb * t1x) + f(ca * t2x)));
        const by = f(y0 + f(f(cb * t1y) + f(ca * t2y)));
        const ex = f(f(sa * d1x) + f(sb * d2x));
        const ey = f(f(sa * d1y) + f(sb * d2y));
        const gx = f(f(sb * d1x) - f(sa * d2x));
        const gy = f(f(sb * d1y) - f(sa * d2y));
        br[o0 + l] = x0 + f(t1x + t2x);
        bi[o0 + l] = y0 + f(t1y + t2y);
        br[o1 + l] = ax - ey;
        bi[o1 + l] = ay + ex;
        br[o4 + l] = ax + ey;
        bi[o4 + l] = ay - ex;
        br[o2 + l] = bx - gy;
        bi[o2 + l] = by + gx;
        br[o3 + l] = bx + gy;
        bi[o3 + l] = by - gx;
      }
    }
}
