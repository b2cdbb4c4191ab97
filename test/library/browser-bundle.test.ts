import { build, type Plugin } from 'esbuild';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/** Fails the bundle on any Node built-in imported by xlatent's own code (dependencies map theirs away through their "browser" fields). */
const noNodeModules: Plugin = {
  name: 'no-node-modules',
  setup(b) {
    b.onResolve({ filter: /^(node:.*|fs|path|os|crypto|module|url|child_process|worker_threads|util|stream|zlib)$/ }, (a) =>
      a.importer.includes('node_modules') ? undefined : { errors: [{ text: `Node module "${a.path}" imported by ${a.importer}` }] },
    );
  },
};

async function bundle(entry: string) {
  return build({ entryPoints: [resolve(root, entry)], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', plugins: [noNodeModules] });
}

describe('browser entry', () => {
  it('bundles for the browser without any Node module', async () => {
    const r = await bundle('src/browser.ts');
    expect(r.errors).toEqual([]);
    const js = r.outputFiles[0].text;
    expect(js).toContain('loadModelFromUrl');
    expect(js.length).toBeGreaterThan(100_000); // TF.js is in it
  });

  it('the same check fails for the Node entry (it reads files)', async () => {
    await expect(bundle('src/index.ts')).rejects.toThrow(/Node module "node:fs"|node:fs/);
  });
});
