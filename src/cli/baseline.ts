import { dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { z } from 'zod';
import { loadConfigFile } from '../config/load.js';
import { GridSchema } from '../config/schema.js';
import type { SpectralDataset } from '../data/dataset.js';
import { loadSpectra } from '../data/load.js';
import { applyNormalization, fitNormalization, type NormalizationKind } from '../data/normalize.js';
import { embeddingMetrics, guessDiscrete, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { createReducer, REDUCER_NAMES, REDUCER_PARAMS, type ReducerName } from '../reducers/registry.js';
import type { BaseReducer, ReducerParams } from '../reducers/reducer.js';
import { Tsne } from '../reducers/tsne.js';
import { Umap } from '../reducers/umap.js';
import { scatterPlotSvg } from '../report/plot/scatter.js';
import { svgToPng } from '../report/plot/png.js';
import { writeDirAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

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
  /** false: write the embedding and the fitted reducer without scoring it (no metrics beyond the fit's own). */
  score: z.boolean().default(true),
});
export type BaselineConfig = z.infer<typeof BaselineConfigSchema>;
export type BaselineData = z.infer<typeof BaselineDataSchema>;

/** Spectra ready for a reducer: normalized, with descriptors picked and discrete ones known. */
export interface PreparedData {
  ds: SpectralDataset;
  /** Normalized spectra (n x m). */
  X: Float32Array;
  names: string[];
  discrete: string[];
}

/** Loads, grids and normalizes the data a baseline config names. `rows` fits the normalization on those rows only. */
export async function prepareBaselineData(data: BaselineData, baseDir: string, rows?: ArrayLike<number>): Promise<PreparedData> {
  const ds = await loadBaselineData(data, baseDir);
  const X = normalizedSpectra(data, ds, rows);
  return { ds, X, ...baselineDescriptors(data, ds) };
}

/** Reads (and grids) the spectra file a baseline config names, printing the reader's warnings. */
export async function loadBaselineData(data: BaselineData, baseDir: string): Promise<SpectralDataset> {
  const file = isAbsolute(data.file) ? data.file : resolve(baseDir, data.file);
  const { dataset: ds, warnings } = await loadSpectra(file, { format: data.format, descriptors: data.descriptors, grid: data.grid });
  for (const w of warnings) process.stderr.write(`xlatent: warning: ${w}\n`);
  return ds;
}

/** The config's normalization of the loaded spectra, fitted on `rows` (default all; only standardize has fitted statistics). */
export function normalizedSpectra(data: BaselineData, ds: SpectralDataset, rows?: ArrayLike<number>): Float32Array {
  const norm = fitNormalization(data.normalization as NormalizationKind, ds.spectra, ds.n, ds.m, ds.energies, rows);
  return applyNormalization(norm, ds.spectra, ds.n, ds.m);
}

/** The descriptors scored and which of them are discrete (checked against the file's). */
export function baselineDescriptors(data: BaselineData, ds: SpectralDataset): { names: string[]; discrete: string[] } {
  const names = ds.descriptorNames;
  let discrete = data.discrete ?? guessDiscrete(ds.descriptors, ds.n, names);
  for (const d of discrete) if (!names.includes(d)) throw new UserError(`discrete descriptor "${d}" is not among ${names.join(', ') || 'the (no) descriptors'}`, 'data.discrete');
  discrete = [...discrete];
  return { names, discrete };
}

/** A reducer with the config's components and seed folded into its parameters. */
export function buildReducer(method: ReducerName, params: Record<string, unknown>, components: number, seed: number, where: string): BaseReducer<ReducerParams> {
  const p: Record<string, unknown> = { nComponents: components, ...params };
  if (REDUCER_PARAMS[method].includes('seed') && p.seed === undefined) p.seed = seed;
  return createReducer(method, p, where);
}

/** embedding.csv: header c0,c1,..., one row per spectrum in input order. */
export function embeddingCsv(Z: Float32Array, n: number, d: number): string {
  const lines = [Array.from({ length: d }, (_, c) => `c${c}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(Array.from(Z.subarray(i * d, i * d + d), (v) => String(v)).join(','));
  return lines.join('\n') + '\n';
}

/** One PNG scatter of the first two axes per descriptor, coloured by it; returns the file names written. */
export function writeScatterPlots(dir: string, prefix: string, title: string, Z: Float32Array, n: number, d: number, prep: PreparedData, rows?: ArrayLike<number>): string[] {
  if (d < 2) return [];
  const k = prep.names.length;
  const x = Float64Array.from({ length: n }, (_, i) => Z[i * d]);
  const y = Float64Array.from({ length: n }, (_, i) => Z[i * d + 1]);
  const files: string[] = [];
  prep.names.forEach((name, c) => {
    const color = Float64Array.from({ length: n }, (_, i) => prep.ds.descriptors[(rows ? rows[i] : i) * k + c]);
    const svg = scatterPlotSvg({ x, y, color, colorLabel: name, discrete: prep.discrete.includes(name), title: `${title}: coloured by ${name}`, xLabel: 'axis 0', yLabel: 'axis 1' });
    const file = `${prefix}${safeName(name)}.png`;
    writeFileSync(join(dir, file), svgToPng(svg));
    files.push(file);
  });
  return files;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Descriptor values of one column for the given rows (all rows when omitted). */
export function descriptorValues(prep: PreparedData, name: string, rows?: ArrayLike<number>): Float64Array {
  const k = prep.names.length;
  const c = prep.names.indexOf(name);
  if (c < 0) throw new UserError(`unknown descriptor "${name}" (available: ${prep.names.join(', ')})`);
  const n = rows ? rows.length : prep.ds.n;
  return Float64Array.from({ length: n }, (_, i) => prep.ds.descriptors[(rows ? rows[i] : i) * k + c]);
}

/** Runs one baseline end to end and writes DIR atomically; returns the scores (null when `score` is false). */
export async function runBaseline(cfg: BaselineConfig, outDir: string, baseDir: string, log: (s: string) => void = () => {}): Promise<EmbeddingMetrics | null> {
  const prep = await prepareBaselineData(cfg.data, baseDir);
  const { ds, X } = prep;
  const reducer = buildReducer(cfg.method, cfg.params, cfg.components, cfg.seed, 'params');
  if (cfg.target) {
    if (!(reducer instanceof Umap)) throw new UserError('a supervised target is only supported by umap', 'target');
    reducer.setTarget(descriptorValues(prep, cfg.target));
  }
  if (reducer instanceof Tsne) {
    const total = reducer.params.maxIter;
    reducer.onProgress = (it, g) => log(`tsne: iteration ${it}/${total}, gradient norm ${g.toExponential(2)}`);
  }
  log(`${cfg.method}: embedding ${ds.n} spectra of ${ds.m} points into ${cfg.components} dimensions`);
  const t0 = performance.now();
  const Z = reducer.fitTransform(X, ds.n, ds.m);
  const seconds = (performance.now() - t0) / 1000;
  log(`${cfg.method}: fitted in ${seconds.toFixed(1)} s${cfg.score ? '; scoring' : ''}`);
  const d = reducer.params.nComponents;
  const t1 = performance.now();
  const metrics = cfg.score
    ? embeddingMetrics(X, ds.n, ds.m, Z, d, ds.descriptors, prep.names, prep.discrete, {
        trustK: cfg.evaluation.trustK,
        knnNeighbors: cfg.evaluation.knnNeighbors,
        folds: cfg.evaluation.folds,
        seed: cfg.seed,
      })
    : null;
  const scoreSeconds = (performance.now() - t1) / 1000;
  await writeDirAtomic(outDir, (tmp) => {
    writeFileSync(join(tmp, 'embedding.csv'), embeddingCsv(Z, ds.n, d));
    writeFileSync(
      join(tmp, 'metrics.json'),
      JSON.stringify({ method: cfg.method, fitSeconds: seconds, fit: reducer.summary(), ...(metrics ? { scoreSeconds, ...metrics } : { scored: false }) }, null, 2) + '\n',
    );
    writeFileSync(
      join(tmp, 'params.json'),
      JSON.stringify({ ...cfg, params: reducer.params, data: { ...cfg.data, n: ds.n, m: ds.m, descriptors: prep.names, discrete: prep.discrete } }, null, 2) + '\n',
    );
    writeFileSync(join(tmp, 'reducer.json'), JSON.stringify(reducer.toJSON()));
    writeScatterPlots(tmp, 'scatter-', cfg.method.toUpperCase(), Z, ds.n, d, prep);
  });
  return metrics;
}

/** One-line human summary of the metrics. */
export function formatMetrics(method: string, m: EmbeddingMetrics): string {
  const parts = [`T=${m.neighborhood.trustworthiness.toFixed(3)}`, `C=${m.neighborhood.continuity.toFixed(3)}`];
  for (const [name, s] of Object.entries(m.descriptors)) {
    const score = s.discrete ? `acc=${s.knn.accuracy?.toFixed(3)}` : `R2=${s.knn.r2?.toFixed(3)}`;
    parts.push(`${name}: kNN ${score}, best axis ${s.bestAxis} rho=${s.spearman.toFixed(3)}`);
  }
  return `${method}: ${parts.join('; ')}`;
}

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
          'Writes DIR/embedding.csv (c0,c1,... one row per spectrum in input order), DIR/metrics.json ' +
          '(trustworthiness, continuity, kNN prediction of each descriptor, best-aligned axis), DIR/params.json ' +
          '(resolved parameters), DIR/reducer.json (fitted model) and DIR/scatter-<descriptor>.png.',
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
      .option('score', { type: 'boolean', describe: 'Score the embedding (default true); --no-score writes only the embedding, the fit summary and the reducer' }),
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
    let metrics: EmbeddingMetrics | null;
    try {
      metrics = await runBaseline(cfg, out, baseDir, log);
    } catch (e) {
      // Parameter problems point at the config file when there is one.
      if (e instanceof UserError && a.config && e.where?.startsWith('params')) throw new UserError(e.message, a.config);
      throw e;
    }
    process.stdout.write(`${metrics ? formatMetrics(cfg.method, metrics) : `${cfg.method}: not scored (--no-score)`}\nwrote ${out}\n`);
  },
};
export default command;
