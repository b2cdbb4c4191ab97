import { z } from 'zod';
import { AugmentSchema } from '../data/augment.js';
import type { GridSpec } from '../data/grid.js';
import { PreprocessSchema } from '../data/preprocess/schema.js';
import { DEFAULT_SYNTH_DESCRIPTORS, EXPERIMENTAL_DEFAULTS, SYNTH_DEFAULTS, SYNTH_DESCRIPTORS } from '../data/synth.js';

/**
 * The training run configuration. Every object is strict: an unknown key is
 * an error that names it (a typo must never be silently ignored). Defaults
 * follow the reference RankAAE setup (Liang et al. 2023) where one exists.
 */

const positiveInt = z.number().int().positive();

/**
 * Upper bounds of sizes, far above any real run, so that a typo such as
 * `depth: 1e5` or `hidden: 1e8` is a config error naming the key instead
 * of an attempt to allocate terabytes. Within them, config/resources.ts
 * checks that the whole network fits in memory before anything is built.
 */
export const LIMITS = {
  nStyle: 256,
  hidden: 16384,
  depth: 64,
  batch: 1_000_000,
  kernelSize: 1001,
  epochs: 1_000_000,
  trials: 1000,
  workers: 1024,
  spectra: 50_000_000,
  gridPoints: 100_000,
  folds: 1000,
} as const;
const fraction = z.number().min(0).max(1);

/** Target energy grid (the data layer's GridSpec): explicit start/stop/step or a number of points over the common range. */
export const GridSchema = z.union([
  z.strictObject({
    /** First grid energy (same unit as the file, eV for XAS). */
    start: z.number(),
    /** Last grid energy (inclusive when it falls on a step). */
    stop: z.number(),
    /** Spacing between grid points. */
    step: z.number().positive(),
  }),
  z.strictObject({
    /** Number of evenly spaced points over the range every spectrum covers. */
    points: z.number().int().min(2),
  }),
]) satisfies z.ZodType<GridSpec>;

/** Synthetic XANES generated in memory (src/data/synth.ts) instead of a file: benchmarks and demos. */
export const SynthSourceSchema = z.strictObject({
  /** Number of spectra. */
  count: positiveInt.max(LIMITS.spectra).default(SYNTH_DEFAULTS.count),
  /** Grid points over 7100-7180 eV (or start..stop). */
  points: z.number().int().min(2).max(LIMITS.gridPoints).default(SYNTH_DEFAULTS.points),
  start: z.number().default(SYNTH_DEFAULTS.start),
  stop: z.number().default(SYNTH_DEFAULTS.stop),
  /** Gaussian noise std in edge-step units. */
  noise: z.number().min(0).default(SYNTH_DEFAULTS.noise),
  /** Seed of the generator (independent of the run seed). */
  seed: z.number().int().min(0).default(SYNTH_DEFAULTS.seed),
  /** Descriptors to generate (OS, CN, BL, EW, DW); data.descriptors picks from these. */
  descriptors: z.array(z.enum(SYNTH_DESCRIPTORS)).min(1).default([...DEFAULT_SYNTH_DESCRIPTORS]),
  /** Generate "measured" versions of the same compounds instead of calculated ones (src/data/synth.ts). */
  experimental: z
    .strictObject({
      /** Global offset of the measured energy scale, eV. */
      offset: z.number().default(EXPERIMENTAL_DEFAULTS.offset),
      /** Std of a per-spectrum calibration drift, eV. */
      offsetJitter: z.number().min(0).default(EXPERIMENTAL_DEFAULTS.offsetJitter),
      /** Gaussian FWHM of the broadening the calculation lacks, eV. */
      broadening: z.number().min(0).default(EXPERIMENTAL_DEFAULTS.broadening),
      /** Std of the background slope, absorption units per 100 eV. */
      slope: z.number().min(0).default(EXPERIMENTAL_DEFAULTS.slope),
      /** Std of the relative edge-step error. */
      stepError: z.number().min(0).default(EXPERIMENTAL_DEFAULTS.stepError),
    })
    .optional(),
});

export const DataSchema = z.strictObject({
  /** Spectra file or folder (see `format`); relative paths resolve against the config file's folder. Exactly one of file and synth. */
  file: z.string().min(1).optional(),
  /** Generate synthetic spectra instead of reading a file. Exactly one of file and synth. */
  synth: SynthSourceSchema.optional(),
  /**
   * Reader to use; `auto` picks one from the file name and content. Any registered reader name
   * (csv, long-csv, json, arrow, xdi, athena, fdmnes, feff, columns, folder; `xlatent data inspect --help`
   * lists them) is accepted; an unknown name is an error listing them.
   */
  format: z.string().min(1).default('auto'),
  /**
   * Constrained descriptors in latent-axis order: descriptor i is tied to axis i.
   * Names refer to `AUX_<NAME>` columns (or plain column names in other layouts).
   * Empty ([]): an unconstrained adversarial autoencoder, chosen by reconstruction and latent normality.
   */
  descriptors: z.array(z.string().min(1)),
  /**
   * Descriptors known for some spectra (NaN or empty for the others) that are not
   * constrained but read off the latent position: a linear map from the latent
   * coordinates, fitted on the labelled training spectra, is stored with the model
   * and gives `embed` a pred_<name> column.
   */
  readout: z.array(z.string().min(1)).default([]),
  /**
   * Label table (CSV) for readers that take their labels from a separate file (`matrix`: spectra
   * stored column-wise); joined by spectrum id. Relative to the config file's folder.
   */
  labels: z.string().min(1).optional(),
  /** Descriptors with a few discrete levels (e.g. CN); evaluation adds a threshold classifier for these. */
  discrete: z.array(z.string().min(1)).default([]),
  /** Resample every spectrum onto this grid; omit to keep the file's common grid. */
  grid: GridSchema.optional(),
  /** Per-spectrum or per-channel intensity transform; stored with the model and applied again at inference. */
  normalization: z.enum(['none', 'minmax', 'area', 'standardize']).default('none'),
  /**
   * Shuffled split fractions, which must sum to 1; or one fold of a seeded k-fold split
   * (`{folds, fold, validation}`: fold `fold` tests, a `validation` fraction of the other rows
   * validates), which `xlatent cv` writes into each fold's config.
   */
  split: z
    .union([
      z.strictObject({ train: fraction, validation: fraction, test: fraction }),
      z
        .strictObject({
          /** Number of folds (>= 2). */
          folds: z.number().int().min(2).max(LIMITS.folds),
          /** The test fold, 0-based. */
          fold: z.number().int().min(0),
          /** Fraction of the other rows that validates. */
          validation: z.number().min(0).max(0.9).default(0.15),
        })
        .refine((f) => f.fold < f.folds, { message: 'fold must be less than folds', path: ['fold'] }),
    ])
    .default({ train: 0.7, validation: 0.15, test: 0.15 }),
});

export const NetworkSchema = z.strictObject({
  /** Latent size; must be >= the number of constrained descriptors (extra axes stay free). */
  nStyle: positiveInt.max(LIMITS.nStyle).default(4),
  /** Width of every hidden layer of encoder and decoder. */
  hidden: positiveInt.max(LIMITS.hidden).default(64),
  /** Number of dense layers in encoder and in decoder (>= 2: at least one hidden layer plus the output layer). */
  depth: z.number().int().min(2).max(LIMITS.depth).default(5),
  /** Hidden-layer activation. */
  activation: z.enum(['prelu', 'swish', 'relu']).default('prelu'),
  /** Dropout rate after each hidden layer. */
  dropout: z.number().min(0).max(0.9).default(0.04),
  /** Decoder output: softplus keeps spectra non-negative; linear for standardized data. */
  decoderOutput: z.enum(['softplus', 'linear']).default('softplus'),
  discriminator: z
    .strictObject({
      /** Width of the discriminator's hidden layers. */
      hidden: positiveInt.max(LIMITS.hidden).default(64),
      /** Number of dense layers (>= 2). */
      depth: z.number().int().min(2).max(LIMITS.depth).default(3),
      /** Dropout rate after each hidden layer. */
      dropout: z.number().min(0).max(0.9).default(0.056),
      /** Std of Gaussian noise added to its input latents during training (keeps it from winning too easily). */
      noise: z.number().min(0).default(0.56),
    })
    .prefault({}),
});

const term = (weight: number, lrRatio: number) =>
  z.strictObject({
    /** Multiplier of this term's loss. */
    weight: z.number().min(0).default(weight),
    /** This term's learning rate as a multiple of optimizer.lr. */
    lrRatio: z.number().positive().default(lrRatio),
  });

export const LossesSchema = z.strictObject({
  /** Discriminator vs N(0, I) prior through gradient reversal; reversal factor alpha = alphaLimit * tanh(epoch / alphaRampEpochs). */
  adversarial: term(1, 1)
    .extend({
      alphaLimit: z.number().min(0).default(0.7172),
      alphaRampEpochs: z.number().positive().default(300),
      /** Number of prior samples per batch the discriminator sees. */
      priorSamples: positiveInt.max(LIMITS.batch).default(1024),
    })
    .prefault({}),
  /** Pairwise rank constraint tying axis i to descriptor i, with force balance. */
  rank: term(1, 10).prefault({}),
  /** Reconstruction MSE against the amplitude-flexible target, plus the amplitude-ratio penalty. */
  reconstruction: term(1, 10)
    .extend({
      amplitudeWeight: z.number().min(0).default(0.1),
      /** Range the target amplitude may be rescaled within. */
      amplitudeClamp: z.tuple([z.number().positive(), z.number().positive()]).default([0.7, 1.3]),
    })
    .prefault({}),
  /** Latent cycle z -> decode -> encode ~ z, z ~ N(0, I). */
  cycle: term(1, 1).prefault({}),
  /** Decoder output close to its own Gaussian-smoothed version. */
  smoothness: term(1, 1)
    .extend({ kernelSize: z.number().int().min(1).max(LIMITS.kernelSize).default(17), sigma: z.number().positive().default(3) })
    .prefault({}),
});

export const OptimizerSchema = z.strictObject({
  /** Base learning rate of every AdamW optimizer (times each term's lrRatio). */
  lr: z.number().positive().default(1e-3),
  /** Decoupled weight decay (AdamW). */
  weightDecay: z.number().min(0).default(0.01),
  betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
  /** The adversarial optimizer's betas (the reference uses slow moments there). */
  adversarialBetas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.99, 0.9999]),
  /** Reduce-on-plateau schedule on the validation score. */
  plateau: z
    .strictObject({
      factor: z.number().positive().max(1).default(0.5),
      patience: z.number().int().min(1).default(30),
      minLr: z.number().min(0).default(1e-6),
    })
    .prefault({}),
});

export const TrainingSchema = z.strictObject({
  epochs: positiveInt.max(LIMITS.epochs).default(150),
  batchSize: z.number().int().min(2).max(LIMITS.batch).default(128),
  /** Independent trials with seeds seed, seed+1, ...; the best by validation score becomes the model (see `ensemble`). */
  trials: positiveInt.max(LIMITS.trials).default(1),
  /**
   * How many of the trials, best validation scores first, form the model: more than 1 makes an
   * ensemble whose descriptor estimates are the members' mean with their spread
   * (src/export/ensemble.ts). Default: every trial, at most DEFAULT_ENSEMBLE_MAX (5).
   * It changes no trial, so it may differ on --resume.
   */
  ensemble: positiveInt.max(LIMITS.trials).optional(),
  /**
   * Best-epoch selection and the learning-rate schedule on small validation splits. With at
   * least `minRows` validation rows, the best epoch is the one with the highest validation
   * score; with fewer (but at least 3) the score is averaged over the last `window` epochs
   * first (a Spearman on a handful of rows jumps from epoch to epoch), and no epoch before
   * the window is full can be best; with fewer than 3 rows nothing can be ranked, so the last
   * epoch is the model and the learning rate stays put. Epochs whose score is undefined (NaN)
   * never count towards a plateau.
   */
  selection: z
    .strictObject({
      minRows: z.number().int().min(0).default(20),
      window: z.number().int().min(1).max(1000).default(5),
    })
    .prefault({}),
  /** Std of Gaussian noise added to input spectra each batch (augmentation), in normalized units (after data.normalization). */
  augmentNoise: z.number().min(0).default(0),
  /** Augmentations modelling calculation vs measurement (energy offset, broadening, noise, background, edge-step error); all off by default. */
  augment: AugmentSchema.prefault({}),
  /** Write the `last` checkpoint every this many epochs (best is written whenever it improves). */
  checkpointEvery: positiveInt.default(1),
  /** Parallel worker processes for trials; 0 = number of CPU cores. */
  workers: z.number().int().min(0).max(LIMITS.workers).default(0),
});

export const BackendSchema = z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu']);

export const TrainConfigSchema = z
  .strictObject({
  /** Seed of everything random: split, initialization, batches, noise. */
  seed: z.number().int().min(0).default(0),
  data: DataSchema,
  /** Preprocessing fitted once and stored with the model: broadening, energy calibration, XAS normalization, E0 alignment. */
  preprocess: PreprocessSchema.optional(),
  network: NetworkSchema.prefault({}),
  losses: LossesSchema.prefault({}),
  optimizer: OptimizerSchema.prefault({}),
  training: TrainingSchema.prefault({}),
  /** Compute backend; `auto` takes the fastest that loads. */
  backend: BackendSchema.default('auto'),
  /** Output run directory (the model directory is its model/ folder). */
  output: z.string().min(1).default('runs/model'),
  })
  .refine((c) => (c.data.file === undefined) !== (c.data.synth === undefined), {
    message: 'give exactly one of data.file (a spectra file) and data.synth (generated spectra)',
    path: ['data'],
  })
  .refine((c) => c.training.ensemble === undefined || c.training.ensemble <= c.training.trials, {
    message: 'an ensemble cannot have more members than there are trials (training.trials)',
    path: ['training', 'ensemble'],
  });

/** Largest ensemble formed by default from a run's trials. */
export const DEFAULT_ENSEMBLE_MAX = 5;

/** Members of the model of a run: training.ensemble, or every trial up to DEFAULT_ENSEMBLE_MAX. */
export function ensembleSize(training: Pick<TrainingConfig, 'trials' | 'ensemble'>): number {
  return Math.min(training.ensemble ?? DEFAULT_ENSEMBLE_MAX, training.trials);
}

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type NetworkConfig = z.infer<typeof NetworkSchema>;
export type LossesConfig = z.infer<typeof LossesSchema>;
export type OptimizerConfig = z.infer<typeof OptimizerSchema>;
export type TrainingConfig = z.infer<typeof TrainingSchema>;
export type DataConfig = z.infer<typeof DataSchema>;
export type SynthSourceConfig = z.infer<typeof SynthSourceSchema>;
export type BackendName = z.infer<typeof BackendSchema>;
