/* Fused training-mode MLP of the xlatent 'native' backend (src/ops mlpTrain):
 * a whole network's forward pass (dense -> activation -> batch norm ->
 * dropout per hidden layer, then the output layer) and its backward pass as
 * one call each, instead of a dozen tfjs kernels per layer. Each step is the
 * native kernel the unfused op sequence would run (xl_gemm, the binary and
 * unary ops' arithmetic, xl_bn_train_fwd/bwd, xl_prelu_bwd, xl_reduce), on
 * the same operands in the same order, so the results are those of the
 * unfused ops on the native backend bit for bit, and as independent of the
 * thread count as they are. */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif


/* Elementwise passes over fewer values stay on one thread (a wake-up costs more). */
#define XL_MLP_PAR_MIN (1 << 18)

static int ew_threads(int64_t work) { return work >= XL_MLP_PAR_MIN ? xl_threads() : 1; }

/* Scratch that grows and is kept between calls (the addon is called from one thread). */
static float *g_scratch[2];
static int64_t g_scratch_len[2];

static float *scratch(int i, int64_t len) {
  if (g_scratch_len[i] < len) {
    free(g_scratch[i]);
    g_scratch[i] = malloc(sizeof(float) * (size_t)len);
    g_scratch_len[i] = g_scratch[i] ? len : 0;
  }
  return g_scratch[i];
}


/* y[i, j] = y[i, j] + b[j] (the dense kernel's in-place bias add). */
XL_CLONES
static void add_bias(float *y, const float *b, int64_t n, int64_t h) {
  const int nt = ew_threads(n * h);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) y[i * h + j] = y[i * h + j] + b[j];
}

/* The hidden activation of pre into act (swish also keeps sigmoid(pre) in aux). */
XL_CLONES
static void activate(int kind, const float *pre, const float *alpha, int64_t n, int64_t h, float *act, float *aux) {
  const int nt = ew_threads(n * h);
  if (kind == XL_ACT_SWISH) {
    xl_unary(XL_SIGMOID, pre, aux, n * h, 0.0f, 0.0f);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < n * h; i++) act[i] = pre[i] * aux[i];
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < h; j++) {
      const float v = pre[i * h + j];
      /* PReLU as the Prelu binary op; ReLU as the Relu unary op (-0 -> +0, NaN stays). */
      act[i * h + j] = kind == XL_ACT_PRELU ? v * xl_blend(v < 0, alpha[j], 1.0f) : xl_blend(v <= 0, 0.0f, v);
    }
}

/* The activation's gradient: g (gradient w.r.t. its output) -> gpre, and dalpha for PReLU. */
XL_CLONES
static void activate_bwd(int kind, const float *g, const float *pre, const float *alpha, const float *aux, int64_t n, int64_t h,
                         float *gpre, float *dalpha) {
  if (kind == XL_ACT_PRELU) {
    xl_prelu_bwd(g, pre, alpha, n, h, gpre, dalpha);
    return;
  }
  const int nt = ew_threads(n * h);
  if (kind == XL_ACT_RELU) {
    /* mul(dy, step(x)): step is 1 above 0, 0 at or below, NaN for NaN. */
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < n * h; i++) {
      const float v = pre[i];
      gpre[i] = g[i] * xl_blend(v != v, v, xl_blend(v > 0, 1.0f, 0.0f));
    }
    return;
  }
  /* swish x sigmoid(x): the Multiply gradient dy s plus the Sigmoid gradient (dy x) (s (1 - s)). */
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < n * h; i++) {
    const float s = aux[i];
    gpre[i] = g[i] * s + (g[i] * pre[i]) * (s * (1.0f - s));
  }
}

/* out = a * b elementwise (the Multiply op). */
XL_CLONES
static void mul(const float *a, const float *b, float *out, int64_t len) {
  const int nt = ew_threads(len);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t i = 0; i < len; i++) out[i] = a[i] * b[i];
}

/* The running statistics moved towards the batch ones, in float steps as the generic kernel's tf ops. */
static void running_update(const xl_mlp_layer *L, const float *mean, const float *var, const xl_mlp *net) {
  for (int64_t j = 0; j < L->out; j++) {
    L->rmNew[j] = L->rm[j] * net->keep + mean[j] * net->meanWeight;
    L->rvNew[j] = L->rv[j] * net->keep + var[j] * net->varWeight;
  }
}

/* Column sums in double over rows in order, as the Sum reduction over axis 0. */
static void col_sum(const float *x, int64_t n, int64_t h, float *out) {
  const int64_t shape[2] = {n, h};
  const int reduce[2] = {1, 0};
  xl_reduce(XL_RSUM, x, shape, reduce, 2, out);
}

int xl_mlp_forward(const xl_mlp *net, const float *x, int64_t n, float *y) {
  int64_t maxw = 0;
  for (int l = 0; l < net->layers; l++)
    if (net->layer[l].out > maxw) maxw = net->layer[l].out;
  float *stats = scratch(0, 2 * maxw);
  if (!stats) return -1;
  const float *in = x;
  for (int l = 0; l < net->layers; l++) {
    const xl_mlp_layer *L = &net->layer[l];
    const int last = l == net->layers - 1;
    const int64_t h = L->out;
    /* The output layer's product lands where its output goes (in place for batch norm). */
    float *pre = last && net->output != XL_OUT_SOFTPLUS ? y : L->pre;
    xl_gemm(in, L->w, pre, 1, n, h, L->in, 0, 0, 0, 0);
    add_bias(pre, L->b, n, h);
    if (last) {
      if (net->output == XL_OUT_BATCHNORM) {
        xl_bn_train_fwd(y, n, h, net->eps, y, stats, stats + maxw, L->rstd);
        running_update(L, stats, stats + maxw, net);
      } else if (net->output == XL_OUT_SOFTPLUS) {
        xl_unary(XL_SOFTPLUS, pre, y, n * h, 0.0f, 0.0f);
      }
      break;
    }
    activate(net->activation, pre, L->alpha, n, h, L->bn, L->aux);
    if (net->batchNorm) {
      xl_bn_train_fwd(L->bn, n, h, net->eps, L->bn, stats, stats + maxw, L->rstd);
      running_update(L, stats, stats + maxw, net);
    }
    if (L->mask) mul(L->bn, L->mask, L->outp, n * h);
    in = L->mask ? L->outp : L->bn;
  }
  return 0;
}

int xl_mlp_backward(const xl_mlp *net, const float *x, int64_t n, const float *dy, const float *y, float *gPre0) {
  int64_t maxw = 0;
  for (int l = 0; l < net->layers; l++)
    if (net->layer[l].out > maxw) maxw = net->layer[l].out;
  float *ga = scratch(0, n * maxw), *gb = scratch(1, n * maxw);
  if (!ga || !gb) return -1;
  const int top = net->layers - 1;
  /* g: gradient w.r.t. the current layer's dense output; gin: w.r.t. its input. */
  const float *g;
  {
    const xl_mlp_layer *L = &net->layer[top];
    const int64_t h = L->out;
    if (net->output == XL_OUT_BATCHNORM) {
      xl_bn_train_bwd(dy, y, L->rstd, n, h, ga);
      g = ga;
    } else if (net->output == XL_OUT_SOFTPLUS) {
      /* mul(dy, sigmoid(pre)) */
      xl_unary(XL_SIGMOID, L->pre, ga, n * h, 0.0f, 0.0f);
      mul(dy, ga, ga, n * h);
      g = ga;
    } else {
      g = dy;
    }
  }
  for (int l = top; l >= 0; l--) {
    const xl_mlp_layer *L = &net->layer[l];
    const int64_t h = L->out;
    if (l < top) {
      /* g holds the gradient w.r.t. this layer's output (after dropout). */
      float *t = g == ga ? gb : ga;
      if (L->mask) {
        mul(g, L->mask, t, n * h);
        g = t;
        t = g == ga ? gb : ga;
      }
      if (net->batchNorm) {
        xl_bn_train_bwd(g, L->bn, L->rstd, n, h, t);
        g = t;
        t = g == ga ? gb : ga;
      }
      activate_bwd(net->activation, g, L->pre, L->alpha, L->aux, n, h, t, L->dalpha);
      g = t;
    }
    const float *in = l == 0 ? x : (net->layer[l - 1].mask ? net->layer[l - 1].outp : net->layer[l - 1].bn);
    xl_gemm(in, g, L->dw, 1, L->in, h, n, 1, 0, 0, 0);
    col_sum(g, n, h, L->db);
    if (l == 0) {
      memcpy(gPre0, g, sizeof(float) * (size_t)(n * h));
    } else {
      float *t = g == ga ? gb : ga;
      xl_gemm(g, L->w, t, 1, n, L->in, h, 0, 1, 0, 0);
      g = t;
    }
  }
  return 0;
}
