/* Kernels of the embedding reducers (src/reducers): UMAP's layout SGD and the
 * top-k selection of the exact nearest-neighbour search. Each one is the
 * C twin of a JavaScript loop in src/reducers and must return bit-identical
 * results, so a fit does not depend on whether the addon is built: the
 * arithmetic below follows the JavaScript operation by operation, in double,
 * and the build disables FMA contraction (-ffp-contract=off). */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
/* AVX2 builds also bring SSE4.1's roundsd for floor(); no FMA, so results are the same in every clone. */
#define XL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define XL_CLONES
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

/* One query row of xl_knn_select: a max-heap of the kk smallest approximate
 * squared distances, then the winners' exact distances, sorted. */
static void knn_row(const float *dots, int64_t n, const double *norms, int64_t i, const float *X, int64_t p, int64_t kk,
                    double *hk, int32_t *hi, int32_t *indices, double *distances) {
  const double ni = norms[i];
  int64_t size = 0;
  double top = INFINITY;
  for (int64_t j = 0; j < n; j++) {
    const double d = ni + norms[j] - 2 * (double)dots[j];
    if (d >= top || j == i) continue;
    int64_t c;
    if (size < kk) {
      c = size++;
      while (c > 0) {
        const int64_t par = (c - 1) >> 1;
        if (hk[par] >= d) break;
        hk[c] = hk[par];
        hi[c] = hi[par];
        c = par;
      }
    } else {
      c = 0;
      for (;;) {
        int64_t ch = 2 * c + 1;
        if (ch >= size) break;
        if (ch + 1 < size && hk[ch + 1] > hk[ch]) ch++;
        if (hk[ch] <= d) break;
        hk[c] = hk[ch];
        hi[c] = hi[ch];
        c = ch;
      }
    }
    hk[c] = d;
    hi[c] = (int32_t)j;
    if (size == kk) top = hk[0];
  }
  int32_t *ind = indices + i * kk;
  double *dis = distances + i * kk;
  const float *xi = X + i * p;
  for (int64_t a = 0; a < kk; a++) {
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
  /* Rows are independent and each is computed alone, so any thread count gives the same result. */
#pragma omp parallel num_threads(nt) if (nt > 1 && rows > 1)
  {
    double *hk = malloc(sizeof(double) * (size_t)kk);
    int32_t *hi = malloc(sizeof(int32_t) * (size_t)kk);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      if (hk && hi) knn_row(dots + r * n, n, norms, q0 + r, X, p, kk, hk, hi, indices, distances);
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
