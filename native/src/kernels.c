/* Numeric kernels of the xlatent 'native' TF.js backend (see kernels.h). */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef XL_OPENBLAS
#include <cblas.h>
extern void openblas_set_num_threads(int);
extern char *openblas_get_config(void);
#endif

/* Below this many elements, waking worker threads costs more than it saves
 * (and on a shared, oversubscribed machine a wake-up can take a whole time slice). */
#define XL_PAR_MIN (1 << 20)
/* GEMMs of at least this many multiply-adds are cut into blocks that threads share. */
#define XL_GEMM_PAR_MIN ((int64_t)1 << 24)
/* Reductions over a long leading axis split it into this many fixed blocks, whatever
 * the thread count, so results do not depend on XLATENT_THREADS. */
#define XL_RBLOCKS 8

static int g_threads = 1;

void xl_set_threads(int n) {
  if (n < 1) n = 1;
  g_threads = n;
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
}

int xl_threads(void) { return g_threads; }

const char *xl_blas_name(void) {
#ifdef XL_OPENBLAS
  return openblas_get_config();
#else
  return "portable C SGEMM (no OpenBLAS at build time)";
#endif
}

static int par_threads(int64_t work) {
#ifdef _OPENMP
  return work >= XL_PAR_MIN ? g_threads : 1;
#else
  (void)work;
  return 1;
#endif
}

/* ---------------------------------------------------------------- binary */

/* Drops unit dims and merges neighbours that are contiguous for every operand. */
static int collapse2(int rank, int64_t *shape, int64_t *sa, int64_t *sb) {
  int r = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (r > 0 && sa[r - 1] == sa[d] * shape[d] && sb[r - 1] == sb[d] * shape[d]) {
      shape[r - 1] *= shape[d];
      sa[r - 1] = sa[d];
      sb[r - 1] = sb[d];
      continue;
    }
    shape[r] = shape[d];
    sa[r] = sa[d];
    sb[r] = sb[d];
    r++;
  }
  if (r == 0) {
    shape[0] = 1;
    sa[0] = 0;
    sb[0] = 0;
    r = 1;
  }
  return r;
}


static inline float nan_max(float x, float y) { return (isnan(x) || isnan(y)) ? NAN : (x > y ? x : y); }
static inline float nan_min(float x, float y) { return (isnan(x) || isnan(y)) ? NAN : (x < y ? x : y); }

#define XL_INNER(EXPR)                                                   \
  do {                                                                   \
    if (ia == 1 && ib == 1) {                                            \
      for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); } \
    } else if (ia == 0 && ib == 1) {                                     \
      const float x = a[0];                                              \
      for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); } \
    } else if (ia == 1 && ib == 0) {                                     \
      const float y = b[0];                                              \
      for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); } \
    } else {                                                             \
      for (int64_t i = 0; i < n; i++) { float x = a[i * ia], y = b[i * ib]; o[i] = (EXPR); } \
    }                                                                    \
  } while (0)

static void binary_inner(int op, const float *a, int64_t ia, const float *b, int64_t ib, float *o, int64_t n) {
  switch (op) {
    case XL_ADD: XL_INNER(x + y); break;
    case XL_SUB: XL_INNER(x - y); break;
    case XL_MUL: XL_INNER(x * y); break;
    case XL_DIV: XL_INNER(x / y); break;
    case XL_MAX: XL_INNER(nan_max(x, y)); break;
    case XL_MIN: XL_INNER(nan_min(x, y)); break;
    case XL_SQDIFF: XL_INNER((float)(((double)x - y) * ((double)x - y))); break;
    case XL_PRELU: XL_INNER(x * xl_blend(x < 0, y, 1.0f)); break;
    case XL_POW: XL_INNER((float)pow((double)x, (double)y)); break;
    case XL_COPY: XL_INNER(((void)y, x)); break;
    case XL_GREATER: XL_INNER(xl_blend(x > y, 1.0f, 0.0f)); break;
    case XL_GREATER_EQ: XL_INNER(xl_blend(x >= y, 1.0f, 0.0f)); break;
    case XL_LESS: XL_INNER(xl_blend(x < y, 1.0f, 0.0f)); break;
    case XL_LESS_EQ: XL_INNER(xl_blend(x <= y, 1.0f, 0.0f)); break;
    case XL_EQUAL: XL_INNER(xl_blend(x == y, 1.0f, 0.0f)); break;
    case XL_NOT_EQUAL: XL_INNER(xl_blend(x != y, 1.0f, 0.0f)); break;
  }
}

void xl_binary(int op, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, float *out,
               const int64_t *outShape, int rank) {
  int64_t shape[XL_MAX_RANK + 1], sa[XL_MAX_RANK + 1], sb[XL_MAX_RANK + 1];
  for (int d = 0; d < rank; d++) {
    shape[d] = outShape[d];
    sa[d] = aStr[d];
    sb[d] = bStr[d];
  }
  for (int d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  int r = collapse2(rank, shape, sa, sb);
  const int64_t n = shape[r - 1], ia = sa[r - 1], ib = sb[r - 1];
  int64_t rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= shape[d];
  const int nt = par_threads(rows * n);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    int t = 0, T = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    T = omp_get_num_threads();
#endif
    const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
    int64_t idx[XL_MAX_RANK + 1];
    int64_t offA = 0, offB = 0, rem = r0;
    for (int d = r - 2; d >= 0; d--) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
      offA += idx[d] * sa[d];
      offB += idx[d] * sb[d];
    }
    for (int64_t row = r0; row < r1; row++) {
      binary_inner(op, a + offA, ia, b + offB, ib, out + row * n, n);
      for (int d = r - 2; d >= 0; d--) {
        offA += sa[d];
        offB += sb[d];
        if (++idx[d] < shape[d]) break;
        offA -= sa[d] * shape[d];
        offB -= sb[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
}

void xl_select(const uint8_t *cond, const float *t, const float *e, float *out, int64_t n) {
  /* Bit blend instead of a branch: vectorizes, and copies NaN payloads and -0 untouched. */
  const uint32_t *tb = (const uint32_t *)t, *eb = (const uint32_t *)e;
  uint32_t *ob = (uint32_t *)out;
  for (int64_t i = 0; i < n; i++) {
    const uint32_t m = 0u - (uint32_t)(cond[i] != 0);
    ob[i] = (tb[i] & m) | (eb[i] & ~m);
  }
}

void xl_compare(int op, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, uint8_t *out,
                const int64_t *outShape, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= outShape[d];
  float *tmp = (float *)malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  xl_binary(op, a, aStr, b, bStr, tmp, outShape, rank);
  for (int64_t i = 0; i < n; i++) out[i] = (uint8_t)(tmp[i] != 0.0f);
  free(tmp);
}

/* ----------------------------------------------------------------- unary */

/* softplus(x) == exp(x) below this and == x above its negation, within float epsilon (as tfjs). */
static const float SOFTPLUS_T = -13.942385152878742f; /* log(2^-23) + 2 */


static inline float bits_to_float(int32_t i) {
  float f;
  memcpy(&f, &i, sizeof f);
  return f;
}

/* e^x to about 2 ulp, branch-free so loops over it vectorize (glibc's expf and
 * log1pf do not, and log1pf alone cost ~40 ns per element): Cephes' polynomial on
 * x - n ln2, then 2^n applied in two halves so results underflow gradually like
 * Math.exp's. Overflows to +inf above ~88.7, NaN stays NaN. */
static inline float fast_expf(float x) {
  const float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
  const float n = floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t ni = (int32_t)n;
  const int32_t n1 = ni / 2, n2 = ni - n1;
  const float out = y * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
  return x != x ? x : out;
}

/* log(u) for u in [1, 2] (Cephes logf: 1 ulp), branch-free. */
static inline float fast_log_1to2(float u) {
  const int big = u > 1.41421356237f;
  const float m = big ? 0.5f * u : u;
  const float e = big ? 1.0f : 0.0f;
  const float x = m - 1.0f;
  const float z = x * x;
  float y = 7.0376836292e-2f;
  y = y * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  return x + y + 0.693359375f * e;
}

/* log(1 + e) for e in [0, 1]: log(u) e / (u - 1) with u = 1 + e cancels u's rounding (Goldberg). */
static inline float fast_log1p_01(float e) {
  const float u = 1.0f + e;
  const float d = u - 1.0f;
  return d == 0.0f ? e : fast_log_1to2(u) * (e / d);
}

/* softplus = max(x, 0) + log1p(e^-|x|), with tfjs's cut-offs: e^x below SOFTPLUS_T, x above -SOFTPLUS_T. */
XL_CLONES
static void softplus_range(const float *x, float *out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    const float ex = fast_expf(-fabsf(v));
    const float mid = (v > 0.0f ? v : 0.0f) + fast_log1p_01(ex);
    const float r = v < SOFTPLUS_T ? ex : (v > -SOFTPLUS_T ? v : mid);
    out[i] = v != v ? v : r;
  }
}

/* 1 / (1 + e^-x). */
XL_CLONES
static void sigmoid_range(const float *x, float *out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = 1.0f / (1.0f + fast_expf(-x[i]));
}

#define XL_UNARY(EXPR) \
  for (int64_t i = i0; i < i1; i++) { const float v = x[i]; out[i] = (float)(EXPR); }

static void unary_range(int op, const float *x, float *out, int64_t i0, int64_t i1, float p0, float p1) {
  switch (op) {
    case XL_NEG: XL_UNARY(-v); break;
    case XL_ABS: XL_UNARY(fabsf(v)); break;
    case XL_SQUARE: XL_UNARY(v * v); break;
    /* Single-precision libm: within an ulp or two of tfjs's double Math.* once rounded to float32, and 3-5x faster. */
    case XL_SQRT: XL_UNARY(sqrtf(v)); break;
    case XL_RSQRT: XL_UNARY(1.0f / sqrtf(v)); break;
    case XL_EXP: XL_UNARY(expf(v)); break;
    case XL_LOG: XL_UNARY(logf(v)); break;
    case XL_LOG1P: XL_UNARY(log1pf(v)); break;
    case XL_EXPM1: XL_UNARY(expm1f(v)); break;
    case XL_SIGMOID: sigmoid_range(x, out, i0, i1); break;
    case XL_SOFTPLUS: softplus_range(x, out, i0, i1); break;
    case XL_RELU: XL_UNARY(xl_blend(v <= 0, 0.0f, v)); break; /* -0 -> +0 as Math.max(0, x); NaN stays */
    case XL_RELU6: XL_UNARY(isnan(v) ? v : (v < 0 ? 0.0f : (v > 6 ? 6.0f : v))); break;
    case XL_ELU: XL_UNARY(v >= 0 ? v : expm1f(v)); break;
    case XL_STEP: XL_UNARY(xl_blend(v != v, v, xl_blend(v > 0, 1.0f, p0))); break;
    case XL_SIGN: XL_UNARY(xl_blend(v < 0, -1.0f, xl_blend(v > 0, 1.0f, 0.0f))); break;
    case XL_TANH: XL_UNARY(tanhf(v)); break;
    case XL_RECIPROCAL: XL_UNARY(1.0 / (double)v); break;
    case XL_FLOOR: XL_UNARY(floorf(v)); break;
    case XL_LEAKY: XL_UNARY(v * xl_blend(v < 0, p0, 1.0f)); break;
    case XL_CLIP: XL_UNARY(xl_blend(v > p1, p1, xl_blend(v < p0, p0, v))); break;
  }
}

void xl_unary(int op, const float *x, float *out, int64_t n, float p0, float p1) {
  const int nt = par_threads(n);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    int t = 0, T = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    T = omp_get_num_threads();
#endif
    unary_range(op, x, out, n * t / T, n * (t + 1) / T, p0, p1);
  }
}

/* ---------------------------------------------------------------- reduce */

static inline double racc(int op, double acc, double v) {
  switch (op) {
    case XL_RMAX: return (isnan(acc) || isnan(v) || v > acc) ? (isnan(acc) ? acc : v) : acc;
    case XL_RMIN: return (isnan(acc) || isnan(v) || v < acc) ? (isnan(acc) ? acc : v) : acc;
    case XL_RPROD: return acc * v;
    default: return acc + v;
  }
}

static double rinit(int op) {
  switch (op) {
    case XL_RMAX: return -INFINITY;
    case XL_RMIN: return INFINITY;
    case XL_RPROD: return 1.0;
    default: return 0.0;
  }
}

/* Serial reduction of a collapsed tensor into acc (one slot per kept element); ostr: output strides, 0 on reduced dims. */
static void reduce_serial(int op, const float *x, const int64_t *shape, const int64_t *ostr, int r, double *acc) {
  const int64_t n = shape[r - 1];
  const int lastReduced = ostr[r - 1] == 0;
  int64_t rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= shape[d];
  int64_t idx[XL_MAX_RANK + 1] = {0};
  int64_t off = 0;
  for (int64_t row = 0; row < rows; row++) {
    const float *xr = x + row * n;
    if (lastReduced) {
      double s = acc[off];
      if (op == XL_RSUM || op == XL_RMEAN) {
        /* Four interleaved double accumulators: a fixed order, without one long dependency chain. */
        double s4[4] = {0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 4 <= n; i += 4) {
          s4[0] += xr[i];
          s4[1] += xr[i + 1];
          s4[2] += xr[i + 2];
          s4[3] += xr[i + 3];
        }
        for (; i < n; i++) s4[i & 3] += xr[i];
        s += (s4[0] + s4[1]) + (s4[2] + s4[3]);
      } else {
        for (int64_t i = 0; i < n; i++) s = racc(op, s, xr[i]);
      }
      acc[off] = s;
    } else {
      double *ar = acc + off;
      if (op == XL_RSUM || op == XL_RMEAN) {
        for (int64_t i = 0; i < n; i++) ar[i] += xr[i];
      } else {
        for (int64_t i = 0; i < n; i++) ar[i] = racc(op, ar[i], xr[i]);
      }
    }
    for (int d = r - 2; d >= 0; d--) {
      off += ostr[d];
      if (++idx[d] < shape[d]) break;
      off -= ostr[d] * shape[d];
      idx[d] = 0;
    }
  }
}

void xl_reduce(int op, const float *x, const int64_t *inShape, const int *reduce, int rank, float *out) {
  int64_t shape[XL_MAX_RANK + 1];
  int red[XL_MAX_RANK + 1];
  int r = 0;
  int64_t total = 1, outN = 1, rsize = 1;
  for (int d = 0; d < rank; d++) {
    total *= inShape[d];
    if (reduce[d]) rsize *= inShape[d]; else outN *= inShape[d];
    if (inShape[d] == 1) continue;
    if (r > 0 && red[r - 1] == (reduce[d] != 0)) {
      shape[r - 1] *= inShape[d];
      continue;
    }
    shape[r] = inShape[d];
    red[r] = reduce[d] != 0;
    r++;
  }
  if (r == 0) {
    shape[0] = 1;
    red[0] = 1;
    r = 1;
  }
  int64_t ostr[XL_MAX_RANK + 1];
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    ostr[d] = red[d] ? 0 : s;
    if (!red[d]) s *= shape[d];
  }
  double *acc = (double *)malloc(sizeof(double) * (size_t)outN);
  const double init = rinit(op);
  for (int64_t i = 0; i < outN; i++) acc[i] = init;
  const int64_t xs0 = total / shape[0];
  int nt = par_threads(total);
  if (red[0] && total >= XL_PAR_MIN && shape[0] >= XL_RBLOCKS) {
    /* Fixed blocks of the leading (reduced) axis, each into its own partial,
     * combined in block order: the same sums for any thread count. */
    double *part = (double *)malloc(sizeof(double) * (size_t)outN * XL_RBLOCKS);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int blk = 0; blk < XL_RBLOCKS; blk++) {
      double *p = part + (int64_t)blk * outN;
      for (int64_t i = 0; i < outN; i++) p[i] = init;
      const int64_t a0 = shape[0] * blk / XL_RBLOCKS, a1 = shape[0] * (blk + 1) / XL_RBLOCKS;
      int64_t sub[XL_MAX_RANK + 1];
      memcpy(sub, shape, sizeof(int64_t) * (size_t)r);
      sub[0] = a1 - a0;
      if (sub[0] > 0) reduce_serial(op, x + a0 * xs0, sub, ostr, r, p);
    }
    for (int blk = 0; blk < XL_RBLOCKS; blk++)
      for (int64_t i = 0; i < outN; i++) acc[i] = racc(op == XL_RMEAN ? XL_RSUM : op, acc[i], part[(int64_t)blk * outN + i]);
    free(part);
  } else if (!red[0] && r > 1 && nt > 1) {
    /* Threads own disjoint slices of the output; each slice sums in the serial order. */
    if (nt > shape[0]) nt = (int)shape[0];
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i0 = 0; i0 < shape[0]; i0++)
      reduce_serial(op, x + i0 * xs0, shape + 1, ostr + 1, r - 1, acc + i0 * ostr[0]);
  } else {
    reduce_serial(op, x, shape, ostr, r, acc);
  }
  if (op == XL_RMEAN) {
    for (int64_t i = 0; i < outN; i++) out[i] = (float)(acc[i] / (double)rsize);
  } else {
    for (int64_t i = 0; i < outN; i++) out[i] = (float)acc[i];
  }
  free(acc);
}

/* ------------------------------------------------------------- im2col */

/* Output columns ox whose tap kx lands inside [0, w): kx in [*k0, *k1). */
static void tap_range(const xl_conv_geom *g, int64_t ox, int64_t *k0, int64_t *k1) {
  const int64_t base = ox * g->sw - g->padLeft;
  int64_t lo = 0, hi = g->fw;
  while (lo < hi && base + lo * g->dw < 0) lo++;
  while (hi > lo && base + (hi - 1) * g->dw >= g->w) hi--;
  *k0 = lo;
  *k1 = hi;
}

void xl_im2col(const float *x, const xl_conv_geom *g, float *cols) {
  const int64_t c = g->c, kdim = g->fh * g->fw * c;
  const int64_t rows = g->n * g->outH * g->outW;
  const int nt = par_threads(rows * kdim);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t ox = r % g->outW, oy = (r / g->outW) % g->outH, b = r / (g->outW * g->outH);
    float *dst = cols + r * kdim;
    int64_t k0, k1;
    tap_range(g, ox, &k0, &k1);
    const int64_t ix0 = ox * g->sw - g->padLeft;
    for (int64_t ky = 0; ky < g->fh; ky++) {
      const int64_t iy = oy * g->sh - g->padTop + ky * g->dh;
      float *d = dst + ky * g->fw * c;
      if (iy < 0 || iy >= g->h || k0 >= k1) {
        memset(d, 0, sizeof(float) * (size_t)(g->fw * c));
        continue;
      }
      if (k0 > 0) memset(d, 0, sizeof(float) * (size_t)(k0 * c));
      if (k1 < g->fw) memset(d + k1 * c, 0, sizeof(float) * (size_t)((g->fw - k1) * c));
      const float *srow = x + (b * g->h + iy) * g->w * c;
      if (g->dw == 1) {
        /* Taps of one kernel row are adjacent pixels: one contiguous run. */
        memcpy(d + k0 * c, srow + (ix0 + k0) * c, sizeof(float) * (size_t)((k1 - k0) * c));
      } else {
        for (int64_t kx = k0; kx < k1; kx++) memcpy(d + kx * c, srow + (ix0 + kx * g->dw) * c, sizeof(float) * (size_t)c);
      }
    }
  }
}

void xl_col2im(const float *cols, const xl_conv_geom *g, float *dx) {
  const int64_t c = g->c, kdim = g->fh * g->fw * c;
  const int64_t img = g->h * g->w * c;
  memset(dx, 0, sizeof(float) * (size_t)(g->n * img));
  const int nt = par_threads(g->n * g->outH * g->outW * kdim);
  /* Images are independent: threads own whole images, so accumulation order is fixed. */
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t b = 0; b < g->n; b++) {
    for (int64_t oy = 0; oy < g->outH; oy++) {
      for (int64_t ox = 0; ox < g->outW; ox++) {
        const float *src = cols + ((b * g->outH + oy) * g->outW + ox) * kdim;
        int64_t k0, k1;
        tap_range(g, ox, &k0, &k1);
        const int64_t ix0 = ox * g->sw - g->padLeft;
        for (int64_t ky = 0; ky < g->fh; ky++) {
          const int64_t iy = oy * g->sh - g->padTop + ky * g->dh;
          if (iy < 0 || iy >= g->h) continue;
          float *drow = dx + (b * g->h + iy) * g->w * c;
          const float *sp = src + ky * g->fw * c;
          if (g->dw == 1) {
            float *d = drow + (ix0 + k0) * c;
            const float *q = sp + k0 * c;
            const int64_t len = (k1 - k0) * c;
            for (int64_t i = 0; i < len; i++) d[i] += q[i];
          } else {
            for (int64_t kx = k0; kx < k1; kx++) {
              float *d = drow + (ix0 + kx * g->dw) * c;
              for (int64_t ci = 0; ci < c; ci++) d[ci] += sp[kx * c + ci];
            }
          }
        }
      }
    }
  }
}

/* ------------------------------------------------------------------ gemm */

#ifndef XL_OPENBLAS
/* Portable fallback: packs op(A) and op(B) row-major, then i-p-j loops the compiler vectorizes. */
static void gemm_portable(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k, int transA,
                          int transB) {
  float *pa = NULL, *pb = NULL;
  if (transA) {
    pa = (float *)malloc(sizeof(float) * (size_t)(m * k));
    for (int64_t p = 0; p < k; p++)
      for (int64_t i = 0; i < m; i++) pa[i * k + p] = a[p * m + i];
    a = pa;
  }
  if (transB) {
    pb = (float *)malloc(sizeof(float) * (size_t)(k * n));
    for (int64_t j = 0; j < n; j++)
      for (int64_t p = 0; p < k; p++) pb[p * n + j] = b[j * k + p];
    b = pb;
  }
  const int nt = m * n * k >= XL_GEMM_PAR_MIN ? g_threads : 1;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < m; i++) {
    float *ci = c + i * n;
    for (int64_t j = 0; j < n; j++) ci[j] = 0;
    for (int64_t p = 0; p < k; p++) {
      const float aip = a[i * k + p];
      const float *bp = b + p * n;
      for (int64_t j = 0; j < n; j++) ci[j] += aip * bp[j];
    }
  }
  free(pa);
  free(pb);
}
#endif

#ifdef XL_OPENBLAS
static int g_blas_single = 0;

/* C = op(A) op(B) for C rows [r0, r1) and columns [c0, c1), one single-threaded sgemm. */
static void sgemm_block(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k, int transA, int transB,
                        int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const float *ab = transA ? a + r0 : a + r0 * k;
  const float *bb = transB ? b + c0 * k : b + c0;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)(r1 - r0),
              (int)(c1 - c0), (int)k, 1.0f, ab, transA ? (int)m : (int)k, bb, transB ? (int)k : (int)n, 0.0f,
              c + r0 * n + c0, (int)n);
}
#endif

void xl_gemm(const float *a, const float *b, float *c, int64_t batch, int64_t m, int64_t n, int64_t k, int transA,
             int transB, int64_t aStride, int64_t bStride) {
#ifdef XL_OPENBLAS
  /* OpenBLAS's own threads change the rounding with the thread count (its threaded
   * driver cuts K differently), so it always runs single-threaded; large products are
   * cut here instead, into row (or column) blocks of C fixed by the shape alone, and
   * the blocks shared among threads: the same sums for any thread count. */
  if (!g_blas_single) {
    openblas_set_num_threads(1);
    g_blas_single = 1;
  }
  const int64_t split = m >= n ? m : n;
  int64_t blocks = m * n * k >= XL_GEMM_PAR_MIN ? split / 128 : 1;
  if (blocks < 1) blocks = 1;
  if (blocks > 8) blocks = 8;
  const int nt = blocks > 1 && g_threads > 1 ? (g_threads < blocks ? g_threads : (int)blocks) : 1;
#endif
  for (int64_t q = 0; q < batch; q++) {
    const float *aq = a + q * aStride, *bq = b + q * bStride;
    float *cq = c + q * m * n;
    if (k == 0) {
      memset(cq, 0, sizeof(float) * (size_t)(m * n));
      continue;
    }
#ifdef XL_OPENBLAS
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t blk = 0; blk < blocks; blk++) {
      const int64_t s0 = split * blk / blocks, s1 = split * (blk + 1) / blocks;
      if (m >= n) sgemm_block(aq, bq, cq, m, n, k, transA, transB, s0, s1, 0, n);
      else sgemm_block(aq, bq, cq, m, n, k, transA, transB, 0, m, s0, s1);
    }
#else
    gemm_portable(aq, bq, cq, m, n, k, transA, transB);
#endif
  }
}
