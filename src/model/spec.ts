/**
 * A framework-neutral description of a trained feed-forward network in
 * inference mode (dropout gone, batch norm using its moving statistics).
 * The trainer emits it; the TF.js and ONNX exporters and the model directory
 * read it, so none of them depends on how training represents weights.
 */
export type LayerSpec =
  | {
      kind: 'dense';
      /** Input width. */
      inputs: number;
      /** Output width. */
      units: number;
      /** inputs x units, row-major (y = x W + b). */
      kernel: Float32Array;
      /** units */
      bias: Float32Array;
    }
  | {
      /** Parametric ReLU: y = x for x > 0, alpha_c x otherwise (one alpha per channel). */
      kind: 'prelu';
      alpha: Float32Array;
    }
  | {
      kind: 'activation';
      /** softplus is ln(1 + e^x); swish is x * sigmoid(x). */
      fn: 'relu' | 'swish' | 'softplus' | 'linear';
    }
  | {
      /** Affine-free batch normalization in inference mode: y = (x - mean) / sqrt(variance + epsilon). */
      kind: 'batchnorm';
      mean: Float32Array;
      variance: Float32Array;
      epsilon: number;
    };

export interface NetworkSpec {
  /** Width of the input vector. */
  inputs: number;
  /** Width of the output vector. */
  outputs: number;
  layers: LayerSpec[];
}
