import type { Argv, CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/**
 * One `xlatent` sub-command; its builder and handler are the default export
 * of one file per command under src/cli. Its description lives here only, so
 * that `xlatent --help` lists every command without importing any.
 */
export interface CommandEntry {
  command: string;
  describe: string;
  /** Runs networks: gets the backend `--backend` names (default auto) before its handler. */
  network: boolean;
  load: () => Promise<{ default: AnyCommand }>;
}

// Train is not a network command here: it selects the backend of its config (which --backend overrides).
export const commandEntries: readonly CommandEntry[] = [
  {
    command: 'train',
    describe: 'Train a RankAAE model from a config file (YAML or JSON)',
    network: false,
    load: () => import('./train.js'),
  },
  {
    command: 'search',
    describe: 'Hyperparameter search over any config field (random or grid, successive halving), locally or as Slurm job arrays',
    network: false,
    load: () => import('./search.js'),
  },
  {
    command: 'cv',
    describe: 'k-fold cross-validation for small labelled sets: out-of-fold Spearman, R2 and accuracy per descriptor',
    network: false,
    load: () => import('./cv.js'),
  },
  {
    command: 'ensemble',
    describe: 'Build an ensemble model from the best trials of finished runs (estimates with their spread)',
    network: true,
    load: () => import('./ensemble.js'),
  },
  {
    command: 'evaluate',
    describe: 'Score a trained model: per-descriptor Spearman/R2/F1, axis independence, reconstruction, latent normality',
    network: true,
    load: () => import('./evaluate.js'),
  },
  {
    command: 'data',
    describe: 'Generate synthetic spectra, inspect and convert spectra files',
    network: false,
    load: () => import('./data.js'),
  },
  {
    command: 'sweep',
    describe: 'Decoder sweeps: spectra decoded along each latent axis (CSV, JSON, Arrow, SVG/PNG figures)',
    network: true,
    load: () => import('./sweep.js'),
  },
  {
    command: 'relevance',
    describe: 'Peak-masking relevance: which energies move each latent axis (CSV, JSON, SVG/PNG)',
    network: true,
    load: () => import('./relevance.js'),
  },
  {
    command: 'interpolate',
    describe: 'Latent interpolation between two spectra: encode both, decode the straight latent path',
    network: true,
    load: () => import('./interpolate.js'),
  },
  {
    command: 'report',
    describe: 'One self-contained HTML report of a trained model (curves, axes vs descriptors, Q-Q, sweeps, interactive explorer)',
    network: true,
    load: () => import('./report.js'),
  },
  {
    command: 'export',
    describe: 'Export a trained model for inference elsewhere (ONNX for Python/C++, TF.js for the browser)',
    network: true,
    load: () => import('./export.js'),
  },
  {
    command: 'embed',
    describe: 'Project spectra into the latent space of a trained model: latent coordinates, descriptor estimates, OOD score',
    network: true,
    load: () => import('./embed.js'),
  },
  {
    command: 'baseline',
    describe: 'Fit PCA, MDS, t-SNE or UMAP, score the embedding and write a model directory the other commands load',
    network: false,
    load: () => import('./baseline.js'),
  },
  {
    command: 'cluster',
    describe: 'Cluster a model\'s latent map (k-means or HDBSCAN): agreement with labels, spectra per cluster, measured spectra assigned',
    network: true,
    load: () => import('./cluster.js'),
  },
  {
    command: 'compare',
    describe: 'Compare baselines (and a trained RankAAE model) on the same split',
    network: true,
    load: () => import('./compare.js'),
  },
];

/**
 * The yargs module of an entry. Its file is imported only when yargs runs the
 * command's builder, i.e. when that command (or its --help) is on the command
 * line, so `xlatent data ...` or `xlatent --help` never load TF.js.
 */
function lazyCommand(entry: CommandEntry): AnyCommand {
  let loaded: Promise<AnyCommand> | undefined;
  const load = () => (loaded ??= entry.load().then((m) => m.default));
  return {
    command: entry.command,
    describe: entry.describe,
    builder: async (y: Argv, helpOrVersionSet?: boolean) => {
      const { builder } = await load();
      if (typeof builder === 'function') return (builder as (y: Argv, h?: boolean) => Argv | PromiseLike<Argv>)(y, helpOrVersionSet);
      return builder ? y.options(builder) : y;
    },
    handler: async (argv) => {
      await (await load()).handler(argv);
    },
  };
}

/** Every `xlatent` sub-command, in `xlatent --help` order. */
export const commands: AnyCommand[] = commandEntries.map(lazyCommand);

/** Names of the commands that run networks (see CommandEntry.network). */
export const networkCommands: ReadonlySet<string> = new Set(commandEntries.filter((e) => e.network).map((e) => e.command));
