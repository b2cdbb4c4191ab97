/**
 * Value arrays for tensors the trainer fills in JavaScript every batch
 * (dropout masks, noise, the batch's spectra). A backend that pools its
 * buffers (the native one, src/backends/native-pool.ts) provides them from
 * its pool, where they return when the tensor is disposed, so a warm
 * training step allocates no new arrays for them and the garbage collector
 * has less to do; elsewhere each is a new array.
 */

/** Returns a Float32Array of `length` elements whose contents are arbitrary. */
export type TensorArrayProvider = (length: number) => Float32Array;

let provider: TensorArrayProvider | undefined;

/** The provider in use, if any. */
export function tensorArrayProvider(): TensorArrayProvider | undefined {
  return provider;
}

/** Installs (or, with undefined, removes) the backend's provider. */
export function setTensorArrayProvider(p: TensorArrayProvider | undefined): void {
  provider = p;
}

/**
 * An array for the values of a tensor about to be made with tf.tensor*: the
 * caller must overwrite every element (a pooled array holds old values) and
 * must not keep or write the array once the tensor exists.
 */
export function tensorArray(length: number): Float32Array {
  return provider ? provider(length) : new Float32Array(length);
}
