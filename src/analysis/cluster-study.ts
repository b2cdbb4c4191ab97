import type { EmbedResult } from '../export/embed.js';
import { column } from '../metrics/axes.js';
import { guessDiscrete } from '../metrics/embedding-metrics.js';
import { UserError } from '../util/errors.js';
import { assignClusters, clusterAgreement, clusterProfiles, fitClusters, type ClusterAgreement, type ClusterFit, type ClusterOptions } from './clustering.js';
import type { ModelContext, ReferenceLatents } from './model-context.js';

/**
 * Everything `xlatent cluster` and the report's Clusters section show: the
 * clustering of a model's reference latents, its agreement with known
 * labels, the spectra of each cluster, and measured spectra placed in them.
 */
export interface ClusterStudy {
  fit: ClusterFit;
  /** Reference spectra clustered: ids and n x d latents. */
  ids: string[];
  latents: Float32Array;
  n: number;
  /** Agreement with each compared descriptor. */
  agreement: ClusterAgreement[];
  /** Per cluster, mean and std of its members' spectra (k x m, display units). */
  profiles: { mean: Float64Array; std: Float64Array };
  /** Decoded cluster centres (k x m, display units), when the model decodes. */
  centerSpectra?: Float32Array;
  /** Measured spectra assigned to the clusters. */
  measured?: MeasuredAssignment;
}

/** New spectra placed in a clustering. */
export interface MeasuredAssignment {
  ids: string[];
  /** n x d latents. */
  latents: Float32Array;
  /** Cluster of each (-1: outside every cluster, HDBSCAN only). */
  labels: Int32Array;
  /** Distance to the cluster (k-means: to its centre; HDBSCAN: mutual reachability to the closest member). */
  distance: Float64Array;
  /** The model's OOD percentile and flag of each spectrum (NaN without a reference). */
  oodPercentile: Float64Array;
  oodFlag: Float64Array;
}

/** Options of {@link clusterStudy}. */
export interface ClusterStudyOptions extends ClusterOptions {
  /** Descriptors to compare the clusters with (default: the discrete-looking ones of the reference data). */
  compare?: string[];
}

/**
 * Clusters a model's reference latents and describes the clusters.
 * @param ref the reference spectra and their latents (model-context.ts)
 * @param measured an embedding of measured spectra with the same model (embedSpectra), to assign to the clusters
 */
export function clusterStudy(ctx: ModelContext, ref: ReferenceLatents, opts: ClusterStudyOptions = {}, measured?: EmbedResult): ClusterStudy {
  const d = ctx.d;
  const n = ref.n;
  const fit = fitClusters(ref.latents, n, d, opts);
  const ds = ref.data.dataset;
  const k = ds.descriptorNames.length;
  const names = opts.compare ?? guessDiscrete(ds.descriptors, n, ds.descriptorNames);
  const agreement = names.map((name) => {
    const c = ds.descriptorNames.indexOf(name);
    if (c < 0) throw new UserError(`unknown descriptor "${name}" (the reference data has: ${ds.descriptorNames.join(', ') || 'none'})`, '--compare');
    return clusterAgreement(fit.labels, column(ds.descriptors, n, k, c), name);
  });
  const m = ctx.energies.length;
  const shown = ctx.invertible ? ds.spectra : ref.data.input;
  const profiles = clusterProfiles(fit.labels, fit.k, shown, m);
  let centerSpectra: Float32Array | undefined;
  if (ctx.decode && fit.k > 0) centerSpectra = ctx.toDisplay(ctx.decode(Float32Array.from(fit.centers), fit.k), fit.k);
  const study: ClusterStudy = { fit, ids: ds.ids, latents: ref.latents, n, agreement, profiles, centerSpectra };
  if (measured) {
    const a = assignClusters(fit, ref.latents, n, measured.latent, measured.n);
    study.measured = { ids: measured.ids, latents: measured.latent, labels: a.labels, distance: a.distance, oodPercentile: measured.oodPercentile, oodFlag: measured.oodFlag };
  }
  return study;
}
