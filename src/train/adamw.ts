import * as tf from '@tensorflow/tfjs';
import { ownedVariable } from '../model/layers.js';

/** AdamW hyper-parameters. */
export interface AdamWOptions {
  /** Learning rate. */
  lr: number;
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Decoupled weight decay: each step multiplies parameters by 1 - lr * weightDecay. */
  weightDecay: number;
  /** Added to the root of the bias-corrected second moment (torch default 1e-8). */
  epsilon?: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), step for step the
 * arithmetic of torch.optim.AdamW: TF.js has no AdamW, and its Adam keeps
 * the moments where a checkpoint cannot reach them. Here the moments are
 * explicit variables and the step count a plain number.
 */
export class AdamW {
  /** Current learning rate (the plateau schedule changes it). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly epsilon: number;
  /** Number of steps taken (bias correction uses it). */
  step = 0;
  readonly params: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  /** @param params the variables this optimizer updates */
  constructor(params: tf.Variable[], options: AdamWOptions) {
    this.params = params;
    this.lr = options.lr;
    this.beta1 = options.beta1;
    this.beta2 = options.beta2;
    this.weightDecay = options.weightDecay;
    this.epsilon = options.epsilon ?? 1e-8;
    this.m = params.map((p) => ownedVariable(() => tf.zerosLike(p), false));
    this.v = params.map((p) => ownedVariable(() => tf.zerosLike(p), false));
  }

  /**
   * One update from gradients keyed by variable name (the shape
   * tf.variableGrads returns). Parameters without a gradient are left alone,
   * as torch skips parameters whose .grad is None.
   */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.step++;
    const t = this.step;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const stepSize = this.lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const decay = 1 - this.lr * this.weightDecay;
    tf.tidy(() => {
      const sB1 = tf.scalar(b1);
      const s1mB1 = tf.scalar(1 - b1);
      const sB2 = tf.scalar(b2);
      const s1mB2 = tf.scalar(1 - b2);
      const sInvBc2 = tf.scalar(1 / bc2Sqrt);
      const sEps = tf.scalar(this.epsilon);
      const sStep = tf.scalar(-stepSize);
      const sDecay = tf.scalar(decay);
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i];
        const g = grads[p.name];
        if (!g) continue;
        const m = tf.add(tf.mul(this.m[i], sB1), tf.mul(g, s1mB1));
        const v = tf.add(tf.mul(this.v[i], sB2), tf.mul(tf.square(g), s1mB2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.mul(tf.sqrt(v), sInvBc2), sEps);
        p.assign(tf.add(tf.mul(p, sDecay), tf.mul(tf.div(m, denom), sStep)));
      }
    });
  }

  /** Moment variables under stable names (`m.<i>`, `v.<i>`, i = parameter index) for checkpoints. */
  namedVariables(): [string, tf.Variable][] {
    return [...this.m.map((x, i): [string, tf.Variable] => [`m.${i}`, x]), ...this.v.map((x, i): [string, tf.Variable] => [`v.${i}`, x])];
  }

  dispose(): void {
    for (const x of this.m) x.dispose();
    for (const x of this.v) x.dispose();
  }
}
