// Vitest config of a mutation run (stryker.config.mjs): the base config, with `include` cut down to
// the unit tests of the module named in XLATENT_MUTATE_MODULE (scripts/mutate-modules.mjs).
// The tests are chosen here rather than with Stryker's `testFiles` because, with `testFiles`,
// Stryker 9.6 activates module-level ("static") mutants only after the module has been imported,
// so every one of them survives whatever the tests check (stryker-js issue #6144).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.ts';
import { MODULES } from './mutate-modules.mjs';

const mod = MODULES[process.env.XLATENT_MUTATE_MODULE ?? ''];
if (!mod) throw new Error(`scripts/vitest-mutate.config.mjs: set XLATENT_MUTATE_MODULE to one of ${Object.keys(MODULES).join(', ')}`);

export default defineConfig({ ...base, root: fileURLToPath(new URL('..', import.meta.url)), test: { ...base.test, include: mod.tests } });
