/**
 * The 'native' TF.js backend: every kernel of the tfjs `cpu` backend,
 * re-registered under 'native' on a MathBackendCPU-derived instance, with the
 * hot ones (native-kernels.ts) replaced by the C/OpenBLAS addon. Tensor data
 * stays in the cpu backend's Float32Arrays, so the addon works on them in
 * place with no copies, and any kernel without a native version behaves
 * exactly as on `cpu`. xlatent's own kernels (src/ops) get their fused
 * native versions (native-fused.ts) unless XLATENT_FUSED=0, and dropout masks
 * the addon's copy of the generator.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { setDropoutMaskFiller } from '../ops/dropout-mask.js';
import { registerBackendKernels } from '../ops/run.js';
import { loadNativeAddon, type NativeAddon } from './native-addon.js';
import { nativeFusedKernels } from './native-fused.js';
import { NATIVE_KERNELS } from './native-kernels.js';

export const NATIVE_BACKEND = 'native';

type KernelFunc = Parameters<typeof tf.registerKernel>[0]['kernelFunc'];

/**
 * Registers the 'native' backend (idempotent). Returns the addon, or throws an
 * Error saying why the backend is unavailable (addon not built or not loadable).
 * The backend gets priority 0, so merely registering it never changes tfjs's
 * default choice.
 */
export function registerNativeBackend(): NativeAddon {
  const load = loadNativeAddon();
  if (!load.ok) throw new Error(load.error);
  if (tf.findBackendFactory(NATIVE_BACKEND)) return load.addon;
  const cpuFactory = tf.findBackendFactory('cpu');
  if (!cpuFactory) throw new Error("the tfjs 'cpu' backend is not registered");
  // The class comes from the registered cpu factory rather than an import, so
  // it is certainly the copy bound to the same tfjs-core engine.
  const probe = cpuFactory() as MathBackendCPU;
  const CpuBackend = probe.constructor as new () => MathBackendCPU;
  probe.dispose();
  tf.registerBackend(NATIVE_BACKEND, () => new CpuBackend(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const make = NATIVE_KERNELS[config.kernelName];
    const kernelFunc = make ? (make(load.addon, config.kernelFunc as never) as unknown as KernelFunc) : config.kernelFunc;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND, kernelFunc });
  }
  if (process.env.XLATENT_FUSED !== '0') {
    registerBackendKernels(nativeFusedKernels(load.addon, NATIVE_BACKEND));
    const addon = load.addon;
    setDropoutMaskFiller((state, out, threshold, keep) => addon.dropoutMask(state, out, threshold, keep));
  }
  return load.addon;
}
