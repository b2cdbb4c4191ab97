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

import { setRandomFillers } from '../ops/random-fill.js';
import { setTensorArrayProvider } from '../ops/tensor-arrays.js';
import { registerBackendKernels } from '../ops/run.js';
import { timedKernel } from '../util/profile.js';
import { loadNativeAddon, type NativeAddon } from './native-addon.js';
import { BufferPool, alloc, type PooledBackend } from './native-pool.js';
import { nativeFusedKernels } from './native-fused.js';
import { NATIVE_KERNELS } from './native-kernels.js';

export const NATIVE_BACKEND = 'native';

type KernelFunc = Parameters<typeof tf.registerKernel>[0]['kernelFunc'];

/** cpu kernels that return their input's data only under a new reference (refcounted), never a view of it. */
const ALIAS_FREE = new Set(['Identity', 'Reshape', 'Cast']);

/** A cpu kernel whose float32 inputs are pinned first: its outputs may be views of them (a contiguous Slice is). */
function pinningInputs(f: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as MathBackendCPU & PooledBackend;
    for (const t of Object.values(args.inputs)) if (t && backend.data.has(t.dataId)) backend.pool.pin(backend.data.get(t.dataId).values);
    return f(args);
  };
}

/** The cpu backend class with output buffers pooled (src/backends/native-pool.ts). */
function pooledBackendClass(Cpu: new () => MathBackendCPU) {
  return class NativeBackend extends Cpu implements PooledBackend {
    readonly pool = new BufferPool();
    readonly attached = new Map<object, Float32Array[]>();

    override disposeData(dataId: object, force?: boolean): boolean {
      const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
      const freed = super.disposeData(dataId, force);
      if (freed && values) {
        this.pool.give(values);
        const extra = this.attached.get(dataId);
        if (extra) {
          this.attached.delete(dataId);
          for (const a of extra) this.pool.give(a);
        }
      }
      return freed;
    }

    /** Whatever is read out may be kept by the caller (read and data go through here). */
    override readSync(dataId: object) {
      if (this.data.has(dataId)) this.pool.pin(this.data.get(dataId).values);
      return super.readSync(dataId);
    }
  };
}

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
  tf.registerBackend(NATIVE_BACKEND, () => new (pooledBackendClass(CpuBackend))(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const make = NATIVE_KERNELS[config.kernelName];
    const cpu = ALIAS_FREE.has(config.kernelName) ? config.kernelFunc : pinningInputs(config.kernelFunc);
    const kernelFunc = make ? (make(load.addon, cpu as never) as unknown as KernelFunc) : cpu;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND, kernelFunc: timedKernel(config.kernelName, kernelFunc) });
  }
  if (process.env.XLATENT_FUSED !== '0') {
    registerBackendKernels(nativeFusedKernels(load.addon, NATIVE_BACKEND).map((c) => ({ ...c, kernelFunc: timedKernel(c.kernelName, c.kernelFunc) })));
    const addon = load.addon;
    setRandomFillers({
      dropoutMask: (state, out, threshold, keep) => addon.dropoutMask(state, out, threshold, keep),
      addNormal: (state, spare, x, std) => addon.addNormal(state, spare, x, std),
    });
  }
  // Masks, noise and batches the trainer fills come from the pool while native is the backend.
  setTensorArrayProvider((length) => alloc(tf.backend(), length));
  return load.addon;
}
