import { check, quote } from '../util/errors.js';
import { bestAlignedAxes, column, maxAxisCorrelation } from './axes.js';
import { sortedLabels } from './classification.js';
import { adjustedRandIndex, kMeans } from './clustering.js';
import { knnListSize, knnPrediction, type KnnPredictionScores } from './knn-prediction.js';
import { embeddingNeighbours, InputNeighborhoods, type NeighborhoodScores } from './neighborhood.js';

/**
 * The scores every embedding (baseline or RankAAE latent space) gets in
 * `baseline` and `compare`: neighbourhood preservation, how well each
 * descriptor can be predicted from the embedding, and how well a single
 * axis follows each descriptor.
 */
export interface EmbeddingMetrics {
  n: number;
  dims: number;
  neighborhood: NeighborhoodScores;
  /** Max |Spearman| between embedding axes. */
  maxAxisSpearman: number;
  descriptors: Record<
    string,
    {
      discrete: boolean;
      knn: KnnPredictionScores;
      /** Best single axis (0-based) and its signed Spearman rho. */
      bestAxis: number;
      spearman: number;
      perAxisSpearman: number[];
      /** Discrete only: adjusted Rand index between k-means clusters of the embedding (k = number of classes) and the classes. */
      kmeansAri?: number;
    }
  >;
}

export interface EmbeddingMetricsOptions {
  /** Neighbourhood size of trustworthiness/continuity (default 10). */
  trustK?: number;
  /** Exact trustworthiness up to this n, sampled estimate above (default 10,000). */
  trustExactLimit?: number;
  /** Neighbours of the kNN predictor (default 5). */
  knnNeighbors?: number;
  /** Cross-validation folds (default 5). */
  folds?: number;
  /** Seed of folds and samples (default 0). */
  seed?: number;
  /**
   * The spectra side of trustworthiness/continuity from
   * {@link embeddingInputNeighborhoods} with the same X and options, to
   * score several embeddings of one X without recomputing it each time.
   */
  inputNeighborhoods?: InputNeighborhoods;
}

/** Trustworthiness neighbourhood size for n points: trustK, capped below n/2. */
function trustKFor(n: number, o: EmbeddingMetricsOptions): number {
  return Math.min(o.trustK ?? 10, Math.max(1, Math.ceil(n / 2) - 1));
}

/**
 * The spectra side of {@link embeddingMetrics}' trustworthiness/continuity,
 * computed on first use and kept for every later embedding of the same X
 * (pass it as `inputNeighborhoods`). Scores are the same as without it.
 */
export function embeddingInputNeighborhoods(X: ArrayLike<number>, n: number, m: number, o: EmbeddingMetricsOptions = {}): InputNeighborhoods {
  return new InputNeighborhoods(X, n, m, { k: trustKFor(n, o), exactLimit: o.trustExactLimit, seed: o.seed });
}

/**
 * Throws a UserError when {@link embeddingMetrics} cannot score these data:
 * fewer than 3 spectra, or a descriptor with fewer labelled spectra than
 * cross-validation folds (e.g. all labels missing). Callers check before
 * fitting a reducer, so the user learns it before any work.
 */
export function checkScorable(n: number, descriptors: ArrayLike<number>, names: string[], o: EmbeddingMetricsOptions = {}): void {
  check(n >= 3, `scoring an embedding needs at least 3 spectra (trustworthiness compares neighbourhoods), found ${n}`);
  const folds = Math.max(o.folds ?? 5, 2);
  names.forEach((name, c) => {
    let labelled = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(descriptors[i * names.length + c])) labelled++;
    check(
      labelled >= folds,
      `descriptor ${quote(name)} has ${labelled} labelled spectra of ${n}; its ${folds}-fold kNN score needs at least ${folds}. Leave it out of the descriptors or label more spectra`,
    );
  });
}

/**
 * @param X n x m spectra the embedding was computed from
 * @param Z n x d embedding
 * @param descriptors n x k descriptor values (NaN = missing)
 * @param names descriptor names (length k)
 * @param discrete names treated as classes
 */
export function embeddingMetrics(
  X: ArrayLike<number>,
  n: number,
  m: number,
  Z: ArrayLike<number>,
  d: number,
  descriptors: ArrayLike<number>,
  names: string[],
  discrete: string[],
  o: EmbeddingMetricsOptions = {},
): EmbeddingMetrics {
  checkScorable(n, descriptors, names, o);
  const k = trustKFor(n, o);
  let input = o.inputNeighborhoods;
  if (input && (input.X !== X || input.n !== n || input.m !== m || input.k !== k)) {
    throw new Error('embeddingMetrics: inputNeighborhoods was built for other spectra or options');
  }
  input ??= new InputNeighborhoods(X, n, m, { k, exactLimit: o.trustExactLimit, seed: o.seed });
  // One neighbour search in the embedding serves trustworthiness, continuity and every kNN prediction.
  const lists = embeddingNeighbours(Z, n, d, Math.max(k, knnListSize(o.knnNeighbors ?? 5)));
  const neighborhood = input.scores(Z, d, lists);
  const align = bestAlignedAxes(Z, n, d, descriptors, names);
  const out: EmbeddingMetrics = {
    n,
    dims: d,
    neighborhood,
    maxAxisSpearman: maxAxisCorrelation(Z, n, d).maxAbs,
    descriptors: {},
  };
  names.forEach((name, c) => {
    const y = column(descriptors, n, names.length, c);
    const isDiscrete = discrete.includes(name);
    let kmeansAri: number | undefined;
    if (isDiscrete) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) rows.push(i);
      const classes = sortedLabels(Float64Array.from(rows, (i) => y[i]));
      if (classes.length >= 2 && rows.length > classes.length) {
        const Zs = new Float64Array(rows.length * d);
        rows.forEach((i, a) => {
          for (let t = 0; t < d; t++) Zs[a * d + t] = Z[i * d + t];
        });
        const km = kMeans(Zs, rows.length, d, classes.length, { seed: o.seed ?? 0 });
        kmeansAri = adjustedRandIndex(Float64Array.from(rows, (i) => y[i]), km.labels);
      }
    }
    out.descriptors[name] = {
      kmeansAri,
      discrete: isDiscrete,
      knn: knnPrediction(Z, n, d, y, { neighbors: o.knnNeighbors, folds: o.folds, seed: o.seed, discrete: isDiscrete }, lists),
      bestAxis: align[c].axis,
      spearman: align[c].spearman,
      perAxisSpearman: align[c].perAxis,
    };
  });
  return out;
}

/** Descriptors that look discrete: integer values only, at most `maxLevels` distinct ones (default 12). */
export function guessDiscrete(descriptors: ArrayLike<number>, n: number, names: string[], maxLevels = 12): string[] {
  const k = names.length;
  return names.filter((_, c) => {
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const v = descriptors[i * k + c];
      if (!Number.isFinite(v)) continue;
      if (!Number.isInteger(v)) return false;
      seen.add(v);
      if (seen.size > maxLevels) return false;
    }
    return seen.size > 0;
  });
}
