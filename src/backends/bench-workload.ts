/**
 * A RankAAE-like training step in plain TF.js ops, for benchmarking and
 * profiling backends (scripts/bench-kernels.ts). It restates the reference
 * workload of /work/shared/bench/torch_rankaae_reference.py: encoder and
 * decoder of `depth` dense layers (PReLU, affine-free batch norm, dropout),
 * a discriminator, and five sub-steps per batch (adversarial, pairwise rank,
 * reconstruction, latent cycle, smoothness), each with its own Adam optimizer.
 * It is not the trainer: only the op mix and tensor shapes matter here.
 */
import * as tf from '@tensorflow/tfjs';
import { detach } from '../train/losses/detach.js';
import { gaussianKernel } from '../train/losses/smoothness.js';

/** Shapes of the benchmark workload. */
export interface WorkloadShape {
  /** Spectrum length (input/output width). */
  grid: number;
  /** Hidden width. */
  hidden: number;
  /** Dense layers per encoder/decoder. */
  depth: number;
  /** Latent size. */
  nStyle: number;
  /** Number of rank-constrained descriptors. */
  nAux: number;
  /** Batch size. */
  batch: number;
}

export const REFERENCE_SHAPE: WorkloadShape = { grid: 256, hidden: 64, depth: 5, nStyle: 6, nAux: 5, batch: 1024 };

interface Dense {
  w: tf.Variable;
  b: tf.Variable;
  alpha?: tf.Variable;
}

function dense(inp: number, out: number, prelu: boolean, seed: number): Dense {
  const lim = Math.sqrt(6 / (inp + out));
  return {
    w: tf.variable(tf.randomUniform([inp, out], -lim, lim, 'float32', seed)),
    b: tf.variable(tf.zeros([out])),
    alpha: prelu ? tf.variable(tf.fill([out], 0.01)) : undefined,
  };
}

function batchNorm(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

function mlp(layers: Dense[], x: tf.Tensor2D, dropout: number, lastNorm: boolean, softplusOut: boolean): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.w as tf.Tensor2D), l.b);
    const last = i === layers.length - 1;
    if (!last) {
      h = tf.prelu(h, l.alpha as unknown as tf.Tensor2D);
      h = batchNorm(h);
      if (dropout > 0) h = tf.dropout(h, dropout) as tf.Tensor2D;
    } else if (lastNorm) {
      h = batchNorm(h);
    } else if (softplusOut) {
      h = tf.div(tf.softplus(tf.mul(h, 2)), 2);
    }
  });
  return h;
}

/** Pairwise Kendall-style rank loss with force balance (B x B x k broadcasts). */
export function rankLoss(styles: tf.Tensor2D, desc: tf.Tensor2D): tf.Scalar {
  const [n, k] = desc.shape;
  const t = tf.sign(tf.sub(tf.expandDims(desc, 1), tf.expandDims(desc, 0)));
  const s = tf.slice(styles, [0, 0], [n, k]);
  const p = tf.sub(tf.expandDims(s, 1), tf.expandDims(s, 0));
  const prod = tf.mul(p, t);
  // Masks from step() (comparisons have no gradient in TF.js; step's is zero).
  const posMask = tf.step(prod);
  const negMask = tf.step(tf.neg(prod));
  const pos = tf.sum(posMask, [0, 1]);
  const neg = tf.sum(negMask, [0, 1]);
  const scale = tf.div(neg, tf.maximum(tf.maximum(pos, neg), 1));
  // prod * scale where prod > 0, prod elsewhere.
  const balanced = tf.mul(prod, tf.add(1, tf.mul(posMask, tf.sub(scale, 1))));
  return tf.div(tf.neg(tf.sum(balanced)), (n * n - n) * k);
}

/** The benchmark model: call `step()` for one batch's five sub-steps. */
export class Workload {
  readonly shape: WorkloadShape;
  private enc: Dense[] = [];
  private dec: Dense[] = [];
  private dis: Dense[] = [];
  private kern: tf.Tensor3D;
  private x: tf.Tensor2D;
  private d: tf.Tensor2D;
  private opts: tf.Optimizer[];

  constructor(shape: WorkloadShape = REFERENCE_SHAPE, seed = 1) {
    this.shape = shape;
    const { grid, hidden, depth, nStyle, nAux, batch } = shape;
    let sd = seed;
    const widths = (a: number, b: number) => [a, ...Array<number>(depth - 1).fill(hidden), b];
    const we = widths(grid, nStyle);
    const wd = widths(nStyle, grid);
    for (let i = 0; i < depth; i++) this.enc.push(dense(we[i], we[i + 1], i < depth - 1, sd++));
    for (let i = 0; i < depth; i++) this.dec.push(dense(wd[i], wd[i + 1], i < depth - 1, sd++));
    this.dis = [dense(nStyle, hidden, true, sd++), dense(hidden, hidden, true, sd++), dense(hidden, 1, false, sd++)];
    this.kern = tf.tensor3d(gaussianKernel(17, 3), [17, 1, 1]);
    this.x = tf.randomUniform([batch, grid], 0, 1, 'float32', sd++);
    this.d = tf.randomUniform([batch, nAux], 0, 1, 'float32', sd++);
    this.opts = Array.from({ length: 5 }, () => tf.train.adam(1e-3));
  }

  private vars(...nets: Dense[][]): tf.Variable[] {
    return nets.flat().flatMap((l) => (l.alpha ? [l.w, l.b, l.alpha] : [l.w, l.b]));
  }

  encode = (x: tf.Tensor2D) => mlp(this.enc, x, 0.04, true, false);
  decode = (z: tf.Tensor2D) => mlp(this.dec, z, 0.04, false, true);

  /** Runs the five sub-steps on the fixed batch; returns the per-sub-step losses. */
  step(): number[] {
    const { batch, nStyle } = this.shape;
    const x = this.x;
    const bce = (logits: tf.Tensor, label: number) =>
      tf.losses.sigmoidCrossEntropy(tf.fill(logits.shape, label), logits) as tf.Scalar;
    const losses: tf.Scalar[] = [];
    const run = (i: number, vars: tf.Variable[], f: () => tf.Scalar) => {
      losses.push(this.opts[i].minimize(f, true, vars)!);
    };
    run(0, this.vars(this.dis, this.enc), () => {
      const zp = tf.randomNormal([batch, nStyle]) as tf.Tensor2D;
      const dz = (z: tf.Tensor2D) => mlp(this.dis, tf.add(z, tf.mul(tf.randomNormal(z.shape), 0.56)), 0.056, false, false);
      return tf.add(bce(dz(zp), 1), bce(dz(this.encode(x)), 0));
    });
    run(1, this.vars(this.enc), () => rankLoss(this.encode(x), this.d));
    run(2, this.vars(this.enc, this.dec), () => {
      const xh = this.decode(this.encode(x));
      const r = tf.div(tf.abs(tf.mean(xh, 1)), tf.abs(tf.mean(x, 1)));
      const target = tf.mul(x, tf.expandDims(detach(tf.clipByValue(r, 0.7, 1.3)), 1));
      return tf.add(tf.mul(tf.mean(tf.square(tf.sub(r, 1))), 0.1), tf.losses.meanSquaredError(target, xh)) as tf.Scalar;
    });
    run(3, this.vars(this.enc, this.dec), () => {
      const z = tf.randomNormal([batch, nStyle]) as tf.Tensor2D;
      return tf.losses.meanSquaredError(z, this.encode(this.decode(z))) as tf.Scalar;
    });
    run(4, this.vars(this.dec), () => {
      const xh = this.decode(detach(this.encode(x)));
      const w = this.shape.grid;
      const padded = tf.concat([tf.tile(tf.slice(xh, [0, 0], [-1, 1]), [1, 8]), xh, tf.tile(tf.slice(xh, [0, w - 1], [-1, 1]), [1, 8])], 1);
      const smooth = tf.reshape(tf.conv1d(tf.expandDims(padded, 2) as tf.Tensor3D, this.kern, 1, 'valid'), [-1, w]);
      return tf.losses.meanSquaredError(smooth, xh) as tf.Scalar;
    });
    const out = losses.map((l) => l.dataSync()[0]);
    tf.dispose(losses);
    return out;
  }

  dispose(): void {
    tf.dispose([...this.vars(this.enc, this.dec, this.dis), this.kern, this.x, this.d]);
    this.opts.forEach((o) => o.dispose());
  }
}
