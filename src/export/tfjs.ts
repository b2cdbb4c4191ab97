import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSpec } from '../model/spec.js';
import { UserError, check, quote } from '../util/errors.js';
import { parseJsonText } from '../util/json-text.js';
import { decodeText, readFileInside, readInputBytes } from '../util/read-file.js';
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
/** Most bytes of a model.json or metadata.json read (they hold a few hundred KB at most). */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Most bytes of weights one network may have (1 GiB of float32: far beyond the configs' limits). */
const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;

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
