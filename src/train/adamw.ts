import * as tf from '@tensorflow/tfjs';
import { ownedVariable } from '../model/layers.js';
import { adamwStep } from '../ops/index.js';

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
 *
 * The update is one op over all parameters (src/ops adamwStep): one C
 * loop over the concatenated vectors on the 'native' backend, three shader
 * passes on webgpu, a dozen tf ops on a flat vector elsewhere; per-op
 * overhead, not arithmetic, dominates the optimizer on small networks.
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
  private readonly sizes: number[];
  /** First and second moments of all parameters, concatenated in `params` order. */
  private readonly m: tf.Variable<tf.Rank.R1>;
  private readonly v: tf.Variable<tf.Rank.R1>;

  /** @param params the variables this optimizer updates */
  constructor(params: tf.Variable[], options: AdamWOptions) {
    this.params = params;
    this.lr = options.lr;
    this.beta1 = options.beta1;
    this.beta2 = options.beta2;
    this.weightDecay = options.weightDecay;
    this.epsilon = options.epsilon ?? 1e-8;
    this.sizes = params.map((p) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = ownedVariable(() => tf.zeros([total]) as tf.Tensor1D, false);
    this.v = ownedVariable(() => tf.zeros([total]) as tf.Tensor1D, false);
  }

  /**
   * One update from gradients keyed by variable name (the shape
   * tf.variableGrads returns). A parameter without a gradient is treated as
   * having a zero gradient (it still decays and coasts on its momentum;
   * torch would skip it): the trainer always supplies every gradient.
   */
  applyGradients(grads: tf.NamedTensorMap): void {
    if (this.params.length === 0) return;
    this.step++;
    const t = this.step;
    const stepSize = this.lr / (1 - this.beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    const decay = 1 - this.lr * this.weightDecay;
    tf.tidy(() => {
      const g = this.params.map((p) => grads[p.name] ?? tf.zerosLike(p));
      const out = adamwStep(this.params, g, this.m, this.v, {
        beta1: this.beta1,
        beta2: this.beta2,
        decay,
        stepSize,
        bc2Sqrt,
        epsilon: this.epsilon,
      });
      this.m.assign(out.m);
      this.v.assign(out.v);
      this.params.forEach((param, i) => param.assign(out.params[i]));
    });
  }

  /** Moment variables under stable names (`m`, `v`: all parameters concatenated) for checkpoints. */
  namedVariables(): [string, tf.Variable][] {
    return [
      ['m', this.m],
      ['v', this.v],
    ];
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
