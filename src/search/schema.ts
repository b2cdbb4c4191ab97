import { z } from 'zod';

/**
 * The search file (`xlatent search --config search.yaml`). Every object is
 * strict: an unknown key is an error naming it, its line and what is allowed.
 */

/** Most values one searched field may take in a grid, and most trials a search may hold. */
export const SEARCH_LIMITS = { values: 1000, trials: 10_000 } as const;

const bounds = (inner: z.ZodNumber) => z.tuple([inner, inner]);

/**
 * The values one config field takes. Exactly one of `choice`, `range`,
 * `logRange`, `intRange`.
 */
export const DomainSchema = z
  .strictObject({
    /** Values to choose from, any the field accepts (numbers, strings, lists, objects). */
    choice: z.array(z.json()).min(1).max(SEARCH_LIMITS.values).optional(),
    /** Real numbers drawn uniformly in [low, high]. */
    range: bounds(z.number()).optional(),
    /** Real numbers drawn log-uniformly in [low, high] (both > 0): learning rates, weights spanning decades. */
    logRange: bounds(z.number().positive()).optional(),
    /** Integers low..high inclusive, uniform (or log-uniform with `log: true`): widths, depths. */
    intRange: bounds(z.number().int()).optional(),
    /** With intRange: draw log-uniformly (low >= 1). */
    log: z.boolean().optional(),
    /**
     * Grid sampling only: the number of evenly spaced values (log-spaced for
     * logRange and `log: true`) taken from a range. A range needs it in a
     * grid; an intRange without it takes every integer.
     */
    points: z.number().int().min(2).max(SEARCH_LIMITS.values).optional(),
  })
  .superRefine((d, ctx) => {
    const kinds = (['choice', 'range', 'logRange', 'intRange'] as const).filter((k) => d[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `give exactly one of choice, range, logRange, intRange (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})` });
      return;
    }
    const b = d.range ?? d.logRange ?? d.intRange;
    if (b && !(b[0] < b[1])) ctx.addIssue({ code: 'custom', message: `the range's low end must be below its high end (got [${b[0]}, ${b[1]}])`, path: [kinds[0]] });
    if (d.log !== undefined && d.intRange === undefined) ctx.addIssue({ code: 'custom', message: '`log` goes with intRange (use logRange for real numbers)', path: ['log'] });
    if (d.log && d.intRange && d.intRange[0] < 1) ctx.addIssue({ code: 'custom', message: 'a log-uniform intRange needs low >= 1', path: ['intRange'] });
    if (d.points !== undefined && d.choice !== undefined) ctx.addIssue({ code: 'custom', message: '`points` goes with a range (a choice lists its values)', path: ['points'] });
  });

/** A word that goes into an #SBATCH line as it is: no spaces, quotes, newlines or shell syntax. */
const slurmWord = z.string().regex(/^[A-Za-z0-9_.:,=+@%/-]+$/, 'letters, digits and _ . : , = + @ % / - only');

/** How the trials of a rung are submitted as one Slurm job array. */
export const SlurmSchema = z.strictObject({
  /** Partition (`--partition`); the cluster's default when absent. */
  partition: slurmWord.optional(),
  /** Time limit of one trial (`--time`), e.g. "02:00:00" or "1-00:00:00". */
  time: z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'a Slurm time: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS').optional(),
  /** Memory of one trial (`--mem`), e.g. "4G". */
  mem: z.string().regex(/^\d+[KMGT]?$/, 'a size such as 4096, 4G or 512M').optional(),
  /** CPUs of one trial (`--cpus-per-task`); its BLAS threads. */
  cpusPerTask: z.number().int().min(1).max(1024).default(1),
  /** Generic resources of one trial (`--gres`), e.g. "gpu:1" or "gpu:a100:1". */
  gres: slurmWord.optional(),
  /** Further sbatch options, each one `--name` or `--name=value` word, e.g. "--account=abc123", "--qos=short". */
  extra: z.array(z.string().regex(/^--[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.:,=+@%/-]+)?$/, 'one sbatch option: --name or --name=value, no spaces')).default([]),
  /** Most array tasks running at once (`--array=0-N%maxParallel`); no limit when absent. */
  maxParallel: z.number().int().min(1).optional(),
  /** Shell lines run before each trial, e.g. "module load nodejs/20" (one command a line). */
  setup: z.array(z.string().regex(/^[^\n\r]*$/, 'one line')).default([]),
  /** Node.js executable on the compute nodes; default: the one running `xlatent search`. */
  node: z.string().min(1).optional(),
  /** Seconds between two looks at the queue (`squeue`). */
  pollSeconds: z.number().min(0.1).max(3600).default(10),
});

export const LauncherSchema = z.strictObject({
  /** local: this machine (in this process, or worker processes); slurm: one job array per rung. */
  kind: z.enum(['local', 'slurm']).default('local'),
  /** local: parallel trial processes, 0 = one per core, 1 = one after another in this process. */
  workers: z.number().int().min(0).max(1024).default(0),
  slurm: SlurmSchema.prefault({}),
});

/**
 * Successive halving: every trial trains `minEpochs`, the best 1/reduction
 * continue (from their checkpoints) to reduction x as many epochs, and so on
 * up to `maxEpochs`.
 */
export const HalvingSchema = z.strictObject({
  /** Epochs of the first rung. */
  minEpochs: z.number().int().min(1),
  /** Epochs of the last rung; default: the base config's training.epochs. */
  maxEpochs: z.number().int().min(1).optional(),
  /** Each rung keeps the best 1/reduction of its trials (at least one) and multiplies the epochs by it. */
  reduction: z.number().int().min(2).max(100).default(3),
});

/**
 * The model a search ends with. Without this section: the winner's model
 * (its own run's model, an ensemble of its seeds when the base config asks
 * for one). With it: the first `top` rows of the leaderboard (each row's best
 * seed) form one ensemble model directory.
 */
export const SearchEnsembleSchema = z.strictObject({
  /** How many of the best trials of the leaderboard form the ensemble (at least 2, at most the search's trials). */
  top: z.number().int().min(2).max(SEARCH_LIMITS.trials),
});

export const SearchSchema = z
  .strictObject({
    /** The training config every trial starts from (relative to the search file). */
    base: z.string().min(1),
    /** Search directory (relative to the search file); `--out` overrides. */
    output: z.string().min(1).default('runs/search'),
    /** Seed of the sampler: the same seed draws the same trials. Training uses the base config's seed, so every trial has the same split. */
    seed: z.number().int().min(0).default(0),
    /** random: `trials` configurations drawn independently; grid: every combination of the values. */
    sampler: z.enum(['random', 'grid']).default('random'),
    /** Number of configurations drawn (random sampling only). */
    trials: z.number().int().min(1).max(SEARCH_LIMITS.trials).optional(),
    /** The searched fields by dotted path into the training config, e.g. `optimizer.lr: { logRange: [1.0e-4, 1.0e-2] }`. */
    space: z.record(z.string(), DomainSchema).refine((s) => Object.keys(s).length > 0, 'name at least one field to search'),
    /** Early stopping of poor trials by successive halving; without it every trial trains the base config's training.epochs. */
    halving: HalvingSchema.optional(),
    launcher: LauncherSchema.prefault({}),
    /** The top trials form one ensemble model (`OUT/ensemble`, linked as `OUT/model`); see SearchEnsembleSchema. */
    ensemble: SearchEnsembleSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.sampler === 'grid' && s.trials !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'a grid runs every combination of the values; `trials` is for random sampling', path: ['trials'] });
    }
    if (s.sampler === 'random' && s.trials === undefined) {
      ctx.addIssue({ code: 'custom', message: 'random sampling needs `trials` (how many configurations to draw)', path: ['sampler'] });
    }
  });

export type SearchSpec = z.infer<typeof SearchSchema>;
export type Domain = z.infer<typeof DomainSchema>;
export type SlurmConfig = z.infer<typeof SlurmSchema>;
export type SearchEnsembleConfig = z.infer<typeof SearchEnsembleSchema>;
export type HalvingConfig = z.infer<typeof HalvingSchema>;
