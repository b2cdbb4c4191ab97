import * as tf from '@tensorflow/tfjs';
import type { LayerSpec, NetworkSpec } from '../model/spec.js';
import { UserError, check } from '../util/errors.js';

/**
 * NetworkSpec <-> TF.js LayersModel. Only stock layers are used (Dense,
 * PReLU, Activation, BatchNormalization without center/scale), so no custom
 * layer class has to be registered on the loading side. No Node module is
 * imported: the browser entry parses model.json files with it.
 */

/** Builds an inference-ready LayersModel computing exactly what `spec` describes. */
export function specToLayersModel(spec: NetworkSpec, name = 'network'): tf.LayersModel {
  validateSpec(spec, name);
  const model = tf.sequential({ name });
  let width = spec.inputs;
  spec.layers.forEach((layer, i) => {
    // The first layer needs the input shape; a sequential model has no separate InputLayer call.
    const first = i === 0 ? { inputShape: [spec.inputs] } : {};
    const lname = `${layer.kind}_${i}`;
    switch (layer.kind) {
      case 'dense': {
        const d = tf.layers.dense({ ...first, units: layer.units, useBias: true, name: lname });
        model.add(d);
        d.setWeights([tf.tensor2d(layer.kernel, [layer.inputs, layer.units]), tf.tensor1d(layer.bias)]);
        width = layer.units;
        break;
      }
      case 'prelu': {
        const p = tf.layers.prelu({ ...first, name: lname });
        model.add(p);
        p.setWeights([tf.tensor1d(layer.alpha)]);
        break;
      }
      case 'activation':
        model.add(tf.layers.activation({ ...first, activation: layer.fn, name: lname }));
        break;
      case 'batchnorm': {
        const b = tf.layers.batchNormalization({
          ...first,
          center: false,
          scale: false,
          epsilon: layer.epsilon,
          axis: -1,
          name: lname,
        });
        model.add(b);
        b.setWeights([tf.tensor1d(layer.mean), tf.tensor1d(layer.variance)]);
        break;
      }
    }
  });
  check(width === spec.outputs, `last dense layer has ${width} units but spec.outputs is ${spec.outputs}`, name);
  return model;
}

/**
 * Reads a LayersModel back into a NetworkSpec. Dense layers with a fused
 * activation are split into dense + activation, so a model written by another
 * Keras/TF.js tool with the same layer kinds loads too.
 */
export function layersModelToSpec(model: tf.LayersModel, where = 'model.json'): NetworkSpec {
  const layers: LayerSpec[] = [];
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  check(inShape && inShape.length === 2 && typeof inShape[1] === 'number', 'expected one input of shape [batch, width]', where);
  check(outShape && outShape.length === 2 && typeof outShape[1] === 'number', 'expected one output of shape [batch, width]', where);
  let width = inShape[1] as number;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const w = layer.getWeights();
    const data = (t: tf.Tensor) => new Float32Array(t.dataSync());
    switch (cls) {
      case 'InputLayer':
        break;
      case 'Dense': {
        const [k, b] = w;
        const units = k.shape[1]!;
        check(k.shape[0] === width, `layer ${layer.name}: kernel has ${k.shape[0]} inputs, previous width is ${width}`, where);
        layers.push({ kind: 'dense', inputs: width, units, kernel: data(k), bias: b ? data(b) : new Float32Array(units) });
        width = units;
        const act = activationName(cfg.activation, layer.name, where);
        if (act !== 'linear') layers.push({ kind: 'activation', fn: act });
        break;
      }
      case 'PReLU':
        check(w[0].size === width, `layer ${layer.name}: PReLU needs one alpha per channel (${width}), found ${w[0].size}`, where);
        layers.push({ kind: 'prelu', alpha: data(w[0]) });
        break;
      case 'Activation':
        layers.push({ kind: 'activation', fn: activationName(cfg.activation, layer.name, where) });
        break;
      case 'BatchNormalization': {
        check(
          cfg.center === false && cfg.scale === false,
          `layer ${layer.name}: only affine-free batch normalization (center=false, scale=false) is supported`,
          where,
        );
        const [mean, variance] = w;
        layers.push({ kind: 'batchnorm', mean: data(mean), variance: data(variance), epsilon: Number(cfg.epsilon) });
        break;
      }
      default:
        throw new UserError(`layer ${layer.name}: unsupported layer class ${cls} (expected Dense, PReLU, Activation, BatchNormalization)`, where);
    }
  }
  return { inputs: inShape[1] as number, outputs: width, layers };
}

function activationName(a: unknown, layer: string, where: string): 'relu' | 'swish' | 'softplus' | 'linear' {
  const s = String(a ?? 'linear');
  if (s === 'relu' || s === 'swish' || s === 'softplus' || s === 'linear') return s;
  throw new UserError(`layer ${layer}: unsupported activation "${s}" (expected relu, swish, softplus or linear)`, where);
}

/** Checks that every layer's widths fit together; a malformed spec is a bug or a corrupt file, so say which layer. */
export function validateSpec(spec: NetworkSpec, name = 'network'): void {
  let width = spec.inputs;
  check(Number.isInteger(width) && width > 0, `input width must be a positive integer, got ${width}`, name);
  spec.layers.forEach((l, i) => {
    const w = `${name} layer ${i} (${l.kind})`;
    switch (l.kind) {
      case 'dense':
        check(l.inputs === width, `expects ${l.inputs} inputs but receives ${width}`, w);
        check(l.kernel.length === l.inputs * l.units, `kernel has ${l.kernel.length} values, expected ${l.inputs}x${l.units}`, w);
        check(l.bias.length === l.units, `bias has ${l.bias.length} values, expected ${l.units}`, w);
        width = l.units;
        break;
      case 'prelu':
        check(l.alpha.length === width, `alpha has ${l.alpha.length} values, expected ${width}`, w);
        break;
      case 'batchnorm':
        check(l.mean.length === width && l.variance.length === width, `mean/variance must have ${width} values`, w);
        check(l.epsilon >= 0 && Number.isFinite(l.epsilon), `epsilon must be finite and >= 0, got ${l.epsilon}`, w);
        for (const v of l.variance) check(v >= 0, `variance must be >= 0, found ${v}`, w);
        break;
      case 'activation':
        break;
    }
  });
  check(width === spec.outputs, `layers end with width ${width} but outputs is ${spec.outputs}`, name);
}

/**
 * A network from the two files of its directory form, already in memory
 * (model.json parsed, weights.bin as bytes): what a browser fetches.
 * @param where file name for error messages
 */
export async function specFromTfjsArtifacts(modelJson: unknown, weights: ArrayBuffer, where = 'model.json'): Promise<NetworkSpec> {
  const mj = modelJson as tf.io.ModelJSON;
  check(mj !== null && typeof mj === 'object' && mj.modelTopology !== undefined, 'missing "modelTopology"', where);
  check(Array.isArray(mj.weightsManifest), 'missing "weightsManifest"', where);
  const specs = mj.weightsManifest.flatMap((g) => g.weights);
  const needed = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  check(weights.byteLength === needed, `weights hold ${weights.byteLength} bytes but the manifest describes ${needed}`, where);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(mj.modelTopology, specs, weights));
  } catch (e) {
    throw new UserError(`cannot build the TF.js model (${(e as Error).message})`, where);
  }
  try {
    return layersModelToSpec(model, where);
  } finally {
    model.dispose();
  }
}
