import { join } from 'node:path';
import { loadReducer } from '../reducers/registry.js';
import type { ReducerJSON } from '../reducers/reducer.js';
import { check } from '../util/errors.js';
import { parseJsonText } from '../util/json-text.js';
import { decodeText, readFileInside } from '../util/read-file.js';
import { knnOodFromBytes, type KnnOodReference } from './knn-ood.js';
import { networkModel, type LatentModel } from './latent-model.js';
import { gridValues } from './metadata.js';
import { METADATA_FILE, readModelDir, REDUCER_FILE, verifyModelDir } from './model-dir.js';
import { reducerModel } from './reducer-model.js';

/**
 * The one model-loading path of the CLI and the library: a model directory
 * of `xlatent train` (RankAAE, or the run directory holding it) or of
 * `xlatent baseline` (PCA, MDS, t-SNE, UMAP), verified (schema, checksums)
 * and ready to encode spectra on its grid.
 */
export async function loadModel(dir: string): Promise<LatentModel> {
  const { dir: modelDir, metadata } = verifyModelDir(dir);
  if (metadata.kind !== 'reducer') {
    const b = await readModelDir(modelDir);
    return networkModel(b.metadata, b.encoder, b.decoder, modelDir, b.ensembleNetworks);
  }
  const path = join(modelDir, REDUCER_FILE);
  const metaPath = join(modelDir, METADATA_FILE);
  // Bounded reads of files the (verified) metadata lists, with the sizes it states.
  const sizeOf = (rel: string) => metadata.files.find((f) => f.path === rel)?.bytes;
  const json = parseJsonText(decodeText(readFileInside(modelDir, REDUCER_FILE, metaPath, { exactBytes: sizeOf(REDUCER_FILE) }), path), path) as ReducerJSON;
  const reducer = loadReducer(json, path);
  const m = gridValues(metadata.grid).length;
  check(json.m === m, `the reducer was fitted on ${json.m} points per spectrum but the model's grid has ${m}`, path);
  check(reducer.params.nComponents === metadata.nStyle, `the reducer has ${reducer.params.nComponents} components but metadata.nStyle is ${metadata.nStyle}`, path);
  let knn: KnnOodReference | undefined;
  if (metadata.ood?.metric === 'knn-distance') {
    const p = join(modelDir, metadata.ood.file);
    knn = knnOodFromBytes(metadata.ood, new Uint8Array(readFileInside(modelDir, metadata.ood.file, metaPath, { exactBytes: sizeOf(metadata.ood.file) })), m, p);
  }
  return reducerModel(metadata, reducer, knn, modelDir);
}
