import { runNetwork } from '../model/infer.js';
import type { NetworkSpec } from '../model/spec.js';
import { UserError } from '../util/errors.js';
import type { KnnOodReference } from './knn-ood.js';
import { gridValues, type ModelMetadata } from './metadata.js';

/**
 * One face for every trained model, whatever made it: a RankAAE (encoder and
 * decoder networks) or a baseline reducer (PCA, MDS, t-SNE, UMAP). Commands
 * that only place spectra in the latent space (embed, evaluate, relevance,
 * cluster, report) take any LatentModel; those that generate spectra from
 * latent points (sweep, interpolate, the report's sweeps and explorer) need
 * `decode` and say why a model lacks one. No Node module is imported here, so
 * the browser entry uses the same type.
 */
export interface LatentModel {
  /** Where the model was loaded from (a directory, a URL, or '' for one built in memory). */
  readonly dir: string;
  readonly metadata: ModelMetadata;
  /** "rankaae", or the reducer's name: "pca", "mds", "tsne", "umap". */
  readonly method: string;
  /** Latent dimension (nStyle; a reducer's nComponents). */
  readonly d: number;
  /** Grid length: values per spectrum. */
  readonly m: number;
  /**
   * Spectra on the model's grid, normalized as in training (n x m, row-major)
   * -> n x d latents. Each row's result depends on that row only, not on how
   * many spectra are passed at once (tested).
   * @param batchSize rows per inference batch for networks (memory only)
   */
  encode(x: Float32Array, n: number, batchSize?: number): Float32Array;
  /** n x d latents -> n x m spectra in normalized units; null where the method has no inverse map. */
  readonly decode: ((z: Float32Array, n: number) => Float32Array) | null;
  /** Why `decode` is null (one sentence), for errors of the commands that need it. */
  readonly noDecoder?: string;
  /** Networks computing encode and decode (RankAAE; PCA's exact linear maps), for in-page decoding and export. */
  readonly networks?: { encoder: NetworkSpec; decoder: NetworkSpec };
  /** kNN OOD reference spectra when metadata.ood is a knn-distance reference. */
  readonly knnOod?: KnnOodReference;
  /**
   * Ensembles (metadata.ensemble): every member's networks, index-aligned with
   * metadata.ensemble.members (member 0 = `networks`). `encode` and `decode` are
   * member 0's; embed combines the members (export/ensemble.ts).
   */
  readonly ensembleNetworks?: { encoder: NetworkSpec; decoder: NetworkSpec }[];
}

/**
 * A RankAAE model (or any encoder/decoder pair) as a LatentModel.
 * @param dir where it came from, for messages
 * @param ensembleNetworks an ensemble's member networks (readModelDir's)
 */
export function networkModel(
  metadata: ModelMetadata,
  encoder: NetworkSpec,
  decoder: NetworkSpec,
  dir = '',
  ensembleNetworks?: { encoder: NetworkSpec; decoder: NetworkSpec }[],
): LatentModel {
  return {
    dir,
    metadata,
    method: 'rankaae',
    d: metadata.nStyle,
    m: gridValues(metadata.grid).length,
    // Inference batch norm and dense layers act row by row, so the batch size changes memory, not results.
    encode: (x, n, batchSize) => runNetwork(encoder, x, n, batchSize),
    decode: (z, n) => runNetwork(decoder, z, n),
    networks: { encoder, decoder },
    ensembleNetworks,
  };
}

/**
 * The decoder of `model`, or a UserError saying that `what` needs one and
 * why this model has none.
 */
export function requireDecoder(model: LatentModel, what: string): (z: Float32Array, n: number) => Float32Array {
  if (!model.decode) throw new UserError(`${what} needs a decoder (latent point -> spectrum), and this ${model.method.toUpperCase()} model has none: ${model.noDecoder ?? 'no inverse map'}`, model.dir || undefined);
  return model.decode;
}
