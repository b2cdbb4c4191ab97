#!/usr/bin/env node
/**
 * Benchmarks whole `xlatent baseline` commands against the Python tools
 * users know, in one run: for each size and method, xlatent's command
 * (read the spectra, fit, score, write embedding, metrics, reducer and
 * scatter plots) next to the peer's fit on the same spectra: scikit-learn's
 * PCA and TSNE (Barnes-Hut), umap-learn's UMAP, and openTSNE's TSNE (FFT)
 * when /usr/bin/python3 can import it. Reported per run: wall time, peak
 * memory (max RSS of the process), trustworthiness T(10) of the embedding
 * (both sides scored by the same code, src/metrics/neighborhood.ts: exact up
 * to 10,000 spectra, above on 2,000 sampled spectra with the standard
 * error), and for xlatent the fit and scoring seconds from metrics.json.
 * Then how each cost grows with n, and t-SNE against UMAP and Barnes-Hut. The machine's load average is printed
 * with every run: on a shared machine, trust ratios from the same run more
 * than absolute times.
 *
 *   node scripts/bench-reducers.mjs [--sizes 2000,10000,50000] [--methods pca,tsne,umap]
 *        [--points 256] [--skip tsne:50000,ref-tsne:50000] [--sides xlatent,reference]
 *        [--python /usr/bin/python3] [--json out.json] [--no-build]
 *   node scripts/bench-reducers.mjs --merge a.json,b.json   (one report from earlier --json runs)
 *
 * Methods: pca, mds, tsne (method auto), tsne-bh and tsne-fft (forced), umap.
 * Skips name a method and size (tsne:50000), the reference side's with a
 * ref- prefix (ref-tsne:50000). The reference side needs scikit-learn and
 * umap-learn (Debian: apt-get install python3-sklearn umap-learn); missing
 * libraries skip their rows with a line saying so. The TypeScript is built
 * first (npm run build) unless --no-build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = join(self, '..', '..');
const bin = join(root, 'bin', 'xlatent.js');
const refScript = join(self, '..', 'bench_reducers_reference.py');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const load = () => loadavg()[0].toFixed(1);
const fmt = (v, digits) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));

async function dataset(n, m) {
  const { synthesizeXanes } = await import('../src/data/synth.ts');
  return synthesizeXanes({ count: n, points: m, seed: 1 });
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

if (args[0] === '--data') {
  // Child: the synthetic spectra as an Arrow file (for the command) and a .npy (for Python).
  const [, nStr, mStr, arrow, npy] = args;
  const ds = await dataset(Number(nStr), Number(mStr));
  const { writeSpectra } = await import('../src/data/formats/index.ts');
  writeSpectra(ds, arrow);
  writeNpy(npy, ds.spectra, ds.n, ds.m);
  process.exit(0);
}

if (args[0] === '--score') {
  // Child: trustworthiness of a raw float32 embedding against the spectra, as `baseline` scores.
  const [, nStr, mStr, embPath] = args;
  const n = Number(nStr);
  const ds = await dataset(n, Number(mStr));
  const buf = readFileSync(embPath);
  const Y = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const { trustworthinessContinuity } = await import('../src/metrics/neighborhood.ts');
  process.stdout.write(JSON.stringify(trustworthinessContinuity(ds.spectra, n, ds.m, Y, Y.length / n, { k: 10 })) + '\n');
  process.exit(0);
}

const METHOD_ARGS = {
  pca: ['--method', 'pca'],
  mds: ['--method', 'mds'],
  tsne: ['--method', 'tsne'],
  'tsne-bh': ['--method', 'tsne', '--param', 'method=bh'],
  'tsne-fft': ['--method', 'tsne', '--param', 'method=fft'],
  umap: ['--method', 'umap'],
};
/** Reference implementations by xlatent method: [label, bench_reducers_reference.py method]. */
const REFERENCE = {
  pca: [['scikit-learn PCA', 'pca']],
  tsne: [
    ['scikit-learn TSNE', 'tsne'],
    ['openTSNE', 'opentsne'],
  ],
  'tsne-bh': [['scikit-learn TSNE', 'tsne']],
  'tsne-fft': [['openTSNE', 'opentsne']],
  umap: [['umap-learn', 'umap']],
};

/**
 * Runs a command and reports its wall time and the peak RSS of the process
 * (node children report their own at exit through XL_BENCH_RSS; the Python
 * script prints its own).
 */
function timed(cmd, cmdArgs, env = {}) {
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(cmd, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => resolvePromise({ code, seconds: (performance.now() - t0) / 1000, stdout, stderr }));
  });
}

const RSS_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => { if (process.env.XL_BENCH_RSS) writeFileSync(process.env.XL_BENCH_RSS, String(process.resourceUsage().maxRSS / 1024)); });",
  );

async function runXlatent(method, n, arrow, tmp) {
  const out = join(tmp, `out-${method}-${n}`);
  const rssFile = join(tmp, `rss-${method}-${n}`);
  const loadBefore = load();
  const r = await timed(process.execPath, ['--import', RSS_HOOK, '--max-old-space-size=16384', bin, 'baseline', ...METHOD_ARGS[method], '--data', arrow, '--out', out], {
    XL_BENCH_RSS: rssFile,
  });
  if (r.code !== 0) return { error: `exit ${r.code}: ${r.stderr.slice(-1500)}` };
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return {
    seconds: r.seconds,
    fitSeconds: metrics.fitSeconds,
    scoreSeconds: metrics.scoreSeconds,
    maxRssMiB: Number(readFileSync(rssFile, 'utf8')),
    trustworthiness: metrics.neighborhood.trustworthiness,
    trustSE: metrics.neighborhood.standardError?.trustworthiness,
    info: metrics.fit,
    load: `${loadBefore}/${load()}`,
  };
}

async function runReference(refMethod, n, npy, tmp) {
  const emb = join(tmp, `ref-${refMethod}-${n}.f32`);
  const loadBefore = load();
  const r = await timed(python, [refScript, refMethod, npy, emb]);
  const line = r.stdout.trim().split('\n').pop();
  if (r.code !== 0 || !line) return { error: `exit ${r.code}: ${r.stderr.slice(-1500)}` };
  const res = JSON.parse(line);
  const s = await timed(process.execPath, ['--import', 'tsx', self, '--score', String(n), String(points), emb]);
  const score = s.code === 0 ? JSON.parse(s.stdout.trim().split('\n').pop()) : {};
  rmSync(emb, { force: true });
  return {
    seconds: res.seconds,
    processSeconds: r.seconds,
    maxRssMiB: res.maxRssMiB,
    trustworthiness: score.trustworthiness,
    trustSE: score.standardError?.trustworthiness,
    info: res.info,
    load: `${loadBefore}/${load()}`,
  };
}

/** Each peer's run once per size (earlier versions of this script stored a copy per xlatent variant). */
function peerRuns(results) {
  const seen = new Set();
  return results.filter((r) => {
    if (r.side !== 'reference' || r.error) return false;
    const key = `${r.refMethod}:${r.n}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Side-by-side table: xlatent's whole command next to each peer's fit. */
function table(results) {
  const lines = [
    '| method | n | xlatent command (s) | fit (s) | score (s) | peak RSS (MiB) | T(10) | peer | peer fit (s) | peer peak RSS (MiB) | peer T(10) | command / peer fit | load |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const t = (r) => (r?.trustworthiness === undefined ? '–' : fmt(r.trustworthiness, 4) + (r.trustSE ? ` ± ${r.trustSE.toExponential(0)}` : ''));
  const peers = peerRuns(results);
  const ns = [...new Set(results.map((r) => r.n))].sort((a, b) => a - b);
  for (const n of ns)
    for (const method of Object.keys(METHOD_ARGS)) {
      const x = results.find((r) => r.side === 'xlatent' && r.method === method && r.n === n && !r.error);
      const wanted = new Set((REFERENCE[method] ?? []).map((e) => e[1]));
      // Without an xlatent run of this variant, a peer is listed only under the method that asked for it.
      const refs = peers.filter((r) => r.n === n && wanted.has(r.refMethod) && (x || r.method === method));
      if (!x && refs.length === 0) continue;
      const xCells = x
        ? `${fmt(x.seconds, 1)} | ${fmt(x.fitSeconds, 1)} | ${fmt(x.scoreSeconds, 1)} | ${fmt(x.maxRssMiB, 0)} | ${t(x)}`
        : '– | – | – | – | –';
      const label = method === 'tsne' && x?.info?.method ? `tsne (${x.info.method})` : method;
      if (refs.length === 0) lines.push(`| ${label} | ${n} | ${xCells} | – | – | – | – | – | ${x.load} |`);
      for (const ref of refs) {
        const ratio = x ? fmt(x.seconds / ref.seconds, 2) : '–';
        lines.push(`| ${label} | ${n} | ${xCells} | ${ref.peer} | ${fmt(ref.seconds, 1)} | ${fmt(ref.maxRssMiB, 0)} | ${t(ref)} | ${ratio} | ${x?.load ?? '–'}, ${ref.load} |`);
      }
    }
  return lines.join('\n') + '\n';
}

/** How each run's time and memory grow with n: the exponent b of t ~ n^b between consecutive sizes. */
function growth(results) {
  const lines = ['| run | n: seconds (peak MiB) | growth exponent of time between sizes |', '| --- | --- | --- |'];
  const runs = [...results.filter((r) => r.side === 'xlatent' && !r.error), ...peerRuns(results)];
  const keyOf = (r) => (r.side === 'xlatent' ? `xlatent baseline ${r.method}` : `${r.peer} fit`);
  for (const key of [...new Set(runs.map(keyOf))]) {
    const rows = runs.filter((r) => keyOf(r) === key).sort((a, b) => a.n - b.n);
    const exps = rows.slice(1).map((r, i) => fmt(Math.log(r.seconds / rows[i].seconds) / Math.log(r.n / rows[i].n), 2));
    lines.push(`| ${key} | ${rows.map((r) => `${r.n}: ${fmt(r.seconds, 1)} (${fmt(r.maxRssMiB, 0)})`).join(', ')} | ${exps.join(', ') || '–'} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * t-SNE's whole command against UMAP's at the same size in the same run
 * (issue 15's target: within 1.5x), and each FFT t-SNE run's T(10) against
 * the Barnes-Hut run's (within 0.01).
 */
function tsneVsPeers(results) {
  const ok = results.filter((r) => r.side === 'xlatent' && !r.error);
  const lines = [];
  for (const n of [...new Set(ok.map((r) => r.n))].sort((a, b) => a - b)) {
    const umap = ok.find((r) => r.method === 'umap' && r.n === n);
    const bh = ok.find((r) => r.n === n && (r.method === 'tsne-bh' || (r.method === 'tsne' && r.info?.method === 'bh')));
    for (const t of ok.filter((r) => r.n === n && (r.method === 'tsne' || r.method === 'tsne-fft') && r.info?.method === 'fft')) {
      if (umap) lines.push(`t-SNE (fft) / UMAP whole command at ${n}: ${fmt(t.seconds, 1)} s / ${fmt(umap.seconds, 1)} s = ${fmt(t.seconds / umap.seconds, 3)}x (load ${t.load}, ${umap.load})`);
      if (bh) lines.push(`t-SNE T(10) at ${n}: fft ${fmt(t.trustworthiness, 4)} - Barnes-Hut ${fmt(bh.trustworthiness, 4)} = ${(t.trustworthiness - bh.trustworthiness).toExponential(1)} (Barnes-Hut command ${fmt(bh.seconds, 1)} s)`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

const merge = opt('merge');
if (merge) {
  const all = merge.split(',').flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).results);
  process.stdout.write(table(all) + '\n' + growth(all) + '\n' + tsneVsPeers(all));
  process.exit(0);
}

const sizes = opt('sizes', '2000,10000,50000').split(',').map(Number);
const methods = opt('methods', 'pca,tsne,umap').split(',');
for (const m of methods) if (!METHOD_ARGS[m]) throw new Error(`unknown method "${m}" (expected ${Object.keys(METHOD_ARGS).join(', ')})`);
const points = Number(opt('points', '256'));
const skip = new Set(opt('skip', '').split(',').filter(Boolean));
const sides = new Set(opt('sides', 'xlatent,reference').split(','));
const python = opt('python', '/usr/bin/python3');

if (!args.includes('--no-build')) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) throw new Error('npm run build failed');
}

const available = {};
if (sides.has('reference')) {
  for (const [mod, label] of [
    ['sklearn', 'scikit-learn'],
    ['umap', 'umap-learn'],
    ['openTSNE', 'openTSNE'],
  ]) {
    const probe = spawnSync(python, ['-c', `import ${mod}; print(${mod}.__version__)`], { encoding: 'utf8' });
    available[mod] = probe.status === 0 ? probe.stdout.trim() : null;
    process.stderr.write(available[mod] ? `reference: ${label} ${available[mod]} (${python})\n` : `reference: ${label} not importable by ${python}; its rows are skipped\n`);
  }
}
const needs = { pca: 'sklearn', tsne: 'sklearn', opentsne: 'openTSNE', umap: 'umap' };

process.stderr.write(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')} (${process.version})\n`);
const tmp = mkdtempSync(join(tmpdir(), 'xlatent-bench-'));
const results = [];
try {
  for (const n of sizes) {
    const arrow = join(tmp, `spectra-${n}.arrow`);
    const npy = join(tmp, `spectra-${n}.npy`);
    const made = spawnSync(process.execPath, ['--import', 'tsx', self, '--data', String(n), String(points), arrow, npy], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not write the spectra');
    for (const method of methods) {
      if (sides.has('xlatent') && !skip.has(`${method}:${n}`)) {
        process.stderr.write(`xlatent baseline ${method} n=${n} ... `);
        const res = await runXlatent(method, n, arrow, tmp);
        results.push({ side: 'xlatent', method, n, ...res });
        process.stderr.write(
          res.error
            ? `failed (${res.error})\n`
            : `${fmt(res.seconds, 1)} s (fit ${fmt(res.fitSeconds, 1)}, score ${fmt(res.scoreSeconds, 1)}), peak ${fmt(res.maxRssMiB, 0)} MiB, T(10) ${fmt(res.trustworthiness, 4)}, load ${res.load}\n`,
        );
      }
      if (!sides.has('reference')) continue;
      for (const [peer, refMethod] of REFERENCE[method] ?? []) {
        if (skip.has(`ref-${method}:${n}`) || skip.has(`ref-${refMethod}:${n}`) || !available[needs[refMethod]]) continue;
        // One run of a peer per size, whichever xlatent variant asked for it first.
        if (results.some((r) => r.side === 'reference' && r.refMethod === refMethod && r.n === n)) continue;
        process.stderr.write(`${peer} n=${n} ... `);
        const res = await runReference(refMethod, n, npy, tmp);
        results.push({ side: 'reference', peer, refMethod, method, n, ...res });
        process.stderr.write(
          res.error ? `failed (${res.error})\n` : `${fmt(res.seconds, 1)} s fit, peak ${fmt(res.maxRssMiB, 0)} MiB, T(10) ${fmt(res.trustworthiness, 4)}, load ${res.load}\n`,
        );
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.stderr.write(`load average at end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n`);
process.stdout.write(table(results) + '\n' + growth(results) + '\n' + tsneVsPeers(results));
const json = opt('json');
if (json) writeFileSync(json, JSON.stringify({ points, node: process.version, python: available, results }, null, 2) + '\n');
