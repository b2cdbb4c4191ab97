import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { z } from 'zod';
import { loadConfigFile } from '../config/load.js';
import { selectRows, type SpectralDataset } from '../data/dataset.js';
import { splitRows } from '../data/split.js';
import { embeddingInputNeighborhoods, embeddingMetrics, type EmbeddingMetrics } from '../metrics/embedding-metrics.js';
import { REDUCER_NAMES } from '../reducers/registry.js';
import { writeDirAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import {
  BaselineDataSchema,
  baselineDescriptors,
  buildReducer,
  descriptorValues,
  embeddingCsv,
  EvaluationOptionsSchema,
  formatMetrics,
  loadBaselineData,
  normalizedSpectra,
  type PreparedData,
  writeScatterPlots,
} from './baseline.js';
import { Umap } from '../reducers/umap.js';

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
    /** Shuffled split; use the RankAAE training config's fractions and seed so the model is scored on its own test rows. */
    split: z.strictObject({ train: fraction, validation: fraction, test: fraction }).default({ train: 0.7, validation: 0.15, test: 0.15 }),
  }),
  seed: z.number().int().min(0).default(0),
  components: z.number().int().min(1).default(2),
  methods: z.array(MethodSchema).default(['pca', 'mds', 'tsne', 'umap']),
  /** A trained RankAAE model directory (or a run directory holding model/); relative to the config file. */
  model: z.string().optional(),
  out: z.string().optional(),
  evaluation: EvaluationOptionsSchema.default({ trustK: 10, knnNeighbors: 5, folds: 5 }),
});
export type CompareConfig = z.infer<typeof CompareConfigSchema>;

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
  const split = splitRows(ds.n, cfg.data.split, cfg.seed);
  // Normalization statistics (standardize's; the other kinds fit none) come from the training rows only.
  const X = normalizedSpectra(cfg.data, ds, split.train);
  const prep: PreparedData = { ds, X, ...baselineDescriptors(cfg.data, ds) };
  const m = ds.m;
  const normalized: SpectralDataset = { ...ds, spectra: X };
  const Xtr = selectRows(normalized, split.train).spectra;
  const testRows = selectRows(normalized, split.test);
  const Xte = testRows.spectra;
  const Yte = testRows.descriptors;
  if (split.train.length < 3 || split.test.length < 3) throw new UserError(`the split leaves ${split.train.length} training and ${split.test.length} test spectra; need at least 3 of each`, 'data.split');
  const entries: CompareEntry[] = [];
  const files: Array<(dir: string) => void> = [];
  const ev0 = { trustK: cfg.evaluation.trustK, knnNeighbors: cfg.evaluation.knnNeighbors, folds: cfg.evaluation.folds, seed: cfg.seed };
  // Every method is scored against the same test spectra: their neighbourhoods are computed once (on first use) for all.
  const ev = { ...ev0, inputNeighborhoods: embeddingInputNeighborhoods(Xte, split.test.length, m, ev0) };
  const seen = new Set<string>();
  for (const [i, spec] of cfg.methods.entries()) {
    const s = typeof spec === 'string' ? { method: spec, params: {} as Record<string, unknown>, label: undefined, target: undefined } : spec;
    const label = s.label ?? s.method;
    if (seen.has(label)) throw new UserError(`two methods are labelled "${label}"; give one a distinct "label"`, `methods[${i}]`);
    seen.add(label);
    const reducer = buildReducer(s.method, s.params, cfg.components, cfg.seed, `methods[${i}].params`);
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
      writeScatterPlots(join(dir, 'plots'), `${label}-`, `${label} (test)`, Zte, split.test.length, d, prep, split.test);
    });
  }
  if (cfg.model) {
    const modelPath = isAbsolute(cfg.model) ? cfg.model : resolve(baseDir, cfg.model);
    const { readModelDir } = await import('../export/model-dir.js');
    const { embedSpectra } = await import('../export/embed.js');
    log(`rankaae: embedding ${split.test.length} test spectra with ${modelPath}`);
    const model = await readModelDir(modelPath);
    const t = performance.now();
    // The model applies its own preprocessing (calculated role, like its training data), grid and normalization to the raw spectra.
    const res = embedSpectra(model, selectRows(ds, split.test), undefined, { role: 'calculated' });
    const transformSeconds = (performance.now() - t) / 1000;
    const d = res.nStyle;
    const test = embeddingMetrics(Xte, split.test.length, m, res.latent, d, Yte, prep.names, prep.discrete, ev);
    log(formatMetrics('rankaae', test));
    entries.push({ method: 'rankaae', fitSeconds: NaN, transformSeconds, fit: { model: modelPath, nStyle: d }, test });
    files.push((dir) => {
      writeFileSync(join(dir, 'embeddings', 'rankaae-test.csv'), embeddingCsv(res.latent, split.test.length, d));
      writeScatterPlots(join(dir, 'plots'), 'rankaae-', 'RankAAE (test)', res.latent, split.test.length, d, prep, split.test);
    });
  }
  await writeDirAtomic(outDir, (tmp) => {
    mkdirSync(join(tmp, 'embeddings'));
    mkdirSync(join(tmp, 'plots'));
    for (const f of files) f(tmp);
    writeFileSync(
      join(tmp, 'metrics.json'),
      JSON.stringify({ config: cfg, split: { train: split.train.length, validation: split.validation.length, test: split.test.length }, methods: entries }, null, 2) + '\n',
    );
    writeFileSync(join(tmp, 'comparison.md'), markdownTable(entries, prep.names, cfg.evaluation.folds));
    // The same table for `xlatent report --compare DIR`.
    if (entries.length > 0) writeFileSync(join(tmp, 'baselines.json'), JSON.stringify({ test: entries[0].test.n, ...comparisonTable(entries, prep.names) }, null, 2) + '\n');
  });
  return entries;
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

const command: CommandModule<object, { config: string; out?: string }> = {
  command: 'compare',
  builder: (y: Argv) =>
    y
      .usage(
        '$0 compare --config compare.yaml [--out DIR]\n\n' +
          'Config keys: data {file, format, descriptors, discrete, normalization, grid, split}, seed, components, ' +
          'methods (e.g. [pca, {method: tsne, params: {perplexity: 50}}]), model (RankAAE model directory), out, evaluation.\n' +
          'Writes DIR/metrics.json, DIR/comparison.md, DIR/baselines.json (for `xlatent report --compare DIR`), DIR/embeddings/<method>-{train,test}.csv and DIR/plots/<method>-<descriptor>.png.',
      )
      .option('config', { type: 'string', demandOption: true, describe: 'YAML or JSON comparison config' })
      .option('out', { type: 'string', describe: 'Output directory (overrides "out" in the config)' }),
  handler: async (a) => {
    const cfg = loadConfigFile(a.config, CompareConfigSchema);
    const baseDir = dirname(resolve(a.config));
    const out = a.out ? resolve(a.out) : cfg.out ? resolve(baseDir, cfg.out) : undefined;
    if (!out) throw new UserError('name the output directory with --out DIR or "out:" in the config', a.config);
    const log = (s: string) => process.stderr.write(`${s}\n`);
    await runCompare(cfg, out, baseDir, log);
    process.stdout.write(`wrote ${out}/comparison.md\n`);
  },
};
export default command;
