import type * as tf from '@tensorflow/tfjs';

/**
 * A kernel written in tf ops, registered for any backend that has no
 * faster version (src/ops/run.ts). Its inputs arrive as the tensors the op
 * passed; it returns tensors made inside a tf.tidy (ops run inside a kernel
 * are not recorded for gradients, so each kernel's gradient is its own).
 */
export interface GenericKernel {
  kernelName: string;
  kernelFunc: (args: { inputs: tf.NamedTensorMap; attrs?: tf.NamedAttrMap }) => tf.Tensor | tf.Tensor[];
}
