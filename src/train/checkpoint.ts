import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { atomicTempSiblings, temporaryName, writeDirAtomic } from '../util/atomic.js';
import type { LayerSpec, NetworkSpec } from '../model/spec.js';
import { UserError } from '../util/errors.js';

/**
 * A checkpoint is a directory holding `state.json` (everything that is not a
 * tensor: epoch, generator state, schedule, history, config, plus the
 * manifest of tensors) and `variables.bin` (all tensors as little-endian
 * float32, concatenated in manifest order). It is written under a temporary
 * name and renamed into place (src/util/atomic.ts), so a killed run leaves
 * the previous checkpoint intact; `recoverCheckpoint` finds the newest
 * complete one even when the kill fell between the renames.
 */

export const STATE_FILE = 'state.json';
export const VARIABLES_FILE = 'variables.bin';

/** Where one tensor lies in variables.bin. */
export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements. */
  offset: number;
  /** Number of float32 elements. */
  length: number;
}

/** A tensor read back from a checkpoint. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Writes `state` and the named variables as a checkpoint directory at `dir`.
 * Names must be unique; the manifest is stored as `state.tensors`.
 */
export async function saveCheckpoint(
  dir: string,
  state: object,
  variables: [string, tf.Variable | StoredTensor][],
): Promise<void> {
  const entries: TensorEntry[] = [];
  let total = 0;
  const seen = new Set<string>();
  for (const [name, v] of variables) {
    if (seen.has(name)) throw new Error(`saveCheckpoint: duplicate tensor name ${name}`);
    seen.add(name);
    const length = v instanceof tf.Variable ? v.size : v.data.length;
    entries.push({ name, shape: v.shape.slice(), offset: total, length });
    total += length;
  }
  const data = new Float32Array(total);
  // Asynchronous reads: a GPU backend cannot read synchronously.
  const values = await Promise.all(variables.map(([, v]) => (v instanceof tf.Variable ? v.data() : v.data)));
  values.forEach((v, i) => data.set(v as Float32Array, entries[i].offset));
  await writeDirAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, VARIABLES_FILE), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    writeFileSync(join(tmp, STATE_FILE), JSON.stringify({ ...state, tensors: entries }) + '\n');
  });
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE)) && existsSync(join(dir, VARIABLES_FILE));
}

/**
 * The state of a complete checkpoint (state.json parses, and variables.bin
 * holds exactly the bytes its manifest lists), or undefined.
 */
function completeState(dir: string): { epoch?: unknown } | undefined {
  try {
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as { tensors?: TensorEntry[]; epoch?: unknown };
    if (!Array.isArray(state.tensors)) return undefined;
    const floats = state.tensors.reduce((sum, e) => Math.max(sum, e.offset + e.length), 0);
    return statSync(join(dir, VARIABLES_FILE)).size === 4 * floats ? state : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `parent/name` the newest complete checkpoint there and returns its
 * path (undefined when there is none). A run killed while writing leaves
 * complete checkpoints under writeDirAtomic's temporary names, possibly with
 * `name` itself absent (a kill between the two renames); the one with the
 * highest `epoch` in its state wins and is renamed into place, and every
 * other temporary sibling is removed. The caller must own the folder (the
 * trial lock): a live writer's temporary directory would be removed too.
 * A `name` that is present but damaged, with nothing complete beside it, is
 * returned as it is so that loading it reports the damage.
 */
export function recoverCheckpoint(parent: string, name: string): string | undefined {
  const target = join(parent, name);
  const temps = atomicTempSiblings(parent, name);
  let best: { path: string; epoch: number } | undefined;
  for (const path of [target, ...temps]) {
    const state = completeState(path);
    if (!state) continue;
    const epoch = typeof state.epoch === 'number' ? state.epoch : 0;
    if (!best || epoch > best.epoch) best = { path, epoch };
  }
  if (best && best.path !== target) {
    // The older copy keeps a temporary name until the newer one is in place, so a kill here loses nothing.
    if (existsSync(target)) renameSync(target, join(parent, temporaryName(name) + '.old'));
    renameSync(best.path, target);
  }
  for (const t of atomicTempSiblings(parent, name)) rmSync(t, { recursive: true, force: true });
  return best || existsSync(target) ? target : undefined;
}

/** Reads a checkpoint directory; throws UserError naming the file on any inconsistency. */
export function loadCheckpoint<S extends object>(dir: string): { state: S; tensors: Map<string, StoredTensor> } {
  const statePath = join(dir, STATE_FILE);
  const binPath = join(dir, VARIABLES_FILE);
  if (!hasCheckpoint(dir)) throw new UserError(`no checkpoint here (expected ${STATE_FILE} and ${VARIABLES_FILE})`, dir);
  let state: S & { tensors?: TensorEntry[] };
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, statePath);
  }
  const entries = state.tensors;
  if (!Array.isArray(entries)) throw new UserError('missing "tensors" manifest', statePath);
  const bytes = readFileSync(binPath);
  // Copy into an aligned buffer: Buffer slices need not start on a 4-byte boundary.
  const all = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(all.buffer).set(bytes);
  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) {
    if (e.offset + e.length > all.length) {
      throw new UserError(`tensor ${e.name} runs past the end of ${VARIABLES_FILE} (truncated file?)`, binPath);
    }
    tensors.set(e.name, { shape: e.shape, data: all.slice(e.offset, e.offset + e.length) });
  }
  return { state, tensors };
}

/**
 * Assigns stored tensors to variables by name, checking that every variable
 * is present with the same shape.
 *
 * @param where checkpoint path for error messages
 */
export function restoreVariables(
  variables: [string, tf.Variable][],
  tensors: Map<string, StoredTensor>,
  where: string,
): void {
  for (const [name, v] of variables) {
    const t = tensors.get(name);
    if (!t) throw new UserError(`tensor ${name} missing: the checkpoint was made by a different network`, where);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new UserError(`tensor ${name} has shape [${t.shape}], the network expects [${v.shape}]`, where);
    }
    const value = tf.tensor(t.data, v.shape);
    v.assign(value);
    value.dispose();
  }
}

/** The arrays of a NetworkSpec as named tensors (`<prefix>.<layer>.<field>`), to store one in a checkpoint. */
export function specTensors(prefix: string, spec: NetworkSpec): [string, StoredTensor][] {
  const out: [string, StoredTensor][] = [];
  spec.layers.forEach((layer, i) => {
    for (const [field, value] of Object.entries(layer)) {
      if (value instanceof Float32Array) out.push([`${prefix}.${i}.${field}`, { shape: [value.length], data: value }]);
    }
  });
  return out;
}

/**
 * A copy of `template` (same architecture) with its arrays replaced by the
 * stored `<prefix>.<layer>.<field>` tensors.
 */
export function specFromTensors(
  prefix: string,
  template: NetworkSpec,
  tensors: Map<string, StoredTensor>,
  where: string,
): NetworkSpec {
  const layers = template.layers.map((layer, i) => {
    const copy: Record<string, unknown> = { ...layer };
    for (const [field, value] of Object.entries(layer)) {
      if (!(value instanceof Float32Array)) continue;
      const t = tensors.get(`${prefix}.${i}.${field}`);
      if (!t || t.data.length !== value.length) {
        throw new UserError(`tensor ${prefix}.${i}.${field} missing or of the wrong size`, where);
      }
      copy[field] = t.data;
    }
    return copy as unknown as LayerSpec;
  });
  return { ...template, layers };
}
