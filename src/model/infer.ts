import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';
import type { LayerSpec, NetworkSpec } from './spec.js';

/**
 * Runs an inference-mode network on n row-major input vectors, batch by
 * batch so memory stays bounded on large datasets, and returns the n x
 * spec.outputs outputs row-major. Dense layers followed by relu/PReLU run as
 * one fused kernel.
 *
 * @param spec the network
 * @param input n x spec.inputs values, row-major
 * @param n number of rows
 * @param batchSize rows per batch (default 4096)
 */
export function runNetwork(spec: NetworkSpec, input: Float32Array, n: number, batchSize = 4096): Float32Array {
  return withBatches(spec, input, n, batchSize, (out, batches) => {
    for (const [start, run] of batches) {
      const y = run();
      out.set(y.dataSync(), start * spec.outputs);
      y.dispose();
    }
    return out;
  });
}

/** runNetwork with asynchronous reads, for backends that cannot read synchronously (webgpu). */
export async function runNetworkAsync(spec: NetworkSpec, input: Float32Array, n: number, batchSize = 4096): Promise<Float32Array> {
  return withBatches(spec, input, n, batchSize, async (out, batches) => {
    for (const [start, run] of batches) {
      const y = run();
      out.set(await y.data(), start * spec.outputs);
      y.dispose();
    }
    return out;
  });
}

/**
 * Validates the arguments, uploads the weights and hands `consume` the
 * output array and the batches (first row, forward pass); the weights are
 * released once `consume` (or the promise it returns) is done.
 */
function withBatches<R>(
  spec: NetworkSpec,
  input: Float32Array,
  n: number,
  batchSize: number,
  consume: (out: Float32Array, batches: Iterable<[number, () => tf.Tensor2D]>) => R,
): R {
  if (input.length !== n * spec.inputs) {
    throw new UserError(`runNetwork: expected ${n} x ${spec.inputs} = ${n * spec.inputs} values, got ${input.length}`);
  }
  if (!(batchSize >= 1)) throw new UserError(`runNetwork: batchSize must be >= 1, got ${batchSize}`);
  const out = new Float32Array(n * spec.outputs);
  const owned: tf.Tensor[] = [];
  const release = () => owned.forEach((t) => t.dispose());
  let result: R;
  try {
    const weights = prepare(spec.layers, owned);
    function* batches(): Generator<[number, () => tf.Tensor2D]> {
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        yield [
          start,
          () =>
            tf.tidy(() => {
              let h: tf.Tensor2D = tf.tensor2d(input.subarray(start * spec.inputs, (start + rows) * spec.inputs), [rows, spec.inputs]);
              for (const step of weights) h = step(h);
              return h;
            }),
        ];
      }
    }
    result = consume(out, batches());
  } catch (e) {
    release();
    throw e;
  }
  if (result instanceof Promise) return result.finally(release) as R;
  release();
  return result;
}

type Step = (h: tf.Tensor2D) => tf.Tensor2D;

/** Turns layer specs into closures over weight tensors, collected in `owned` for the caller to dispose. */
function prepare(layers: LayerSpec[], owned: tf.Tensor[]): Step[] {
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const steps: Step[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l.kind === 'dense') {
      const kernel = keep(tf.tensor2d(l.kernel, [l.inputs, l.units]));
      const bias = keep(tf.tensor1d(l.bias));
      const next = layers[i + 1];
      if (next?.kind === 'prelu') {
        const alpha = keep(tf.tensor1d(next.alpha));
        steps.push((h) =>
          tf.fused.matMul({ a: h, b: kernel, bias, activation: 'prelu', preluActivationWeights: alpha }) as tf.Tensor2D,
        );
        i++;
      } else if (next?.kind === 'activation' && next.fn === 'relu') {
        steps.push((h) => tf.fused.matMul({ a: h, b: kernel, bias, activation: 'relu' }) as tf.Tensor2D);
        i++;
      } else {
        steps.push((h) => tf.fused.matMul({ a: h, b: kernel, bias }) as tf.Tensor2D);
      }
    } else if (l.kind === 'prelu') {
      const alpha = keep(tf.tensor1d(l.alpha));
      steps.push((h) => tf.prelu(h, alpha as tf.Tensor) as tf.Tensor2D);
    } else if (l.kind === 'batchnorm') {
      const mean = keep(tf.tensor1d(l.mean));
      const variance = keep(tf.tensor1d(l.variance));
      steps.push((h) => tf.batchNorm(h, mean, variance, undefined, undefined, l.epsilon));
    } else {
      const fn = l.fn;
      steps.push((h) => {
        switch (fn) {
          case 'relu':
            return tf.relu(h);
          case 'swish':
            return tf.mul(h, tf.sigmoid(h));
          case 'softplus':
            return tf.softplus(h);
          case 'linear':
            return h;
        }
      });
    }
  }
  return steps;
}
