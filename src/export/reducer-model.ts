import type { NetworkSpec } from '../model/spec.js';
import { Pca } from '../reducers/pca.js';
import type { BaseReducer, ReducerParams } from '../reducers/reducer.js';
import type { KnnOodReference } from './knn-ood.js';
import type { LatentModel } from './latent-model.js';
import { gridValues, type ModelMetadata } from './metadata.js';

/**
 * A fitted baseline reducer as a LatentModel. Encoding is the reducer's
 * `transform` (its documented out-of-sample map); decoding exists only where
 * the method defines an inverse, which among the baselines is PCA alone.
 */

/** Why each baseline without an inverse map has no decoder. */
export const NO_DECODER: Readonly<Record<string, string>> = {
  mds: 'MDS places spectra so that distances match; it defines no map from a latent point back to a spectrum',
  tsne: 't-SNE optimizes a layout of the training spectra; it defines no map from a latent point back to a spectrum',
  umap:
    "UMAP optimizes a layout of the training spectra; it defines no exact inverse (umap-learn's inverse_transform is an approximate interpolation, not implemented here)",
};

/**
 * PCA's transform and exact inverse as one-layer networks:
 * z = (x - mean) W^T s^-1 and x = mean + (z s) W, with W the components and
 * s the whitening scales (1 without whitening). They let a PCA model be
 * decoded in a browser page like a RankAAE decoder.
 */
export function pcaNetworks(pca: Pca): { encoder: NetworkSpec; decoder: NetworkSpec } {
  const k = pca.params.nComponents;
  const m = pca.mean.length;
  const scale = Float64Array.from({ length: k }, (_, c) => (pca.params.whiten ? Math.sqrt(pca.explainedVariance[c] || 1) : 1));
  const encKernel = new Float32Array(m * k);
  const encBias = new Float32Array(k);
  const decKernel = new Float32Array(k * m);
  for (let c = 0; c < k; c++) {
    let b = 0;
    for (let j = 0; j < m; j++) {
      const w = pca.components[c * m + j];
      encKernel[j * k + c] = w / scale[c];
      decKernel[c * m + j] = w * scale[c];
      b -= pca.mean[j] * w;
    }
    encBias[c] = b / scale[c];
  }
  return {
    encoder: { inputs: m, outputs: k, layers: [{ kind: 'dense', inputs: m, units: k, kernel: encKernel, bias: encBias }] },
    decoder: { inputs: k, outputs: m, layers: [{ kind: 'dense', inputs: k, units: m, kernel: decKernel, bias: Float32Array.from(pca.mean) }] },
  };
}

/**
 * A baseline model from its metadata and fitted reducer.
 * @param knnOod the OOD reference spectra named by metadata.ood, when present
 */
export function reducerModel(metadata: ModelMetadata, reducer: BaseReducer<ReducerParams>, knnOod?: KnnOodReference, dir = ''): LatentModel {
  const pca = reducer instanceof Pca ? reducer : null;
  return {
    dir,
    metadata,
    method: reducer.name,
    d: reducer.params.nComponents,
    m: gridValues(metadata.grid).length,
    encode: (x, n) => reducer.transform(x, n),
    decode: pca ? (z, n) => pca.inverseTransform(z, n) : null,
    noDecoder: pca ? undefined : (NO_DECODER[reducer.name] ?? `${reducer.name} defines no inverse map`),
    networks: pca ? pcaNetworks(pca) : undefined,
    knnOod,
  };
}
