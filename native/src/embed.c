/* Kernels of the embedding reducers (src/reducers): UMAP's layout SGD, the
 * top-k selection of the exact nearest-neighbour search, and FFT t-SNE's
 * grid repulsion with its FFT. Each one is the
 * C twin of a JavaScript loop in src/reducers and must return bit-identical
 * results, so a fit does not depend on whether the addon is built: the
 * arithmetic below follows the JavaScript operation by operation, in double,
 * and the build disables FMA contraction (-ffp-contract=off). */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef __SSE__
#include <xmmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
/* AVX2 builds also bring SSE4.1's roundsd for floor(); no FMA, so results are the same in every clone. */
#define XL_CLONES __attribute__((target_clones("avx2", "default")))
/* The FFT's lane loops are whole 512-bit vectors at 32 lanes: 0.9x the time of the AVX2 clone at M = 810 on a Zen 4
 * (which splits them in two 256-bit halves). Still no FMA (-ffp-contract=off), so the same bits. */
#define XL_CLONES_512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define XL_CLONES
#define XL_CLONES_512
#endif

/* Tables of fast_pow, built as fastPow's in src/reducers/fast-math.ts (+ - * / only, same order). */
typedef struct {
  double invC[256], log2C[256], exp2K[256];
} pow_tables;

#define XL_LN2 0.6931471805599453

static double ln_series(double c) {
  const double t = (c - 1) / (c + 1);
  const double t2 = t * t;
  double term = t, sum = 0;
  for (int k = 0; k < 40; k++) {
    sum += term / (2 * k + 1);
    term *= t2;
  }
  return 2 * sum;
}

static double exp_series(double z) {
  double term = 1, sum = 1;
  for (int k = 1; k < 30; k++) {
    term = (term * z) / k;
    sum += term;
  }
  return sum;
}

static void pow_tables_init(pow_tables *T) {
  for (int i = 0; i < 256; i++) {
    const double c = 1 + (i + 0.5) / 256;
    T->invC[i] = 1 / c;
    T->log2C[i] = ln_series(c) / XL_LN2;
  }
  for (int k = 0; k < 256; k++) T->exp2K[k] = exp_series(((double)k / 256) * XL_LN2);
}

/* x^b for finite x > 0: fastPow of src/reducers/fast-math.ts (see there), operation by operation. */
static inline double fast_pow(const pow_tables *T, double x, double b) {
  static const double L1 = 1 / XL_LN2, L2 = -1 / (2 * XL_LN2);
  static const double E1 = XL_LN2, E2 = (XL_LN2 * XL_LN2) / 2;
  union {
    double d;
    uint64_t u;
  } v = {x};
  const uint32_t hi = (uint32_t)(v.u >> 32);
  const int32_t e = (int32_t)(hi >> 20) - 1023;
  const int32_t i = (int32_t)((hi >> 12) & 255);
  v.u = ((uint64_t)((hi & 0x000fffffu) | 0x3ff00000u) << 32) | (v.u & 0xffffffffu);
  const double r = v.d * T->invC[i] - 1;
  const double log2x = e + T->log2C[i] + r * (L1 + r * L2);
  double y = b * log2x;
  if (y > 1020) y = 1020;
  else if (y < -1020) y = -1020;
  const int32_t j = (int32_t)floor(y * 256);
  const double f = y - (double)j / 256;
  const double p = 1 + f * (E1 + f * E2);
  v.u = (uint64_t)(int64_t)((j >> 8) + 1023) << 52;
  return v.d * T->exp2K[j & 255] * p;
}

static inline double clip4(double g) { return g > 4 ? 4 : g < -4 ? -4 : g; }

typedef struct {
  const pow_tables *T;
  double a, b, twoAB, gb, bm1, alpha;
  int64_t dim;
} sgd_ctx;

/* Attractive step along an edge: both ends move (umap-learn's move_other). */
static inline void attract(const sgd_ctx *c, double *ej, double *ek) {
  double d2 = 0;
  for (int64_t t = 0; t < c->dim; t++) {
    const double u = ej[t] - ek[t];
    d2 += u * u;
  }
  double coeff = 0;
  if (d2 > 0) {
    const double pb1 = fast_pow(c->T, d2, c->bm1);
    coeff = (-c->twoAB * pb1) / (c->a * pb1 * d2 + 1);
  }
  for (int64_t t = 0; t < c->dim; t++) {
    const double g = clip4(coeff * (ej[t] - ek[t]));
    ej[t] += g * c->alpha;
    ek[t] -= g * c->alpha;
  }
}

/* Repulsive step from a negative sample: only the head moves. */
static inline void repel(const sgd_ctx *c, double *ej, const double *eo) {
  double dn = 0;
  for (int64_t t = 0; t < c->dim; t++) {
    const double u = ej[t] - eo[t];
    dn += u * u;
  }
  if (dn <= 0) return;
  const double cn = c->gb / ((0.001 + dn) * (c->a * fast_pow(c->T, dn, c->b) + 1));
  for (int64_t t = 0; t < c->dim; t++) ej[t] += clip4(cn * (ej[t] - eo[t])) * c->alpha;
}

static inline uint32_t xorshift32(uint32_t *s) {
  uint32_t v = *s;
  v ^= v << 13;
  v ^= v >> 17;
  v ^= v << 5;
  return *s = v;
}

XL_CLONES
int xl_umap_sgd(double *emb, int64_t n, int64_t dim, const int32_t *head, const int32_t *tail, const double *eps,
                int64_t E, double a, double b, int64_t nEpochs, uint32_t state, double negRate, double gamma) {
  const size_t cap = (size_t)(E > 0 ? E : 1);
  double *epsNeg = malloc(sizeof(double) * cap);
  double *nextSample = malloc(sizeof(double) * cap);
  double *nextNeg = malloc(sizeof(double) * cap);
  int32_t *active = malloc(sizeof(int32_t) * cap);
  int32_t *activeNeg = malloc(sizeof(int32_t) * cap);
  int ok = epsNeg && nextSample && nextNeg && active && activeNeg;
  if (ok) {
    for (int64_t i = 0; i < E; i++) {
      epsNeg[i] = eps[i] / negRate;
      nextSample[i] = eps[i];
      nextNeg[i] = epsNeg[i];
    }
    pow_tables T;
    pow_tables_init(&T);
    uint32_t s = state ? state : 1;
    sgd_ctx c = {&T, a, b, 2 * a * b, 2 * gamma * b, b - 1, 0, dim};
    for (int64_t epoch = 0; epoch < nEpochs; epoch++) {
      const double ep = (double)epoch;
      c.alpha = 1 - ep / (double)nEpochs;
      int64_t A = 0;
      for (int64_t i = 0; i < E; i++) {
        if (nextSample[i] > ep) continue;
        nextSample[i] += eps[i];
        const double nNeg = floor((ep - nextNeg[i]) / epsNeg[i]);
        nextNeg[i] += nNeg * epsNeg[i];
        active[A] = (int32_t)i;
        activeNeg[A++] = nNeg > 0 ? (int32_t)nNeg : 0;
      }
      /* Two lanes, the active edges' first and second halves, stepped alternately. */
      const int64_t h = (A + 1) / 2;
      for (int64_t q = 0; q < h; q++) {
        const int32_t u = active[q];
        double *eu = emb + (int64_t)head[u] * dim;
        attract(&c, eu, emb + (int64_t)tail[u] * dim);
        const int32_t nu = activeNeg[q];
        if (q + h < A) {
          const int32_t v = active[q + h];
          double *ev = emb + (int64_t)head[v] * dim;
          attract(&c, ev, emb + (int64_t)tail[v] * dim);
          const int32_t nv = activeNeg[q + h];
          const int32_t m = nu > nv ? nu : nv;
          for (int32_t p = 0; p < m; p++) {
            if (p < nu) repel(&c, eu, emb + (int64_t)(xorshift32(&s) % (uint32_t)n) * dim);
            if (p < nv) repel(&c, ev, emb + (int64_t)(xorshift32(&s) % (uint32_t)n) * dim);
          }
        } else {
          for (int32_t p = 0; p < nu; p++) repel(&c, eu, emb + (int64_t)(xorshift32(&s) % (uint32_t)n) * dim);
        }
      }
    }
  }
  free(epsNeg);
  free(nextSample);
  free(nextNeg);
  free(active);
  free(activeNeg);
  return ok ? 0 : -1;
}

/* Winners ahead whose rows are prefetched in the exact-distance pass of knn_row. */
#define XL_KNN_AHEAD 4

static inline void prefetch_row(const float *x, int64_t p) {
  for (int64_t t = 0; t < p; t += 16) __builtin_prefetch(x + t);
}

/* (d, j) before (e, l) in the order of knn_row's selection: distance first, then index, so the selected set is unique. */
static inline int knn_before(double d, int32_t j, double e, int32_t l) { return d < e || (d == e && j < l); }

/* Rearranges the m candidates (d, ix) so that position t holds the (t + 1)-th in (d, index) order, the ones before it
 * precede it and the ones after it follow: quickselect with a median-of-three pivot and a branch-free Lomuto
 * partition (every element swapped, the boundary advanced by the comparison's outcome), as the outcomes are
 * unpredictable. */
static void knn_nth(double *d, int32_t *ix, int64_t m, int64_t t) {
#define XL_KNN_SWAP(u, v)                                                                                                  \
  do {                                                                                                                     \
    const double td = d[u];                                                                                                \
    d[u] = d[v];                                                                                                           \
    d[v] = td;                                                                                                             \
    const int32_t ti = ix[u];                                                                                              \
    ix[u] = ix[v];                                                                                                         \
    ix[v] = ti;                                                                                                            \
  } while (0)
  int64_t lo = 0, hi = m - 1;
  while (hi - lo > 8) {
    const int64_t mid = lo + ((hi - lo) >> 1);
    if (knn_before(d[mid], ix[mid], d[lo], ix[lo])) XL_KNN_SWAP(mid, lo);
    if (knn_before(d[hi], ix[hi], d[lo], ix[lo])) XL_KNN_SWAP(hi, lo);
    if (knn_before(d[mid], ix[mid], d[hi], ix[hi])) XL_KNN_SWAP(hi, mid);
    /* The median of the three is now at hi, the pivot. */
    const double pd = d[hi];
    const int32_t pj = ix[hi];
    int64_t s = lo;
    for (int64_t e = lo; e < hi; e++) {
      const double v = d[e];
      const int32_t j = ix[e];
      d[e] = d[s];
      ix[e] = ix[s];
      d[s] = v;
      ix[s] = j;
      s += (v < pd) | ((v == pd) & (j < pj));
    }
    XL_KNN_SWAP(s, hi);
    if (t < s) hi = s - 1;
    else if (t > s) lo = s + 1;
    else return;
  }
  for (int64_t u = lo + 1; u <= hi; u++) {
    const double v = d[u];
    const int32_t j = ix[u];
    int64_t w = u - 1;
    while (w >= lo && knn_before(v, j, d[w], ix[w])) {
      d[w + 1] = d[w];
      ix[w + 1] = ix[w];
      w--;
    }
    d[w + 1] = v;
    ix[w + 1] = j;
  }
#undef XL_KNN_SWAP
}

/* Candidates per query row held before they are cut back to the kk best, as a multiple of kk. */
#define XL_KNN_BUFFER 2

/* The running selection of one query row: candidates hk/hi (m of them, at most cap) and thr, the kk-th best
 * approximate distance once the buffer has been cut back at least once (infinity before). */
typedef struct {
  double *hk;
  int32_t *hi;
  int64_t m, cap, kk;
  double thr;
} knn_buf;

/* Appends candidate (d, j); a full buffer is cut back to the kk best, and thr tightens to the kk-th. */
static inline void knn_take(knn_buf *b, double d, int64_t j) {
  b->hk[b->m] = d;
  b->hi[b->m++] = (int32_t)j;
  if (b->m == b->cap) {
    knn_nth(b->hk, b->hi, b->m, b->kk - 1);
    b->thr = b->hk[b->kk - 1];
    b->m = b->kk;
  }
}

/* The scan of one dot-product row: every j != i whose approximate squared distance is below thr is taken.
 * Scanning in index order, a candidate tying the kk-th best so far comes after it in (d, index), so the strict
 * test d < thr drops only candidates outside the final set; a thr that lags behind lets extra ones in, which
 * the cut drops, so the set never depends on when the buffer is cut. */
static void knn_scan(const float *dots, int64_t n, const double *norms, int64_t i, knn_buf *b) {
  const double ni = norms[i];
  for (int64_t j = 0; j < n; j++) {
    const double d = ni + norms[j] - 2 * (double)dots[j];
    if (d < b->thr && j != i) knn_take(b, d, j);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* knn_scan eight candidates at a time: the same double operations, (ni + norms[j]) - (dots[j] + dots[j]), four
 * lanes wide, and one branch per eight where most rows take one candidate in twenty or fewer. */
__attribute__((target("avx2"))) static void knn_scan_avx2(const float *dots, int64_t n, const double *norms, int64_t i,
                                                         knn_buf *b) {
  const double ni = norms[i];
  const __m256d vni = _mm256_set1_pd(ni);
  __m256d vthr = _mm256_set1_pd(b->thr);
  double dd[8];
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256d f0 = _mm256_cvtps_pd(_mm_loadu_ps(dots + j)), f1 = _mm256_cvtps_pd(_mm_loadu_ps(dots + j + 4));
    const __m256d d0 = _mm256_sub_pd(_mm256_add_pd(vni, _mm256_loadu_pd(norms + j)), _mm256_add_pd(f0, f0));
    const __m256d d1 = _mm256_sub_pd(_mm256_add_pd(vni, _mm256_loadu_pd(norms + j + 4)), _mm256_add_pd(f1, f1));
    unsigned mask = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(d0, vthr, _CMP_LT_OQ)) |
                    ((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(d1, vthr, _CMP_LT_OQ)) << 4);
    if (!mask) continue;
    _mm256_storeu_pd(dd, d0);
    _mm256_storeu_pd(dd + 4, d1);
    do {
      const int t = __builtin_ctz(mask);
      mask &= mask - 1;
      if (dd[t] < b->thr && j + t != i) knn_take(b, dd[t], j + t);
    } while (mask);
    vthr = _mm256_set1_pd(b->thr);
  }
  for (; j < n; j++) {
    const double d = ni + norms[j] - 2 * (double)dots[j];
    if (d < b->thr && j != i) knn_take(b, d, j);
  }
}
#define XL_KNN_AVX2 1
#endif

/* One query row of xl_knn_select: the kk smallest approximate squared distances, ties by index (selectRow's
 * order), then the winners' exact distances, sorted. Candidates below the kk-th best so far are appended to a
 * buffer of XL_KNN_BUFFER * kk, which a quickselect cuts back to the kk best whenever it fills: O(1) per
 * candidate where a heap sifts log2(kk) levels. */
static void knn_row(const float *dots, int64_t n, const double *norms, int64_t i, const float *X, int64_t p, int64_t kk,
                    double *hk, int32_t *hi, int64_t cap, int avx2, int32_t *indices, double *distances) {
  knn_buf b = {hk, hi, 0, cap, kk, INFINITY};
#ifdef XL_KNN_AVX2
  if (avx2) knn_scan_avx2(dots, n, norms, i, &b);
  else
#endif
    knn_scan(dots, n, norms, i, &b);
  /* Only non-finite approximate distances (float32 dot products that overflowed) fail d < thr while thr is still
   * infinite; they fill the slots left in index order, as (infinity, j) would, so no winner is left unset. */
  for (int64_t j = 0; b.m < kk && j < n; j++) {
    int64_t u = 0;
    while (u < b.m && hi[u] != j) u++;
    if (j != i && u == b.m) {
      hk[b.m] = INFINITY;
      hi[b.m++] = (int32_t)j;
    }
  }
  if (b.m > kk) knn_nth(hk, hi, b.m, kk - 1);
  int32_t *ind = indices + i * kk;
  double *dis = distances + i * kk;
  const float *xi = X + i * p;
  /* The winners' rows are scattered over X: each is fetched a few winners ahead, while earlier ones are summed. */
  for (int64_t a = 0; a < kk && a < XL_KNN_AHEAD; a++) prefetch_row(X + (int64_t)hi[a] * p, p);
  for (int64_t a = 0; a < kk; a++) {
    if (a + XL_KNN_AHEAD < kk) prefetch_row(X + (int64_t)hi[a + XL_KNN_AHEAD] * p, p);
    const float *xj = X + (int64_t)hi[a] * p;
    double s = 0;
    for (int64_t t = 0; t < p; t++) {
      const double u = (double)xi[t] - (double)xj[t];
      s += u * u;
    }
    ind[a] = hi[a];
    dis[a] = sqrt(s);
  }
  for (int64_t a = 1; a < kk; a++) {
    const int32_t j = ind[a];
    const double v = dis[a];
    int64_t b = a - 1;
    while (b >= 0 && (dis[b] > v || (dis[b] == v && ind[b] > j))) {
      dis[b + 1] = dis[b];
      ind[b + 1] = ind[b];
      b--;
    }
    dis[b + 1] = v;
    ind[b + 1] = j;
  }
}

int xl_knn_select(const float *dots, int64_t rows, int64_t n, const double *norms, int64_t q0, const float *X, int64_t p,
                   int64_t kk, int32_t *indices, double *distances) {
  const int nt = xl_threads();
  int failed = 0;
#ifdef XL_KNN_AVX2
  const int avx2 = __builtin_cpu_supports("avx2");
#else
  const int avx2 = 0;
#endif
  /* Rows are independent and each is computed alone, so any thread count gives the same result. */
#pragma omp parallel num_threads(nt) if (nt > 1 && rows > 1)
  {
    const int64_t cap = XL_KNN_BUFFER * kk;
    double *hk = malloc(sizeof(double) * (size_t)cap);
    int32_t *hi = malloc(sizeof(int32_t) * (size_t)cap);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      if (hk && hi) knn_row(dots + r * n, n, norms, q0 + r, X, p, kk, hk, hi, cap, avx2, indices, distances);
    }
    if (!hk || !hi) {
#pragma omp atomic write
      failed = 1;
    }
    free(hk);
    free(hi);
  }
  return failed ? -1 : 0;
}

/* ---- Complex FFT of lengths 2^a 3^b 5^c: the twin of src/reducers/fft.ts (same stages, same roots, same
 * operation order), so FFT t-SNE gives the same bits with or without the addon. ---- */

typedef struct {
  int64_t n;
  int nf;
  int factors[64];
  float *roots; /* cos, sin of 2 pi t / n, interleaved, rounded to float */
} fft_plan;

static double sin_series(double x) {
  const double x2 = x * x;
  double term = x, sum = x;
  for (int k = 1; k <= 12; k++) {
    term = (term * -x2) / (double)(2 * k * (2 * k + 1));
    sum += term;
  }
  return sum;
}

static double cos_series(double x) {
  const double x2 = x * x;
  double term = 1, sum = 1;
  for (int k = 1; k <= 12; k++) {
    term = (term * -x2) / (double)((2 * k - 1) * (2 * k));
    sum += term;
  }
  return sum;
}

/* unitRoots of fft.ts: octant by exact integer tests, then the series. */
static void unit_roots(int64_t n, double *out) {
  const double PI = 3.141592653589793;
  for (int64_t t = 0; t < n; t++) {
    const int64_t o = 8 * t;
    double c, s;
    if (o <= n) {
      const double phi = (2 * PI * (double)t) / (double)n;
      c = cos_series(phi);
      s = sin_series(phi);
    } else if (o <= 3 * n) {
      const double phi = (PI * (double)(4 * t - n)) / (double)(2 * n);
      c = -sin_series(phi);
      s = cos_series(phi);
    } else if (o <= 5 * n) {
      const double phi = (PI * (double)(2 * t - n)) / (double)n;
      c = -cos_series(phi);
      s = -sin_series(phi);
    } else if (o <= 7 * n) {
      const double phi = (PI * (double)(4 * t - 3 * n)) / (double)(2 * n);
      c = sin_series(phi);
      s = -cos_series(phi);
    } else {
      const double phi = (2 * PI * (double)(t - n)) / (double)n;
      c = cos_series(phi);
      s = sin_series(phi);
    }
    out[2 * t] = c;
    out[2 * t + 1] = s;
  }
}

static int fft_plan_init(fft_plan *p, int64_t n) {
  p->n = n;
  p->nf = 0;
  p->roots = NULL;
  if (n < 1) return -1;
  int64_t r = n;
  while (r % 4 == 0 && p->nf < 64) {
    p->factors[p->nf++] = 4;
    r /= 4;
  }
  if (r % 2 == 0 && p->nf < 64) {
    p->factors[p->nf++] = 2;
    r /= 2;
  }
  while (r % 3 == 0 && p->nf < 64) {
    p->factors[p->nf++] = 3;
    r /= 3;
  }
  while (r % 5 == 0 && p->nf < 64) {
    p->factors[p->nf++] = 5;
    r /= 5;
  }
  if (r != 1) return -1;
  double *w = malloc(sizeof(double) * 2 * (size_t)n);
  p->roots = malloc(sizeof(float) * 2 * (size_t)n);
  if (!w || !p->roots) {
    free(w);
    return -1;
  }
  unit_roots(n, w);
  for (int64_t t = 0; t < 2 * n; t++) p->roots[t] = (float)w[t];
  free(w);
  return 0;
}

/* Stages of fft.ts over L lanes, planar, in float arithmetic as fft.ts rounds every operation with Math.fround;
 * the lane loops vectorize. */
#define XL_INLINE static inline __attribute__((always_inline))
/* The lanes of a stage never overlap (inputs and outputs are different buffers); after inlining GCC cannot see
 * that and gives up on the alias checks of the radix-4 and -5 stages, which then ran scalar. */
#define XL_IVDEP _Pragma("GCC ivdep")

/* Where a transform (or one stage of it) reads and writes. Element e of lane l of the input is at xr[e xs + l]
 * (xi likewise); elements from xn on are zero and are read from zero (L zeros). The output goes to yr[e ys + l]
 * for e < yn; the stores of the elements from yn on (not needed) go to dum (10 L floats). With kh, the inputs are
 * multiplied by kh[e L + l] as they are read (the kernel's transform, in the column pass). The grid passes read
 * their first stage straight from the grid and write their last straight back (xs, ys = M), so the columns are
 * never copied to and from the scratch. */
typedef struct {
  const float *xr, *xi;
  int64_t xs, xn;
  float *yr, *yi;
  int64_t ys, yn;
  const float *kh, *zero;
  float *dum;
} fft_io;

/* The lanes of input element e, and of output element e (slot: its own dummy row when e is not needed). lim = 0
 * (the middle stages) skips the tests. */
XL_INLINE const float *fft_src(const fft_io *io, const float *x, int64_t e, int lim) {
  return lim && e >= io->xn ? io->zero : x + e * io->xs;
}

XL_INLINE float *fft_dst(const fft_io *io, float *y, int64_t e, int slot, int64_t L, int lim) {
  return lim && e >= io->yn ? io->dum + slot * L : y + e * io->ys;
}

XL_INLINE const float *fft_khat(const fft_io *io, int64_t e, int64_t L, int km) {
  return km ? io->kh + e * L : NULL;
}

/* The lanes one butterfly of a radix-R stage reads (elements j + r m, with their khat rows) and writes (elements
 * e0 + r ns), r < R. */
XL_INLINE void fft_lanes(const fft_io *io, int R, int64_t j, int64_t m, int64_t e0, int64_t ns, int64_t L, int lim, int km,
                         const float **ar, const float **ai, const float **kk, float **br, float **bi) {
  for (int r = 0; r < R; r++) {
    ar[r] = fft_src(io, io->xr, j + r * m, lim);
    ai[r] = fft_src(io, io->xi, j + r * m, lim);
    kk[r] = fft_khat(io, j + r * m, L, km);
    br[r] = fft_dst(io, io->yr, e0 + r * ns, 2 * r, L, lim);
    bi[r] = fft_dst(io, io->yi, e0 + r * ns, 2 * r + 1, L, lim);
  }
}

/* An input lane: the product with khat rounds as the separate multiply of fft.ts (tsne-fft.ts) does. */
#define XL_LD(a, k) (km ? (a)[l] * (k)[l] : (a)[l])

XL_INLINE void fft_stage2(const fft_io *io, int64_t n, int64_t ns, int64_t L, float sign, const float *w, int lim, int km) {
  const int64_t m = n / 2;
  const int64_t stride = n / (ns * 2);
  /* j = q ns + k in increasing order, without a division per j. */
  for (int64_t q = 0, j = 0; q < m / ns; q++)
    for (int64_t k = 0; k < ns; k++, j++) {
      const int64_t t = k * stride;
      const float c1 = w[2 * t], s1 = sign * w[2 * t + 1];
      const float *ar[2], *ai[2], *kk[2];
      float *br[2], *bi[2];
      fft_lanes(io, 2, j, m, (j - k) * 2 + k, ns, L, lim, km, ar, ai, kk, br, bi);
      XL_IVDEP
      for (int64_t l = 0; l < L; l++) {
        const float x0 = XL_LD(ar[0], kk[0]), y0 = XL_LD(ai[0], kk[0]), u = XL_LD(ar[1], kk[1]), v = XL_LD(ai[1], kk[1]);
        const float x1 = u * c1 - v * s1, y1 = u * s1 + v * c1;
        br[0][l] = x0 + x1;
        bi[0][l] = y0 + y1;
        br[1][l] = x0 - x1;
        bi[1][l] = y0 - y1;
      }
    }
}

XL_INLINE void fft_stage3(const fft_io *io, int64_t n, int64_t ns, int64_t L, float sign, const float *w, int lim, int km) {
  const int64_t m = n / 3;
  const float h = (float)(sign * (sqrt(3.0) / 2));
  const int64_t stride = n / (ns * 3);
  for (int64_t q = 0, j = 0; q < m / ns; q++)
    for (int64_t k = 0; k < ns; k++, j++) {
      const int64_t t = k * stride;
      const float c1 = w[2 * t], s1 = sign * w[2 * t + 1], c2 = w[4 * t], s2 = sign * w[4 * t + 1];
      const float *ar[3], *ai[3], *kk[3];
      float *br[3], *bi[3];
      fft_lanes(io, 3, j, m, (j - k) * 3 + k, ns, L, lim, km, ar, ai, kk, br, bi);
      XL_IVDEP
      for (int64_t l = 0; l < L; l++) {
        const float x0 = XL_LD(ar[0], kk[0]), y0 = XL_LD(ai[0], kk[0]);
        const float u1 = XL_LD(ar[1], kk[1]), v1 = XL_LD(ai[1], kk[1]), u2 = XL_LD(ar[2], kk[2]), v2 = XL_LD(ai[2], kk[2]);
        const float x1 = u1 * c1 - v1 * s1, y1 = u1 * s1 + v1 * c1;
        const float x2 = u2 * c2 - v2 * s2, y2 = u2 * s2 + v2 * c2;
        const float sx = x1 + x2, sy = y1 + y2;
        const float dx = h * (x1 - x2), dy = h * (y1 - y2);
        const float mx = x0 - 0.5f * sx, my = y0 - 0.5f * sy;
        br[0][l] = x0 + sx;
        bi[0][l] = y0 + sy;
        br[1][l] = mx - dy;
        bi[1][l] = my + dx;
        br[2][l] = mx + dy;
        bi[2][l] = my - dx;
      }
    }
}

XL_INLINE void fft_stage4(const fft_io *io, int64_t n, int64_t ns, int64_t L, float sign, const float *w, int lim, int km) {
  const int64_t m = n / 4;
  const int64_t stride = n / (ns * 4);
  for (int64_t q = 0, j = 0; q < m / ns; q++)
    for (int64_t k = 0; k < ns; k++, j++) {
      const int64_t t = k * stride;
      const float c1 = w[2 * t], s1 = sign * w[2 * t + 1], c2 = w[4 * t], s2 = sign * w[4 * t + 1];
      const float c3 = w[6 * t], s3 = sign * w[6 * t + 1];
      const float *ar[4], *ai[4], *kk[4];
      float *br[4], *bi[4];
      fft_lanes(io, 4, j, m, (j - k) * 4 + k, ns, L, lim, km, ar, ai, kk, br, bi);
      XL_IVDEP
      for (int64_t l = 0; l < L; l++) {
        const float x0 = XL_LD(ar[0], kk[0]), y0 = XL_LD(ai[0], kk[0]);
        const float u1 = XL_LD(ar[1], kk[1]), v1 = XL_LD(ai[1], kk[1]), u2 = XL_LD(ar[2], kk[2]), v2 = XL_LD(ai[2], kk[2]);
        const float u3 = XL_LD(ar[3], kk[3]), v3 = XL_LD(ai[3], kk[3]);
        const float x1 = u1 * c1 - v1 * s1, y1 = u1 * s1 + v1 * c1;
        const float x2 = u2 * c2 - v2 * s2, y2 = u2 * s2 + v2 * c2;
        const float x3 = u3 * c3 - v3 * s3, y3 = u3 * s3 + v3 * c3;
        const float ax = x0 + x2, ay = y0 + y2, bx = x0 - x2, by = y0 - y2;
        const float cx = x1 + x3, cy = y1 + y3;
        const float dx = -sign * (y1 - y3), dy = sign * (x1 - x3);
        br[0][l] = ax + cx;
        bi[0][l] = ay + cy;
        br[1][l] = bx + dx;
        bi[1][l] = by + dy;
        br[2][l] = ax - cx;
        bi[2][l] = ay - cy;
        br[3][l] = bx - dx;
        bi[3][l] = by - dy;
      }
    }
}

XL_INLINE void fft_stage5(const fft_io *io, int64_t n, int64_t ns, int64_t L, float sign, const float *w, int lim, int km) {
  const int64_t m = n / 5;
  /* cos and sin of 2 pi / 5 and 4 pi / 5 from the roots table, as stage5 of fft.ts. */
  const float ca = w[2 * m], sa = sign * w[2 * m + 1], cb = w[4 * m], sb = sign * w[4 * m + 1];
  const int64_t stride = n / (ns * 5);
  for (int64_t q = 0, j = 0; q < m / ns; q++)
    for (int64_t k = 0; k < ns; k++, j++) {
      const int64_t t = k * stride;
      const float c1 = w[2 * t], s1 = sign * w[2 * t + 1], c2 = w[4 * t], s2 = sign * w[4 * t + 1];
      const float c3 = w[6 * t], s3 = sign * w[6 * t + 1], c4 = w[8 * t], s4 = sign * w[8 * t + 1];
      const float *ar[5], *ai[5], *kk[5];
      float *br[5], *bi[5];
      fft_lanes(io, 5, j, m, (j - k) * 5 + k, ns, L, lim, km, ar, ai, kk, br, bi);
      XL_IVDEP
      for (int64_t l = 0; l < L; l++) {
        const float x0 = XL_LD(ar[0], kk[0]), y0 = XL_LD(ai[0], kk[0]);
        const float u1 = XL_LD(ar[1], kk[1]), v1 = XL_LD(ai[1], kk[1]), u2 = XL_LD(ar[2], kk[2]), v2 = XL_LD(ai[2], kk[2]);
        const float u3 = XL_LD(ar[3], kk[3]), v3 = XL_LD(ai[3], kk[3]), u4 = XL_LD(ar[4], kk[4]), v4 = XL_LD(ai[4], kk[4]);
        const float x1 = u1 * c1 - v1 * s1, y1 = u1 * s1 + v1 * c1;
        const float x2 = u2 * c2 - v2 * s2, y2 = u2 * s2 + v2 * c2;
        const float x3 = u3 * c3 - v3 * s3, y3 = u3 * s3 + v3 * c3;
        const float x4 = u4 * c4 - v4 * s4, y4 = u4 * s4 + v4 * c4;
        const float t1x = x1 + x4, t1y = y1 + y4, t2x = x2 + x3, t2y = y2 + y3;
        const float d1x = x1 - x4, d1y = y1 - y4, d2x = x2 - x3, d2y = y2 - y3;
        const float ax = x0 + (ca * t1x + cb * t2x), ay = y0 + (ca * t1y + cb * t2y);
        const float bx = x0 + (cb * t1x + ca * t2x), by = y0 + (cb * t1y + ca * t2y);
        const float ex = sa * d1x + sb * d2x, ey = sa * d1y + sb * d2y;
        const float gx = sb * d1x - sa * d2x, gy = sb * d1y - sa * d2y;
        br[0][l] = x0 + (t1x + t2x);
        bi[0][l] = y0 + (t1y + t2y);
        br[1][l] = ax - ey;
        bi[1][l] = ay + ex;
        br[4][l] = ax + ey;
        bi[4][l] = ay - ex;
        br[2][l] = bx - gy;
        bi[2][l] = by + gx;
        br[3][l] = bx + gy;
        bi[3][l] = by - gx;
      }
    }
}

/* Elements ahead whose lanes the first stage of a forward pass on a half-zero input prefetches: in the column pass
 * it reads the grid a row of M floats apart per element, a stride the hardware prefetchers follow poorly (the stage
 * spent its time waiting on them). */
#define XL_FFT_AHEAD 6

XL_INLINE void fft_prefetch(const fft_io *io, int64_t e, int64_t L) {
  const float *r = io->xr + e * io->xs, *i = io->xi + e * io->xs;
  __builtin_prefetch(r);
  __builtin_prefetch(r + L - 1);
  __builtin_prefetch(i);
  __builtin_prefetch(i + L - 1);
}

/* The first stage (ns = 1) of a transform whose elements n/2.. are zero and are not read: their twiddled values are
 * +0 exactly (the twiddles are cos 0 = 1 and sin 0 = +0), so these give fft_stage4's and fft_stage2's bits, with
 * the + 0.0f kept where it turns -0 into +0. */
XL_INLINE void fft_stage4_half(const fft_io *io, int64_t n, int64_t L, float sign, const float *w) {
  const int64_t m = n / 4;
  const float c1 = w[0], s1 = sign * w[1];
  for (int64_t j = 0; j < m; j++) {
    if (j + XL_FFT_AHEAD < m && j + m + XL_FFT_AHEAD < io->xn) {
      fft_prefetch(io, j + XL_FFT_AHEAD, L);
      fft_prefetch(io, j + m + XL_FFT_AHEAD, L);
    }
    const float *a0r = fft_src(io, io->xr, j, 1), *a0i = fft_src(io, io->xi, j, 1);
    const float *a1r = fft_src(io, io->xr, j + m, 1), *a1i = fft_src(io, io->xi, j + m, 1);
    float *b0r = fft_dst(io, io->yr, 4 * j, 0, L, 1), *b0i = fft_dst(io, io->yi, 4 * j, 1, L, 1);
    float *b1r = fft_dst(io, io->yr, 4 * j + 1, 2, L, 1), *b1i = fft_dst(io, io->yi, 4 * j + 1, 3, L, 1);
    float *b2r = fft_dst(io, io->yr, 4 * j + 2, 4, L, 1), *b2i = fft_dst(io, io->yi, 4 * j + 2, 5, L, 1);
    float *b3r = fft_dst(io, io->yr, 4 * j + 3, 6, L, 1), *b3i = fft_dst(io, io->yi, 4 * j + 3, 7, L, 1);
    XL_IVDEP
    for (int64_t l = 0; l < L; l++) {
      const float x0 = a0r[l], y0 = a0i[l], u1 = a1r[l], v1 = a1i[l];
      const float x1 = u1 * c1 - v1 * s1, y1 = u1 * s1 + v1 * c1;
      const float ax = x0 + 0.0f, ay = y0 + 0.0f, cx = x1 + 0.0f, cy = y1 + 0.0f;
      const float dx = -sign * y1, dy = sign * x1;
      b0r[l] = ax + cx;
      b0i[l] = ay + cy;
      b1r[l] = x0 + dx;
      b1i[l] = y0 + dy;
      b2r[l] = ax - cx;
      b2i[l] = ay - cy;
      b3r[l] = x0 - dx;
      b3i[l] = y0 - dy;
    }
  }
}

XL_INLINE void fft_stage2_half(const fft_io *io, int64_t n, int64_t L) {
  const int64_t m = n / 2;
  for (int64_t j = 0; j < m; j++) {
    if (j + XL_FFT_AHEAD < m && j + XL_FFT_AHEAD < io->xn) fft_prefetch(io, j + XL_FFT_AHEAD, L);
    const float *a0r = fft_src(io, io->xr, j, 1), *a0i = fft_src(io, io->xi, j, 1);
    float *b0r = fft_dst(io, io->yr, 2 * j, 0, L, 1), *b0i = fft_dst(io, io->yi, 2 * j, 1, L, 1);
    float *b1r = fft_dst(io, io->yr, 2 * j + 1, 2, L, 1), *b1i = fft_dst(io, io->yi, 2 * j + 1, 3, L, 1);
    XL_IVDEP
    for (int64_t l = 0; l < L; l++) {
      const float x0 = a0r[l], y0 = a0i[l];
      b0r[l] = x0 + 0.0f;
      b0i[l] = y0 + 0.0f;
      b1r[l] = x0;
      b1i[l] = y0;
    }
  }
}

#undef XL_LD

XL_INLINE void fft_stage(int R, const fft_io *io, int64_t n, int64_t ns, int64_t L, float sign, const float *w, int lim, int km) {
  if (R == 4) fft_stage4(io, n, ns, L, sign, w, lim, km);
  else if (R == 2) fft_stage2(io, n, ns, L, sign, w, lim, km);
  else if (R == 3) fft_stage3(io, n, ns, L, sign, w, lim, km);
  else fft_stage5(io, n, ns, L, sign, w, lim, km);
}

/* FftPlan.transform of fft.ts on L lanes, from io's input to io's output (yr NULL: the result stays in the
 * scratch). The stages alternate between the scratch pairs (s[0], s[1]) and (s[2], s[3]), each of n L floats;
 * in: the pair holding the input, or -1 when it lies elsewhere. Returns the pair holding the result, or -1 when it
 * went to io's output. half: input elements n/2.. are zero and are not read (n even, so the first stage is 4 or 2).
 * A stage that would read and write the same buffer (one stage from the output to itself) writes the scratch, and
 * the result is copied. */
XL_INLINE int fft_run(const fft_plan *p, const fft_io *io, float *const s[4], int in, int64_t L, float sign, int half) {
  const int64_t n = p->n;
  int cur = in;
  int64_t ns = 1;
  for (int f = 0; f < p->nf; f++) {
    const int R = p->factors[f], out = cur < 0 ? 0 : cur ^ 1;
    const int last = f == p->nf - 1 && io->yr && !(f == 0 && (io->xr == io->yr || io->xi == io->yi));
    fft_io st = *io;
    if (f > 0) {
      st.xr = s[2 * cur];
      st.xi = s[2 * cur + 1];
      st.xs = L;
      st.xn = n;
    }
    if (!last) {
      st.yr = s[2 * out];
      st.yi = s[2 * out + 1];
      st.ys = L;
      st.yn = n;
    }
    if (f == 0 && half && R == 4) fft_stage4_half(&st, n, L, sign, p->roots);
    else if (f == 0 && half) fft_stage2_half(&st, n, L);
    else if (f == 0 && io->kh) fft_stage(R, &st, n, ns, L, sign, p->roots, 1, 1);
    else if (f == 0 || last) fft_stage(R, &st, n, ns, L, sign, p->roots, 1, 0);
    else fft_stage(R, &st, n, ns, L, sign, p->roots, 0, 0);
    ns *= R;
    if (last) return -1;
    cur = out;
  }
  if (!io->yr) return cur;
  /* No stage wrote the output (one stage in place, or none): copied from where the result is. */
  for (int64_t e = 0; e < io->yn; e++) {
    const float *xr = cur < 0 ? fft_src(io, io->xr, e, 1) : s[2 * cur] + e * L;
    const float *xi = cur < 0 ? fft_src(io, io->xi, e, 1) : s[2 * cur + 1] + e * L;
    if (xr != io->yr + e * io->ys) memmove(io->yr + e * io->ys, xr, sizeof(float) * (size_t)L);
    if (xi != io->yi + e * io->ys) memmove(io->yi + e * io->ys, xi, sizeof(float) * (size_t)L);
  }
  return -1;
}

/* The grid passes transform blocks of 32 lanes (fft_lane_block): with L a constant the lane loops are whole vectors
 * without remainder loops (the same operations, so the same bits). */
XL_CLONES_512
static int fft_transform(const fft_plan *p, const fft_io *io, float *const s[4], int in, int64_t L, float sign, int half) {
  if (L == 32) return fft_run(p, io, s, in, 32, sign, half);
  return fft_run(p, io, s, in, L, sign, half);
}

/* This thread's share [*lo, *hi) of n items inside an OpenMP parallel region (all of them outside one). */
static inline void xl_thread_share(int64_t n, int64_t *lo, int64_t *hi) {
#ifdef _OPENMP
  const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
#else
  const int64_t t = 0, T = 1;
#endif
  *lo = n * t / T;
  *hi = n * (t + 1) / T;
}

/* Per-thread scratch kept between calls (t-SNE calls the grid code every iteration; a fresh malloc of these sizes
 * is an mmap with page faults each time). Thread-local, so Node's worker threads and OpenMP's never share one. */
typedef struct {
  void *p;
  size_t cap;
} xl_scratch;

static void *scratch_get(xl_scratch *s, size_t bytes) {
  if (bytes > s->cap) {
    void *q = realloc(s->p, bytes);
    if (!q) return NULL;
    s->p = q;
    s->cap = bytes;
  }
  return s->p;
}

static __thread xl_scratch fft_lane_scratch;

/* Sequences per block: 32 lanes fill whole cache lines in the gathers and whole vectors in the stages (blocks of
 * 8 or 16 measured slower on grids of 972 and 1458; ~0.5 MB of cache at M = 1000). */
static int64_t fft_lane_block(int64_t M) {
  (void)M;
  return 32;
}

/* Floats of the scratch of a transform of n elements on L lanes: two pairs of n L, then L zeros and 10 L dummies
 * (fft_io). */
static size_t fft_scratch_floats(int64_t n, int64_t L) {
  return (size_t)(4 * n * L + 11 * L);
}

/* Splits a scratch of fft_scratch_floats(n, L) into the pairs s and an io with zero and dum set (zero cleared). */
static fft_io fft_scratch_io(float *buf, int64_t n, int64_t L, float *s[4]) {
  for (int k = 0; k < 4; k++) s[k] = buf + k * n * L;
  fft_io io = {0};
  io.zero = buf + 4 * n * L;
  io.dum = buf + 4 * n * L + L;
  memset(buf + 4 * n * L, 0, sizeof(float) * (size_t)L);
  return io;
}

/* dst[c ds + r] = src[r ss + c] for r < rows, c < cols: 4 x 4 tiles through SSE registers where there is SSE (pure
 * data movement, so the bits are those of the scalar loop), the edges one by one. */
static void transpose_block(const float *restrict src, int64_t ss, float *restrict dst, int64_t ds, int64_t rows, int64_t cols) {
  int64_t r0 = 0;
#ifdef __SSE__
  for (; r0 + 4 <= rows; r0 += 4) {
    const float *s0 = src + r0 * ss;
    int64_t c0 = 0;
    for (; c0 + 4 <= cols; c0 += 4) {
      __m128 a = _mm_loadu_ps(s0 + c0), b = _mm_loadu_ps(s0 + ss + c0), c = _mm_loadu_ps(s0 + 2 * ss + c0),
             d = _mm_loadu_ps(s0 + 3 * ss + c0);
      _MM_TRANSPOSE4_PS(a, b, c, d);
      _mm_storeu_ps(dst + c0 * ds + r0, a);
      _mm_storeu_ps(dst + (c0 + 1) * ds + r0, b);
      _mm_storeu_ps(dst + (c0 + 2) * ds + r0, c);
      _mm_storeu_ps(dst + (c0 + 3) * ds + r0, d);
    }
    for (; c0 < cols; c0++)
      for (int64_t r = r0; r < r0 + 4; r++) dst[c0 * ds + r] = src[r * ss + c0];
  }
#endif
  for (; r0 < rows; r0++)
    for (int64_t c = 0; c < cols; c++) dst[c * ds + r0] = src[r0 * ss + c];
}

/* The arguments of one grid pass (fft_rows or fft_columns) that its blocks share. */
typedef struct {
  const fft_plan *p;
  float *re, *im;
  int64_t M, nz, B;
  float sign;
  int half;
  int64_t cin, cout;  /* fft_rows: columns read, columns written back */
  const float *khat;  /* fft_columns: the kernel's transform (in fft_kernel's layout), or NULL */
} fft_pass;

typedef void (*fft_block_fn)(const fft_pass *a, float *buf, int64_t blk);

/* Runs fn on blocks [0, blocks) in parallel, each thread with its scratch of fft_scratch_floats(M, B) (kept
 * between calls). Every block is computed alone, so the thread count changes nothing. Returns -1 when a scratch
 * cannot be had. */
static int fft_blocks(const fft_pass *a, int64_t blocks, fft_block_fn fn) {
  const int nt = xl_threads();
  int failed = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && blocks > 1)
  {
    float *buf = scratch_get(&fft_lane_scratch, sizeof(float) * fft_scratch_floats(a->M, a->B));
    if (!buf) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; blk++)
      if (buf) fn(a, buf, blk);
  }
  return failed ? -1 : 0;
}

/* Rows [s0, s0 + w) of the row pass, gathered transposed into lanes (columns from cin on read as zeros). */
static void fft_row_block(const fft_pass *a, float *buf, int64_t blk) {
  const int64_t M = a->M, cin = a->cin, s0 = blk * a->B, w = s0 + a->B <= a->nz ? a->B : a->nz - s0;
  float *s[4];
  fft_io io = fft_scratch_io(buf, M, w, s);
  transpose_block(a->re + s0 * M, M, s[0], w, w, cin);
  transpose_block(a->im + s0 * M, M, s[1], w, w, cin);
  io.xr = s[0];
  io.xi = s[1];
  io.xs = w;
  io.xn = cin;
  const int r = fft_transform(a->p, &io, s, 0, w, a->sign, a->half);
  transpose_block(s[2 * r], w, a->re + s0 * M, M, a->cout, w);
  transpose_block(s[2 * r + 1], w, a->im + s0 * M, M, a->cout, w);
}

/* Transforms rows [0, nz) of an M-wide planar grid along the row, in blocks of B rows gathered transposed into
 * lanes, blocks in parallel. Only columns [0, cin) are read (the rest are zero) and only columns [0, cout) are
 * written back (the rest are never read): the values written are those of whole-row transforms. */
static int fft_rows(const fft_plan *p, float *re, float *im, int64_t M, int64_t nz, float sign, int64_t cin, int64_t cout) {
  const int64_t B = fft_lane_block(M);
  /* With the upper half zero, the first stage does not read it. */
  const int half = M % 2 == 0 && 2 * cin <= M;
  const fft_pass a = {p, re, im, M, nz, B, sign, half, cin, cout, NULL};
  return fft_blocks(&a, (nz + B - 1) / B, fft_row_block);
}

/* Columns [c0, c0 + w) of the column pass (with khat, the whole convolution of those columns), read from the grid
 * by the first stage and written back by the last. */
static void fft_column_block(const fft_pass *a, float *buf, int64_t blk) {
  const int64_t M = a->M, nz = a->nz, c0 = blk * a->B, w = c0 + a->B <= M ? a->B : M - c0;
  float *s[4];
  fft_io io = fft_scratch_io(buf, M, w, s);
  io.xr = a->re + c0;
  io.xi = a->im + c0;
  io.xs = M;
  io.xn = nz;
  if (!a->khat) {
    io.yr = a->re + c0;
    io.yi = a->im + c0;
    io.ys = M;
    io.yn = M;
    fft_transform(a->p, &io, s, -1, w, a->sign, a->half);
    return;
  }
  const int r = fft_transform(a->p, &io, s, -1, w, -1.0f, a->half);
  io.xr = s[2 * r];
  io.xi = s[2 * r + 1];
  io.xs = w;
  io.xn = M;
  io.kh = a->khat + c0 * M;
  io.yr = a->re + c0;
  io.yi = a->im + c0;
  io.ys = M;
  io.yn = nz;
  fft_transform(a->p, &io, s, r, w, 1.0f, 0);
}

/* The column pass over all M columns of an M x M planar grid, in blocks of B columns, blocks in parallel. With
 * khat, it convolves instead: rows [0, nz) read (the rest are zero), the forward transform, the product with khat
 * (taken as the inverse transform reads its input), the inverse transform, and rows [0, nz) written back; the
 * values are those of the separate passes of tsne-fft.ts (every column is transformed alone, with the same
 * operations). */
static int fft_columns(const fft_plan *p, float *re, float *im, int64_t M, int64_t nz, float sign, const float *khat) {
  const int64_t B = fft_lane_block(M);
  const int half = M % 2 == 0 && 2 * nz <= M;
  const fft_pass a = {p, re, im, M, nz, B, sign, half, 0, 0, khat};
  return fft_blocks(&a, (M + B - 1) / B, fft_column_block);
}

/* fftGrid2 of tsne-fft.ts on a rows x M planar grid (rows = 1: one sequence). */
static int fft_grid(const fft_plan *p, float *re, float *im, int64_t rows, int64_t M, int64_t nz, float sign) {
  if (rows == 1) {
    float *buf = malloc(sizeof(float) * fft_scratch_floats(M, 1));
    if (!buf) return -1;
    float *s[4];
    fft_io io = fft_scratch_io(buf, M, 1, s);
    io.xr = io.yr = re;
    io.xi = io.yi = im;
    io.xs = io.ys = 1;
    io.xn = io.yn = M;
    fft_transform(p, &io, s, -1, 1, sign, 0);
    free(buf);
    return 0;
  }
  if (sign > 0) return fft_columns(p, re, im, M, M, sign, NULL) || fft_rows(p, re, im, M, nz, sign, M, M) ? -1 : 0;
  return fft_rows(p, re, im, M, nz, sign, M, M) || fft_columns(p, re, im, M, M, sign, NULL) ? -1 : 0;
}

/* lagrange of tsne-fft.ts for axis ax of points [lo_i, hi_i), with the nodes' positions (l + 0.5) / p computed
 * once (at[l]; the same values): the weights into weight, each point's box into cell[i]. A loop over the points
 * with the clamps as selects, so it vectorizes (floor, the divisions) across points. */
XL_INLINE void fft_lagrange(const double *Y, int64_t lo_i, int64_t hi_i, int64_t d, int64_t ax, int64_t p, int64_t boxes, double lo,
                            double boxWidth, const double *den, const double *at, double *weight, double *cell) {
  for (int64_t i = lo_i; i < hi_i; i++) {
    const double u = (Y[i * d + ax] - lo) / boxWidth;
    double b = floor(u);
    b = b >= 0 ? b : 0;
    b = b >= (double)boxes ? (double)(boxes - 1) : b;
    const double x = u - b;
    for (int64_t j = 0; j < p; j++) {
      double v2 = 1;
      for (int64_t l = 0; l < p; l++)
        if (l != j) v2 *= x - at[l];
      weight[(i * d + ax) * p + j] = v2 / den[j];
    }
    cell[i] = b;
  }
}

XL_INLINE void fft_points_p(const double *Y, int64_t lo_i, int64_t hi_i, int64_t d, int64_t p, int64_t M, int64_t boxes, double lo,
                            double boxWidth, const double *den, const double *at, int64_t *node, double *weight, double *cell) {
  fft_lagrange(Y, lo_i, hi_i, d, 0, p, boxes, lo, boxWidth, den, at, weight, cell);
  for (int64_t i = lo_i; i < hi_i; i++) node[i] = (int64_t)cell[i] * p;
  if (d == 2) {
    fft_lagrange(Y, lo_i, hi_i, d, 1, p, boxes, lo, boxWidth, den, at, weight, cell);
    for (int64_t i = lo_i; i < hi_i; i++) node[i] += (int64_t)cell[i] * p * M;
  }
}

/* Each point's first node and its weights per axis, for points [lo_i, hi_i) (cell: n doubles of scratch): for the
 * default grid (2-D, 3 nodes) the node loops unroll (and the x - at[l] formed twice are formed once, the same
 * value), and the AVX2 clone has floor() inline. */
XL_CLONES static void fft_points(const double *Y, int64_t lo_i, int64_t hi_i, int64_t d, int64_t p, int64_t M, int64_t boxes,
                                 double lo, double boxWidth, const double *den, const double *at, int64_t *node, double *weight,
                                 double *cell) {
  if (d == 2 && p == 3) fft_points_p(Y, lo_i, hi_i, 2, 3, M, boxes, lo, boxWidth, den, at, node, weight, cell);
  else fft_points_p(Y, lo_i, hi_i, d, p, M, boxes, lo, boxWidth, den, at, node, weight, cell);
}

/* kernelTransform of tsne-fft.ts; in 2-D, khat is stored as fft_column_block reads it: column block by column
 * block (B columns from c0, at khat + c0 M), in each element e of lane l at e w + l, so the product streams it. */
static int fft_kernel(const fft_plan *plan, int64_t d, int64_t N, int64_t M, double h, float *khat, float *kr, float *ki) {
  const double h2 = h * h;
  const int64_t rows = d == 2 ? M : 1;
  memset(kr, 0, sizeof(float) * (size_t)(rows * M));
  memset(ki, 0, sizeof(float) * (size_t)(rows * M));
  for (int64_t r = 0; r < rows; r++) {
    if (d == 2 && r == N) continue;
    const int64_t dr = r < N ? r : r - M;
    for (int64_t c = 0; c < M; c++) {
      if (c == N) continue;
      const int64_t dc = c < N ? c : c - M;
      const double q = 1 / (1 + (double)(dc * dc + dr * dr) * h2);
      kr[r * M + c] = (float)(q * q);
    }
  }
  if (fft_grid(plan, kr, ki, rows, M, rows, -1) != 0) return -1;
  const double scale = 1 / (double)(d == 2 ? M * M : M);
  if (d == 1) {
    for (int64_t t = 0; t < M; t++) khat[t] = (float)((double)kr[t] * scale);
    return 0;
  }
  const int64_t B = fft_lane_block(M);
  for (int64_t c0 = 0; c0 < M; c0 += B) {
    const int64_t w = c0 + B <= M ? B : M - c0;
    float *kb = khat + c0 * M;
    for (int64_t e = 0; e < M; e++)
      for (int64_t l = 0; l < w; l++) kb[e * w + l] = (float)((double)kr[e * M + c0 + l] * scale);
  }
  return 0;
}

/* The plan of the last length, kept per thread: an optimization calls with the same grid for many iterations. */
static __thread fft_plan tsne_plan;
static __thread xl_scratch tsne_node_scratch, tsne_weight_scratch, tsne_zterm_scratch, tsne_cell_scratch;

/* Points ahead whose grid cells are prefetched in the spreading and gathering loops. */
#define XL_PREFETCH 8

/* Prefetches the p rows of a point's p x p nodes (2-D) in the four grids; base is its first node, rows M apart. */
static inline void prefetch_point(int64_t base, int64_t p, int64_t M, const float *r1, const float *i1, const float *r2, const float *i2) {
  for (int64_t b = 0; b < p; b++) {
    const int64_t o = base + b * M;
    __builtin_prefetch(r1 + o, 1);
    __builtin_prefetch(i1 + o, 1);
    __builtin_prefetch(r2 + o, 1);
    __builtin_prefetch(i2 + o, 1);
  }
}

static const fft_plan *tsne_plan_for(int64_t M) {
  if (tsne_plan.roots && tsne_plan.n == M) return &tsne_plan;
  free(tsne_plan.roots);
  if (fft_plan_init(&tsne_plan, M) != 0) {
    free(tsne_plan.roots);
    tsne_plan.roots = NULL;
    return NULL;
  }
  return &tsne_plan;
}

/* The points and the four charge grids of one evaluation, for spreading and gathering. */
typedef struct {
  const double *Y;
  int64_t n, d, p, M;
  double centre;
  const int64_t *node;
  const double *weight;
  float *r1, *i1, *r2, *i2;
  double *rep, *zterm;
} fft_charges;

/* Spreading adds into float cells, so it runs in point order (as the JavaScript). Points are not in grid order,
 * so each cell is a cache miss: the cells of the point XL_PREFETCH ahead are fetched while this one adds. */
XL_INLINE void fft_spread_dp(const fft_charges *c, int64_t d, int64_t p) {
  const double *Y = c->Y, *weight = c->weight, centre = c->centre;
  const int64_t n = c->n, M = c->M, *node = c->node;
  float *r1 = c->r1, *i1 = c->i1, *r2 = c->r2, *i2 = c->i2;
  for (int64_t i = 0; i < n; i++) {
    if (d == 2 && i + XL_PREFETCH < n) prefetch_point(node[i + XL_PREFETCH], p, M, r1, i1, r2, i2);
    const double y0 = Y[i * d] - centre, y1 = d == 2 ? Y[i * d + 1] - centre : 0;
    const double c2 = d == 2 ? y1 : y0 * y0, c3 = y0 * y0 + y1 * y1;
    const double *wx = weight + i * d * p, *wy = wx + p;
    for (int64_t b1 = 0; b1 < (d == 2 ? p : 1); b1++)
      for (int64_t a = 0; a < p; a++) {
        const double w = d == 2 ? wy[b1] * wx[a] : wx[a];
        const int64_t o = node[i] + b1 * M + a;
        r1[o] = (float)((double)r1[o] + w);
        i1[o] = (float)((double)i1[o] + w * y0);
        r2[o] = (float)((double)r2[o] + w * c2);
        if (d == 2) i2[o] = (float)((double)i2[o] + w * c3);
      }
  }
}

/* The potentials at points [lo_i, hi_i): their forces and their terms of Z. */
XL_INLINE void fft_gather_dp(const fft_charges *c, int64_t lo_i, int64_t hi_i, int64_t d, int64_t p) {
  const double *Y = c->Y, *weight = c->weight, centre = c->centre;
  const int64_t n = c->n, M = c->M, *node = c->node;
  const float *r1 = c->r1, *i1 = c->i1, *r2 = c->r2, *i2 = c->i2;
  double *rep = c->rep, *zterm = c->zterm;
  for (int64_t i = lo_i; i < hi_i; i++) {
    if (d == 2 && i + XL_PREFETCH < n) prefetch_point(node[i + XL_PREFETCH], p, M, r1, i1, r2, i2);
    double f1 = 0, fx = 0, fy = 0, f2 = 0;
    const double *wx = weight + i * d * p, *wy = wx + p;
    for (int64_t b1 = 0; b1 < (d == 2 ? p : 1); b1++)
      for (int64_t a = 0; a < p; a++) {
        const double w = d == 2 ? wy[b1] * wx[a] : wx[a];
        const int64_t o = node[i] + b1 * M + a;
        f1 += w * r1[o];
        fx += w * i1[o];
        fy += w * r2[o];
        if (d == 2) f2 += w * i2[o];
      }
    if (d == 2) {
      const double y0 = Y[2 * i] - centre, y1 = Y[2 * i + 1] - centre;
      rep[2 * i] = y0 * f1 - fx;
      rep[2 * i + 1] = y1 * f1 - fy;
      zterm[i] = (1 + y0 * y0 + y1 * y1) * f1 - 2 * (y0 * fx + y1 * fy) + f2;
    } else {
      const double y = Y[i] - centre;
      rep[i] = y * f1 - fx;
      zterm[i] = (1 + y * y) * f1 - 2 * y * fx + fy;
    }
  }
}

/* The default grid (2-D, 3 nodes) with d and p constants, so the node loops unroll. */
XL_CLONES static void fft_spread(const fft_charges *c) {
  if (c->d == 2 && c->p == 3) fft_spread_dp(c, 2, 3);
  else fft_spread_dp(c, c->d, c->p);
}

XL_CLONES static void fft_gather(const fft_charges *c, int64_t lo_i, int64_t hi_i) {
  if (c->d == 2 && c->p == 3) fft_gather_dp(c, lo_i, hi_i, 2, 3);
  else fft_gather_dp(c, lo_i, hi_i, c->d, c->p);
}

/* repulsionOnGrid of src/reducers/tsne-fft.ts, operation by operation; Z into *sumQ. Returns 0, or -1 when out of
 * memory or M is not 2^a 3^b 5^c. */
int xl_tsne_fft(const double *Y, int64_t n, int64_t d, int64_t p, int64_t boxes, double lo, double boxWidth, double centre,
                float *khat, int fresh, float *work, double *rep, double *sumQ) {
  const int64_t N = boxes * p, M = 2 * N;
  const int64_t cells = d == 2 ? M * M : M;
  const int nt = xl_threads();
  double *den = malloc(sizeof(double) * 2 * (size_t)p), *at = den ? den + p : NULL;
  /* Per point, its first node and its p weights per axis; a node's weight is the product of its axes' weights,
   * formed where it is used (the same product as the JavaScript's; 56 bytes a point instead of 144 at p = 3). */
  int64_t *node = scratch_get(&tsne_node_scratch, sizeof(int64_t) * (size_t)n);
  double *weight = scratch_get(&tsne_weight_scratch, sizeof(double) * (size_t)(n * d * p));
  double *zterm = scratch_get(&tsne_zterm_scratch, sizeof(double) * (size_t)n);
  double *cell = scratch_get(&tsne_cell_scratch, sizeof(double) * (size_t)n);
  int status = -1;
  const fft_plan *plan = tsne_plan_for(M);
  if (!den || !node || !weight || !zterm || !cell || !plan) goto done;
  float *r1 = work, *i1 = work + cells, *r2 = work + 2 * cells, *i2 = work + 3 * cells;
  if (fresh && fft_kernel(plan, d, N, M, boxWidth / (double)p, khat, r1, i1) != 0) goto done;
  /* Charges only ever sit in the first N columns of the first N rows (2-D), and the row pass reads no more; the
   * rest of each grid is written before it is read. */
  const int64_t rows = d == 2 ? N : 1, cols = d == 2 ? N : M;
  for (int64_t r = 0; r < rows; r++) {
    memset(r1 + r * M, 0, sizeof(float) * (size_t)cols);
    memset(i1 + r * M, 0, sizeof(float) * (size_t)cols);
    memset(r2 + r * M, 0, sizeof(float) * (size_t)cols);
    memset(i2 + r * M, 0, sizeof(float) * (size_t)cols);
  }
  for (int64_t l = 0; l < p; l++) at[l] = ((double)l + 0.5) / (double)p;
  for (int64_t j = 0; j < p; j++) {
    double v = 1;
    for (int64_t l = 0; l < p; l++)
      if (l != j) v *= at[j] - at[l];
    den[j] = v;
  }
  /* Each point's interpolation nodes and weights, for spreading and for gathering: points are independent, so in
   * parallel. */
#pragma omp parallel num_threads(nt) if (nt > 1 && n > 2000)
  {
    int64_t a, b;
    xl_thread_share(n, &a, &b);
    fft_points(Y, a, b, d, p, M, boxes, lo, boxWidth, den, at, node, weight, cell);
  }
  const fft_charges ch = {Y, n, d, p, M, centre, node, weight, r1, i1, r2, i2, rep, zterm};
  fft_spread(&ch);
  if (d == 2) {
    /* Rows (only the N holding charges, whose charges sit in the first N columns), then each column block
     * transformed, multiplied by khat and transformed back in cache, then the N rows whose potentials are read,
     * written back only in the N columns read. */
    if (fft_rows(plan, r1, i1, M, N, -1, N, M) || fft_rows(plan, r2, i2, M, N, -1, N, M) || fft_columns(plan, r1, i1, M, N, 0, khat) ||
        fft_columns(plan, r2, i2, M, N, 0, khat) || fft_rows(plan, r1, i1, M, N, 1, M, N) || fft_rows(plan, r2, i2, M, N, 1, M, N))
      goto done;
  } else {
    if (fft_grid(plan, r1, i1, 1, M, 1, -1) != 0 || fft_grid(plan, r2, i2, 1, M, 1, -1) != 0) goto done;
    for (int64_t t = 0; t < cells; t++) {
      const float k = khat[t];
      r1[t] *= k;
      i1[t] *= k;
      r2[t] *= k;
      i2[t] *= k;
    }
    if (fft_grid(plan, r1, i1, 1, M, 1, 1) != 0 || fft_grid(plan, r2, i2, 1, M, 1, 1) != 0) goto done;
  }
  /* Gathering: each point alone, in parallel; its term of Z is kept and Z summed in point order afterwards, as the
   * JavaScript sums it. */
#pragma omp parallel num_threads(nt) if (nt > 1 && n > 2000)
  {
    int64_t a, b;
    xl_thread_share(n, &a, &b);
    fft_gather(&ch, a, b);
  }
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += zterm[i];
  *sumQ = s - (double)n;
  status = 0;
done:
  free(den);
  return status;
}

typedef double xl_v4d __attribute__((vector_size(32)));

/* The 2-D attractive sums of rows [lo, hi): edge e of a row goes to lane (e - start) mod 4 of the partial sums
 * (four edges at once in one vector, one division instruction for the four), and the lanes are added as
 * (0 + 1) + (2 + 3), which is tsneGradient's order. Returns 1 on a column out of range. */
XL_CLONES static int attract_rows2(const int32_t *rowPtr, const int32_t *cols, const double *vals, const double *Y, int64_t n,
                                   int64_t lo, int64_t hi, double exaggeration, const double *rep, double sumQ, double *out) {
  for (int64_t i = lo; i < hi; i++) {
    const double xi = Y[2 * i], yi = Y[2 * i + 1];
    xl_v4d ax = {0, 0, 0, 0}, ay = {0, 0, 0, 0};
    int64_t e = rowPtr[i];
    const int64_t end = rowPtr[i + 1];
    for (; e + 4 <= end; e += 4) {
      const int64_t j0 = cols[e], j1 = cols[e + 1], j2 = cols[e + 2], j3 = cols[e + 3];
      if ((uint64_t)j0 >= (uint64_t)n || (uint64_t)j1 >= (uint64_t)n || (uint64_t)j2 >= (uint64_t)n || (uint64_t)j3 >= (uint64_t)n)
        return 1;
      const xl_v4d dx = (xl_v4d){xi, xi, xi, xi} - (xl_v4d){Y[2 * j0], Y[2 * j1], Y[2 * j2], Y[2 * j3]};
      const xl_v4d dy = (xl_v4d){yi, yi, yi, yi} - (xl_v4d){Y[2 * j0 + 1], Y[2 * j1 + 1], Y[2 * j2 + 1], Y[2 * j3 + 1]};
      const xl_v4d f = (xl_v4d){vals[e], vals[e + 1], vals[e + 2], vals[e + 3]} / (1 + dx * dx + dy * dy);
      ax += f * dx;
      ay += f * dy;
    }
    double sx[4] = {ax[0], ax[1], ax[2], ax[3]}, sy[4] = {ay[0], ay[1], ay[2], ay[3]};
    for (int l = 0; e < end; e++, l++) {
      const int64_t j = cols[e];
      if ((uint64_t)j >= (uint64_t)n) return 1;
      const double dx = xi - Y[2 * j], dy = yi - Y[2 * j + 1];
      const double f = vals[e] / (1 + dx * dx + dy * dy);
      sx[l] += f * dx;
      sy[l] += f * dy;
    }
    out[2 * i] = 4 * (exaggeration * ((sx[0] + sx[1]) + (sx[2] + sx[3])) - rep[2 * i] / sumQ);
    out[2 * i + 1] = 4 * (exaggeration * ((sy[0] + sy[1]) + (sy[2] + sy[3])) - rep[2 * i + 1] / sumQ);
  }
  return 0;
}

/* The attractive part of the t-SNE gradient and its assembly, as tsneGradient in src/reducers/tsne.ts:
 * out_i = 4 (exaggeration sum_j p_ij q_ij (y_i - y_j) - rep_i / sumQ) over the CSR rows of P. Rows in
 * parallel, each computed alone, so threads change nothing. Returns -1 (and stops) on a column out of range. */
int xl_tsne_attract(const int32_t *rowPtr, const int32_t *cols, const double *vals, const double *Y, int64_t n, int64_t d,
                    double exaggeration, const double *rep, double sumQ, double *out) {
  const int nt = xl_threads();
  int bad = 0;
  if (d == 2) {
#pragma omp parallel num_threads(nt) if (nt > 1 && n > 2000)
    {
      int64_t a, b;
      xl_thread_share(n, &a, &b);
      if (attract_rows2(rowPtr, cols, vals, Y, n, a, b, exaggeration, rep, sumQ, out)) {
#pragma omp atomic write
        bad = 1;
      }
    }
    return bad ? -1 : 0;
  }
#pragma omp parallel for num_threads(nt) if (nt > 1 && n > 2000) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double *o = out + i * d;
    const double *yi = Y + i * d;
    for (int64_t t = 0; t < d; t++) o[t] = 0;
    for (int64_t e = rowPtr[i], end = rowPtr[i + 1]; e < end; e++) {
      const int64_t j = cols[e];
      if (j < 0 || j >= n) {
#pragma omp atomic write
        bad = 1;
        break;
      }
      const double *yj = Y + j * d;
      double d2 = 0;
      for (int64_t t = 0; t < d; t++) {
        const double u = yi[t] - yj[t];
        d2 += u * u;
      }
      const double f = (exaggeration * vals[e]) / (1 + d2);
      for (int64_t t = 0; t < d; t++) o[t] += f * (yi[t] - yj[t]);
    }
    for (int64_t t = 0; t < d; t++) o[t] = 4 * (o[t] - rep[i * d + t] / sumQ);
  }
  return bad ? -1 : 0;
}

/* One step of t-SNE's gradient descent over len coordinates, as the loop of optimize in src/reducers/tsne.ts
 * (the same operations in the same order, so the same bits): gains up by 0.2 where the gradient's sign
 * changed, else down by 0.8 (floor 0.01; NaN stays NaN, as Math.max keeps it), the momentum update, the move.
 * Returns the squared gradient norm summed in coordinate order. */
double xl_tsne_step(const double *grad, double *update, double *gains, double *Y, int64_t len, double momentum, double lr) {
  double norm = 0;
  for (int64_t t = 0; t < len; t++) {
    const double g = grad[t];
    norm += g * g;
    if (update[t] * g < 0)
      gains[t] += 0.2;
    else {
      const double w = gains[t] * 0.8;
      gains[t] = w >= 0.01 || w != w ? w : 0.01;
    }
    update[t] = momentum * update[t] - lr * gains[t] * g;
    Y[t] += update[t];
  }
  return norm;
}

/* ---- Trustworthiness and continuity rows (src/metrics/neighborhood.ts), the same integers as the JavaScript. ---- */

/* The first index c of ascending a[0 .. L) with a[c] > v. */
static int64_t first_above(const double *a, int64_t L, double v) {
  int64_t lo = 0, hi = L;
  while (lo < hi) {
    const int64_t mid = (lo + hi) >> 1;
    if (a[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static void sort_doubles(double *a, int64_t L) {
  for (int64_t x = 1; x < L; x++) {
    const double v = a[x];
    int64_t y = x - 1;
    while (y >= 0 && a[y] > v) {
      a[y + 1] = a[y];
      y--;
    }
    a[y + 1] = v;
  }
}

/* ApproxDistances.exact: max(0, |x_i|^2 + |x_j|^2 - 2 x_i.x_j), the dot summed in index order in double. */
static double trust_exact(const float *X, int64_t m, const double *norms, int64_t i, int64_t j) {
  if (i == j) return 0;
  const float *a = X + i * m, *b = X + j * m;
  double dot = 0;
  for (int64_t t = 0; t < m; t++) dot += (double)a[t] * (double)b[t];
  const double v = norms[i] + norms[j] - 2 * dot;
  return v > 0 ? v : 0;
}

/* Members of a[0 .. k) not in b[0 .. k), into out; returns the count. */
static int64_t trust_outside(const int32_t *a, const int32_t *b, int64_t k, int32_t *out) {
  int64_t c = 0;
  for (int64_t s = 0; s < k; s++) {
    int found = 0;
    for (int64_t t = 0; t < k; t++)
      if (b[t] == a[s]) {
        found = 1;
        break;
      }
    if (!found) out[c++] = a[s];
  }
  return c;
}

/* InputRow.nearest and InputRow.rankPenalty of neighborhood.ts for query rows r < rows: row r's dot products with
 * every spectrum are dots[r n ..], its spectrum index rowIndex[r]. When findNearest, nnX[r k ..] is filled with the
 * k nearest spectra by exact distance (ties by index, nearest first); then penalty[r] is the trustworthiness penalty
 * of the embedding neighbours nnY[r k ..] outside them. Rows in parallel, each alone. Returns -1 when out of memory. */
int xl_trust_rows(const float *dots, int64_t rows, int64_t n, const int32_t *rowIndex, const double *cn, const double *cs,
                  const double *norms, double unscale, double k1, double k2, double tiny, const float *X, int64_t m, int64_t k,
                  const int32_t *nnY, int32_t *nnX, int findNearest, double *penalty) {
  const int nt = xl_threads();
  int failed = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && rows > 1)
  {
    double *hk = malloc(sizeof(double) * (size_t)(k + 1)), *ref = malloc(sizeof(double) * (size_t)(k + 1));
    double *closer = malloc(sizeof(double) * (size_t)(k + 2));
    int32_t *hid = malloc(sizeof(int32_t) * (size_t)(k + 1)), *U = malloc(sizeof(int32_t) * (size_t)(k + 1));
    const int ok = hk && ref && closer && hid && U;
    if (!ok) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 4)
    for (int64_t r = 0; r < rows; r++) {
      if (!ok) continue;
      const int64_t i = rowIndex[r];
      const float *dr = dots + r * n;
      const double ci = cn[i], si = cs[i], ni = norms[i];
      /* ApproxDistances.intervals, recomputed in each pass rather than stored (less memory traffic). */
#define TRUST_INTERVAL(j, LO, HI)                                                  \
  do {                                                                             \
    const double a_ = (ci + cn[j] - 2 * (double)dr[j]) * unscale;                  \
    const double s_ = si + cs[j];                                                  \
    const double e_ = (k1 * s_ * s_ + tiny) * unscale + k2 * (ni + norms[j]);      \
    LO = a_ - e_;                                                                  \
    HI = a_ + e_;                                                                  \
  } while (0)
      int32_t *nx = nnX + r * k;
      if (findNearest) {
        /* The k-th smallest max(0, hi): a max-heap of values. */
        int64_t size = 0;
        for (int64_t j = 0; j < n; j++) {
          if (j == i) continue;
          double lj, hj;
          TRUST_INTERVAL(j, lj, hj);
          (void)lj;
          const double h = hj > 0 ? hj : 0;
          if (size == k && h >= hk[0]) continue;
          int64_t c;
          if (size < k) {
            c = size++;
            while (c > 0 && hk[(c - 1) >> 1] < h) {
              hk[c] = hk[(c - 1) >> 1];
              c = (c - 1) >> 1;
            }
          } else {
            c = 0;
            for (;;) {
              int64_t ch = 2 * c + 1;
              if (ch >= size) break;
              if (ch + 1 < size && hk[ch + 1] > hk[ch]) ch++;
              if (hk[ch] <= h) break;
              hk[c] = hk[ch];
              c = ch;
            }
          }
          hk[c] = h;
        }
        const double cap = hk[0];
        /* The k smallest (exact, index) among the candidates: a max-heap ordered by (key, index). */
        size = 0;
        for (int64_t j = 0; j < n; j++) {
          if (j == i) continue;
          double lj, hj;
          TRUST_INTERVAL(j, lj, hj);
          (void)hj;
          if (lj > cap) continue;
          const double v = trust_exact(X, m, norms, i, j);
          if (size == k && (v > hk[0] || (v == hk[0] && j >= hid[0]))) continue;
          int64_t c;
          if (size < k) {
            c = size++;
            while (c > 0) {
              const int64_t par = (c - 1) >> 1;
              if (hk[par] > v || (hk[par] == v && hid[par] > j)) break;
              hk[c] = hk[par];
              hid[c] = hid[par];
              c = par;
            }
          } else {
            c = 0;
            for (;;) {
              int64_t ch = 2 * c + 1;
              if (ch >= size) break;
              if (ch + 1 < size && (hk[ch + 1] > hk[ch] || (hk[ch + 1] == hk[ch] && hid[ch + 1] > hid[ch]))) ch++;
              if (hk[ch] < v || (hk[ch] == v && hid[ch] < j)) break;
              hk[c] = hk[ch];
              hid[c] = hid[ch];
              c = ch;
            }
          }
          hk[c] = v;
          hid[c] = (int32_t)j;
        }
        /* Nearest first, ties by index. */
        for (int64_t a = 1; a < size; a++) {
          const double v = hk[a];
          const int32_t id = hid[a];
          int64_t b = a - 1;
          while (b >= 0 && (hk[b] > v || (hk[b] == v && hid[b] > id))) {
            hk[b + 1] = hk[b];
            hid[b + 1] = hid[b];
            b--;
          }
          hk[b + 1] = v;
          hid[b + 1] = id;
        }
        for (int64_t a = 0; a < k; a++) nx[a] = hid[a];
      }
      const int64_t L = trust_outside(nnY + r * k, nx, k, U);
      if (L == 0) {
        penalty[r] = 0;
        continue;
      }
      for (int64_t c = 0; c < L; c++) ref[c] = trust_exact(X, m, norms, i, U[c]);
      sort_doubles(ref, L);
      const double top = ref[L - 1];
      for (int64_t c = 0; c <= L; c++) closer[c] = 0;
      for (int64_t j = 0; j < n; j++) {
        if (j == i) continue;
        double l, hj;
        TRUST_INTERVAL(j, l, hj);
        if (l >= top) continue;
        const double h = hj > 0 ? hj : 0;
        const int64_t a = first_above(ref, L, h);
        closer[a]++;
        int64_t c = first_above(ref, L, l);
        if (c < a) {
          const double ex = trust_exact(X, m, norms, i, j);
          for (; c < a; c++)
            if (ex < ref[c]) {
              closer[c]++;
              closer[c + 1]--;
            }
        }
      }
      double s = 0, acc = 0;
      for (int64_t c = 0; c < L; c++) {
        acc += closer[c];
        const double v = acc + 1 - (double)k;
        s += v > 0 ? v : 0;
      }
      penalty[r] = s;
    }
    free(hk);
    free(ref);
    free(closer);
    free(hid);
    free(U);
  }
  return failed ? -1 : 0;
}
#undef TRUST_INTERVAL

/* The continuity penalty (rankPenalty of neighborhood.ts over the embedding Y [n, d]) of query rows r < rows: the
 * input neighbours nnX[r k ..] outside the embedding neighbours nnY[r k ..], ranked by squared embedding distance
 * to spectrum rowIndex[r] (sums in axis order). Rows in parallel. Returns -1 when out of memory. */
int xl_continuity_rows(const float *Y, int64_t n, int64_t d, int64_t rows, const int32_t *rowIndex, const int32_t *nnX,
                       const int32_t *nnY, int64_t k, double *penalty) {
  const int nt = xl_threads();
  int failed = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && rows > 1)
  {
    double *ref = malloc(sizeof(double) * (size_t)(k + 1)), *below = malloc(sizeof(double) * (size_t)(k + 1));
    int32_t *V = malloc(sizeof(int32_t) * (size_t)(k + 1));
    const int ok = ref && below && V;
    if (!ok) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 4)
    for (int64_t r = 0; r < rows; r++) {
      if (!ok) continue;
      const int64_t i = rowIndex[r];
      const int64_t L = trust_outside(nnX + r * k, nnY + r * k, k, V);
      if (L == 0) {
        penalty[r] = 0;
        continue;
      }
      const float *yi = Y + i * d;
      for (int64_t c = 0; c < L; c++) {
        const float *yj = Y + (int64_t)V[c] * d;
        double s = 0;
        for (int64_t t = 0; t < d; t++) {
          const double u = (double)yi[t] - (double)yj[t];
          s += u * u;
        }
        ref[c] = s;
        below[c] = 0;
      }
      sort_doubles(ref, L);
      const double top = ref[L - 1];
      for (int64_t j = 0; j < n; j++) {
        if (j == i) continue;
        const float *yj = Y + j * d;
        double s = 0;
        for (int64_t t = 0; t < d; t++) {
          const double u = (double)yi[t] - (double)yj[t];
          s += u * u;
        }
        if (s >= top) continue;
        below[first_above(ref, L, s)]++;
      }
      double acc = 0, sum = 0;
      for (int64_t c = 0; c < L; c++) {
        acc += below[c];
        const double v = acc + 1 - (double)k;
        sum += v > 0 ? v : 0;
      }
      penalty[r] = sum;
    }
    free(ref);
    free(below);
    free(V);
  }
  return failed ? -1 : 0;
}
