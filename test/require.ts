/**
 * What tests need from the machine, in one place. A test that needs
 * something the machine lacks (the native addon, Chromium, webgpu over
 * SwiftShader, Slurm, flock) goes through {@link requireOrSkip}: without
 * XLATENT_STRICT it registers a skipped test whose name carries the reason,
 * so a local run shows what did not run and why; with XLATENT_STRICT=1 (what
 * .ci/run sets) it registers a failing test instead, so CI can never pass by
 * skipping. No test file decides on its own to skip quietly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

import { loadNativeAddon, type NativeAddon } from '../src/backends/native-addon.js';

/** Set by .ci/run: every missing requirement is a failure. */
export const STRICT = process.env.XLATENT_STRICT === '1';

/**
 * True when `what` is available (`missing` is empty). Otherwise registers,
 * where it is called (file or describe level), a visible skip naming
 * `missing`, or under XLATENT_STRICT=1 a failing test, and returns false:
 * callers guard the dependent tests with `describe.skipIf(!ok)` or
 * `it.skipIf(!ok)`.
 */
export function requireOrSkip(what: string, missing: string | undefined | null | false): boolean {
  if (!missing) return true;
  const reason = `${what} is missing: ${missing}`;
  if (STRICT) it(`requires ${what} (XLATENT_STRICT=1)`, () => expect.fail(reason));
  else it.skip(`${what} unavailable, its tests are skipped (XLATENT_STRICT=1 makes this a failure): ${missing}`, () => expect.fail(reason));
  return false;
}

/** Why the native addon cannot be used here, or undefined when it loads. */
export function nativeMissing(): string | undefined {
  const load = loadNativeAddon();
  return load.ok ? undefined : load.error;
}

/** The native addon when it loads (requireOrSkip registered otherwise). */
export function requireNative(what = 'the native addon'): NativeAddon | null {
  const load = loadNativeAddon();
  return requireOrSkip(what, load.ok ? undefined : `${load.error} (a C compiler, make, python3 and libopenblas-dev build it at npm install)`) && load.ok ? load.addon : null;
}

/** Headless Chromium for the browser tests (Debian's chromium package). */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
}

/** Why `flock(1)` (util-linux), which locks run directories, is missing here, or undefined. */
export function flockMissing(): string | undefined {
  return spawnSync('flock', ['--version']).status === 0 ? undefined : 'flock(1) from util-linux not found';
}
