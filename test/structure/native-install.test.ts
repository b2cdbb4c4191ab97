import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm install` runs scripts/build-native.mjs (package.json "install"). On a
 * machine where the addon cannot be built it must say so loudly, with the
 * reason and what to install, and still succeed; under XLATENT_STRICT=1
 * (CI) it must fail. Run on a copy of the script and native/ sources, with a
 * PATH that holds node only (no python3, make or compiler), so the real
 * addon of this checkout is never touched.
 */
const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'xlatent-native-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'scripts'));
cpSync(join(ROOT, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
mkdirSync(join(dir, 'native'));
for (const f of ['binding.gyp', 'detect-blas.cjs', 'src']) cpSync(join(ROOT, 'native', f), join(dir, 'native', f), { recursive: true });
mkdirSync(join(dir, 'bin'));
symlinkSync(process.execPath, join(dir, 'bin', 'node'));

function install(env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: join(dir, 'bin'), HOME: dir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm install without the build tools of the native addon', () => {
  it('is the install script of the package', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.install).toBe('node scripts/build-native.mjs');
  });

  it('succeeds with a boxed warning naming the reason and the packages to install', () => {
    const r = install();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^={78}$/m);
    expect(r.stderr).toMatch(/xlatent: the native addon was NOT built: .*(Python|python|not found|error)/);
    expect(r.stderr).toContain('build-essential python3 libopenblas-dev');
    expect(existsSync(join(dir, 'native', 'build', 'Release', 'xlatent_native.node'))).toBe(false);
  });

  it('fails under XLATENT_STRICT=1 (CI), saying why', () => {
    const r = install({ XLATENT_STRICT: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('XLATENT_STRICT=1: the install fails because the addon is required here.');
  });

  it('XLATENT_SKIP_NATIVE=1 skips the build in one line, and is a failure under XLATENT_STRICT=1', () => {
    const skip = install({ XLATENT_SKIP_NATIVE: '1' });
    expect(skip.code).toBe(0);
    expect(skip.stdout.trim()).toBe('xlatent: native addon skipped (XLATENT_SKIP_NATIVE=1); backends wasm/cpu remain.');
    expect(skip.stderr).toBe('');
    const strict = install({ XLATENT_SKIP_NATIVE: '1', XLATENT_STRICT: '1' });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/NOT built: skipped \(XLATENT_SKIP_NATIVE=1\)/);
  });
});
