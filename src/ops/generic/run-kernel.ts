/**
 * Runs one of xlatent's kernels from inside a generic (composite) kernel.
 * By then the active backend has every xlatent kernel, its own or the
 * generic one (src/ops/run.ts registers all the missing ones at once, before
 * the composite kernel runs), so no registration is needed here, and the
 * generic kernels do not import run.ts, which imports them.
 */
import * as tf from '@tensorflow/tfjs';

export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
}
