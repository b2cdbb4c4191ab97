import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { z } from 'zod';
import { BaselineConfigSchema } from '../config/baseline.js';
import { loadConfigFile } from '../config/load.js';
import { fitBaseline, formatMetrics, runBaseline, type FittedBaseline } from '../pipeline/baseline.js';
import { REDUCER_NAMES } from '../reducers/registry.js';
import { UserError } from '../util/errors.js';

function splitList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

/** Parses `--param key=value` (numbers and true/false are typed). */
export function parseParams(list: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UserError(`--param: expected key=value, found "${item}"`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

interface Args {
  method?: string;
  data?: string;
  out?: string;
  config?: string;
  components?: number;
  seed?: number;
  perplexity?: number;
  neighbors?: number;
  descriptors?: string[];
  discrete?: string[];
  format?: string;
  normalization?: string;
  param?: string[];
  target?: string;
  'trust-k'?: number;
  score?: boolean;
}

const command: CommandModule<object, Args> = {
  command: 'baseline',
  builder: (y: Argv) =>
    y
      .usage(
        '$0 baseline --method pca|mds|tsne|umap --data FILE --out DIR [options]\n$0 baseline --config baseline.yaml\n\n' +
          'DIR becomes a model directory that embed, evaluate, cluster, report, relevance (and, for PCA, sweep and interpolate) load: ' +
          'DIR/metadata.json (grid, normalization, OOD reference), DIR/reducer.json (fitted model), DIR/embedding.csv ' +
          '(c0,c1,... one row per spectrum in input order), DIR/metrics.json (trustworthiness, continuity, kNN prediction ' +
          'of each descriptor, best-aligned axis), DIR/params.json (resolved parameters) and DIR/scatter-<descriptor>.png.',
      )
      .option('method', { type: 'string', choices: [...REDUCER_NAMES], describe: 'Reducer' })
      .option('data', { type: 'string', describe: 'Spectra file (any format `xlatent data inspect` reads)' })
      .option('out', { type: 'string', describe: 'Output directory (replaced atomically)' })
      .option('config', { type: 'string', describe: 'YAML/JSON file with method, data, params, seed, components, out; flags override it' })
      .option('components', { type: 'number', describe: 'Embedding dimensions (default 2)' })
      .option('seed', { type: 'number', describe: 'Seed of every random choice (default 0)' })
      .option('perplexity', { type: 'number', describe: 't-SNE perplexity (default 30)' })
      .option('neighbors', { type: 'number', describe: 'UMAP nNeighbors (default 15)' })
      .option('descriptors', { type: 'string', array: true, describe: 'Descriptors to score, e.g. CN,OS (default: all)' })
      .option('discrete', { type: 'string', array: true, describe: 'Descriptors scored as classes (default: integer-valued with <= 12 levels)' })
      .option('format', { type: 'string', describe: 'Input format (default auto)' })
      .option('normalization', { type: 'string', choices: ['none', 'minmax', 'area', 'standardize'], describe: 'Intensity normalization before embedding (default none)' })
      .option('param', { type: 'string', array: true, describe: 'Any reducer parameter as key=value, e.g. --param theta=0.3 --param method=landmark' })
      .option('target', { type: 'string', describe: 'UMAP only: supervised mode with this discrete descriptor as target' })
      .option('trust-k', { type: 'number', describe: 'Neighbourhood size of trustworthiness/continuity (default 10)' })
      .option('score', { type: 'boolean', describe: 'Score the embedding (default true); --no-score writes the model directory with the fit summary only' }),
  handler: async (a) => {
    let raw: Record<string, unknown> = {};
    let baseDir = process.cwd();
    if (a.config) {
      raw = loadConfigFile(a.config, z.record(z.string(), z.unknown())) as Record<string, unknown>;
      baseDir = dirname(resolve(a.config));
    }
    const data = { ...((raw.data as Record<string, unknown>) ?? {}) };
    if (a.data) data.file = resolve(a.data);
    if (a.format) data.format = a.format;
    if (a.normalization) data.normalization = a.normalization;
    const desc = splitList(a.descriptors);
    if (desc) data.descriptors = desc;
    const disc = splitList(a.discrete);
    if (disc) data.discrete = disc;
    const params = { ...((raw.params as Record<string, unknown>) ?? {}), ...parseParams(a.param) };
    if (a.perplexity !== undefined) params.perplexity = a.perplexity;
    if (a.neighbors !== undefined) params.nNeighbors = a.neighbors;
    const merged: Record<string, unknown> = { ...raw, data, params };
    if (a.method) merged.method = a.method;
    if (a.seed !== undefined) merged.seed = a.seed;
    if (a.components !== undefined) merged.components = a.components;
    if (a.target) merged.target = a.target;
    if (a.score !== undefined) merged.score = a.score;
    if (a['trust-k'] !== undefined) merged.evaluation = { ...((raw.evaluation as object) ?? {}), trustK: a['trust-k'] };
    if (!merged.method) throw new UserError('name a method with --method pca|mds|tsne|umap (or "method:" in --config)');
    if (!data.file) throw new UserError('name the spectra with --data FILE (or "data.file:" in --config)');
    const parsed = BaselineConfigSchema.safeParse(merged);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new UserError(`${i.path.join('.') || '(root)'}: ${i.message}`, a.config ?? 'baseline options');
    }
    const cfg = parsed.data;
    const out = a.out ? resolve(a.out) : cfg.out ? resolve(baseDir, cfg.out) : undefined;
    if (!out) throw new UserError('name the output directory with --out DIR (or "out:" in --config)');
    const log = (s: string) => process.stderr.write(`${s}\n`);
    let run: FittedBaseline & { metrics?: Parameters<typeof formatMetrics>[1] };
    try {
      run = cfg.score ? await runBaseline(cfg, out, baseDir, log) : await fitBaseline(cfg, out, baseDir, log);
    } catch (e) {
      // Parameter problems point at the config file when there is one.
      if (e instanceof UserError && a.config && e.where?.startsWith('params')) throw new UserError(e.message, a.config);
      throw e;
    }
    const summary = run.metrics ? formatMetrics(cfg.method, run.metrics) : `${cfg.method}: not scored (--no-score)`;
    process.stdout.write(`${summary}\nwrote the ${cfg.method} model directory ${out}\n`);
  },
};
export default command;
