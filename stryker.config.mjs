// Mutation testing (StrykerJS, vitest runner): `npm run mutate -- --module NAME`.
// Not part of CI (minutes to an hour per module on 2 cores); see README, Development.
// One module per run: the script sets XLATENT_MUTATE_MODULE and this file picks
// the module's source files (`mutate`) and scripts/vitest-mutate.config.mjs the unit tests that own
// them (tests through the built binary cannot see a mutant, so they are left out).

import { MODULES } from './scripts/mutate-modules.mjs';

const name = process.env.XLATENT_MUTATE_MODULE;
const mod = MODULES[name ?? ''];
if (!mod) throw new Error(`stryker.config.mjs: set XLATENT_MUTATE_MODULE to one of ${Object.keys(MODULES).join(', ')} (npm run mutate -- --module NAME)`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The module's tests are chosen by that config's `include`, not by `testFiles` (see its comment).
  vitest: { configFile: 'scripts/vitest-mutate.config.mjs', related: false },
  coverageAnalysis: 'perTest',
  // The sandbox needs no tsconfig rewrite (vitest transpiles; no project references), and
  // Stryker's rewrite calls the TypeScript JS API that TypeScript 7 no longer has.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  mutate: mod.mutate,
  // The machine is shared: two test processes at most (XLATENT_MUTATE_CONCURRENCY=1 leaves a core free).
  concurrency: Number(process.env.XLATENT_MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `.tmp/mutation/${name}.json` },
  htmlReporter: { fileName: `.tmp/mutation/${name}.html` },
  tempDirName: `.tmp/stryker-${name}`,
  cleanTempDir: 'always',
  ignorePatterns: ['.tmp', 'runs', 'coverage', '.gpu-bundle', '.gl', '.whl'],
  thresholds: { high: 90, low: 80, break: null },
};
