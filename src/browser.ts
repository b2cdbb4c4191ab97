/**
 * xlatent in the browser (or any JavaScript runtime without Node modules):
 * load a RankAAE model directory from URLs or from bytes already in memory,
 * embed spectra (resample, normalize, encode, calibrated descriptors, OOD
 * score) and decode latent points. The same code as the Node library; only
 * the file access differs. Import it as `xlatent/browser`.
 *
 * ```js
 * import { loadModelFromUrl, embedSpectra } from 'xlatent/browser';
 * const model = await loadModelFromUrl('models/fe-xanes/');   // a folder written by `xlatent train` or `xlatent export --format tfjs`
 * const r = embedSpectra(model, [{ id: 'foil', energy, mu, labels: {}, source: 'upload' }]);
 * r.latent; r.predicted.CN; r.oodPercentile;
 * const spectrum = model.decode(Float32Array.from([0, 1.2, 0, 0]), 1);
 * ```
 *
 * Baseline (reducer) model directories need the reducers, which use Node's
 * worker threads and native addon: load them with `loadModel` from the Node
 * entry.
 */
import { UserError, check } from './util/errors.js';
import { networkModel, type LatentModel } from './export/latent-model.js';
import { canonicalJson, gridValues, ModelMetadataSchema, validateModelMetadata, type ModelMetadata } from './export/metadata.js';
import { isPlainRelativePath } from './util/relative-path.js';
import { specFromTfjsArtifacts } from './export/tfjs-spec.js';

export { networkModel, requireDecoder, type LatentModel } from './export/latent-model.js';
export { embedSpectra, prepareForModel, resampleForModel, type EmbedResult, type SpectraInput } from './export/embed.js';
export { gridValues, ModelMetadataSchema, type ModelMetadata } from './export/metadata.js';
export { applyNormalization, invertNormalization, type NormalizationParams } from './data/normalize.js';
export { predictCalibration, type AxisCalibration } from './export/calibration.js';
export { predictReadout, type Readout } from './export/readout.js';
export { interpolateLatent, type LatentInterpolation } from './analysis/interpolation.js';
export { decoderSweep, type SweepOptions, type SweepResult } from './analysis/sweep.js';
export type { NetworkSpec } from './model/spec.js';
export type { SpectralDataset, RawSpectrum } from './data/dataset.js';
export { UserError } from './util/errors.js';

/** The files of a model directory, in memory: path inside the directory -> content. */
export type ModelFiles = Record<string, ArrayBuffer | Uint8Array | string>;

const NETWORK_FILES = ['encoder/model.json', 'encoder/weights.bin', 'decoder/model.json', 'decoder/weights.bin'];

/** The network files of an ensemble's members beyond member 0 (plain relative folders only; metadata.ensemble). */
function memberFiles(metadata: { ensemble?: { members?: { encoder?: unknown; decoder?: unknown }[] } }): string[] {
  const folders = (metadata.ensemble?.members ?? []).slice(1).flatMap((m) => [m.encoder, m.decoder]);
  return folders.filter((f): f is string => typeof f === 'string' && isPlainRelativePath(f)).flatMap((f) => [`${f}/model.json`, `${f}/weights.bin`]);
}

function bytesOf(v: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const digest = await subtle.digest('SHA-256', copy.buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A RankAAE model from its files in memory. Checks the metadata schema and,
 * where the runtime has WebCrypto (every browser; Node 20), the metadata's
 * own digest and every file's SHA-256, as the Node loader does.
 * @param files at least metadata.json and the encoder/ and decoder/ model.json and weights.bin (ensembles: every member's)
 * @param where a name for error messages (e.g. the URL)
 */
export async function loadModelFromFiles(files: ModelFiles, where = 'model'): Promise<LatentModel> {
  const metaText = files['metadata.json'];
  check(metaText !== undefined, 'metadata.json missing', where);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytesOf(metaText)));
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, `${where}/metadata.json`);
  }
  const parsed = ModelMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`field "${i.path.join('.') || '(root)'}": ${i.message}`, `${where}/metadata.json`);
  }
  const metadata: ModelMetadata = parsed.data;
  check(
    metadata.kind !== 'reducer',
    `a ${metadata.method} baseline model needs the Node entry (its reducer uses worker threads and the native addon): load it with loadModel from 'xlatent'`,
    where,
  );
  // The digest covers the file as written (as the Node loader checks it), not the parsed form with defaults filled in.
  const { metadataSha256, ...rest } = raw as Record<string, unknown>;
  const own = await sha256Hex(new TextEncoder().encode(canonicalJson(rest)));
  check(own === null || own === metadataSha256, 'metadata.json does not match its metadataSha256 checksum: the file was edited after the model was written', `${where}/metadata.json`);
  validateModelMetadata(metadata, `${where}/metadata.json`);
  for (const f of [...NETWORK_FILES, ...memberFiles(metadata)]) check(files[f] !== undefined, `${f} missing`, where);
  for (const entry of metadata.files) {
    const content = files[entry.path];
    if (content === undefined) continue;
    const hex = await sha256Hex(bytesOf(content));
    check(hex === null || hex === entry.sha256, 'SHA-256 checksum mismatch: the file was modified or corrupted after the model was written', `${where}/${entry.path}`);
  }
  const net = async (name: string) => {
    const json = JSON.parse(new TextDecoder().decode(bytesOf(files[`${name}/model.json`])));
    const w = bytesOf(files[`${name}/weights.bin`]);
    return specFromTfjsArtifacts(json, w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer, `${where}/${name}/model.json`);
  };
  const encoder = await net('encoder');
  const decoder = await net('decoder');
  const m = gridValues(metadata.grid).length;
  check(encoder.inputs === m && encoder.outputs === metadata.nStyle, `encoder is ${encoder.inputs} -> ${encoder.outputs}, the metadata says ${m} -> ${metadata.nStyle}`, where);
  check(decoder.inputs === metadata.nStyle && decoder.outputs === m, `decoder is ${decoder.inputs} -> ${decoder.outputs}, the metadata says ${metadata.nStyle} -> ${m}`, where);
  const ensembleNetworks = metadata.ensemble && [{ encoder, decoder }];
  for (const [i, mem] of (metadata.ensemble?.members ?? []).entries()) {
    if (i === 0) continue;
    const pair = { encoder: await net(mem.encoder), decoder: await net(mem.decoder) };
    check(pair.encoder.inputs === m && pair.encoder.outputs === mem.nStyle && pair.decoder.inputs === mem.nStyle, `ensemble member ${i}'s networks do not fit the grid and its nStyle ${mem.nStyle}`, where);
    ensembleNetworks!.push(pair);
  }
  return networkModel(metadata, encoder, decoder, where, ensembleNetworks);
}

/**
 * A RankAAE model directory served over HTTP (e.g. the folder `xlatent
 * export --format tfjs` writes, or the model/ folder of a run).
 * @param base URL of the directory (a trailing slash is added when missing)
 * @param fetchFn the fetch to use (default the global one)
 */
export async function loadModelFromUrl(base: string | URL, fetchFn: typeof fetch = fetch): Promise<LatentModel> {
  const root = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  const get = async (path: string): Promise<ArrayBuffer> => {
    const res = await fetchFn(new URL(path, root).toString());
    check(res.ok, `HTTP ${res.status} ${res.statusText}`, root + path);
    return res.arrayBuffer();
  };
  const files: ModelFiles = { 'metadata.json': await get('metadata.json') };
  let members: string[] = [];
  try {
    members = memberFiles(JSON.parse(new TextDecoder().decode(bytesOf(files['metadata.json']))) as Parameters<typeof memberFiles>[0]);
  } catch {
    // not JSON: loadModelFromFiles says so, naming the file
  }
  await Promise.all([...NETWORK_FILES, ...members].map(async (f) => (files[f] = await get(f))));
  return loadModelFromFiles(files, root.replace(/\/$/, ''));
}
