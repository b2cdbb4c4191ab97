import type { NetworkSpec } from '../model/spec.js';
import { runNetwork } from '../model/infer.js';

/**
 * How the analyses run a network: n row-major input vectors in, n row-major
 * output vectors out. The default is the project's one batched inference
 * path, `runNetwork`; tests pass a spy to see exactly which points a
 * decoder or encoder was asked for.
 */
export type Forward = (input: Float32Array, n: number) => Float32Array;

/** The standard forward pass of a NetworkSpec (src/model/infer.ts). */
export function specForward(spec: NetworkSpec): Forward {
  return (input, n) => runNetwork(spec, input, n);
}
