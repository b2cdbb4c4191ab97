import { isAbsolute, resolve } from 'node:path';
import type { BaselineConfig, BaselineData } from '../config/baseline.js';
import { descriptorColumn, type SpectralDataset } from '../data/dataset.js';
import { loadSpectra } from '../data/load.js';
import { checkDiscreteDescriptor } from '../data/summary.js';
import { applyNormalization, fitNormalization, type NormalizationParams } from '../data/normalize.js';
import { buildKnnOod, knnOodBytes } from '../export/knn-ood.js';
import { gridMetaFor, type ModelMetadata } from '../export/metadata.js';
import { REDUCER_FILE, writeModelDir } from '../export/model-dir.js';
import { checkScorable, embeddingMetrics, guessDiscrete, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { gemmAddon } from '../reducers/gemm.js';
import { createReducer, REDUCER_PARAMS, type ReducerName } from '../reducers/registry.js';
import type { BaseReducer, ReducerParams } from '../reducers/reducer.js';
import { Tsne } from '../reducers/tsne.js';
import { Umap } from '../reducers/umap.js';
import { svgToPng } from '../report/plot/png.js';
import { scatterPlotSvg } from '../report/plot/scatter.js';
import { UserError } from '../util/errors.js';
import { environmentInfo } from '../util/versions.js';

/**
 * A baseline run (`xlatent baseline`, or `runBaseline` from the library):
 * spectra -> grid -> normalization -> reducer fit -> a model directory that
 * every model command loads like a RankAAE one (load-model.ts).
 *
 *   DIR/metadata.json     kind "reducer", method, grid, normalization, kNN OOD reference, metrics, config
 *   DIR/reducer.json      the fitted reducer (transform of new spectra; PCA's inverse)
 *   DIR/ood-reference.f32 the training spectra the OOD score measures distances to
 *   DIR/embedding.csv     the training embedding (c0,c1,...), one row per input spectrum in input order
 *   DIR/metrics.json      trustworthiness, continuity, kNN prediction and best axis per descriptor
 *   DIR/params.json       resolved parameters
 *   DIR/scatter-<descriptor>.png
 */

/** Spectra ready for a reducer: normalized, with descriptors picked and discrete ones known. */
export interface BaselineSpectra {
  ds: SpectralDataset;
  /** Normalized spectra (n x m). */
  X: Float32Array;
  /** The fitted normalization (stored with the model). */
  normalization: NormalizationParams;
  names: string[];
  discrete: string[];
}

/** The config's data file as an absolute path. */
export function baselineDataPath(data: BaselineData, baseDir: string): string {
  return isAbsolute(data.file) ? data.file : resolve(baseDir, data.file);
}

/** Loads, grids and normalizes the data a baseline config names. `rows` fits the normalization on those rows only. */
export async function prepareBaselineData(data: BaselineData, baseDir: string, rows?: ArrayLike<number>, warn = printWarning): Promise<BaselineSpectra> {
  const ds = await loadBaselineData(data, baseDir, warn);
  return { ds, ...normalizedSpectra(data, ds, rows), ...baselineDescriptors(data, ds) };
}

function printWarning(w: string): void {
  process.stderr.write(`xlatent: warning: ${w}\n`);
}

/** Reads (and grids) the spectra file a baseline config names, passing the reader's warnings to `warn`. */
export async function loadBaselineData(data: BaselineData, baseDir: string, warn = printWarning): Promise<SpectralDataset> {
  const { dataset: ds, warnings } = await loadSpectra(baselineDataPath(data, baseDir), { format: data.format, descriptors: data.descriptors, grid: data.grid });
  for (const w of warnings) warn(w);
  return ds;
}

/** The config's normalization of the loaded spectra, fitted on `rows` (default all; only standardize has fitted statistics). */
export function normalizedSpectra(data: BaselineData, ds: SpectralDataset, rows?: ArrayLike<number>): { X: Float32Array; normalization: NormalizationParams } {
  const normalization = fitNormalization(data.normalization, ds.spectra, ds.n, ds.m, ds.energies, rows);
  return { X: applyNormalization(normalization, ds.spectra, ds.n, ds.m), normalization };
}

/** The descriptors scored and which of them are discrete (checked against the file's). */
export function baselineDescriptors(data: BaselineData, ds: SpectralDataset): { names: string[]; discrete: string[] } {
  const names = ds.descriptorNames;
  const discrete = data.discrete ?? guessDiscrete(ds.descriptors, ds.n, names);
  for (const d of discrete) {
    if (!names.includes(d)) throw new UserError(`discrete descriptor "${d}" is not among ${names.join(', ') || 'the (no) descriptors'}`, 'data.discrete');
    checkDiscreteDescriptor(descriptorColumn(ds, names.indexOf(d)), d, 'data.discrete');
  }
  return { names, discrete: [...discrete] };
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

/** One PNG scatter of the first two axes per descriptor, coloured by it: file name -> bytes. */
export function scatterPlots(prefix: string, title: string, Z: Float32Array, n: number, d: number, prep: BaselineSpectra, rows?: ArrayLike<number>): Record<string, Uint8Array> {
  if (d < 2) return {};
  const k = prep.names.length;
  const x = Float64Array.from({ length: n }, (_, i) => Z[i * d]);
  const y = Float64Array.from({ length: n }, (_, i) => Z[i * d + 1]);
  const files: Record<string, Uint8Array> = {};
  prep.names.forEach((name, c) => {
    const color = Float64Array.from({ length: n }, (_, i) => prep.ds.descriptors[(rows ? rows[i] : i) * k + c]);
    const svg = scatterPlotSvg({ x, y, color, colorLabel: name, discrete: prep.discrete.includes(name), title: `${title}: coloured by ${name}`, xLabel: 'axis 0', yLabel: 'axis 1' });
    files[`${prefix}${safeName(name)}.png`] = svgToPng(svg);
  });
  return files;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Descriptor values of one column for the given rows (all rows when omitted). */
export function descriptorValues(prep: BaselineSpectra, name: string, rows?: ArrayLike<number>): Float64Array {
  const k = prep.names.length;
  const c = prep.names.indexOf(name);
  if (c < 0) throw new UserError(`unknown descriptor "${name}" (available: ${prep.names.join(', ')})`);
  const n = rows ? rows.length : prep.ds.n;
  return Float64Array.from({ length: n }, (_, i) => prep.ds.descriptors[(rows ? rows[i] : i) * k + c]);
}

/** What {@link fitBaseline} returns. */
export interface FittedBaseline {
  /** The model directory's metadata as written. */
  metadata: ModelMetadata;
  /** n x d training embedding, input order. */
  embedding: Float32Array;
  fitSeconds: number;
}

/** What {@link runBaseline} returns. */
export interface BaselineRun extends FittedBaseline {
  metrics: EmbeddingMetrics;
  scoreSeconds: number;
}

/**
 * Runs one baseline end to end, scoring included, and writes its model
 * directory `outDir` atomically (see the file comment).
 * @param baseDir folder relative data paths resolve against (the config file's)
 * @param log progress lines
 */
export async function runBaseline(cfg: BaselineConfig, outDir: string, baseDir: string, log: (s: string) => void = () => {}): Promise<BaselineRun> {
  return (await baseline(cfg, outDir, baseDir, log, true)) as BaselineRun;
}

/**
 * {@link runBaseline} without the scoring (`baseline --no-score`, `score:
 * false` in a config): the model directory with the embedding and the fit's
 * own summary; metrics.json says `"scored": false`.
 */
export async function fitBaseline(cfg: BaselineConfig, outDir: string, baseDir: string, log: (s: string) => void = () => {}): Promise<FittedBaseline> {
  return baseline(cfg, outDir, baseDir, log, false);
}

async function baseline(
  cfg: BaselineConfig,
  outDir: string,
  baseDir: string,
  log: (s: string) => void,
  score: boolean,
): Promise<FittedBaseline & { metrics?: EmbeddingMetrics; scoreSeconds?: number }> {
  const prep = await prepareBaselineData(cfg.data, baseDir);
  const { ds, X } = prep;
  if (score) checkScorable(ds.n, ds.descriptors, prep.names, cfg.evaluation);
  const reducer = buildReducer(cfg.method, cfg.params, cfg.components, cfg.seed, 'params');
  if (cfg.target) {
    if (!(reducer instanceof Umap)) throw new UserError('a supervised target is only supported by umap', 'target');
    reducer.setTarget(descriptorValues(prep, cfg.target));
  }
  if (reducer instanceof Tsne) {
    reducer.onProgress = (it, g, total) => log(`tsne: iteration ${it}/${total}, gradient norm ${g.toExponential(2)}`);
  }
  log(`${cfg.method}: embedding ${ds.n} spectra of ${ds.m} points into ${cfg.components} dimensions`);
  const t0 = performance.now();
  const Z = reducer.fitTransform(X, ds.n, ds.m);
  const fitSeconds = (performance.now() - t0) / 1000;
  log(`${cfg.method}: fitted in ${fitSeconds.toFixed(1)} s${score ? '; scoring' : ''}`);
  const d = reducer.params.nComponents;
  const t1 = performance.now();
  const metrics = score
    ? embeddingMetrics(X, ds.n, ds.m, Z, d, ds.descriptors, prep.names, prep.discrete, {
        trustK: cfg.evaluation.trustK,
        knnNeighbors: cfg.evaluation.knnNeighbors,
        folds: cfg.evaluation.folds,
        seed: cfg.seed,
      })
    : undefined;
  const scoreSeconds = (performance.now() - t1) / 1000;
  const scores = metrics ? { scoreSeconds, ...metrics } : { scored: false };
  const ood = buildKnnOod(X, ds.n, ds.m, { seed: cfg.seed });
  // The stored config names its data by absolute path, so `report` and `cluster` find it from anywhere.
  const config = { ...cfg, params: reducer.params, data: { ...cfg.data, file: baselineDataPath(cfg.data, baseDir) } };
  const files: Record<string, string | Uint8Array> = {
    [REDUCER_FILE]: JSON.stringify(reducer.toJSON()),
    [ood.meta.file]: knnOodBytes(ood),
    'embedding.csv': embeddingCsv(Z, ds.n, d),
    'metrics.json': JSON.stringify({ method: cfg.method, fitSeconds, fit: reducer.summary(), ...scores }, null, 2) + '\n',
    'params.json': JSON.stringify({ ...config, data: { ...config.data, n: ds.n, m: ds.m, descriptors: prep.names, discrete: prep.discrete } }, null, 2) + '\n',
    ...scatterPlots('scatter-', cfg.method.toUpperCase(), Z, ds.n, d, prep),
  };
  const metadata = await writeModelDir(
    outDir,
    {
      metadata: {
        kind: 'reducer',
        method: cfg.method,
        grid: gridMetaFor(ds.energies),
        axisKind: ds.axis ?? 'energy',
        normalization: prep.normalization,
        descriptors: [],
        nStyle: d,
        training: { config: JSON.parse(JSON.stringify(config)) as Record<string, unknown> },
        backend: { name: gemmAddon() ? 'native (OpenBLAS addon)' : 'javascript' },
        metrics: {
          ...(metrics ? { embedding: JSON.parse(JSON.stringify(metrics)) as Record<string, unknown>, scoreSeconds } : { scored: false }),
          fit: reducer.summary(),
          fitSeconds,
          n: ds.n,
          discrete: prep.discrete,
          environment: environmentInfo(),
        },
        ood: ood.meta,
      },
    },
    files,
  );
  return metrics ? { metrics, metadata, embedding: Z, fitSeconds, scoreSeconds } : { metadata, embedding: Z, fitSeconds };
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
