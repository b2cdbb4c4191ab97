import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerSpec, NetworkSpec } from '../model/spec.js';
import { UserError, check, quote } from '../util/errors.js';
import { parseJsonText } from '../util/json-text.js';
import { decodeText, readFileInside, readInputBytes } from '../util/read-file.js';
import { writeFileAtomic } from '../util/atomic.js';

/**
 * NetworkSpec <-> TF.js LayersModel, and a directory form (model.json plus
 * one weight shard) that a browser running plain @tensorflow/tfjs opens with
 * `tf.loadLayersModel('.../model.json')`. Only stock layers are used (Dense,
 * PReLU, Activation, BatchNormalization without center/scale), so no custom
 * layer class has to be registered on the loading side.
 */

/** Name of the single weight shard written next to model.json. */
export const WEIGHTS_FILE = 'weights.bin';
/** Name of the TF.js topology + manifest file. */
export const MODEL_JSON_FILE = 'model.json';
/** Most bytes of a model.json or metadata.json read (they hold a few hundred KB at most). */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Most bytes of weights one network may have (1 GiB of float32: far beyond the configs' limits). */
const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;

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
 * Writes `model` as DIR/model.json + DIR/weights.bin through a custom save
 * handler (Node's plain tfjs has no file:// handler). Each file is written
 * atomically; callers that need the pair to appear together write into a
 * temporary directory (see model-dir.ts).
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const bytes =
        weightData === undefined
          ? new Uint8Array(0)
          : new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData);
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'xlatent',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
      writeFileAtomic(join(dir, MODEL_JSON_FILE), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    }),
  );
}

/**
 * Loads DIR/model.json and the weight shards its manifest names. Missing or
 * malformed files raise a UserError naming the file.
 */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, MODEL_JSON_FILE);
  check(existsSync(jsonPath), 'file not found (expected a TF.js model.json)', jsonPath);
  const modelJson = parseJsonText(decodeText(readInputBytes(jsonPath, MAX_JSON_BYTES), jsonPath), jsonPath) as tf.io.ModelJSON;
  check(modelJson && typeof modelJson === 'object' && modelJson.modelTopology, 'missing "modelTopology"', jsonPath);
  check(Array.isArray(modelJson.weightsManifest), 'missing "weightsManifest"', jsonPath);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    for (const group of manifest) {
      check(group && Array.isArray(group.paths) && Array.isArray(group.weights), 'each weightsManifest entry needs "paths" and "weights" arrays', jsonPath);
      specs.push(...group.weights);
    }
    // The manifest says how many bytes the weights take; shards are read up to that, never further.
    let needed = 0;
    for (const w of specs) {
      const ok = w && Array.isArray(w.shape) && w.shape.every((d) => Number.isInteger(d) && d >= 0) && (w.dtype === undefined || w.dtype === 'float32');
      check(ok, `weight ${quote(String(w?.name))}: expected a float32 weight with a shape of non-negative integers`, jsonPath);
      needed += w.shape.reduce((a, b) => a * b, 1) * 4;
    }
    check(needed <= MAX_WEIGHT_BYTES, `the manifest describes ${needed} bytes of weights, more than xlatent loads (${MAX_WEIGHT_BYTES})`, jsonPath);
    const buffers: Uint8Array[] = [];
    let total = 0;
    for (const group of manifest) {
      for (const p of group.paths) {
        check(typeof p === 'string', 'weight shard paths must be strings', jsonPath);
        const b = readFileInside(dir, p, jsonPath, { maxBytes: Math.max(0, needed - total) });
        total += b.byteLength;
        buffers.push(b);
      }
    }
    check(total === needed, `weight shards hold ${total} bytes but the manifest describes ${needed}`, jsonPath);
    const all = new Uint8Array(total);
    let off = 0;
    for (const b of buffers) {
      all.set(b, off);
      off += b.byteLength;
    }
    return [specs, all.buffer];
  });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new UserError(`cannot build the TF.js model (${(e as Error).message})`, jsonPath);
  }
}

/** Convenience: NetworkSpec -> directory. */
export async function saveSpecAsTfjs(spec: NetworkSpec, dir: string, name = 'network'): Promise<void> {
  const model = specToLayersModel(spec, name);
  try {
    await saveLayersModel(model, dir);
  } finally {
    model.dispose();
  }
}

/** Convenience: directory -> NetworkSpec. */
export async function loadSpecFromTfjsDir(dir: string): Promise<NetworkSpec> {
  const model = await loadLayersModelFromDir(dir);
  try {
    return layersModelToSpec(model, join(dir, MODEL_JSON_FILE));
  } finally {
    model.dispose();
  }
}
