/**
 * WGSL compute programs behind the webgpu backend's versions of xlatent's
 * kernels (webgpu-kernels.ts), in tfjs-backend-webgpu's program format: the
 * backend prepends bindings (`result`, one array per input name), the
 * uniforms, `setOutputAtIndex` and `isnan`, and calls `main(globalIndex)`.
 * Two shapes of program: elementwise (one thread per output element) and
 * column/axis reductions (one workgroup of REDUCE threads per output, tree
 * sum in workgroup memory). Sizes travel as uniforms, so one compiled
 * pipeline serves every batch size.
 */
/**
 * The part of tfjs-backend-webgpu's WebGPUProgram these programs fill in
 * (declared here so that the optional package is not needed to compile).
 */
export interface WebGPUProgram {
  shaderKey: string;
  variableNames: string[];
  outputShape: number[];
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Adds `uniforms.size` (the output size). */
  size?: boolean;
  /** Extra uniform fields, e.g. 'n : i32, eps : f32,'. */
  uniforms?: string;
  getUserCode: () => string;
}

/** Threads of an elementwise workgroup. */
const WG = 64;
/** Threads of a reduction workgroup. */
const REDUCE = 128;

type Program = WebGPUProgram;

function flatDispatch(threads: number, workgroup: number): [number, number, number] {
  return [Math.max(1, Math.ceil(threads / workgroup)), 1, 1];
}

/** One thread per element of `outputShape`; `body` computes `v` for flat `index` (uniforms.size is the output size). */
function elementwise(shaderKey: string, variableNames: string[], outputShape: number[], uniforms: string, body: string): Program {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    shaderKey,
    variableNames,
    outputShape,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: flatDispatch(size, WG),
    workgroupSize: [WG, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * Workgroup memory and the sum of one value per thread over the workgroup
 * (tree order, so a fixed result for a fixed size). Every thread must call
 * it, in uniform control flow.
 */
const WORKGROUP_SUM = `
  var<workgroup> part : array<f32, ${REDUCE}>;
  fn workgroupSum(v : f32, lid : i32) -> f32 {
    workgroupBarrier();
    part[lid] = v;
    workgroupBarrier();
    for (var stride = ${REDUCE / 2}; stride > 0; stride = stride / 2) {
      if (lid < stride) { part[lid] = part[lid] + part[lid + stride]; }
      workgroupBarrier();
    }
    return part[0];
  }`;

/**
 * One workgroup per reduction `out` in [0, outputs) (uniforms.outputs):
 * `body` runs in every thread with `out`, `lid` (thread in the workgroup)
 * and `live` (out < outputs) defined, accumulates over r = lid, lid +
 * REDUCE, ... and combines with workgroupSum; it writes only when
 * `lid == 0 && live`.
 */
function reduction(shaderKey: string, variableNames: string[], outputShape: number[], outputs: number, uniforms: string, body: string): Program {
  return {
    shaderKey,
    variableNames,
    outputShape,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: flatDispatch(outputs, 1),
    workgroupSize: [REDUCE, 1, 1],
    uniforms: `${uniforms} outputs : i32,`,
    getUserCode: () => `
      ${WORKGROUP_SUM}
      fn main(index : i32) {
        let out = index / ${REDUCE};
        let lid = i32(localId.x);
        let live = out < uniforms.outputs;
        let first = lid == 0 && live;
        ${body}
      }`,
  };
}

/** Sums of `terms` (WGSL expressions of out and r) over r in [0, count), then `finish` with them as s0, s1, ... */
function sums(terms: string[], count: string, finish: string): string {
  return `
    ${terms.map((_, i) => `var t${i} = 0.0;`).join(' ')}
    if (live) {
      for (var r = lid; r < ${count}; r = r + ${REDUCE}) {
        ${terms.map((t, i) => `t${i} = t${i} + ${t};`).join(' ')}
      }
    }
    ${terms.map((_, i) => `let s${i} = workgroupSum(t${i}, lid);`).join(' ')}
    if (first) {
      ${finish}
    }`;
}

/** The `reduction` uniform carrying the number of outputs. */
export const outputsUniform = (n: number) => ({ type: 'int32', data: [n] });

// ---- rank loss ---------------------------------------------------------------

/** Whether row a has a known label on axis i (NaN counts as missing, as in the native kernel). */
const RANK_OK = `
  fn labelOk(a : i32, i : i32) -> bool {
    let ya = y[a * uniforms.k + i];
    return !isnan(ya) && (uniforms.masked == 0 || valid[a * uniforms.k + i] != 0.0);
  }`;

/** Per-row pair statistics layout (floats per row of each axis). */
export const RANK_ROW_STATS = 7;

/**
 * For each axis i and row a, over all rows b: sum t, sum t [prod > 0],
 * #prod > 0, #prod < 0, sum prod, sum relu(prod), valid(a); with
 * t = sign(ya - yb) valid(b), prod = (za - zb) t. Output [k, n, 7].
 */
export function rankRows(n: number, k: number): Program {
  const p = elementwise('xlatent_rank_rows', ['z', 'y', 'valid'], [k, n, RANK_ROW_STATS], 'n : i32, k : i32, w : i32, masked : i32,', '');
  p.dispatch = flatDispatch(k * n, WG);
  p.getUserCode = () => `
    ${RANK_OK}
    fn main(index : i32) {
      if (index >= uniforms.k * uniforms.n) { return; }
      let i = index / uniforms.n;
      let a = index - i * uniforms.n;
      let base = index * ${RANK_ROW_STATS};
      var sT = 0.0; var sTPos = 0.0; var nPos = 0.0; var nNeg = 0.0; var sP = 0.0; var sR = 0.0;
      let ok = labelOk(a, i);
      if (ok) {
        let za = z[a * uniforms.w + i];
        let ya = y[a * uniforms.k + i];
        for (var b = 0; b < uniforms.n; b = b + 1) {
          let vb = select(0.0, 1.0, labelOk(b, i));
          let d = ya - y[b * uniforms.k + i];
          let t = select(select(0.0, -vb, d < 0.0), vb, d > 0.0);
          let prod = (za - z[b * uniforms.w + i]) * t;
          let pos = select(0.0, 1.0, prod > 0.0);
          sT = sT + t;
          sTPos = sTPos + t * pos;
          nPos = nPos + pos;
          nNeg = nNeg + select(0.0, 1.0, prod < 0.0);
          sP = sP + prod;
          sR = sR + prod * pos;
        }
      }
      setOutputAtIndex(base, sT);
      setOutputAtIndex(base + 1, sTPos);
      setOutputAtIndex(base + 2, nPos);
      setOutputAtIndex(base + 3, nNeg);
      setOutputAtIndex(base + 4, sP);
      setOutputAtIndex(base + 5, sR);
      setOutputAtIndex(base + 6, select(0.0, 1.0, ok));
    }`;
  return p;
}

/**
 * Per axis (one workgroup each) from rankRows: force-balance scale minus one
 * and the number of valid ordered pairs, then the axis's share of the loss.
 * Output [k, 3]: (scale - 1, pairs, loss term).
 */
export function rankAxes(k: number): Program {
  const at = (c: number) => `rows[(out * uniforms.n + r) * ${RANK_ROW_STATS} + ${c}]`;
  return reduction('xlatent_rank_axes', ['rows'], [k, 3], k, 'n : i32,', sums([at(2), at(3), at(4), at(5), at(6)], 'uniforms.n', `
    let sm1 = s1 / max(max(s0, s1), 1.0) - 1.0;
    let pairs = max(s4 * s4 - s4, 1.0);
    setOutputAtIndex(out * 3, sm1);
    setOutputAtIndex(out * 3 + 1, pairs);
    setOutputAtIndex(out * 3 + 2, (s2 + sm1 * s3) / pairs);`));
}

/** The loss from rankAxes: -mean over axes of the loss terms. Output [1]. */
export function rankTotal(k: number): Program {
  return reduction('xlatent_rank_total', ['axes'], [1], 1, 'k : i32,', sums(['axes[r * 3 + 2]'], 'uniforms.k', 'setOutputAtIndex(0, -s0 / f32(uniforms.k));'));
}

/** dL/dz [n, w]: -2 dy / (k pairs_i) (rowT + (scale_i - 1) rowTPos) on axes i < k, zero beyond. */
export function rankGrad(n: number, w: number): Program {
  return elementwise('xlatent_rank_grad', ['rows', 'axes', 'dy'], [n, w], 'n : i32, k : i32, w : i32,', `
    let a = index / uniforms.w;
    let i = index - a * uniforms.w;
    var g = 0.0;
    if (i < uniforms.k) {
      let row = (i * uniforms.n + a) * ${RANK_ROW_STATS};
      let f = -2.0 * dy[0] / (f32(uniforms.k) * axes[i * 3 + 1]);
      g = f * (rows[row] + axes[i * 3] * rows[row + 1]);
    }
    setOutputAtIndex(index, g);`);
}

// ---- smoothness loss ----------------------------------------------------------

/** The taps as a WGSL constant (part of the shader key: one pipeline per tap set). */
function tapsSnippet(taps: number[]): { code: string; key: string } {
  const list = taps.map((t) => Math.fround(t).toString()).join(', ');
  return { code: `const TAPS = array<f32, ${taps.length}>(${list});`, key: list };
}

/** d = x - smooth(x) over x [n, m], smooth = replicate-padded correlation with the taps. */
export function smoothResidual(n: number, m: number, taps: number[], left: number): Program {
  const t = tapsSnippet(taps);
  const p = elementwise(`xlatent_smooth_residual_${left}_${t.key}`, ['x'], [n, m], 'm : i32,', `
    let row = index / uniforms.m;
    let j = index - row * uniforms.m;
    var s = 0.0;
    for (var q = 0; q < ${taps.length}; q = q + 1) {
      let c = clamp(j - ${left} + q, 0, uniforms.m - 1);
      s = s + TAPS[q] * x[row * uniforms.m + c];
    }
    setOutputAtIndex(index, x[index] - s);`);
  const code = p.getUserCode;
  p.getUserCode = () => `${t.code}\n${code()}`;
  return p;
}

/** scale * sum of squares of all of `x` (one workgroup). Output [1]. */
export function sumOfSquares(): Program {
  return reduction('xlatent_sum_squares', ['x'], [1], 1, 'count : i32, scale : f32,', sums(['x[r] * x[r]'], 'uniforms.count', 'setOutputAtIndex(0, s0 * uniforms.scale);'));
}

/**
 * dL/dx for L = mean(d^2), d = x - S x: 2 dy / (n m) (d - S^T d), S^T the
 * adjoint of the replicate-padded correlation (the clamped taps fold onto
 * the edge columns).
 */
export function smoothGrad(n: number, m: number, taps: number[], left: number): Program {
  const t = tapsSnippet(taps);
  const size = taps.length;
  const p = elementwise(`xlatent_smooth_grad_${left}_${t.key}`, ['d', 'dy'], [n, m], 'm : i32,', `
    let row = index / uniforms.m;
    let j = index - row * uniforms.m;
    let m = uniforms.m;
    let base = row * m;
    var st = 0.0;
    for (var q = 0; q < ${size}; q = q + 1) {
      let src = j + ${left} - q;
      if (src >= 0 && src < m) { st = st + TAPS[q] * d[base + src]; }
    }
    if (j == 0) {
      for (var src = 0; src < ${left}; src = src + 1) {
        for (var q = 0; q < ${left} - src; q = q + 1) {
          if (src < m) { st = st + TAPS[q] * d[base + src]; }
        }
      }
    }
    if (j == m - 1) {
      for (var src = max(m - ${size - 1 - left}, 0); src < m; src = src + 1) {
        for (var q = m + ${left} - src; q < ${size}; q = q + 1) { st = st + TAPS[q] * d[base + src]; }
      }
    }
    let c = 2.0 * dy[0] / f32(uniforms.size);
    setOutputAtIndex(index, c * (d[index] - st));`);
  const code = p.getUserCode;
  p.getUserCode = () => `${t.code}\n${code()}`;
  return p;
}

// ---- batch norm (training mode) -------------------------------------------------

/**
 * Column means (row 0) and biased variances (row 1) of x [n, h]: two passes
 * over each column in one workgroup (the mean, then squared deviations
 * from it). Output [2, h].
 */
export function columnMoments(h: number): Program {
  const column = (v: string) => `
    var t = 0.0;
    if (live) {
      for (var r = lid; r < uniforms.n; r = r + ${REDUCE}) { let e = x[r * uniforms.h + out]; t = t + ${v}; }
    }`;
  return reduction('xlatent_bn_moments', ['x'], [2, h], h, 'n : i32, h : i32,', `
    ${column('e')}
    let mean = workgroupSum(t, lid) / f32(uniforms.n);
    {
      ${column('(e - mean) * (e - mean)')}
      let variance = workgroupSum(t, lid) / f32(uniforms.n);
      if (first) { setOutputAtIndex(out, mean); setOutputAtIndex(uniforms.h + out, variance); }
    }`);
}

/** rstd = 1 / sqrt(variance + eps) from columnMoments. Output [h]. */
export function batchNormRstd(h: number): Program {
  return elementwise('xlatent_bn_rstd', ['moments'], [h], 'eps : f32,', `
    setOutputAtIndex(index, 1.0 / sqrt(moments[uniforms.size + index] + uniforms.eps));`);
}

/** running (1 - momentum) + weight moments[row] per column: the running statistics' update. Output [h]. */
export function runningUpdate(h: number): Program {
  return elementwise('xlatent_bn_running', ['running', 'moments'], [h], 'row : i32, keep : f32, weight : f32,', `
    setOutputAtIndex(index, running[index] * uniforms.keep + moments[uniforms.row * uniforms.size + index] * uniforms.weight);`);
}

/** y = (x - mean) rstd per column of x [n, h], the mean from columnMoments. */
export function batchNormApply(n: number, h: number): Program {
  return elementwise('xlatent_bn_apply', ['x', 'moments', 'rstd'], [n, h], 'h : i32,', `
    let c = index % uniforms.h;
    setOutputAtIndex(index, (x[index] - moments[c]) * rstd[c]);`);
}

/** Column means of dy (row 0) and of dy y (row 1) over [n, h]. Output [2, h]. */
export function batchNormGradStats(h: number): Program {
  return reduction('xlatent_bn_grad_stats', ['dy', 'y'], [2, h], h, 'n : i32, h : i32,', sums(
    ['dy[r * uniforms.h + out]', 'dy[r * uniforms.h + out] * y[r * uniforms.h + out]'], 'uniforms.n',
    'setOutputAtIndex(out, s0 / f32(uniforms.n)); setOutputAtIndex(uniforms.h + out, s1 / f32(uniforms.n));'));
}

/** dx = rstd (dy - mean(dy) - y mean(dy y)) per column. */
export function batchNormGrad(n: number, h: number): Program {
  return elementwise('xlatent_bn_grad', ['dy', 'y', 'rstd', 'stats'], [n, h], 'h : i32,', `
    let c = index % uniforms.h;
    setOutputAtIndex(index, rstd[c] * (dy[index] - stats[c] - y[index] * stats[uniforms.h + c]));`);
}

// ---- PReLU gradient --------------------------------------------------------------

/** dx = x > 0 ? dy : dy alpha per column. */
export function preluGradX(n: number, h: number): Program {
  return elementwise('xlatent_prelu_dx', ['dy', 'x', 'alpha'], [n, h], 'h : i32,', `
    let c = index % uniforms.h;
    setOutputAtIndex(index, select(dy[index] * alpha[c], dy[index], x[index] > 0.0));`);
}

/** dalpha = column sums of dy x where x <= 0. Output [h]. */
export function preluGradAlpha(h: number): Program {
  return reduction('xlatent_prelu_dalpha', ['dy', 'x'], [h], h, 'n : i32, h : i32,', sums(
    ['select(dy[r * uniforms.h + out] * x[r * uniforms.h + out], 0.0, x[r * uniforms.h + out] > 0.0)'], 'uniforms.n',
    'setOutputAtIndex(out, s0);'));
}

// ---- AdamW ---------------------------------------------------------------------

const ADAM_UNIFORMS = 'beta1 : f32, beta2 : f32, decay : f32, stepSize : f32, bc2Sqrt : f32, epsilon : f32,';

/** New first moment m b1 + g (1 - b1). */
export function adamFirstMoment(size: number): Program {
  return elementwise('xlatent_adam_m', ['m', 'g'], [size], ADAM_UNIFORMS, `
    setOutputAtIndex(index, m[index] * uniforms.beta1 + g[index] * (1.0 - uniforms.beta1));`);
}

/** New second moment v b2 + g^2 (1 - b2). */
export function adamSecondMoment(size: number): Program {
  return elementwise('xlatent_adam_v', ['v', 'g'], [size], ADAM_UNIFORMS, `
    let gi = g[index];
    setOutputAtIndex(index, v[index] * uniforms.beta2 + gi * gi * (1.0 - uniforms.beta2));`);
}

/** New parameters p decay - stepSize m / (sqrt(v) / bc2Sqrt + eps), from the new moments. */
export function adamParams(size: number): Program {
  return elementwise('xlatent_adam_p', ['p', 'm', 'v'], [size], ADAM_UNIFORMS, `
    let denom = sqrt(v[index]) * (1.0 / uniforms.bc2Sqrt) + uniforms.epsilon;
    setOutputAtIndex(index, p[index] * uniforms.decay + (m[index] / denom) * (-uniforms.stepSize));`);
}

/** The AdamW uniforms in ADAM_UNIFORMS order. */
export function adamUniforms(a: { beta1: number; beta2: number; decay: number; stepSize: number; bc2Sqrt: number; epsilon: number }) {
  return [a.beta1, a.beta2, a.decay, a.stepSize, a.bc2Sqrt, a.epsilon].map((v) => ({ type: 'float32', data: [v] }));
}
