import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack`, unpacked into a fresh project's
 * node_modules, its runtime dependencies linked from this checkout's
 * node_modules (offline: no registry needed), then used from plain ESM and
 * from TypeScript against the published types. `npm test` builds dist/ first.
 */
const root = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'xlatent-pack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const app = join(tmp, 'app');

function installPacked(): Record<string, unknown> {
  expect(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root);
  expect(packed.code, packed.err).toBe(0);
  const info = JSON.parse(packed.out)[0] as { filename: string; files: { path: string }[] };
  const files = info.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/browser.js', 'dist/browser.d.ts', 'bin/xlatent.js', 'package.json']));
  expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/'))).toBe(false);
  const pkgDir = join(app, 'node_modules', 'xlatent');
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  expect(run('tar', ['-xzf', join(tmp, info.filename), '-C', pkgDir, '--strip-components=1'], tmp).code).toBe(0);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  // Runtime dependencies (and the type packages a TypeScript user has) from this checkout.
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    const to = join(app, 'node_modules', dep);
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), to, 'dir');
  }
  return pkg;
}

describe('the packed package', () => {
  const pkg = installPacked();

  it('declares its entry points and types in an exports map', () => {
    expect(pkg.exports).toMatchObject({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './browser': { types: './dist/browser.d.ts', default: './dist/browser.js' },
    });
    expect(pkg.types).toBe('dist/index.d.ts');
  });

  it('works from plain ESM: a baseline model written, loaded and used; a model loaded by the browser entry from bytes', () => {
    const work = join(tmp, 'esm');
    mkdirSync(work);
    copyFileSync(join(root, 'test/library/fixture/use-package.mjs'), join(app, 'use-package.mjs'));
    const r = run(process.execPath, ['use-package.mjs', work], app);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.method).toBe('pca');
    expect(out.d).toBe(3);
    expect(out.oodMetric).toBe('knn-distance');
    // PCA decodes exactly: every spectrum has a reconstruction error.
    expect(out.reconstructionMse.every((v: number) => v > 0)).toBe(true);
    const impure = out.ids.map((id: string, i: number) => (id.endsWith('_impure') ? out.oodPercentile[i] : NaN)).filter(Number.isFinite);
    const clean = out.ids.map((id: string, i: number) => (id.endsWith('_impure') ? NaN : out.oodPercentile[i])).filter(Number.isFinite);
    expect(impure.length).toBeGreaterThan(0);
    expect(clean.length).toBeGreaterThan(0);
    expect(Math.min(...impure)).toBeGreaterThan(99);
    expect(Math.max(...clean)).toBeLessThan(Math.min(...impure));
    // The browser entry loads the same directory from memory and embeds identically; tampered bytes fail the checksum.
    expect(out.aeD).toBe(2);
    expect(out.aeLatentDiff).toBeLessThan(1e-6);
    expect(out.tampered).toMatch(/checksum/);
  });

  it('type-checks and runs the README library example against the published types, and rejects a misuse', () => {
    const ts = join(app, 'ts');
    mkdirSync(ts);
    copyFileSync(join(root, 'test/library/fixture/library-example.ts'), join(ts, 'example.ts'));
    const tsconfig = {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out', rootDir: '.' },
      include: ['example.ts'],
    };
    writeFileSync(join(ts, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const c = run(process.execPath, [tsc, '-p', 'tsconfig.json'], ts);
    expect(c.code, c.out + c.err).toBe(0);
    const r = run(process.execPath, [join('out', 'example.js')], ts);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^UMAP trustworthiness 0\.9\d\d$/);
    const placed = lines.slice(1).map((l) => ({ impure: l.includes('_impure'), ood: Number(/OOD percentile ([\d.]+)/.exec(l)![1]) }));
    expect(placed).toHaveLength(4);
    for (const p of placed) if (p.impure) expect(p.ood).toBeGreaterThan(99);
    // The published types are real: a wrong argument is a compile error.
    writeFileSync(join(ts, 'bad.ts'), "import { embedSpectra, loadModel } from 'xlatent';\nconst model = await loadModel('m');\nembedSpectra(model, 42);\n");
    writeFileSync(join(ts, 'tsconfig.bad.json'), JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, noEmit: true }, include: ['bad.ts'] }));
    const bad = run(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], ts);
    expect(bad.code).not.toBe(0);
    expect(bad.out + bad.err).toMatch(/bad\.ts.*TS2345/s);
  });
});
