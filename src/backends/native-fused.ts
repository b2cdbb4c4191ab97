/**
 * Access to the addon's fused training kernels (whole loss terms, the AdamW
 * update) for code outside the kernel registry. They apply only while the
 * 'native' backend is active, whose tensors live in plain Float32Arrays that
 * the addon reads directly; every other backend keeps the tf-op versions.
 * XLATENT_FUSED=0 turns them off (to profile or compare the op-by-op path).
 */
import * as tf from '@tensorflow/tfjs';

import { loadNativeAddon, type NativeAddon } from './native-addon.js';
import { NATIVE_BACKEND } from './native-backend.js';

/** The addon when the active tfjs backend is 'native' and fused kernels are enabled, else undefined. */
export function fusedNativeAddon(): NativeAddon | undefined {
  if (process.env.XLATENT_FUSED === '0' || tf.getBackend() !== NATIVE_BACKEND) return undefined;
  const load = loadNativeAddon();
  return load.ok ? load.addon : undefined;
}

/** A tensor's values as float32, without a copy where it already is one (never write into the result). */
export function f32Values(t: tf.Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}
