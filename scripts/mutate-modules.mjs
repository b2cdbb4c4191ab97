// The core modules of `npm run mutate`: the source files Stryker mutates and the unit tests that
// must kill the mutants (tests through the built binary cannot see a mutant, so they are left out).
/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
export const MODULES = {
  losses: {
    mutate: ['src/train/losses/*.ts', 'src/ops/generic/rank-loss.ts'],
    tests: ['test/train/losses.test.ts'],
  },
  readers: {
    mutate: ['src/data/formats/*.ts', '!src/data/formats/spectra-writer.ts'],
    tests: ['test/formats/*.test.ts', 'test/data/csv.test.ts', 'test/data/json-arrow.test.ts', 'test/safety/reading.test.ts'],
  },
  normalization: {
    mutate: ['src/data/normalize.ts', 'src/data/preprocess/pipeline.ts', 'src/data/preprocess/fit.ts'],
    tests: ['test/data/normalize.test.ts', 'test/data/normalize-split.test.ts', 'test/data/preprocess.test.ts', 'test/data/preprocess-fit.test.ts', 'test/export/preprocess-meta.test.ts', 'test/export/stored-normalization.test.ts'],
  },
  // XAS normalization (E0, pre-edge line, post-edge polynomial) and the spectral preprocessing steps.
  'xas-preprocess': {
    mutate: ['src/data/xas/normalize.ts', 'src/data/xas/pre-edge.ts', 'src/data/xas/post-edge.ts', 'src/data/xas/e0.ts', 'src/data/preprocess/broaden.ts', 'src/data/preprocess/energy-shift.ts'],
    tests: ['test/xas/*.test.ts', 'test/data/preprocess.test.ts'],
  },
  'model-dir': {
    mutate: ['src/export/model-dir.ts', 'src/export/bundle.ts'],
    tests: ['test/export/model-dir.test.ts', 'test/export/model-dir-checks.test.ts', 'test/export/ensemble.test.ts', 'test/safety/model-dir.test.ts', 'test/export/export.test.ts', 'test/export/onnx-proto.test.ts'],
  },
  report: {
    mutate: ['src/report/html.ts:1-53', 'src/report/html.ts:92-109', 'src/report/plot/svg.ts:14-18'],
    tests: ['test/report/escaping.test.ts'],
  },
  metrics: {
    mutate: ['src/metrics/*.ts'],
    tests: ['test/metrics/*.test.ts'],
  },
};
