// The core modules of `npm run mutate`: the source files Stryker mutates and the unit tests that
// must kill the mutants (tests through the built binary cannot see a mutant, so they are left out).
/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
export const MODULES = {
  losses: {
    mutate: ['src/train/losses/*.ts', 'src/ops/generic/rank-loss.ts'],
    tests: ['test/train/losses.test.ts'],
  },
  // The readers, in three runs of a size the shared machine finishes: XAS text formats, tables, simulation outputs.
  'readers-xas': {
    mutate: ['src/data/formats/xdi.ts', 'src/data/formats/athena.ts', 'src/data/formats/columns.ts'],
    tests: ['test/formats/xdi.test.ts', 'test/formats/athena.test.ts', 'test/formats/columns.test.ts'],
  },
  'readers-tables': {
    mutate: ['src/data/formats/csv-table.ts', 'src/data/formats/long-csv.ts', 'src/data/formats/reference-csv.ts', 'src/data/formats/matrix.ts', 'src/data/formats/json.ts', 'src/data/formats/arrow.ts', 'src/data/formats/npy.ts'],
    tests: ['test/data/csv.test.ts', 'test/data/json-arrow.test.ts', 'test/safety/reading.test.ts', 'test/formats/npy-dataset.test.ts', 'test/formats/pyfitit-matrix.test.ts', 'test/formats/registry.test.ts', 'test/formats/npy.test.ts', 'test/data/csv-layouts.test.ts', 'test/data/json-arrow-layouts.test.ts', 'test/formats/matrix.test.ts'],
  },
  'readers-sim': {
    mutate: ['src/data/formats/fdmnes.ts', 'src/data/formats/feff.ts', 'src/data/formats/pyfitit.ts', 'src/data/formats/folder.ts', 'src/data/formats/index.ts', 'src/data/formats/reader.ts'],
    tests: ['test/formats/simulated.test.ts', 'test/formats/folder.test.ts', 'test/formats/pyfitit-matrix.test.ts', 'test/formats/registry.test.ts', 'test/formats/xrd.test.ts'],
  },
  normalization: {
    mutate: ['src/data/normalize.ts', 'src/data/preprocess/pipeline.ts', 'src/data/preprocess/fit.ts'],
    tests: ['test/data/normalize.test.ts', 'test/data/normalize-split.test.ts', 'test/data/preprocess.test.ts', 'test/data/preprocess-fit.test.ts', 'test/export/preprocess-meta.test.ts', 'test/export/stored-normalization.test.ts'],
  },
  // XAS normalization (E0, pre-edge line, post-edge polynomial).
  'xas-preprocess': {
    mutate: ['src/data/xas/normalize.ts', 'src/data/xas/pre-edge.ts', 'src/data/xas/post-edge.ts', 'src/data/xas/e0.ts'],
    tests: ['test/xas/normalize.test.ts', 'test/xas/fits.test.ts'],
  },
  // Broadening and energy shift, killed by small-grid tests against brute-force references
  // (preprocess.test.ts's 4001-point Lorentzian convolution runs past vitest's limit under Stryker).
  'spectral-preprocess': {
    mutate: ['src/data/preprocess/broaden.ts', 'src/data/preprocess/energy-shift.ts'],
    tests: ['test/data/spectral-preprocess.test.ts'],
  },
  'model-dir': {
    mutate: ['src/export/model-dir.ts', 'src/export/bundle.ts'],
    tests: ['test/export/model-dir.test.ts', 'test/export/model-dir-checks.test.ts', 'test/export/ensemble.test.ts', 'test/safety/model-dir.test.ts', 'test/export/export.test.ts', 'test/export/onnx-proto.test.ts'],
  },
  report: {
    mutate: ['src/report/html.ts:1-53', 'src/report/html.ts:92-109', 'src/report/plot/svg.ts:14-18'],
    tests: ['test/report/escaping.test.ts'],
  },
  // Metrics in three runs: the per-value scores, the neighbourhood and clustering scores, the evaluation that combines them.
  metrics: {
    mutate: ['src/metrics/axes.ts', 'src/metrics/classification.ts', 'src/metrics/correlation.ts', 'src/metrics/estimates.ts', 'src/metrics/normal-distribution.ts', 'src/metrics/normality.ts', 'src/metrics/reconstruction.ts', 'src/metrics/regression.ts'],
    tests: ['test/metrics/axes-reconstruction.test.ts', 'test/metrics/classification.test.ts', 'test/metrics/correlation.test.ts', 'test/metrics/estimates.test.ts', 'test/metrics/normality.test.ts', 'test/metrics/regression.test.ts', 'test/metrics/reference-values.test.ts'],
  },
  // Small-input tests against the definitions (neighborhood.test.ts's 300-spectrum checks take minutes per mutant under Stryker).
  'metrics-neighborhood': {
    mutate: ['src/metrics/neighborhood.ts', 'src/metrics/knn-prediction.ts', 'src/metrics/embedding-metrics.ts', 'src/metrics/clustering.ts', 'src/metrics/silhouette.ts'],
    tests: ['test/metrics/neighborhood-small.test.ts', 'test/metrics/embedding-scores.test.ts', 'test/analysis/clustering.test.ts'],
  },
  'metrics-evaluation': {
    mutate: ['src/metrics/evaluation.ts'],
    tests: ['test/pipeline/evaluation.test.ts', 'test/metrics/evaluation.test.ts'],
  },
};
