/* Numeric kernels behind the xlatent 'native' TF.js backend. All arrays are
 * row-major float32; shapes and strides are in elements. Results must stay
 * within float rounding of the tfjs `cpu` backend (which computes in double
 * and rounds): arithmetic is exact-rounded alike, transcendental functions
 * use single-precision libm (an ulp or two apart). */
#ifndef XLATENT_KERNELS_H
#define XLATENT_KERNELS_H
#include <stdint.h>
#include <string.h>

#define XL_MAX_RANK 8

/* Functions built twice, for AVX2 and for any x86-64, the better chosen at load. */
#ifndef XL_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define XL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define XL_CLONES
#endif
#endif

/* c ? a : b on the bits, without a branch: gcc keeps ?: on floats as a jump, and with
 * random signs (PReLU on activations) mispredictions cost ~10x the arithmetic. */
static inline float xl_blend(int c, float a, float b) {
  uint32_t ua, ub, m = 0u - (uint32_t)(c != 0);
  memcpy(&ua, &a, 4);
  memcpy(&ub, &b, 4);
  ua = (ua & m) | (ub & ~m);
  float r;
  memcpy(&r, &ua, 4);
  return r;
}

/* XL_COPY ignores b (a strided copy: slice, transpose); comparisons write 1/0. */
enum xl_binary_op {
  XL_ADD, XL_SUB, XL_MUL, XL_DIV, XL_MAX, XL_MIN, XL_SQDIFF, XL_PRELU, XL_POW, XL_COPY,
  XL_GREATER, XL_GREATER_EQ, XL_LESS, XL_LESS_EQ, XL_EQUAL, XL_NOT_EQUAL
};
enum xl_unary_op {
  XL_NEG, XL_ABS, XL_SQUARE, XL_SQRT, XL_RSQRT, XL_EXP, XL_LOG, XL_SIGMOID, XL_SOFTPLUS, XL_RELU,
  XL_RELU6, XL_ELU, XL_STEP, XL_SIGN, XL_TANH, XL_RECIPROCAL, XL_FLOOR, XL_LEAKY, XL_CLIP, XL_LOG1P,
  XL_EXPM1
};
enum xl_reduce_op { XL_RSUM, XL_RMEAN, XL_RMAX, XL_RMIN, XL_RPROD };

/* out[i] = op(a[ia], b[ib]) over outShape; aStr/bStr are element strides (0 on broadcast dims). */
void xl_binary(int op, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, float *out,
               const int64_t *outShape, int rank);
/* out[i] = op(x[i]) with parameters p0, p1 (step/leaky alpha, clip bounds). */
void xl_unary(int op, const float *x, float *out, int64_t n, float p0, float p1);
/* Reduces x of `shape` over dims with reduce[d] != 0 into out (the kept dims in order), accumulating in double. */
void xl_reduce(int op, const float *x, const int64_t *shape, const int *reduce, int rank, float *out);
/* C[b] = op(A[b]) op(B[b]) for b < batch; aStride/bStride are the per-batch element strides (0 broadcasts). */
void xl_gemm(const float *a, const float *b, float *c, int64_t batch, int64_t m, int64_t n, int64_t k, int transA,
             int transB, int64_t aStride, int64_t bStride);

/* As xl_binary for comparison ops, writing 1/0 bytes (tfjs bool tensors). */
void xl_compare(int op, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, uint8_t *out,
                const int64_t *outShape, int rank);
/* out[i] = cond[i] != 0 ? t[i] : e[i] */
void xl_select(const uint8_t *cond, const float *t, const float *e, float *out, int64_t n);

/* Convolution geometry (NHWC input, [fh, fw, cin, cout] filter), as tfjs's Conv2DInfo. */
typedef struct {
  int64_t n, h, w, c, fh, fw, sh, sw, dh, dw, padTop, padLeft, outH, outW;
} xl_conv_geom;
/* cols[(b*outH + oy)*outW + ox][(ky*fw + kx)*c + ci] = x[b, oy*sh - padTop + ky*dh, ox*sw - padLeft + kx*dw, ci], 0 outside. */
void xl_im2col(const float *x, const xl_conv_geom *g, float *cols);
/* The adjoint of im2col: dx (zeroed here) accumulates every column entry back onto its input pixel. */
void xl_col2im(const float *cols, const xl_conv_geom *g, float *dx);

/* Fused pairwise rank loss (src/train/losses/rank.ts) over the first k latent axes.
 * z: [n, zStride] latents, y: [n, yStride] descriptors, valid: [n, yStride] 1/0 or NULL
 * (NaN descriptors count as missing). Writes dL/dz into grad ([n, zStride], zero beyond
 * axis k) and returns the loss. O(n^2 k) time, O(n) memory. */
double xl_rank_loss(const float *z, int64_t zStride, const float *y, int64_t yStride, const float *valid,
                    int64_t n, int64_t k, float *grad);
/* Replicate-padded 1-D cross-correlation of each row of x [n, m] with w (size taps, left of centre). */
void xl_smooth(const float *x, int64_t n, int64_t m, const float *w, int64_t size, int64_t left, float *out);
/* mean((x - smooth(x))^2) over x [n, m]; writes its gradient w.r.t. x into grad. */
double xl_smoothness_loss(const float *x, int64_t n, int64_t m, const float *w, int64_t size, int64_t left, float *grad);
/* One AdamW step in place over flat parameters p, moments m, v and gradient g (src/train/adamw.ts);
 * c1 = 1 - b1 and c2 = 1 - b2 come rounded from double, as the tfjs scalars there. */
void xl_adamw(float *p, float *m, float *v, const float *g, int64_t n, float b1, float c1, float b2, float c2,
              float decay, float stepSize, float invBc2Sqrt, float eps);

/* Training-mode affine-free batch norm of x [n, h]: out = (x - mean) * rstd with the batch mean,
 * biased variance var and rstd = 1 / sqrt(var + eps) per column (all written). */
void xl_bn_train_fwd(const float *x, int64_t n, int64_t h, float eps, float *out, float *mean, float *var, float *rstd);
/* Its gradient: dx = rstd * (dy - mean(dy) - y * mean(dy * y)) per column, y the forward output. */
void xl_bn_train_bwd(const float *dy, const float *y, const float *rstd, int64_t n, int64_t h, float *dx);
/* PReLU gradient over x [n, h] with per-column slopes: dx = dy (x > 0 ? 1 : alpha), dalpha = sum_rows dy (x > 0 ? 0 : x). */
void xl_prelu_bwd(const float *dy, const float *x, const float *alpha, int64_t n, int64_t h, float *dx, float *dalpha);
/* Inference batch norm over x [rows, h] as tfjs's cpu kernel (in double, per-column params):
 * out = offset + (x - mean) scale / sqrt(var + eps). */
void xl_bn_infer(const float *x, int64_t rows, int64_t h, const float *mean, const float *var, const float *scale,
                 const float *offset, double eps, float *out);

/* Inverted-dropout mask from xoshiro128** state[4] (advanced in place), exactly as dropoutMask in
 * src/model/random-tensors.ts: each draw's 16-bit halves decide two entries (0 below threshold, else keep). */
void xl_dropout_mask(uint32_t *state, float *out, int64_t n, uint32_t threshold, float keep);

/* x += std * N(0, 1) deviates drawn as Rng.normal in src/util/random.ts from xoshiro128** state[4]
 * (advanced in place); spare[2] = {1 if a deviate is cached, its value}, read and updated. */
void xl_add_normal(uint32_t *state, double *spare, float *x, int64_t n, double std);

/* UMAP layout SGD (umapSgd in src/reducers/umap-layout.ts, bit-identical): E kept edges head -> tail
 * sampled every eps[e] epochs, emb [n, dim] updated in place, negative samples from xorshift32 `state`.
 * Returns 0, or -1 when out of memory. */
int xl_umap_sgd(double *emb, int64_t n, int64_t dim, const int32_t *head, const int32_t *tail, const double *eps,
                int64_t E, double a, double b, int64_t nEpochs, uint32_t state, double negRate, double gamma);

/* Top-kk selection of allKnn in src/reducers/knn.ts (bit-identical) for query rows q0 .. q0 + rows - 1:
 * dots [rows, n] are their float32 dot products with all n points X [n, p], norms [n] the squared norms.
 * Writes rows q0.. of indices/distances [n, kk]. Returns 0, or -1 when out of memory. */
int xl_knn_select(const float *dots, int64_t rows, int64_t n, const double *norms, int64_t q0, const float *X, int64_t p,
                  int64_t kk, int32_t *indices, double *distances);
/* FFT-interpolated t-SNE repulsion on a given grid (src/reducers/tsne-fft.ts): Z into *sumQ; 0, or -1 when out of memory. */
int xl_tsne_fft(const double *Y, int64_t n, int64_t d, int64_t p, int64_t boxes, double lo, double boxWidth, double centre,
                float *khat, int fresh, float *work, double *rep, double *sumQ);
/* The attractive t-SNE gradient over CSR P and its assembly with the repulsion (src/reducers/tsne.ts tsneGradient);
 * -1 when a column is out of range. */
int xl_tsne_attract(const int32_t *rowPtr, const int32_t *cols, const double *vals, const double *Y, int64_t n, int64_t d,
                    double exaggeration, const double *rep, double sumQ, double *out);
/* One gradient-descent step of t-SNE over len coordinates (descentStep of src/reducers/tsne.ts, the same bits);
 * returns the squared gradient norm. */
double xl_tsne_step(const double *grad, double *update, double *gains, double *Y, int64_t len, double momentum, double lr);
/* Trustworthiness rows: input neighbours and penalties of query rows from their float32 dot products
 * (src/metrics/neighborhood.ts InputRow); -1 when out of memory. */
int xl_trust_rows(const float *dots, int64_t rows, int64_t n, const int32_t *rowIndex, const double *cn, const double *cs,
                  const double *norms, double unscale, double k1, double k2, double tiny, const float *X, int64_t m, int64_t k,
                  const int32_t *nnY, int32_t *nnX, int findNearest, double *penalty);
/* Continuity penalties of query rows over a float32 embedding; -1 when out of memory. */
int xl_continuity_rows(const float *Y, int64_t n, int64_t d, int64_t rows, const int32_t *rowIndex, const int32_t *nnX,
                       const int32_t *nnY, int64_t k, double *penalty);

/* Fused training-mode MLP (native/src/mlp.c, src/ops mlpTrain). */
enum xl_activation { XL_ACT_PRELU, XL_ACT_RELU, XL_ACT_SWISH };
enum xl_mlp_output { XL_OUT_BATCHNORM, XL_OUT_SOFTPLUS, XL_OUT_LINEAR };
/* One dense layer [in -> out] of n rows. Hidden layers: dense -> activation -> [batch norm] -> [dropout];
 * the last layer: dense -> the network's output. NULL marks what a layer does not have. */
typedef struct {
  int64_t in, out;
  const float *w, *b;      /* [in, out], [out] */
  const float *alpha;      /* PReLU slopes [out] */
  const float *mask;       /* dropout mask [n, out] */
  const float *rm, *rv;    /* running mean and variance [out] (batch norm) */
  float *rmNew, *rvNew;    /* their update [out] (written) */
  /* Saved by the forward pass for the backward one: */
  float *pre;              /* dense output [n, out] (hidden and softplus output layers) */
  float *bn;               /* activation output, normalized in place when batch norm [n, out] (hidden) */
  float *outp;             /* bn * mask [n, out] (hidden layers with dropout) */
  float *rstd;             /* 1 / sqrt(variance + eps) [out] (batch norm) */
  float *aux;              /* sigmoid(pre) [n, out] (swish) */
  /* Written by the backward pass: */
  float *dw, *db, *dalpha; /* [in, out], [out], [out] (PReLU) */
} xl_mlp_layer;
typedef struct {
  int layers;              /* hidden layers + 1 */
  int activation;          /* enum xl_activation */
  int batchNorm;           /* hidden layers normalized */
  int output;              /* enum xl_mlp_output */
  float eps;
  /* Running average weights: 1 - momentum, momentum, momentum n / (n - 1) (float, as the tf ops see them). */
  float keep, meanWeight, varWeight;
  xl_mlp_layer *layer;
} xl_mlp;
/* Forward pass of x [n, layer[0].in] into y [n, out of the last layer]; fills the saved arrays and
 * running-statistics updates. Returns 0, or -1 when out of memory. */
int xl_mlp_forward(const xl_mlp *net, const float *x, int64_t n, float *y);
/* Backward pass from dy (gradient w.r.t. y) with the arrays the forward pass saved: dw, db, dalpha of
 * every layer, and gPre0 [n, layer[0].out], the gradient w.r.t. the first layer's dense output
 * (dL/dx = gPre0 w0^T, left to the caller, who may not need it). Returns 0, or -1 when out of memory. */
int xl_mlp_backward(const xl_mlp *net, const float *x, int64_t n, const float *dy, const float *y, float *gPre0);

void xl_set_threads(int n);
int xl_threads(void);
const char *xl_blas_name(void);
#endif
