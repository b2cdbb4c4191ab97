#!/usr/bin/env node
/**
 * Benchmarks the baseline reducers: fit time and peak memory (max RSS) of
 * PCA, MDS, t-SNE and UMAP on synthetic XANES spectra of 256 points.
 * Each (method, n) runs in its own child process, so peak RSS is that
 * fit's alone.
 *
 *   node scripts/bench-reducers.mjs [--sizes 2000,10000,50000] [--methods pca,mds,tsne,umap]
 *                                   [--points 256] [--skip tsne:50000,umap:50000] [--json out.json]
 *
 * Also times ml-pca (the library PCA) next to ours for sizes up to 10,000.
 * The TypeScript sources are loaded through tsx (a dev dependency).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

if (args[0] === '--child') {
  const [, method, nStr, mStr] = args;
  const n = Number(nStr);
  const m = Number(mStr);
  const { synthesizeXanes } = await import('../src/data/synth.ts');
  const ds = synthesizeXanes({ count: n, points: m, seed: 1 });
  const rssBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  let info = {};
  if (method === 'ml-pca') {
    const { PCA } = await import('ml-pca');
    const rows = Array.from({ length: n }, (_, i) => Array.from(ds.spectra.subarray(i * m, (i + 1) * m)));
    const p = new PCA(rows, { center: true, scale: false });
    info = { explainedVarianceRatio: p.getExplainedVariance().slice(0, 2) };
  } else {
    const { createReducer } = await import('../src/reducers/registry.ts');
    const r = createReducer(method, { nComponents: 2 });
    r.fitTransform(ds.spectra, n, m);
    const s = r.summary();
    info = method === 'pca' ? { explainedVarianceRatio: s.explainedVarianceRatio } : s;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ method, n, m, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, dataRssMiB: rssBefore / 1024, info }) + '\n');
  process.exit(0);
}

const sizes = opt('sizes', '2000,10000,50000').split(',').map(Number);
const methods = opt('methods', 'pca,mds,tsne,umap').split(',');
const points = Number(opt('points', '256'));
const skip = new Set(opt('skip', '').split(',').filter(Boolean));
const results = [];
const rows = [];
for (const n of sizes) {
  for (const method of [...methods, ...(methods.includes('pca') && n <= 10000 ? ['ml-pca'] : [])]) {
    if (skip.has(`${method}:${n}`)) continue;
    process.stderr.write(`${method} n=${n} ... `);
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=16384', self, '--child', method, String(n), String(points)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const line = r.stdout.trim().split('\n').pop();
    if (r.status !== 0 || !line) {
      process.stderr.write(`failed (exit ${r.status})\n${r.stderr.slice(-2000)}\n`);
      results.push({ method, n, error: r.stderr.slice(-500) });
      continue;
    }
    const res = JSON.parse(line);
    results.push(res);
    process.stderr.write(`${res.seconds.toFixed(2)} s, peak RSS ${res.maxRssMiB.toFixed(0)} MiB\n`);
    rows.push(`| ${method} | ${n} | ${res.seconds.toFixed(2)} | ${res.maxRssMiB.toFixed(0)} |`);
  }
}
process.stdout.write(['| method | n | fit (s) | peak RSS (MiB) |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n');
const json = opt('json');
if (json) writeFileSync(json, JSON.stringify({ points, node: process.version, results }, null, 2) + '\n');
