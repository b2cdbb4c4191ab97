import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { parseJsonText } from '../util/json-text.js';
import { decodeText, readFileInside, readInputBytes } from '../util/read-file.js';
import { join, relative, sep } from 'node:path';
import type { z } from 'zod';
import type { NetworkSpec } from '../model/spec.js';
import { UserError, check } from '../util/errors.js';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { xlatentVersion } from '../util/versions.js';
import { loadSpecFromTfjsDir, saveSpecAsTfjs, MAX_JSON_BYTES, MODEL_JSON_FILE, WEIGHTS_FILE } from './tfjs.js';
import {
  MODEL_FORMAT_VERSION,
  MetadataInputSchema,
  ModelMetadataSchema,
  canonicalJson,
  gridValues,
  validateModelMetadata,
  type ModelMetadata,
  type ModelMetadataInput,
} from './metadata.js';
import { metadataDigest, sha256Hex } from './digest.js';

/**
 * The model directory, the one artefact training produces and every other
 * command (embed, export, analysis) consumes:
 *
 *   DIR/metadata.json          grid, normalization, descriptor axes, config + hash, metrics,
 *                              calibration, OOD reference, SHA-256 of every other file
 *   DIR/encoder/model.json     TF.js LayersModel (spectrum -> latent)
 *   DIR/encoder/weights.bin
 *   DIR/decoder/model.json     TF.js LayersModel (latent -> spectrum)
 *   DIR/decoder/weights.bin
 *   DIR/members/<i>/encoder/, DIR/members/<i>/decoder/
 *                              ensembles only: the networks of member i >= 1
 *                              (folders named in metadata.ensemble.members)
 *
 * The networks are stock TF.js layers models, so the encoder/ and decoder/
 * folders load as they are in a browser with `tf.loadLayersModel`.
 *
 * A baseline model (`xlatent baseline`, metadata.kind "reducer") holds
 * DIR/reducer.json (the fitted PCA, MDS, t-SNE or UMAP) instead of the
 * networks, with the same metadata (grid, normalization, OOD reference).
 */

export const METADATA_FILE = 'metadata.json';
/** The fitted reducer of a baseline model (kind "reducer"). */
export const REDUCER_FILE = 'reducer.json';
const NETWORK_FILES = ['encoder', 'decoder'].flatMap((n) => [`${n}/${MODEL_JSON_FILE}`, `${n}/${WEIGHTS_FILE}`]);

/** An encoder and its decoder. */
export interface NetworkPair {
  encoder: NetworkSpec;
  decoder: NetworkSpec;
}

/** A model directory's content in memory. */
export interface ModelBundle {
  /** spectrum (grid length) -> latent (nStyle). */
  encoder: NetworkSpec;
  /** latent (nStyle) -> spectrum (grid length). */
  decoder: NetworkSpec;
  metadata: ModelMetadata;
  /**
   * Ensembles (metadata.ensemble): every member's networks, index-aligned with
   * metadata.ensemble.members; member 0 is `encoder`/`decoder` itself.
   */
  ensembleNetworks?: NetworkPair[];
}

/** Renders a zod issue path as `a.b[2].c`. */
function fieldPath(path: PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
}

/** One line per zod issue, each naming its field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `field "${fieldPath(i.path) || '(root)'}": ${i.message}`).join('; ');
}

function checkWidths(encoder: NetworkSpec, decoder: NetworkSpec, nStyle: number, gridLength: number, where: string): void {
  check(encoder.inputs === gridLength, `encoder input width ${encoder.inputs} differs from the energy grid length ${gridLength}`, where);
  check(encoder.outputs === nStyle, `encoder output width ${encoder.outputs} differs from nStyle ${nStyle}`, where);
  check(decoder.inputs === nStyle, `decoder input width ${decoder.inputs} differs from nStyle ${nStyle}`, where);
  check(decoder.outputs === gridLength, `decoder output width ${decoder.outputs} differs from the energy grid length ${gridLength}`, where);
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/**
 * Writes a complete model directory. Everything goes to a temporary sibling
 * that is renamed into place, so readers see the old directory or the new
 * one, never a half-written mix.
 *
 * @param dir target directory (replaced if it exists)
 * @param bundle networks plus the producer's metadata; format fields, time, config hash and checksums are added here.
 *   A reducer model (metadata.kind "reducer") has no networks: its reducer.json comes in `extraFiles`.
 * @param extraFiles optional files (relative path -> content) to include and checksum, e.g. a report
 * @param options.created keep this creation time (ISO 8601) instead of now, e.g. when copying a model
 * @returns the metadata as written
 */
export async function writeModelDir(
  dir: string,
  bundle: { encoder?: NetworkSpec; decoder?: NetworkSpec; metadata: ModelMetadataInput; ensembleNetworks?: NetworkPair[] },
  extraFiles: Record<string, string | Uint8Array> = {},
  options: { created?: string } = {},
): Promise<ModelMetadata> {
  const parsed = MetadataInputSchema.safeParse(bundle.metadata);
  if (!parsed.success) throw new UserError(`invalid model metadata: ${describeZodError(parsed.error)}`, dir);
  const input = parsed.data;
  validateModelMetadata(input, dir);
  const { encoder, decoder } = bundle;
  const gridLength = gridValues(input.grid).length;
  const members = input.ensemble?.members ?? [];
  if (input.kind === 'reducer') {
    check(input.method !== undefined, 'a reducer model needs its method name', dir);
    check(REDUCER_FILE in extraFiles, `a reducer model needs ${REDUCER_FILE}`, dir);
    check(members.length === 0, 'a reducer model cannot be an ensemble', dir);
  } else {
    check(encoder !== undefined && decoder !== undefined, 'a RankAAE model needs an encoder and a decoder', dir);
    checkWidths(encoder!, decoder!, input.nStyle, gridLength, dir);
  }
  if (members.length > 0) {
    check(bundle.ensembleNetworks?.length === members.length, `an ensemble of ${members.length} members needs as many network pairs, got ${bundle.ensembleNetworks?.length ?? 0}`, dir);
    members.forEach((mem, i) => checkWidths(bundle.ensembleNetworks![i].encoder, bundle.ensembleNetworks![i].decoder, mem.nStyle, gridLength, `${dir} (ensemble member ${i})`));
  }
  let written: ModelMetadata | undefined;
  await writeDirAtomic(dir, async (tmp) => {
    if (encoder && decoder) {
      await saveSpecAsTfjs(encoder, join(tmp, 'encoder'), 'encoder');
      await saveSpecAsTfjs(decoder, join(tmp, 'decoder'), 'decoder');
    }
    for (let i = 1; i < members.length; i++) {
      await saveSpecAsTfjs(bundle.ensembleNetworks![i].encoder, join(tmp, members[i].encoder), 'encoder');
      await saveSpecAsTfjs(bundle.ensembleNetworks![i].decoder, join(tmp, members[i].decoder), 'decoder');
    }
    for (const [rel, content] of Object.entries(extraFiles)) {
      check(!rel.includes('..') && rel !== METADATA_FILE, `extra file name not allowed: ${rel}`, dir);
      writeFileAtomic(join(tmp, rel), content);
    }
    const files = listFiles(tmp).map((path) => {
      const bytes = readFileSync(join(tmp, path));
      return { path, sha256: sha256Hex(bytes), bytes: bytes.byteLength };
    });
    const withoutDigest = {
      format: 'xlatent-model' as const,
      formatVersion: MODEL_FORMAT_VERSION,
      xlatentVersion: xlatentVersion(),
      created: options.created ?? new Date().toISOString(),
      ...input,
      training: { config: input.training.config, sha256: sha256Hex(canonicalJson(input.training.config)) },
      files,
    };
    written = { ...withoutDigest, metadataSha256: metadataDigest(withoutDigest) };
    writeJsonAtomic(join(tmp, METADATA_FILE), written);
  });
  return written!;
}

/**
 * Reads and verifies a model directory's metadata and files: metadata
 * schema, the metadata's own digest, and every listed file's SHA-256. Works
 * for either kind of model (see {@link readModelDir} for the networks and
 * load-model.ts for both). Every failure is a UserError naming the file (and
 * field). A run directory of `xlatent train` (holding model/) is accepted.
 */
export function verifyModelDir(dir: string): { dir: string; metadata: ModelMetadata } {
  check(existsSync(dir), 'model directory not found', dir);
  // A run directory of `xlatent train` holds its model in model/: accept either.
  if (!existsSync(join(dir, METADATA_FILE)) && existsSync(join(dir, 'model', METADATA_FILE))) dir = join(dir, 'model');
  check(statSync(dir).isDirectory(), 'expected a model directory (with metadata.json), found a file', dir);
  const metaPath = join(dir, METADATA_FILE);
  check(existsSync(metaPath), 'file not found; is this a model directory written by `xlatent train` or `xlatent baseline`?', metaPath);
  const raw = parseJsonText(decodeText(readInputBytes(metaPath, MAX_JSON_BYTES), metaPath), metaPath);
  if (raw && typeof raw === 'object' && typeof (raw as { formatVersion?: unknown }).formatVersion === 'number') {
    const v = (raw as { formatVersion: number }).formatVersion;
    check(v <= MODEL_FORMAT_VERSION, `model format version ${v} is newer than this xlatent understands (${MODEL_FORMAT_VERSION}); upgrade xlatent`, metaPath);
  }
  const parsed = ModelMetadataSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(describeZodError(parsed.error), metaPath);
  const metadata = parsed.data;
  // The digest covers the file as written: defaults a newer schema adds while parsing must not read as an edit.
  check(
    metadataDigest(raw as ModelMetadata) === metadata.metadataSha256,
    'contents do not match its metadataSha256 checksum: the file was edited after the model was written',
    metaPath,
  );
  // The digest is not keyed: a re-signed file passes it, so every field constraint is checked on its own.
  validateModelMetadata(metadata, metaPath);
  const listed = new Map(metadata.files.map((f) => [f.path, f]));
  const required = metadata.kind === 'reducer' ? [REDUCER_FILE] : NETWORK_FILES;
  for (const r of required) check(listed.has(r), `the file list lacks ${r}`, metaPath);
  if (metadata.ood?.metric === 'knn-distance') check(listed.has(metadata.ood.file), `the file list lacks ${metadata.ood.file} (the OOD reference)`, metaPath);
  for (const f of metadata.files) {
    const bytes = readFileInside(dir, f.path, metaPath, { exactBytes: f.bytes });
    check(
      sha256Hex(bytes) === f.sha256,
      `SHA-256 checksum mismatch: the file was modified or corrupted after the model was written (expected ${f.sha256.slice(0, 12)}..., ${f.bytes} bytes)`,
      join(dir, f.path),
    );
  }
  return { dir, metadata };
}

/**
 * Reads and verifies a RankAAE model directory ({@link verifyModelDir}) and
 * its networks, checking that their widths fit the grid and nStyle. A
 * baseline (reducer) directory has no networks: load-model.ts reads both kinds.
 */
export async function readModelDir(dir: string): Promise<ModelBundle> {
  const { dir: modelDir, metadata } = verifyModelDir(dir);
  const metaPath = join(modelDir, METADATA_FILE);
  check(
    metadata.kind !== 'reducer',
    `this is a ${metadata.method} baseline model: it has a fitted reducer, not encoder and decoder networks`,
    metaPath,
  );
  const encoder = await loadSpecFromTfjsDir(join(modelDir, 'encoder'));
  const decoder = await loadSpecFromTfjsDir(join(modelDir, 'decoder'));
  const gridLength = gridValues(metadata.grid).length;
  checkWidths(encoder, decoder, metadata.nStyle, gridLength, metaPath);
  if (!metadata.ensemble) return { encoder, decoder, metadata };
  const ensembleNetworks: NetworkPair[] = [{ encoder, decoder }];
  for (const [i, mem] of metadata.ensemble.members.entries()) {
    if (i === 0) continue;
    const pair = { encoder: await loadSpecFromTfjsDir(join(modelDir, mem.encoder)), decoder: await loadSpecFromTfjsDir(join(modelDir, mem.decoder)) };
    checkWidths(pair.encoder, pair.decoder, mem.nStyle, gridLength, `${metaPath} (ensemble member ${i})`);
    ensembleNetworks.push(pair);
  }
  return { encoder, decoder, metadata, ensembleNetworks };
}
