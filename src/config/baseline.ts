import { z } from 'zod';
import { REDUCER_NAMES } from '../reducers/registry.js';
import { GridSchema } from './schema.js';

/**
 * Config files of `xlatent baseline --config F` and `xlatent compare --config F`.
 * Strict like the training config: an unknown key is an error naming it.
 */

/** Where the spectra come from and how they are prepared (shared by `baseline` and `compare` configs). */
export const BaselineDataSchema = z.strictObject({
  /** Spectra file; relative paths resolve against the config file's folder. */
  file: z.string().min(1),
  format: z.string().default('auto'),
  /** Descriptors to evaluate (default: every descriptor in the file). */
  descriptors: z.array(z.string().min(1)).optional(),
  /** Descriptors scored as classes (default: integer-valued ones with at most 12 levels). */
  discrete: z.array(z.string().min(1)).optional(),
  grid: GridSchema.optional(),
  normalization: z.enum(['none', 'minmax', 'area', 'standardize']).default('none'),
});

export const EvaluationOptionsSchema = z.strictObject({
  /** Neighbourhood size of trustworthiness/continuity. */
  trustK: z.number().int().min(1).default(10),
  /** Neighbours of the kNN descriptor predictor. */
  knnNeighbors: z.number().int().min(1).default(5),
  /** Cross-validation folds of the kNN predictor. */
  folds: z.number().int().min(2).default(5),
});

/** `xlatent baseline --config F` file. */
export const BaselineConfigSchema = z.strictObject({
  method: z.enum(REDUCER_NAMES),
  data: BaselineDataSchema,
  /** Reducer parameters (see `xlatent baseline --help`), e.g. { perplexity: 50 }. */
  params: z.record(z.string(), z.unknown()).default({}),
  seed: z.number().int().min(0).default(0),
  components: z.number().int().min(1).default(2),
  /** Output directory; relative to the config file. */
  out: z.string().optional(),
  /** Supervised UMAP: the (discrete) descriptor used as target. */
  target: z.string().optional(),
  evaluation: EvaluationOptionsSchema.default({ trustK: 10, knnNeighbors: 5, folds: 5 }),
  /** false: fit and write the model directory without scoring the embedding (`baseline --no-score`). */
  score: z.boolean().default(true),
});
export type BaselineConfig = z.infer<typeof BaselineConfigSchema>;
export type BaselineData = z.infer<typeof BaselineDataSchema>;

const fraction = z.number().min(0).max(1);

const MethodSchema = z.union([
  z.enum(REDUCER_NAMES),
  z.strictObject({
    method: z.enum(REDUCER_NAMES),
    /** Label in tables and file names (default: the method name; needed to compare two settings of one method). */
    label: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** Supervised UMAP target (a discrete descriptor). */
    target: z.string().optional(),
  }),
]);

/** `xlatent compare --config F` file. */
export const CompareConfigSchema = z.strictObject({
  data: BaselineDataSchema.extend({
    /**
     * Shuffled split. With `model`, leave it out: the model's own split (the
     * fractions and seed of its training config) is used, so every method is
     * scored on the model's test rows; when given, it must match the model's.
     * Without a model the default is 0.7 / 0.15 / 0.15.
     */
    split: z.strictObject({ train: fraction, validation: fraction, test: fraction }).optional(),
  }),
  /** Seed of the split (without a model) and of every reducer (default: the model's training seed, else 0). */
  seed: z.number().int().min(0).optional(),
  components: z.number().int().min(1).default(2),
  methods: z.array(MethodSchema).default(['pca', 'mds', 'tsne', 'umap']),
  /** A trained RankAAE model directory (or a run directory holding model/); relative to the config file. Its split is used. */
  model: z.string().optional(),
  out: z.string().optional(),
  evaluation: EvaluationOptionsSchema.default({ trustK: 10, knnNeighbors: 5, folds: 5 }),
});
export type CompareConfig = z.infer<typeof CompareConfigSchema>;

