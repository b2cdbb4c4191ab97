/**
 * Runs xlatent's kernels on whatever backend is active. A backend may
 * register its own versions of some of them (the native and webgpu
 * backends do, when they are set up); the first time an op runs on a
 * backend, the generic tf-op version of every xlatent kernel that backend
 * lacks is registered for it. So every backend has every kernel, and op
 * code never asks which backend runs.
 */
import * as tf from '@tensorflow/tfjs';

import { GENERIC_KERNELS } from './generic/index.js';
import type { XLATENT_COMPOSITE_KERNELS, XLATENT_KERNELS } from './kernel-names.js';

type KernelFunc = Parameters<typeof tf.registerKernel>[0]['kernelFunc'];

/** Registers the generic version of every xlatent kernel `backendName` has none of (idempotent). */
export function registerGenericKernels(backendName: string): void {
  for (const k of GENERIC_KERNELS) {
    if (tf.getKernel(k.kernelName, backendName)) continue;
    tf.registerKernel({ kernelName: k.kernelName, backendName, kernelFunc: k.kernelFunc as unknown as KernelFunc });
  }
}

/**
 * Registers a backend's own kernels, replacing generic ones already
 * registered for it (tfjs would keep the first and warn).
 */
export function registerBackendKernels(configs: readonly tf.KernelConfig[]): void {
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, c.backendName)) tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
  }
}

/** One backend's version of every xlatent kernel, by name (the compiler checks none is missing), and of any composite kernels it speeds up. */
export type KernelTable<F> = Record<(typeof XLATENT_KERNELS)[number], F> & Partial<Record<(typeof XLATENT_COMPOSITE_KERNELS)[number], F>>;

/** The kernel configs of a backend's kernel table, for registerBackendKernels. */
export function kernelConfigs<F>(backendName: string, table: KernelTable<F>): tf.KernelConfig[] {
  return Object.entries(table).map(([kernelName, kernelFunc]) => ({ kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc }));
}

/** Runs kernel `name` on the active backend (generic version if the backend has none). */
export function runOp(name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  const backend = tf.getBackend();
  if (!tf.getKernel(name, backend)) registerGenericKernels(backend);
  // An array of inputs (a kernel with a varying number of them, as tfjs's Concat) is passed as it is.
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as tf.Tensor | tf.Tensor[];
}
