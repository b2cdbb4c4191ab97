import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { CompareConfig } from '../config/baseline.js';
import { selectRows, type SpectralDataset } from '../data/dataset.js';
import { splitRows, type SplitFractions } from '../data/split.js';
import { embedSpectra } from '../export/embed.js';
import { loadModel } from '../export/load-model.js';
import type { LatentModel } from '../export/latent-model.js';
import { embeddingInputNeighborhoods, embeddingMetrics, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { Umap } from '../reducers/umap.js';
import { writeDirAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import {
  baselineDescriptors,
  buildReducer,
  descriptorValues,
  embeddingCsv,
  formatMetrics,
  loadBaselineData,
  normalizedSpectra,
  scatterPlots,
  type BaselineSpectra,
} from './baseline.js';

/**
 * `xlatent compare`: every baseline fitted on the same training rows and
 * scored with the same metrics on the same test rows, beside a trained
 * RankAAE model whose own split (fractions and seed from its training
 * config) defines those rows.
 */

/** One method's outcome in metrics.json. */
export interface CompareEntry {
  method: string;
  fitSeconds: number;
  transformSeconds: number;
  fit: Record<string, unknown>;
  /** Scores of the test-split embedding. */
  test: EmbeddingMetrics;
}

/**
 * Fits each baseline on the training rows, embeds the test rows with its
 * transform (for t-SNE/UMAP the documented out-of-sample placement), and
 * scores every test embedding, the RankAAE encoder's included, in the same
 * input space (the config's normalization).
 */
export async function runCompare(cfg: CompareConfig, outDir: string, baseDir: string, log: (s: string) => void): Promise<CompareEntry[]> {
  const ds = await loadBaselineData(cfg.data, baseDir);
  const modelPath = cfg.model === undefined ? undefined : isAbsolute(cfg.model) ? cfg.model : resolve(baseDir, cfg.model);
  const model = modelPath ? await loadModel(modelPath) : undefined;
  const { fractions, seed: splitSeed, from } = compareSplit(cfg, model, ds.n);
  const seed = cfg.seed ?? splitSeed;
  log(`split ${fractions.train} / ${fractions.validation} / ${fractions.test}, seed ${splitSeed} (${from})`);
  const split = splitRows(ds.n, fractions, splitSeed);
  // Normalization statistics (standardize's; the other kinds fit none) come from the training rows only.
  const { X } = normalizedSpectra(cfg.data, ds, split.train);
  const prep: BaselineSpectra = { ds, X, normalization: { kind: 'none' }, ...baselineDescriptors(cfg.data, ds) };
  const m = ds.m;
  const normalized: SpectralDataset = { ...ds, spectra: X };
  const Xtr = selectRows(normalized, split.train).spectra;
  const testRows = selectRows(normalized, split.test);
  const Xte = testRows.spectra;
  const Yte = testRows.descriptors;
  if (split.train.length < 3 || split.test.length < 3) throw new UserError(`the split leaves ${split.train.length} training and ${split.test.length} test spectra; need at least 3 of each`, 'data.split');
  const entries: CompareEntry[] = [];
  const files: Array<(dir: string) => void> = [];
  const ev0 = { trustK: cfg.evaluation.trustK, knnNeighbors: cfg.evaluation.knnNeighbors, folds: cfg.evaluation.folds, seed };
  // Every method is scored against the same test spectra: their neighbourhoods are computed once (on first use) for all.
  const ev = { ...ev0, inputNeighborhoods: embeddingInputNeighborhoods(Xte, split.test.length, m, ev0) };
  const seen = new Set<string>();
  for (const [i, spec] of cfg.methods.entries()) {
    const s = typeof spec === 'string' ? { method: spec, params: {} as Record<string, unknown>, label: undefined, target: undefined } : spec;
    const label = s.label ?? s.method;
    if (seen.has(label)) throw new UserError(`two methods are labelled "${label}"; give one a distinct "label"`, `methods[${i}]`);
    seen.add(label);
    const reducer = buildReducer(s.method, s.params, cfg.components, seed, `methods[${i}].params`);
    if (s.target) {
      if (!(reducer instanceof Umap)) throw new UserError('a supervised target is only supported by umap', `methods[${i}].target`);
      reducer.setTarget(descriptorValues(prep, s.target, split.train));
    }
    log(`${label}: fitting on ${split.train.length} training spectra`);
    let t = performance.now();
    const Ztr = reducer.fitTransform(Xtr, split.train.length, m);
    const fitSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const Zte = reducer.transform(Xte, split.test.length);
    const transformSeconds = (performance.now() - t) / 1000;
    const d = reducer.params.nComponents;
    const test = embeddingMetrics(Xte, split.test.length, m, Zte, d, Yte, prep.names, prep.discrete, ev);
    log(formatMetrics(label, test));
    entries.push({ method: label, fitSeconds, transformSeconds, fit: reducer.summary(), test });
    files.push((dir) => {
      writeFileSync(join(dir, 'embeddings', `${label}-train.csv`), embeddingCsv(Ztr, split.train.length, d));
      writeFileSync(join(dir, 'embeddings', `${label}-test.csv`), embeddingCsv(Zte, split.test.length, d));
      writeFiles(join(dir, 'plots'), scatterPlots(`${label}-`, `${label} (test)`, Zte, split.test.length, d, prep, split.test));
    });
  }
  if (model) {
    const label = model.method;
    log(`${label}: embedding ${split.test.length} test spectra with ${model.dir}`);
    const t = performance.now();
    // The model applies its own preprocessing (calculated role, like its training data), grid and normalization to the raw spectra.
    const res = embedSpectra(model, selectRows(ds, split.test), undefined, { role: 'calculated' });
    const transformSeconds = (performance.now() - t) / 1000;
    const d = res.nStyle;
    const test = embeddingMetrics(Xte, split.test.length, m, res.latent, d, Yte, prep.names, prep.discrete, ev);
    log(formatMetrics(label, test));
    entries.push({ method: label, fitSeconds: NaN, transformSeconds, fit: { model: model.dir, nStyle: d }, test });
    files.push((dir) => {
      writeFileSync(join(dir, 'embeddings', `${label}-test.csv`), embeddingCsv(res.latent, split.test.length, d));
      writeFiles(join(dir, 'plots'), scatterPlots(`${label}-`, `${label === 'rankaae' ? 'RankAAE' : label} (test)`, res.latent, split.test.length, d, prep, split.test));
    });
  }
  await writeDirAtomic(outDir, (tmp) => {
    mkdirSync(join(tmp, 'embeddings'));
    mkdirSync(join(tmp, 'plots'));
    for (const f of files) f(tmp);
    writeFileSync(
      join(tmp, 'metrics.json'),
      JSON.stringify(
        { config: cfg, split: { fractions, seed: splitSeed, from, train: split.train.length, validation: split.validation.length, test: split.test.length }, methods: entries },
        null,
        2,
      ) + '\n',
    );
    writeFileSync(join(tmp, 'comparison.md'), markdownTable(entries, prep.names, cfg.evaluation.folds));
    // The same table for `xlatent report --compare DIR`.
    if (entries.length > 0) writeFileSync(join(tmp, 'baselines.json'), JSON.stringify({ test: entries[0].test.n, ...comparisonTable(entries, prep.names) }, null, 2) + '\n');
  });
  return entries;
}

function writeFiles(dir: string, files: Record<string, Uint8Array>): void {
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
}

/**
 * The split compare scores on. With a RankAAE model: the fractions and seed
 * of its training config (a split given in the compare config must match
 * them), after checking that the data has as many spectra as the model was
 * trained on. Without: the config's split, default 0.7 / 0.15 / 0.15, seed 0.
 */
export function compareSplit(cfg: CompareConfig, model: LatentModel | undefined, n: number): { fractions: SplitFractions; seed: number; from: string } {
  const own = { fractions: cfg.data.split ?? { train: 0.7, validation: 0.15, test: 0.15 }, seed: cfg.seed ?? 0, from: cfg.data.split ? 'the compare config' : 'the default' };
  if (!model) return own;
  const tc = model.metadata.training.config as { seed?: number; data?: { split?: SplitFractions; file?: string } };
  const sizes = (model.metadata.metrics as { splitSizes?: { train: number; validation: number; test: number } }).splitSizes;
  if (!tc.data?.split || typeof tc.seed !== 'number' || !sizes) {
    // A baseline model was fitted on all its spectra: it has no split to take.
    return own;
  }
  const trained = sizes.train + sizes.validation + sizes.test;
  if (n !== trained) {
    throw new UserError(`the data has ${n} spectra but the model was trained on ${trained} (${tc.data.file ?? 'its training data'}); compare scores the model on its own test rows, so give it the model's training data`, 'data.file');
  }
  const want = tc.data.split;
  const given = cfg.data.split;
  if (given && (given.train !== want.train || given.validation !== want.validation || given.test !== want.test)) {
    throw new UserError(`data.split ${JSON.stringify(given)} differs from the model's ${JSON.stringify(want)}; leave data.split out to use the model's`, 'data.split');
  }
  return { fractions: want, seed: tc.seed, from: `the model's training config` };
}

const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));

/** The comparison as a Markdown table, one row per method, scored on the test split. */
/** The comparison as a table of strings, one row per method: what comparison.md and baselines.json hold. */
export function comparisonTable(entries: CompareEntry[], names: string[]): { columns: string[]; rows: string[][] } {
  const k = entries[0].test.neighborhood.k;
  const columns = ['Method', 'dims', 'fit (s)', `T(${k})`, `C(${k})`, 'max axis |ρ|'];
  for (const nm of names) {
    const disc = entries[0].test.descriptors[nm]?.discrete;
    columns.push(`${nm} kNN ${disc ? 'acc' : 'R²'}`, `${nm} best axis ρ`);
    if (disc) columns.push(`${nm} k-means ARI`);
  }
  const rows = entries.map((e) => {
    const r = [
      e.method,
      String(e.test.dims),
      Number.isFinite(e.fitSeconds) ? e.fitSeconds.toFixed(1) : '-',
      f3(e.test.neighborhood.trustworthiness),
      f3(e.test.neighborhood.continuity),
      f3(e.test.maxAxisSpearman),
    ];
    for (const nm of names) {
      const s = e.test.descriptors[nm];
      r.push(f3(s?.discrete ? s.knn.accuracy : s?.knn.r2), s ? `${f3(s.spearman)} (axis ${s.bestAxis})` : 'n/a');
      if (entries[0].test.descriptors[nm]?.discrete) r.push(f3(s?.kmeansAri));
    }
    return r;
  });
  return { columns, rows };
}

export function markdownTable(entries: CompareEntry[], names: string[], folds = 5): string {
  if (entries.length === 0) return '(no methods)\n';
  const { columns, rows } = comparisonTable(entries, names);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n') + `\n\nScores on the ${entries[0].test.n} test spectra; kNN predictors scored by ${folds}-fold cross-validation within them. T/C: trustworthiness/continuity. ρ: Spearman.\n`;
}

