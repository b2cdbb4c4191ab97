#!/usr/bin/env node
/**
 * Benchmarks the baseline reducers against the Python tools users know:
 * fit time, peak memory (max RSS) and trustworthiness (k = 10) of xlatent's
 * PCA, MDS, t-SNE and UMAP next to scikit-learn's PCA and TSNE and
 * umap-learn's UMAP, on the same synthetic XANES spectra (256 points).
 * Every fit runs in its own child process, so peak RSS is that fit's alone;
 * the spectra go to the Python side as a temporary float32 .npy, and both
 * sides' embeddings are scored by the same code (src/metrics/neighborhood.ts;
 * above 2,000 spectra on 2,000 sampled query spectra, each ranked against all).
 *
 *   node scripts/bench-reducers.mjs [--sizes 2000,10000,50000] [--methods pca,mds,tsne,umap]
 *        [--points 256] [--skip tsne:50000,umap:50000] [--sides xlatent,reference]
 *        [--python /usr/bin/python3] [--json out.json]
 *   node scripts/bench-reducers.mjs --merge a.json,b.json   (one table from earlier --json runs)
 *
 * The reference side needs scikit-learn and umap-learn importable by
 * --python (Debian: apt-get install python3-sklearn umap-learn); when they
 * are missing it is skipped with a line saying so. ml-pca (the JS library
 * PCA) is timed as well up to 10,000 spectra. The TypeScript sources are
 * loaded through tsx (a dev dependency).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const refScript = join(self, '..', 'bench_reducers_reference.py');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

async function spectra(n, m) {
  const { synthesizeXanes } = await import('../src/data/synth.ts');
  return synthesizeXanes({ count: n, points: m, seed: 1 }).spectra;
}

/** Float32 n x m matrix as a NumPy .npy (format 1.0). */
function writeNpy(path, X, n, m) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${m}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(X.buffer, X.byteOffset, X.byteLength)]));
}

if (args[0] === '--child') {
  // One xlatent (or ml-pca) fit; writes the embedding to embPath.
  const [, method, nStr, mStr, embPath] = args;
  const n = Number(nStr);
  const m = Number(mStr);
  const X = await spectra(n, m);
  // Modules load before the clock starts: fit time only, as on the Python side.
  const { PCA } = method === 'ml-pca' ? await import('ml-pca') : {};
  const { createReducer } = await import('../src/reducers/registry.ts');
  const rssBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  let info = {};
  let Y;
  if (method === 'ml-pca') {
    const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * m, (i + 1) * m)));
    const p = new PCA(rows, { center: true, scale: false });
    const S = p.predict(rows, { nComponents: 2 });
    Y = Float32Array.from({ length: n * 2 }, (_, t) => S.get(Math.floor(t / 2), t % 2));
    info = { explainedVarianceRatio: p.getExplainedVariance().slice(0, 2) };
  } else {
    const r = createReducer(method, { nComponents: 2 });
    Y = r.fitTransform(X, n, m);
    const s = r.summary();
    info = method === 'pca' ? { explainedVarianceRatio: s.explainedVarianceRatio } : s;
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(embPath, Buffer.from(Y.buffer, Y.byteOffset, Y.byteLength));
  process.stdout.write(JSON.stringify({ method, n, m, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, dataRssMiB: rssBefore / 1024, info }) + '\n');
  process.exit(0);
}

if (args[0] === '--npy') {
  const [, nStr, mStr, path] = args;
  writeNpy(path, await spectra(Number(nStr), Number(mStr)), Number(nStr), Number(mStr));
  process.exit(0);
}

if (args[0] === '--score') {
  // Trustworthiness of one embedding file against the spectra.
  const [, nStr, mStr, embPath] = args;
  const n = Number(nStr);
  const m = Number(mStr);
  const X = await spectra(n, m);
  const buf = readFileSync(embPath);
  const Y = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const { trustworthinessContinuity } = await import('../src/metrics/neighborhood.ts');
  const s = trustworthinessContinuity(X, n, m, Y, Y.length / n, { k: 10, exactLimit: 2000, sampleSize: 2000 });
  process.stdout.write(JSON.stringify(s) + '\n');
  process.exit(0);
}

const sizes = opt('sizes', '2000,10000,50000').split(',').map(Number);
const methods = opt('methods', 'pca,mds,tsne,umap').split(',');
const points = Number(opt('points', '256'));
const skip = new Set(opt('skip', '').split(',').filter(Boolean));
const sides = new Set(opt('sides', 'xlatent,reference').split(','));
const python = opt('python', '/usr/bin/python3');
const REFERENCE = { pca: 'scikit-learn PCA', tsne: 'scikit-learn TSNE', umap: 'umap-learn UMAP' };

let refOk = false;
if (sides.has('reference')) {
  const probe = spawnSync(python, ['-c', 'import sklearn, umap, numpy; print(sklearn.__version__, umap.__version__)'], { encoding: 'utf8' });
  refOk = probe.status === 0;
  process.stderr.write(
    refOk
      ? `reference: scikit-learn ${probe.stdout.trim().split(' ')[0]}, umap-learn ${probe.stdout.trim().split(' ')[1]} (${python})\n`
      : `reference side SKIPPED: ${python} cannot import scikit-learn and umap-learn (Debian: apt-get install python3-sklearn umap-learn)\n`,
  );
}

const fmt = (v, digits) => (v === undefined ? '–' : v.toFixed(digits));

function runChild(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line) return { error: `exit ${r.status}: ${r.stderr.slice(-1500)}` };
  return JSON.parse(line);
}

function score(n, embPath) {
  const s = runChild(process.execPath, ['--import', 'tsx', self, '--score', String(n), String(points), embPath]);
  return s.error ? undefined : s.trustworthiness;
}

/** Side-by-side Markdown table of xlatent and reference results (time ratio = xlatent / reference). */
function table(results) {
  const rows = [];
  const ns = [...new Set(results.map((r) => r.n))].sort((x, y) => x - y);
  const get = (impl, method, n) => results.find((r) => r.impl === impl && r.method === method && r.n === n && !r.error);
  for (const n of ns)
    for (const method of ['pca', 'mds', 'tsne', 'umap']) {
      const x = get('xlatent', method, n);
      const ref = get('reference', method, n);
      if (x || ref) {
        const ratio = x && ref ? (x.seconds / ref.seconds).toFixed(2) : '–';
        rows.push(
          `| ${method} | ${n} | ${fmt(x?.seconds, 2)} | ${fmt(x?.maxRssMiB, 0)} | ${fmt(x?.trustworthiness, 4)} | ` +
            `${REFERENCE[method] ?? '–'} | ${fmt(ref?.seconds, 2)} | ${fmt(ref?.maxRssMiB, 0)} | ${fmt(ref?.trustworthiness, 4)} | ${ratio} |`,
        );
      }
      const ml = method === 'pca' ? get('ml-pca', 'ml-pca', n) : undefined;
      if (ml) rows.push(`| pca (ml-pca) | ${n} | ${fmt(ml.seconds, 2)} | ${fmt(ml.maxRssMiB, 0)} | ${fmt(ml.trustworthiness, 4)} | | | | | |`);
    }
  return [
    '| method | n | xlatent fit (s) | xlatent peak RSS (MiB) | xlatent T(10) | reference | reference fit (s) | reference peak RSS (MiB) | reference T(10) | time xlatent / reference |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n') + '\n';
}

const merge = opt('merge');
if (merge) {
  // Table of earlier runs' --json outputs (e.g. the two sides run separately).
  const all = merge.split(',').flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).results);
  process.stdout.write(table(all));
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'xlatent-bench-'));
const results = [];
try {
  for (const n of sizes) {
    const npy = join(tmp, `spectra-${n}.npy`);
    if (refOk) spawnSync(process.execPath, ['--import', 'tsx', self, '--npy', String(n), String(points), npy], { stdio: 'inherit' });
    for (const method of methods) {
      const runs = [];
      if (sides.has('xlatent') && !skip.has(`${method}:${n}`)) runs.push(['xlatent', method]);
      if (sides.has('xlatent') && method === 'pca' && n <= 10000 && !skip.has(`ml-pca:${n}`)) runs.push(['ml-pca', 'ml-pca']);
      if (refOk && REFERENCE[method] && !skip.has(`ref-${method}:${n}`)) runs.push(['reference', method]);
      for (const [impl, m] of runs) {
        process.stderr.write(`${impl} ${m} n=${n} ... `);
        const emb = join(tmp, `${impl}-${m}-${n}.f32`);
        const res =
          impl === 'reference'
            ? runChild(python, [refScript, m, npy, emb])
            : runChild(process.execPath, ['--import', 'tsx', '--max-old-space-size=16384', self, '--child', m, String(n), String(points), emb]);
        if (res.error) {
          process.stderr.write(`failed (${res.error})\n`);
          results.push({ impl, method: m, n, error: res.error });
          continue;
        }
        res.impl = impl;
        res.trustworthiness = score(n, emb);
        results.push(res);
        process.stderr.write(`${res.seconds.toFixed(2)} s, peak RSS ${res.maxRssMiB.toFixed(0)} MiB, T(10) ${fmt(res.trustworthiness, 4)}\n`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(table(results));
const json = opt('json');
if (json) writeFileSync(json, JSON.stringify({ points, node: process.version, results }, null, 2) + '\n');
