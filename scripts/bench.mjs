#!/usr/bin/env node
// `npm run bench`: every speed figure beside its peer, measured in the same run.
//
// 1. Training profile: the reference RankAAE workload (scripts/reference-workload.ts,
//    7,000 spectra) trained in this process on the native backend, one warm-up
//    epoch, then --profile-epochs epochs recorded phase by phase and kernel by
//    kernel (src/util/profile.ts): where an epoch goes.
// 2. Training as a user runs it: whole `xlatent train --config
//    configs/bench-reference.yaml` processes at each --sizes spectra count, against
//    whole PyTorch reference processes (../shared/bench/torch_rankaae_reference.py,
//    or XLATENT_TORCH_REF, run by /usr/bin/python3 with torch). ms/epoch of a side
//    = (wall of an --epochs run - wall of a 1-epoch run) / (--epochs - 1), so start-up,
//    data, warm-up and final evaluation cancel. --pairs alternating pairs (xlatent,
//    torch, xlatent, torch, ...) per size; the ratio of each pair and their median
//    are printed, with the peak memory (max RSS) of each side's --epochs process and
//    the 1-minute load average beside every run: on a shared machine ratios from the
//    same minutes say more than absolute times. The CPU time of each process (all its
//    threads, from getrusage) is differenced the same way: under load it moves far
//    less than wall time. Our epochs include a validation pass; the reference's do not.
// 3. Other backends (--backends, in this process; default wasm): ms/epoch of the
//    same workload at 7,000 spectra, the warm-up epoch excluded.
// 4. Reducers: scripts/bench-reducers.mjs (whole `xlatent baseline` commands against
//    scikit-learn, umap-learn and openTSNE) at --reducer-sizes with --reducer-methods.
//
//   npm run bench -- [--sizes 7000,57000] [--epochs 4] [--pairs 3] [--profile-epochs 3]
//        [--backends wasm,cpu|none] [--reducer-sizes 2000,10000,50000] [--reducer-methods pca,tsne,umap]
//        [--no-torch] [--no-profile] [--no-reducers] [--no-build] [--quick]
//
// --quick: sizes 7000, 1 pair, profile 1 epoch, no other backends, reducers at 2,000 only.
// Threads: the native addon uses the cores idle at start-up (XLATENT_THREADS overrides);
// torch its default (torch.get_num_threads()).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import YAML from 'yaml';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const quick = flag('quick');
const list = (s) => (s ? s.split(',').filter(Boolean) : []);
const sizes = list(opt('sizes', quick ? '7000' : '7000,57000')).map(Number);
const epochs = Number(opt('epochs', '4'));
const pairs = Number(opt('pairs', quick ? '1' : '3'));
const profileEpochs = Number(opt('profile-epochs', quick ? '1' : '3'));
const backends = list(opt('backends', quick ? '' : 'wasm')).filter((b) => b !== 'none');
const reducerSizes = opt('reducer-sizes', quick ? '2000' : '2000,10000,50000');
const reducerMethods = opt('reducer-methods', 'pca,tsne,umap');
if (!(epochs >= 2) || !(pairs >= 1) || sizes.some((n) => !(n >= 100))) {
  console.error('bench: --epochs must be >= 2, --pairs >= 1 and every --sizes entry >= 100');
  process.exit(2);
}

const load = () => loadavg()[0].toFixed(1);
const fmt = (v, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// The whole-process runs use bin/xlatent.js, which runs dist/.
if (!flag('no-build')) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) throw new Error('npm run build failed');
}
console.log(`xlatent bench, ${new Date().toISOString().slice(0, 16)} UTC, node ${process.version}, load average at start ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);

// ---------------------------------------------------------------- 1. profile
const { referenceSplit, timeReferenceTraining, formatProfile } = await import(join(root, 'scripts/reference-workload.ts'));
if (!flag('no-profile')) {
  console.log(`\n## Training profile (native, 7,000 spectra, ${profileEpochs} epochs after a warm-up; load ${load()})\n`);
  try {
    const t = await timeReferenceTraining('native', referenceSplit(7000), profileEpochs, { profile: true });
    console.log(`threads ${t.threads ?? '?'}${t.blas ? `, ${t.blas}` : ''}; ${fmt(t.msEpoch)} ms/epoch while profiling (recording costs a little)`);
    console.log(formatProfile(t.profile, t.timedEpochs));
  } catch (e) {
    console.log(`native unavailable (${e.message}): no profile`);
  }
}

// --------------------------------------------------- 2. whole processes, pairs
/** Runs a command; resolves with its wall seconds, exit code and output. */
function timed(cmd, cmdArgs, env = {}) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => done({ code, ms: performance.now() - t0, out }));
  });
}

/** Node preloaded with this writes the process's max RSS (MiB) and CPU ms (all threads) to XL_BENCH_RSS at exit. */
const NODE_RSS_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => { const u = process.resourceUsage(); if (process.env.XL_BENCH_RSS) writeFileSync(process.env.XL_BENCH_RSS, `${u.maxRSS / 1024} ${(u.userCPUTime + u.systemCPUTime) / 1000}`); });",
  );
/** The same for Python: runs the script given as argv[1], then writes ru_maxrss (KiB) in MiB and CPU ms. */
const PY_RSS_WRAP =
  'import atexit, os, resource, runpy, sys\n' +
  "u = lambda: resource.getrusage(resource.RUSAGE_SELF)\n" +
  "atexit.register(lambda: open(os.environ['XL_BENCH_RSS'], 'w').write('%f %f' % (u().ru_maxrss / 1024, 1000 * (u().ru_utime + u().ru_stime))))\n" +
  "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n";

const tmp = mkdtempSync(join(tmpdir(), 'xlatent-bench-'));
const rssFile = join(tmp, 'rss');
/** { rss: MiB, cpu: ms } the exiting process wrote. */
const readUsage = () => {
  const [rss, cpu] = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split(' ').map(Number) : [NaN, NaN];
  return { rss, cpu };
};

/** One whole `xlatent train` of n spectra for e epochs: { ms, rss } or { error }. */
async function xlatentRun(configPath, n, e) {
  rmSync(rssFile, { force: true });
  const out = join(tmp, `run-${n}-${e}`);
  rmSync(out, { recursive: true, force: true });
  const r = await timed(process.execPath, ['--import', NODE_RSS_HOOK, join(root, 'bin/xlatent.js'), 'train', '--config', configPath, '--epochs', String(e), '--out', out], {
    XL_BENCH_RSS: rssFile,
  });
  rmSync(out, { recursive: true, force: true });
  if (r.code !== 0) return { error: r.out.trim().split('\n').pop() };
  return { ms: r.ms, ...readUsage() };
}

// ../shared beside the checkout, or two levels up from a worktree (as scripts/gpu-check.sh looks).
const torchRef =
  process.env.XLATENT_TORCH_REF ??
  [resolve(root, '..', 'shared'), resolve(root, '..', '..', 'shared')].map((d) => join(d, 'bench', 'torch_rankaae_reference.py')).find((f) => existsSync(f)) ??
  resolve(root, '..', 'shared', 'bench', 'torch_rankaae_reference.py');
const hasTorch = !flag('no-torch') && existsSync(torchRef) && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
let torchInfo = '';

/** One whole PyTorch reference process of n spectra for e epochs (after its own warm-up epoch). */
async function torchRun(n, e) {
  rmSync(rssFile, { force: true });
  const r = await timed(
    '/usr/bin/python3',
    ['-c', PY_RSS_WRAP, torchRef, '--epochs', String(e), '--n', String(n), '--batch', '1024', '--grid', '256', '--nstyle', '6', '--naux', '5'],
    { XL_BENCH_RSS: rssFile },
  );
  if (r.code !== 0) return { error: r.out.trim().split('\n').pop() };
  try {
    const j = JSON.parse(r.out.trim().split('\n').pop());
    torchInfo = `torch ${j.torch}, ${j.threads} thread(s)`;
  } catch {
    /* the timing comes from the wall clock; the JSON line only names the version */
  }
  return { ms: r.ms, ...readUsage() };
}

/** ms/epoch of one side from an e-epoch and a 1-epoch run (order alternates within the pair). */
async function side(run) {
  const long = await run(epochs);
  const l1 = load();
  if (long.error) return { error: long.error };
  const short = await run(1);
  if (short.error) return { error: short.error };
  const per = (k) => (long[k] - short[k]) / (epochs - 1);
  return { msEpoch: per('ms'), cpuEpoch: per('cpu'), rss: long.rss, load: `${l1}/${load()}` };
}

const baseConfig = YAML.parse(readFileSync(join(root, 'configs/bench-reference.yaml'), 'utf8'));
const trainingRows = [];
console.log(
  `\n## Training ms/epoch as whole processes: xlatent train vs PyTorch (${epochs} epochs minus 1 epoch, ${pairs} alternating pair(s) per size)\n` +
    (hasTorch ? '' : `\nPyTorch not run (${flag('no-torch') ? '--no-torch' : existsSync(torchRef) ? '/usr/bin/python3 cannot import torch' : `${torchRef} missing`}).\n`),
);
console.log('| spectra | pair | xlatent ms/epoch | CPU ms/epoch | peak MiB | load | PyTorch ms/epoch | CPU ms/epoch | peak MiB | load | ratio | CPU ratio |');
console.log('|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|');
try {
  for (const n of sizes) {
    const cfg = structuredClone(baseConfig);
    cfg.data.synth.count = n;
    const configPath = join(tmp, `bench-${n}.yaml`);
    writeFileSync(configPath, YAML.stringify(cfg));
    const ratios = [];
    const cpuRatios = [];
    const xs = [];
    const ts = [];
    for (let p = 1; p <= pairs; p++) {
      const x = await side((e) => xlatentRun(configPath, n, e));
      const t = hasTorch ? await side((e) => torchRun(n, e)) : undefined;
      const ratio = x.msEpoch !== undefined && t?.msEpoch !== undefined ? x.msEpoch / t.msEpoch : NaN;
      const cpuRatio = x.cpuEpoch !== undefined && t?.cpuEpoch !== undefined ? x.cpuEpoch / t.cpuEpoch : NaN;
      if (Number.isFinite(ratio)) ratios.push(ratio);
      if (Number.isFinite(cpuRatio)) cpuRatios.push(cpuRatio);
      if (x.msEpoch !== undefined) xs.push(x);
      if (t?.msEpoch !== undefined) ts.push(t);
      const cells = (s) => (!s ? 'not run | | | ' : s.error ? `failed: ${s.error} | | | ` : `${fmt(s.msEpoch)} | ${fmt(s.cpuEpoch)} | ${fmt(s.rss)} | ${s.load}`);
      const rx = (r) => (Number.isFinite(r) ? `${r.toFixed(3)}x` : 'n/a');
      console.log(`| ${fmt(n)} | ${p} | ${cells(x)} | ${cells(t)} | ${rx(ratio)} | ${rx(cpuRatio)} |`);
    }
    trainingRows.push({ n, x: xs, t: ts, ratios, cpuRatios });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\nSummary (median over pairs; ${torchInfo || 'PyTorch not run'}):\n`);
console.log('| spectra | xlatent ms/epoch | peak MiB | PyTorch ms/epoch | peak MiB | median ratio (pairs) | median CPU-time ratio (pairs) |');
console.log('|---:|---:|---:|---:|---:|---|---|');
for (const { n, x, t, ratios, cpuRatios } of trainingRows) {
  const m = (v, k) => (v.length ? median(v.map((s) => s[k])) : NaN);
  const med = (v) => (v.length ? `**${median(v).toFixed(3)}x** (${v.map((r) => r.toFixed(3)).join(', ')})` : 'n/a');
  console.log(`| ${fmt(n)} | ${fmt(m(x, 'msEpoch'))} | ${fmt(m(x, 'rss'))} | ${fmt(m(t, 'msEpoch'))} | ${fmt(m(t, 'rss'))} | ${med(ratios)} | ${med(cpuRatios)} |`);
}

// ------------------------------------------------------- 3. other backends
if (backends.length) {
  console.log(`\n## Other backends, in this process (7,000 spectra, ${epochs - 1} timed epochs after a warm-up)\n`);
  console.log('| backend | ms/epoch | note |\n|---|---:|---|');
  const data = referenceSplit(7000);
  for (const name of backends) {
    try {
      const t = await timeReferenceTraining(name, data, name === 'cpu' ? 1 : epochs - 1);
      console.log(`| ${name} | ${fmt(t.msEpoch)} | warm-up ${fmt(t.warmupMs)} ms, threads ${t.threads ?? '?'}${t.device ? `, ${t.device}` : ''}, load ${load()} |`);
    } catch (e) {
      console.log(`| ${name} | unavailable | ${e.message} |`);
    }
  }
}

// ---------------------------------------------------------------- 4. reducers
if (!flag('no-reducers')) {
  console.log(`\n## Reducers: whole xlatent baseline commands vs scikit-learn / umap-learn / openTSNE (scripts/bench-reducers.mjs)\n`);
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench-reducers.mjs'), '--sizes', reducerSizes, '--methods', reducerMethods, '--no-build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) console.log(`bench-reducers exited with ${r.status}`);
}
console.log(`\nload average at end ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
