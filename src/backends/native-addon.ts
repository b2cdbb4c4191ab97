/**
 * Loads the optional native addon (native/build/Release/xlatent_native.node,
 * built at install by scripts/build-native.mjs). Loading never throws: when
 * the addon is missing or broken, `loadNativeAddon()` says why, and the
 * 'native' backend is simply unavailable.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Binary ops in native/src/kernels.h order. */
export enum BinaryOp {
  Add, Sub, Mul, Div, Max, Min, SquaredDifference, Prelu, Pow, Copy,
  Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual,
}
/** Unary ops in native/src/kernels.h order. */
export enum UnaryOp {
  Neg, Abs, Square, Sqrt, Rsqrt, Exp, Log, Sigmoid, Softplus, Relu,
  Relu6, Elu, Step, Sign, Tanh, Reciprocal, Floor, LeakyRelu, Clip, Log1p,
  Expm1,
}
/** Reductions in native/src/kernels.h order. */
export enum ReduceOp { Sum, Mean, Max, Min, Prod }

/** The addon's functions; every array is row-major float32, shapes/strides in elements. */
export interface NativeAddon {
  /**
   * out = op(a, b) over outShape; strides are element strides aligned to outShape, 0 on broadcast dims.
   * Comparisons (Greater and after) write 1/0 into a Uint8Array, everything else into a Float32Array.
   */
  binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array | Uint8Array, outShape: number[]): void;
  /** out[i] = cond[i] ? t[i] : e[i] over equal-length arrays. */
  select(cond: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  /** out = op(x); p0/p1 are the op's parameters (step/leaky alpha, clip min/max), else 0. */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array, p0: number, p1: number): void;
  /** Reduces x over the dims flagged 1 in `reduce`; out holds the kept dims in order. */
  reduce(op: ReduceOp, x: Float32Array, shape: number[], reduce: number[], out: Float32Array): void;
  /** c[q] = op(a[q]) op(b[q]) for q < batch; aStride/bStride are per-batch element strides (0 broadcasts). */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number, transA: number, transB: number, aStride: number, bStride: number): void;
  /**
   * Unfolds NHWC image patches into rows (one per output pixel) of length fh*fw*c, zero outside the image.
   * geom: [n, h, w, c, fh, fw, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW].
   */
  im2col(x: Float32Array, geom: number[], cols: Float32Array): void;
  /** Adjoint of im2col: sums patch rows back onto the image (dx is overwritten). */
  col2im(cols: Float32Array, geom: number[], dx: Float32Array): void;
  /**
   * Fused pairwise rank loss with force balance (src/train/losses/rank.ts) over the first k axes of
   * z [n, zStride] against y [n, yStride] (valid: 1 known / 0 missing, or null; NaN counts as missing).
   * Writes dLoss/dz into grad ([n, zStride], zero beyond axis k) and returns the loss.
   */
  rankLoss(z: Float32Array, zStride: number, y: Float32Array, yStride: number, valid: Float32Array | null, n: number, k: number, grad: Float32Array): number;
  /** mean((x - smooth(x))^2) over rows of x [n, m] (replicate-padded taps w, `left` taps before the centre); writes d/dx into grad. */
  smoothnessLoss(x: Float32Array, n: number, m: number, w: Float32Array, left: number, grad: Float32Array): number;
  /** Replicate-padded smoothing of each row of x [n, m] with taps w (`left` before the centre) into out. */
  smooth(x: Float32Array, n: number, m: number, w: Float32Array, left: number, out: Float32Array): void;
  /**
   * One AdamW step in place over flat p, m, v with gradient g (equal lengths);
   * h = [beta1, 1 - beta1, beta2, 1 - beta2, decay, stepSize, 1 / sqrt(1 - beta2^t), epsilon].
   */
  adamw(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, h: number[]): void;
  /**
   * Training-mode affine-free batch norm of x [n, h]: out = (x - mean) * rstd with the batch mean,
   * biased variance and rstd = 1 / sqrt(variance + eps) per column (mean, variance, rstd: [h], written).
   */
  bnTrainForward(x: Float32Array, n: number, h: number, eps: number, out: Float32Array, mean: Float32Array, variance: Float32Array, rstd: Float32Array): void;
  /** Gradient of bnTrainForward: dx = rstd (dy - mean(dy) - y mean(dy y)) per column, y its output. */
  bnTrainBackward(dy: Float32Array, y: Float32Array, rstd: Float32Array, n: number, h: number, dx: Float32Array): void;
  /** PReLU gradient over x [n, h], slopes alpha [h]: dx = dy (x > 0 ? 1 : alpha), dalpha = column sums of dy (x > 0 ? 0 : x). */
  preluBackward(dy: Float32Array, x: Float32Array, alpha: Float32Array, n: number, h: number, dx: Float32Array, dalpha: Float32Array): void;
  /** Inference batch norm of x [rows, h] with per-column mean, variance, scale, offset [h]: offset + (x - mean) scale / sqrt(variance + eps). */
  bnInfer(x: Float32Array, rows: number, h: number, mean: Float32Array, variance: Float32Array, scale: Float32Array, offset: Float32Array, eps: number, out: Float32Array): void;
  /**
   * Fills out with an inverted-dropout mask drawn from xoshiro128** state (4 words, advanced in place),
   * exactly as dropoutMask in src/model/random-tensors.ts: 0 where a 16-bit half-draw is below threshold, else keep.
   */
  dropoutMask(state: Uint32Array, out: Float32Array, threshold: number, keep: number): void;
  /**
   * Adds std * N(0, 1) deviates to x in place, drawn as Rng.normal from xoshiro128** state (4 words) and
   * spare ([1 if a deviate is cached, its value]), both advanced in place (src/ops/random-fill.ts).
   */
  addNormal(state: Uint32Array, spare: Float64Array, x: Float32Array, std: number): void;
  /**
   * Training-mode MLP forward pass (native/src/mlp.c) of x [n, inputs] into y. `layers` holds 18 slots per
   * layer: inputs, units, w, b, alpha, mask, running mean, running variance, their updates (written), then the
   * arrays kept for the backward pass (dense output, activation/batch-norm output, dropout output, rstd,
   * sigmoid for swish; written) and dw, db, dalpha (backward only); null where a layer has none.
   * config: [activation (0 prelu, 1 relu, 2 swish), hidden batch norm 0/1, output (0 batch norm, 1 softplus,
   * 2 linear), epsilon, 1 - momentum, momentum, momentum n / (n - 1)].
   */
  mlpForward(x: Float32Array, n: number, layers: (number | Float32Array | null)[], config: number[], y: Float32Array): void;
  /** Its backward pass from dy: fills every layer's dw, db (dalpha) and gPre0, dL/d(first dense output). */
  mlpBackward(x: Float32Array, n: number, layers: (number | Float32Array | null)[], config: number[], dy: Float32Array, y: Float32Array, gPre0: Float32Array): void;
  /**
   * UMAP layout SGD in place on emb [n, dim], bit-identical to the JavaScript loop of umapSgd
   * (src/reducers/umap-layout.ts): kept edges head -> tail sampled every eps[e] epochs, negative samples
   * from the xorshift32 `state` (a non-zero uint32).
   */
  umapSgd(emb: Float64Array, n: number, dim: number, head: Int32Array, tail: Int32Array, eps: Float64Array, a: number, b: number, nEpochs: number, state: number, negativeSampleRate: number, repulsionStrength: number): void;
  /**
   * The top-kk selection of allKnn (src/reducers/knn.ts), bit-identical, for query rows q0 .. q0 + rows - 1:
   * dots [rows, n] are their float32 dot products with all points X [n, p], norms [n] the squared norms;
   * fills those rows of indices / distances [n, kk] (the point itself excluded, nearest first). Rows run in parallel.
   */
  knnSelect(dots: Float32Array, rows: number, n: number, norms: Float64Array, q0: number, X: Float32Array, p: number, kk: number, indices: Int32Array, distances: Float64Array): void;
  /**
   * FFT-interpolated t-SNE repulsion of Y [n, d] (d = 1 or 2) on a given grid, operation by operation as
   * repulsionOnGrid in src/reducers/tsne-fft.ts: writes rep [n, d] = sum_j q_ij^2 (y_i - y_j), returns Z.
   * khat [M^d] is recomputed when fresh is 1, in the addon's own layout (only the addon reads it); work holds 6 M^d
   * floats (M = 2 p boxes). Absent from older builds.
   */
  tsneFft?(Y: Float64Array, n: number, d: number, p: number, boxes: number, lo: number, boxWidth: number, centre: number, khat: Float32Array, fresh: number, work: Float32Array, rep: Float64Array): number;
  /**
   * The attractive t-SNE gradient over the CSR rows of P and its assembly with the repulsion rep (sum Z), as
   * tsneGradient in src/reducers/tsne.ts, bit-identical: out_i = 4 (exaggeration sum_j p_ij q_ij (y_i - y_j) - rep_i / Z).
   * Absent from older builds.
   */
  tsneAttract?(rowPtr: Int32Array, cols: Int32Array, vals: Float64Array, Y: Float64Array, n: number, d: number, exaggeration: number, rep: Float64Array, sumQ: number, out: Float64Array): void;
  /** One gradient-descent step of t-SNE (gains, momentum update, move) over len coordinates; returns the squared gradient norm. */
  tsneStep?(grad: Float64Array, update: Float64Array, gains: Float64Array, Y: Float64Array, len: number, momentum: number, lr: number): number;
  /**
   * Trustworthiness rows of src/metrics/neighborhood.ts (InputRow.nearest and rankPenalty), the same integers:
   * for query rows r < rows with float32 dot products dots [rows, n] and spectrum indices rowIndex, fills nnX [rows, k]
   * with the exact k nearest spectra when findNearest is 1, and penalty [rows] with the penalty of the embedding
   * neighbours nnY [rows, k] outside them. X [n, m] is the float32 spectra. Absent from older builds.
   */
  trustRows?(dots: Float32Array, rows: number, n: number, rowIndex: Int32Array, cn: Float64Array, cs: Float64Array, norms: Float64Array, unscale: number, k1: number, k2: number, tiny: number, X: Float32Array, m: number, k: number, nnY: Int32Array, nnX: Int32Array, findNearest: number, penalty: Float64Array): void;
  /** Continuity penalties of query rows over a float32 embedding Y [n, d] (rankPenalty of src/metrics/neighborhood.ts). Absent from older builds. */
  continuityRows?(Y: Float32Array, n: number, d: number, rows: number, rowIndex: Int32Array, nnX: Int32Array, nnY: Int32Array, k: number, penalty: Float64Array): void;
  /** Sets the OpenBLAS and OpenMP thread count. */
  setThreads(n: number): void;
  threads(): number;
  /** BLAS build description, e.g. "OpenBLAS 0.3.21 ... SkylakeX". */
  blasName(): string;
}

/** Outcome of loading the addon: the addon, or why it is unavailable. */
export type NativeLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; error: string };

let cached: NativeLoad | undefined;

/**
 * Path of the addon file: XLATENT_NATIVE_ADDON when set (a bundled copy, as
 * scripts/gpu-check.sh ships), else relative to this module (src/backends or dist/backends).
 */
export function nativeAddonPath(): string {
  return process.env.XLATENT_NATIVE_ADDON || join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'xlatent_native.node');
}

/** How long the addon watches the cores before choosing its thread count. */
export const IDLE_SAMPLE_MS = 100;

export type CpuTimes = { times: { user: number; nice: number; sys: number; idle: number; irq: number } }[];

/**
 * Idle cores between two readings of the per-core time counters
 * (os.cpus()), not counting ownBusyMs, the CPU time this process itself
 * spent meanwhile (its garbage collector or file reads are not another
 * program's load): the idle share of all cores' time, times the core
 * count. null when the counters did not move (a platform without them).
 */
export function idleCoresBetween(before: CpuTimes, after: CpuTimes, ownBusyMs = 0): number | null {
  let total = 0;
  let idle = 0;
  for (let c = 0; c < Math.min(before.length, after.length); c++) {
    const a = before[c].times;
    const b = after[c].times;
    total += b.user + b.nice + b.sys + b.idle + b.irq - (a.user + a.nice + a.sys + a.idle + a.irq);
    idle += b.idle - a.idle;
  }
  if (!(total > 0)) return null;
  const othersBusy = Math.min(total, Math.max(0, total - idle - ownBusyMs));
  return (after.length * (total - othersBusy)) / total;
}

/**
 * Thread count: XLATENT_THREADS (or OMP_NUM_THREADS) if set, else the cores
 * idle when the addon loads, watched for {@link IDLE_SAMPLE_MS} ms (at least
 * 1, at most the available cores; the 1-minute load average where the
 * platform has no per-core counters). Threads that must wait for a busy
 * core cost far more than they bring: on a shared 2-core machine 2 threads
 * made a training epoch 1.5x slower than 1. The load average is no measure
 * of that: it remembers a minute of past work, so a command started right
 * after another one (a script, a benchmark) saw its cores as busy and ran
 * on one thread.
 * The count never changes results: the kernels split work so that every
 * output element is computed in the same order for any thread count.
 */
export function defaultThreadCount(readCpus: () => CpuTimes = cpus, cores = availableParallelism()): number {
  for (const v of [process.env.XLATENT_THREADS, process.env.OMP_NUM_THREADS]) {
    const n = Number(v);
    if (v !== undefined && Number.isInteger(n) && n > 0) return n;
  }
  const own = process.cpuUsage();
  const before = readCpus();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, IDLE_SAMPLE_MS);
  const after = readCpus();
  const ownUs = process.cpuUsage(own);
  const idle = idleCoresBetween(before, after, (ownUs.user + ownUs.system) / 1000) ?? cores - loadavg()[0];
  return Math.max(1, Math.min(cores, Math.round(idle)));
}

/**
 * Loads the addon once and sets its thread count. XLATENT_NATIVE=0 disables it
 * (to compare against the pure-JS path or work around a broken build).
 */
export function loadNativeAddon(): NativeLoad {
  if (cached) return cached;
  const path = nativeAddonPath();
  if (process.env.XLATENT_NATIVE === '0') {
    cached = { ok: false, error: 'disabled by XLATENT_NATIVE=0' };
  } else if (!existsSync(path)) {
    cached = { ok: false, error: `native addon not built (${path} missing; run \`node scripts/build-native.mjs\`, which needs a C compiler and node-gyp)` };
  } else {
    try {
      // OpenMP reads these once, when the addon's libgomp loads: idle worker
      // threads must not spin and steal the cores OpenBLAS threads need.
      process.env.OMP_WAIT_POLICY ??= 'passive';
      const addon = createRequire(import.meta.url)(path) as NativeAddon;
      addon.setThreads(defaultThreadCount());
      cached = { ok: true, addon, path };
    } catch (e) {
      cached = { ok: false, error: `native addon failed to load: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  return cached;
}
