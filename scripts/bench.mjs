#!/usr/bin/env node
// Full-trainer benchmark: trains the reference RankAAE workload (7,000 synthetic
// spectra x 256 points, 70% training rows, batch 1024, hidden 64, depth 5,
// nStyle 6, five descriptors, five sub-steps per batch) on each available
// backend and prints ms/epoch (one warm-up epoch, then --epochs timed epochs;
// our epochs include validation, the reference's do not). When
// `/usr/bin/python3 -c "import torch"` works, the PyTorch reference
// (../shared/bench/torch_rankaae_reference.py, or XLATENT_TORCH_REF) runs on the
// same workload right after the first backend, so the two see the most similar
// machine load, and every backend's ratio to it is printed.
//
//   npm run bench -- [--backends native,wasm,cpu,webgpu] [--epochs 3] [--cpu-epochs 1] [--n 7000] [--no-torch]
//
// The pure-JS cpu backend is ~40x slower, so it gets --cpu-epochs timed epochs.
// webgpu runs only when asked for (over SwiftShader it measures the CPU, not a GPU).
// Threads: XLATENT_THREADS for native (default: the cores idle at load), torch its default.
// The workload itself is scripts/reference-workload.ts (shared with scripts/gpu-check.sh).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const backends = opt('backends', 'native,wasm,cpu').split(',');
const epochs = Number(opt('epochs', '3'));
const cpuEpochs = Number(opt('cpu-epochs', '1'));
const n = Number(opt('n', '7000'));
const grid = 256;
const nAux = 5;

const { referenceSplit, timeReferenceTraining } = await import(join(root, 'scripts/reference-workload.ts'));

/** Trains on one backend; returns { name, msEpoch, note } or undefined when it cannot load. */
async function benchBackend(name) {
  const timedEpochs = name === 'cpu' ? Math.min(epochs, cpuEpochs) : epochs;
  let t;
  try {
    t = await timeReferenceTraining(name, data, timedEpochs);
  } catch (e) {
    console.log(`${name}: unavailable (${e.message})`);
    return undefined;
  }
  const note = `warm-up ${t.warmupMs.toFixed(0)} ms; ${timedEpochs} timed; threads ${t.threads ?? '?'}${t.blas ? `; ${t.blas.split(' ').slice(0, 2).join(' ')}` : ''}${t.device ? `; ${t.device}` : ''}`;
  console.log(`${name.padEnd(8)} ${t.msEpoch.toFixed(0).padStart(8)} ms/epoch  (${note})`);
  return { name, msEpoch: t.msEpoch, note };
}

/** Runs the PyTorch reference; returns { msEpoch, note }, or undefined with the reason printed. */
function benchTorch() {
  const torchRef = process.env.XLATENT_TORCH_REF ?? resolve(root, '..', 'shared', 'bench', 'torch_rankaae_reference.py');
  const hasTorch = !args.includes('--no-torch') && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (!hasTorch || !existsSync(torchRef)) {
    console.log(`torch reference not run (${hasTorch ? `${torchRef} missing` : 'python3 torch unavailable or --no-torch'})`);
    return undefined;
  }
  const r = spawnSync('/usr/bin/python3', [torchRef, '--epochs', String(epochs), '--n', String(n), '--batch', '1024', '--grid', String(grid), '--nstyle', '6', '--naux', String(nAux)], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const ref = JSON.parse(line);
    const note = `torch ${ref.torch}, ${ref.threads} threads, ${epochs} timed, no validation`;
    console.log(`${'torch'.padEnd(8)} ${ref.ms_per_epoch.toFixed(0).padStart(8)} ms/epoch  (${note})`);
    return { msEpoch: ref.ms_per_epoch, note };
  } catch {
    console.log(`torch reference failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return undefined;
  }
}

const data = referenceSplit(n);
const results = [];
let torch;
for (const [i, name] of backends.entries()) {
  const res = await benchBackend(name);
  if (res) results.push(res);
  if (i === 0) torch = benchTorch();
}
if (backends.length === 0) torch = benchTorch();

console.log('\n| backend | ms/epoch | vs PyTorch |\n|---|---:|---:|');
for (const { name, msEpoch } of results) {
  console.log(`| ${name} | ${msEpoch.toFixed(0)} | ${torch ? `${(msEpoch / torch.msEpoch).toFixed(2)}x` : 'n/a'} |`);
}
if (torch) console.log(`| PyTorch (CPU) | ${torch.msEpoch.toFixed(0)} | 1.00x |`);
