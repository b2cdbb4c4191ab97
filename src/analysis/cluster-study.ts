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
  /**
   * Descriptors to compare the clusters with; "a+b" compares with the
   * combination of a and b (each pair of values one class). Default: every
   * integer-valued descriptor of the reference data, and their combination
   * when there are several (e.g. phase, defect and phase+defect).
   */
  compare?: string[];
}

/** One class per distinct combination of values (NaN when any is missing), numbered in order of first appearance, with names like "1+0". */
function combinedLabel(cols: Float64Array[]): { labels: Float64Array; names: string[] } {
  const codes = new Map<string, number>();
  const labels = Float64Array.from({ length: cols[0].length }, (_, i) => {
    const values = cols.map((c) => c[i]);
    if (!values.every(Number.isFinite)) return NaN;
    const key = values.join('+');
    if (!codes.has(key)) codes.set(key, codes.size);
    return codes.get(key)!;
  });
  return { labels, names: [...codes.keys()] };
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
  const discrete = guessDiscrete(ds.descriptors, n, ds.descriptorNames);
  const names = opts.compare ?? (discrete.length > 1 ? [...discrete, discrete.join('+')] : discrete);
  const agreement = names.map((name) => {
    const cols = name.split('+').map((part) => {
      const c = ds.descriptorNames.indexOf(part);
      if (c < 0) throw new UserError(`unknown descriptor "${part}" (the reference data has: ${ds.descriptorNames.join(', ') || 'none'})`, '--compare');
      return column(ds.descriptors, n, k, c);
    });
    if (cols.length === 1) return clusterAgreement(fit.labels, cols[0], name);
    const combined = combinedLabel(cols);
    const a = clusterAgreement(fit.labels, combined.labels, name);
    return { ...a, classNames: a.classes.map((c) => combined.names[c]) };
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
