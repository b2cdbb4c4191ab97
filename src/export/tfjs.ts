import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSpec } from '../model/spec.js';
import { UserError, check } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { layersModelToSpec, specToLayersModel } from './tfjs-spec.js';

export { layersModelToSpec, specToLayersModel, validateSpec } from './tfjs-spec.js';

/**
 * The directory form of a network (model.json plus one weight shard) that a
 * browser running plain @tensorflow/tfjs opens with
 * `tf.loadLayersModel('.../model.json')`; the conversion NetworkSpec <->
 * LayersModel itself is in tfjs-spec.ts (no Node modules, used by the
 * browser entry too).
 */

/** Name of the single weight shard written next to model.json. */
export const WEIGHTS_FILE = 'weights.bin';
/** Name of the TF.js topology + manifest file. */
export const MODEL_JSON_FILE = 'model.json';

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
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, jsonPath);
  }
  check(modelJson && typeof modelJson === 'object' && modelJson.modelTopology, 'missing "modelTopology"', jsonPath);
  check(Array.isArray(modelJson.weightsManifest), 'missing "weightsManifest"', jsonPath);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        const shard = join(dir, p);
        check(existsSync(shard), `weight shard named in ${MODEL_JSON_FILE} not found`, shard);
        const b = readFileSync(shard);
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      }
      specs.push(...group.weights);
    }
    const all = tf.io.concatenateArrayBuffers(buffers);
    const needed = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    check(all.byteLength === needed, `weight shards hold ${all.byteLength} bytes but the manifest describes ${needed}`, jsonPath);
    return [specs, all];
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
