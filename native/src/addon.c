/* N-API entry points of the xlatent native addon: thin argument checking
 * around kernels.c. Every array is checked against the extents it will be
 * indexed with, so a wrong call throws instead of corrupting memory. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define THROW(env, msg)                   \
  do {                                    \
    napi_throw_error((env), NULL, (msg)); \
    return NULL;                          \
  } while (0)

#define CHECK(env, call)                                     \
  do {                                                       \
    if ((call) != napi_ok) THROW((env), "xlatent native: bad argument"); \
  } while (0)

/* Reads a typed array of type `want` (its data and element count); 0 when v is anything else. */
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, int64_t *len) {
  napi_typedarray_type type;
  size_t n, off;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &n, data, &ab, &off) != napi_ok || type != want) return 0;
  *len = (int64_t)n;
  return 1;
}

/* As get_typed, of at least `need` elements. */
static int typed_arg(napi_env env, napi_value v, napi_typedarray_type want, int64_t need, void **out) {
  int64_t len;
  return get_typed(env, v, want, out, &len) && len >= need;
}

static int get_f32(napi_env env, napi_value v, float **data, int64_t *len) {
  return get_typed(env, v, napi_float32_array, (void **)data, len);
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  *out = (int64_t)d;
  return 1;
}

static int get_f64(napi_env env, napi_value v, double *out) { return napi_get_value_double(env, v, out) == napi_ok; }

/* Reads a JS number array of at most XL_MAX_RANK entries. */
static int get_dims(napi_env env, napi_value v, int64_t *dims, int *rank) {
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok || n > XL_MAX_RANK) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !get_i64(env, e, &dims[i])) return 0;
  }
  *rank = (int)n;
  return 1;
}

static int64_t extent(const int64_t *shape, const int64_t *str, int rank) {
  int64_t e = 1;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return 0;
    e += (shape[d] - 1) * str[d];
  }
  return e;
}

/* binary(op, a, aStrides, b, bStrides, out, outShape); out is a Float32Array, or a Uint8Array for comparisons */
static napi_value Binary(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) THROW(env, "binary: expected 7 arguments");
  int64_t op, sa[XL_MAX_RANK], sb[XL_MAX_RANK], shape[XL_MAX_RANK], na, nb, no;
  int ra, rb, r;
  float *a, *b;
  napi_typedarray_type otype;
  size_t olen, ooff;
  void *o;
  napi_value oab;
  if (!get_i64(env, argv[0], &op) || !get_f32(env, argv[1], &a, &na) || !get_dims(env, argv[2], sa, &ra) ||
      !get_f32(env, argv[3], &b, &nb) || !get_dims(env, argv[4], sb, &rb) ||
      napi_get_typedarray_info(env, argv[5], &otype, &olen, &o, &oab, &ooff) != napi_ok ||
      !get_dims(env, argv[6], shape, &r) || ra != r || rb != r)
    THROW(env, "binary: bad argument types or ranks");
  const int isCompare = op >= XL_GREATER;
  if (isCompare ? otype != napi_uint8_array : otype != napi_float32_array)
    THROW(env, "binary: output must be a Float32Array (a Uint8Array for comparisons)");
  no = (int64_t)olen;
  int64_t total = 1;
  for (int d = 0; d < r; d++) total *= shape[d];
  if (total > no || extent(shape, sa, r) > na || extent(shape, sb, r) > nb) THROW(env, "binary: array too short");
  if (isCompare) xl_compare((int)op, a, sa, b, sb, (uint8_t *)o, shape, r);
  else xl_binary((int)op, a, sa, b, sb, (float *)o, shape, r);
  return NULL;
}

/* unary(op, x, out, p0, p1) */
static napi_value Unary(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) THROW(env, "unary: expected 5 arguments");
  int64_t op, nx, no;
  float *x, *o;
  double p0, p1;
  if (!get_i64(env, argv[0], &op) || !get_f32(env, argv[1], &x, &nx) || !get_f32(env, argv[2], &o, &no) ||
      !get_f64(env, argv[3], &p0) || !get_f64(env, argv[4], &p1))
    THROW(env, "unary: bad argument types");
  if (no < nx) THROW(env, "unary: output too short");
  xl_unary((int)op, x, o, nx, (float)p0, (float)p1);
  return NULL;
}

/* reduce(op, x, shape, reduceFlags, out) */
static napi_value Reduce(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) THROW(env, "reduce: expected 5 arguments");
  int64_t op, shape[XL_MAX_RANK], flags[XL_MAX_RANK], nx, no;
  int r, rf;
  float *x, *o;
  if (!get_i64(env, argv[0], &op) || !get_f32(env, argv[1], &x, &nx) || !get_dims(env, argv[2], shape, &r) ||
      !get_dims(env, argv[3], flags, &rf) || !get_f32(env, argv[4], &o, &no) || rf != r)
    THROW(env, "reduce: bad argument types or ranks");
  int red[XL_MAX_RANK];
  int64_t total = 1, outN = 1;
  for (int d = 0; d < r; d++) {
    red[d] = flags[d] != 0;
    total *= shape[d];
    if (!red[d]) outN *= shape[d];
  }
  if (total == 0) THROW(env, "reduce: empty input");
  if (total > nx || outN > no) THROW(env, "reduce: array too short");
  xl_reduce((int)op, x, shape, red, r, o);
  return NULL;
}

/* gemm(a, b, c, batch, m, n, k, transA, transB, aStride, bStride) */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) THROW(env, "gemm: expected 11 arguments");
  float *a, *b, *c;
  int64_t na, nb, nc, batch, m, n, k, ta, tb, as, bs;
  if (!get_f32(env, argv[0], &a, &na) || !get_f32(env, argv[1], &b, &nb) || !get_f32(env, argv[2], &c, &nc) ||
      !get_i64(env, argv[3], &batch) || !get_i64(env, argv[4], &m) || !get_i64(env, argv[5], &n) ||
      !get_i64(env, argv[6], &k) || !get_i64(env, argv[7], &ta) || !get_i64(env, argv[8], &tb) ||
      !get_i64(env, argv[9], &as) || !get_i64(env, argv[10], &bs))
    THROW(env, "gemm: bad argument types");
  if (batch < 0 || m < 0 || n < 0 || k < 0 || as < 0 || bs < 0) THROW(env, "gemm: negative size");
  if (batch == 0 || m == 0 || n == 0) return NULL;
  if (nc < batch * m * n || na < (batch - 1) * as + m * k || nb < (batch - 1) * bs + k * n)
    THROW(env, "gemm: array too short");
  xl_gemm(a, b, c, batch, m, n, k, (int)ta, (int)tb, as, bs);
  return NULL;
}

/* select(cond: Uint8Array, t, e, out): same-length arrays */
static napi_value Select(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) THROW(env, "select: expected 4 arguments");
  void *c;
  float *t, *e, *o;
  int64_t nc, nt, ne, no;
  if (!get_typed(env, argv[0], napi_uint8_array, &c, &nc) || !get_f32(env, argv[1], &t, &nt) || !get_f32(env, argv[2], &e, &ne) ||
      !get_f32(env, argv[3], &o, &no))
    THROW(env, "select: bad argument types");
  if (nt < nc || ne < nc || no < nc) THROW(env, "select: array too short");
  xl_select((const uint8_t *)c, t, e, o, nc);
  return NULL;
}

/* im2col(x, geom[14], cols) / col2im(cols, geom[14], dx): geom = n,h,w,c,fh,fw,sh,sw,dh,dw,padTop,padLeft,outH,outW */
static napi_value ColOp(napi_env env, napi_callback_info info, int adjoint) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) THROW(env, "im2col/col2im: expected 3 arguments");
  float *src, *dst;
  int64_t ns, nd, gv[14];
  uint32_t len;
  if (!get_f32(env, argv[0], &src, &ns) || !get_f32(env, argv[2], &dst, &nd) ||
      napi_get_array_length(env, argv[1], &len) != napi_ok || len != 14)
    THROW(env, "im2col/col2im: bad argument types");
  for (uint32_t i = 0; i < 14; i++) {
    napi_value e;
    if (napi_get_element(env, argv[1], i, &e) != napi_ok || !get_i64(env, e, &gv[i]) || (gv[i] < 0 && i != 10 && i != 11))
      THROW(env, "im2col/col2im: bad geometry");
  }
  xl_conv_geom g = {gv[0], gv[1], gv[2], gv[3], gv[4], gv[5], gv[6], gv[7], gv[8], gv[9], gv[10], gv[11], gv[12], gv[13]};
  const int64_t image = g.n * g.h * g.w * g.c, cols = g.n * g.outH * g.outW * g.fh * g.fw * g.c;
  if (adjoint ? (ns < cols || nd < image) : (ns < image || nd < cols)) THROW(env, "im2col/col2im: array too short");
  if (adjoint) xl_col2im(src, &g, dst); else xl_im2col(src, &g, dst);
  return NULL;
}

static napi_value Im2col(napi_env env, napi_callback_info info) { return ColOp(env, info, 0); }
static napi_value Col2im(napi_env env, napi_callback_info info) { return ColOp(env, info, 1); }

static int get_f32_or_null(napi_env env, napi_value v, float **data, int64_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  return get_f32(env, v, data, len);
}

static napi_value make_double(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* rankLoss(z, zStride, y, yStride, valid | null, n, k, grad) -> loss */
static napi_value RankLoss(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) THROW(env, "rankLoss: expected 8 arguments");
  float *z, *y, *valid, *g;
  int64_t nz, ny, nvalid, ng, zs, ys, n, k;
  if (!get_f32(env, argv[0], &z, &nz) || !get_i64(env, argv[1], &zs) || !get_f32(env, argv[2], &y, &ny) ||
      !get_i64(env, argv[3], &ys) || !get_f32_or_null(env, argv[4], &valid, &nvalid) || !get_i64(env, argv[5], &n) ||
      !get_i64(env, argv[6], &k) || !get_f32(env, argv[7], &g, &ng))
    THROW(env, "rankLoss: bad argument types");
  if (n < 0 || k < 0 || zs < k || ys < k) THROW(env, "rankLoss: bad sizes");
  if (nz < n * zs || ny < n * ys || ng < n * zs || (valid && nvalid < n * ys)) THROW(env, "rankLoss: array too short");
  return make_double(env, xl_rank_loss(z, zs, y, ys, valid, n, k, g));
}

/* smoothnessLoss(x, n, m, w, left, grad) -> loss; smooth(x, n, m, w, left, out) */
static napi_value SmoothOp(napi_env env, napi_callback_info info, int loss) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) THROW(env, "smooth: expected 6 arguments");
  float *x, *w, *o;
  int64_t nx, nw, no, n, m, left;
  if (!get_f32(env, argv[0], &x, &nx) || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &m) ||
      !get_f32(env, argv[3], &w, &nw) || !get_i64(env, argv[4], &left) || !get_f32(env, argv[5], &o, &no))
    THROW(env, "smooth: bad argument types");
  if (n < 0 || m < 0 || left < 0 || left >= nw) THROW(env, "smooth: bad sizes");
  if (nx < n * m || no < n * m) THROW(env, "smooth: array too short");
  if (loss) return make_double(env, xl_smoothness_loss(x, n, m, w, nw, left, o));
  xl_smooth(x, n, m, w, nw, left, o);
  return NULL;
}
static napi_value SmoothnessLoss(napi_env env, napi_callback_info info) { return SmoothOp(env, info, 1); }
static napi_value Smooth(napi_env env, napi_callback_info info) { return SmoothOp(env, info, 0); }

/* adamw(p, m, v, g, [b1, c1, b2, c2, decay, stepSize, invBc2Sqrt, eps]): p, m, v updated in place */
static napi_value AdamW(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) THROW(env, "adamw: expected 5 arguments");
  float *p, *m, *v, *g;
  int64_t np, nm, nv, ng;
  double h[8];
  uint32_t len;
  if (!get_f32(env, argv[0], &p, &np) || !get_f32(env, argv[1], &m, &nm) || !get_f32(env, argv[2], &v, &nv) ||
      !get_f32(env, argv[3], &g, &ng) || napi_get_array_length(env, argv[4], &len) != napi_ok || len != 8)
    THROW(env, "adamw: bad argument types");
  for (uint32_t i = 0; i < 8; i++) {
    napi_value e;
    if (napi_get_element(env, argv[4], i, &e) != napi_ok || !get_f64(env, e, &h[i])) THROW(env, "adamw: bad hyper-parameters");
  }
  if (nm != np || nv != np || ng != np) THROW(env, "adamw: arrays differ in length");
  xl_adamw(p, m, v, g, np, (float)h[0], (float)h[1], (float)h[2], (float)h[3], (float)h[4], (float)h[5], (float)h[6], (float)h[7]);
  return NULL;
}

/* Reads argv[i] as a Float32Array of at least `need` elements into *out; 0 on failure. */
static int f32_arg(napi_env env, napi_value v, int64_t need, float **out) {
  return typed_arg(env, v, napi_float32_array, need, (void **)out);
}

/* bnTrainForward(x, n, h, eps, out, mean, variance, rstd) */
static napi_value BnTrainForward(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, h;
  double eps;
  float *x, *o, *m, *v, *r;
  if (argc != 8 || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &h) || !get_f64(env, argv[3], &eps) || n <= 0 || h <= 0)
    THROW(env, "bnTrainForward: bad arguments");
  if (!f32_arg(env, argv[0], n * h, &x) || !f32_arg(env, argv[4], n * h, &o) || !f32_arg(env, argv[5], h, &m) ||
      !f32_arg(env, argv[6], h, &v) || !f32_arg(env, argv[7], h, &r))
    THROW(env, "bnTrainForward: arrays missing or too short");
  xl_bn_train_fwd(x, n, h, (float)eps, o, m, v, r);
  return NULL;
}

/* bnTrainBackward(dy, y, rstd, n, h, dx) */
static napi_value BnTrainBackward(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, h;
  float *dy, *y, *r, *dx;
  if (argc != 6 || !get_i64(env, argv[3], &n) || !get_i64(env, argv[4], &h) || n <= 0 || h <= 0) THROW(env, "bnTrainBackward: bad arguments");
  if (!f32_arg(env, argv[0], n * h, &dy) || !f32_arg(env, argv[1], n * h, &y) || !f32_arg(env, argv[2], h, &r) ||
      !f32_arg(env, argv[5], n * h, &dx))
    THROW(env, "bnTrainBackward: arrays missing or too short");
  xl_bn_train_bwd(dy, y, r, n, h, dx);
  return NULL;
}

/* preluBackward(dy, x, alpha, n, h, dx, dalpha) */
static napi_value PreluBackward(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, h;
  float *dy, *x, *a, *dx, *da;
  if (argc != 7 || !get_i64(env, argv[3], &n) || !get_i64(env, argv[4], &h) || n <= 0 || h <= 0) THROW(env, "preluBackward: bad arguments");
  if (!f32_arg(env, argv[0], n * h, &dy) || !f32_arg(env, argv[1], n * h, &x) || !f32_arg(env, argv[2], h, &a) ||
      !f32_arg(env, argv[5], n * h, &dx) || !f32_arg(env, argv[6], h, &da))
    THROW(env, "preluBackward: arrays missing or too short");
  xl_prelu_bwd(dy, x, a, n, h, dx, da);
  return NULL;
}

/* bnInfer(x, rows, h, mean, variance, scale, offset, eps, out) */
static napi_value BnInfer(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t rows, h;
  double eps;
  float *x, *m, *v, *s, *o, *out;
  if (argc != 9 || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &h) || !get_f64(env, argv[7], &eps) || rows <= 0 || h <= 0)
    THROW(env, "bnInfer: bad arguments");
  if (!f32_arg(env, argv[0], rows * h, &x) || !f32_arg(env, argv[3], h, &m) || !f32_arg(env, argv[4], h, &v) ||
      !f32_arg(env, argv[5], h, &s) || !f32_arg(env, argv[6], h, &o) || !f32_arg(env, argv[8], rows * h, &out))
    THROW(env, "bnInfer: arrays missing or too short");
  xl_bn_infer(x, rows, h, m, v, s, o, eps, out);
  return NULL;
}

/* dropoutMask(state: Uint32Array(4), out, threshold, keep): state advanced in place */
static napi_value DropoutMask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *st;
  float *o;
  int64_t len, no, threshold;
  double keep;
  if (argc != 4 || !get_typed(env, argv[0], napi_uint32_array, &st, &len) || len != 4 || !get_f32(env, argv[1], &o, &no) || !get_i64(env, argv[2], &threshold) || !get_f64(env, argv[3], &keep) ||
      threshold < 0 || threshold > 65536)
    THROW(env, "dropoutMask: bad arguments");
  xl_dropout_mask((uint32_t *)st, o, no, (uint32_t)threshold, (float)keep);
  return NULL;
}

/* addNormal(state: Uint32Array(4), spare: Float64Array(2), x, std): state and spare advanced in place */
static napi_value AddNormal(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *st, *sp;
  float *x;
  int64_t len, nsp, nx;
  double sd;
  if (argc != 4 || !get_typed(env, argv[0], napi_uint32_array, &st, &len) || len != 4 || !get_typed(env, argv[1], napi_float64_array, &sp, &nsp) ||
      nsp != 2 || !get_f32(env, argv[2], &x, &nx) || !get_f64(env, argv[3], &sd))
    THROW(env, "addNormal: bad arguments");
  xl_add_normal((uint32_t *)st, (double *)sp, x, nx, sd);
  return NULL;
}

#define XL_MLP_SLOTS 18
#define XL_MLP_MAX_LAYERS 64

/* Reads slot i of a layer as a Float32Array of at least `need` elements, or NULL when null/undefined
 * (an error when `required`). */
static int mlp_slot(napi_env env, napi_value arr, uint32_t i, int64_t need, int required, float **out) {
  napi_value e;
  int64_t len;
  if (napi_get_element(env, arr, i, &e) != napi_ok || !get_f32_or_null(env, e, out, &len)) return 0;
  if (!*out) return !required;
  return len >= need;
}

/* Parses (x, n, layers, config) of mlpForward/mlpBackward into net (layer storage in `layers`). */
static const char *mlp_parse(napi_env env, napi_value *argv, int backward, xl_mlp *net, xl_mlp_layer *layers, float **x, int64_t *n) {
  int64_t nx;
  uint32_t len, clen;
  if (!get_f32(env, argv[0], x, &nx) || !get_i64(env, argv[1], n) || *n <= 0) return "bad x or n";
  if (napi_get_array_length(env, argv[2], &len) != napi_ok || len == 0 || len % XL_MLP_SLOTS != 0 ||
      len / XL_MLP_SLOTS > XL_MLP_MAX_LAYERS)
    return "bad layer list";
  double c[7];
  if (napi_get_array_length(env, argv[3], &clen) != napi_ok || clen != 7) return "bad config";
  for (uint32_t i = 0; i < 7; i++) {
    napi_value e;
    if (napi_get_element(env, argv[3], i, &e) != napi_ok || !get_f64(env, e, &c[i])) return "bad config";
  }
  net->layers = (int)(len / XL_MLP_SLOTS);
  net->activation = (int)c[0];
  net->batchNorm = c[1] != 0;
  net->output = (int)c[2];
  net->eps = (float)c[3];
  net->keep = (float)c[4];
  net->meanWeight = (float)c[5];
  net->varWeight = (float)c[6];
  net->layer = layers;
  if (net->activation < XL_ACT_PRELU || net->activation > XL_ACT_SWISH || net->output < XL_OUT_BATCHNORM || net->output > XL_OUT_LINEAR)
    return "bad config";
  const int64_t rows = *n;
  for (int l = 0; l < net->layers; l++) {
    xl_mlp_layer *L = &layers[l];
    const uint32_t o = (uint32_t)l * XL_MLP_SLOTS;
    napi_value e;
    if (napi_get_element(env, argv[2], o, &e) != napi_ok || !get_i64(env, e, &L->in) ||
        napi_get_element(env, argv[2], o + 1, &e) != napi_ok || !get_i64(env, e, &L->out) || L->in <= 0 || L->out <= 0)
      return "bad layer widths";
    if ((l == 0 && nx < rows * L->in) || (l > 0 && L->in != layers[l - 1].out)) return "layer widths do not chain";
    const int last = l == net->layers - 1, h = L->out;
    const int bn = last ? net->output == XL_OUT_BATCHNORM : net->batchNorm;
    float *w, *b, *alpha, *mask, *rm, *rv, *rmNew, *rvNew, *pre, *bnb, *outp, *rstd, *aux, *dw, *db, *da;
    if (!mlp_slot(env, argv[2], o + 2, L->in * h, 1, &w) || !mlp_slot(env, argv[2], o + 3, h, 1, &b) ||
        !mlp_slot(env, argv[2], o + 4, h, !last && net->activation == XL_ACT_PRELU, &alpha) ||
        !mlp_slot(env, argv[2], o + 5, rows * h, 0, &mask) || !mlp_slot(env, argv[2], o + 6, h, bn, &rm) ||
        !mlp_slot(env, argv[2], o + 7, h, bn, &rv) || !mlp_slot(env, argv[2], o + 8, h, bn, &rmNew) ||
        !mlp_slot(env, argv[2], o + 9, h, bn, &rvNew) ||
        !mlp_slot(env, argv[2], o + 10, rows * h, !last || net->output == XL_OUT_SOFTPLUS, &pre) ||
        !mlp_slot(env, argv[2], o + 11, rows * h, !last, &bnb) || !mlp_slot(env, argv[2], o + 12, rows * h, 0, &outp) ||
        !mlp_slot(env, argv[2], o + 13, h, bn, &rstd) ||
        !mlp_slot(env, argv[2], o + 14, rows * h, !last && net->activation == XL_ACT_SWISH, &aux) ||
        !mlp_slot(env, argv[2], o + 15, L->in * h, backward, &dw) || !mlp_slot(env, argv[2], o + 16, h, backward, &db) ||
        !mlp_slot(env, argv[2], o + 17, h, backward && !last && net->activation == XL_ACT_PRELU, &da))
      return "layer array missing or too short";
    if (!last && mask && !outp) return "a dropout layer needs its output array";
    if (last && mask) return "the output layer has no dropout";
    L->w = w; L->b = b; L->alpha = alpha; L->mask = mask; L->rm = rm; L->rv = rv; L->rmNew = rmNew; L->rvNew = rvNew;
    L->pre = pre; L->bn = bnb; L->outp = outp; L->rstd = rstd; L->aux = aux; L->dw = dw; L->db = db; L->dalpha = da;
  }
  return NULL;
}

/* mlpForward(x, n, layers (18 slots each), config [activation, batchNorm, output, eps, keep, meanWeight, varWeight], y) */
static napi_value MlpForward(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) THROW(env, "mlpForward: expected 5 arguments");
  xl_mlp net;
  xl_mlp_layer layers[XL_MLP_MAX_LAYERS];
  float *x, *y;
  int64_t n, ny;
  const char *err = mlp_parse(env, argv, 0, &net, layers, &x, &n);
  if (err) {
    char msg[96];
    snprintf(msg, sizeof msg, "mlpForward: %s", err);
    THROW(env, msg);
  }
  if (!get_f32(env, argv[4], &y, &ny) || ny < n * layers[net.layers - 1].out) THROW(env, "mlpForward: y missing or too short");
  if (xl_mlp_forward(&net, x, n, y) != 0) THROW(env, "mlpForward: out of memory");
  return NULL;
}

/* mlpBackward(x, n, layers, config, dy, y, gPre0) */
static napi_value MlpBackward(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) THROW(env, "mlpBackward: expected 7 arguments");
  xl_mlp net;
  xl_mlp_layer layers[XL_MLP_MAX_LAYERS];
  float *x, *dy, *y, *g0;
  int64_t n, ndy, ny, ng;
  const char *err = mlp_parse(env, argv, 1, &net, layers, &x, &n);
  if (err) {
    char msg[96];
    snprintf(msg, sizeof msg, "mlpBackward: %s", err);
    THROW(env, msg);
  }
  const int64_t out = layers[net.layers - 1].out;
  if (!get_f32(env, argv[4], &dy, &ndy) || !get_f32(env, argv[5], &y, &ny) || !get_f32(env, argv[6], &g0, &ng) ||
      ndy < n * out || ny < n * out || ng < n * layers[0].out)
    THROW(env, "mlpBackward: dy, y or gPre0 missing or too short");
  if (xl_mlp_backward(&net, x, n, dy, y, g0) != 0) THROW(env, "mlpBackward: out of memory");
  return NULL;
}

/* umapSgd(emb: Float64Array, n, dim, head: Int32Array, tail: Int32Array, eps: Float64Array, a, b, nEpochs, state, negRate, gamma) */
static napi_value UmapSgd(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, dim, E, epochs, state;
  double a, b, negRate, gamma;
  void *emb, *head, *tail, *eps;
  if (argc != 12 || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &dim) || !get_f64(env, argv[6], &a) ||
      !get_f64(env, argv[7], &b) || !get_i64(env, argv[8], &epochs) || !get_i64(env, argv[9], &state) ||
      !get_f64(env, argv[10], &negRate) || !get_f64(env, argv[11], &gamma) || n <= 0 || n > INT32_MAX || dim <= 0 ||
      state < 0 || state > UINT32_MAX || !(negRate > 0))
    THROW(env, "umapSgd: bad arguments");
  if (!get_typed(env, argv[5], napi_float64_array, &eps, &E)) THROW(env, "umapSgd: eps must be a Float64Array");
  if (!typed_arg(env, argv[0], napi_float64_array, n * dim, &emb) || !typed_arg(env, argv[3], napi_int32_array, E, &head) ||
      !typed_arg(env, argv[4], napi_int32_array, E, &tail))
    THROW(env, "umapSgd: arrays missing or too short");
  for (int64_t e = 0; e < E; e++) {
    const int32_t h = ((int32_t *)head)[e], t = ((int32_t *)tail)[e];
    if (h < 0 || h >= n || t < 0 || t >= n) THROW(env, "umapSgd: edge endpoint out of range");
  }
  if (xl_umap_sgd((double *)emb, n, dim, (int32_t *)head, (int32_t *)tail, (double *)eps, E, a, b, epochs, (uint32_t)state,
                  negRate, gamma) != 0)
    THROW(env, "umapSgd: out of memory");
  return NULL;
}

/* knnSelect(dots: Float32Array, rows, n, norms: Float64Array, q0, X: Float32Array, p, kk, indices: Int32Array, distances: Float64Array) */
static napi_value KnnSelect(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t rows, n, q0, p, kk;
  void *dots, *norms, *X, *ind, *dist;
  if (argc != 10 || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &n) || !get_i64(env, argv[4], &q0) ||
      !get_i64(env, argv[6], &p) || !get_i64(env, argv[7], &kk) || rows <= 0 || n <= 1 || n > INT32_MAX || q0 < 0 ||
      q0 + rows > n || p <= 0 || kk <= 0 || kk >= n)
    THROW(env, "knnSelect: bad arguments");
  if (!typed_arg(env, argv[0], napi_float32_array, rows * n, &dots) || !typed_arg(env, argv[3], napi_float64_array, n, &norms) ||
      !typed_arg(env, argv[5], napi_float32_array, n * p, &X) || !typed_arg(env, argv[8], napi_int32_array, n * kk, &ind) ||
      !typed_arg(env, argv[9], napi_float64_array, n * kk, &dist))
    THROW(env, "knnSelect: arrays missing or too short");
  if (xl_knn_select((float *)dots, rows, n, (double *)norms, q0, (float *)X, p, kk, (int32_t *)ind, (double *)dist) != 0)
    THROW(env, "knnSelect: out of memory");
  return NULL;
}

/* tsneFft(Y: Float64Array, n, d, p, boxes, lo, boxWidth, centre, khat: Float32Array, fresh, work: Float32Array, rep: Float64Array) -> Z */
static napi_value TsneFft(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, d, p, boxes, fresh;
  double lo, width, centre;
  void *Y, *khat, *work, *rep;
  if (argc != 12 || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &d) || !get_i64(env, argv[3], &p) ||
      !get_i64(env, argv[4], &boxes) || !get_f64(env, argv[5], &lo) || !get_f64(env, argv[6], &width) ||
      !get_f64(env, argv[7], &centre) || !get_i64(env, argv[9], &fresh) || n <= 0 || (d != 1 && d != 2) || p < 1 ||
      p > 64 || boxes < 1 || 2 * p * boxes > (d == 2 ? 16384 : (1 << 26)) || !(width > 0) || !isfinite(lo) || !isfinite(centre))
    THROW(env, "tsneFft: bad arguments");
  const int64_t M = 2 * p * boxes, cells = d == 2 ? M * M : M;
  if (!typed_arg(env, argv[0], napi_float64_array, n * d, &Y) || !typed_arg(env, argv[8], napi_float32_array, cells, &khat) ||
      !typed_arg(env, argv[10], napi_float32_array, 6 * cells, &work) || !typed_arg(env, argv[11], napi_float64_array, n * d, &rep))
    THROW(env, "tsneFft: arrays missing or too short");
  double z;
  if (xl_tsne_fft((double *)Y, n, d, p, boxes, lo, width, centre, (float *)khat, fresh != 0, (float *)work, (double *)rep, &z) != 0)
    THROW(env, "tsneFft: out of memory, or a grid length that is not 2^a 3^b 5^c");
  napi_value v;
  napi_create_double(env, z, &v);
  return v;
}

/* tsneAttract(rowPtr: Int32Array, cols: Int32Array, vals: Float64Array, Y: Float64Array, n, d, exaggeration, rep: Float64Array, sumQ, out: Float64Array) */
static napi_value TsneAttract(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, d, nnz, nRows;
  double ex, sumQ;
  void *rowPtr, *cols, *vals, *Y, *rep, *out;
  if (argc != 10 || !get_i64(env, argv[4], &n) || !get_i64(env, argv[5], &d) || !get_f64(env, argv[6], &ex) ||
      !get_f64(env, argv[8], &sumQ) || n <= 0 || n > INT32_MAX || d < 1 || d > 64)
    THROW(env, "tsneAttract: bad arguments");
  if (!get_typed(env, argv[0], napi_int32_array, &rowPtr, &nRows) || nRows < n + 1 ||
      !get_typed(env, argv[1], napi_int32_array, &cols, &nnz) || !typed_arg(env, argv[2], napi_float64_array, nnz, &vals) ||
      !typed_arg(env, argv[3], napi_float64_array, n * d, &Y) || !typed_arg(env, argv[7], napi_float64_array, n * d, &rep) ||
      !typed_arg(env, argv[9], napi_float64_array, n * d, &out))
    THROW(env, "tsneAttract: arrays missing or too short");
  const int32_t *rp = (const int32_t *)rowPtr;
  if (rp[0] != 0 || rp[n] > nnz) THROW(env, "tsneAttract: bad row pointers");
  for (int64_t i = 0; i < n; i++)
    if (rp[i + 1] < rp[i]) THROW(env, "tsneAttract: bad row pointers");
  if (xl_tsne_attract(rp, (const int32_t *)cols, (const double *)vals, (const double *)Y, n, d, ex, (const double *)rep, sumQ,
                      (double *)out) != 0)
    THROW(env, "tsneAttract: column index out of range");
  return NULL;
}

/* tsneStep(grad, update, gains, Y: Float64Array, len, momentum, lr) -> squared gradient norm */
static napi_value TsneStep(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t len;
  double momentum, lr;
  void *grad, *update, *gains, *Y;
  if (argc != 7 || !get_i64(env, argv[4], &len) || !get_f64(env, argv[5], &momentum) || !get_f64(env, argv[6], &lr) || len < 0)
    THROW(env, "tsneStep: bad arguments");
  if (!typed_arg(env, argv[0], napi_float64_array, len, &grad) || !typed_arg(env, argv[1], napi_float64_array, len, &update) ||
      !typed_arg(env, argv[2], napi_float64_array, len, &gains) || !typed_arg(env, argv[3], napi_float64_array, len, &Y))
    THROW(env, "tsneStep: arrays missing or too short");
  napi_value v;
  napi_create_double(env, xl_tsne_step((const double *)grad, (double *)update, (double *)gains, (double *)Y, len, momentum, lr), &v);
  return v;
}

/* Every entry of a[0 .. len) in [0, n). */
static int indices_in_range(const int32_t *a, int64_t len, int64_t n) {
  for (int64_t t = 0; t < len; t++)
    if (a[t] < 0 || a[t] >= n) return 0;
  return 1;
}

/* trustRows(dots: Float32Array, rows, n, rowIndex: Int32Array, cn, cs, norms: Float64Array, unscale, k1, k2, tiny,
 *           X: Float32Array, m, k, nnY: Int32Array, nnX: Int32Array, findNearest, penalty: Float64Array) */
static napi_value TrustRows(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t rows, n, m, k, find;
  double unscale, k1, k2, tiny;
  void *dots, *ri, *cn, *cs, *norms, *X, *nnY, *nnX, *pen;
  if (argc != 18 || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &n) || !get_f64(env, argv[7], &unscale) ||
      !get_f64(env, argv[8], &k1) || !get_f64(env, argv[9], &k2) || !get_f64(env, argv[10], &tiny) || !get_i64(env, argv[12], &m) ||
      !get_i64(env, argv[13], &k) || !get_i64(env, argv[16], &find) || rows <= 0 || n <= 1 || n > INT32_MAX || m <= 0 || k <= 0 ||
      k >= n)
    THROW(env, "trustRows: bad arguments");
  if (!typed_arg(env, argv[0], napi_float32_array, rows * n, &dots) || !typed_arg(env, argv[3], napi_int32_array, rows, &ri) ||
      !typed_arg(env, argv[4], napi_float64_array, n, &cn) || !typed_arg(env, argv[5], napi_float64_array, n, &cs) ||
      !typed_arg(env, argv[6], napi_float64_array, n, &norms) || !typed_arg(env, argv[11], napi_float32_array, n * m, &X) ||
      !typed_arg(env, argv[14], napi_int32_array, rows * k, &nnY) || !typed_arg(env, argv[15], napi_int32_array, rows * k, &nnX) ||
      !typed_arg(env, argv[17], napi_float64_array, rows, &pen))
    THROW(env, "trustRows: arrays missing or too short");
  if (!indices_in_range((int32_t *)ri, rows, n) || !indices_in_range((int32_t *)nnY, rows * k, n) ||
      (!find && !indices_in_range((int32_t *)nnX, rows * k, n)))
    THROW(env, "trustRows: index out of range");
  if (xl_trust_rows((float *)dots, rows, n, (int32_t *)ri, (double *)cn, (double *)cs, (double *)norms, unscale, k1, k2, tiny,
                    (float *)X, m, k, (int32_t *)nnY, (int32_t *)nnX, find != 0, (double *)pen) != 0)
    THROW(env, "trustRows: out of memory");
  return NULL;
}

/* continuityRows(Y: Float32Array, n, d, rows, rowIndex: Int32Array, nnX: Int32Array, nnY: Int32Array, k, penalty: Float64Array) */
static napi_value ContinuityRows(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n, d, rows, k;
  void *Y, *ri, *nnX, *nnY, *pen;
  if (argc != 9 || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &d) || !get_i64(env, argv[3], &rows) ||
      !get_i64(env, argv[7], &k) || n <= 1 || n > INT32_MAX || d <= 0 || rows <= 0 || k <= 0 || k >= n)
    THROW(env, "continuityRows: bad arguments");
  if (!typed_arg(env, argv[0], napi_float32_array, n * d, &Y) || !typed_arg(env, argv[4], napi_int32_array, rows, &ri) ||
      !typed_arg(env, argv[5], napi_int32_array, rows * k, &nnX) || !typed_arg(env, argv[6], napi_int32_array, rows * k, &nnY) ||
      !typed_arg(env, argv[8], napi_float64_array, rows, &pen))
    THROW(env, "continuityRows: arrays missing or too short");
  if (!indices_in_range((int32_t *)ri, rows, n) || !indices_in_range((int32_t *)nnX, rows * k, n) ||
      !indices_in_range((int32_t *)nnY, rows * k, n))
    THROW(env, "continuityRows: index out of range");
  if (xl_continuity_rows((float *)Y, n, d, rows, (int32_t *)ri, (int32_t *)nnX, (int32_t *)nnY, k, (double *)pen) != 0)
    THROW(env, "continuityRows: out of memory");
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !get_i64(env, argv[0], &n)) THROW(env, "setThreads: expected a number");
  xl_set_threads((int)n);
  return NULL;
}

static napi_value Threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, xl_threads(), &v);
  return v;
}

static napi_value BlasName(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  const char *s = xl_blas_name();
  napi_create_string_utf8(env, s ? s : "unknown", NAPI_AUTO_LENGTH, &v);
  return v;
}

/* Tensor buffers of tens of MB are allocated and dropped for every op. By
 * default glibc serves them with fresh mmaps, so each op pays page faults on
 * 20 MB; keeping them in the heap lets freed buffers be reused warm. Disable
 * with XLATENT_MALLOC_TUNE=0. */
static void tune_malloc(void) {
#ifdef __GLIBC__
  const char *e = getenv("XLATENT_MALLOC_TUNE");
  if (e && e[0] == '0') return;
  mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

static napi_value Init(napi_env env, napi_value exports) {
  tune_malloc();
  napi_property_descriptor props[] = {
      {"binary", NULL, Binary, NULL, NULL, NULL, napi_default_method, NULL},
      {"unary", NULL, Unary, NULL, NULL, NULL, napi_default_method, NULL},
      {"reduce", NULL, Reduce, NULL, NULL, NULL, napi_default_method, NULL},
      {"select", NULL, Select, NULL, NULL, NULL, napi_default_method, NULL},
      {"im2col", NULL, Im2col, NULL, NULL, NULL, napi_default_method, NULL},
      {"col2im", NULL, Col2im, NULL, NULL, NULL, napi_default_method, NULL},
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default_method, NULL},
      {"rankLoss", NULL, RankLoss, NULL, NULL, NULL, napi_default_method, NULL},
      {"smoothnessLoss", NULL, SmoothnessLoss, NULL, NULL, NULL, napi_default_method, NULL},
      {"smooth", NULL, Smooth, NULL, NULL, NULL, napi_default_method, NULL},
      {"adamw", NULL, AdamW, NULL, NULL, NULL, napi_default_method, NULL},
      {"bnTrainForward", NULL, BnTrainForward, NULL, NULL, NULL, napi_default_method, NULL},
      {"bnTrainBackward", NULL, BnTrainBackward, NULL, NULL, NULL, napi_default_method, NULL},
      {"preluBackward", NULL, PreluBackward, NULL, NULL, NULL, napi_default_method, NULL},
      {"bnInfer", NULL, BnInfer, NULL, NULL, NULL, napi_default_method, NULL},
      {"dropoutMask", NULL, DropoutMask, NULL, NULL, NULL, napi_default_method, NULL},
      {"addNormal", NULL, AddNormal, NULL, NULL, NULL, napi_default_method, NULL},
      {"mlpForward", NULL, MlpForward, NULL, NULL, NULL, napi_default_method, NULL},
      {"mlpBackward", NULL, MlpBackward, NULL, NULL, NULL, napi_default_method, NULL},
      {"umapSgd", NULL, UmapSgd, NULL, NULL, NULL, napi_default_method, NULL},
      {"knnSelect", NULL, KnnSelect, NULL, NULL, NULL, napi_default_method, NULL},
      {"tsneFft", NULL, TsneFft, NULL, NULL, NULL, napi_default_method, NULL},
      {"tsneAttract", NULL, TsneAttract, NULL, NULL, NULL, napi_default_method, NULL},
      {"tsneStep", NULL, TsneStep, NULL, NULL, NULL, napi_default_method, NULL},
      {"trustRows", NULL, TrustRows, NULL, NULL, NULL, napi_default_method, NULL},
      {"continuityRows", NULL, ContinuityRows, NULL, NULL, NULL, napi_default_method, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default_method, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_default_method, NULL},
      {"blasName", NULL, BlasName, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
