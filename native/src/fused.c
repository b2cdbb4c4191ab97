/* Fused training kernels of the xlatent 'native' backend (see kernels.h):
 * whole loss terms and the optimizer update as single calls, replacing
 * chains of tfjs ops whose per-op overhead and B x B x k temporaries
 * dominated a RankAAE step. Every sum is accumulated per row in a fixed
 * order and then combined serially, so results do not depend on the thread
 * count. */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif


/* Rows of the pair loop below this size stay on one thread. */
#define XL_RANK_PAR_MIN 256

/* One row a of the pair loop: sum_b t, sum_b t [prod > 0], #prod > 0, #prod < 0,
 * sum prod, sum relu(prod), with t = sign(ya - yb) vb and prod = (za - zb) t.
 * Branch-free with an OpenMP SIMD reduction (a fixed lane count, so the result
 * does not depend on threads); built for AVX2 and baseline x86-64, picked at load. */
XL_CLONES
static void rank_row(float za, float ya, const float *zi, const float *yi, const float *vi, int64_t n, double *r) {
  /* Integer-valued sums stay exact in float over <= 2^24 rows; the rows' sums of products
   * (float, in SIMD lanes) are added up in double by the caller. */
  float sT = 0.0f, sTPos = 0.0f, nPos = 0.0f, nNeg = 0.0f;
  float sP = 0.0f, sR = 0.0f;
#pragma omp simd reduction(+ : sT, sTPos, nPos, nNeg, sP, sR)
  for (int64_t b = 0; b < n; b++) {
    const float d = ya - yi[b];
    const float t = d > 0.0f ? vi[b] : (d < 0.0f ? -vi[b] : 0.0f);
    const float p = (za - zi[b]) * t;
    const float isPos = p > 0.0f ? 1.0f : 0.0f;
    const float isNeg = p < 0.0f ? 1.0f : 0.0f;
    sT += t;
    sTPos += t * isPos;
    nPos += isPos;
    nNeg += isNeg;
    sP += p;
    sR += p * isPos;
  }
  r[0] = sT;
  r[1] = sTPos;
  r[2] = nPos;
  r[3] = nNeg;
  r[4] = sP;
  r[5] = sR;
}

double xl_rank_loss(const float *z, int64_t zStride, const float *y, int64_t yStride, const float *valid,
                    int64_t n, int64_t k, float *grad) {
  if (n <= 0 || k <= 0) return 0.0;
  float *zi = malloc(sizeof(float) * (size_t)n);
  float *yi = malloc(sizeof(float) * (size_t)n);
  float *vi = malloc(sizeof(float) * (size_t)n);
  /* Per row a: sum_b t, sum_b t [prod > 0], #prod > 0, #prod < 0, sum prod, sum relu(prod). */
  double *row = malloc(sizeof(double) * (size_t)n * 6);
  for (int64_t a = 0; a < n; a++)
    for (int64_t c = 0; c < zStride; c++) grad[a * zStride + c] = 0.0f;
  double total = 0.0;
  const int nt = xl_threads();
  for (int64_t i = 0; i < k; i++) {
    int64_t nv = 0;
    for (int64_t a = 0; a < n; a++) {
      const float ya = y[a * yStride + i];
      const int ok = !isnan(ya) && (!valid || valid[a * yStride + i] != 0.0f);
      zi[a] = z[a * zStride + i];
      yi[a] = ok ? ya : 0.0f;
      vi[a] = ok ? 1.0f : 0.0f;
      nv += ok;
    }
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && n >= XL_RANK_PAR_MIN)
    for (int64_t a = 0; a < n; a++) {
      double *r = row + a * 6;
      if (vi[a] == 0.0f) {
        for (int c = 0; c < 6; c++) r[c] = 0.0;
        continue;
      }
      rank_row(zi[a], yi[a], zi, yi, vi, n, r);
    }
    double pos = 0.0, neg = 0.0, sP = 0.0, sR = 0.0;
    for (int64_t a = 0; a < n; a++) {
      pos += row[a * 6 + 2];
      neg += row[a * 6 + 3];
      sP += row[a * 6 + 4];
      sR += row[a * 6 + 5];
    }
    const double pairs = fmax((double)nv * (double)nv - (double)nv, 1.0);
    /* Force balance: the scale of correctly ordered pairs is a constant (no gradient). */
    const double scaleMinusOne = neg / fmax(fmax(pos, neg), 1.0) - 1.0;
    total += (sP + scaleMinusOne * sR) / pairs;
    const double f = -2.0 / ((double)k * pairs);
    for (int64_t a = 0; a < n; a++) grad[a * zStride + i] = (float)(f * (row[a * 6] + scaleMinusOne * row[a * 6 + 1]));
  }
  free(zi);
  free(yi);
  free(vi);
  free(row);
  return -total / (double)k;
}

/* Replicate-padded cross-correlation of one row: out[j] = sum_t w[t] x[clamp(j - left + t)].
 * pad holds m + size - 1 floats. Loops run over j innermost so they vectorize. */
XL_CLONES
static void smooth_row(const float *x, int64_t m, const float *w, int64_t size, int64_t left, float *pad, float *out) {
  const int64_t right = size - 1 - left;
  for (int64_t j = 0; j < left; j++) pad[j] = x[0];
  memcpy(pad + left, x, sizeof(float) * (size_t)m);
  for (int64_t j = 0; j < right; j++) pad[left + m + j] = x[m - 1];
  for (int64_t j = 0; j < m; j++) out[j] = w[0] * pad[j];
  for (int64_t t = 1; t < size; t++) {
    const float wt = w[t];
    const float *pt = pad + t;
    for (int64_t j = 0; j < m; j++) out[j] += wt * pt[j];
  }
}

/* Adjoint of smooth_row: dx = S^T dy, through the padded row (pad: m + size - 1 floats). */
XL_CLONES
static void smooth_row_adjoint(const float *dy, int64_t m, const float *w, int64_t size, int64_t left, float *pad, float *dx) {
  const int64_t len = m + size - 1;
  for (int64_t j = 0; j < len; j++) pad[j] = 0.0f;
  for (int64_t t = 0; t < size; t++) {
    const float wt = w[t];
    float *pt = pad + t;
    for (int64_t j = 0; j < m; j++) pt[j] += wt * dy[j];
  }
  memcpy(dx, pad + left, sizeof(float) * (size_t)m);
  for (int64_t j = 0; j < left; j++) dx[0] += pad[j];
  for (int64_t j = left + m; j < len; j++) dx[m - 1] += pad[j];
}

void xl_smooth(const float *x, int64_t n, int64_t m, const float *w, int64_t size, int64_t left, float *out) {
  const int nt = xl_threads();
#pragma omp parallel num_threads(nt) if (nt > 1 && n * m * size >= (1 << 22))
  {
    float *pad = malloc(sizeof(float) * (size_t)(m + size));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; r++) smooth_row(x + r * m, m, w, size, left, pad, out + r * m);
    free(pad);
  }
}

double xl_smoothness_loss(const float *x, int64_t n, int64_t m, const float *w, int64_t size, int64_t left, float *grad) {
  if (n <= 0 || m <= 0) return 0.0;
  double *rowLoss = malloc(sizeof(double) * (size_t)n);
  const int nt = xl_threads();
  const float scale = (float)(2.0 / ((double)n * (double)m));
#pragma omp parallel num_threads(nt) if (nt > 1 && n * m * size >= (1 << 22))
  {
    float *buf = malloc(sizeof(float) * (size_t)(4 * m + size));
    float *s = buf, *e = buf + m, *adj = buf + 2 * m, *pad = buf + 3 * m;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; r++) {
      const float *xr = x + r * m;
      smooth_row(xr, m, w, size, left, pad, s);
      double l = 0.0;
      /* e = x - S x: the loss is mean(e^2), its gradient 2/N (I - S)^T e. */
      for (int64_t j = 0; j < m; j++) {
        e[j] = xr[j] - s[j];
        l += (double)e[j] * (double)e[j];
      }
      rowLoss[r] = l;
      smooth_row_adjoint(e, m, w, size, left, pad, adj);
      for (int64_t j = 0; j < m; j++) grad[r * m + j] = scale * (e[j] - adj[j]);
    }
    free(buf);
  }
  double total = 0.0;
  for (int64_t r = 0; r < n; r++) total += rowLoss[r];
  free(rowLoss);
  return total / ((double)n * (double)m);
}

XL_CLONES
void xl_adamw(float *p, float *m, float *v, const float *g, int64_t n, float b1, float c1, float b2, float c2,
              float decay, float stepSize, float invBc2Sqrt, float eps) {
  /* The arithmetic of src/train/adamw.ts, operation for operation in float. */
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) * invBc2Sqrt + eps;
    p[i] = p[i] * decay + (mi / denom) * -stepSize;
  }
}

/* Column statistics accumulate in double, rows in order, so results do not depend on threads. */
XL_CLONES
void xl_bn_train_fwd(const float *x, int64_t n, int64_t h, float eps, float *out, float *mean, float *var, float *rstd) {
  double *s = calloc((size_t)h * 2, sizeof(double));
  double *q = s + h;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) s[j] += x[i * h + j];
  for (int64_t j = 0; j < h; j++) mean[j] = (float)(s[j] / (double)n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) {
      const double c = (double)(x[i * h + j] - mean[j]);
      q[j] += c * c;
    }
  for (int64_t j = 0; j < h; j++) {
    var[j] = (float)(q[j] / (double)n);
    rstd[j] = (float)(1.0 / sqrt((double)var[j] + (double)eps));
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) out[i * h + j] = (x[i * h + j] - mean[j]) * rstd[j];
  free(s);
}

XL_CLONES
void xl_bn_train_bwd(const float *dy, const float *y, const float *rstd, int64_t n, int64_t h, float *dx) {
  double *s = calloc((size_t)h * 2, sizeof(double));
  double *q = s + h;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) {
      s[j] += dy[i * h + j];
      q[j] += (double)dy[i * h + j] * (double)y[i * h + j];
    }
  float *ms = malloc(sizeof(float) * (size_t)h * 2);
  float *mq = ms + h;
  for (int64_t j = 0; j < h; j++) {
    ms[j] = (float)(s[j] / (double)n);
    mq[j] = (float)(q[j] / (double)n);
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) dx[i * h + j] = rstd[j] * (dy[i * h + j] - ms[j] - y[i * h + j] * mq[j]);
  free(s);
  free(ms);
}

XL_CLONES
void xl_prelu_bwd(const float *dy, const float *x, const float *alpha, int64_t n, int64_t h, float *dx, float *dalpha) {
  double *s = calloc((size_t)h, sizeof(double));
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) {
      const float v = x[i * h + j], g = dy[i * h + j];
      const float neg = v > 0.0f ? 0.0f : 1.0f;
      dx[i * h + j] = g * (neg * alpha[j] + (1.0f - neg));
      s[j] += (double)(g * v * neg);
    }
  for (int64_t j = 0; j < h; j++) dalpha[j] = (float)s[j];
  free(s);
}

XL_CLONES
void xl_bn_infer(const float *x, int64_t rows, int64_t h, const float *mean, const float *var, const float *scale,
                 const float *offset, double eps, float *out) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < h; j++) {
      const double v = (double)offset[j] + ((double)x[i * h + j] - (double)mean[j]) * (double)scale[j] / sqrt((double)var[j] + eps);
      out[i * h + j] = (float)v;
    }
}

/* xoshiro128** step, as Rng.nextUint32 in src/util/random.ts. */
static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static inline uint32_t xoshiro_next(uint32_t *s) {
  const uint32_t result = rotl32(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

void xl_dropout_mask(uint32_t *state, float *out, int64_t n, uint32_t threshold, float keep) {
  const int64_t even = n & ~(int64_t)1;
  for (int64_t i = 0; i < even; i += 2) {
    const uint32_t u = xoshiro_next(state);
    out[i] = (u & 0xffffu) < threshold ? 0.0f : keep;
    out[i + 1] = (u >> 16) < threshold ? 0.0f : keep;
  }
  if (even < n) out[even] = (xoshiro_next(state) & 0xffffu) < threshold ? 0.0f : keep;
}

/* x[i] += std * z_i with the deviates of Rng.normal (src/util/random.ts): Box-Muller on xoshiro128**
 * uniforms u, v in [0, 1) (u redrawn while 0), z = r cos(2 pi v) first and r sin(2 pi v) kept as the
 * spare, r = sqrt(-2 log u). Same operations in the same order in double, then one rounding to float,
 * as the JavaScript loop `x[i] += std * rng.normal()` (-ffp-contract=off keeps the product unfused). */
void xl_add_normal(uint32_t *state, double *spare, float *x, int64_t n, double std) {
  int64_t i = 0;
  if (spare[0] != 0.0 && n > 0) {
    x[i] = (float)((double)x[i] + std * spare[1]);
    i++;
    spare[0] = 0.0;
  }
  for (; i < n; i += 2) {
    double u = 0.0;
    while (u == 0.0) u = xoshiro_next(state) / 4294967296.0;
    const double v = xoshiro_next(state) / 4294967296.0;
    const double r = sqrt(-2.0 * log(u));
    const double a = 2.0 * M_PI * v;
    double sa, ca;
    sincos(a, &sa, &ca);
    const double zc = r * ca, zs = r * sa;
    x[i] = (float)((double)x[i] + std * zc);
    if (i + 1 < n) x[i + 1] = (float)((double)x[i + 1] + std * zs);
    else {
      spare[0] = 1.0;
      spare[1] = zs;
    }
  }
}

